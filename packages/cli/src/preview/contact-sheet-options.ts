// The options of a contact sheet, checked before any data are loaded.
import { didYouMean, UserInputError } from '@mmfuse/core';
import type { FailureDefinition } from '@mmfuse/failures';
import { FAILURES } from '@mmfuse/failures';

export interface ContactSheetOptions {
  /** Samples per row, evenly spaced over the split (default 8). */
  samples?: number;
  /** Severity of the library failures, in [0, 1] (default 0.7). */
  severity?: number;
  /** Library failures to show as rows: all of them (true, the default), none (false), or these types. */
  failures?: boolean | readonly string[];
  /** Seed of the failures' random streams (default 0). */
  seed?: number;
  /** Split to draw samples from (default: test, or train when test is empty). */
  split?: 'train' | 'test';
}

/** Options with defaults applied and failure types resolved. */
export interface ResolvedContactSheetOptions {
  readonly samples: number;
  readonly severity: number;
  readonly failures: readonly FailureDefinition[];
  /** Whether the failures were named: a named failure that fits no modality is an error, not a silent omission. */
  readonly failuresNamed: boolean;
  readonly seed: number;
  readonly split?: 'train' | 'test';
}

export const DEFAULT_SAMPLES = 8;
export const DEFAULT_SEVERITY = 0.7;
/** Beyond this a sheet gets too wide to look at (and to encode quickly). */
export const MAX_SAMPLES = 64;

/** Applies defaults and checks every option, so bad input fails before any data are loaded. */
export function resolveContactSheetOptions(options: ContactSheetOptions = {}): ResolvedContactSheetOptions {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) {
    throw new UserInputError(`samples: expected a whole number from 1 to ${MAX_SAMPLES}, got ${samples}`);
  }
  const severity = options.severity ?? DEFAULT_SEVERITY;
  if (typeof severity !== 'number' || !(severity >= 0 && severity <= 1)) {
    throw new UserInputError(`severity: expected a number from 0 to 1, got ${severity}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new UserInputError(`seed: expected a number, got ${seed}`);
  if (options.split !== undefined && options.split !== 'train' && options.split !== 'test') {
    throw new UserInputError(`split: expected "train" or "test", got "${options.split}"`);
  }
  const selection = options.failures ?? true;
  let failures: FailureDefinition[];
  if (selection === true) failures = [...FAILURES];
  else if (selection === false) failures = [];
  else {
    const known = FAILURES.map((f) => f.type);
    failures = [...new Set(selection)].map((type) => {
      const failure = FAILURES.find((f) => f.type === type);
      // One line: the CLI prints each line of a UserInputError on its own.
      if (!failure) throw new UserInputError(`failures: unknown failure type "${type}".${didYouMean(type, known)} Known types: ${known.join(', ')}.`);
      return failure;
    });
  }
  return { samples, severity, failures, failuresNamed: Array.isArray(selection), seed, split: options.split };
}
