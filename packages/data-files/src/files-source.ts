import { realpathSync, statSync } from 'fs';
import { checkInsideRoot, listDataFolder } from '@mmfuse/data';
import { basename, isAbsolute, join, resolve } from 'path';
import { createRng, DataSource, DataSourceContext, deriveSeed, ModalitySpec, MultimodalDataset, permutation, UserInputError } from '@mmfuse/core';
import { channelStatistics, concatBlocks, lastAtOrBefore, splitEpisodes, standardize } from '@mmfuse/data';
import { CsvSeries, readCsvSeries } from './csv-series';
import { Crop, decodeImage, DecodedImage, ImageFile, listImageFiles, naturalCompare, resizeInto } from './image-frames';
import { FilesSourceInput, FilesSourceOptions, withFilesDefaults } from './files-options';

/** A folder-name pattern with `*` and `?` as a regular expression. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function compileRegExp(source: string, option: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new UserInputError(`${option}: not a regular expression (${(error as Error).message})`);
  }
}

/**
 * The row a frame at time t is aligned with, or −1 when no row is within `tolerance` of it:
 * `last` prefers the row at or before t (what the sensors had measured when the frame was taken),
 * `nearest` takes the closer of the rows around t.
 */
function alignedRow(times: Float64Array, t: number, tolerance: number, align: 'last' | 'nearest'): number {
  const before = lastAtOrBefore(times, t);
  const after = before + 1 < times.length ? before + 1 : -1;
  const toBefore = before >= 0 ? t - times[before] : Infinity;
  const toAfter = after >= 0 ? times[after] - t : Infinity;
  if (align === 'nearest' ? toBefore <= toAfter : toBefore <= tolerance) return toBefore <= tolerance ? before : -1;
  return toAfter <= tolerance ? after : -1;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const secondsText = (s: number) => `${Number(s.toFixed(6))} s`;

interface Episode {
  name: string;
  dir: string;
}

/** One episode's aligned samples, in time order. */
interface EpisodeSamples {
  count: number;
  images: Float32Array;
  /** Per series: `count` windows of `window` rows. */
  windows: Float32Array[];
  /** Per series: the last row of each sample's window (to split one episode in time without sharing rows). */
  endRows: number[][];
  columns: string[][];
  facts: { episode: string; frames: number; samples: number; unaligned: number; withoutFullWindow: number; toleranceSeconds: Record<string, number> };
}

/**
 * A folder of camera frames and CSV time series with timestamps, in a layout described by the
 * options: by default every subfolder of root is an episode with an `images/` folder of PNG or
 * JPEG frames named by their time and one or more CSV files with a timestamp column. Each frame
 * becomes a sample with the window of each series' rows ending at its time; frames with no series
 * row within the tolerance, or with fewer than `window` rows before them, are dropped and counted.
 * Splits keep episodes whole (a single episode is split in time), and series are standardised with
 * training statistics. Problems in the files are reported with the file, line, column and value.
 */
export class FilesSource implements DataSource {
  readonly options: FilesSourceOptions;
  private readonly root: string;
  private readonly imagePattern: RegExp;
  private readonly timestampPattern?: RegExp;

  constructor(
    options: FilesSourceInput,
    private readonly seed: number,
    baseDir: string,
  ) {
    const o = withFilesDefaults(options);
    this.options = o;
    this.root = isAbsolute(o.root) ? o.root : resolve(baseDir, o.root);
    this.imagePattern = compileRegExp(o.images.pattern, 'data.images.pattern', 'i');
    if (o.images.timestamp === 'filename') this.timestampPattern = compileRegExp(o.images.timestampPattern, 'data.images.timestampPattern');
    else if (o.images.fps === undefined) throw new UserInputError('data.images.fps: needed when data.images.timestamp is "index" (frames per second)');
    const names = [o.imageName, ...o.series.map((s) => s.name)];
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) throw new UserInputError(`data.series[${i - 1}].name: "${name}" is already a modality name; each modality needs its own`);
    });
  }

  /** The episode folders, in natural order of their names. */
  episodes(): Episode[] {
    const o = this.options;
    if (!isFolder(this.root)) throw new UserInputError(`data.root: ${this.root} is not a folder`);
    if (o.episodes === 'single') return [{ name: basename(this.root), dir: this.root }];
    const pattern = globPattern(o.episodes);
    const names = listDataFolder(this.root, this.root, o.followLinksOutside, 'data.followLinksOutside')
      .filter((name) => pattern.test(name) && (!name.startsWith('.') || o.episodes.startsWith('.')) && isFolder(join(this.root, name)))
      .sort(naturalCompare)
      .slice(0, o.maxEpisodes);
    if (names.length === 0) throw new UserInputError(`${this.root}: no subfolder matches data.episodes "${o.episodes}" (use "single" when this folder is itself one episode)`);
    return names.map((name) => ({ name, dir: join(this.root, name) }));
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    const episodes = this.episodes();
    const perEpisode: EpisodeSamples[] = [];
    for (const episode of episodes) perEpisode.push(await this.readEpisode(episode, perEpisode[0]?.columns));
    const columns = perEpisode[0].columns;
    const specs: ModalitySpec[] = [
      { name: o.imageName, kind: 'image', shape: [o.images.size, o.images.size, 3] },
      ...o.series.map((s, i) => ({ name: s.name, kind: 'series' as const, shape: [o.window, columns[i].length] })),
    ];

    // Which samples of which episode go where.
    let trainPicks: Array<[number, number[]]>;
    let testPicks: Array<[number, number[]]>;
    let splitFacts: Record<string, unknown>;
    if (episodes.length >= 2) {
      const split = splitEpisodes(episodes.length, o.testFraction, permutation(episodes.length, createRng(deriveSeed(this.seed, 'split'))));
      const all = (e: number): [number, number[]] => [e, Array.from({ length: perEpisode[e].count }, (_, k) => k)];
      trainPicks = split.train.map(all);
      testPicks = split.test.map(all);
      splitFacts = { split: 'by episode', trainEpisodes: split.train.map((e) => episodes[e].name), testEpisodes: split.test.map((e) => episodes[e].name) };
    } else {
      const { train, test, dropped } = this.splitInTime(episodes[0], perEpisode[0]);
      trainPicks = [[0, train]];
      testPicks = [[0, test]];
      splitFacts = { split: 'in time within the one episode', trainSamples: train.length, testSamples: test.length, droppedBetweenTrainAndTest: dropped };
    }

    const gather = (picks: Array<[number, number[]]>, block: (s: EpisodeSamples) => Float32Array, sampleSize: number) =>
      concatBlocks(
        picks.map(([e, samples]) => {
          const source = block(perEpisode[e]);
          if (samples.length === perEpisode[e].count) return source;
          const out = new Float32Array(samples.length * sampleSize);
          samples.forEach((k, j) => out.set(source.subarray(k * sampleSize, (k + 1) * sampleSize), j * sampleSize));
          return out;
        }),
      );
    const train: Record<string, Float32Array> = {};
    const test: Record<string, Float32Array> = {};
    const imageSize = o.images.size * o.images.size * 3;
    train[o.imageName] = gather(trainPicks, (s) => s.images, imageSize);
    test[o.imageName] = gather(testPicks, (s) => s.images, imageSize);
    const standardisation: Record<string, { mean: number[]; std: number[] }> = {};
    o.series.forEach((s, i) => {
      const channels = columns[i].length;
      train[s.name] = gather(trainPicks, (e) => e.windows[i], o.window * channels);
      test[s.name] = gather(testPicks, (e) => e.windows[i], o.window * channels);
      const stats = channelStatistics(train[s.name], channels);
      standardize(train[s.name], channels, stats);
      standardize(test[s.name], channels, stats);
      standardisation[s.name] = { mean: Array.from(stats.mean), std: Array.from(stats.std) };
    });
    const count = (picks: Array<[number, number[]]>) => picks.reduce((n, [, samples]) => n + samples.length, 0);
    const total = (key: 'frames' | 'samples' | 'unaligned' | 'withoutFullWindow') => perEpisode.reduce((n, e) => n + e.facts[key], 0);
    return {
      modalities: specs,
      train: { size: count(trainPicks), arrays: train },
      test: { size: count(testPicks), arrays: test },
      description: {
        source: 'files',
        root: this.root,
        episodes: episodes.length,
        ...splitFacts,
        frames: total('frames'),
        samples: total('samples'),
        // Frames with no row of some series within the tolerance (gaps, before or after the series).
        unalignedFrames: total('unaligned'),
        // Frames with fewer than `window` rows of some series at or before them.
        framesWithoutFullWindow: total('withoutFullWindow'),
        columns: Object.fromEntries(o.series.map((s, i) => [s.name, columns[i]])),
        standardisation,
        perEpisode: perEpisode.map((e) => e.facts),
      },
    };
  }

  /** The episode's frames decoded, cropped and shrunk to `size`², one after another; frames of another size than the first are refused. */
  private decodeFrames(files: string[]): Float32Array {
    const { size, crop: wanted } = this.options.images;
    const images = new Float32Array(files.length * size * size * 3);
    let first: (DecodedImage & { file: string }) | undefined;
    files.forEach((file, k) => {
      const image = decodeImage(file);
      if (!first) first = { ...image, file };
      else if (image.width !== first.width || image.height !== first.height) {
        throw new UserInputError(`${file}: ${image.width}×${image.height} pixels, but ${first.file} is ${first.width}×${first.height} (frames of an episode must share one size)`);
      }
      const crop: Crop = wanted ?? [0, 0, image.width, image.height];
      if (crop[2] < 1 || crop[3] < 1 || crop[0] + crop[2] > image.width || crop[1] + crop[3] > image.height) {
        throw new UserInputError(`${file}: data.images.crop [${crop.join(', ')}] does not fit in its ${image.width}×${image.height} pixels`);
      }
      resizeInto(image, crop, size, images, k * size * size * 3);
    });
    return images;
  }

  private async readEpisode(episode: Episode, knownColumns: string[][] | undefined): Promise<EpisodeSamples> {
    const o = this.options;
    const L = o.window;
    const imageFiles = listImageFiles(resolve(episode.dir, o.images.folder), {
      pattern: this.imagePattern,
      timestampPattern: this.timestampPattern,
      timeUnit: o.images.timeUnit,
      root: this.root,
      followLinksOutside: o.followLinksOutside,
    });
    // Later episodes must give the same columns as the first, so their windows stack.
    const series: CsvSeries[] = [];
    for (const [i, s] of o.series.entries()) {
      if (!o.followLinksOutside) checkInsideRoot(resolve(episode.dir, s.file), realpathSync(this.root), this.root, 'data.followLinksOutside');
      series.push(await readCsvSeries(resolve(episode.dir, s.file), { timestamp: s.timestamp, timeUnit: s.timeUnit, columns: s.columns ?? knownColumns?.[i], delimiter: s.delimiter }));
    }

    // Times in seconds from the earliest timestamp of the episode, exact in float64.
    const starts = [...series.map((s) => s.timestampsNs[0]), ...(this.timestampPattern ? [imageFiles[0].timeNs!] : [])];
    const origin = starts.reduce((a, b) => (b < a ? b : a));
    const seconds = (ns: bigint) => Number(ns - origin) / 1e9;
    const rowTimes = series.map((s) => Float64Array.from(s.timestampsNs, seconds));
    const frameTimes = this.timestampPattern
      ? imageFiles.map((f) => seconds(f.timeNs!))
      : imageFiles.map((_, k) => rowTimes[0][0] + k / o.images.fps!);
    const tolerances = rowTimes.map((times) => o.tolerance ?? 1.5 * median(Array.from(times.subarray(1), (t, r) => t - times[r])));

    let unaligned = 0;
    let withoutFullWindow = 0;
    const aligned: Array<{ file: ImageFile; ends: number[] }> = [];
    imageFiles.forEach((file, f) => {
      const t = frameTimes[f];
      const ends = rowTimes.map((times, i) => alignedRow(times, t, tolerances[i], o.align));
      if (ends.some((r) => r < 0)) unaligned++;
      else if (ends.some((r) => r < L - 1)) withoutFullWindow++;
      else aligned.push({ file, ends });
    });
    if (aligned.length === 0) {
      const absolute = (s: number) => secondsText(s + Number(origin) / 1e9);
      const spans = o.series.map((s, i) => `${s.file} rows ${absolute(rowTimes[i][0])} to ${absolute(rowTimes[i][rowTimes[i].length - 1])} (${rowTimes[i].length} rows)`);
      throw new UserInputError(
        `${episode.dir}: no usable frame: of ${imageFiles.length} frames, ${unaligned} have no series row within the tolerance and ${withoutFullWindow} have fewer than ${L} rows (data.window) of a series up to them; ` +
          `frames span ${absolute(frameTimes[0])} to ${absolute(frameTimes[frameTimes.length - 1])}, ${spans.join(', ')}; check the time units`,
      );
    }
    const used = aligned.filter((_, k) => k % o.windowStep === 0);

    const images = this.decodeFrames(used.map((u) => u.file.file));

    const windows = series.map((s) => {
      const channels = s.columns.length;
      return new Float32Array(used.length * L * channels);
    });
    used.forEach(({ ends }, k) => {
      series.forEach((s, i) => {
        const channels = s.columns.length;
        const from = (ends[i] - L + 1) * channels;
        windows[i].set(s.values.subarray(from, from + L * channels), k * L * channels);
      });
    });
    return {
      count: used.length,
      images,
      windows,
      endRows: series.map((_, i) => used.map((u) => u.ends[i])),
      columns: series.map((s) => s.columns),
      facts: {
        episode: episode.name,
        frames: imageFiles.length,
        samples: used.length,
        unaligned,
        withoutFullWindow,
        toleranceSeconds: Object.fromEntries(o.series.map((s, i) => [s.name, Number(tolerances[i].toPrecision(6))])),
      },
    };
  }

  /**
   * Train on the first frames and test on the last `testFraction`, leaving out test frames whose
   * windows reach back into rows the training windows hold, so no series row is in both splits.
   */
  private splitInTime(episode: Episode, samples: EpisodeSamples): { train: number[]; test: number[]; dropped: number } {
    const n = samples.count;
    const tooFew = `${episode.dir}: ${n} usable frame(s) are too few to split one episode in time into train and test without sharing series rows; add frames, lower data.window, or use several episodes`;
    if (n < 2) throw new UserInputError(tooFew);
    const testCount = Math.min(n - 1, Math.max(1, Math.round(this.options.testFraction * n)));
    const trainCount = n - testCount;
    const lastTrainRow = samples.endRows.map((ends) => ends[trainCount - 1]);
    const train = Array.from({ length: trainCount }, (_, k) => k);
    const test: number[] = [];
    for (let k = trainCount; k < n; k++) {
      if (samples.endRows.every((ends, i) => ends[k] - this.options.window + 1 > lastTrainRow[i])) test.push(k);
    }
    if (test.length === 0) throw new UserInputError(tooFew);
    return { train, test, dropped: testCount - test.length };
  }
}

export function createFilesSource(options: FilesSourceOptions, context: DataSourceContext): FilesSource {
  return new FilesSource(options, context.seed, context.baseDir);
}
