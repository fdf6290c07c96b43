import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { writeFileAtomic } from './run-folder';

/**
 * Before a trial continues from its checkpoint at `epoch`, drops the rows of that trial written
 * after it from every JSON-lines file of the run (metrics, Lipschitz estimates), and any line cut
 * short by the interruption, so the resumed trial writes each of its rows exactly once.
 */
export function pruneRows(runDir: string, setup: string, trial: number, epoch: number): void {
  if (!existsSync(runDir)) return;
  for (const name of readdirSync(runDir).filter((n) => n.endsWith('.jsonl'))) {
    const file = join(runDir, name);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const kept = parseJsonLines(text).filter(({ row }) => !(row.setup === setup && row.trial === trial && typeof row.epoch === 'number' && row.epoch > epoch));
    if (kept.length !== lines.length) writeFileAtomic(file, kept.length > 0 ? `${kept.map((r) => r.text).join('\n')}\n` : '');
  }
}

/** A row of a run's JSON-lines files, as far as trials are concerned. */
export interface RunRow {
  setup?: unknown;
  trial?: unknown;
  epoch?: unknown;
}

/**
 * The rows of a JSON-lines file that parse, each with its text; blank lines and a line cut short by
 * an interruption are left out. A missing file has none.
 */
export function readJsonLines(file: string): Array<{ text: string; row: RunRow }> {
  return existsSync(file) ? parseJsonLines(readFileSync(file, 'utf8')) : [];
}

function parseJsonLines(content: string): Array<{ text: string; row: RunRow }> {
  const rows: Array<{ text: string; row: RunRow }> = [];
  for (const text of content.split('\n')) {
    if (text.trim() === '') continue;
    try {
      rows.push({ text, row: JSON.parse(text) as RunRow });
    } catch {
      // an interrupted append
    }
  }
  return rows;
}
