import type { CallbackSummary } from '@mmfuse/core';
import type { Estimator } from './estimator';
import type { LipschitzResult } from './lipschitz-result';

/** Column heading of an estimator: what it is and which side of the truth it lies on. */
function columnLabel(estimator: Estimator): string {
  switch (estimator.type) {
    case 'jacobian-spectral':
      return 'spectral ‖J‖₂ (lower bound)';
    case 'jacobian-frobenius':
      return 'Frobenius ‖J‖_F (not l2)';
    case 'difference-quotient':
      return 'difference quotient (lower bound)';
    case 'gradient-ratio':
      return 'gradient ratio (of ∇, lower bound)';
    case 'certified-bound':
      return 'certified (upper bound)';
  }
}

interface Cell {
  readonly value: number;
  readonly bound: string;
  readonly quantity: string;
}

interface Timing {
  trial: number;
  estimatingSeconds: number;
  trialSeconds: number;
  share: number;
  /** Scheduled evaluations skipped for the time budget. */
  skipped: number;
}

function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : value.toPrecision(4);
}

/** The last estimate of each trial, averaged over trials per set-up, and the time spent estimating. */
export class LipschitzSummary {
  private readonly labels: string[];
  /** setup → trial → subModel → estimator index → the trial's latest value. */
  private readonly latest = new Map<string, Map<number, Map<string, Map<number, Cell>>>>();
  private readonly timing = new Map<string, Timing[]>();
  private readonly subModelOrder: string[] = [];
  private readonly failures = new Map<string, { subModel: string; estimator: string; message: string; count: number }>();

  /** @param budget the tracker's time budget (share of a trial; 0: none), for the title. */
  constructor(estimators: readonly Estimator[], private readonly budget = 0) {
    const base = estimators.map(columnLabel);
    this.labels = base.map((label, i) => (base.indexOf(label) !== base.lastIndexOf(label) ? `${label} #${i + 1}` : label));
  }

  addEvaluation(setup: string, trial: number, _epoch: number, results: ReadonlyArray<{ subModel: string; estimator: number; result: LipschitzResult }>): void {
    const trials = this.latest.get(setup) ?? new Map();
    this.latest.set(setup, trials);
    const subModels = trials.get(trial) ?? new Map();
    trials.set(trial, subModels);
    for (const { subModel, estimator, result } of results) {
      if (!this.subModelOrder.includes(subModel)) this.subModelOrder.push(subModel);
      const cells = subModels.get(subModel) ?? new Map();
      subModels.set(subModel, cells);
      cells.set(estimator, { value: result.value, bound: result.bound, quantity: result.quantity });
    }
  }

  addFailures(failures: ReadonlyArray<{ subModel: string; estimator: number; message: string }>): void {
    for (const f of failures) {
      if (!this.subModelOrder.includes(f.subModel)) this.subModelOrder.push(f.subModel);
      const key = `${f.subModel}|${f.estimator}|${f.message}`;
      const known = this.failures.get(key);
      if (known) known.count++;
      else this.failures.set(key, { subModel: f.subModel, estimator: this.labels[f.estimator], message: f.message, count: 1 });
    }
  }

  addTiming(setup: string, trial: number, estimatingSeconds: number, trialSeconds: number, skipped = 0): void {
    const list = this.timing.get(setup) ?? [];
    list.push({ trial, estimatingSeconds, trialSeconds, share: trialSeconds > 0 ? estimatingSeconds / trialSeconds : 0, skipped });
    this.timing.set(setup, list);
  }

  summarize(file: string): CallbackSummary | undefined {
    if (this.latest.size === 0 && this.failures.size === 0) return undefined;
    const final: Record<string, Record<string, Record<string, { mean: number; std: number; n: number; bound: string; quantity: string }>>> = {};
    const rows: string[][] = [];
    for (const [setup, trials] of this.latest) {
      final[setup] = {};
      for (const subModel of this.subModelOrder) {
        const cells: string[] = [];
        let any = false;
        this.labels.forEach((label, index) => {
          const found = [...trials.values()].map((t) => t.get(subModel)?.get(index)).filter((c): c is Cell => c !== undefined);
          if (found.length === 0) {
            const failed = [...this.failures.values()].some((f) => f.subModel === subModel && f.estimator === label);
            cells.push(failed ? 'failed' : '—');
            any ||= failed;
            return;
          }
          any = true;
          const stats = meanStd(found.map((c) => c.value));
          (final[setup][subModel] ??= {})[label] = { ...stats, bound: found[0].bound, quantity: found[0].quantity };
          cells.push(stats.n > 1 ? `${format(stats.mean)} ± ${format(stats.std)}` : format(stats.mean));
        });
        if (any) rows.push([setup, subModel, ...cells]);
      }
    }
    const timings = [...this.timing.values()].flat();
    const estimating = timings.reduce((s, t) => s + t.estimatingSeconds, 0);
    const total = timings.reduce((s, t) => s + t.trialSeconds, 0);
    const share = total > 0 ? estimating / total : 0;
    const skipped = timings.reduce((s, t) => s + t.skipped, 0);
    const budget = this.budget > 0 ? `, budget ${+(100 * this.budget).toFixed(1)}%${skipped > 0 ? `, ${skipped} scheduled evaluation${skipped === 1 ? '' : 's'} skipped for it` : ''}` : '';
    return {
      name: 'lipschitz',
      title: `Lipschitz constants at the end of training (mean ± std over trials; bounds and estimates side by side; estimating took ${(100 * share).toFixed(1)}% of the trials' time${budget}, rows in ${file})`,
      data: { file, columns: this.labels, final, timing: Object.fromEntries(this.timing), estimatingSeconds: estimating, trialSeconds: total, share, budget: this.budget, skipped, failures: [...this.failures.values()] },
      table: { head: ['set-up', 'sub-model', ...this.labels], rows },
    };
  }
}
