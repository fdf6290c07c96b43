import { existsSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { withFileLock, writeFileAtomic } from '@mmfuse/core';

/**
 * Adds one trial's entry to `<runDir>/analysis/<name>.json` ({ setups: { <setup>: { trials: [...] } } }),
 * replacing an earlier entry of the same trial (a resumed run repeats a trial's end). Written
 * atomically, so a crash never leaves half a file.
 */
export function recordTrial(runDir: string, name: string, setup: string, trial: number, entry: Record<string, unknown>): void {
  update<{ trials: Array<Record<string, unknown>> }>(runDir, name, (setups) => {
    const trials = (setups[setup]?.trials ?? []).filter((t) => t.trial !== trial);
    trials.push({ trial, ...entry });
    trials.sort((a, b) => (a.trial as number) - (b.trial as number));
    setups[setup] = { trials };
  });
}

/** Sets one set-up's entry of `<runDir>/analysis/<name>.json` ({ setups: { <setup>: entry } }). */
export function recordSetup(runDir: string, name: string, setup: string, entry: Record<string, unknown>): void {
  update<Record<string, unknown>>(runDir, name, (setups) => {
    setups[setup] = entry;
  });
}

/** Read, change, write under a lock: trials running in parallel processes share these files. */
function update<T>(runDir: string, name: string, change: (setups: Record<string, T>) => void): void {
  const folder = join(runDir, 'analysis');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${name}.json`);
  withFileLock(file, () => rewrite(file, change));
}

function rewrite<T>(file: string, change: (setups: Record<string, T>) => void): void {
  let content: { setups: Record<string, T> } = { setups: {} };
  if (existsSync(file)) {
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // Writes are atomic, so this file was not written here; it is replaced.
      content = { setups: {} };
    }
  }
  change(content.setups);
  writeFileAtomic(file, `${JSON.stringify(content)}\n`);
}
