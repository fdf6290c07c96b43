/** What a config may ask for; `auto` takes the fastest one that loads. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Which backend runs and why; written into every run folder. */
export interface BackendInfo {
  /** The TensorFlow.js backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly name: string;
  readonly requested: BackendChoice;
  /** Why this backend was chosen, including why faster ones were passed over. */
  readonly reason: string;
  /** Version of the package that provides it. */
  readonly version: string;
  readonly tfjsVersion: string;
  readonly threads?: number;
  readonly simd?: boolean;
  /** Native TensorFlow only: whether it found a GPU. */
  readonly gpu?: boolean;
  /** Native package that was loaded, when one was. */
  readonly nativePackage?: string;
}
