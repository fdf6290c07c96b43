import { totalmem } from 'os';
import { join, resolve } from 'path';
import { createRng, DataSource, DataSourceContext, DataSplit, deriveSeed, gatherSamples, JsonSchema, ModalitySpec, MultimodalDataset, normal, permutation, UserInputError } from '@mmfuse/core';
import { defaultCacheDirectory, EpisodeArrays, EpisodeSampleStore, FileEpisodes, MemoryEpisodes, SampleLocation, splitEpisodes, standardize, storeChannelStatistics } from '@mmfuse/data';
import { armSensorChannels } from './arm-mjcf';
import { episodeKey, readCachedEpisode, writeCachedEpisode } from './episode-cache';
import { EpisodeRecording, simulateEpisode, SimulationOptions } from './episode-simulator';
import { loadMujoco } from './mujoco-runtime';
import { ProcessFailure, PROCESS_FAILURES, SCENES, SceneType } from './scenes';

type EpisodeArray = 'frames' | 'sensors' | 'radio';

export interface SceneSourceOptions {
  episodes: number;
  framesPerEpisode: number;
  frameRate: number;
  sensorRate: number;
  imageSize: number;
  window: number;
  windowStep: number;
  sensorNoise: number;
  radio: boolean;
  subcarriers: number;
  radioNoiseDb: number;
  failureRate: number;
  failureTypes?: ProcessFailure[];
  testFraction: number;
  cache: boolean;
  cacheDirectory?: string;
  stream: boolean | 'auto';
}

/** `stream: "auto"` reads from the episode cache once the dataset would take this share of memory. */
const STREAM_ABOVE_SHARE_OF_MEMORY = 0.25;

export function sceneSchema(type: SceneType): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      episodes: { type: 'integer', minimum: 2, maximum: 100000, default: 12, description: 'Simulated episodes, each with its own layout, speed and timing; splits are by episode.' },
      framesPerEpisode: { type: 'integer', minimum: 2, maximum: 100000, default: 50, description: 'Camera frames per episode.' },
      frameRate: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 10, description: 'Camera frames per second.' },
      sensorRate: { type: 'number', exclusiveMinimum: 0, maximum: 500, default: 20, description: 'Robot sensor (and radio) rows per second; a whole multiple of frameRate.' },
      imageSize: { type: 'integer', minimum: 8, maximum: 1024, default: 64, description: 'Side of the square RGB camera image, in pixels.' },
      window: { type: 'integer', minimum: 1, maximum: 100000, default: 16, description: 'Sensor window length L in rows: each sample is the L rows ending at its frame.' },
      windowStep: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'Frames between consecutive samples.' },
      sensorNoise: { type: 'number', minimum: 0, maximum: 10, default: 0.01, description: 'Std of Gaussian measurement noise on every robot channel, in its units (rad, rad/s, N·m, m).' },
      radio: { type: 'boolean', default: false, description: 'Add a third modality, "radio": WiFi-CSI-like channel amplitudes (dB) between a transmitter and a receiver across the cell.' },
      subcarriers: { type: 'integer', minimum: 1, maximum: 2048, default: 64, description: 'Radio subcarriers over 80 MHz at 5.2 GHz.' },
      radioNoiseDb: { type: 'number', minimum: 0, maximum: 40, default: 0.5, description: 'Std of measurement noise on each radio amplitude, dB.' },
      failureRate: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'Share of episodes in which a process failure happens inside the simulation; samples from its onset on are labelled with it.' },
      failureTypes: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: [...SCENES[type].failures] },
        description: `Process failures to draw from (default: all this scene has: ${SCENES[type].failures.join(', ')}).`,
      },
      testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing.' },
      cache: { type: 'boolean', default: true, description: 'Keep simulated episodes on disk and reuse them while the options stay the same.' },
      stream: {
        anyOf: [{ type: 'boolean' }, { const: 'auto' }],
        default: 'auto',
        description: 'Read samples batch by batch from the episode cache instead of holding the dataset in memory (needs cache); auto: when it would take more than a quarter of the machine\'s memory.',
      },
      cacheDirectory: { type: 'string', minLength: 1, description: 'Where episodes are kept (relative to the config); default $MMFUSE_CACHE_DIR or ~/.cache/mmfuse/episodes.' },
    },
  };
}

export function sceneModalities(options: SceneSourceOptions, type: SceneType): ModalitySpec[] {
  const channels = SCENES[type].build(createRng(0)).tasks.reduce((n, task) => n + armSensorChannels(task.arm).length, 0);
  const modalities: ModalitySpec[] = [
    { name: 'camera', kind: 'image', shape: [options.imageSize, options.imageSize, 3] },
    { name: 'robot', kind: 'series', shape: [options.window, channels] },
  ];
  if (options.radio) modalities.push({ name: 'radio', kind: 'series', shape: [options.window, options.subcarriers] });
  return modalities;
}

/** First frame with a full sensor window behind it, and how many samples an episode gives. */
function sampling(options: SceneSourceOptions): { rowsPerFrame: number; firstFrame: number; perEpisode: number } {
  const rowsPerFrame = Math.round(options.sensorRate / options.frameRate);
  const firstFrame = Math.ceil((options.window - 1) / rowsPerFrame);
  const perEpisode = firstFrame > options.framesPerEpisode - 1 ? 0 : Math.floor((options.framesPerEpisode - 1 - firstFrame) / options.windowStep) + 1;
  return { rowsPerFrame, firstFrame, perEpisode };
}

export type SceneProgress = (done: number, total: number) => void;

/**
 * Real physics (MuJoCo) of an industrial cell, filmed by a camera and logged by the robots' own
 * sensors: joint angles, velocities and torques, tool pose and, for a gripper, its opening and
 * finger contact. Optionally a radio link across the cell. Each sample is one camera frame with the
 * window of sensor rows ending at it.
 */
export class SceneSource implements DataSource {
  constructor(
    readonly type: SceneType,
    readonly options: SceneSourceOptions,
    private readonly seed: number,
    private readonly baseDir: string,
    private readonly progress?: SceneProgress,
  ) {
    const ratio = options.sensorRate / options.frameRate;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-9 || ratio < 1) {
      throw new UserInputError(`sensorRate ${options.sensorRate} is not a whole multiple of frameRate ${options.frameRate}`);
    }
    if (Math.abs(500 / options.sensorRate - Math.round(500 / options.sensorRate)) > 1e-9) {
      throw new UserInputError(`sensorRate ${options.sensorRate} does not divide the 500 Hz physics rate; use e.g. 10, 20, 50, 100, 250 or 500`);
    }
    if (sampling(options).perEpisode < 1) {
      throw new UserInputError(`window ${options.window} rows (${(options.window / options.sensorRate).toFixed(2)} s) is longer than an episode; lower "window" or raise "framesPerEpisode"`);
    }
  }

  /** Which process failure each episode has (none when the rate is 0), fixed by the seed. */
  episodeFailures(): (ProcessFailure | undefined)[] {
    const types = this.options.failureTypes ?? [...SCENES[this.type].failures];
    const rng = createRng(deriveSeed(this.seed, 'failures'));
    return Array.from({ length: this.options.episodes }, () => {
      const failing = rng() < this.options.failureRate;
      const pick = types[Math.floor(rng() * types.length)];
      return failing ? pick : undefined;
    });
  }

  private simulation(): SimulationOptions {
    const o = this.options;
    return {
      frames: o.framesPerEpisode,
      frameRate: o.frameRate,
      sensorRate: o.sensorRate,
      imageSize: o.imageSize,
      radio: o.radio ? { subcarriers: o.subcarriers, centreFrequency: 5.2e9, bandwidth: 80e6, noiseDb: o.radioNoiseDb } : null,
      taskShare: 0,
    };
  }

  private cacheDirectory(): string {
    return this.options.cacheDirectory ? resolve(this.baseDir, this.options.cacheDirectory) : defaultCacheDirectory();
  }

  private episodeKey(index: number, failure: ProcessFailure | undefined): string {
    return episodeKey({ scene: this.type, seed: deriveSeed(this.seed, 'episode', index), failure: failure ?? null, simulation: this.simulation() });
  }

  /** The cache folder that holds (or will hold) one episode. */
  episodeFolder(index: number, failure: ProcessFailure | undefined): string {
    return join(this.cacheDirectory(), this.episodeKey(index, failure));
  }

  /** Simulates (or reads back) one episode. */
  async episode(index: number, failure: ProcessFailure | undefined): Promise<EpisodeRecording> {
    const o = this.options;
    const episodeSeed = deriveSeed(this.seed, 'episode', index);
    const simulation = this.simulation();
    const directory = this.cacheDirectory();
    const key = this.episodeKey(index, failure);
    if (o.cache) {
      const cached = readCachedEpisode(directory, key);
      if (cached) return cached;
    }
    const mujoco = await loadMujoco();
    const rng = createRng(episodeSeed);
    const layout = SCENES[this.type].build(rng, failure);
    // Speed varies by episode: the task fills 65–95 % of it.
    const recording = simulateEpisode(mujoco, layout, { ...simulation, taskShare: 0.65 + 0.3 * rng() }, rng);
    if (o.cache) writeCachedEpisode(directory, key, recording);
    return recording;
  }

  /** Whether the dataset is read from the episode cache batch by batch instead of held in memory. */
  streams(samples: number, channels: number): boolean {
    const o = this.options;
    if (o.stream === false) return false;
    const bytes = samples * (o.imageSize * o.imageSize * 3 + o.window * (channels + (o.radio ? o.subcarriers : 0))) * 4;
    const streaming = o.stream === true || bytes > STREAM_ABOVE_SHARE_OF_MEMORY * totalmem();
    if (streaming && !o.cache) throw new UserInputError(`stream: the dataset is read from the episode cache (${(bytes / 2 ** 30).toFixed(1)} GiB), so "cache" must stay true`);
    return streaming;
  }

  /**
   * Every episode, simulated or read from the cache: in memory, or (streaming) left in the cache
   * files with only what the labels need kept here.
   */
  private async recordEpisodes(failures: (ProcessFailure | undefined)[], streaming: boolean): Promise<{ episodes: EpisodeArrays; channels: readonly string[]; onsets: (number | null)[] }> {
    const o = this.options;
    const kept: Record<EpisodeArray, Float32Array>[] = [];
    const folders: string[] = [];
    const onsets: (number | null)[] = [];
    let channels: readonly string[] = [];
    for (let e = 0; e < o.episodes; e++) {
      const recording = await this.episode(e, failures[e]);
      channels = recording.sensorChannels;
      onsets.push(recording.failureOnset);
      if (streaming) folders.push(this.episodeFolder(e, failures[e]));
      else kept.push({ frames: recording.frames, sensors: recording.sensors, radio: recording.radio });
      this.progress?.(e + 1, o.episodes);
    }
    return { episodes: streaming ? FileEpisodes.inFolders(folders) : new MemoryEpisodes(kept), channels, onsets };
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    const { rowsPerFrame, firstFrame, perEpisode } = sampling(o);
    const failures = this.episodeFailures();
    const failureNames = ['none', ...PROCESS_FAILURES];
    const streaming = this.streams(o.episodes * perEpisode, sceneModalities(o, this.type)[1].shape[1]);
    const { episodes, channels, onsets } = await this.recordEpisodes(failures, streaming);
    const c = channels.length;
    const k = o.radio ? o.subcarriers : 0;
    const pixels = o.imageSize * o.imageSize * 3;
    const split = splitEpisodes(o.episodes, o.testFraction, permutation(o.episodes, createRng(deriveSeed(this.seed, 'split'))));

    const locate = (list: number[]) => list.flatMap((episode) => Array.from({ length: perEpisode }, (_, local) => ({ episode, local, start: firstFrame + local * o.windowStep })));
    const labelOf = (at: SampleLocation) => {
      const onset = onsets[at.episode];
      return onset !== null && at.start / o.frameRate >= onset ? failureNames.indexOf(failures[at.episode] as string) : 0;
    };
    // Sensor windows start L − 1 rows before their frame's row.
    const rowStart = (at: SampleLocation) => at.start * rowsPerFrame - o.window + 1;
    const addNoise = (values: Float32Array, at: SampleLocation) => {
      if (o.sensorNoise === 0) return;
      const rng = createRng(deriveSeed(this.seed, 'sensor-noise', at.episode, at.local));
      for (let i = 0; i < values.length; i++) values[i] += o.sensorNoise * normal(rng);
    };
    const windowsOf = (locations: SampleLocation[], array: EpisodeArray, width: number, finish?: (v: Float32Array, at: SampleLocation) => void) =>
      new EpisodeSampleStore(episodes, array, locations.map((at) => ({ ...at, start: rowStart(at) })), o.window * width, width, finish);

    // Statistics from the training windows only, so nothing of the test split leaks in.
    const trainLocations = locate(split.train);
    const robotStats = storeChannelStatistics(windowsOf(trainLocations, 'sensors', c, addNoise), c);
    const radioStats = k ? storeChannelStatistics(windowsOf(trainLocations, 'radio', k), k) : undefined;
    const standardiser = (stats: { mean: ArrayLike<number>; std: ArrayLike<number> }, width: number) => (values: Float32Array) => {
      standardize(values, width, stats);
    };
    const standardiseRobot = standardiser(robotStats, c);
    const standardiseRadio = radioStats ? standardiser(radioStats, k) : undefined;

    const part = (list: number[]): DataSplit => {
      const locations = locate(list);
      const stores: Record<string, EpisodeSampleStore> = {
        camera: new EpisodeSampleStore(episodes, 'frames', locations, pixels, pixels),
        robot: windowsOf(locations, 'sensors', c, (values, at) => {
          addNoise(values, at);
          standardiseRobot(values);
        }),
      };
      if (k) stores.radio = windowsOf(locations, 'radio', k, (values) => standardiseRadio!(values));
      const everyone = Array.from({ length: locations.length }, (_, i) => i);
      const arrays = Object.fromEntries(
        Object.entries(stores).map(([name, store]) => [name, streaming ? store : gatherSamples(store, store.sampleSize, everyone, 0, everyone.length)]),
      );
      return { size: locations.length, arrays, labels: { failure: Int32Array.from(locations, labelOf) } };
    };
    return {
      modalities: sceneModalities(o, this.type),
      train: part(split.train),
      test: part(split.test),
      description: {
        source: this.type,
        streamed: streaming,
        sensorChannels: [...channels],
        labels: { failure: failureNames },
        episodeFailures: failures.map((f, e) => ({ episode: e, failure: f ?? 'none', onsetSeconds: onsets[e] })),
        trainEpisodes: split.train,
        testEpisodes: split.test,
        samplesPerEpisode: perEpisode,
        standardisation: {
          robot: { mean: Array.from(robotStats.mean), std: Array.from(robotStats.std) },
          ...(radioStats ? { radio: { mean: Array.from(radioStats.mean), std: Array.from(radioStats.std) } } : {}),
        },
      },
    };
  }
}

export function sceneSourceFactory(type: SceneType) {
  return (options: SceneSourceOptions, context: DataSourceContext): SceneSource => new SceneSource(type, options, context.seed, context.baseDir, context.progress);
}
