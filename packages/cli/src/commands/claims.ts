import { existsSync } from 'fs';
import { join } from 'path';
import { checkClaims, ClaimsReport, formatClaims } from '@mmfuse/analysis';
import { UserInputError, writeFileAtomic } from '@mmfuse/core';
import { RUN_FILES } from '@mmfuse/runs';

/** `mmfuse claims <dir>`: the paper's ordering claims tested on a finished run, with the statistics behind each; writes claims.json and claims.txt. */
export function claimsCommand(dir: string, options: { json?: boolean; alpha?: number; estimator?: string; attention?: string; margin?: number }): void {
  if (!existsSync(dir)) throw new UserInputError(`${dir}: no such run folder`);
  const report = checkClaims(dir, { alpha: options.alpha ?? 0.05, estimator: options.estimator, attention: options.attention, margin: options.margin });
  const table = writeClaimsFiles(dir, report);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${table}\n`);
}

/** Writes a run's claims.json and claims.txt; returns the table. */
export function writeClaimsFiles(dir: string, report: ClaimsReport): string {
  const table = formatClaims(report);
  writeFileAtomic(join(dir, RUN_FILES.claims), `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(join(dir, 'claims.txt'), `${table}\n`);
  return table;
}
