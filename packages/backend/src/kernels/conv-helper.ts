import { Worker } from 'worker_threads';
import { CONV_GEMM_RELAXED_SIMD_SHARED_BASE64, CONV_GEMM_SIMD128_SHARED_BASE64 } from './conv-gemm-binary';
import type { ConvGemmVariant } from './wasm-conv-gemm';

/**
 * A second thread for mmfuse's convolution kernels: it runs the same module (its shared-memory
 * build) on a heap of its own, so that a convolution can compute part of its batch there while
 * the calling thread computes the rest in tfjs's heap. tfjs's single-threaded wasm heap cannot be
 * shared, so the helper's part travels through the shared heap: its inputs copied in, its output
 * copied out. The calling thread waits for the helper with `Atomics.wait`, never the event loop, so
 * a kernel stays synchronous, as tfjs requires.
 */

/** Functions a helper program may call: the module's kernels, and zeroing a range of floats. */
export type HelperCall =
  | ['conv2d', ...number[]]
  | ['conv2d_input_grad', ...number[]]
  | ['conv2d_filter_grad', ...number[]]
  | ['crop_nhwc', ...number[]]
  | ['pad_nhwc', ...number[]]
  | ['zero', number, number];

const CALLS = ['conv2d', 'conv2d_input_grad', 'conv2d_filter_grad', 'crop_nhwc', 'pad_nhwc', 'zero'] as const;

// Control block (Int32): the request's sequence number, the last one done, readiness, status, and
// the program (calls as [call id, argument count, arguments…]).
const SEQ = 0;
const DONE = 1;
const READY = 2;
const STATUS = 3;
const LENGTH = 4;
const PROGRAM = 8;
const CONTROL_INTS = 256;

/** How long either thread polls before it sleeps on `Atomics.wait`, in milliseconds. */
const SPIN_MS = 0.2;

/** The heap's size limit: the module addresses 4 GiB; a helper's share of one convolution is far less. */
const MAX_PAGES = 16384;
const PAGE = 65536;

/** The worker's code: instantiate the module on the shared heap, then run programs as they come. */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { module, memory, control } = workerData;
const ctl = new Int32Array(control);
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const CALLS = ${JSON.stringify(CALLS)};
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
let seen = 0;
for (;;) {
  // Convolutions come in bursts (a step's layers): spin a little before sleeping, since waking
  // from Atomics.wait costs tens of microseconds.
  const until = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctl, ${SEQ}) === seen && performance.now() < until);
  Atomics.wait(ctl, ${SEQ}, seen);
  const seq = Atomics.load(ctl, ${SEQ});
  if (seq === seen) continue;
  if (seq < 0) break;
  seen = seq;
  let status = 0;
  try {
    const end = ${PROGRAM} + ctl[${LENGTH}];
    for (let at = ${PROGRAM}; at < end; ) {
      const name = CALLS[ctl[at]];
      const args = Array.from(ctl.subarray(at + 2, at + 2 + ctl[at + 1]), (v) => v >>> 0);
      at += 2 + ctl[at + 1];
      if (name === 'zero') new Float32Array(memory.buffer, args[0], args[1]).fill(0);
      else kernels[name](...args);
    }
  } catch (error) {
    status = 1;
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
}
`;

/** The WebAssembly JS API (this package compiles without the DOM library that types it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike; grow(pages: number): number };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export class ConvHelper {
  private readonly control: Int32Array;
  private seq = 0;
  private running = false;

  private constructor(
    private readonly worker: Worker,
    private readonly memory: { buffer: ArrayBufferLike; grow(pages: number): number },
    control: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(control);
  }

  /**
   * Starts the helper thread for one build of the module; undefined where the runtime has no
   * shared memory or the thread does not come up within `timeoutMs`.
   */
  static start(variant: ConvGemmVariant, timeoutMs = 10000): ConvHelper | undefined {
    if (typeof SharedArrayBuffer === 'undefined') return undefined;
    let worker: Worker | undefined;
    try {
      const module = new webAssembly.Module(Buffer.from(variant === 'relaxed-simd' ? CONV_GEMM_RELAXED_SIMD_SHARED_BASE64 : CONV_GEMM_SIMD128_SHARED_BASE64, 'base64'));
      const memory = new webAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
      const control = new SharedArrayBuffer(CONTROL_INTS * 4);
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control } });
      // Never keeps the process alive, and never holds up its exit.
      worker.unref();
      const helper = new ConvHelper(worker, memory, control);
      if (Atomics.wait(helper.control, READY, 0, timeoutMs) === 'timed-out' && Atomics.load(helper.control, READY) !== 1) {
        void worker.terminate();
        return undefined;
      }
      return helper;
    } catch {
      void worker?.terminate();
      return undefined;
    }
  }

  /** The helper's heap as floats; valid until the next `reserve`. */
  floats(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** Grows the heap to at least `bytes`; false when that is past its limit or the system refuses. */
  reserve(bytes: number): boolean {
    const pages = Math.ceil(bytes / PAGE);
    if (pages > MAX_PAGES) return false;
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages <= have) return true;
    try {
      this.memory.grow(pages - have);
      return true;
    } catch {
      // The system would not give the memory: this kernel runs on one thread.
      return false;
    }
  }

  /** Programs this helper has been handed (for diagnostics and tests). */
  programs = 0;

  /** Starts `calls` on the helper thread; `finish` waits for them. One program at a time. */
  begin(calls: HelperCall[]): void {
    if (this.running) throw new Error('convolution helper: a program is already running');
    let at = PROGRAM;
    for (const [name, ...args] of calls) {
      if (at + 2 + args.length > CONTROL_INTS) throw new Error('convolution helper: program too long');
      this.control[at] = CALLS.indexOf(name);
      this.control[at + 1] = args.length;
      for (let i = 0; i < args.length; i++) this.control[at + 2 + i] = args[i];
      at += 2 + args.length;
    }
    this.control[LENGTH] = at - PROGRAM;
    this.running = true;
    this.programs++;
    Atomics.store(this.control, SEQ, ++this.seq);
    Atomics.notify(this.control, SEQ);
  }

  /** Waits for the program `begin` started; throws when one of its calls failed. */
  finish(): void {
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(this.control, DONE) !== this.seq && performance.now() < spinUntil);
    const started = Date.now();
    while (Atomics.load(this.control, DONE) !== this.seq) {
      // A helper that has not answered in ten minutes is gone (no convolution part takes that long).
      if (Date.now() - started > 600000) throw new Error('convolution helper: no answer from the helper thread');
      Atomics.wait(this.control, DONE, Atomics.load(this.control, DONE), 1000);
    }
    this.running = false;
    if (Atomics.load(this.control, STATUS) !== 0) throw new Error('convolution helper: a kernel failed on the helper thread');
  }

  /** Ends the thread. */
  stop(): void {
    Atomics.store(this.control, SEQ, -1);
    Atomics.notify(this.control, SEQ);
    void this.worker.terminate();
  }
}

/**
 * Multiply-adds below which a kernel keeps its whole batch on the calling thread (about 0.2 ms of
 * work): handing part of it to the helper costs two copies and a hand-over, which made tiny-64's
 * 3.7-million layers slower, not faster.
 */
export const MIN_SPLIT_MULTIPLY_ADDS = 8e6;

let threads = 1;
let minSplit = MIN_SPLIT_MULTIPLY_ADDS;
const helpers = new Map<ConvGemmVariant, ConvHelper | null>();

/**
 * Threads mmfuse's convolution kernels use in this thread's wasm backend: 1 (the default) or 2,
 * the calling thread and a helper, which takes part of the batch of every kernel of at least
 * `minMultiplyAdds`. Two pay where a core is otherwise idle (a run training on one data-parallel
 * thread, on a machine with more cores), and cost where every core is busy.
 */
export function setConvolutionThreads(count: number, minMultiplyAdds = MIN_SPLIT_MULTIPLY_ADDS): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`convolution threads: expected an integer ≥ 1, got ${count}`);
  if (!(minMultiplyAdds >= 0)) throw new Error(`convolution threads: expected a multiply-add threshold ≥ 0, got ${minMultiplyAdds}`);
  threads = Math.min(2, count);
  minSplit = minMultiplyAdds;
  if (threads === 1) {
    for (const helper of helpers.values()) helper?.stop();
    helpers.clear();
  }
}

/** The smallest kernel (in multiply-adds) split with the helper. */
export function minSplitMultiplyAdds(): number {
  return minSplit;
}

/** The helper for this build when two threads are set and it could start; else undefined. */
export function convHelper(variant: ConvGemmVariant): ConvHelper | undefined {
  if (threads < 2) return undefined;
  if (!helpers.has(variant)) helpers.set(variant, ConvHelper.start(variant) ?? null);
  return helpers.get(variant) ?? undefined;
}
