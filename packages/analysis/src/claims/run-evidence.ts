import { existsSync } from 'fs';
import { join } from 'path';
import { readJsonFile, readJsonLines, UserInputError } from '@mmfuse/core';
import { analysisName, ANALYSIS_FILES, EpochRow, readRunSummary, RunSummary, RUN_FILES } from '@mmfuse/runs';
import { mean } from '../statistics';
import type { ClaimContext, ClaimsOptions, Group } from './comparison';

interface LipschitzRow {
  setup: string;
  trial: number;
  epoch: number;
  subModel: string;
  estimator: string;
  value: number | null;
}

/** A metrics.jsonl row as far as convergence is concerned (a damaged row may lack its losses). */
export type MetricsRow = Pick<EpochRow, 'setup' | 'trial' | 'epoch'> & { test?: Partial<EpochRow['test']> };

export interface RobustnessFile {
  setups: Record<string, { trials: Array<{ trial: number; curves: Array<{ perturbed: string; mode: string; severity: number; loss: Record<string, number> }> }> }>;
}

export interface DetectionFile {
  setups: Record<string, { trials: Array<{ trial: number; results: Array<{ failure: string; auc: number }> }> }>;
}

/** The rows of a JSON-lines file; a torn last line of an interrupted run is skipped, as the report does. */
function rows<T>(file: string): T[] {
  return readJsonLines<T>(file).rows.map((r) => r.row);
}

/**
 * What the claims are checked on: a finished run's set-ups, which of them is "attention" and
 * which it is compared with, and the run's files, each read when a claim first needs it.
 */
export class RunEvidence {
  readonly alpha: number;
  readonly estimator: string;
  readonly resamples: number;
  readonly setups: RunSummary['setups'];
  readonly labels: string[];
  /** The set-up the attention claims are about, when there is one. */
  readonly attention?: string;
  /** Set-ups of another fusion type than attention's (its variants are left out). */
  readonly others: string[];
  /** Why the attention claims cannot be tested, when they cannot. */
  readonly attentionProblem?: string;
  /** How the claims' statements name the attention set-up. */
  readonly name: string;
  readonly concat?: string;
  readonly sum?: string;
  private lipschitzRows?: LipschitzRow[];

  constructor(
    readonly runDir: string,
    options: ClaimsOptions & { alpha: number; estimator: string; resamples: number },
  ) {
    this.alpha = options.alpha;
    this.estimator = options.estimator;
    this.resamples = options.resamples;
    const summary = readRunSummary(runDir, 'claims are checked on a finished run folder');
    if (!summary) throw new UserInputError(`${join(runDir, RUN_FILES.summary)}: missing; claims are checked on a finished run folder`);
    this.setups = summary.setups;
    this.labels = Object.keys(this.setups);
    if (options.attention !== undefined && !(options.attention in this.setups)) {
      throw new UserInputError(`attention set-up "${options.attention}": not in this run; expected one of ${this.labels.join(', ')}`);
    }
    const attention = options.attention ?? this.find('attention');
    this.attention = attention;
    this.others = attention ? this.labels.filter((s) => s !== attention && (this.typeOf(s) === undefined || this.typeOf(s) !== this.typeOf(attention))) : [];
    this.attentionProblem = !attention
      ? `no set-up labelled "attention" among ${this.labels.join(', ')} (choose one with --attention <label>)`
      : this.others.length === 0
        ? `no set-up of another fusion type to compare "${attention}" with`
        : undefined;
    this.name = attention && attention !== 'attention' ? `attention ("${attention}")` : 'attention';
    this.concat = this.find('concat');
    this.sum = this.find('sum');
  }

  private typeOf(setup: string): unknown {
    return this.setups[setup].fusion?.type;
  }

  /** The set-up labelled `name`, else the only one whose fusion is of type `name`. */
  find(name: string): string | undefined {
    if (name in this.setups) return name;
    const ofType = this.labels.filter((s) => this.typeOf(s) === name);
    return ofType.length === 1 ? ofType[0] : undefined;
  }

  context(id: string): ClaimContext {
    return { id, alpha: this.alpha, resamples: this.resamples };
  }

  /** Each trial's final total test loss. */
  lossOf(setup: string): number[] {
    return this.setups[setup].final?.test?.total?.values ?? [];
  }

  /** The estimator's rows in lipschitz.jsonl that hold a value. */
  lipschitz(): LipschitzRow[] {
    this.lipschitzRows ??= rows<LipschitzRow>(join(this.runDir, RUN_FILES.lipschitz)).filter((r) => r.estimator === this.estimator && typeof r.value === 'number');
    return this.lipschitzRows;
  }

  /** Per trial, the mean over the selected sub-models of their estimates at the trial's last evaluation. */
  finalLipschitz(setup: string, subModel: (name: string) => boolean): Array<{ trial: number; value: number }> {
    const last = new Map<string, LipschitzRow>();
    for (const r of this.lipschitz()) {
      const key = `${r.setup}\u0000${r.trial}\u0000${r.subModel}`;
      const seen = last.get(key);
      if (!seen || seen.epoch <= r.epoch) last.set(key, r);
    }
    const byTrial = new Map<number, number[]>();
    for (const r of last.values()) if (r.setup === setup && subModel(r.subModel)) byTrial.set(r.trial, [...(byTrial.get(r.trial) ?? []), r.value as number]);
    return [...byTrial.entries()].sort((x, y) => x[0] - y[0]).map(([trial, values]) => ({ trial, value: mean(values) }));
  }

  /** Whether the run has an analysis callback's file. */
  hasAnalysis(file: string): boolean {
    return existsSync(join(this.runDir, analysisName(file)));
  }

  detection(): DetectionFile {
    return readJsonFile<DetectionFile>(join(this.runDir, analysisName(ANALYSIS_FILES.failureDetection)), 'it is written by the "failure-detection" callback');
  }

  robustness(): RobustnessFile {
    return readJsonFile<RobustnessFile>(join(this.runDir, analysisName(ANALYSIS_FILES.robustness)), 'it is written by the "robustness" callback');
  }

  /** metrics.jsonl rows with a total test loss. */
  metrics(): MetricsRow[] {
    return rows<MetricsRow>(join(this.runDir, RUN_FILES.metrics)).filter((r) => typeof r.test?.total === 'number');
  }
}

export const bothHaveValues = ([a, b]: [Group, Group]): boolean => a.values.length > 0 && b.values.length > 0;
