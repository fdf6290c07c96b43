import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Resvg } from '@resvg/resvg-js';
import { isUserInputError } from '@mmfuse/core';
import { buildReport, BuiltReport, encodePng, errorHeatmap, lossCurveFigure, lossCurves, readRunFolder, reportContent, reportFigures, scopeSvgIds } from './index';
import { colouredPixels, readPng } from './testing/png';
import { knownLipschitz, knownLoss, LAMBDAS, MODALITIES, SETUPS, SUB_MODELS, writeRunFolder, writeSweepFolder } from './testing/fixtures';

const TRIALS = 3;
const EPOCHS = 5;

function meanAndSampleStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) };
}

/** The numbers behind a table's statistic cells, row by row, from the page. */
function tableStats(html: string, id: string): Array<Array<{ mean: number; std: number }>> {
  const table = html.match(new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`));
  if (!table) throw new Error(`no table ${id} in the page`);
  return [...table[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((row) => [...row[1].matchAll(/data-mean="([^"]+)" data-std="([^"]+)"/g)].map((m) => ({ mean: Number(m[1]), std: Number(m[2]) })))
    .filter((cells) => cells.length > 0);
}

describe('report of a run folder', () => {
  let root: string;
  let runDir: string;
  let report: BuiltReport;
  let html: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mmfuse-report-'));
    runDir = writeRunFolder(join(root, 'run'), { trials: TRIALS, epochs: EPOCHS });
    report = await buildReport(runDir);
    html = readFileSync(report.html, 'utf8');
  }, 30000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the page where asked and lists every figure', () => {
    expect(report.html).toBe(join(runDir, 'report', 'index.html'));
    expect(report.figures.map((f) => f.name).sort()).toEqual(
      [
        'loss-curves-train',
        'loss-curves-test',
        'final-loss-boxplots',
        'lipschitz-jacobian-spectral',
        'lipschitz-certified-bound',
        'reconstructions',
        'failure-auc',
        'failure-roc',
        'failure-distances',
        'confusion-matrices',
        'robustness-curves',
      ].sort(),
    );
  });

  it('tables the final test and train MSE as mean ± sample std of the last epoch over trials, from the metrics', () => {
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const split of ['test', 'train'] as const) {
      const stats = tableStats(html, `final-${split}-loss`);
      expect(stats).toHaveLength(SETUPS.length);
      SETUPS.forEach((setup, s) => {
        [...MODALITIES, 'total'].forEach((key, k) => {
          const finals = rows.filter((r) => r.setup === setup && r.epoch === EPOCHS).map((r) => r[split][key] as number);
          expect(finals).toHaveLength(TRIALS);
          const expected = meanAndSampleStd(finals);
          expect(stats[s][k].mean).toBeCloseTo(expected.mean, 12);
          expect(stats[s][k].std).toBeCloseTo(expected.std, 12);
        });
      });
    }
    // The text beside the numbers, e.g. "0.2345 ± 0.0123".
    expect(html).toMatch(/<td class="stat"[^>]*>\d\.\d+ ± \d\.\d+<\/td>/);
  });

  it('tables the final Lipschitz estimate and certified bound per set-up and sub-model from each trial’s last evaluation', () => {
    const stats = tableStats(html, 'final-lipschitz');
    expect(stats).toHaveLength(SETUPS.length * SUB_MODELS.length);
    SETUPS.forEach((setup, s) => {
      SUB_MODELS.forEach((subModel, m) => {
        ['jacobian-spectral', 'certified-bound'].forEach((estimator, e) => {
          const expected = meanAndSampleStd([0, 1, 2].map((t) => knownLipschitz(setup, t, EPOCHS, subModel, estimator)));
          const cell = stats[s * SUB_MODELS.length + m][e];
          expect(cell.mean).toBeCloseTo(expected.mean, 12);
          expect(cell.std).toBeCloseTo(expected.std, 12);
        });
      });
    });
    expect(html).toContain('spectral ‖J‖₂ (lower bound)');
    expect(html).toContain('certified (upper bound)');
    // The failed gradient-ratio row is reported, not plotted.
    expect(html).toContain('no second-order gradients');
  });

  it('writes every figure as an SVG with marks and a PNG that decodes to a drawing', () => {
    for (const figure of report.figures) {
      expect({ figure: figure.name, warnings: figure.warnings }).toEqual({ figure: figure.name, warnings: [] });
      const svg = readFileSync(figure.svg, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      // resvg's XML parser rejects malformed SVG.
      expect(new Resvg(svg).width).toBeGreaterThan(50);
      const marks = (svg.match(/<(path|rect|line|image)\b/g) ?? []).length;
      expect(marks).toBeGreaterThan(10);
      expect(svg).toMatch(/<path[^>]* d="M[^"]{8,}"/);

      const png = readPng(readFileSync(figure.png!));
      expect(png.width).toBeGreaterThan(100);
      expect(png.height).toBeGreaterThan(100);
      expect(colouredPixels(png)).toBeGreaterThan(500);
    }
  });

  it('inlines one SVG per figure, with ids unique across the page, and needs no script or network', () => {
    expect((html.match(/<svg\b/g) ?? []).length).toBe(report.figures.length);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).not.toMatch(/<script|<link |src="http/);
    // Reconstructions are embedded pixel images.
    expect(html).toMatch(/<image [^>]*href="data:image\/png;base64,/);
    expect(html).toContain('<dt>backend</dt><dd>cpu (fixture)</dd>');
    expect(html).toContain('synthetic-arm · 40 train / 10 test samples · camera image 8×8×3, joints series 4×6');
    expect(html).toContain('2026-01-02 03:04 UTC');
  });

  it('gives the loss-curve figure the mean line and the mean ± sample std band over trials', () => {
    const figure = reportFigures(runDir).find((f) => f.name === 'loss-curves-test')!;
    const values = (figure.spec.data as { values: Array<Record<string, number | string>> }).values;
    expect(values).toHaveLength(SETUPS.length * (MODALITIES.length + 1) * EPOCHS);
    for (const setup of SETUPS) {
      for (let epoch = 1; epoch <= EPOCHS; epoch++) {
        const camera = [0, 1, 2].map((t) => knownLoss(setup, t, epoch, 'test', 'camera'));
        const { mean, std } = meanAndSampleStd(camera);
        const point = values.find((v) => v.setup === setup && v.loss === 'camera' && v.epoch === epoch)!;
        expect(point.mean).toBeCloseTo(mean, 12);
        expect(point.std).toBeCloseTo(std, 12);
        expect(point.lower).toBeCloseTo(mean - std, 12);
        expect(point.upper).toBeCloseTo(mean + std, 12);
      }
    }
    const layers = (figure.spec.spec as { layer: Array<{ mark: { type: string }; encoding: Record<string, { field?: string }> }> }).layer;
    expect(layers.map((l) => l.mark.type)).toEqual(['area', 'line']);
    expect([layers[0].encoding.y.field, layers[0].encoding.y2.field, layers[1].encoding.y.field]).toEqual(['lower', 'upper', 'mean']);
  });

  it('computes the band for a hand-made input', () => {
    const dir = join(root, 'hand');
    writeRunFolder(dir, { trials: 3, epochs: 1, lipschitz: false, analysis: false });
    const data = readRunFolder(dir);
    data.metrics = [1, 2, 6].map((v, trial) => ({ setup: 'sum', trial, epoch: 1, train: { total: v }, test: { total: v } }));
    const figure = lossCurveFigure(lossCurves(data), 'test', ['sum'], ['total']);
    const point = (figure.spec.data as { values: Array<Record<string, number | string>> }).values.find((v) => v.setup === 'sum' && v.loss === 'total')!;
    // mean 3, sample std √((4 + 1 + 9) / 2) = √7
    expect(point).toMatchObject({ mean: 3, n: 3 });
    expect(point.std).toBeCloseTo(Math.sqrt(7), 12);
    expect(point.lower).toBeCloseTo(3 - Math.sqrt(7), 12);
    expect(point.upper).toBeCloseTo(3 + Math.sqrt(7), 12);
  });

  it('says what would fill each section whose input is missing, and still builds', async () => {
    const dir = writeRunFolder(join(root, 'bare'), { lipschitz: false, analysis: false });
    const content = reportContent(dir);
    const missing = Object.fromEntries(content.sections.map((s) => [s.id, s.missing.join(' ')]));
    expect(missing.lipschitz).toContain('{ "type": "lipschitz" }');
    expect(missing.tables).toContain('lipschitz.jsonl');
    expect(missing.reconstructions).toContain('analysis/reconstructions.json');
    expect(missing.reconstructions).toContain('"callbacks"');
    expect(missing['failure-detection']).toContain('analysis/failure-detection.json');
    expect(missing.robustness).toContain('analysis/robustness.json');
    const built = await buildReport(dir, { out: join(root, 'bare-report') });
    expect(built.html).toBe(join(root, 'bare-report', 'index.html'));
    expect(built.figures.map((f) => f.name)).toEqual(['loss-curves-train', 'loss-curves-test', 'final-loss-boxplots']);
    const page = readFileSync(built.html, 'utf8');
    expect(page).toContain('class="missing"');
    expect(page).toContain('no reconstructions to show');
  });

  it('reports a damaged optional file in its section instead of failing', () => {
    const dir = writeRunFolder(join(root, 'damaged-analysis'), { trials: 2, epochs: 2 });
    writeFileSync(join(dir, 'analysis', 'robustness.json'), '{"setups": ');
    const robustness = reportContent(dir).sections.find((s) => s.id === 'robustness')!;
    expect(robustness.figures).toEqual([]);
    expect(robustness.missing.join(' ')).toMatch(/robustness\.json could not be used \(not JSON/);
  });

  it('refuses a missing or damaged summary.json with a UserInputError naming the file', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const missing = (() => {
      try {
        reportContent(empty);
      } catch (error) {
        return error;
      }
    })();
    expect(isUserInputError(missing)).toBe(true);
    expect((missing as Error).message).toContain(join(empty, 'summary.json'));

    const dir = writeRunFolder(join(root, 'damaged'), { trials: 2, epochs: 2, analysis: false });
    writeFileSync(join(dir, 'summary.json'), '{"setups": {"sum": ');
    expect(() => reportContent(dir)).toThrow(expect.objectContaining({ name: 'UserInputError', message: expect.stringContaining(join(dir, 'summary.json')) }));
    writeFileSync(join(dir, 'summary.json'), '{"name": "x"}');
    expect(() => reportContent(dir)).toThrow(/summary\.json: damaged summary\.json: no "setups"/);
  });
});

describe('report of a sweep folder', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mmfuse-report-sweep-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('shows the points, the λ ablation (Lipschitz and parameter norm) and each point’s tables', async () => {
    const dir = writeSweepFolder(join(root, 'sweep'));
    const built = await buildReport(dir);
    expect(built.figures.map((f) => f.name)).toEqual(['lambda-lipschitz', 'lambda-parameter-norm', 'sweep-final-loss']);
    for (const f of built.figures) {
      expect(f.warnings).toEqual([]);
      expect(readFileSync(f.svg, 'utf8')).toMatch(/^<svg/);
      expect(readPng(readFileSync(f.png!)).width).toBeGreaterThan(100);
    }
    const page = readFileSync(built.html, 'utf8');
    expect((page.match(/<svg\b/g) ?? []).length).toBe(3);
    expect(page).toContain('regularizers[0].lambda = 0.000001');
    expect(page).toContain('no summary.json yet');
    for (let i = 0; i < LAMBDAS.length; i++) {
      expect(page).toContain(`id="point-${i}-final-test-loss"`);
      expect(page).toContain(`id="point-${i}-final-lipschitz"`);
    }

    const figure = reportFigures(dir).find((f) => f.name === 'lambda-lipschitz')!;
    const values = (figure.spec.data as { values: Array<Record<string, unknown>> }).values;
    // One value per λ, set-up, sub-model and kind (estimate, certified bound).
    expect(values).toHaveLength(LAMBDAS.length * SETUPS.length * SUB_MODELS.length * 2);
    const encoderAtLargest = values.find((v) => v.x === 1 && v.setup === 'sum' && v.series === 'encoder:camera' && v.kind === 'estimate')!;
    const expected = meanAndSampleStd([0, 1].map((t) => knownLipschitz('sum', t, 3, 'encoder:camera', 'jacobian-spectral') / 21));
    expect(encoderAtLargest.mean).toBeCloseTo(expected.mean, 12);
    expect(encoderAtLargest.std).toBeCloseTo(expected.std, 12);
  });

  it('skips the parameter-norm panel and says so when no point recorded a norm', () => {
    const dir = writeSweepFolder(join(root, 'sweep-no-norms'), { parameterNorms: false });
    const content = reportContent(dir);
    expect(content.figures.map((f) => f.name)).toEqual(['lambda-lipschitz', 'sweep-final-loss']);
    const ablation = content.sections.find((s) => s.id === 'ablation')!;
    expect(ablation.missing.join(' ')).toContain('parameter-norm panel is skipped');
  });

  it('refuses a damaged sweep.json with a UserInputError naming it', () => {
    const dir = join(root, 'bad-sweep');
    mkdirSync(dir);
    writeFileSync(join(dir, 'sweep.json'), '[');
    expect(() => reportContent(dir)).toThrow(expect.objectContaining({ name: 'UserInputError', message: expect.stringContaining(join(dir, 'sweep.json')) }));
  });
});

describe('figure helpers', () => {
  it('averages the absolute pixel error over channels and blocks', () => {
    // 2×2 RGB: errors per pixel 0, 0.3, 0.6, 0.9 (same on every channel).
    const input = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const output = [0, 0, 0, 0.3, 0.3, 0.3, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9];
    const full = errorHeatmap(input, output, [2, 2, 3]);
    expect(full.cells.map((c) => c.error)).toEqual([0, 0.3, 0.6, 0.9].map((v) => expect.closeTo(v, 12)));
    const blocked = errorHeatmap(input, output, [2, 2, 3], 1);
    expect(blocked.cells).toHaveLength(1);
    expect(blocked.cells[0].error).toBeCloseTo(0.45, 12);
  });

  it('encodes pixels in [0, 1] as an RGB PNG (grey for one channel)', () => {
    const png = readPng(encodePng([0, 0.5, 1, 0.25, 0, 0, 0, 0, 1, 1, 1, 1], 2, 2, 3));
    expect([png.width, png.height]).toEqual([2, 2]);
    if (png.data) expect([...png.data]).toEqual([0, 128, 255, 255, 64, 0, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
    const grey = readPng(encodePng([0.5], 1, 1, 1));
    if (grey.data) expect([...grey.data]).toEqual([128, 128, 128, 255]);
  });

  it('prefixes SVG ids and their references', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>';
    expect(scopeSvgIds(svg, 'fig')).toBe('<svg><defs><clipPath id="fig-clip1"><rect/></clipPath></defs><g clip-path="url(#fig-clip1)"/><use href="#fig-clip1"/></svg>');
  });

  it('reads a run without lipschitz.jsonl or metrics.jsonl from summary.json alone', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmfuse-report-summary-'));
    try {
      const dir = writeRunFolder(join(root, 'run'), { trials: 3, epochs: 4, lipschitz: false, analysis: false });
      rmSync(join(dir, 'metrics.jsonl'));
      expect(existsSync(join(dir, 'metrics.jsonl'))).toBe(false);
      const content = reportContent(dir);
      const curves = content.figures.find((f) => f.name === 'loss-curves-train')!;
      const point = (curves.spec.data as { values: Array<Record<string, unknown>> }).values.find((v) => v.setup === 'concat' && v.loss === 'joints' && v.epoch === 4)!;
      const expected = meanAndSampleStd([0, 1, 2].map((t) => knownLoss('concat', t, 4, 'train', 'joints')));
      expect(point.mean).toBeCloseTo(expected.mean, 12);
      expect(point.std).toBeCloseTo(expected.std, 12);
      expect(content.sections.find((s) => s.id === 'loss-curves')!.text.join(' ')).toContain('from summary.json');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('claims section', () => {
  const claims = {
    alpha: 0.05,
    results: [
      {
        id: 'lowest-loss',
        statement: 'attention has the lowest test loss',
        verdict: 'inconclusive',
        reason: '0 of 1 comparisons hold; 3 trials per set-up cannot reach α = 0.05',
        comparisons: [
          {
            what: 'final test loss (total), attention < sum',
            a: { label: 'attention', mean: 0.2, std: 0.1, n: 3 },
            b: { label: 'sum', mean: 1.5, std: 1, n: 3 },
            p: 0.05,
            effects: [
              { symbol: 'δ', estimate: -1, lower: -1, upper: -1 },
              { symbol: 'Δmean', estimate: -1.3, lower: -2.2, upper: -0.4 },
            ],
            verdict: 'inconclusive',
            reason: '3 trials per set-up cannot reach α = 0.05',
          },
        ],
      },
      { id: 'best-detection', statement: 'attention separates faulty from clean latents best (ROC-AUC)', verdict: 'contradicted', reason: '1 of 1 comparisons significant the other way', comparisons: [] },
    ],
  };

  it('tables each claim’s verdict and reason and each comparison’s figures, p and effects with intervals, from claims.json', () => {
    const dir = writeRunFolder(join(mkdtempSync(join(tmpdir(), 'mmfuse-report-claims-')), 'run'), { trials: 2, epochs: 2, lipschitz: false, analysis: false });
    writeFileSync(join(dir, 'claims.json'), JSON.stringify(claims));
    const section = reportContent(dir).sections.find((s) => s.id === 'claims')!;
    expect(section.missing).toEqual([]);
    const [table] = section.tables;
    expect(table.head).toEqual(['claim', 'statement / comparison', 'figure per set-up (mean ± std)', 'p', 'effect [95 % CI]', 'verdict', 'reason']);
    expect(table.title).toContain('α = 0.05');
    expect(table.rows.map((row) => row.map((cell) => cell.text))).toEqual([
      ['lowest-loss', 'attention has the lowest test loss', '', '', '', 'inconclusive', '0 of 1 comparisons hold; 3 trials per set-up cannot reach α = 0.05'],
      ['', 'final test loss (total), attention < sum', 'attention 0.20 ± 0.10 (n = 3); sum 1.5 ± 1.0 (n = 3)', '0.05', 'δ = -1 [-1, -1]; Δmean = -1.3 [-2.2, -0.4]', 'inconclusive', '3 trials per set-up cannot reach α = 0.05'],
      ['best-detection', 'attention separates faulty from clean latents best (ROC-AUC)', '', '', '', 'contradicted', '1 of 1 comparisons significant the other way'],
    ]);
  });

  it('says how to get the claims when claims.json is missing or from an earlier version', () => {
    const dir = writeRunFolder(join(mkdtempSync(join(tmpdir(), 'mmfuse-report-claims-')), 'run'), { trials: 2, epochs: 2, lipschitz: false, analysis: false });
    const missing = reportContent(dir).sections.find((s) => s.id === 'claims')!;
    expect(missing.tables).toEqual([]);
    expect(missing.missing.join(' ')).toContain(`No claims.json in this run, so the paper’s claims are not tested here: run mmfuse claims ${dir}`);
    writeFileSync(join(dir, 'claims.json'), JSON.stringify({ alpha: 0.05, results: [{ claim: 'attention has the lowest test loss', status: 'holds', tests: [] }] }));
    const old = reportContent(dir).sections.find((s) => s.id === 'claims')!;
    expect(old.tables).toEqual([]);
    expect(old.missing.join(' ')).toMatch(/claims\.json could not be used \(results\[0\] has no verdict, reason and comparisons \(written by an earlier mmfuse claims\)\): run mmfuse claims /);
  });
});

describe('without resvg’s native binding', () => {
  it('writes the page and the SVG files and says why there are no PNG files', async () => {
    jest.resetModules();
    jest.doMock('@resvg/resvg-js', () => {
      throw new Error("Cannot find module '@resvg/resvg-js-linux-x64-gnu'");
    });
    const { buildReport: build } = require('./build-report') as typeof import('./build-report');
    const { writeRunFolder: write } = require('./testing/fixtures') as typeof import('./testing/fixtures');
    const dir = write(join(mkdtempSync(join(tmpdir(), 'mmfuse-report-nopng-')), 'run'), { trials: 2, epochs: 2 });
    const report = await build(dir);
    expect(report.figures.length).toBeGreaterThan(0);
    expect(report.figures.every((f) => f.png === undefined && existsSync(f.svg))).toBe(true);
    expect(report.notes).toEqual([expect.stringMatching(/^PNG files need @resvg\/resvg-js .*resvg-js-linux-x64-gnu/)]);
    expect(readFileSync(report.html, 'utf8')).not.toMatch(/\.png"/);
    jest.dontMock('@resvg/resvg-js');
  });
});
