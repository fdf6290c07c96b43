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
    const lines = readFileSync(file, 'utf8').split('\n');
    const kept = lines.filter((line) => {
      if (line.trim() === '') return false;
      let row: { setup?: unknown; trial?: unknown; epoch?: unknown };
      try {
        row = JSON.parse(line);
      } catch {
        return false;
      }
      return !(row.setup === setup && row.trial === trial && typeof row.epoch === 'number' && row.epoch > epoch);
    });
    if (kept.length !== lines.filter((l) => l.trim() !== '').length) writeFileAtomic(file, kept.length > 0 ? `${kept.join('\n')}\n` : '');
  }
}
