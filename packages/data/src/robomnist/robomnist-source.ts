import { existsSync, readdirSync, statSync } from 'fs';
import { isAbsolute, join, resolve } from 'path';
import { createRng, DataSource, DataSourceContext, deriveSeed, ModalitySpec, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from '../transforms';
import { CSI_USED_SUBCARRIERS, readCsi } from './robomnist-csi';
import { readKinematics } from './robomnist-kinematics';
import { parseFileName, RoboMnistStem } from './robomnist-names';

export type RoboMnistModality = 'kinematics' | 'csi';

export interface RoboMnistOptions {
  /** Folder of RoboMNIST files (relative to the config). */
  directory: string;
  modalities: RoboMnistModality[];
  digits: number[];
  speeds: Array<'high' | 'medium' | 'low'>;
  arms: number[];
  /** Robots whose kinematics are used (1 and 2 in the published data). */
  robots: number[];
  /** CSI sniffers used, by module number. */
  sniffers: number[];
  window: number;
  windowStep: number;
  testFraction: number;
}

export const ROBOMNIST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['directory'],
  properties: {
    directory: { type: 'string', minLength: 1, description: 'Folder holding the RoboMNIST files (…_Rxall_pos.json, …_Rxall_csi.json), relative to the config file.' },
    modalities: {
      type: 'array',
      items: { enum: ['kinematics', 'csi'] },
      minItems: 1,
      uniqueItems: true,
      default: ['kinematics', 'csi'],
      description: 'kinematics: joint angles (7) and end-effector position (3) of each robot; csi: WiFi CSI amplitudes of the 232 used subcarriers of each sniffer, aligned to the kinematics frames by timestamp.',
    },
    digits: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, uniqueItems: true, default: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], description: 'Digits drawn (from the file names).' },
    speeds: { type: 'array', items: { enum: ['high', 'medium', 'low'] }, uniqueItems: true, default: ['high', 'medium', 'low'], description: 'Drawing speeds used.' },
    arms: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, uniqueItems: true, default: [1, 2], description: 'Which arm drew (Ar<n> in the file names).' },
    robots: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, minItems: 1, uniqueItems: true, default: [1, 2], description: 'Robots whose kinematics are used, by robot_number.' },
    sniffers: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, minItems: 1, uniqueItems: true, default: [1, 2, 3], description: 'CSI sniffers used, by module_number.' },
    window: { type: 'integer', minimum: 1, maximum: 10000, default: 16, description: 'Window length L in kinematics frames (30 Hz): each sample is L frames.' },
    windowStep: { type: 'integer', minimum: 1, maximum: 10000, default: 4, description: 'Frames between consecutive windows.' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of repetitions held out for testing (splits are by repetition).' },
  },
};

export function roboMnistModalities(options: RoboMnistOptions): ModalitySpec[] {
  return options.modalities.map((m) =>
    m === 'kinematics'
      ? { name: 'kinematics', kind: 'series' as const, shape: [options.window, 10 * options.robots.length] }
      : { name: 'csi', kind: 'series' as const, shape: [options.window, CSI_USED_SUBCARRIERS * options.sniffers.length] },
  );
}

/** Index of the last row with timestamp ≤ t (the first row when t precedes them all). */
function rowAtOrBefore(timestamps: Float64Array, t: number): number {
  let lo = 0;
  let hi = timestamps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timestamps[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The RoboMNIST dataset (Behzad et al., Sci. Data 12:326, 2025) in its published layout: one
 * repetition per file stem `Rp<rep>_Ac<digit>_V<speed>_Ar<arm>_UNC<u>`, labels only in the name.
 * Each repetition is an episode: its kinematics frames (30 Hz) and, per frame, the latest CSI row
 * of every chosen sniffer are cut into windows; splits are by repetition and every channel is
 * standardised with training statistics.
 */
export class RoboMnistSource implements DataSource {
  private readonly directory: string;

  constructor(
    readonly options: RoboMnistOptions,
    private readonly seed: number,
    baseDir: string,
  ) {
    this.directory = isAbsolute(options.directory) ? options.directory : resolve(baseDir, options.directory);
  }

  /** Repetitions in the folder that pass the filters, with the files each needs. */
  repetitions(): Array<RoboMnistStem & { files: Record<string, string> }> {
    if (!existsSync(this.directory) || !statSync(this.directory).isDirectory()) throw new UserInputError(`data.directory: ${this.directory} is not a folder`);
    const byStem = new Map<string, RoboMnistStem & { files: Record<string, string> }>();
    for (const name of readdirSync(this.directory).sort()) {
      const parsed = parseFileName(name);
      if (!parsed || parsed.receiver !== 'all') continue;
      const o = this.options;
      if (!o.digits.includes(parsed.digit) || !o.speeds.includes(parsed.speed) || !o.arms.includes(parsed.arm)) continue;
      const entry = byStem.get(parsed.stem) ?? { ...parsed, files: {} };
      entry.files[parsed.kind] = join(this.directory, name);
      byStem.set(parsed.stem, entry);
    }
    const needed = this.options.modalities.map((m) => (m === 'kinematics' ? 'pos' : 'csi'));
    if (!needed.includes('pos')) needed.push('pos');
    const complete = [...byStem.values()].filter((r) => needed.every((k) => r.files[k]));
    const incomplete = [...byStem.values()].filter((r) => !needed.every((k) => r.files[k]));
    if (incomplete.length > 0) {
      const r = incomplete[0];
      throw new UserInputError(`${join(this.directory, r.stem)}_Rxall_${needed.find((k) => !r.files[k])}.json: missing (${incomplete.length} repetition(s) incomplete; every repetition needs ${needed.map((k) => `_Rxall_${k}.json`).join(' and ')})`);
    }
    if (complete.length < 2) throw new UserInputError(`data.directory: ${this.directory} holds ${complete.length} usable repetition(s) for these filters; at least 2 are needed to split train and test`);
    return complete;
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    const reps = this.repetitions();
    const perRep = reps.map((rep) => this.readRepetition(rep.files));
    const split = splitEpisodes(reps.length, o.testFraction, permutation(reps.length, createRng(deriveSeed(this.seed, 'split'))));
    const specs = roboMnistModalities(o);
    const arrays = (episodes: number[]) => Object.fromEntries(specs.map((s) => [s.name, concatBlocks(episodes.map((e) => perRep[e][s.name]))]));
    const train = arrays(split.train);
    const test = arrays(split.test);
    const standardisation: Record<string, { mean: number[]; std: number[] }> = {};
    for (const s of specs) {
      const channels = s.shape[1];
      const stats = channelStatistics(train[s.name], channels);
      standardize(train[s.name], channels, stats);
      standardize(test[s.name], channels, stats);
      standardisation[s.name] = { mean: Array.from(stats.mean), std: Array.from(stats.std) };
    }
    const size = (episodes: number[]) => episodes.reduce((n, e) => n + perRep[e].windows, 0);
    return {
      modalities: specs,
      train: { size: size(split.train), arrays: train },
      test: { size: size(split.test), arrays: test },
      description: {
        source: 'robomnist',
        directory: this.directory,
        trainRepetitions: split.train.map((e) => reps[e].stem),
        testRepetitions: split.test.map((e) => reps[e].stem),
        labels: reps.map(({ stem, digit, speed, arm, repetition, uncertainty }) => ({ stem, digit, speed, arm, repetition, uncertainty })),
        standardisation,
      },
    };
  }

  private readRepetition(files: Record<string, string>): Record<string, Float32Array> & { windows: number } {
    const o = this.options;
    const robots = readKinematics(files.pos);
    const chosen = o.robots.map((n) => {
      const robot = robots.find((r) => r.robot === n);
      if (!robot) throw new UserInputError(`${files.pos}: no robot_number ${n} (it has ${robots.map((r) => r.robot).join(', ')}); check data.robots`);
      return robot;
    });
    const frames = chosen[0].timestampsNs.length;
    chosen.forEach((r) => {
      if (r.timestampsNs.length !== frames) throw new UserInputError(`${files.pos}: robot ${r.robot} has ${r.timestampsNs.length} frames, robot ${chosen[0].robot} has ${frames}`);
    });
    const windows = windowCount(frames, o.window, o.windowStep);
    if (windows === 0) throw new UserInputError(`${files.pos}: ${frames} frames, fewer than data.window (${o.window})`);
    const out: Record<string, Float32Array> & { windows: number } = { windows } as never;
    if (o.modalities.includes('kinematics')) {
      const channels = 10 * chosen.length;
      const series = new Float32Array(frames * channels);
      for (let f = 0; f < frames; f++) {
        chosen.forEach((r, k) => {
          series.set(r.joints.subarray(f * 7, f * 7 + 7), f * channels + k * 10);
          series.set(r.endEffector.subarray(f * 3, f * 3 + 3), f * channels + k * 10 + 7);
        });
      }
      out.kinematics = slidingWindows(series, frames, channels, o.window, o.windowStep);
    }
    if (o.modalities.includes('csi')) {
      const sniffers = readCsi(files.csi);
      const used = o.sniffers.map((n) => {
        const s = sniffers.find((x) => x.module === n);
        if (!s) throw new UserInputError(`${files.csi}: no module_number ${n} (it has ${sniffers.map((x) => x.module).join(', ')}); check data.sniffers`);
        return s;
      });
      const channels = CSI_USED_SUBCARRIERS * used.length;
      const series = new Float32Array(frames * channels);
      const times = chosen[0].timestampsNs;
      for (let f = 0; f < frames; f++) {
        used.forEach((s, k) => {
          const row = rowAtOrBefore(s.timestampsNs, times[f]);
          series.set(s.amplitudes.subarray(row * CSI_USED_SUBCARRIERS, (row + 1) * CSI_USED_SUBCARRIERS), f * channels + k * CSI_USED_SUBCARRIERS);
        });
      }
      out.csi = slidingWindows(series, frames, channels, o.window, o.windowStep);
    }
    return out;
  }
}

export function createRoboMnistSource(options: RoboMnistOptions, context: DataSourceContext): RoboMnistSource {
  return new RoboMnistSource(options, context.seed, context.baseDir);
}
