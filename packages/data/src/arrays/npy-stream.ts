import { closeSync, existsSync, openSync, readSync, statSync } from 'fs';
import { totalmem } from 'os';
import { DataSplit, ModalityKind, ModalitySpec, MultimodalDataset, SampleStore, UserInputError } from '@mmfuse/core';
import { standardize, storeChannelStatistics } from '../transforms';
import { checkArrayRank, splitRows, StoredArray } from './array-dataset';

/** What the header of a `.npy` file says, and where its data start. */
export interface NpyHeader {
  readonly file: string;
  readonly shape: number[];
  /** numpy type code without byte order, e.g. `f4`, `u1`, `i8`. */
  readonly dtype: string;
  readonly dataOffset: number;
}

const ITEM_SIZE: Record<string, number> = { b1: 1, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8, f4: 4, f8: 8 };

/**
 * Reads only the header of a `.npy` file (format versions 1–3): shape, dtype and the data offset,
 * so arrays larger than memory can be read sample by sample.
 */
export function readNpyHeader(file: string): NpyHeader {
  if (!existsSync(file)) throw new UserInputError(`${file}: missing`);
  const fd = openSync(file, 'r');
  try {
    const start = Buffer.alloc(12);
    readSync(fd, start, 0, 12, 0);
    if (start.toString('latin1', 0, 6) !== '\x93NUMPY') throw new UserInputError(`${file}: not a readable .npy array (no NUMPY magic)`);
    const version = start[6];
    const headerLength = version === 1 ? start.readUInt16LE(8) : start.readUInt32LE(8);
    const headerStart = version === 1 ? 10 : 12;
    const header = Buffer.alloc(headerLength);
    readSync(fd, header, 0, headerLength, headerStart);
    const text = header.toString(version === 3 ? 'utf8' : 'latin1');
    const descr = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d+)'/.exec(text);
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
    const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
    if (!descr || !fortran || !shape) throw new UserInputError(`${file}: not a readable .npy array (damaged header)`);
    if (descr[1] === '>') throw new UserInputError(`${file}: big-endian ${descr[2]}; save it little-endian (array.astype('<${descr[2]}'))`);
    if (!(descr[2] in ITEM_SIZE)) throw new UserInputError(`${file}: dtype ${descr[2]} cannot be streamed; save integers, float32 or float64`);
    if (fortran[1] === 'True') throw new UserInputError(`${file}: stored in Fortran order; save it in C order (numpy.ascontiguousarray)`);
    const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
    const dataOffset = headerStart + headerLength;
    const expected = dims.reduce((a, b) => a * b, 1) * ITEM_SIZE[descr[2]];
    const size = statSync(file).size;
    if (size - dataOffset < expected) throw new UserInputError(`${file}: holds ${size - dataOffset} bytes of data, but shape [${dims.join(', ')}] of ${descr[2]} needs ${expected}: truncated?`);
    return { file, shape: dims, dtype: descr[2], dataOffset };
  } finally {
    closeSync(fd);
  }
}

/** The samples of one `.npy` modality for the rows of one split, read from the file on demand. */
class NpyRowStore implements SampleStore {
  private fd?: number;
  private scratch = Buffer.alloc(0);
  readonly sampleSize: number;

  constructor(
    private readonly header: NpyHeader,
    private readonly rows: readonly number[],
    private readonly finish: (values: Float32Array, row: number) => void,
  ) {
    this.sampleSize = header.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  get samples(): number {
    return this.rows.length;
  }

  readSample(index: number, out: Float32Array, offset: number): void {
    const row = this.rows[index];
    this.fd ??= openSync(this.header.file, 'r');
    const size = this.sampleSize;
    const item = ITEM_SIZE[this.header.dtype];
    const position = this.header.dataOffset + row * size * item;
    if (this.header.dtype === 'f4') {
      readSync(this.fd, out, offset * 4, size * 4, position);
    } else {
      if (this.scratch.length < size * item) this.scratch = Buffer.alloc(size * item);
      readSync(this.fd, this.scratch, 0, size * item, position);
      const b = this.scratch;
      for (let i = 0; i < size; i++) out[offset + i] = decode(b, i * item, this.header.dtype);
    }
    this.finish(out.subarray(offset, offset + size), row);
  }
}

function decode(b: Buffer, at: number, dtype: string): number {
  switch (dtype) {
    case 'b1':
    case 'u1':
      return b[at];
    case 'i1':
      return b.readInt8(at);
    case 'i2':
      return b.readInt16LE(at);
    case 'u2':
      return b.readUInt16LE(at);
    case 'i4':
      return b.readInt32LE(at);
    case 'u4':
      return b.readUInt32LE(at);
    case 'i8':
      return Number(b.readBigInt64LE(at));
    case 'u8':
      return Number(b.readBigUInt64LE(at));
    case 'f8':
      return b.readDoubleLE(at);
    default:
      return b.readFloatLE(at);
  }
}

/** Whether arrays of these headers are better read on demand: above a quarter of the machine's memory. */
export function worthStreaming(headers: readonly NpyHeader[]): boolean {
  const bytes = headers.reduce((sum, h) => sum + h.shape.reduce((a, b) => a * b, 1) * 4, 0);
  return bytes > 0.25 * totalmem();
}

/**
 * The dataset of `.npy` modalities read sample by sample from their files: the same split and the
 * same values `buildArrayDataset` gives, without holding the arrays. Series and vectors are
 * standardised with statistics of the training rows, gathered in two passes over them; a NaN is
 * reported when its sample is first read.
 */
export function streamNpyDataset(input: {
  modalities: ReadonlyArray<{ name: string; kind: ModalityKind; header: NpyHeader }>;
  episodes?: StoredArray;
  testFraction: number;
  seed: number;
  label: string;
  description: Record<string, unknown>;
}): MultimodalDataset {
  const { modalities, episodes } = input;
  for (const m of modalities) checkArrayRank(m.header.file, m.header.shape, m.kind);
  const count = modalities[0].header.shape[0];
  for (const m of modalities) {
    if (m.header.shape[0] !== count) throw new UserInputError(`${m.header.file}: ${m.header.shape[0]} samples, but ${modalities[0].header.file} has ${count}`);
  }
  const { trainRows, testRows, episodeCount } = splitRows(count, episodes, input.testFraction, input.seed, input.label);

  const specs: ModalitySpec[] = modalities.map((m) => ({ name: m.name, kind: m.kind, shape: m.header.shape.slice(1) }));
  const checked = (file: string, values: Float32Array, row: number) => {
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new UserInputError(`${file}: sample ${row} holds ${values[i]} (at flat index ${row * values.length + i})`);
  };
  const train: Record<string, SampleStore> = {};
  const test: Record<string, SampleStore> = {};
  modalities.forEach((m, i) => {
    const spec = specs[i];
    const scale = m.kind === 'image' && m.header.dtype === 'u1';
    const raw = (values: Float32Array, row: number) => {
      if (scale) for (let k = 0; k < values.length; k++) values[k] /= 255;
      checked(m.header.file, values, row);
    };
    if (m.kind === 'image') {
      train[m.name] = new NpyRowStore(m.header, trainRows, raw);
      test[m.name] = new NpyRowStore(m.header, testRows, raw);
      return;
    }
    const channels = spec.shape[spec.shape.length - 1];
    const statistics = storeChannelStatistics(new NpyRowStore(m.header, trainRows, raw), channels);
    const standardised = (values: Float32Array, row: number) => {
      raw(values, row);
      standardize(values, channels, statistics);
    };
    train[m.name] = new NpyRowStore(m.header, trainRows, standardised);
    test[m.name] = new NpyRowStore(m.header, testRows, standardised);
  });
  const part = (size: number, arrays: Record<string, SampleStore>): DataSplit => ({ size, arrays });
  return {
    modalities: specs,
    train: part(trainRows.length, train),
    test: part(testRows.length, test),
    description: { ...input.description, samples: count, episodes: episodeCount, streamed: true },
  };
}
