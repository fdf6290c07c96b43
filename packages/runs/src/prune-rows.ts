import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { readJsonLines, writeFileAtomic } from '@mmfuse/core';

/**
 * Before a trial continues from its checkpoint at `epoch`, drops the rows of that trial written
 * after it from every JSON-lines file of the run (metrics, Lipschitz estimates), and any line cut
 * short by the interruption, so the resumed trial writes each of its rows exactly once.
 */
export function pruneRows(runDir: string, setup: string, trial: number, epoch: number): void {
  if (!existsSync(runDir)) return;
  for (const name of readdirSync(runDir).filter((n) => n.endsWith('.jsonl'))) {
    const file = join(runDir, name);
    const { rows, skipped } = readJsonLines<RunRow>(file);
    const kept = rows.filter(({ row }) => !(row.setup === setup && row.trial === trial && typeof row.epoch === 'number' && row.epoch > epoch));
    if (kept.length !== rows.length || skipped > 0) writeFileAtomic(file, kept.length > 0 ? `${kept.map((r) => r.text).join('\n')}\n` : '');
  }
}

/** A row of a run's JSON-lines files, as far as trials are concerned. */
export interface RunRow {
  setup?: unknown;
  trial?: unknown;
  epoch?: unknown;
}
