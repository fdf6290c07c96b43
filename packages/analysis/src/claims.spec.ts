import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { isUserInputError, UserInputError } from '@mmfuse/core';
import { checkClaims, ClaimsReport, formatClaims } from './claims';
import { cliffsDelta, mean } from './statistics';

const LOSSES: Record<string, number[]> = { attention: [0.1, 0.11, 0.12, 0.13, 0.14], concat: [0.4, 0.41, 0.42, 0.415, 0.405], sum: [0.3, 0.5, 0.7, 0.2, 0.9] };

interface FolderOptions {
  losses?: Record<string, number[]>;
  /** Fusion type per set-up (default: the label). */
  types?: Record<string, string>;
  lipschitz?: boolean;
  detection?: boolean;
  robustness?: boolean;
  /** Per-epoch test losses in metrics.jsonl (attention reaches its final level at epoch 1, the others at epoch 4). */
  metrics?: boolean;
  /** Paired trials of encoder and decoder estimates (default: as many as losses). */
  trials?: number;
}

function runFolder(options: FolderOptions = {}): string {
  const losses = options.losses ?? LOSSES;
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-claims-'));
  const setups = Object.fromEntries(Object.entries(losses).map(([setup, values]) => [setup, { fusion: { type: options.types?.[setup] ?? setup }, final: { test: { total: { values } } } }]));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ setups }));
  const trials = options.trials ?? Object.values(losses)[0].length;
  if (options.lipschitz !== false) {
    const rows: object[] = [];
    for (const setup of Object.keys(losses)) {
      for (let trial = 0; trial < trials; trial++) {
        const scale = setup.startsWith('attention') ? 1 : 3;
        for (const epoch of [1, 2]) {
          // Epoch 1 values are larger and must be ignored: claims use each trial's last evaluation.
          const late = epoch === 2 ? 1 : 10;
          rows.push({ setup, trial, epoch, subModel: 'model', estimator: 'jacobian-spectral', value: (scale + trial * 0.01) * late });
          rows.push({ setup, trial, epoch, subModel: 'fusion', estimator: 'jacobian-spectral', value: (scale + trial * 0.02) * late });
          rows.push({ setup, trial, epoch, subModel: 'encoder:camera', estimator: 'jacobian-spectral', value: (5 + trial) * late });
          rows.push({ setup, trial, epoch, subModel: 'decoder:camera', estimator: 'jacobian-spectral', value: (2 + 0.5 * trial) * late });
          rows.push({ setup, trial, epoch, subModel: 'model', estimator: 'jacobian-frobenius', value: 1000 });
        }
      }
    }
    writeFileSync(join(dir, 'lipschitz.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"torn`);
  }
  if (options.detection !== false) {
    mkdirSync(join(dir, 'analysis'));
    const auc = (setup: string, trial: number) => (setup.startsWith('attention') ? 0.9 : 0.6) + trial * 0.01;
    const file = {
      setups: Object.fromEntries(Object.keys(losses).map((s) => [s, { trials: Array.from({ length: trials }, (_, trial) => ({ trial, results: [{ failure: 'a', auc: auc(s, trial) }, { failure: 'b', auc: auc(s, trial) }] })) }])),
    };
    writeFileSync(join(dir, 'analysis', 'failure-detection.json'), JSON.stringify(file));
  }
  if (options.robustness !== false) {
    mkdirSync(join(dir, 'analysis'), { recursive: true });
    // attention loses half as much as the rest; the milder corruption (severity 0.5) must not be the one compared
    const loss = (setup: string, trial: number, base: number) => ({ total: (setup.startsWith('attention') ? base / 2 : base) + trial * 0.001 });
    const curves = (setup: string, trial: number) => [
      { perturbed: 'none', mode: 'clean', severity: 0, loss: loss(setup, trial, 0.1) },
      { perturbed: 'camera', mode: 'drop-zeros', severity: 1, loss: loss(setup, trial, 1) },
      { perturbed: 'camera', mode: 'pixel-gaussian', severity: 0.5, loss: { total: 0.3 } },
      { perturbed: 'camera', mode: 'pixel-gaussian', severity: 1, loss: loss(setup, trial, 0.8) },
    ];
    const file = { setups: Object.fromEntries(Object.keys(losses).map((s) => [s, { trials: Array.from({ length: trials }, (_, trial) => ({ trial, curves: curves(s, trial) })) }])) };
    writeFileSync(join(dir, 'analysis', 'robustness.json'), JSON.stringify(file));
  }
  if (options.metrics !== false) {
    const rows: object[] = [];
    for (const [setup, values] of Object.entries(losses)) {
      values.forEach((final, trial) => {
        const reached = setup.startsWith('attention') ? 1 : 4;
        for (let epoch = 1; epoch <= 6; epoch++) rows.push({ setup, trial, epoch, test: { total: epoch >= reached ? final : final + 10 / epoch } });
      });
    }
    writeFileSync(join(dir, 'metrics.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  }
  return dir;
}

const claim = (report: ClaimsReport, id: string) => report.results.find((r) => r.id === id)!;

describe('checkClaims', () => {
  it('finds every claim holding when the data say so, with exact permutation p-values and bootstrap intervals', () => {
    const report = checkClaims(runFolder());
    expect(report).toMatchObject({ alpha: 0.05, estimator: 'jacobian-spectral', attention: 'attention', resamples: 2000 });
    expect(report.results.map((r) => [r.id, r.statement, r.verdict])).toEqual([
      ['lowest-loss', 'attention has the lowest test loss', 'holds'],
      ['lowest-lipschitz', 'attention has the lowest Lipschitz constants (whole model and fusion)', 'holds'],
      ['encoders-above-decoders', 'encoders have larger Lipschitz constants than decoders', 'holds'],
      ['concat-steadier', 'concatenation varies less across trials than summation', 'holds'],
      ['best-detection', 'attention separates faulty from clean latents best (ROC-AUC)', 'holds'],
      ['non-inferior-to-concat', "attention's clean test loss is no worse than concatenation's by more than 5 % of concatenation's mean", 'holds'],
      ['robust-to-modality-loss', 'attention loses less than concatenation when one modality is missing or corrupted at test time', 'holds'],
      ['fastest-convergence', 'attention converges fastest (fewest epochs until the test loss first reaches a level both set-ups attain)', 'holds'],
    ]);
    // 5 trials reaching the level at epoch 1 against 5 at epoch 4 (concat's mean 0.41 × 1.05 is the level).
    expect(claim(report, 'fastest-convergence').comparisons.map((c) => [c.what, c.a.values, c.b.values, c.p])).toEqual([
      ['epochs until the test loss (total) ≤ 0.43 (105 % of the worse final mean), attention < concat', [1, 1, 1, 1, 1], [4, 4, 4, 4, 4], 1 / 252],
      // sum's trials ending at 0.7 and 0.9 never reach 0.546 in 6 epochs: counted as epoch 7.
      ['epochs until the test loss (total) ≤ 0.546 (105 % of the worse final mean), attention < sum', [1, 1, 1, 1, 1], [4, 4, 7, 4, 7], 1 / 252],
    ]);
    expect(claim(report, 'robust-to-modality-loss').comparisons.map((c) => [c.what, c.p])).toEqual([
      ['test loss (total), camera dropped (zeros), attention < concat', 1 / 252],
      ['test loss (total), camera with pixel-gaussian at severity 1, attention < concat', 1 / 252],
    ]);
    // 5 against 5, completely separated: one split of C(10, 5) = 252 is as extreme.
    const loss = claim(report, 'lowest-loss').comparisons.find((c) => c.b.label === 'sum')!;
    expect(loss).toMatchObject({ what: 'final test loss (total), attention < sum', test: 'rank-sum', method: 'exact', p: 1 / 252, pOpposite: 1, minimumP: 1 / 252, verdict: 'holds' });
    expect(loss.a).toEqual({ label: 'attention', mean: expect.closeTo(0.12, 12), std: expect.closeTo(Math.sqrt(0.00025), 10), n: 5, values: LOSSES.attention });
    const [delta, difference] = loss.effects;
    expect(delta).toMatchObject({ symbol: 'δ', estimate: -1, lower: -1, upper: -1 });
    expect(difference.estimate).toBeCloseTo(mean(LOSSES.attention) - mean(LOSSES.sum), 14);
    expect(difference.lower).toBeLessThan(difference.estimate);
    expect(difference.upper).toBeGreaterThan(difference.estimate);
    // Encoders exceed decoders in every one of 5 paired trials: one-sided p = 1/2⁵.
    expect(claim(report, 'encoders-above-decoders').comparisons[0]).toMatchObject({ test: 'signed-rank', p: 1 / 32, effects: [{ symbol: 'r', estimate: 1 }, { symbol: 'Δmean' }] });
    // The last evaluation only: epoch 1's tenfold values never enter.
    expect(claim(report, 'lowest-lipschitz').comparisons[0].a.mean).toBeCloseTo(1.02, 10);
    // Every absolute deviation of concat is below every one of sum: 1/252 again, by the Levene permutation test.
    expect(claim(report, 'concat-steadier').comparisons[0]).toMatchObject({ test: 'levene', p: 1 / 252, effects: [{ symbol: 'SD ratio' }, { symbol: 'ΔSD' }] });
    expect(claim(report, 'concat-steadier').reason).toBe('the comparison is significant at α = 0.05 in the claimed direction');
    expect(claim(report, 'lowest-lipschitz').reason).toBe('all 4 comparisons are significant at α = 0.05 in the claimed direction');
    // Reproducible: the bootstrap seeds come from the claims.
    expect(checkClaims(runFolder())).toEqual(report);
  });

  it('tests non-inferiority to concatenation by shifting attention\'s losses by the margin', () => {
    // concat's mean is 0.41, so Δ = 0.05 × 0.41 = 0.0205: attention − Δ lies below every concat loss
    const losses = { ...LOSSES, attention: [0.39, 0.395, 0.4, 0.41, 0.415] };
    const within = claim(checkClaims(runFolder({ losses, lipschitz: false, detection: false, robustness: false })), 'non-inferior-to-concat');
    expect(within.comparisons[0]).toMatchObject({ what: 'final test loss (total), attention < concat + 0.0205', p: 1 / 252, verdict: 'holds' });
    // without a margin the same losses overlap concat's: not significant either way
    const strict = claim(checkClaims(runFolder({ losses, lipschitz: false, detection: false, robustness: false }), { margin: 0 }), 'non-inferior-to-concat');
    expect(strict.verdict).toBe('inconclusive');
    expect(strict.comparisons[0].p).toBeGreaterThan(0.05);
    // a variant far worse than concat is contradicted
    const worse = claim(checkClaims(runFolder({ losses: { ...LOSSES, attention: LOSSES.concat.map((v) => v * 2) }, lipschitz: false, detection: false, robustness: false })), 'non-inferior-to-concat');
    expect(worse.verdict).toBe('contradicted');
  });

  it('calls a claim contradicted when a comparison is significant the other way, and says what the run lacks', () => {
    const reversed: Record<string, number[]> = { ...LOSSES, attention: LOSSES.attention.map((v) => v + 1) };
    const report = checkClaims(runFolder({ losses: reversed, lipschitz: false, detection: false, robustness: false }));
    // Convergence is judged on the curves alone: this folder's attention still gets there first.
    expect(report.results.map((r) => r.verdict)).toEqual(['contradicted', 'inconclusive', 'inconclusive', 'holds', 'inconclusive', 'contradicted', 'inconclusive', 'holds']);
    const loss = claim(report, 'lowest-loss');
    expect(loss.comparisons[0]).toMatchObject({ p: 1, pOpposite: 1 / 252, verdict: 'contradicted', reason: 'significant the other way: p = 0.004 < α = 0.05' });
    expect(loss.comparisons[0].effects[0].estimate).toBe(cliffsDelta(reversed.attention, reversed.concat));
    expect(loss.reason).toMatch(/^2 of 2 comparisons significant the other way/);
    expect(claim(report, 'lowest-lipschitz')).toMatchObject({ comparisons: [], reason: expect.stringMatching(/lipschitz\.jsonl/) });
    expect(claim(report, 'best-detection').reason).toMatch(/failure-detection/);
    expect(claim(report, 'robust-to-modality-loss').reason).toMatch(/robustness/);
  });

  it('says when the number of trials cannot reach α at all, from the sample sizes, and how many would', () => {
    const three = { attention: [0.1, 0.2, 0.3], concat: [1.0, 1.01, 1.02], sum: [0.5, 1.5, 2.5] };
    const report = checkClaims(runFolder({ losses: three }));
    const loss = claim(report, 'lowest-loss');
    expect(loss.verdict).toBe('inconclusive');
    // Completely separated, yet p = 1/C(6, 3) = 1/20 is the best 3 against 3 can do.
    expect(loss.comparisons[0]).toMatchObject({ p: 0.05, minimumP: 0.05, verdict: 'inconclusive' });
    const design = '3 trials per set-up cannot reach α = 0.05 with a one-sided rank test (smallest attainable p = 1/20 = 0.05); use ≥ 4 per set-up';
    expect(loss.comparisons[0].reason).toBe(design);
    expect(loss.reason).toBe(`0 of 2 comparisons hold; ${design}`);
    expect(claim(report, 'concat-steadier').comparisons[0].reason).toBe(design.replace('rank test', 'permutation test'));
    // Three pairs of encoder and decoder estimates: 2⁻³ = 0.125 at best.
    expect(claim(report, 'encoders-above-decoders').comparisons[0].reason).toBe(
      '3 paired trials cannot reach α = 0.05 with a one-sided signed-rank test (smallest attainable p = 1/2^3 = 0.125); use ≥ 5 paired trials',
    );
    // At α = 0.1 the same data decide: 1/20 < 0.1.
    const lenient = checkClaims(runFolder({ losses: three }), { alpha: 0.1 });
    expect(claim(lenient, 'lowest-loss').verdict).toBe('holds');
    expect(claim(lenient, 'encoders-above-decoders').comparisons[0].reason).toMatch(/1\/2\^3 = 0\.125\); use ≥ 4 paired trials$/);
  });

  it('gives comparisons with the same rank pattern the same p-value, ties or not', () => {
    // Attention below sum and below concat in every trial; concat's values tie, sum's do not.
    const losses = { attention: [0.1, 0.11, 0.12, 0.13, 0.14], concat: [1.414, 1.414, 1.414, 1.415, 1.413], sum: [0.3, 0.5, 0.7, 0.2, 0.9] };
    const [concat, sum] = claim(checkClaims(runFolder({ losses })), 'lowest-loss').comparisons;
    expect([concat.b.label, sum.b.label]).toEqual(['concat', 'sum']);
    expect(sum.p).toBe(1 / 252);
    expect(concat.p).toBe(sum.p);
    expect(concat.method).toBe(sum.method);
  });

  it('treats the named set-up as attention and compares it with the set-ups of other fusion types', () => {
    const losses = { ...LOSSES, 'attention-residual': [0.05, 0.06, 0.07, 0.08, 0.09] };
    const types = { 'attention-residual': 'attention' };
    const standard = checkClaims(runFolder({ losses, types }));
    expect(standard.attention).toBe('attention');
    // The residual variant is another attention, not one of the fusions attention is compared with.
    expect(claim(standard, 'lowest-loss').comparisons.map((c) => c.b.label)).toEqual(['concat', 'sum']);
    const variant = checkClaims(runFolder({ losses, types }), { attention: 'attention-residual' });
    expect(variant.attention).toBe('attention-residual');
    expect(claim(variant, 'lowest-loss').statement).toBe('attention ("attention-residual") has the lowest test loss');
    expect(claim(variant, 'lowest-loss').comparisons.map((c) => c.what)).toEqual(['final test loss (total), attention-residual < concat', 'final test loss (total), attention-residual < sum']);
    expect(claim(variant, 'best-detection').comparisons.map((c) => c.a.label)).toEqual(['attention-residual', 'attention-residual']);
    // A set-up whose label is not its fusion type is found by type when it is the only one.
    const renamed = checkClaims(runFolder({ losses: { att: LOSSES.attention, concat: LOSSES.concat, sum: LOSSES.sum }, types: { att: 'attention' } }));
    expect(renamed.attention).toBe('att');
    // Two attention set-ups and none labelled "attention": which one is meant must be said.
    const ambiguous = checkClaims(runFolder({ losses: { a1: LOSSES.attention, a2: LOSSES.attention, sum: LOSSES.sum }, types: { a1: 'attention', a2: 'attention' } }));
    expect(ambiguous.attention).toBeNull();
    expect(claim(ambiguous, 'lowest-loss')).toMatchObject({ verdict: 'inconclusive', reason: 'no set-up labelled "attention" among a1, a2, sum (choose one with --attention <label>)' });
  });

  it('refuses an attention label the run does not have, naming it and the run’s set-ups', () => {
    let error: unknown;
    try {
      checkClaims(runFolder(), { attention: 'attn' });
    } catch (e) {
      error = e;
    }
    expect(isUserInputError(error)).toBe(true);
    expect((error as UserInputError).lines).toEqual(['attention set-up "attn": not in this run; expected one of attention, concat, sum']);
  });

  it('names a missing summary as bad input', () => {
    expect(() => checkClaims(mkdtempSync(join(tmpdir(), 'mmfuse-claims-')))).toThrow(UserInputError);
  });
});

describe('formatClaims', () => {
  it('tables each claim and comparison with figures per set-up, p, effects with intervals, verdict and reason', () => {
    const report = checkClaims(runFolder({ losses: { attention: [0.1, 0.2, 0.3], concat: [1.0, 1.01, 1.02], sum: [0.5, 1.5, 2.5] } }));
    const lines = formatClaims(report).split('\n');
    expect(lines[0]).toMatch(/^claim +statement \/ comparison +figure per set-up \(mean ± std\) +p +effect \[95 % CI\] +verdict +reason$/);
    expect(lines[1]).toMatch(/^─+ +─+/);
    const claimRow = lines.find((l) => l.startsWith('lowest-loss '))!;
    expect(claimRow).toMatch(/attention has the lowest test loss +inconclusive +0 of 2 comparisons hold; 3 trials per set-up cannot reach α = 0\.05/);
    const comparisonRow = lines.find((l) => l.includes('final test loss (total), attention < concat'))!;
    expect(comparisonRow).toMatch(/attention 0\.2 ± 0\.1 \(n=3\); concat 1\.01 ± 0\.01 \(n=3\) +0\.05 +δ = -1 \[-1, -1\]; Δmean = -0\.81 \[[-.\d]+, [-.\d]+\] +inconclusive +3 trials per set-up/);
    // Columns line up: every verdict starts where the header's does.
    const verdictColumn = lines[0].indexOf('verdict');
    for (const line of lines.filter((l) => /\b(holds|contradicted|inconclusive)\b/.test(l) && !l.startsWith('A claim'))) {
      expect(line.slice(verdictColumn)).toMatch(/^(holds|contradicted|inconclusive) /);
    }
    expect(lines.join('\n')).toMatch(/seeded 95 % percentile bootstrap intervals \(2000 resamples/);
  });
});
