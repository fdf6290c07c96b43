import { existsSync } from 'fs';
import { join } from 'path';
import { checkClaims } from '@mmfuse/analysis';
import { buildReport } from '@mmfuse/report';
import { PointOutcome, SWEEP_FILES } from '@mmfuse/runs';
import { sweepTable } from '../sweep-runner';
import { writeClaimsFiles } from './claims';

/** The paper's claims tested on a finished run (claims.json, claims.txt), so its report shows them. */
function writeClaims(dir: string): void {
  if (existsSync(join(dir, SWEEP_FILES.sweep))) return;
  try {
    writeClaimsFiles(dir, checkClaims(dir));
  } catch (error) {
    process.stderr.write(`claims: not tested (${(error as Error).message.split('\n')[0]}); retry with: mmfuse claims ${dir}\n`);
  }
}

/** The claims and report of a finished run or sweep; a problem with them never fails the run that produced the results. */
export async function writeReport(dir: string): Promise<void> {
  writeClaims(dir);
  try {
    const report = await buildReport(dir);
    process.stdout.write(`report: ${report.html} (${report.figures.length} figures${report.notes.length ? `; ${report.notes.join('; ')}` : ''})\n`);
  } catch (error) {
    process.stderr.write(`report: not written (${(error as Error).message.split('\n')[0]}); retry with: mmfuse report ${dir}\n`);
  }
}

/** Prints a sweep's table and writes its report; a failed point makes the exit code 1 once every other point has run. */
export async function finishSweep(dir: string, outcomes: PointOutcome[], report: boolean | undefined): Promise<void> {
  process.stdout.write(`${sweepTable(dir, outcomes)}\n`);
  if (report !== false) await writeReport(dir);
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) {
    process.stderr.write(`${failed.length} of ${outcomes.length} points failed; continue with: mmfuse run --resume ${dir}\n`);
    process.exitCode = 1;
  }
}
