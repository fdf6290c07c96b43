import { realpathSync, statSync } from 'fs';
import { availableParallelism } from 'os';
import { CachedArrayData, cachedArrayFile, cacheKey, EpisodeArrays, FileEpisodes, MemoryEpisodes, readCacheEntry, removeCacheEntry } from '@mmfuse/data';
import { DecodedArrayName, DecodeOptions } from './robomnist-decode';
import { decodeRecordings, DecodedEntryMeta, PoolJob } from './robomnist-decode-pool';
import { ResolvedOptions } from './robomnist-options';

/** Bumped whenever decoding changes what it gives for the same files and options. */
export const DECODE_VERSION = 1;

/** What a file is to the cache: where it really is, its size and when it last changed. */
function identity(file: string): { path: string; size: number; mtimeMs: number } {
  const stat = statSync(file);
  return { path: realpathSync(file), size: stat.size, mtimeMs: stat.mtimeMs };
}

export function decodeOptions(o: ResolvedOptions): DecodeOptions {
  return {
    robots: o.robots,
    sniffers: o.sniffers,
    window: o.window,
    windowStep: o.windowStep,
    view: o.view,
    imageSize: o.imageSize,
    videoOffsetSeconds: o.videoOffsetSeconds,
    microphones: o.microphones,
    audioWindow: o.audioWindow,
    audioBins: o.audioBins,
    csi: { policy: o.csiAlignment, maxGapSeconds: o.csiMaxGapSeconds },
  };
}

/**
 * The cache key of one decoded array of a recording: the identity of every file it comes from
 * (the kinematics always, since they set the clock) and the options that shape it.
 */
export function decodedArrayKey(name: DecodedArrayName, files: Record<string, string>, o: DecodeOptions, ffmpeg?: string): string {
  const common = { version: DECODE_VERSION, source: 'robomnist', array: name, pos: identity(files.pos), robots: o.robots };
  let shaping: Record<string, unknown>;
  if (name === 'kinematics') shaping = {};
  else if (name === 'csi') shaping = { csi: identity(files.csi), sniffers: o.sniffers, alignment: o.csi };
  else if (name === 'audio') shaping = { mics: o.microphones.map((n) => identity(files[`mic${n}`])), microphones: o.microphones, audioWindow: o.audioWindow, audioBins: o.audioBins };
  else {
    const camera = files[`cam${name.slice('camera'.length)}`];
    shaping = { camera: identity(camera), view: o.view, imageSize: o.imageSize, window: o.window, windowStep: o.windowStep, videoOffsetSeconds: o.videoOffsetSeconds, ffmpeg: ffmpeg && identity(ffmpeg) };
  }
  return `robomnist-${cacheKey({ ...common, ...shaping })}`;
}

export interface DecodedRecordings {
  /** Kinematics frames per recording. */
  frames: number[];
  /** Where the windows are read from. */
  arrays: EpisodeArrays;
  /** Whether `arrays` are the cache files (read on demand) rather than memory. */
  streamed: boolean;
  /** Problems decoded through under a `warn` policy, and damaged cache entries decoded again. */
  warnings: string[];
  /** Recordings read from the cache and decoded now. */
  fromCache: number;
  decoded: number;
}

export interface DecodeRequest {
  recordings: ReadonlyArray<{ files: Record<string, string> }>;
  arrays: DecodedArrayName[];
  options: DecodeOptions;
  ffmpeg?: string;
  cacheDirectory?: string;
  /** Whether windows are read from the cache files (true), held in memory (false), or decided from the frame count. */
  stream: boolean | ((frames: number[]) => boolean);
  workers?: number;
  progress?: (done: number, total: number) => void;
}

/**
 * Every recording's decoded arrays: read back from the cache (each checked against its SHA-256;
 * a damaged entry is decoded again, with a warning), the rest decoded on worker threads and
 * written to the cache. Streaming leaves the arrays in the cache files.
 */
export async function decodedRecordings(request: DecodeRequest): Promise<DecodedRecordings> {
  const { recordings, arrays: names, options, ffmpeg, cacheDirectory: directory } = request;
  const count = recordings.length;
  const keys = recordings.map((r) => Object.fromEntries(names.map((n) => [n, decodedArrayKey(n, r.files, options, ffmpeg)])) as Record<DecodedArrayName, string>);
  const held: Array<Partial<Record<DecodedArrayName, CachedArrayData>>> = recordings.map(() => ({}));
  const frames: number[] = new Array(count).fill(0);
  const warnings: string[] = [];
  // Arrays are kept from the first reading only when they will surely be held in memory.
  const keep = request.stream === false;
  let done = 0;
  const jobs: PoolJob[] = [];
  const owners: number[] = [];
  for (let r = 0; r < count; r++) {
    const missing: DecodedArrayName[] = [];
    for (const name of names) {
      const read = directory ? readCacheEntry<DecodedEntryMeta>(directory, keys[r][name], [name], keep) : ({ status: 'absent' } as const);
      if (read.status === 'ok') {
        frames[r] = read.meta.frames;
        warnings.push(...(read.meta.warnings ?? []));
        if (keep) held[r][name] = read.arrays[name].data;
        continue;
      }
      if (read.status === 'damaged' && directory) {
        warnings.push(`${read.file}: cache entry damaged (${read.why}); decoded again`);
        removeCacheEntry(directory, keys[r][name]);
      }
      missing.push(name);
    }
    if (missing.length === 0) request.progress?.(++done, count);
    else {
      owners.push(r);
      jobs.push({
        files: recordings[r].files,
        arrays: missing,
        options,
        ffmpeg,
        returnArrays: !directory || keep,
        ...(directory ? { cache: { directory, keys: Object.fromEntries(missing.map((n) => [n, keys[r][n]])) } } : {}),
      });
    }
  }
  const fromCache = count - jobs.length;
  const workers = request.workers ?? Math.min(8, availableParallelism());
  await decodeRecordings(jobs, workers, (j, result) => {
    const r = owners[j];
    frames[r] = result.frames;
    warnings.push(...result.warnings);
    for (const [name, array] of Object.entries(result.arrays ?? {})) if (array) held[r][name as DecodedArrayName] = array.data;
    request.progress?.(++done, count);
  });
  const streaming = typeof request.stream === 'function' ? request.stream(frames) : request.stream;
  if (streaming) {
    if (!directory) throw new Error('streaming needs the cache');
    return { frames, arrays: new FileEpisodes((e, name) => cachedArrayFile(directory, keys[e][name as DecodedArrayName], name)), streamed: true, warnings, fromCache, decoded: jobs.length };
  }
  // Held in memory: whatever the first pass did not keep is read back (checked again).
  for (let r = 0; r < count; r++) {
    for (const name of names) {
      if (held[r][name]) continue;
      const read = readCacheEntry<DecodedEntryMeta>(directory as string, keys[r][name], [name]);
      if (read.status !== 'ok') throw new Error(`${cachedArrayFile(directory as string, keys[r][name], name)}: cache entry ${read.status} right after it was checked or written`);
      held[r][name] = read.arrays[name].data;
    }
  }
  return { frames, arrays: new MemoryEpisodes(held as Array<Record<string, CachedArrayData>>), streamed: false, warnings, fromCache, decoded: jobs.length };
}
