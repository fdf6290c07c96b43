import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'fs';
import { homedir } from 'os';
import { join, resolve } from 'path';
import { dump, parse } from 'npyjs';
import { UserInputError, writeFileAtomic } from '@mmfuse/core';
import { EpisodeRecording } from './episode-simulator';

/**
 * Simulated episodes are written once to disk, one folder per episode keyed by everything that
 * shapes it (scene, seed, simulation options, code version), as .npy arrays any tool can read.
 * A folder appears only complete (written beside, then renamed), so an interrupted run never
 * leaves a half episode behind.
 */

/** Bumped whenever the simulation changes what it produces for the same options (3: entries carry SHA-256 checksums). */
export const SIMULATION_VERSION = 3;

export function defaultCacheDirectory(): string {
  if (process.env.MMFUSE_CACHE_DIR) return resolve(process.env.MMFUSE_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mmfuse', 'episodes');
}

export function episodeKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify({ version: SIMULATION_VERSION, ...parts })).digest('hex').slice(0, 24);
}

const asBuffer = (view: Float32Array) => Buffer.from(dump(view, [view.length]));

const ARRAYS = ['frames', 'sensors', 'radio'] as const;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface EpisodeMeta {
  sensorChannels: readonly string[];
  failureOnset: number | null;
  /** SHA-256 of each .npy file, checked on every read. */
  sha256: Record<(typeof ARRAYS)[number], string>;
}

/**
 * A cached episode, or null when there is none. An entry whose arrays no longer match their
 * checksums is an error naming the file and what to do: a damaged cache is never trained on.
 */
export function readCachedEpisode(directory: string, key: string): EpisodeRecording | null {
  const folder = join(directory, key);
  const metaFile = join(folder, 'episode.json');
  if (!existsSync(metaFile)) return null;
  const damaged = (file: string, why: string): never => {
    throw new UserInputError(`${file}: cached episode is damaged (${why}); delete ${folder} (or the whole cache, ${directory}) and run again to simulate it anew`);
  };
  let meta: EpisodeMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as EpisodeMeta;
  } catch (error) {
    return damaged(metaFile, `not JSON: ${(error as Error).message.slice(0, 100)}`);
  }
  const arrays = {} as Record<(typeof ARRAYS)[number], Float32Array>;
  for (const name of ARRAYS) {
    const file = join(folder, `${name}.npy`);
    if (!existsSync(file)) damaged(file, 'missing');
    const bytes = readFileSync(file);
    if (typeof meta.sha256?.[name] !== 'string' || sha256(bytes) !== meta.sha256[name]) damaged(file, 'its SHA-256 does not match the one recorded when it was written');
    arrays[name] = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).data as Float32Array;
  }
  return { ...arrays, sensorChannels: meta.sensorChannels, failureOnset: meta.failureOnset };
}

export function writeCachedEpisode(directory: string, key: string, episode: EpisodeRecording): void {
  const folder = join(directory, key);
  const staging = `${folder}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const sums = {} as EpisodeMeta['sha256'];
  for (const name of ARRAYS) {
    const bytes = asBuffer(episode[name]);
    writeFileAtomic(join(staging, `${name}.npy`), bytes);
    sums[name] = sha256(bytes);
  }
  const meta: EpisodeMeta = { sensorChannels: episode.sensorChannels, failureOnset: episode.failureOnset, sha256: sums };
  writeFileAtomic(join(staging, 'episode.json'), JSON.stringify(meta));
  try {
    renameSync(staging, folder);
  } catch {
    // Another process finished the same episode first; its copy is identical.
    rmSync(staging, { recursive: true, force: true });
  }
}
