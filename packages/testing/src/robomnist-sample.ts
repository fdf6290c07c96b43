import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { WaveFile } from 'wavefile';

/**
 * Writes a RoboMNIST dataset in its published layout, with values known by construction:
 * condition folders `NN_Ar<arm>_V<speed>_Ac<digit>/` (medium speed spelt `Vmed`), kinematics of two
 * robots at 30 Hz, CSI of three sniffers as Python complex() strings at ~100 Hz covering the
 * kinematics, ZED 2 stereo video (2560×720 H.264, as published) and 16-bit mono 44.1 kHz audio,
 * plus the published manifest.csv. The first `incomplete` trials are marked incomplete in the
 * manifest and lack a file, as in the download.
 */
export interface RoboMnistSampleOptions {
  recordings: number;
  /** Kinematics frames per recording (30 Hz). */
  frames: number;
  incomplete: number;
  /** ffmpeg used to encode the videos; without one no video is written. */
  ffmpeg?: string;
  /** Cameras and microphones per recording (1–3). */
  cameras: number;
  manifest: boolean;
}

export interface SampleRecording {
  folder: string;
  stem: string;
  digit: number;
  arm: number;
  speed: 'high' | 'medium' | 'low';
  complete: boolean;
  /** Files written, relative to the dataset folder. */
  files: string[];
}

const SPEEDS = [
  ['high', 'Vhigh'],
  ['medium', 'Vmed'],
  ['low', 'Vlow'],
] as const;
const UNUSED = new Set([0, 1, 2, 3, 4, 115, 116, 117, 118, 119, 120, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 253, 254, 255]);
export const MANIFEST_HEADER = 'id,digit,arm,speed,repetition,unc_code,unc_u,complete,position,csi,camera_1,audio_1,camera_2,audio_2,camera_3,audio_3';

function kinematics(frames: number, seed: number): unknown {
  return [1, 2].map((robot) => ({
    robot_number: robot,
    time_stamp_ns: Array.from({ length: frames }, (_, f) => 1_700_000_000_000_000_000 / 1e3 + Math.round((f * 1e9) / 30)),
    joint_positions: Array.from({ length: frames }, (_, f) => Array.from({ length: 7 }, (_, j) => Math.sin(0.1 * f + j + seed) * (robot + 0.5))),
    EE_positions: Array.from({ length: frames }, (_, f) => [0.4 + 0.1 * Math.cos(0.2 * f + seed), 0.1 * Math.sin(0.2 * f), 0.3 + 0.01 * robot]),
  }));
}

function csi(frames: number, seed: number): unknown {
  const start = 1_700_000_000_000_000_000 / 1e3 - 50_000_000;
  const rows = Math.ceil(((frames / 30 + 0.1) * 100)) + 1;
  return [1, 2, 3].map((module) => ({
    module_number: module,
    time_stamp_ns: Array.from({ length: rows }, (_, r) => start + r * 10_000_000),
    complex_csi: Array.from({ length: rows }, (_, r) =>
      Array.from({ length: 256 }, (_, k) => {
        if (UNUSED.has(k)) return '0j';
        const re = Math.round(100 * Math.cos(0.05 * r + k / 10 + seed + module));
        const im = Math.round(100 * Math.sin(0.03 * r + k / 7 + seed));
        return `(${re}${im < 0 ? '-' : '+'}${Math.abs(im)}j)`;
      }),
    ),
    RSS: Array.from({ length: rows }, () => -40 - module),
  }));
}

function wav(seconds: number, seed: number): Uint8Array {
  const rate = 44100;
  const samples = Int16Array.from({ length: Math.ceil(seconds * rate) }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * (440 + 50 * seed) * i) / rate)));
  const file = new WaveFile();
  file.fromScratch(1, rate, '16', samples);
  return file.toBuffer();
}

/** One H.264 stereo clip of `frames` frames (a moving test pattern), encoded once and copied. */
function encodeVideo(ffmpeg: string, file: string, frames: number): void {
  const result = spawnSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=2560x720:rate=30`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-pix_fmt', 'yuv420p', file],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`could not encode a test video with ${ffmpeg}: ${result.stderr}`);
}

export function writeRoboMnistSample(dir: string, options: RoboMnistSampleOptions): SampleRecording[] {
  mkdirSync(dir, { recursive: true });
  const { frames, cameras } = options;
  const clip = join(dir, '.clip.mp4');
  // The video runs a second past the kinematics, as the published clips do.
  if (options.ffmpeg) encodeVideo(options.ffmpeg, clip, frames + 30);
  const conditions = new Map<string, number>();
  const recordings: SampleRecording[] = [];
  for (let i = 0; i < options.recordings; i++) {
    const digit = i % 10;
    const arm = 1 + (Math.floor(i / 10) % 2);
    const [speed, spelt] = SPEEDS[Math.floor(i / 3) % 3];
    const condition = `Ar${arm}_${spelt}_Ac${digit}`;
    if (!conditions.has(condition)) conditions.set(condition, conditions.size);
    const folder = `${String(conditions.get(condition)).padStart(2, '0')}_${condition}`;
    const repetition = String(1 + Math.floor(i / 60)).padStart(2, '0');
    const stem = `Rp${repetition}_Ac${digit}_${spelt}_Ar${arm}_UNC${String(100 + i).padStart(3, '0')}`;
    const complete = i >= options.incomplete;
    mkdirSync(join(dir, folder), { recursive: true });
    const files: string[] = [];
    const write = (suffix: string, content: string | Uint8Array | null) => {
      const name = join(folder, `${stem}_${suffix}`);
      if (content === null) {
        // A hard link keeps a large dataset small on disk; each name is still its own recording file.
        try {
          linkSync(clip, join(dir, name));
        } catch {
          copyFileSync(clip, join(dir, name));
        }
      }
      else writeFileSync(join(dir, name), content);
      files.push(name);
    };
    write('Rxall_pos.json', JSON.stringify(kinematics(frames, i)));
    // An incomplete trial lacks its CSI (even index) or its first camera (odd), as in the download.
    if (complete || i % 2 === 1) write('Rxall_csi.json', JSON.stringify(csi(frames, i)));
    for (let n = 1; n <= cameras; n++) {
      if (options.ffmpeg && (complete || i % 2 === 0 || n > 1)) write(`Rx${n}_cam.mp4`, null);
      write(`Rx${n}_mic.wav`, wav(frames / 30 + 1, n));
    }
    recordings.push({ folder, stem, digit, arm, speed, complete, files });
  }
  if (existsSync(clip)) rmSync(clip);
  if (options.manifest) {
    const cell = (r: SampleRecording, suffix: string) => {
      const name = join(r.folder, `${r.stem}_${suffix}`);
      return r.files.includes(name) ? name : '';
    };
    const rows = recordings.map((r) => {
      const unc = Number(r.stem.slice(-3));
      const media = [1, 2, 3].flatMap((n) => [cell(r, `Rx${n}_cam.mp4`), cell(r, `Rx${n}_mic.wav`)]);
      return [`${r.folder}/${r.stem}`, r.digit, r.arm, r.speed, Number(r.stem.slice(2, 4)), unc, unc / 1000, r.complete ? 'True' : 'False', cell(r, 'Rxall_pos.json'), cell(r, 'Rxall_csi.json'), ...media].join(',');
    });
    writeFileSync(join(dir, 'manifest.csv'), [MANIFEST_HEADER, ...rows].join('\n') + '\n');
  }
  return recordings;
}
