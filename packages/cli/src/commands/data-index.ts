import { resolve } from 'path';
import Table from 'cli-table3';
import { indexRoboMnist, RoboMnistIndex } from '@mmfuse/data-robomnist';

const SPEEDS = ['high', 'medium', 'low'] as const;

/** Recordings per digit (rows) × arm and speed (columns), complete ones only. */
function countTable(index: RoboMnistIndex): string {
  const complete = index.recordings.filter((r) => r.complete && r.missing.length === 0);
  const arms = [...new Set(index.recordings.map((r) => r.arm))].sort((a, b) => a - b);
  const digits = [...new Set(index.recordings.map((r) => r.digit))].sort((a, b) => a - b);
  const columns = arms.flatMap((arm) => SPEEDS.map((speed) => ({ arm, speed })));
  const table = new Table({ head: ['digit', ...columns.map((c) => `arm ${c.arm} ${c.speed}`), 'all'], style: { head: [], border: [] } });
  for (const digit of digits) {
    const mine = complete.filter((r) => r.digit === digit);
    table.push([digit, ...columns.map((c) => mine.filter((r) => r.arm === c.arm && r.speed === c.speed).length), mine.length]);
  }
  return table.toString();
}

/**
 * `mmfuse data index <folder>`: what a RoboMNIST folder holds, as the `robomnist` source reads it —
 * complete recordings per digit × arm × speed, the incomplete ones and what they lack, and every
 * file that looks like a recording but is not used, with the reason.
 */
export function dataIndexCommand(folder: string, options: { json?: boolean; followLinksOutside?: boolean }): void {
  const index = indexRoboMnist(resolve(folder), { followLinksOutside: options.followLinksOutside });
  const complete = index.recordings.filter((r) => r.complete && r.missing.length === 0);
  const incomplete = index.recordings.filter((r) => !r.complete || r.missing.length > 0);
  if (options.json) {
    const recordings = index.recordings.map(({ stem, digit, arm, speed, repetition, uncertainty, complete: listedComplete, missing }) => ({ stem, digit, arm, speed, repetition, uncertainty, complete: listedComplete && missing.length === 0, missing }));
    process.stdout.write(`${JSON.stringify({ directory: index.directory, manifest: index.manifest ?? null, complete: complete.length, incomplete: incomplete.length, recordings, skipped: index.skipped }, null, 2)}\n`);
    return;
  }
  const lines = [
    `${index.directory}: ${complete.length} complete recording(s), ${incomplete.length} incomplete, ${index.skipped.length} file(s) skipped${index.manifest ? ' (as manifest.csv lists them)' : ''}`,
    countTable(index),
  ];
  if (incomplete.length > 0) {
    lines.push('incomplete:');
    for (const r of incomplete) lines.push(`  ${r.stem}: ${!r.complete ? 'marked incomplete in manifest.csv' : ''}${!r.complete && r.missing.length ? '; ' : ''}${r.missing.length ? `no ${r.missing.join(', ')}` : ''}`);
  }
  if (index.skipped.length > 0) {
    lines.push('skipped:');
    for (const s of index.skipped) lines.push(`  ${s.file}: ${s.reason}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
