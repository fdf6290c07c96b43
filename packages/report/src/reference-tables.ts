import type { Split } from './aggregates';
import type { RunData } from './run-data';
import { lossKeysOf, setupsOf } from './run-data';
import { formatMeanStd, meanStd } from './statistics';
import type { ReportTable, TableCell } from './tables';

/** Published values as the run's config.json holds them, read leniently: anything malformed is left out. */
interface Reference {
  source: string;
  trials?: number;
  losses: Partial<Record<Split, Record<string, Record<string, [number, number]>>>>;
}

const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function readReference(config: Record<string, unknown> | undefined): Reference | undefined {
  const r = config?.reference as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object' || typeof r.source !== 'string' || typeof r.losses !== 'object' || r.losses === null) return undefined;
  const losses: Reference['losses'] = {};
  for (const split of ['train', 'test'] as const) {
    const bySetup = (r.losses as Record<string, unknown>)[split];
    if (!bySetup || typeof bySetup !== 'object') continue;
    const kept: Record<string, Record<string, [number, number]>> = {};
    for (const [setup, values] of Object.entries(bySetup)) {
      if (!values || typeof values !== 'object') continue;
      const pairs = Object.entries(values as Record<string, unknown>).filter((e): e is [string, [number, number]] => isPair(e[1]));
      if (pairs.length > 0) kept[setup] = Object.fromEntries(pairs);
    }
    if (Object.keys(kept).length > 0) losses[split] = kept;
  }
  return { source: r.source, trials: typeof r.trials === 'number' ? r.trials : undefined, losses };
}

const lowest = (entries: Array<[string, number | undefined]>) => {
  const known = entries.filter((e): e is [string, number] => e[1] !== undefined);
  return known.length > 1 ? known.reduce((a, b) => (b[1] < a[1] ? b : a))[0] : undefined;
};

/**
 * The run's final losses beside the published ones its config names (`reference`), one table per
 * split in the paper's layout: a row per set-up, and for each loss the run's mean ± std then the
 * published one. The note says, per loss, which set-up is lowest in each, so an ordering that
 * differs from the publication is seen at once.
 */
export function referenceTables(data: RunData): ReportTable[] {
  const reference = readReference(data.config);
  if (!reference) return [];
  const tables: ReportTable[] = [];
  for (const split of ['train', 'test'] as const) {
    const published = reference.losses[split];
    if (!published) continue;
    const runKeys = lossKeysOf(data);
    const keys = [...new Set(Object.values(published).flatMap((v) => Object.keys(v)))].sort((a, b) => (runKeys.includes(a) ? runKeys.indexOf(a) : 99) - (runKeys.includes(b) ? runKeys.indexOf(b) : 99));
    const setups = [...new Set([...Object.keys(published), ...setupsOf(data).filter((s) => s in published)])];
    const ours = (setup: string, key: string) => {
      const cell = data.summary.setups[setup]?.final[split][key];
      if (!cell) return undefined;
      return cell.values && cell.values.length > 0 ? meanStd(cell.values) : cell;
    };
    const rows: TableCell[][] = setups.map((setup) => [
      { text: setup },
      ...keys.flatMap((key): TableCell[] => {
        const mine = ours(setup, key);
        const theirs = published[setup]?.[key];
        return [
          mine ? { text: formatMeanStd(mine), mean: mine.mean, std: mine.std, n: mine.n } : { text: '—' },
          theirs ? { text: formatMeanStd({ mean: theirs[0], std: theirs[1] }), mean: theirs[0], std: theirs[1], n: reference.trials } : { text: '—' },
        ];
      }),
    ]);
    const orderings = keys.map((key) => {
      const here = lowest(setups.map((s) => [s, ours(s, key)?.mean]));
      const there = lowest(setups.map((s) => [s, published[s]?.[key]?.[0]]));
      return `${key}: lowest here ${here ?? '—'}, published ${there ?? '—'}${here && there && here !== there ? ' (differs)' : ''}`;
    });
    tables.push({
      id: `reference-${split}-loss`,
      title: `Final ${split} MSE beside ${reference.source} (mean ± sample std over trials)`,
      head: ['set-up', ...keys.flatMap((k) => [`${k}, this run`, `${k}, published`])],
      rows,
      note: `${orderings.join('; ')}.${reference.trials ? ` Published values over ${reference.trials} trials.` : ''}`,
    });
  }
  return tables;
}
