import { existsSync } from 'fs';
import { UserInputError } from '@mmfuse/core';
import { buildReport, LossAxis } from '@mmfuse/report';

/** `mmfuse report <dir>`: the HTML page and figures of a run or sweep folder. */
export async function reportCommand(dir: string, options: { out?: string; lossAxis?: LossAxis }): Promise<void> {
  if (!existsSync(dir)) throw new UserInputError(`${dir}: no such run or sweep folder`);
  const report = await buildReport(dir, { out: options.out, lossAxis: options.lossAxis });
  process.stdout.write(`${report.html}: ${report.figures.length} figures (${report.figures.map((f) => f.name).join(', ')})\n`);
  for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
}
