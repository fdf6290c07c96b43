/**
 * Which of a trial's scheduled Lipschitz evaluations fit its time budget: the share of the trial's
 * time that estimating may take. The evaluation before training and the one after the last epoch
 * always run (they are the curve's ends); one in between runs only when, with the final one still
 * to come, estimating would stay within the share of the trial's projected time. The projection
 * takes the mean training time per epoch so far, the last evaluation's cost for the next one, and
 * the dearest so far (usually the first, cold one) for the final one and for one after skipped
 * evaluations (estimators may make up for them), so the guess errs on the side of skipping.
 *
 * What the budget leaves for evaluations in between is paced: one may start at epoch e of E when
 * estimating so far is within the first evaluation's cost plus e/E of the rest of the budget (less
 * the final one's reserve). Without pacing the budget went on the first epochs and the curve had a gap from there
 * to the end (paper-128, 30 epochs: evaluations at 0–4 and 30).
 */
export class EvaluationBudget {
  private estimatingSeconds = 0;
  private lastCost = 0;
  private maxCost = 0;
  private firstCost: number | undefined;
  private pending: number[] = [];
  private skippedCount = 0;

  /**
   * @param share allowed share of the trial's time, in (0, 1]; 0 means no limit.
   * @param epochs the epochs the trial trains for, when known (without it the final evaluation
   *   cannot be planned for and only the time so far counts).
   * @param clock seconds since some fixed origin.
   */
  constructor(
    readonly share: number,
    private readonly startEpoch: number,
    private readonly epochs: number | undefined,
    private readonly clock: () => number = () => performance.now() / 1000,
    private readonly started = clock(),
  ) {}

  /** Seconds spent estimating in this trial. */
  get estimating(): number {
    return this.estimatingSeconds;
  }

  /** Seconds since the trial started (training and estimating). */
  get elapsed(): number {
    return this.clock() - this.started;
  }

  /** Scheduled evaluations skipped so far in this trial. */
  get skipped(): number {
    return this.skippedCount;
  }

  /** Whether the evaluation scheduled after `epoch` runs; a skipped one is remembered. */
  admits(epoch: number): boolean {
    if (this.share <= 0 || epoch <= this.startEpoch || (this.epochs !== undefined && epoch >= this.epochs)) return true;
    const elapsed = this.elapsed;
    const training = Math.max(0, elapsed - this.estimatingSeconds);
    const remainingEpochs = this.epochs === undefined ? 0 : this.epochs - epoch;
    const projectedTraining = training + (remainingEpochs * training) / Math.max(1, epoch - this.startEpoch);
    // After skipped evaluations an estimator may make up for them (more power iterations), so the
    // next one, and the final one, are reckoned at the dearest evaluation so far.
    const next = this.pending.length > 0 ? this.maxCost : this.lastCost;
    const still = next + (remainingEpochs > 0 ? this.maxCost : 0);
    const allowed = this.share * (projectedTraining + this.estimatingSeconds + still);
    const reserve = remainingEpochs > 0 ? this.maxCost : 0;
    const first = this.firstCost ?? 0;
    const paced = this.epochs === undefined ? allowed : first + ((allowed - reserve - first) * (epoch - this.startEpoch)) / (this.epochs - this.startEpoch);
    // Paced like a token bucket: an evaluation may start once what is spent is within what has
    // accrued (the next one's cost is not known until it runs; the first, cold one is no guide).
    const fits = this.estimatingSeconds + still <= allowed && this.estimatingSeconds <= paced;
    if (!fits) {
      this.pending.push(epoch);
      this.skippedCount++;
    }
    return fits;
  }

  /** An evaluation took `seconds`; returns the epochs skipped since the previous one. */
  recorded(seconds: number): number[] {
    this.estimatingSeconds += seconds;
    this.firstCost ??= seconds;
    this.lastCost = seconds;
    this.maxCost = Math.max(this.maxCost, seconds);
    const skipped = this.pending;
    this.pending = [];
    return skipped;
  }
}
