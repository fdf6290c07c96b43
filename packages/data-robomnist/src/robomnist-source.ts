import { dirname, isAbsolute, join, resolve } from 'path';
import { createRng, DataSource, DataSourceContext, deriveSeed, ModalitySpec, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from '@mmfuse/data';
import { AUDIO_MAX_HZ, audioSpectra, isPowerOfTwo, readMicrophone } from './robomnist-audio';
import { CSI_USED_SUBCARRIERS, readCsi } from './robomnist-csi';
import { readKinematics } from './robomnist-kinematics';
import { indexRoboMnist, RoboMnistIndex } from './robomnist-index';
import { RoboMnistStem } from './robomnist-names';
import { locateFfmpeg, readCameraFrames, StereoView, VIDEO_FRAME_RATE } from './robomnist-video';

export type RoboMnistModality = 'kinematics' | 'csi' | 'camera' | 'audio';

/** Defaults of the camera and audio options, which older configs and callers leave out. */
export const ROBOMNIST_MEDIA_DEFAULTS = {
  cameras: [1],
  view: 'left' as StereoView,
  imageSize: 64,
  videoOffsetSeconds: 0,
  microphones: [1],
  audioWindow: 2048,
  audioBins: 64,
};

export interface RoboMnistOptions {
  /** Folder of RoboMNIST files (relative to the config). */
  directory: string;
  /** Follow symbolic links that lead out of the folder (refused by default). */
  followLinksOutside?: boolean;
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
  /** Cameras (Rx<n>_cam.mp4) used by the `camera` modality; several give `camera<n>` modalities. Default [1]. */
  cameras?: number[];
  /** Half of the stereo pair used. Default 'left'. */
  view?: StereoView;
  /** Side of the square camera image. Default 64. */
  imageSize?: number;
  /** ffmpeg binary (relative to the config, or a name on PATH); default: FFMPEG_PATH, @ffmpeg-installer/ffmpeg, then PATH. */
  ffmpeg?: string;
  /** Seconds from the first kinematics timestamp to video frame 0. Default 0. */
  videoOffsetSeconds?: number;
  /** Microphones (Rx<n>_mic.wav) whose spectra form the `audio` modality, side by side. Default [1]. */
  microphones?: number[];
  /** Audio samples per spectrum (a power of two). Default 2048. */
  audioWindow?: number;
  /** Frequency bands per spectrum, equal widths from 0 to 8 kHz. Default 64. */
  audioBins?: number;
}

type ResolvedOptions = RoboMnistOptions & typeof ROBOMNIST_MEDIA_DEFAULTS;

function resolveOptions(options: RoboMnistOptions): ResolvedOptions {
  const out = { ...ROBOMNIST_MEDIA_DEFAULTS } as ResolvedOptions;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  return out;
}

export const ROBOMNIST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['directory'],
  properties: {
    directory: { type: 'string', minLength: 1, description: 'Folder holding the RoboMNIST files (…_Rxall_pos.json, …_Rxall_csi.json, …_Rx<n>_cam.mp4, …_Rx<n>_mic.wav), relative to the config file.' },
    followLinksOutside: { type: 'boolean', default: false, description: 'Follow symbolic links in the folder that lead out of it; by default such a link is an error.' },
    modalities: {
      type: 'array',
      items: { enum: ['kinematics', 'csi', 'camera', 'audio'] },
      minItems: 1,
      uniqueItems: true,
      default: ['kinematics', 'csi'],
      description:
        'kinematics: joint angles (7) and end-effector position (3) of each robot; csi: WiFi CSI amplitudes of the 232 used subcarriers of each sniffer, aligned to the kinematics frames by timestamp; camera: the video frame at the end of each window (one modality per camera: "camera", or camera1, camera2, … when several are chosen), decoded with ffmpeg; audio: log-magnitude spectra of the microphone audio ending at each kinematics frame.',
    },
    digits: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, uniqueItems: true, default: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], description: 'Digits drawn (from the file names).' },
    speeds: { type: 'array', items: { enum: ['high', 'medium', 'low'] }, uniqueItems: true, default: ['high', 'medium', 'low'], description: 'Drawing speeds used.' },
    arms: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, uniqueItems: true, default: [1, 2], description: 'Which arm drew (Ar<n> in the file names).' },
    robots: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, minItems: 1, uniqueItems: true, default: [1, 2], description: 'Robots whose kinematics are used, by robot_number.' },
    sniffers: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, minItems: 1, uniqueItems: true, default: [1, 2, 3], description: 'CSI sniffers used, by module_number.' },
    window: { type: 'integer', minimum: 1, maximum: 10000, default: 16, description: 'Window length L in kinematics frames (30 Hz): each sample is L frames.' },
    windowStep: { type: 'integer', minimum: 1, maximum: 10000, default: 4, description: 'Frames between consecutive windows.' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of repetitions held out for testing (splits are by repetition).' },
    cameras: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 3 }, minItems: 1, uniqueItems: true, default: ROBOMNIST_MEDIA_DEFAULTS.cameras, description: 'Cameras read by the camera modality (Rx<n>_cam.mp4). One camera gives the modality "camera"; several give camera1, camera2, ….' },
    view: { enum: ['left', 'right'], default: ROBOMNIST_MEDIA_DEFAULTS.view, description: 'Half of the ZED 2 stereo pair used (left: x 0–1279, right: x 1280–2559); its centre 720×720 square is scaled to imageSize.' },
    imageSize: { type: 'integer', minimum: 8, maximum: 720, default: ROBOMNIST_MEDIA_DEFAULTS.imageSize, description: 'Side of the square RGB camera image, in pixels.' },
    ffmpeg: { type: 'string', minLength: 1, description: 'ffmpeg binary used to decode the videos (a path relative to the config, or a name on PATH). Default: FFMPEG_PATH, then the optional dependency @ffmpeg-installer/ffmpeg, then ffmpeg on PATH.' },
    videoOffsetSeconds: { type: 'number', minimum: -60, maximum: 60, default: ROBOMNIST_MEDIA_DEFAULTS.videoOffsetSeconds, description: 'The videos have no clock: frame 0 is placed at the first kinematics timestamp plus this many seconds, and frames follow at 30 fps.' },
    microphones: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 3 }, minItems: 1, uniqueItems: true, default: ROBOMNIST_MEDIA_DEFAULTS.microphones, description: 'Microphones read by the audio modality (Rx<n>_mic.wav); their spectra sit side by side.' },
    audioWindow: { enum: [256, 512, 1024, 2048, 4096, 8192], default: ROBOMNIST_MEDIA_DEFAULTS.audioWindow, description: 'Audio samples (44.1 kHz) per spectrum, Hann-windowed, ending at the kinematics frame.' },
    audioBins: { type: 'integer', minimum: 1, maximum: 1024, default: ROBOMNIST_MEDIA_DEFAULTS.audioBins, description: 'Frequency bands per spectrum: equal widths from 0 to 8 kHz, each the mean FFT magnitude, stored as log(1e-6 + magnitude).' },
  },
};

/** Name of the modality of camera `n`: plain "camera" when it is the only one. */
function cameraModality(options: ResolvedOptions, n: number): string {
  return options.cameras.length === 1 ? 'camera' : `camera${n}`;
}

export function roboMnistModalities(options: RoboMnistOptions): ModalitySpec[] {
  const o = resolveOptions(options);
  return o.modalities.flatMap((m): ModalitySpec[] => {
    switch (m) {
      case 'kinematics':
        return [{ name: 'kinematics', kind: 'series', shape: [o.window, 10 * o.robots.length] }];
      case 'csi':
        return [{ name: 'csi', kind: 'series', shape: [o.window, CSI_USED_SUBCARRIERS * o.sniffers.length] }];
      case 'camera':
        return o.cameras.map((n) => ({ name: cameraModality(o, n), kind: 'image' as const, shape: [o.imageSize, o.imageSize, 3] }));
      case 'audio':
        return [{ name: 'audio', kind: 'series', shape: [o.window, o.audioBins * o.microphones.length] }];
    }
  });
}

/** File suffix after the stem for each file key: `pos` → `_Rxall_pos.json`, `cam2` → `_Rx2_cam.mp4`. */
function suffixOf(key: string): string {
  const media = /^(cam|mic)(\d+)$/.exec(key);
  if (media) return `_Rx${media[2]}_${media[1]}.${media[1] === 'cam' ? 'mp4' : 'wav'}`;
  return `_Rxall_${key}.json`;
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
 * of every chosen sniffer and the audio spectrum ending at that frame are cut into windows; each
 * window also gets the camera frame nearest its last kinematics frame. Neither the videos nor the
 * audio carry a clock, so both start at the first kinematics timestamp (the video shifted by
 * `videoOffsetSeconds`), the video at 30 fps and the audio at its sample rate. Splits are by
 * repetition; series channels are standardised with training statistics, images stay in [0, 1].
 */
export class RoboMnistSource implements DataSource {
  private readonly directory: string;
  private readonly resolved: ResolvedOptions;
  private ffmpegPath: string | undefined;
  private index: RoboMnistIndex | undefined;

  constructor(
    readonly options: RoboMnistOptions,
    private readonly seed: number,
    private readonly baseDir: string,
    private readonly progress?: (done: number, total: number) => void,
  ) {
    this.directory = isAbsolute(options.directory) ? options.directory : resolve(baseDir, options.directory);
    this.resolved = resolveOptions(options);
  }

  /**
   * Repetitions in the folder (condition folders included, or as its manifest.csv lists them) that
   * pass the filters, with the files each needs. Trials the manifest marks incomplete are left out
   * and reported in the description, with every file that looks like a recording but is not used.
   */
  repetitions(): Array<RoboMnistStem & { files: Record<string, string> }> {
    const o = this.resolved;
    const needed = ['pos'];
    if (o.modalities.includes('csi')) needed.push('csi');
    if (o.modalities.includes('camera')) needed.push(...o.cameras.map((n) => `cam${n}`));
    if (o.modalities.includes('audio')) needed.push(...o.microphones.map((n) => `mic${n}`));
    this.index = indexRoboMnist(this.directory, { followLinksOutside: o.followLinksOutside === true });
    // Files of unused modalities do not make a repetition count, nor make it incomplete.
    const chosen = this.index.recordings
      .filter((r) => r.complete && needed.some((k) => r.files[k]))
      .filter((r) => o.digits.includes(r.digit) && o.speeds.includes(r.speed) && o.arms.includes(r.arm))
      .map((r) => ({ ...r, files: Object.fromEntries(needed.filter((k) => r.files[k]).map((k) => [k, r.files[k]])) }));
    const complete = chosen.filter((r) => needed.every((k) => r.files[k]));
    const incomplete = chosen.filter((r) => !needed.every((k) => r.files[k]));
    if (incomplete.length > 0) {
      const r = incomplete[0];
      const list = needed.map(suffixOf);
      const folder = dirname(Object.values(r.files)[0]);
      throw new UserInputError(
        `${join(folder, r.stem)}${suffixOf(needed.find((k) => !r.files[k]) as string)}: missing (${incomplete.length} repetition(s) incomplete; every repetition needs ${list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}` : list[0]})`,
      );
    }
    if (complete.length < 2) throw new UserInputError(`data.directory: ${this.directory} holds ${complete.length} usable repetition(s) for these filters; at least 2 are needed to split train and test`);
    return complete;
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.resolved;
    const reps = this.repetitions();
    if (o.modalities.includes('audio') && !isPowerOfTwo(o.audioWindow)) throw new UserInputError(`data.audioWindow: ${o.audioWindow} is not a power of two (the FFT needs one, e.g. 1024, 2048 or 4096)`);
    const perRep: Array<Record<string, Float32Array> & { windows: number }> = [];
    for (const rep of reps) {
      perRep.push(await this.readRepetition(rep.files));
      this.progress?.(perRep.length, reps.length);
    }
    const split = splitEpisodes(reps.length, o.testFraction, permutation(reps.length, createRng(deriveSeed(this.seed, 'split'))));
    const specs = roboMnistModalities(o);
    const arrays = (episodes: number[]) => Object.fromEntries(specs.map((s) => [s.name, concatBlocks(episodes.map((e) => perRep[e][s.name]))]));
    const train = arrays(split.train);
    const test = arrays(split.test);
    const standardisation: Record<string, { mean: number[]; std: number[] }> = {};
    for (const s of specs) {
      if (s.kind !== 'series') continue;
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
        ...(this.index?.manifest ? { manifest: this.index.manifest } : {}),
        incompleteTrials: (this.index?.recordings ?? []).filter((r) => !r.complete).map((r) => r.stem),
        skippedFiles: this.index?.skipped ?? [],
        standardisation,
        ...(o.modalities.includes('camera') && {
          video: { ffmpeg: this.ffmpegPath, cameras: o.cameras, view: o.view, crop: 'centre 720x720 of the view', imageSize: o.imageSize, frameRate: VIDEO_FRAME_RATE, videoOffsetSeconds: o.videoOffsetSeconds },
        }),
        ...(o.modalities.includes('audio') && { audio: { microphones: o.microphones, window: o.audioWindow, bands: o.audioBins, maxHz: AUDIO_MAX_HZ, scale: 'log(1e-6 + magnitude)' } }),
      },
    };
  }

  private ffmpeg(): string {
    if (this.ffmpegPath === undefined) {
      const option = this.resolved.ffmpeg;
      // A bare name is looked up on PATH; anything with a separator is a path from the config.
      const path = option && /[\\/]/.test(option) && !isAbsolute(option) ? resolve(this.baseDir, option) : option;
      this.ffmpegPath = locateFfmpeg(path);
    }
    return this.ffmpegPath;
  }

  /** Windows of the chosen sniffers' CSI amplitudes: each kinematics frame gets each sniffer's latest row. */
  private csiWindows(file: string, times: Float64Array): Float32Array {
    const o = this.resolved;
    const frames = times.length;
    const sniffers = readCsi(file);
    const used = o.sniffers.map((n) => {
      const s = sniffers.find((x) => x.module === n);
      if (!s) throw new UserInputError(`${file}: no module_number ${n} (it has ${sniffers.map((x) => x.module).join(', ')}); check data.sniffers`);
      return s;
    });
    const channels = CSI_USED_SUBCARRIERS * used.length;
    const series = new Float32Array(frames * channels);
    for (let f = 0; f < frames; f++) {
      used.forEach((s, k) => {
        const row = rowAtOrBefore(s.timestampsNs, times[f]);
        series.set(s.amplitudes.subarray(row * CSI_USED_SUBCARRIERS, (row + 1) * CSI_USED_SUBCARRIERS), f * channels + k * CSI_USED_SUBCARRIERS);
      });
    }
    return slidingWindows(series, frames, channels, o.window, o.windowStep);
  }

  /** Windows of the chosen microphones' spectra, one per kinematics frame (`seconds` after the first). */
  private audioWindows(files: Record<string, string>, seconds: readonly number[]): Float32Array {
    const o = this.resolved;
    const frames = seconds.length;
    const channels = o.audioBins * o.microphones.length;
    const series = new Float32Array(frames * channels);
    o.microphones.forEach((n, m) => {
      const file = files[`mic${n}`];
      const audio = readMicrophone(file);
      const ends = seconds.map((t) => Math.round(t * audio.sampleRate));
      if (ends[frames - 1] > audio.samples.length) {
        throw new UserInputError(
          `${file}: ${(audio.samples.length / audio.sampleRate).toFixed(3)} s of audio, shorter than the kinematics (${seconds[frames - 1].toFixed(3)} s from their first frame)`,
        );
      }
      const spectra = audioSpectra(audio.samples, audio.sampleRate, ends, o.audioWindow, o.audioBins);
      for (let f = 0; f < frames; f++) series.set(spectra.subarray(f * o.audioBins, (f + 1) * o.audioBins), f * channels + m * o.audioBins);
    });
    return slidingWindows(series, frames, channels, o.window, o.windowStep);
  }

  private async readRepetition(files: Record<string, string>): Promise<Record<string, Float32Array> & { windows: number }> {
    const o = this.resolved;
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
    const times = chosen[0].timestampsNs;
    // Seconds since the first kinematics frame: the clock the video and the audio are placed on.
    const seconds = Array.from(times, (t) => (t - times[0]) / 1e9);
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
    if (o.modalities.includes('csi')) out.csi = this.csiWindows(files.csi, times);
    if (o.modalities.includes('camera')) {
      const ends = Array.from({ length: windows }, (_, k) => k * o.windowStep + o.window - 1);
      // The nearest video frame rather than the one before: timestamps jitter around the 30 Hz grid.
      const videoFrames = ends.map((f) => Math.round((seconds[f] - o.videoOffsetSeconds) * VIDEO_FRAME_RATE));
      for (const n of o.cameras) {
        const file = files[`cam${n}`];
        const early = videoFrames.findIndex((v) => v < 0);
        if (early >= 0) {
          throw new UserInputError(`${file}: the kinematics frame at ${seconds[ends[early]].toFixed(3)} s comes before the video starts (data.videoOffsetSeconds = ${o.videoOffsetSeconds})`);
        }
        const last = ends[ends.length - 1];
        out[cameraModality(o, n)] = await readCameraFrames(file, {
          ffmpeg: this.ffmpeg(),
          view: o.view,
          imageSize: o.imageSize,
          frames: videoFrames,
          describeNeed: `their last window ends ${seconds[last].toFixed(3)} s after their first frame; frames at ${VIDEO_FRAME_RATE} fps, data.videoOffsetSeconds ${o.videoOffsetSeconds}`,
        });
      }
    }
    if (o.modalities.includes('audio')) out.audio = this.audioWindows(files, seconds);
    return out;
  }
}

export function createRoboMnistSource(options: RoboMnistOptions, context: DataSourceContext): RoboMnistSource {
  return new RoboMnistSource(options, context.seed, context.baseDir, context.progress);
}
