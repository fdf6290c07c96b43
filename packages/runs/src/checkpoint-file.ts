import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { UserInputError } from '@mmfuse/core';
import type { RngState } from '@mmfuse/core';
import { writeFileAtomic } from '@mmfuse/core';
import type { EpochRecord } from './records';

/** A named float32 array with its shape. */
export interface SavedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Everything needed to continue a trial exactly where it stopped. */
export interface TrialCheckpoint {
  /** Epochs completed. */
  epoch: number;
  records: EpochRecord[];
  rng: { shuffle: RngState; corruption: RngState };
  /** The model's variables, in sub-model order. */
  weights: SavedTensor[];
  /** The optimiser's state (Adam: iteration count, first and second moments). */
  optimizer: SavedTensor[];
}

/** Version 2 ends with a SHA-256 of everything before it; version 1 (no checksum) is still read. */
const MAGIC = 'MMFCKPT2';
const MAGIC_V1 = 'MMFCKPT1';
const DIGEST_BYTES = 32;

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/**
 * Writes a checkpoint as one file: magic, header length, JSON header, float32 payload, SHA-256 of
 * all of it. The write goes through a temporary file and a rename, so a crash or a full disk leaves
 * the previous checkpoint intact; the checksum finds any byte changed afterwards.
 */
export function writeCheckpoint(file: string, checkpoint: TrialCheckpoint): void {
  const tensors = [...checkpoint.weights.map((t) => ({ ...t, group: 'weights' })), ...checkpoint.optimizer.map((t) => ({ ...t, group: 'optimizer' }))];
  let offset = 0;
  const entries = tensors.map((t) => {
    const entry = { group: t.group, name: t.name, shape: t.shape, offset, length: t.values.length };
    offset += t.values.length;
    return entry;
  });
  const header = Buffer.from(JSON.stringify({ epoch: checkpoint.epoch, records: checkpoint.records, rng: checkpoint.rng, tensors: entries }), 'utf8');
  const padding = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  const bytes = Buffer.alloc(MAGIC.length + 4 + header.length + padding + offset * 4 + DIGEST_BYTES);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(header.length + padding, MAGIC.length);
  header.copy(bytes, MAGIC.length + 4);
  bytes.fill(0x20, MAGIC.length + 4 + header.length, MAGIC.length + 4 + header.length + padding);
  const payload = new Float32Array(bytes.buffer, bytes.byteOffset + MAGIC.length + 4 + header.length + padding, offset);
  tensors.forEach((t, i) => payload.set(t.values, entries[i].offset));
  const body = bytes.length - DIGEST_BYTES;
  digest(bytes.subarray(0, body)).copy(bytes, body);
  writeFileAtomic(file, bytes);
}

/**
 * Reads a checkpoint, or undefined when there is none. A damaged file (checksum mismatch, cut
 * short, a non-finite weight) is named in the error with what to do; it is never trained on.
 */
export function readCheckpoint(file: string): TrialCheckpoint | undefined {
  if (!existsSync(file)) return undefined;
  const whole = readFileSync(file);
  const bad = (why: string): never => {
    throw new UserInputError(`${file}: damaged checkpoint (${why}); delete it to restart this trial from the beginning`);
  };
  const magic = whole.length >= MAGIC.length + 4 ? whole.toString('latin1', 0, MAGIC.length) : '';
  if (magic !== MAGIC && magic !== MAGIC_V1) bad('unknown format');
  let bytes = whole;
  if (magic === MAGIC) {
    if (whole.length < MAGIC.length + 4 + DIGEST_BYTES) bad('cut short');
    bytes = whole.subarray(0, whole.length - DIGEST_BYTES);
    if (!digest(bytes).equals(whole.subarray(whole.length - DIGEST_BYTES))) bad('its SHA-256 does not match its content: bytes were changed or lost after it was written');
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerLength;
  if (start > bytes.length) bad('truncated header');
  let header: { epoch: number; records: EpochRecord[]; rng: TrialCheckpoint['rng']; tensors: Array<{ group: string; name: string; shape: number[]; offset: number; length: number }> };
  try {
    header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, start));
  } catch (error) {
    return bad(`header is not JSON: ${(error as Error).message}`);
  }
  const floats = (bytes.length - start) / 4;
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (!Number.isInteger(floats) || floats !== total) bad(`payload holds ${floats} values, the header lists ${total}`);
  const copy = new Float32Array(total);
  new Uint8Array(copy.buffer).set(bytes.subarray(start));
  if (header.tensors.some((t) => !(Number.isInteger(t.offset) && Number.isInteger(t.length) && t.offset >= 0 && t.length >= 0 && t.offset + t.length <= total))) bad('a tensor lies outside the payload');
  // Training stops at the first non-finite weight, so a checkpoint holding one was damaged, not diverged.
  for (const t of header.tensors) {
    const values = copy.subarray(t.offset, t.offset + t.length);
    const at = values.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) bad(`${t.group} tensor ${t.name} holds ${values[at]} at index ${at}`);
  }
  const pick = (group: string) =>
    header.tensors.filter((t) => t.group === group).map((t) => ({ name: t.name, shape: t.shape, values: copy.subarray(t.offset, t.offset + t.length) }));
  return { epoch: header.epoch, records: header.records, rng: header.rng, weights: pick('weights'), optimizer: pick('optimizer') };
}
