import { totalmem } from 'os';
import { dirname, isAbsolute, join, resolve } from 'path';
import { createRng, DataSource, DataSourceContext, DataSplit, deriveSeed, gatherSamples, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { defaultCacheDirectory, EpisodeArrays, EpisodeSampleStore, SampleLocation, splitEpisodes, standardize, storeChannelStatistics, windowCount } from '@mmfuse/data';
import { AUDIO_MAX_HZ, isPowerOfTwo } from './robomnist-audio';
import { DecodedArrayName } from './robomnist-decode';
import { decodedRecordings, decodeOptions } from './robomnist-decoded';
import { indexRoboMnist, RoboMnistIndex } from './robomnist-index';
import { RoboMnistStem } from './robomnist-names';
import { cameraModality, resolveOptions, ResolvedOptions, RoboMnistOptions, roboMnistModalities } from './robomnist-options';
import { locateFfmpeg, VIDEO_FRAME_RATE } from './robomnist-video';

/** `stream: "auto"` reads from the cache once the windows would take this share of memory. */
const STREAM_ABOVE_SHARE_OF_MEMORY = 0.25;

/** File suffix after the stem for each file key: `pos` → `_Rxall_pos.json`, `cam2` → `_Rx2_cam.mp4`. */
function suffixOf(key: string): string {
  const media = /^(cam|mic)(\d+)$/.exec(key);
  if (media) return `_Rx${media[2]}_${media[1]}.${media[1] === 'cam' ? 'mp4' : 'wav'}`;
  return `_Rxall_${key}.json`;
}

/** How one modality's samples are cut from a recording's decoded array. */
interface ModalityLayout {
  name: string;
  array: DecodedArrayName;
  series: boolean;
  /** Values per frame (series) or per image. */
  width: number;
  sampleSize: number;
}

/**
 * The RoboMNIST dataset (Behzad et al., Sci. Data 12:326, 2025) in its published layout: one
 * repetition per file stem `Rp<rep>_Ac<digit>_V<speed>_Ar<arm>_UNC<u>`, labels only in the name.
 * Each repetition is an episode: its kinematics frames (30 Hz) and, per frame, the latest CSI row
 * of every chosen sniffer and the audio spectrum ending at that frame are cut into windows; each
 * window also gets the camera frame nearest its last kinematics frame. Neither the videos nor the
 * audio carry a clock, so both start at the first kinematics timestamp (the video shifted by
 * `videoOffsetSeconds`), the video at 30 fps and the audio at its sample rate. Recordings are
 * decoded once, in parallel, into the array cache, and windows are read from it batch by batch
 * when the dataset is large. Splits are by repetition; series channels are standardised with
 * training statistics, images stay in [0, 1].
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

  private layouts(): ModalityLayout[] {
    const o = this.resolved;
    return roboMnistModalities(o).map((spec) => {
      const sampleSize = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.kind === 'image') {
        const n = o.cameras.find((c) => cameraModality(o, c) === spec.name) as number;
        return { name: spec.name, array: `camera${n}` as DecodedArrayName, series: false, width: sampleSize, sampleSize };
      }
      return { name: spec.name, array: spec.name as DecodedArrayName, series: true, width: spec.shape[1], sampleSize };
    });
  }

  /** Whether windows are read from the cache batch by batch (decided from the frame counts under `auto`). */
  private streams(layouts: ModalityLayout[]): (frames: number[]) => boolean {
    const o = this.resolved;
    return (frames) => {
      if (o.stream === false) return false;
      const samples = frames.reduce((n, f) => n + windowCount(f, o.window, o.windowStep), 0);
      const bytes = samples * layouts.reduce((n, l) => n + l.sampleSize, 0) * 4;
      const streaming = o.stream === true || bytes > STREAM_ABOVE_SHARE_OF_MEMORY * totalmem();
      if (streaming && !o.cache) throw new UserInputError(`data.stream: the windows are read from the decoded cache (${(bytes / 2 ** 30).toFixed(1)} GiB), so data.cache must stay true`);
      return streaming;
    };
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.resolved;
    const reps = this.repetitions();
    if (o.modalities.includes('audio') && !isPowerOfTwo(o.audioWindow)) throw new UserInputError(`data.audioWindow: ${o.audioWindow} is not a power of two (the FFT needs one, e.g. 1024, 2048 or 4096)`);
    if (o.stream === true && !o.cache) throw new UserInputError('data.stream: the windows are read from the decoded cache, so data.cache must stay true');
    const layouts = this.layouts();
    const started = Date.now();
    const decoded = await decodedRecordings({
      recordings: reps,
      arrays: [...new Set(layouts.map((l) => l.array))],
      options: decodeOptions(o),
      ffmpeg: layouts.some((l) => !l.series) ? this.ffmpeg() : undefined,
      cacheDirectory: o.cache ? (o.cacheDirectory ? resolve(this.baseDir, o.cacheDirectory) : defaultCacheDirectory()) : undefined,
      stream: o.stream === 'auto' ? this.streams(layouts) : o.stream,
      workers: o.decodeWorkers,
      progress: this.progress,
    });
    const seconds = (Date.now() - started) / 1000;
    const split = splitEpisodes(reps.length, o.testFraction, permutation(reps.length, createRng(deriveSeed(this.seed, 'split'))));
    const streamed = decoded.streamed;
    const { parts, standardisation } = this.splits(decoded.arrays, decoded.frames, split, layouts, streamed);
    return {
      modalities: roboMnistModalities(o),
      train: parts.train,
      test: parts.test,
      ...(decoded.warnings.length ? { warnings: decoded.warnings } : {}),
      description: {
        source: 'robomnist',
        directory: this.directory,
        streamed,
        decoding: { fromCache: decoded.fromCache, decoded: decoded.decoded, seconds },
        trainRepetitions: split.train.map((e) => reps[e].stem),
        testRepetitions: split.test.map((e) => reps[e].stem),
        labels: reps.map(({ stem, digit, speed, arm, repetition, uncertainty }) => ({ stem, digit, speed, arm, repetition, uncertainty })),
        ...(this.index?.manifest ? { manifest: this.index.manifest } : {}),
        incompleteTrials: (this.index?.recordings ?? []).filter((r) => !r.complete).map((r) => r.stem),
        skippedFiles: this.index?.skipped ?? [],
        standardisation,
        ...(o.modalities.includes('csi') && { csi: { alignment: o.csiAlignment, maxGapSeconds: o.csiMaxGapSeconds } }),
        ...(o.modalities.includes('camera') && {
          video: { ffmpeg: this.ffmpegPath, cameras: o.cameras, view: o.view, crop: 'centre 720x720 of the view', imageSize: o.imageSize, frameRate: VIDEO_FRAME_RATE, videoOffsetSeconds: o.videoOffsetSeconds },
        }),
        ...(o.modalities.includes('audio') && { audio: { microphones: o.microphones, window: o.audioWindow, bands: o.audioBins, maxHz: AUDIO_MAX_HZ, scale: 'log(1e-6 + magnitude)' } }),
      },
    };
  }

  /**
   * Train and test splits as stores over the decoded arrays: series windows start every
   * `windowStep` frames and are standardised with statistics of the training windows; images are
   * scaled from 8 bits to [0, 1]. In memory, every sample is gathered once; streamed, each is read
   * when a batch needs it.
   */
  private splits(arrays: EpisodeArrays, frames: number[], split: { train: number[]; test: number[] }, layouts: ModalityLayout[], streaming: boolean) {
    const o = this.resolved;
    const locate = (list: number[], step: number): SampleLocation[] =>
      list.flatMap((episode) => Array.from({ length: windowCount(frames[episode], o.window, o.windowStep) }, (_, local) => ({ episode, local, start: local * step })));
    const storeOf = (l: ModalityLayout, list: number[], finish?: (values: Float32Array) => void) =>
      l.series ? new EpisodeSampleStore(arrays, l.array, locate(list, o.windowStep), l.sampleSize, l.width, finish) : new EpisodeSampleStore(arrays, l.array, locate(list, 1), l.sampleSize, l.sampleSize, finish);
    const standardisation: Record<string, { mean: number[]; std: number[] }> = {};
    const finishers: Record<string, (values: Float32Array) => void> = {};
    for (const l of layouts) {
      if (!l.series) {
        finishers[l.name] = (values) => {
          for (let i = 0; i < values.length; i++) values[i] /= 255;
        };
        continue;
      }
      // Statistics from the training windows only, so nothing of the test split leaks in.
      const stats = storeChannelStatistics(storeOf(l, split.train), l.width);
      standardisation[l.name] = { mean: Array.from(stats.mean), std: Array.from(stats.std) };
      finishers[l.name] = (values) => void standardize(values, l.width, stats);
    }
    const part = (list: number[]): DataSplit => {
      const size = list.reduce((n, e) => n + windowCount(frames[e], o.window, o.windowStep), 0);
      const everyone = Array.from({ length: size }, (_, i) => i);
      const stores = layouts.map((l) => [l.name, storeOf(l, list, finishers[l.name])] as const);
      return { size, arrays: Object.fromEntries(stores.map(([name, store]) => [name, streaming ? store : gatherSamples(store, store.sampleSize, everyone, 0, size)])) };
    };
    return { parts: { train: part(split.train), test: part(split.test) }, standardisation };
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
}

export function createRoboMnistSource(options: RoboMnistOptions, context: DataSourceContext): RoboMnistSource {
  return new RoboMnistSource(options, context.seed, context.baseDir, context.progress);
}
