import { createRng, DataSource, DataSourceContext, deriveSeed, ModalitySpec, MultimodalDataset, normal, permutation, UserInputError } from '@mmfuse/core';
import { ArmPose, renderArm } from './arm-renderer';
import { channelStatistics, concatBlocks, slidingWindows, splitEpisodes, standardize, windowCount } from './transforms';

export interface SyntheticArmOptions {
  episodes: number;
  framesPerEpisode: number;
  imageSize: number;
  window: number;
  windowStep: number;
  frameRate: number;
  sensorNoise: number;
  testFraction: number;
}

export const SYNTHETIC_ARM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    episodes: { type: 'integer', minimum: 2, maximum: 100000, default: 24, description: 'Independent episodes (each with its own motion and object position); splits are by episode.' },
    framesPerEpisode: { type: 'integer', minimum: 2, maximum: 100000, default: 40, description: 'Camera frames (and sensor rows) per episode.' },
    imageSize: { type: 'integer', minimum: 8, maximum: 1024, default: 32, description: 'Side of the square RGB camera image, in pixels.' },
    window: { type: 'integer', minimum: 1, maximum: 10000, default: 16, description: 'Sensor window length L: each sample is the L rows ending at its frame.' },
    windowStep: { type: 'integer', minimum: 1, maximum: 10000, default: 1, description: 'Frames between consecutive windows.' },
    frameRate: { type: 'number', exclusiveMinimum: 0, maximum: 1000, default: 10, description: 'Frames (and sensor rows) per second.' },
    sensorNoise: { type: 'number', minimum: 0, maximum: 10, default: 0.01, description: 'Std of Gaussian noise on every sensor channel (in the channel\'s units, before standardisation).' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing.' },
  },
};

/** Sensor channels of the joints modality, in order. */
export const ARM_SENSOR_CHANNELS = ['shoulder angle', 'elbow angle', 'shoulder velocity', 'elbow velocity', 'hand x', 'hand y'] as const;

const UPPER_ARM = 0.32;
const FOREARM = 0.26;
const BASE: [number, number] = [0.5, 0.86];

interface Motion {
  centre: [number, number];
  amplitude: [number, number];
  frequency: [number, number];
  phase: [number, number];
  object: [number, number];
}

function randomMotion(rng: () => number): Motion {
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng();
  return {
    centre: [between(1.2, 1.95), between(-0.9, 0.9)],
    amplitude: [between(0.25, 0.6), between(0.3, 0.9)],
    frequency: [between(0.08, 0.3), between(0.1, 0.4)],
    phase: [between(0, 2 * Math.PI), between(0, 2 * Math.PI)],
    object: [between(0.12, 0.88), between(0.72, 0.92)],
  };
}

/** The arm's pose and sensor row at time t (analytic velocities). */
function armState(motion: Motion, t: number): { pose: ArmPose; sensors: number[] } {
  const [q1, q2] = [0, 1].map((j) => motion.centre[j] + motion.amplitude[j] * Math.sin(2 * Math.PI * motion.frequency[j] * t + motion.phase[j]));
  const [w1, w2] = [0, 1].map((j) => motion.amplitude[j] * 2 * Math.PI * motion.frequency[j] * Math.cos(2 * Math.PI * motion.frequency[j] * t + motion.phase[j]));
  const elbow: [number, number] = [BASE[0] + UPPER_ARM * Math.cos(q1), BASE[1] - UPPER_ARM * Math.sin(q1)];
  const hand: [number, number] = [elbow[0] + FOREARM * Math.cos(q1 + q2), elbow[1] - FOREARM * Math.sin(q1 + q2)];
  return { pose: { base: BASE, elbow, hand, object: motion.object, objectRadius: 0.06 }, sensors: [q1, q2, w1, w2, hand[0], hand[1]] };
}

export function syntheticArmModalities(options: SyntheticArmOptions): ModalitySpec[] {
  return [
    { name: 'camera', kind: 'image', shape: [options.imageSize, options.imageSize, 3] },
    { name: 'joints', kind: 'series', shape: [options.window, ARM_SENSOR_CHANNELS.length] },
  ];
}

/**
 * A planar two-link arm moving smoothly in front of a camera, with an object on the table.
 * One hidden state drives both modalities: the camera frame (`camera`, an RGB image in [0, 1])
 * and the window of joint sensors ending at that frame (`joints`: angles, velocities and hand
 * position, standardised with training statistics). The object is visible only to the camera and
 * velocities only to the sensors, so each modality carries something the other lacks.
 */
export class SyntheticArmSource implements DataSource {
  constructor(
    readonly options: SyntheticArmOptions,
    private readonly seed: number,
  ) {
    if (windowCount(options.framesPerEpisode, options.window, options.windowStep) < 1) {
      throw new UserInputError(`window ${options.window} is longer than an episode (${options.framesPerEpisode} frames); lower "window" or raise "framesPerEpisode"`);
    }
  }

  async load(): Promise<MultimodalDataset> {
    const o = this.options;
    const channels = ARM_SENSOR_CHANNELS.length;
    const perEpisode = windowCount(o.framesPerEpisode, o.window, o.windowStep);
    const pixels = o.imageSize * o.imageSize * 3;
    const images: Float32Array[] = [];
    const windows: Float32Array[] = [];
    for (let e = 0; e < o.episodes; e++) {
      const rng = createRng(deriveSeed(this.seed, 'episode', e));
      const motion = randomMotion(rng);
      const series = new Float32Array(o.framesPerEpisode * channels);
      const frames = new Float32Array(perEpisode * pixels);
      for (let f = 0; f < o.framesPerEpisode; f++) {
        const { pose, sensors } = armState(motion, f / o.frameRate);
        sensors.forEach((v, c) => (series[f * channels + c] = v + o.sensorNoise * normal(rng)));
        const k = (f - (o.window - 1)) / o.windowStep;
        if (f >= o.window - 1 && Number.isInteger(k)) renderArm(pose, o.imageSize, frames, k * pixels);
      }
      images.push(frames);
      windows.push(slidingWindows(series, o.framesPerEpisode, channels, o.window, o.windowStep));
    }
    const split = splitEpisodes(o.episodes, o.testFraction, permutation(o.episodes, createRng(deriveSeed(this.seed, 'split'))));
    const gather = (blocks: Float32Array[], episodes: number[]) => concatBlocks(episodes.map((e) => blocks[e]));
    const trainJoints = gather(windows, split.train);
    const testJoints = gather(windows, split.test);
    const stats = channelStatistics(trainJoints, channels);
    standardize(trainJoints, channels, stats);
    standardize(testJoints, channels, stats);
    return {
      modalities: syntheticArmModalities(o),
      train: { size: split.train.length * perEpisode, arrays: { camera: gather(images, split.train), joints: trainJoints } },
      test: { size: split.test.length * perEpisode, arrays: { camera: gather(images, split.test), joints: testJoints } },
      description: {
        source: 'synthetic-arm',
        sensorChannels: [...ARM_SENSOR_CHANNELS],
        trainEpisodes: split.train,
        testEpisodes: split.test,
        samplesPerEpisode: perEpisode,
        standardisation: { mean: Array.from(stats.mean), std: Array.from(stats.std) },
      },
    };
  }
}

export function createSyntheticArmSource(options: SyntheticArmOptions, context: DataSourceContext): SyntheticArmSource {
  return new SyntheticArmSource(options, context.seed);
}
