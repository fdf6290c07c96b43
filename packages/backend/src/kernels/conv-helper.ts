import { Worker } from 'worker_threads';
import { CONV_GEMM_RELAXED_SIMD_SHARED_BASE64, CONV_GEMM_SIMD128_SHARED_BASE64 } from './conv-gemm-binary';
import type { ConvGemmVariant } from './wasm-conv-gemm';

/**
 * A second thread for mmfuse's convolution kernels: it runs the same module (its shared-memory
 * build) on a heap of its own, so that a convolution can compute part of its batch there while
 * the calling thread computes the rest in tfjs's heap. tfjs's single-threaded wasm heap cannot be
 * shared, so the helper's part travels through the shared heap: its inputs copied in, its output
 * copied out. The two threads share that part one sample at a time through `Atomics` on a control
 * block, never the event loop, so a kernel stays synchronous, as tfjs requires; the calling thread
 * takes over a sample the helper is slow to finish (see `settle`).
 */

/** Functions a helper program may call: the module's kernels, zeroing floats, and adding one range into another. */
export type HelperCallName = 'conv2d' | 'conv2d_input_grad' | 'conv2d_filter_grad' | 'crop_nhwc' | 'pad_nhwc' | 'zero' | 'accumulate' | 'pause';

/**
 * One call of a helper program. In a per-sample part an argument may be `[base, stride]`: for the
 * helper's sample s (counted from 0 within its part) the call gets base + s·stride.
 */
export type HelperCall = [HelperCallName, ...Array<number | [number, number]>];

/** A helper program: `once` at its start, then samples taken one at a time from the last down. */
export interface HelperProgram {
  once: HelperCall[];
  /** Samples the helper may take (at most MAX_SAMPLES). */
  samples: number;
  /** Computes one sample. */
  perSample: HelperCall[];
  /** Runs after a sample is confirmed the helper's (not taken over by the calling thread). */
  afterSample?: HelperCall[];
}

const CALLS: readonly HelperCallName[] = ['conv2d', 'conv2d_input_grad', 'conv2d_filter_grad', 'crop_nhwc', 'pad_nhwc', 'zero', 'accumulate', 'pause'];

/**
 * Schedules the tests force: the helper pausing in every sample it takes (so the calling thread
 * takes over), or the calling thread leaving every sample to the helper.
 */
export const splitTesting = { helperPauseMs: 0, callerLeavesSamples: false };

// Control block (Int32): the request's sequence number, the last one done, readiness, status, the
// lengths of the program's three parts, its sample count, samples finished, then the program (calls
// as [call id, argument count, arguments…], a per-sample call's arguments as base and stride
// pairs), and one state per sample.
const SEQ = 0;
const DONE = 1;
const READY = 2;
const STATUS = 3;
const ONCE_LENGTH = 4;
const SAMPLE_LENGTH = 5;
const AFTER_LENGTH = 6;
const SAMPLES = 7;
const FINISHED = 8;
const PROGRAM = 16;
const STATES = 512;
/** The most samples one program hands the helper. */
export const MAX_SAMPLES = 512;
const CONTROL_INTS = STATES + MAX_SAMPLES;

// A sample's state: free, the helper's (in progress), the helper's (done), the calling thread's.
const FREE = 0;
const HELPER = 1;
const HELPER_DONE = 2;
const CALLER = 3;

/** How long either thread polls before it sleeps on `Atomics.wait`, in milliseconds. */
const SPIN_MS = 0.2;

/** The heap's size limit: the module addresses 4 GiB; a helper's share of one convolution is far less. */
const MAX_PAGES = 16384;
const PAGE = 65536;

/**
 * The worker's code: instantiate the module on the shared heap, then run programs as they come.
 * Samples are claimed with compare-and-swap from the last down while the calling thread claims
 * from the first up, so that neither waits on the other for more than the sample in hand.
 */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { module, memory, control } = workerData;
const ctl = new Int32Array(control);
const pause = new Int32Array(new SharedArrayBuffer(4));
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const CALLS = ${JSON.stringify(CALLS)};
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
// Runs the calls in ctl[from, from + length); per-sample arguments are base and stride pairs.
function run(from, length, sample) {
  const end = from + length;
  for (let at = from; at < end; ) {
    const name = CALLS[ctl[at]];
    const count = ctl[at + 1];
    const args = new Array(count);
    if (sample < 0) for (let i = 0; i < count; i++) args[i] = ctl[at + 2 + i] >>> 0;
    else for (let i = 0; i < count; i++) args[i] = (ctl[at + 2 + 2 * i] + sample * ctl[at + 3 + 2 * i]) >>> 0;
    at += 2 + (sample < 0 ? count : 2 * count);
    if (name === 'zero') new Float32Array(memory.buffer, args[0], args[1]).fill(0);
    else if (name === 'pause') Atomics.wait(pause, 0, 0, args[0]);
    else if (name === 'accumulate') {
      const into = new Float32Array(memory.buffer, args[0], args[2]);
      const from = new Float32Array(memory.buffer, args[1], args[2]);
      for (let i = 0; i < args[2]; i++) into[i] += from[i];
    } else kernels[name](...args);
  }
}
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
    const once = ctl[${ONCE_LENGTH}], each = ctl[${SAMPLE_LENGTH}], after = ctl[${AFTER_LENGTH}];
    run(${PROGRAM}, once, -1);
    for (let s = ctl[${SAMPLES}] - 1; s >= 0; s--) {
      if (Atomics.compareExchange(ctl, ${STATES} + s, ${FREE}, ${HELPER}) !== ${FREE}) break;
      run(${PROGRAM} + once, each, s);
      // Taken over by the calling thread while this one was computing it: the result is dropped.
      if (Atomics.compareExchange(ctl, ${STATES} + s, ${HELPER}, ${HELPER_DONE}) !== ${HELPER}) continue;
      run(${PROGRAM} + once + each, after, s);
      Atomics.add(ctl, ${FINISHED}, 1);
      Atomics.notify(ctl, ${FINISHED});
    }
  } catch (error) {
    status = 1;
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
  Atomics.notify(ctl, ${FINISHED});
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
  /** Samples of the program last begun. */
  private samples = 0;

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

  /**
   * Programs this helper has been handed, samples offered to it and computed by it, and the
   * calling thread's milliseconds spent waiting for it (for diagnostics, benchmarks and tests).
   */
  programs = 0;
  samplesOffered = 0;
  samplesComputed = 0;
  waitMs = 0;

  /** Whether the last program has ended on the helper thread (it may outlive its kernel; see settle). */
  idle(): boolean {
    return Atomics.load(this.control, DONE) === this.seq;
  }

  /** Starts a program on the helper thread; the helper must be idle. */
  begin(program: HelperProgram): void {
    if (!this.idle()) throw new Error('convolution helper: a program is already running');
    if (program.samples < 1 || program.samples > MAX_SAMPLES) throw new Error(`convolution helper: expected 1 to ${MAX_SAMPLES} samples, got ${program.samples}`);
    let at = PROGRAM;
    const write = (calls: HelperCall[], perSample: boolean): number => {
      const from = at;
      for (const [name, ...args] of calls) {
        if (at + 2 + 2 * args.length > STATES) throw new Error('convolution helper: program too long');
        this.control[at] = CALLS.indexOf(name);
        this.control[at + 1] = args.length;
        at += 2;
        for (const arg of args) {
          const [base, stride] = typeof arg === 'number' ? [arg, 0] : arg;
          if (perSample) {
            this.control[at++] = base;
            this.control[at++] = stride;
          } else if (stride !== 0) throw new Error('convolution helper: a per-sample argument outside the per-sample part');
          else this.control[at++] = base;
        }
      }
      return at - from;
    };
    this.control[ONCE_LENGTH] = write(program.once, false);
    const pause: HelperCall[] = splitTesting.helperPauseMs > 0 ? [['pause', splitTesting.helperPauseMs]] : [];
    this.control[SAMPLE_LENGTH] = write([...pause, ...program.perSample], true);
    this.control[AFTER_LENGTH] = write(program.afterSample ?? [], true);
    this.control[SAMPLES] = program.samples;
    this.control.fill(FREE, STATES, STATES + program.samples);
    Atomics.store(this.control, FINISHED, 0);
    this.samples = program.samples;
    this.programs++;
    this.samplesOffered += program.samples;
    Atomics.store(this.control, SEQ, ++this.seq);
    Atomics.notify(this.control, SEQ);
  }

  /**
   * Shares out the program's samples once the calling thread has done its own part: this thread
   * claims them from the first up and computes each with `computeHere`, until it meets the
   * helper's; the sample the helper has in hand it waits for at most `patienceMs` (about one
   * sample's time), then takes over. A helper thread the system does not schedule (the machine
   * busy) therefore costs the calling thread its samples' time, not the wait. Returns, for each
   * sample, whether the helper's result is to be used; every such result is complete when it
   * returns. Throws when a call failed on the helper thread.
   */
  settle(computeHere: (sample: number) => void, patienceMs: number): boolean[] {
    const n = this.samples;
    const helpers = new Array<boolean>(n).fill(false);
    if (splitTesting.callerLeavesSamples) while (!this.idle()) this.checkAlive();
    let s = 0;
    while (s < n && Atomics.compareExchange(this.control, STATES + s, FREE, CALLER) === FREE) computeHere(s++);
    const waitStarted = performance.now();
    let working = 0;
    if (s < n) {
      const since = performance.now();
      while (Atomics.load(this.control, STATES + s) === HELPER) {
        this.checkAlive();
        if (performance.now() - since > patienceMs && Atomics.compareExchange(this.control, STATES + s, HELPER, CALLER) === HELPER) {
          const started = performance.now();
          computeHere(s);
          working = performance.now() - started;
          break;
        }
      }
    }
    let finished = 0;
    for (let t = s; t < n; t++) {
      helpers[t] = Atomics.load(this.control, STATES + t) === HELPER_DONE;
      if (helpers[t]) finished++;
    }
    // A sample is marked done before its closing calls (dW's partial sum) run: wait for those.
    const started = Date.now();
    while (Atomics.load(this.control, FINISHED) < finished) {
      this.checkAlive();
      if (Date.now() - started > 600000) throw new Error('convolution helper: no answer from the helper thread');
      Atomics.wait(this.control, FINISHED, Atomics.load(this.control, FINISHED), 1);
    }
    this.samplesComputed += finished;
    this.waitMs += performance.now() - waitStarted - working;
    return helpers;
  }

  /** Throws when the helper's program ended with a failed call. */
  private checkAlive(): void {
    if (Atomics.load(this.control, DONE) === this.seq && Atomics.load(this.control, STATUS) !== 0) throw new Error('convolution helper: a kernel failed on the helper thread');
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

/** What the helper threads of this thread did so far (summed over builds), or undefined without one. */
export function convolutionHelperStats(): { programs: number; samplesOffered: number; samplesComputed: number; waitMs: number } | undefined {
  const started = [...helpers.values()].filter((h): h is ConvHelper => h !== null);
  if (started.length === 0) return undefined;
  const sum = (pick: (h: ConvHelper) => number) => started.reduce((total, h) => total + pick(h), 0);
  return { programs: sum((h) => h.programs), samplesOffered: sum((h) => h.samplesOffered), samplesComputed: sum((h) => h.samplesComputed), waitMs: sum((h) => h.waitMs) };
}
