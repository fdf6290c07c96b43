import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { LossRecord } from '@mmfuse/core';
import type { RunSummary } from '@mmfuse/runs';
import type { RunReporter, RunStartInfo } from '@mmfuse/trainer';

/**
 * Progress of slow data preparation (simulating scenes, decoding video): a bar on a terminal, one
 * line when done otherwise; nothing when quiet.
 */
export function dataProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): ((done: number, total: number) => void) | undefined {
  if (quiet) return undefined;
  let bar: SingleBar | undefined;
  const started = Date.now();
  return (done, total) => {
    if (stream.isTTY) {
      bar ??= new SingleBar({ stream, clearOnComplete: true, hideCursor: true, format: ' data  |{bar}| {value}/{total} episodes {eta_formatted}' }, Presets.shades_classic);
      if (done === 1 || !bar.isActive) bar.start(total, done);
      else bar.update(done);
      if (done === total) bar.stop();
    }
    if (done === total) stream.write(`data: ${total} episodes ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };
}

/**
 * Progress in the terminal: one bar for the whole run (trials × set-ups) and one for the epochs of
 * the trial in progress. Without a TTY (CI, pipes) it prints one line per finished trial instead.
 */
export class TerminalReporter implements RunReporter {
  private bars?: MultiBar;
  private overall?: SingleBar;
  private epochs?: SingleBar;
  private total = 0;
  private done = 0;
  private epochCount = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {}

  runStarted(info: RunStartInfo): void {
    this.total = info.trials * info.setups.length;
    this.epochCount = info.epochs;
    if (this.quiet) return;
    this.stream.write(
      `mmfuse: ${info.setups.join(', ')} × ${info.trials} trials × ${info.epochs} epochs on ${info.backend}${info.workers > 1 ? `, ${info.workers} data-parallel workers` : ''}${(info.convolutionThreads ?? 1) > 1 ? `, convolutions on ${info.convolutionThreads} threads` : ''}; ${info.trainSamples} training / ${info.testSamples} test samples\n  run folder: ${info.runDir}\n`,
    );
    if (this.stream.isTTY) {
      this.bars = new MultiBar({ stream: this.stream, clearOnComplete: true, hideCursor: true, format: ' {label} |{bar}| {value}/{total} {unit} {info}' }, Presets.shades_classic);
      this.overall = this.bars.create(this.total, 0, { label: 'run  ', unit: 'trials', info: '' });
    }
  }

  trialStarted(setup: string, trial: number): void {
    if (this.bars) {
      this.epochs?.stop();
      if (this.epochs) this.bars.remove(this.epochs);
      this.epochs = this.bars.create(this.epochCount, 0, { label: `${setup} #${trial}`.padEnd(5), unit: 'epochs', info: '' });
    }
  }

  epochEnded(_setup: string, _trial: number, epoch: number, train: LossRecord, test: LossRecord): void {
    this.epochs?.update(epoch, { info: `train ${train.total.toPrecision(4)} test ${test.total.toPrecision(4)}` });
  }

  trialEnded(setup: string, trial: number, seconds: number, end: { test?: LossRecord; restored?: boolean } = {}): void {
    this.done++;
    this.overall?.update(this.done);
    // A restored trial was reported by the process that trained it (or by the run being resumed).
    if (!this.bars && !this.quiet && !end.restored) {
      const test = end.test ? `test total ${end.test.total.toPrecision(4)}` : 'no epoch finished';
      this.stream.write(`  [${this.done}/${this.total}] ${setup} trial ${trial}: ${test} (${seconds.toFixed(1)} s)\n`);
    }
  }

  note(setup: string, trial: number, message: string): void {
    if (!this.quiet) this.stream.write(`  ${setup} trial ${trial}: ${message}\n`);
  }

  trialDiverged(setup: string, trial: number, message: string): void {
    if (!this.quiet) this.stream.write(`  ${setup} trial ${trial} ${message}; the other trials go on\n`);
  }

  trialFailed(setup: string, trial: number, error: string): void {
    if (!this.quiet) this.stream.write(`  ${setup} trial ${trial} failed: ${error}\n`);
  }

  runEnded(_summary: RunSummary): void {
    this.bars?.stop();
  }
}
