import { estimatorLabel, finalLipschitz, orderEstimators, orderSubModels, Split } from './aggregates';
import type { ClaimsFile, FailureDetectionFile, RunData } from './run-data';
import { lossKeysOf, setupsOf } from './run-data';
import { formatMeanStd, formatNumber, meanStd } from './statistics';

/** A table cell: its text and, for statistics, the numbers behind it (written as data attributes). */
export interface TableCell {
  text: string;
  mean?: number;
  std?: number;
  n?: number;
  /** The best value of its column (lowest loss), highlighted on the page and in LaTeX. */
  best?: boolean;
}

export interface ReportTable {
  id: string;
  title: string;
  head: string[];
  rows: TableCell[][];
  note?: string;
}

const text = (t: string | number): TableCell => ({ text: String(t) });

/** Marks the lowest mean of each column `first..first+count-1` as best (ties all marked; needs two rows to compare). */
function markLowest(rows: TableCell[][], first: number, count: number): void {
  if (rows.length < 2) return;
  for (let c = first; c < first + count; c++) {
    const means = rows.map((r) => r[c]?.mean).filter((m): m is number => typeof m === 'number' && Number.isFinite(m));
    if (means.length < 2) continue;
    const lowest = Math.min(...means);
    for (const r of rows) if (r[c]?.mean === lowest) r[c] = { ...r[c], best: true };
  }
}

/** Seconds per epoch, time per trial and peak memory per set-up, from metrics.jsonl. */
export function resourcesTable(data: RunData): ReportTable | undefined {
  const rows: TableCell[][] = [];
  for (const setup of setupsOf(data)) {
    const metrics = data.metrics.filter((m) => m.setup === setup && typeof m.seconds === 'number');
    if (metrics.length === 0) continue;
    const trials = [...new Set(metrics.map((m) => m.trial))];
    const perTrial = trials.map((t) => metrics.filter((m) => m.trial === t).reduce((sum, m) => sum + m.seconds!, 0));
    const rss = metrics.map((m) => m.memory?.rssMB).filter((v): v is number => typeof v === 'number');
    const tensors = metrics.map((m) => m.memory?.tensors).filter((v): v is number => typeof v === 'number');
    rows.push([
      text(setup),
      stat(meanStd(metrics.map((m) => m.seconds!))),
      stat(meanStd(perTrial)),
      text(rss.length > 0 ? formatNumber(Math.max(...rss)) : '—'),
      text(tensors.length > 0 ? String(Math.max(...tensors)) : '—'),
      text(trials.length),
    ]);
  }
  if (rows.length === 0) return undefined;
  markLowest(rows, 1, 2);
  return {
    id: 'time-and-memory',
    title: 'Time and memory per set-up (training and test evaluation; callbacks not included)',
    head: ['set-up', 'seconds per epoch', 'seconds per trial', 'peak RSS (MB)', 'peak tensors', 'trials'],
    rows,
    note: 'Seconds: mean ± sample std over epochs and over trials; RSS is the whole process, so set-ups trained in one process share it.',
  };
}

/** A table as CSV (RFC 4180 quoting), statistics as mean and std columns. */
export function tableCsv(table: ReportTable): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const statColumns = table.head.map((_, c) => table.rows.some((r) => r[c]?.mean !== undefined));
  const head = table.head.flatMap((h, c) => (statColumns[c] ? [`${h} mean`, `${h} std`, `${h} n`] : [h]));
  const rows = table.rows.map((r) => table.head.flatMap((_, c) => (statColumns[c] ? (r[c]?.mean !== undefined ? [String(r[c].mean), String(r[c].std), String(r[c].n ?? '')] : [r[c]?.text ?? '', '', '']) : [r[c]?.text ?? ''])));
  return [head, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}

/** A table as a LaTeX tabular (booktabs), the best values in bold. */
export function tableLatex(table: ReportTable): string {
  const special: Record<string, string> = { '\\': '\\textbackslash{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}' };
  // One pass over the special characters, then the typographic ones (whose replacements use them).
  const escape = (v: string) => v.replace(/[\\&%$#_{}~^]/g, (ch) => special[ch]).replace(/±/g, '$\\pm$').replace(/—/g, '---').replace(/–/g, '--');
  const cell = (c: TableCell | undefined) => (c ? (c.best ? `\\textbf{${escape(c.text)}}` : escape(c.text)) : '');
  const align = table.head.map((_, c) => (table.rows.some((r) => r[c]?.mean !== undefined) ? 'r' : 'l')).join('');
  return [
    '% Needs \\usepackage{booktabs}.',
    '\\begin{table}',
    '\\centering',
    `\\caption{${escape(table.title)}}`,
    `\\label{tab:${table.id}}`,
    `\\begin{tabular}{${align}}`,
    '\\toprule',
    `${table.head.map(escape).join(' & ')} \\\\`,
    '\\midrule',
    ...table.rows.map((r) => `${table.head.map((_, c) => cell(r[c])).join(' & ')} \\\\`),
    '\\bottomrule',
    '\\end{tabular}',
    '\\end{table}',
    '',
  ].join('\n');
}
const stat = (s: { mean: number; std: number; n?: number }): TableCell => ({ text: formatMeanStd(s), mean: s.mean, std: s.std, n: s.n });

/** Table 1 of the paper: final MSE per set-up and loss (each modality, total), mean ± sample std over finished trials. */
export function lossTable(data: RunData, split: Split = 'test'): ReportTable {
  const keys = lossKeysOf(data);
  const rows = setupsOf(data).map((setup) => {
    const s = data.summary.setups[setup];
    const finished = s.trials ?? s.final[split][keys[0]]?.n ?? 0;
    const diverged = s.diverged?.length ?? 0;
    return [
      text(setup),
      ...keys.map((k) => {
        const cell = s.final[split][k];
        if (!cell) return text('—');
        // Recomputed from the trials' values when present, so the table and the boxplots agree.
        return stat(cell.values && cell.values.length > 0 ? meanStd(cell.values) : cell);
      }),
      text(diverged > 0 ? `${finished} (+${diverged} diverged)` : finished),
    ];
  });
  markLowest(rows, 1, keys.length);
  return {
    id: `final-${split}-loss`,
    title: `Final ${split} MSE per set-up (mean ± sample std over trials)`,
    head: ['set-up', ...keys, 'trials'],
    rows,
    note: split === 'test' && rows.some((r) => r[r.length - 1].text.includes('diverged')) ? 'Diverged trials are not part of any mean.' : undefined,
  };
}

/** Final Lipschitz estimate and certified bound per set-up and sub-model, mean ± std over trials. */
export function lipschitzTable(data: RunData): ReportTable | undefined {
  const finals = finalLipschitz(data);
  if (finals.length === 0) return undefined;
  const estimators = orderEstimators(finals.map((f) => f.estimator));
  const subModels = orderSubModels(finals.map((f) => f.subModel));
  const setups = [...setupsOf(data), ...finals.map((f) => f.setup).filter((s) => !(s in data.summary.setups))];
  const rows: TableCell[][] = [];
  for (const setup of [...new Set(setups)]) {
    for (const subModel of subModels) {
      const cells = estimators.map((e) => finals.find((f) => f.setup === setup && f.subModel === subModel && f.estimator === e));
      if (cells.every((c) => !c)) continue;
      rows.push([text(setup), text(subModel), ...cells.map((c) => (c ? stat(c) : text('—')))]);
    }
  }
  return {
    id: 'final-lipschitz',
    title: 'Final Lipschitz constants per set-up and sub-model (each trial’s last evaluation; mean ± sample std over trials)',
    head: ['set-up', 'sub-model', ...estimators.map(estimatorLabel)],
    rows,
    note: data.lipschitz.length > 0 ? undefined : 'From summary.json (callbacks.lipschitz); the per-epoch rows file was not found.',
  };
}

/** Failure detection per set-up and failure: rates over trials and confusion counts summed over trials. */
export function failureDetectionTable(file: FailureDetectionFile): ReportTable {
  const rows: TableCell[][] = [];
  for (const [setup, entry] of Object.entries(file.setups)) {
    const failures = [...new Set(entry.trials.flatMap((t) => t.results.map((r) => r.failure)))];
    for (const failure of failures) {
      const results = entry.trials.flatMap((t) => t.results.filter((r) => r.failure === failure));
      const rate = (pick: (r: (typeof results)[number]) => number | undefined) => {
        const values = results.map(pick).filter((v): v is number => typeof v === 'number');
        return values.length > 0 ? stat(meanStd(values)) : text('—');
      };
      const sum = (k: 'tp' | 'fp' | 'tn' | 'fn') => results.reduce((s, r) => s + (r.confusion?.[k] ?? 0), 0);
      rows.push([text(setup), text(failure), rate((r) => r.tpr), rate((r) => r.fpr), rate((r) => r.auc), text(`${sum('tp')} / ${sum('fp')} / ${sum('tn')} / ${sum('fn')}`), text(results.length)]);
    }
  }
  return {
    id: 'failure-detection-rates',
    title: 'Failure detection on kPCA distances of the latents (rates: mean ± std over trials; counts: summed over trials)',
    head: ['set-up', 'failure', 'TPR', 'FPR', 'AUC', 'TP / FP / TN / FN', 'trials'],
    rows,
  };
}

/** The claims of `mmfuse claims`: a row per claim with its verdict and reason, then one per comparison behind it. */
export function claimsTable(file: ClaimsFile): ReportTable {
  const rows: TableCell[][] = [];
  const group = (g: { label: string; mean: number; std: number; n: number }) => `${g.label} ${formatMeanStd(g)} (n = ${g.n})`;
  for (const claim of file.results) {
    rows.push([text(claim.id), text(claim.statement), text(''), text(''), text(''), text(claim.verdict), text(claim.reason)]);
    for (const c of claim.comparisons) {
      const effects = c.effects.map((e) => `${e.symbol} = ${formatNumber(e.estimate)} [${formatNumber(e.lower)}, ${formatNumber(e.upper)}]`);
      rows.push([text(''), text(c.what), text(`${group(c.a)}; ${group(c.b)}`), text(formatNumber(c.p)), text(effects.join('; ')), text(c.verdict), text(c.reason)]);
    }
  }
  return {
    id: 'claims',
    title: `The paper’s claims: one-sided permutation tests at α = ${file.alpha}, effect sizes with 95 % bootstrap intervals`,
    head: ['claim', 'statement / comparison', 'figure per set-up (mean ± std)', 'p', 'effect [95 % CI]', 'verdict', 'reason'],
    rows,
    note: 'A claim holds when every comparison in it is significant in the claimed direction, and is contradicted when one is significant the other way; otherwise it is inconclusive.',
  };
}
