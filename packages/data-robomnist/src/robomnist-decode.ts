import { UserInputError } from '@mmfuse/core';
import type { CachedArray } from '@mmfuse/data';
import { windowCount } from '@mmfuse/data';
import { audioSpectra, readMicrophone } from './robomnist-audio';
import { CSI_USED_SUBCARRIERS, readCsi } from './robomnist-csi';
import { alignCsi, CsiAlignmentOptions } from './robomnist-csi-alignment';
import { readKinematics, RobotKinematics } from './robomnist-kinematics';
import { readCameraBytes, StereoView, VIDEO_FRAME_RATE } from './robomnist-video';

/**
 * Decoding one recording into the arrays windows are cut from: per kinematics frame, the
 * kinematics, the aligned CSI amplitudes and the audio spectra; per window, the 8-bit camera frame
 * at its end. Pure data in, data out, so it runs in a worker thread and its result can be cached.
 */

/** The options that shape the decoded arrays. */
export interface DecodeOptions {
  robots: number[];
  sniffers: number[];
  window: number;
  windowStep: number;
  view: StereoView;
  imageSize: number;
  videoOffsetSeconds: number;
  microphones: number[];
  audioWindow: number;
  audioBins: number;
  csi: CsiAlignmentOptions;
}

/** Arrays of a recording: `kinematics`, `csi`, `audio` (`[frames, channels]`) and `camera<n>` (`[windows, s, s, 3]`, uint8). */
export type DecodedArrayName = 'kinematics' | 'csi' | 'audio' | `camera${number}`;

export interface DecodeJob {
  /** Files by key: `pos`, `csi`, `cam<n>`, `mic<n>`. */
  files: Record<string, string>;
  arrays: DecodedArrayName[];
  options: DecodeOptions;
  /** ffmpeg binary, when a camera is decoded. */
  ffmpeg?: string;
}

export interface DecodedRecording {
  /** Kinematics frames of the recording. */
  frames: number;
  arrays: Partial<Record<DecodedArrayName, CachedArray>>;
  /** What was decoded despite a problem, under a `warn` policy, by the array it concerns. */
  warnings: Partial<Record<DecodedArrayName, string[]>>;
}

function chosenRobots(file: string, robots: RobotKinematics[], wanted: number[]): RobotKinematics[] {
  const chosen = wanted.map((n) => {
    const robot = robots.find((r) => r.robot === n);
    if (!robot) throw new UserInputError(`${file}: no robot_number ${n} (it has ${robots.map((r) => r.robot).join(', ')}); check data.robots`);
    return robot;
  });
  const frames = chosen[0].timestampsNs.length;
  chosen.forEach((r) => {
    if (r.timestampsNs.length !== frames) throw new UserInputError(`${file}: robot ${r.robot} has ${r.timestampsNs.length} frames, robot ${chosen[0].robot} has ${frames}`);
  });
  return chosen;
}

function kinematicsSeries(chosen: RobotKinematics[], frames: number): CachedArray {
  const channels = 10 * chosen.length;
  const series = new Float32Array(frames * channels);
  for (let f = 0; f < frames; f++) {
    chosen.forEach((r, k) => {
      series.set(r.joints.subarray(f * 7, f * 7 + 7), f * channels + k * 10);
      series.set(r.endEffector.subarray(f * 3, f * 3 + 3), f * channels + k * 10 + 7);
    });
  }
  return { data: series, shape: [frames, channels] };
}

/** The chosen sniffers' CSI amplitudes side by side: each kinematics frame gets each sniffer's latest row. */
function csiSeries(file: string, times: Float64Array, o: DecodeOptions, warnings: string[]): CachedArray {
  const frames = times.length;
  const sniffers = readCsi(file);
  const channels = CSI_USED_SUBCARRIERS * o.sniffers.length;
  const series = new Float32Array(frames * channels);
  o.sniffers.forEach((n, k) => {
    const found = sniffers.find((x) => x.module === n);
    if (!found) throw new UserInputError(`${file}: no module_number ${n} (it has ${sniffers.map((x) => x.module).join(', ')}); check data.sniffers`);
    const { sniffer, rows } = alignCsi(file, found, times, o.csi, warnings);
    for (let f = 0; f < frames; f++) {
      series.set(sniffer.amplitudes.subarray(rows[f] * CSI_USED_SUBCARRIERS, (rows[f] + 1) * CSI_USED_SUBCARRIERS), f * channels + k * CSI_USED_SUBCARRIERS);
    }
  });
  return { data: series, shape: [frames, channels] };
}

/** The chosen microphones' spectra side by side, one per kinematics frame (`seconds` after the first). */
function audioSeries(files: Record<string, string>, seconds: readonly number[], o: DecodeOptions): CachedArray {
  const frames = seconds.length;
  const channels = o.audioBins * o.microphones.length;
  const series = new Float32Array(frames * channels);
  o.microphones.forEach((n, m) => {
    const file = files[`mic${n}`];
    const audio = readMicrophone(file);
    const ends = seconds.map((t) => Math.round(t * audio.sampleRate));
    if (ends[frames - 1] > audio.samples.length) {
      throw new UserInputError(`${file}: ${(audio.samples.length / audio.sampleRate).toFixed(3)} s of audio, shorter than the kinematics (${seconds[frames - 1].toFixed(3)} s from their first frame)`);
    }
    const spectra = audioSpectra(audio.samples, audio.sampleRate, ends, o.audioWindow, o.audioBins);
    for (let f = 0; f < frames; f++) series.set(spectra.subarray(f * o.audioBins, (f + 1) * o.audioBins), f * channels + m * o.audioBins);
  });
  return { data: series, shape: [frames, channels] };
}

/** Camera `n`'s 8-bit frame at the end of each window. */
async function cameraFrames(job: DecodeJob, n: number, seconds: readonly number[], windows: number): Promise<CachedArray> {
  const o = job.options;
  const file = job.files[`cam${n}`];
  const ends = Array.from({ length: windows }, (_, k) => k * o.windowStep + o.window - 1);
  // The nearest video frame rather than the one before: timestamps jitter around the 30 Hz grid.
  const videoFrames = ends.map((f) => Math.round((seconds[f] - o.videoOffsetSeconds) * VIDEO_FRAME_RATE));
  const early = videoFrames.findIndex((v) => v < 0);
  if (early >= 0) throw new UserInputError(`${file}: the kinematics frame at ${seconds[ends[early]].toFixed(3)} s comes before the video starts (data.videoOffsetSeconds = ${o.videoOffsetSeconds})`);
  if (!job.ffmpeg) throw new Error('a camera is decoded without an ffmpeg binary');
  const last = ends[ends.length - 1];
  const data = await readCameraBytes(file, {
    ffmpeg: job.ffmpeg,
    view: o.view,
    imageSize: o.imageSize,
    frames: videoFrames,
    describeNeed: `their last window ends ${seconds[last].toFixed(3)} s after their first frame; frames at ${VIDEO_FRAME_RATE} fps, data.videoOffsetSeconds ${o.videoOffsetSeconds}`,
  });
  return { data, shape: [windows, o.imageSize, o.imageSize, 3] };
}

/** Decodes the arrays `job.arrays` of one recording. */
export async function decodeRecording(job: DecodeJob): Promise<DecodedRecording> {
  const o = job.options;
  const chosen = chosenRobots(job.files.pos, readKinematics(job.files.pos), o.robots);
  const frames = chosen[0].timestampsNs.length;
  const windows = windowCount(frames, o.window, o.windowStep);
  if (windows === 0) throw new UserInputError(`${job.files.pos}: ${frames} frames, fewer than data.window (${o.window})`);
  const times = chosen[0].timestampsNs;
  // Seconds since the first kinematics frame: the clock the video and the audio are placed on.
  const seconds = Array.from(times, (t) => (t - times[0]) / 1e9);
  const warnings: DecodedRecording['warnings'] = {};
  const arrays: DecodedRecording['arrays'] = {};
  for (const name of job.arrays) {
    if (name === 'kinematics') arrays.kinematics = kinematicsSeries(chosen, frames);
    else if (name === 'csi') arrays.csi = csiSeries(job.files.csi, times, o, (warnings.csi = []));
    else if (name === 'audio') arrays.audio = audioSeries(job.files, seconds, o);
    else arrays[name] = await cameraFrames(job, Number(name.slice('camera'.length)), seconds, windows);
  }
  return { frames, arrays, warnings };
}
