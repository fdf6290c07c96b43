import { spawn } from 'child_process';
import { accessSync, constants, existsSync, statSync } from 'fs';
import { delimiter, join } from 'path';
import { UserInputError } from '@mmfuse/core';

/** A RoboMNIST camera file is a ZED 2 stereo pair side by side: left view x 0–1279, right view x 1280–2559. */
export const STEREO_WIDTH = 2560;
export const STEREO_HEIGHT = 720;
export const VIEW_WIDTH = STEREO_WIDTH / 2;
/** Nominal frame rate of the camera files; the video carries no absolute clock, so frames are placed by this rate. */
export const VIDEO_FRAME_RATE = 30;

export type StereoView = 'left' | 'right';

const INSTALLER = 'ffmpeg-static';
const BINARY = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function installedFfmpeg(): string {
  // Optional dependency: its install step downloads a current static build for this platform;
  // where that fails npm leaves the package out, so it is loaded only when needed. It exports
  // the binary's path, or null on a platform it has no build for.
  const path = require(INSTALLER) as string | null;
  if (!path) throw new Error(`no build for ${process.platform}-${process.arch}`);
  return path;
}

export interface FfmpegLookup {
  /** Environment holding FFMPEG_PATH and PATH (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Path of the binary ffmpeg-static downloaded; throws when that package is missing. */
  installed?: () => string;
}

/**
 * Finds an ffmpeg binary, in this order: `option` (a path, or a bare name looked up on PATH),
 * the FFMPEG_PATH environment variable, the optional dependency ffmpeg-static, then
 * `ffmpeg` on PATH. A path given explicitly that is not an executable file is an error rather
 * than a reason to fall back, so that the binary used is never a surprise.
 */
export function locateFfmpeg(option?: string, lookup: FfmpegLookup = {}): string {
  const env = lookup.env ?? process.env;
  const how = `point data.ffmpeg or FFMPEG_PATH at an ffmpeg binary, install the optional dependency (npm install ${INSTALLER}) or install ffmpeg on PATH (e.g. apt install ffmpeg)`;
  if (option) {
    const found = /[\\/]/.test(option) ? (isExecutableFile(option) ? option : undefined) : onPath(option, env.PATH);
    if (!found) throw new UserInputError(`data.ffmpeg: ${option} is not an executable file; ${how}`);
    return found;
  }
  if (env.FFMPEG_PATH) {
    if (!isExecutableFile(env.FFMPEG_PATH)) throw new UserInputError(`FFMPEG_PATH: ${env.FFMPEG_PATH} is not an executable file; ${how}`);
    return env.FFMPEG_PATH;
  }
  let installerProblem: string;
  try {
    const path = (lookup.installed ?? installedFfmpeg)();
    if (isExecutableFile(path)) return path;
    installerProblem = `${path} is not an executable file`;
  } catch (error) {
    installerProblem = /Cannot find module/.test(String((error as Error)?.message ?? error)) ? 'not installed' : String((error as Error)?.message ?? error);
  }
  const fromPath = onPath(BINARY, env.PATH);
  if (fromPath) return fromPath;
  throw new UserInputError(`no ffmpeg found to decode the camera videos (tried data.ffmpeg: not set; FFMPEG_PATH: not set; ${INSTALLER}: ${installerProblem}; ${BINARY} on PATH: not found); ${how}`);
}

/** Last non-empty line of ffmpeg's diagnostics (where it says what went wrong). */
function lastLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^At least one output file must be specified/.test(l));
  return lines[lines.length - 1] ?? 'no message';
}

function run(ffmpeg: string, file: string, args: string[], onStdout?: (chunk: Buffer) => void): Promise<{ exit: string | undefined; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      // Only the tail matters for messages; the probe's header sits well within this.
      stderr = (stderr + chunk.toString('utf8')).slice(-65536);
    });
    child.stdout.on('data', (chunk: Buffer) => onStdout?.(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => reject(new UserInputError(`${file}: cannot run ffmpeg (${ffmpeg}): ${error.code ?? error.message}`)));
    child.on('close', (code, signal) => resolvePromise({ exit: code === 0 ? undefined : code !== null ? `exit code ${code}` : `killed by ${signal}`, stderr }));
  });
}

/** Frame size of the first video stream, read from what `ffmpeg -i` prints. */
export async function probeVideoSize(ffmpeg: string, file: string): Promise<{ width: number; height: number }> {
  const { stderr } = await run(ffmpeg, file, ['-hide_banner', '-nostdin', '-i', file]);
  const stream = /Stream #\d+:\d+.*?: Video: (.*)$/m.exec(stderr);
  if (!stream) throw new UserInputError(`${file}: ffmpeg found no video stream in it: ${lastLine(stderr)}`);
  const size = /(?:^|[ ,])(\d+)x(\d+)(?=[ ,[]|$)/.exec(stream[1]);
  if (!size) throw new UserInputError(`${file}: ffmpeg did not report the frame size of its video stream ("${stream[1].trim()}")`);
  return { width: Number(size[1]), height: Number(size[2]) };
}

export interface CameraReadOptions {
  ffmpeg: string;
  view: StereoView;
  /** Side of the square output image in pixels. */
  imageSize: number;
  /** Video frame indices wanted (any order, repeats allowed); each becomes one image of the result. */
  frames: readonly number[];
  /** Why that many frames are needed, added to the "too few frames" message. */
  describeNeed?: string;
}

/**
 * Decodes chosen frames of a RoboMNIST stereo camera file with ffmpeg: one view (1280×720) is
 * centre-cropped to 720×720 (a square, so nothing is stretched; the outer 280 columns on each
 * side are dropped) and scaled to `imageSize`² with area averaging. Returns
 * `[frames.length, imageSize, imageSize, 3]` RGB in [0, 1]. The file must be 2560×720 and hold
 * every frame asked for; ffmpeg stops after the last one needed.
 */
export async function readCameraFrames(file: string, options: CameraReadOptions): Promise<Float32Array> {
  const bytes = await readCameraBytes(file, options);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** The frames `readCameraFrames` gives, as the 8-bit RGB values ffmpeg decodes (what the cache keeps). */
export async function readCameraBytes(file: string, options: CameraReadOptions): Promise<Uint8Array> {
  const { ffmpeg, view, imageSize, frames } = options;
  if (!existsSync(file)) throw new UserInputError(`${file}: missing (the camera video of this repetition)`);
  const { width, height } = await probeVideoSize(ffmpeg, file);
  if (width !== STEREO_WIDTH || height !== STEREO_HEIGHT) {
    throw new UserInputError(`${file}: frames are ${width}x${height}, expected ${STEREO_WIDTH}x${STEREO_HEIGHT} (ZED 2 stereo pair side by side)`);
  }
  const pixels = imageSize * imageSize * 3;
  const out = new Uint8Array(frames.length * pixels);
  if (frames.length === 0) return out;
  const slots = new Map<number, number[]>();
  frames.forEach((f, slot) => slots.set(f, [...(slots.get(f) ?? []), slot]));
  const needed = Math.max(...frames) + 1;
  const side = STEREO_HEIGHT;
  const x = (view === 'left' ? 0 : VIEW_WIDTH) + (VIEW_WIDTH - side) / 2;
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-i', file,
    '-an', '-sn',
    '-frames:v', String(needed),
    '-vf', `crop=${side}:${side}:${x}:0,scale=${imageSize}:${imageSize}:flags=area`,
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ];
  const frame = Buffer.alloc(pixels);
  let filled = 0;
  let decoded = 0;
  const { exit, stderr } = await run(ffmpeg, file, args, (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(pixels - filled, chunk.length - offset);
      chunk.copy(frame, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === pixels) {
        for (const slot of slots.get(decoded) ?? []) out.set(frame, slot * pixels);
        decoded++;
        filled = 0;
      }
    }
  });
  if (exit) throw new UserInputError(`${file}: ffmpeg failed (${exit}): ${lastLine(stderr)}`);
  if (decoded < needed) {
    throw new UserInputError(`${file}: ${decoded} video frame(s), but the kinematics need ${needed}${options.describeNeed ? ` (${options.describeNeed})` : ''}`);
  }
  return out;
}
