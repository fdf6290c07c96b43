import { readFileSync, statSync } from 'fs';
import FFT from 'fft.js';
import { WaveFile } from 'wavefile';
import { UserInputError } from '@mmfuse/core';

/** RoboMNIST microphones record mono 16-bit PCM at 44.1 kHz. */
export const MIC_SAMPLE_RATE = 44100;
export const MIC_CHANNELS = 1;
export const MIC_BITS_PER_SAMPLE = 16;
/** Spectra stop here: the sounds of the arms lie below it, and it keeps the bands narrow. */
export const AUDIO_MAX_HZ = 8000;
/** Added to magnitudes before the logarithm so that silence stays finite. */
export const AUDIO_LOG_FLOOR = 1e-6;

export interface MicrophoneAudio {
  sampleRate: number;
  /** Samples scaled to [-1, 1). */
  samples: Float32Array;
}

const PCM = 1;
const EXTENSIBLE = 0xfffe;

/**
 * Reads a RoboMNIST microphone file (`…_Rx<n>_mic.wav`) with wavefile. Anything but mono 16-bit
 * PCM at 44.1 kHz is refused with the file and the values found; so is a file cut short (a data
 * chunk holding fewer bytes than its header declares) or one wavefile cannot parse.
 */
export function readMicrophone(file: string): MicrophoneAudio {
  let bytes: Buffer;
  try {
    if (!statSync(file).isFile()) throw new UserInputError(`${file}: is not a file`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let wav: WaveFile;
  try {
    wav = new WaveFile(bytes);
  } catch (error) {
    throw new UserInputError(`${file}: not a readable WAV file (${(error as Error)?.message ?? error}; truncated?)`);
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const found = `${fmt.numChannels} channel(s), ${fmt.bitsPerSample}-bit, ${fmt.sampleRate} Hz`;
  const expected = `expected mono ${MIC_BITS_PER_SAMPLE}-bit PCM at ${MIC_SAMPLE_RATE} Hz`;
  if (fmt.audioFormat !== PCM && fmt.audioFormat !== EXTENSIBLE) throw new UserInputError(`${file}: audio format code ${fmt.audioFormat} (${found}), ${expected}`);
  if (fmt.numChannels !== MIC_CHANNELS) throw new UserInputError(`${file}: ${fmt.numChannels} channels, ${expected}`);
  if (fmt.bitsPerSample !== MIC_BITS_PER_SAMPLE) throw new UserInputError(`${file}: ${fmt.bitsPerSample}-bit samples, ${expected}`);
  if (fmt.sampleRate !== MIC_SAMPLE_RATE) throw new UserInputError(`${file}: sample rate ${fmt.sampleRate} Hz, ${expected}`);
  // wavefile returns whatever bytes are there without complaint, so compare with the header.
  if (data.samples.length < data.chunkSize) {
    throw new UserInputError(`${file}: truncated: the header declares ${data.chunkSize} bytes of samples, the file holds ${data.samples.length}`);
  }
  let raw: Float64Array;
  try {
    raw = wav.getSamples(false) as Float64Array;
  } catch (error) {
    throw new UserInputError(`${file}: cannot decode the samples (${(error as Error)?.message ?? error})`);
  }
  const samples = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) samples[i] = raw[i] / 32768;
  return { sampleRate: fmt.sampleRate, samples };
}

/** FFT bins (1 … size/2, DC left out) whose centre frequencies fall in each of `bands` equal bands from 0 to `maxHz`. */
function bandBins(size: number, sampleRate: number, bands: number, maxHz: number): number[][] {
  const hzPerBin = sampleRate / size;
  return Array.from({ length: bands }, (_, b) => {
    const lo = (b * maxHz) / bands;
    const hi = ((b + 1) * maxHz) / bands;
    const bins: number[] = [];
    for (let k = 1; k <= size / 2; k++) if (k * hzPerBin >= lo && k * hzPerBin < hi) bins.push(k);
    // A band narrower than one FFT bin takes the bin nearest its centre.
    return bins.length > 0 ? bins : [Math.min(size / 2, Math.max(1, Math.round((lo + hi) / 2 / hzPerBin)))];
  });
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/**
 * Log-magnitude spectra of the audio windows ending at the given sample positions: window `w`
 * covers samples `end − size … end − 1` (samples before the start of the recording count as
 * silence), is multiplied by a Hann window and transformed with fft.js; the magnitudes, scaled so
 * that a sine of amplitude A peaks near A, are averaged over `bands` equal bands from 0 to
 * `min(maxHz, Nyquist)` and stored as log(1e-6 + magnitude). Returns `[ends.length, bands]`.
 */
export function audioSpectra(samples: Float32Array, sampleRate: number, ends: ArrayLike<number>, size: number, bands: number, maxHz = AUDIO_MAX_HZ): Float32Array {
  if (!isPowerOfTwo(size)) throw new UserInputError(`data.audioWindow: ${size} is not a power of two (the FFT needs one, e.g. 1024, 2048 or 4096)`);
  const fft = new FFT(size);
  const hann = new Float64Array(size);
  let hannSum = 0;
  for (let n = 0; n < size; n++) {
    hann[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size);
    hannSum += hann[n];
  }
  const groups = bandBins(size, sampleRate, bands, Math.min(maxHz, sampleRate / 2));
  const input = new Float64Array(size);
  const spectrum = fft.createComplexArray() as number[];
  const magnitude = new Float64Array(size / 2 + 1);
  const out = new Float32Array(ends.length * bands);
  for (let w = 0; w < ends.length; w++) {
    const start = ends[w] - size;
    for (let n = 0; n < size; n++) {
      const i = start + n;
      input[n] = i >= 0 && i < samples.length ? samples[i] * hann[n] : 0;
    }
    fft.realTransform(spectrum, input);
    for (let k = 0; k <= size / 2; k++) magnitude[k] = (2 * Math.hypot(spectrum[2 * k], spectrum[2 * k + 1])) / hannSum;
    groups.forEach((bins, b) => {
      let sum = 0;
      for (const k of bins) sum += magnitude[k];
      out[w * bands + b] = Math.log(AUDIO_LOG_FLOOR + sum / bins.length);
    });
  }
  return out;
}

/** The band (0-based) of `audioSpectra` that holds frequency `hz`. */
export function audioBandOf(hz: number, bands: number, maxHz = AUDIO_MAX_HZ): number {
  return Math.min(bands - 1, Math.floor((hz / maxHz) * bands));
}
