import { UserInputError } from '@mmfuse/core';
import { cacheEntryFolder, cacheKey, readCacheEntry, writeCacheEntry } from '@mmfuse/data';
import { EpisodeRecording } from './episode-simulator';

/**
 * Simulated episodes are kept in the shared array cache (@mmfuse/data), one entry per episode keyed
 * by everything that shapes it (scene, seed, simulation options, code version).
 */

/** Bumped whenever the simulation changes what it produces for the same options (4: the shared cache format, entry.json). */
export const SIMULATION_VERSION = 4;

export function episodeKey(parts: Record<string, unknown>): string {
  return cacheKey({ version: SIMULATION_VERSION, ...parts });
}

const ARRAYS = ['frames', 'sensors', 'radio'] as const;

interface EpisodeMeta {
  sensorChannels: readonly string[];
  failureOnset: number | null;
}

/**
 * A cached episode, or null when there is none. An entry whose arrays no longer match their
 * checksums is an error naming the file and what to do: a damaged cache is never trained on.
 */
export function readCachedEpisode(directory: string, key: string): EpisodeRecording | null {
  const read = readCacheEntry<EpisodeMeta>(directory, key, ARRAYS);
  if (read.status === 'absent') return null;
  if (read.status === 'damaged') {
    throw new UserInputError(`${read.file}: cached episode is damaged (${read.why}); delete ${cacheEntryFolder(directory, key)} (or the whole cache, ${directory}) and run again to simulate it anew`);
  }
  const [frames, sensors, radio] = ARRAYS.map((name) => read.arrays[name].data as Float32Array);
  return { frames, sensors, radio, sensorChannels: read.meta.sensorChannels, failureOnset: read.meta.failureOnset };
}

export function writeCachedEpisode(directory: string, key: string, episode: EpisodeRecording): void {
  const arrays = Object.fromEntries(ARRAYS.map((name) => [name, { data: episode[name], shape: [episode[name].length] }]));
  const meta: EpisodeMeta = { sensorChannels: episode.sensorChannels, failureOnset: episode.failureOnset };
  writeCacheEntry(directory, key, arrays, meta);
}
