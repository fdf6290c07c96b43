import { BOOTSTRAP_RESAMPLES } from './bootstrap';
import { bestDetection, concatSteadier, encodersAboveDecoders, fastestConvergence, lowestLipschitz, lowestLoss, nonInferiorToConcat, robustToModalityLoss } from './claims/claim-checks';
import { ClaimsOptions, ClaimsReport, EffectEstimate, formatP, formatValue, GroupSummary } from './claims/comparison';
import { RunEvidence } from './claims/run-evidence';

export {
  ClaimComparison,
  ClaimResult,
  ClaimsOptions,
  ClaimsReport,
  ComparisonTest,
  EffectEstimate,
  GroupSummary,
  Verdict,
} from './claims/comparison';

/**
 * Tests the paper's ordering claims on a finished run folder, each with the permutation test and
 * effect sizes behind it: attention has the lowest test loss and the lowest Lipschitz constants;
 * encoders' constants exceed decoders'; concatenation varies less across trials than summation;
 * attention separates faulty from clean latents best. "Attention" is one set-up (options.attention),
 * compared against every set-up of another fusion type (variants of the same fusion are left out).
 */
export function checkClaims(runDir: string, options: ClaimsOptions = {}): ClaimsReport {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`checkClaims: alpha must be between 0 and 1, got ${alpha}`);
  const estimator = options.estimator ?? 'jacobian-spectral';
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const margin = options.margin ?? 0.05;
  const e = new RunEvidence(runDir, { ...options, alpha, estimator, resamples });
  const results = [
    lowestLoss(e),
    lowestLipschitz(e),
    encodersAboveDecoders(e),
    concatSteadier(e),
    bestDetection(e),
    nonInferiorToConcat(e, margin),
    robustToModalityLoss(e),
    fastestConvergence(e),
  ];
  return { alpha, estimator, attention: e.attention ?? null, resamples, margin, results };
}

/** "attention 0.919 ± 0.019 (n=5)". */
export function formatGroup(group: GroupSummary): string {
  return `${group.label} ${formatValue(group.mean)} ± ${formatValue(group.std)} (n=${group.n})`;
}

/** "δ = -1 [-1, -0.6]; Δmean = …". */
export function formatEffects(effects: readonly EffectEstimate[]): string {
  return effects.map((e) => `${e.symbol} = ${formatValue(e.estimate)} [${formatValue(e.lower)}, ${formatValue(e.upper)}]`).join('; ');
}

/** The claims as the rows of one table: a row per claim, then one per comparison behind it. */
export function claimsTable(report: ClaimsReport): { head: string[]; rows: string[][] } {
  const head = ['claim', 'statement / comparison', 'figure per set-up (mean ± std)', 'p', 'effect [95 % CI]', 'verdict', 'reason'];
  const rows: string[][] = [];
  for (const r of report.results) {
    rows.push([r.id, r.statement, '', '', '', r.verdict, r.reason]);
    for (const c of r.comparisons) rows.push(['', `  ${c.what}`, `${formatGroup(c.a)}; ${formatGroup(c.b)}`, formatP(c.p), formatEffects(c.effects), c.verdict, c.reason]);
  }
  return { head, rows };
}

/** The claims as text: the table, then how p-values and intervals were found. */
export function formatClaims(report: ClaimsReport): string {
  const { head, rows } = claimsTable(report);
  const all = [head, ...rows];
  // Every column but the last (the reason) is padded to its widest cell.
  const widths = head.map((_, column) => Math.max(...all.map((row) => [...row[column]].length)));
  const lines = all.map((row) => row.map((cell, column) => (column < row.length - 1 ? cell + ' '.repeat(widths[column] - [...cell].length) : cell)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w, column) => '─'.repeat(column < widths.length - 1 ? w : Math.min(w, 40))).join('  '));
  lines.push(
    '',
    `A claim holds when every comparison in it is significant at α = ${report.alpha} in the claimed direction, and is contradicted when one is significant the other way.`,
    'p: one-sided, from the permutation distribution over all splits of the trials (all sign flips for paired trials), mid-ranks for ties; seeded Monte Carlo only beyond the exact size limit.',
    `Effects: a against b, with seeded 95 % percentile bootstrap intervals (${report.resamples} resamples; each set-up resampled on its own, pairs together).`,
  );
  return lines.join('\n');
}
