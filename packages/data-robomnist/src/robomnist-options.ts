import { ModalitySpec } from '@mmfuse/core';
import { CSI_USED_SUBCARRIERS } from './robomnist-csi';
import { CsiAlignmentPolicy } from './robomnist-csi-alignment';
import { StereoView } from './robomnist-video';

export type RoboMnistModality = 'kinematics' | 'csi' | 'camera' | 'audio';

/** Defaults of the options that older configs and callers leave out. */
export const ROBOMNIST_MEDIA_DEFAULTS = {
  cameras: [1],
  view: 'left' as StereoView,
  imageSize: 64,
  videoOffsetSeconds: 0,
  microphones: [1],
  audioWindow: 2048,
  audioBins: 64,
  cache: true,
  stream: 'auto' as boolean | 'auto',
  csiAlignment: 'error' as CsiAlignmentPolicy,
  csiMaxGapSeconds: 0.5,
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
  /** ffmpeg binary (relative to the config, or a name on PATH); default: FFMPEG_PATH, ffmpeg-static, then PATH. */
  ffmpeg?: string;
  /** Seconds from the first kinematics timestamp to video frame 0. Default 0. */
  videoOffsetSeconds?: number;
  /** Microphones (Rx<n>_mic.wav) whose spectra form the `audio` modality, side by side. Default [1]. */
  microphones?: number[];
  /** Audio samples per spectrum (a power of two). Default 2048. */
  audioWindow?: number;
  /** Frequency bands per spectrum, equal widths from 0 to 8 kHz. Default 64. */
  audioBins?: number;
  /** Keep decoded arrays in the cache and reuse them. Default true. */
  cache?: boolean;
  /** Where the cache is (relative to the config); default $MMFUSE_CACHE_DIR or ~/.cache/mmfuse/episodes. */
  cacheDirectory?: string;
  /** Read windows batch by batch from the cache instead of holding them; auto: when they would take over a quarter of memory. Default auto. */
  stream?: boolean | 'auto';
  /** Threads that decode recordings at once. Default: the machine's cores, at most 8. */
  decodeWorkers?: number;
  /** CSI out of time order, on another clock or not covering the kinematics: an error, or a warning. Default error. */
  csiAlignment?: CsiAlignmentPolicy;
  /** Seconds of kinematics at either end allowed without CSI. Default 0.5. */
  csiMaxGapSeconds?: number;
}

export type ResolvedOptions = RoboMnistOptions & typeof ROBOMNIST_MEDIA_DEFAULTS;

export function resolveOptions(options: RoboMnistOptions): ResolvedOptions {
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
    ffmpeg: { type: 'string', minLength: 1, description: 'ffmpeg binary used to decode the videos (a path relative to the config, or a name on PATH). Default: FFMPEG_PATH, then the optional dependency ffmpeg-static, then ffmpeg on PATH.' },
    videoOffsetSeconds: { type: 'number', minimum: -60, maximum: 60, default: ROBOMNIST_MEDIA_DEFAULTS.videoOffsetSeconds, description: 'The videos have no clock: frame 0 is placed at the first kinematics timestamp plus this many seconds, and frames follow at 30 fps.' },
    microphones: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 3 }, minItems: 1, uniqueItems: true, default: ROBOMNIST_MEDIA_DEFAULTS.microphones, description: 'Microphones read by the audio modality (Rx<n>_mic.wav); their spectra sit side by side.' },
    audioWindow: { enum: [256, 512, 1024, 2048, 4096, 8192], default: ROBOMNIST_MEDIA_DEFAULTS.audioWindow, description: 'Audio samples (44.1 kHz) per spectrum, Hann-windowed, ending at the kinematics frame.' },
    audioBins: { type: 'integer', minimum: 1, maximum: 1024, default: ROBOMNIST_MEDIA_DEFAULTS.audioBins, description: 'Frequency bands per spectrum: equal widths from 0 to 8 kHz, each the mean FFT magnitude, stored as log(1e-6 + magnitude).' },
    cache: { type: 'boolean', default: true, description: 'Keep the decoded arrays of each recording (video frames, CSI, spectra, kinematics) on disk as .npy and reuse them while the files and the options that shape them stay the same.' },
    cacheDirectory: { type: 'string', minLength: 1, description: 'Where decoded arrays are kept (relative to the config); default $MMFUSE_CACHE_DIR or ~/.cache/mmfuse/episodes.' },
    stream: {
      anyOf: [{ type: 'boolean' }, { const: 'auto' }],
      default: 'auto',
      description: "Read windows batch by batch from the cache instead of holding the dataset in memory (needs cache); auto: when it would take more than a quarter of the machine's memory.",
    },
    decodeWorkers: { type: 'integer', minimum: 1, maximum: 64, description: 'Threads that decode recordings at once (ffmpeg, JSON, FFT); default the number of cores, at most 8.' },
    csiAlignment: {
      enum: ['error', 'warn'],
      default: 'error',
      description: "CSI rows out of time order, on a clock that does not overlap the kinematics, or leaving more than csiMaxGapSeconds of the kinematics uncovered at either end: an error naming the file, or (warn) a warning in the run's record while the rows are sorted and the nearest row held.",
    },
    csiMaxGapSeconds: { type: 'number', minimum: 0, maximum: 3600, default: 0.5, description: 'Seconds at the start or end of the kinematics allowed without CSI before csiAlignment applies.' },
  },
};

/** Name of the modality of camera `n`: plain "camera" when it is the only one. */
export function cameraModality(options: ResolvedOptions, n: number): string {
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

