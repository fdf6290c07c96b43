import { spawnSync } from 'child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { WaveFile } from 'wavefile';
import { UserInputError } from '@mmfuse/core';
import { readKinematics } from './robomnist-kinematics';
import { AUDIO_LOG_FLOOR, audioBandOf, audioSpectra, readMicrophone } from './robomnist-audio';
import { RoboMnistOptions, roboMnistModalities } from './robomnist-options';
import { RoboMnistSource } from './robomnist-source';
import { locateFfmpeg, readCameraFrames } from './robomnist-video';

jest.setTimeout(60_000);

const FIXTURES = join(__dirname, 'fixtures');
// Real data of the published dataset (see fixtures/README.md): the first 2 s of one microphone.
const REAL_AUDIO = join(FIXTURES, 'Rp01_Ac6_Vhigh_Ar1_UNC187_Rx1_mic_first2s.wav');
const REAL_POS = join(FIXTURES, 'Rp01_Ac6_Vhigh_Ar1_UNC187_Rxall_pos.json');
// The whole 15 s recording, present only beside a checkout that carries the shared data.
const FULL_REAL_AUDIO = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'robomnist', 'Rp01_Ac6_Vhigh_Ar1_UNC187_Rx1_mic.wav');

const ffmpeg = locateFfmpeg();
const TOLERANCE = 3 / 255;
const SINE_HZ = 1060;

type Rgb = [number, number, number];

/**
 * Colours of the test videos. Within the centre 720×720 square of each view: left view
 * (20k, 0, 0) in the top half and (20k, 100, 0) in the bottom half of frame k, right view
 * (0, 10k, 200). Outside the square: cyan on the left, yellow on the right, so a wrong crop shows.
 */
const leftTop = (k: number): Rgb => [20 * k, 0, 0];
const leftBottom = (k: number): Rgb => [20 * k, 100, 0];
const rightInside = (k: number): Rgb => [0, 10 * k, 200];

/** Encodes `frames` frames of width×height RGB with ffmpeg (H.264 4:4:4, lossless quantiser). */
function writeVideo(file: string, frames: number, width = 2560, height = 720): void {
  const raw = Buffer.alloc(frames * width * height * 3);
  const half = width / 2;
  const square = Math.min(half, height);
  const margin = (half - square) / 2;
  for (let k = 0; k < frames; k++) {
    for (const top of [true, false]) {
      const row = Buffer.alloc(width * 3);
      for (let x = 0; x < width; x++) {
        const inLeft = x < half;
        const inSquare = (inLeft ? x : x - half) >= margin && (inLeft ? x : x - half) < margin + square;
        const colour: Rgb = inLeft ? (inSquare ? (top ? leftTop(k) : leftBottom(k)) : [0, 255, 255]) : inSquare ? rightInside(k) : [255, 255, 0];
        row.set(colour, x * 3);
      }
      for (let y = top ? 0 : height / 2; y < (top ? height / 2 : height); y++) row.copy(raw, ((k * height + y) * width) * 3);
    }
  }
  const result = spawnSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', '30', '-i', '-', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p', file],
    { input: raw, maxBuffer: 1 << 24 },
  );
  if (result.status !== 0) throw new Error(`could not write the test video: ${result.stderr}`);
}

function writeWav(file: string, samples: ArrayLike<number>, channels = 1, rate = 44100, bits = '16'): Buffer {
  const wav = new WaveFile();
  const scale = bits === '8' ? 127 : 32767;
  const ints = Array.from(samples, (v) => Math.round(v * scale) + (bits === '8' ? 128 : 0));
  wav.fromScratch(channels, rate, bits, channels === 1 ? ints : Array.from({ length: channels }, () => ints));
  const bytes = Buffer.from(wav.toBuffer());
  writeFileSync(file, bytes);
  return bytes;
}

/** Silence until `onsetSeconds`, then a sine of SINE_HZ at amplitude 0.5. */
function sineAfter(onsetSeconds: number, seconds: number, rate = 44100): Float32Array {
  const onset = Math.round(onsetSeconds * rate);
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => (i < onset ? 0 : 0.5 * Math.sin((2 * Math.PI * SINE_HZ * i) / rate)));
}

/** Kinematics of two robots over `frames` frames at 30 Hz, from time 0. */
function kinematics(frames: number): unknown {
  return [1, 2].map((robot) => ({
    robot_number: robot,
    time_stamp_ns: Array.from({ length: frames }, (_, f) => Math.round((f * 1e9) / 30)),
    joint_positions: Array.from({ length: frames }, (_, f) => Array.from({ length: 7 }, (_, j) => robot * 100 + f + j / 10)),
    EE_positions: Array.from({ length: frames }, (_, f) => [robot, f / 100, 0]),
  }));
}

/** Pixel p of image i of a `[n, size, size, 3]` array. */
function pixel(images: Float32Array, size: number, i: number, y: number, x: number): Rgb {
  const at = ((i * size + y) * size + x) * 3;
  return [images[at], images[at + 1], images[at + 2]];
}

function expectColour(actual: Rgb, expected: Rgb): void {
  actual.forEach((v, c) => {
    if (Math.abs(v - expected[c] / 255) > TOLERANCE) throw new Error(`colour ${actual.map((a) => Math.round(a * 255)).join(',')} is not ${expected.join(',')} (±3)`);
  });
}

/** This source keeps every modality in memory as one Float32Array. */
function values(split: { arrays: Readonly<Record<string, unknown>> }, name: string): Float32Array {
  const array = split.arrays[name];
  if (!(array instanceof Float32Array)) throw new Error(`${name}: expected a Float32Array`);
  return array;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

describe('locating ffmpeg', () => {
  // A working binary, wherever this machine has one (ffmpeg-static's download, or the system's).
  const installed = locateFfmpeg(undefined);
  const notInstalled = (): string => {
    throw new Error("Cannot find module 'ffmpeg-static'");
  };

  it('runs the binary it finds', () => {
    expect(spawnSync(installed, ['-version']).stdout.toString()).toMatch(/^ffmpeg version/);
  });

  it('uses the binary of ffmpeg-static when nothing is set, and says when that is not one', () => {
    const bin = mkdtempSync(join(tmpdir(), 'mmfuse-static-'));
    symlinkSync(installed, join(bin, 'ffmpeg'));
    expect(locateFfmpeg(undefined, { env: {}, installed: () => join(bin, 'ffmpeg') })).toBe(join(bin, 'ffmpeg'));
    expect(() => locateFfmpeg(undefined, { env: { PATH: '' }, installed: () => join(bin, 'missing') })).toThrow(`ffmpeg-static: ${join(bin, 'missing')} is not an executable file`);
  });

  it('prefers data.ffmpeg, then FFMPEG_PATH, then the package, then PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'mmfuse-bin-'));
    symlinkSync(installed, join(bin, 'ffmpeg'));
    expect(locateFfmpeg(join(bin, 'ffmpeg'), { env: { FFMPEG_PATH: '/nowhere/ffmpeg' } })).toBe(join(bin, 'ffmpeg'));
    expect(locateFfmpeg('ffmpeg', { env: { PATH: bin } })).toBe(join(bin, 'ffmpeg'));
    expect(locateFfmpeg(undefined, { env: { FFMPEG_PATH: join(bin, 'ffmpeg') } })).toBe(join(bin, 'ffmpeg'));
    expect(locateFfmpeg(undefined, { env: { PATH: bin }, installed: notInstalled })).toBe(join(bin, 'ffmpeg'));
  });

  it('says what it tried and how to get one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mmfuse-bin-'));
    const none = () => locateFfmpeg(undefined, { env: { PATH: empty }, installed: notInstalled });
    expect(none).toThrow(UserInputError);
    expect(none).toThrow('no ffmpeg found to decode the camera videos (tried data.ffmpeg: not set; FFMPEG_PATH: not set; ffmpeg-static: not installed; ffmpeg on PATH: not found)');
    expect(none).toThrow('npm install ffmpeg-static');
    expect(() => locateFfmpeg('/nowhere/ffmpeg', { env: {} })).toThrow('data.ffmpeg: /nowhere/ffmpeg is not an executable file');
    expect(() => locateFfmpeg(undefined, { env: { FFMPEG_PATH: '/nowhere/ffmpeg' } })).toThrow('FFMPEG_PATH: /nowhere/ffmpeg is not an executable file');
  });
});

describe('camera video', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-cam-'));
  const video = join(dir, 'stereo.mp4');
  beforeAll(() => writeVideo(video, 12));

  it('decodes the centre square of the left view, frame by frame, scaled to imageSize', async () => {
    const images = await readCameraFrames(video, { ffmpeg, view: 'left', imageSize: 16, frames: [0, 5, 11, 5] });
    expect(images.length).toBe(4 * 16 * 16 * 3);
    [0, 5, 11, 5].forEach((k, i) => {
      for (const [y, x] of [[0, 0], [0, 15], [7, 8], [8, 0], [15, 15]]) expectColour(pixel(images, 16, i, y, x), y < 8 ? leftTop(k) : leftBottom(k));
    });
  });

  it('decodes the right view when asked', async () => {
    const images = await readCameraFrames(video, { ffmpeg, view: 'right', imageSize: 8, frames: [3, 10] });
    for (const [y, x] of [[0, 0], [4, 4], [7, 7]]) {
      expectColour(pixel(images, 8, 0, y, x), rightInside(3));
      expectColour(pixel(images, 8, 1, y, x), rightInside(10));
    }
  });

  it('names the file of a missing, unreadable, wrongly sized or too short video', async () => {
    const missing = join(dir, 'missing.mp4');
    await expect(readCameraFrames(missing, { ffmpeg, view: 'left', imageSize: 8, frames: [0] })).rejects.toThrow(`${missing}: missing`);
    const garbage = join(dir, 'garbage.mp4');
    writeFileSync(garbage, 'not a video');
    await expect(readCameraFrames(garbage, { ffmpeg, view: 'left', imageSize: 8, frames: [0] })).rejects.toThrow(
      new RegExp(`^${garbage.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ffmpeg found no video stream in it: .*Invalid data found when processing input$`),
    );
    const small = join(dir, 'small.mp4');
    writeVideo(small, 2, 640, 360);
    await expect(readCameraFrames(small, { ffmpeg, view: 'left', imageSize: 8, frames: [0] })).rejects.toThrow(`${small}: frames are 640x360, expected 2560x720`);
    const short = join(dir, 'short.mp4');
    writeVideo(short, 6);
    await expect(readCameraFrames(short, { ffmpeg, view: 'left', imageSize: 8, frames: [1, 11] })).rejects.toThrow(`${short}: 6 video frame(s), but the kinematics need 12`);
  });

  it('reports an ffmpeg that fails while decoding with its last message and the file', async () => {
    // A wrapper that answers the size probe with the real ffmpeg, then fails the decode.
    const failing = join(dir, 'failing-ffmpeg');
    writeFileSync(failing, `#!/bin/sh\ncase "$*" in *rawvideo*) echo "first line" >&2; echo "Error while decoding stream #0:0: Invalid data found" >&2; exit 69;; esac\nexec "${ffmpeg}" "$@"\n`);
    chmodSync(failing, 0o755);
    await expect(readCameraFrames(video, { ffmpeg: failing, view: 'left', imageSize: 8, frames: [0] })).rejects.toThrow(
      `${video}: ffmpeg failed (exit code 69): Error while decoding stream #0:0: Invalid data found`,
    );
  });
});

describe('microphone audio', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-mic-'));

  it('reads mono 16-bit PCM at 44.1 kHz, scaled to [-1, 1)', () => {
    const file = join(dir, 'sine.wav');
    writeWav(file, sineAfter(0, 0.1));
    const audio = readMicrophone(file);
    expect(audio.sampleRate).toBe(44100);
    expect(audio.samples.length).toBe(4410);
    expect(Math.max(...audio.samples)).toBeCloseTo(0.5, 3);
  });

  it('puts the spectral peak in the band holding the sine, and silence at the floor', () => {
    const samples = sineAfter(0.2, 0.5);
    const onset = Math.round(0.2 * 44100);
    const spectra = audioSpectra(samples, 44100, [onset, onset + 2048, 44100 * 0.5, 100], 2048, 64);
    expect(audioBandOf(SINE_HZ, 64)).toBe(8);
    expect(argmax(spectra.subarray(64, 128))).toBe(8);
    expect(argmax(spectra.subarray(128, 192))).toBe(8);
    // A full window of a sine of amplitude 0.5: its band is far above the others.
    const row = Array.from(spectra.subarray(64, 128));
    const others = row.filter((_, b) => Math.abs(b - 8) > 1);
    expect(row[8] - Math.max(...others)).toBeGreaterThan(5);
    // Windows ending at the onset, or reaching before the recording, hold only silence.
    for (const v of spectra.subarray(0, 64)) expect(v).toBeCloseTo(Math.log(AUDIO_LOG_FLOOR), 6);
    for (const v of spectra.subarray(192, 256)) expect(v).toBeCloseTo(Math.log(AUDIO_LOG_FLOOR), 6);
    expect(() => audioSpectra(samples, 44100, [0], 1000, 64)).toThrow('data.audioWindow: 1000 is not a power of two');
  });

  it('names the file and the values of a wrong format, a truncated file or a missing one', () => {
    const samples = sineAfter(0, 0.05);
    const stereo = join(dir, 'stereo.wav');
    writeWav(stereo, samples, 2);
    expect(() => readMicrophone(stereo)).toThrow(`${stereo}: 2 channels, expected mono 16-bit PCM at 44100 Hz`);
    const eightBit = join(dir, 'eight.wav');
    writeWav(eightBit, samples, 1, 44100, '8');
    expect(() => readMicrophone(eightBit)).toThrow(`${eightBit}: 8-bit samples, expected mono 16-bit PCM at 44100 Hz`);
    const rate = join(dir, 'rate.wav');
    writeWav(rate, samples, 1, 48000);
    expect(() => readMicrophone(rate)).toThrow(`${rate}: sample rate 48000 Hz, expected mono 16-bit PCM at 44100 Hz`);
    const truncated = join(dir, 'truncated.wav');
    const bytes = writeWav(truncated, samples);
    writeFileSync(truncated, bytes.subarray(0, 1000));
    expect(() => readMicrophone(truncated)).toThrow(`${truncated}: truncated: the header declares ${samples.length * 2} bytes of samples, the file holds 956`);
    writeFileSync(truncated, bytes.subarray(0, 30));
    expect(() => readMicrophone(truncated)).toThrow(new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a readable WAV file \\(.*; truncated\\?\\)$`));
    expect(() => readMicrophone(join(dir, 'none.wav'))).toThrow(`${join(dir, 'none.wav')}: cannot read it (ENOENT)`);
  });

  it('decodes the real recording shipped with the project and turns it into spectra', () => {
    const audio = readMicrophone(REAL_AUDIO);
    expect(audio.sampleRate).toBe(44100);
    expect(audio.samples.length).toBe(2 * 44100);
    // 60 kinematics frames (2 s) of the same repetition, on the audio's clock.
    const times = readKinematics(REAL_POS)[0].timestampsNs.subarray(0, 60);
    const ends = Array.from(times, (t) => Math.round(((t - times[0]) / 1e9) * audio.sampleRate));
    expect(ends[59]).toBeLessThanOrEqual(audio.samples.length);
    const spectra = audioSpectra(audio.samples, audio.sampleRate, ends, 2048, 64);
    expect(spectra.length).toBe(60 * 64);
    spectra.forEach((v) => expect(Number.isFinite(v)).toBe(true));
    // A real recording is neither silent nor constant: spectra lie above the floor and change over time.
    const late = spectra.subarray(30 * 64);
    expect(Math.min(...late)).toBeGreaterThan(Math.log(AUDIO_LOG_FLOOR) + 1);
    expect(late.some((v, i) => Math.abs(v - late[(i + 64) % late.length]) > 0.1)).toBe(true);
    // The fixture is the start of the full recording; check it against the full file where that is present.
    if (existsSync(FULL_REAL_AUDIO)) {
      const full = readMicrophone(FULL_REAL_AUDIO);
      expect(full.sampleRate).toBe(44100);
      expect(full.samples.length / full.sampleRate).toBeCloseTo(15, 1);
      expect(audio.samples.filter((v, i) => v !== full.samples[i]).length).toBe(0);
    }
  });
});

describe('the robomnist source with camera and audio', () => {
  const stems = ['Rp01_Ac6_Vhigh_Ar1_UNC187', 'Rp02_Ac6_Vhigh_Ar1_UNC150'];
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-media-'));
  const options = (directory: string, extra: Partial<RoboMnistOptions> = {}): RoboMnistOptions => ({
    directory,
    modalities: ['kinematics', 'camera', 'audio'],
    digits: [6],
    speeds: ['high'],
    arms: [1],
    robots: [1, 2],
    sniffers: [1],
    window: 4,
    windowStep: 2,
    testFraction: 0.5,
    imageSize: 16,
    ...extra,
  });
  const frames = 12;
  const perRepetition = Math.floor((frames - 4) / 2) + 1;

  beforeAll(() => {
    writeVideo(join(dir, 'video.mp4'), frames);
    for (const stem of stems) {
      writeFileSync(join(dir, `${stem}_Rxall_pos.json`), JSON.stringify(kinematics(frames)));
      copyFileSync(join(dir, 'video.mp4'), join(dir, `${stem}_Rx1_cam.mp4`));
      copyFileSync(join(dir, 'video.mp4'), join(dir, `${stem}_Rx2_cam.mp4`));
      writeWav(join(dir, `${stem}_Rx1_mic.wav`), sineAfter(0.2, 0.5));
    }
  });

  it('declares the shapes of the new modalities', () => {
    const base = { ...options(dir), imageSize: undefined };
    expect(roboMnistModalities(base)).toEqual([
      { name: 'kinematics', kind: 'series', shape: [4, 20] },
      { name: 'camera', kind: 'image', shape: [64, 64, 3] },
      { name: 'audio', kind: 'series', shape: [4, 64] },
    ]);
    expect(roboMnistModalities(options(dir, { modalities: ['camera', 'audio'], cameras: [1, 3], microphones: [1, 2], audioBins: 32 }))).toEqual([
      { name: 'camera1', kind: 'image', shape: [16, 16, 3] },
      { name: 'camera3', kind: 'image', shape: [16, 16, 3] },
      { name: 'audio', kind: 'series', shape: [4, 64] },
    ]);
    expect(roboMnistModalities(options(dir, { modalities: ['kinematics', 'csi'] })).map((m) => m.name)).toEqual(['kinematics', 'csi']);
  });

  it('gives each window the video frame at its end and the audio spectra of its frames', async () => {
    const data = await new RoboMnistSource(options(dir), 3, '/').load();
    expect(data.train.size).toBe(perRepetition);
    expect(data.test.size).toBe(perRepetition);
    expect(data.modalities.map((m) => [m.name, m.shape])).toEqual([
      ['kinematics', [4, 20]],
      ['camera', [16, 16, 3]],
      ['audio', [4, 64]],
    ]);
    const pixels = 16 * 16 * 3;
    expect(values(data.train, 'camera').length).toBe(perRepetition * pixels);
    for (let k = 0; k < perRepetition; k++) {
      // Window k ends at kinematics frame 2k + 3, i.e. 30 fps video frame 2k + 3.
      expectColour(pixel(values(data.test, 'camera'), 16, k, 2, 2), leftTop(2 * k + 3));
      expectColour(pixel(values(data.train, 'camera'), 16, k, 12, 2), leftBottom(2 * k + 3));
    }
    const d = data.description as { standardisation: Record<string, { mean: number[]; std: number[] }> };
    expect(Object.keys(d.standardisation).sort()).toEqual(['audio', 'kinematics']);
    // Window 2 holds frames 4–7. The sine starts at 0.2 s (frame 6): the windows ending at
    // frames 4–6 are silent, the one ending at frame 7 peaks in the sine's band.
    const { mean, std } = d.standardisation.audio;
    const row = (r: number) => Array.from({ length: 64 }, (_, b) => values(data.train, 'audio')[(2 * 4 + r) * 64 + b] * std[b] + mean[b]);
    for (const r of [0, 1, 2]) row(r).forEach((v) => expect(v).toBeCloseTo(Math.log(AUDIO_LOG_FLOOR), 3));
    expect(argmax(row(3))).toBe(audioBandOf(SINE_HZ, 64));
  });

  it('reads several cameras, the right view and a video offset', async () => {
    const data = await new RoboMnistSource(options(dir, { modalities: ['camera'], cameras: [1, 2], view: 'right', imageSize: 8, videoOffsetSeconds: 1 / 30 }), 3, '/').load();
    expect(data.modalities.map((m) => m.name)).toEqual(['camera1', 'camera2']);
    for (const name of ['camera1', 'camera2']) {
      // Video frame 0 sits one kinematics frame late, so window k shows video frame 2k + 2.
      for (let k = 0; k < perRepetition; k++) expectColour(pixel(values(data.train, name), 8, k, 4, 4), rightInside(2 * k + 2));
    }
  });

  it('names the file when a video or a recording is missing or too short, or ffmpeg cannot be found', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-media-'));
    for (const stem of stems) {
      writeFileSync(join(broken, `${stem}_Rxall_pos.json`), JSON.stringify(kinematics(frames)));
      copyFileSync(join(dir, 'video.mp4'), join(broken, `${stem}_Rx1_cam.mp4`));
      writeWav(join(broken, `${stem}_Rx1_mic.wav`), sineAfter(0, 0.3));
    }
    const load = (extra: Partial<RoboMnistOptions>) => new RoboMnistSource(options(broken, extra), 3, '/').load();
    await expect(load({ modalities: ['audio'] })).rejects.toThrow(`${join(broken, stems[0])}_Rx1_mic.wav: 0.300 s of audio, shorter than the kinematics (0.367 s from their first frame)`);
    await expect(load({ modalities: ['camera'], videoOffsetSeconds: -0.1 })).rejects.toThrow(`${join(broken, stems[0])}_Rx1_cam.mp4: 12 video frame(s), but the kinematics need 15`);
    await expect(load({ modalities: ['camera'], videoOffsetSeconds: 0.5 })).rejects.toThrow(`${join(broken, stems[0])}_Rx1_cam.mp4: the kinematics frame at 0.100 s comes before the video starts`);
    await expect(load({ modalities: ['camera'], ffmpeg: 'tools/no-ffmpeg' })).rejects.toThrow('data.ffmpeg: /tools/no-ffmpeg is not an executable file');
    rmSync(join(broken, `${stems[1]}_Rx1_cam.mp4`));
    await expect(load({ modalities: ['camera'] })).rejects.toThrow(
      `${join(broken, stems[1])}_Rx1_cam.mp4: missing (1 repetition(s) incomplete; every repetition needs _Rxall_pos.json and _Rx1_cam.mp4)`,
    );
    // Files of modalities not asked for are ignored.
    const kinematicsOnly = await load({ modalities: ['kinematics'] });
    expect(kinematicsOnly.modalities.map((m) => m.name)).toEqual(['kinematics']);
  });
});
