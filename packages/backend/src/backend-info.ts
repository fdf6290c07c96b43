/** What a config may ask for: `auto` (the fastest one that starts) or a registered backend's name. */
export type BackendChoice = string;

/** The backends mmfuse itself provides; plugins may register more (see registerBackendProvider). */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** A WebGPU adapter as Dawn reports it. */
export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader) rather than a GPU. */
  readonly software: boolean;
  /** Dawn's backend that drives it: vulkan, metal, d3d12 or opengles. */
  readonly api: string;
  /** The limits that bound what a step may allocate and dispatch. */
  readonly limits: Readonly<Record<string, number>>;
}

/** Which backend runs and why; written into every run folder. */
export interface BackendInfo {
  /** The TensorFlow.js backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`, or a plugin's). */
  readonly name: string;
  readonly requested: BackendChoice;
  /** Why this backend was chosen, including why faster ones were passed over. */
  readonly reason: string;
  /** Version of the package that provides it. */
  readonly version: string;
  readonly tfjsVersion: string;
  /** Threads the backend itself computes on (wasm's own thread pool; 1 for cpu). */
  readonly threads?: number;
  readonly simd?: boolean;
  /** wasm only: what computes the convolutions (mmfuse's GEMM module and its build, or XNNPACK). */
  readonly convolutions?: string;
  /** Native TensorFlow only: whether it found a GPU. */
  readonly gpu?: boolean;
  /** Native package that was loaded, when one was. */
  readonly nativePackage?: string;
  /** WebGPU only: the adapter it runs on. */
  readonly adapter?: GpuAdapterInfo;
  /** Each backend tried before this one, and why it was passed over. */
  readonly tried?: readonly string[];
  /** Whether the backend computes on one device that data-parallel threads would only share (a GPU). */
  readonly singleDevice?: boolean;
}
