import { mkdirSync } from 'fs';
import { dirname, join } from 'path';
import { updateJsonFile } from '@mmfuse/core';
import { analysisName } from '@mmfuse/runs';

/**
 * Adds one trial's entry to `<runDir>/analysis/<file>` ({ setups: { <setup>: { trials: [...] } } }),
 * replacing an earlier entry of the same trial (a resumed run repeats a trial's end). Written
 * atomically, so a crash never leaves half a file.
 */
export function recordTrial(runDir: string, file: string, setup: string, trial: number, entry: Record<string, unknown>): void {
  update<{ trials: Array<Record<string, unknown>> }>(runDir, file, (setups) => {
    const trials = (setups[setup]?.trials ?? []).filter((t) => t.trial !== trial);
    trials.push({ trial, ...entry });
    trials.sort((a, b) => (a.trial as number) - (b.trial as number));
    setups[setup] = { trials };
  });
}

/** Sets one set-up's entry of `<runDir>/analysis/<file>` ({ setups: { <setup>: entry } }). */
export function recordSetup(runDir: string, file: string, setup: string, entry: Record<string, unknown>): void {
  update<Record<string, unknown>>(runDir, file, (setups) => {
    setups[setup] = entry;
  });
}

/** Read, change, write under a lock: trials running in parallel processes share these files. */
function update<T>(runDir: string, file: string, change: (setups: Record<string, T>) => void): void {
  const path = join(runDir, analysisName(file));
  mkdirSync(dirname(path), { recursive: true });
  updateJsonFile<{ setups: Record<string, T> }>(path, () => ({ setups: {} }), (content) => change(content.setups));
}
