import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { join, resolve } from 'path';
import { dump, parse } from 'npyjs';
import { EpisodeRecording } from './episode-simulator';

/**
 * Simulated episodes are written once to disk, one folder per episode keyed by everything that
 * shapes it (scene, seed, simulation options, code version), as .npy arrays any tool can read.
 * A folder appears only complete (written beside, then renamed), so an interrupted run never
 * leaves a half episode behind.
 */

/** Bumped whenever the simulation changes what it produces for the same options. */
export const SIMULATION_VERSION = 2;

export function defaultCacheDirectory(): string {
  if (process.env.MMFUSE_CACHE_DIR) return resolve(process.env.MMFUSE_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mmfuse', 'episodes');
}

export function episodeKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify({ version: SIMULATION_VERSION, ...parts })).digest('hex').slice(0, 24);
}

const asBuffer = (view: Float32Array) => Buffer.from(dump(view, [view.length]));

export function readCachedEpisode(directory: string, key: string): EpisodeRecording | null {
  const folder = join(directory, key);
  const metaFile = join(folder, 'episode.json');
  if (!existsSync(metaFile)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { sensorChannels: string[]; failureOnset: number | null };
    const array = (name: string) => {
      const bytes = readFileSync(join(folder, `${name}.npy`));
      return parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).data as Float32Array;
    };
    return { frames: array('frames'), sensors: array('sensors'), radio: array('radio'), sensorChannels: meta.sensorChannels, failureOnset: meta.failureOnset };
  } catch {
    // A damaged entry is simulated again rather than trusted.
    return null;
  }
}

export function writeCachedEpisode(directory: string, key: string, episode: EpisodeRecording): void {
  const folder = join(directory, key);
  const staging = `${folder}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'frames.npy'), asBuffer(episode.frames));
  writeFileSync(join(staging, 'sensors.npy'), asBuffer(episode.sensors));
  writeFileSync(join(staging, 'radio.npy'), asBuffer(episode.radio));
  writeFileSync(join(staging, 'episode.json'), JSON.stringify({ sensorChannels: episode.sensorChannels, failureOnset: episode.failureOnset }));
  try {
    renameSync(staging, folder);
  } catch {
    // Another process finished the same episode first; its copy is identical.
    rmSync(staging, { recursive: true, force: true });
  }
}
