import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { aucCells, aucStandardError, buildReport, lossCurveFigure, LossCurvePoint, robustnessFigure, rocPoints, spansDecades, tableCsv, tableLatex } from './index';
import type { FailureDetectionFile, RobustnessFile } from './index';
import { writeRunFolder } from './testing/fixtures';

/** Mann–Whitney AUC: P(faulty > clean) + ½ P(tie), by counting pairs. */
function pairAuc(clean: number[], faulty: number[]): number {
  let wins = 0;
  for (const f of faulty) for (const c of clean) wins += f > c ? 1 : f === c ? 0.5 : 0;
  return wins / (clean.length * faulty.length);
}

describe('the failure-detection summary', () => {
  it("has Hanley and McNeil's standard error of an AUC, worked by hand for A = 0.8 and 50 samples a side", () => {
    // Q1 = 0.8/1.2, Q2 = 1.28/1.8; SE² = [0.16 + 49(Q1 − 0.64) + 49(Q2 − 0.64)] / 2500.
    const q1 = 0.8 / 1.2;
    const q2 = 1.28 / 1.8;
    expect(aucStandardError(0.8, 50, 50)).toBeCloseTo(Math.sqrt((0.16 + 49 * (q1 - 0.64) + 49 * (q2 - 0.64)) / 2500), 12);
    expect(aucStandardError(0.8, 50, 50)).toBeCloseTo(0.0445, 4);
    // More samples, a tighter estimate; none, no estimate.
    expect(aucStandardError(0.8, 500, 500)).toBeLessThan(aucStandardError(0.8, 50, 50) / 3);
    expect(aucStandardError(0.8, 0, 50)).toBe(Infinity);
  });

  it('draws ROC curves whose area is the pairwise AUC, from (0, 0) to (1, 1)', () => {
    const clean = [0.3, 1.2, 0.8, 2.5, 1.1, 0.4, 1.9, 0.7];
    const faulty = [2.2, 0.9, 3.1, 1.5, 2.8, 1.2];
    const curve = rocPoints(clean, faulty);
    expect(curve[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(curve[curve.length - 1]).toEqual({ fpr: 1, tpr: 1 });
    let area = 0;
    for (let i = 1; i < curve.length; i++) area += ((curve[i].fpr - curve[i - 1].fpr) * (curve[i].tpr + curve[i - 1].tpr)) / 2;
    expect(area).toBeCloseTo(pairAuc(clean, faulty), 12);
    // Separated distances: the curve reaches a true positive rate of 1 before any false positive.
    expect(rocPoints([1, 2], [5, 6])).toContainEqual({ fpr: 0, tpr: 1 });
  });

  it('marks an AUC as chance only while it is within 1.96 standard errors of 0.5', () => {
    const result = (auc: number, n: number) => ({ failure: 'f', threshold: 1, auc, confusion: { tp: n, fn: n, tn: n, fp: n } });
    const file: FailureDetectionFile = {
      setups: {
        few: { trials: [{ trial: 0, results: [result(0.6, 5)] }] },
        many: { trials: [{ trial: 0, results: [result(0.6, 500)] }] },
        below: { trials: [{ trial: 0, results: [result(0.3, 500)] }] },
      },
    };
    const cells = aucCells(file);
    expect(cells.map((c) => [c.setup, c.chance])).toEqual([
      ['few', true],
      ['many', false],
      ['below', false],
    ]);
    for (const c of cells) expect(c.chance).toBe(Math.abs(c.auc - 0.5) < 1.96 * c.se);
  });
});

describe('loss axes', () => {
  const points = (values: number[]): LossCurvePoint[] => values.map((mean, epoch) => ({ setup: 's', split: 'train', loss: 'total', epoch: epoch + 1, mean, std: mean / 2, lower: mean / 2, upper: mean * 1.5, n: 3 }));
  const scaleOf = (figure: ReturnType<typeof lossCurveFigure>) => JSON.stringify(figure.spec).includes('"type":"log"') ? 'log' : 'linear';

  it('are logarithmic by default where the values span a decade, linear otherwise, and as asked', () => {
    expect(spansDecades([1, 0.5, 0.09])).toBe(true);
    expect(spansDecades([1, 0.5, 0.11])).toBe(false);
    expect(spansDecades([1, 0, 0.01])).toBe(false);
    expect(scaleOf(lossCurveFigure(points([1, 0.3, 0.05]), 'train', ['s'], ['total']))).toBe('log');
    expect(scaleOf(lossCurveFigure(points([1, 0.6, 0.5]), 'train', ['s'], ['total']))).toBe('linear');
    expect(scaleOf(lossCurveFigure(points([1, 0.3, 0.05]), 'train', ['s'], ['total'], 'linear'))).toBe('linear');
    expect(scaleOf(lossCurveFigure(points([1, 0.6, 0.5]), 'train', ['s'], ['total'], 'log'))).toBe('log');
    // A band reaching zero is clipped for the log axis, never drawn at or below zero.
    const band = lossCurveFigure(points([1, 0.3, 0.05]).map((p) => ({ ...p, lower: p.mean - p.std * 3 })), 'train', ['s'], ['total']);
    for (const v of (band.spec.data as { values: LossCurvePoint[] }).values) expect(v.lower).toBeGreaterThan(0);
  });
});

describe('the robustness figure', () => {
  it('has a panel for each measured curve and points for single-severity drops, so no panel is empty', () => {
    const curves = [
      { perturbed: 'none', mode: 'clean', severity: 0, loss: { total: 1 } },
      { perturbed: 'camera', mode: 'drop-zeros', severity: 1, loss: { total: 3 } },
      { perturbed: 'joints', mode: 'drop-mean', severity: 1, loss: { total: 2 } },
      ...[0.5, 1].map((severity) => ({ perturbed: 'camera', mode: 'dust', severity, loss: { total: 1 + severity } })),
      ...[0.5, 1].map((severity) => ({ perturbed: 'joints', mode: 'spikes', severity, loss: { total: 1 + 2 * severity } })),
    ];
    const file: RobustnessFile = { setups: { a: { trials: [{ trial: 0, curves }] } } };
    const spec = robustnessFigure(file, ['a'])!.spec as { vconcat: Array<{ data: { values: Array<Record<string, unknown>> }; facet?: { sort: string[] } }> };
    const [lines, points] = spec.vconcat;
    expect(lines.facet!.sort).toEqual(['camera · dust', 'joints · spikes']);
    // Every panel has data, and each curve starts at the clean loss.
    for (const panel of lines.facet!.sort) {
      const rows = lines.data.values.filter((v) => v.panel === panel);
      expect(rows.map((r) => r.severity)).toEqual([0, 0.5, 1]);
      expect(rows[0].mean).toBe(1);
    }
    expect(points.data.values.map((v) => v.condition)).toEqual(['clean', 'camera drop-zeros', 'joints drop-mean']);
  });
});

describe('the redesigned page', () => {
  let root: string;
  let html: string;
  let reportDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mmfuse-report-layout-'));
    const report = await buildReport(writeRunFolder(join(root, 'run')));
    reportDir = join(root, 'run', 'report');
    html = readFileSync(report.html, 'utf8');
  }, 30000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('folds the per-failure details and the config away, and shows time and memory per set-up', () => {
    const details = html.match(/<section id="failure-detection-details">\s*<details><summary>[^<]+<\/summary>([\s\S]*?)<\/details>\s*<\/section>/);
    expect(details).not.toBeNull();
    expect(details![1]).toContain('id="figure-confusion-matrices"');
    expect(details![1]).toContain('id="failure-detection-rates"');
    expect(html).toMatch(/<section id="config">\s*<details><summary>Configuration[^<]*<\/summary>\s*<pre class="config">\{/);
    expect(html).toContain('<table id="time-and-memory">');
    // The AUC heatmap and ROC curves stay open, before the details.
    expect(html.indexOf('id="figure-failure-auc"')).toBeLessThan(html.indexOf('id="failure-detection-details"'));
  });

  it('highlights the lowest mean of each loss column, and writes each table as CSV and LaTeX beside the page', () => {
    const table = html.match(/<table id="final-test-loss">([\s\S]*?)<\/table>/)![1];
    const best = [...table.matchAll(/<td class="stat best" data-mean="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(best.length).toBeGreaterThan(0);
    const means = [...table.matchAll(/data-mean="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...best)).toBe(Math.min(...means));
    const csv = readFileSync(join(reportDir, 'tables', 'final-test-loss.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^set-up,camera mean,camera std,camera n,/);
    expect(csv).toHaveLength(1 + (table.match(/<tr>/g)!.length - 1));
    const tex = readFileSync(join(reportDir, 'tables', 'final-test-loss.tex'), 'utf8');
    expect(tex).toContain('\\begin{tabular}');
    expect(tex).toMatch(/\\textbf\{[0-9.]+ \$\\pm\$ [0-9.]+\}/);
    expect(html).toContain('href="tables/final-test-loss.csv"');
  });

  it('escapes LaTeX and CSV specials', () => {
    const table = { id: 't', title: 'a_b & 50%', head: ['x', 'y'], rows: [[{ text: 'p, "q"' }, { text: '1 ± 2', mean: 1, std: 2, n: 3, best: true }]] };
    expect(tableCsv(table)).toBe('x,y mean,y std,y n\n"p, ""q""",1,2,3\n');
    expect(tableLatex(table)).toContain('\\caption{a\\_b \\& 50\\%}');
    expect(tableLatex(table)).toContain('p, "q" & \\textbf{1 $\\pm$ 2} \\\\');
  });
});
