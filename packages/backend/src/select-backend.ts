import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle registers no gradients; the umbrella package does (and the cpu backend).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendChoice, BackendInfo, BACKEND_CHOICES } from './backend-info';
import { registerWasmKernels } from './kernels/register-wasm-kernels';

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

interface NativeProbe {
  package?: string;
  version?: string;
  failures: string[];
}

let nativeProbe: NativeProbe | undefined;

/** Loads native TensorFlow once (GPU build first); remembers why each package failed. */
function probeNative(): NativeProbe {
  if (nativeProbe) return nativeProbe;
  const failures: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    try {
      require(name);
      const version = (require(`${name}/package.json`) as { version: string }).version;
      nativeProbe = { package: name, version, failures };
      return nativeProbe;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      failures.push(`${name}: ${/Cannot find module/.test(message) ? 'not installed' : message}`);
    }
  }
  nativeProbe = { failures };
  return nativeProbe;
}

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function activate(name: string): Promise<boolean> {
  if (name === 'wasm') registerWasmKernels();
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function describe(requested: BackendChoice, reason: string, native?: NativeProbe): Promise<BackendInfo> {
  const name = tf.getBackend();
  if (name === 'tensorflow') {
    const gpu = Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
    return { name, requested, reason, version: native?.version ?? 'unknown', tfjsVersion: tf.version_core, gpu, nativePackage: native?.package };
  }
  if (name === 'wasm') {
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const threaded = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    return { name, requested, reason, version: packageVersion('@tensorflow/tfjs-backend-wasm'), tfjsVersion: tf.version_core, simd, threads: threaded ? 2 : 1 };
  }
  return { name, requested, reason, version: packageVersion('@tensorflow/tfjs-backend-cpu'), tfjsVersion: tf.version_core, threads: 1 };
}

/**
 * The one place that picks and prepares the TensorFlow.js backend. `auto` takes native TensorFlow
 * (GPU build, then CPU build) when installed and loadable, else WebAssembly, else pure JavaScript.
 * An explicit choice that cannot run throws BackendUnavailableError saying why.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(requested)) {
    throw new BackendUnavailableError(`unknown backend "${requested}"; expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  // Silences tfjs's "install the node backend" banner; mmfuse reports its own choice instead.
  tf.env().set('PROD', true);

  if (requested === 'tensorflow' || requested === 'auto') {
    const native = probeNative();
    if (native.package && (await activate('tensorflow'))) {
      return describe(requested, requested === 'auto' ? `native TensorFlow (${native.package}) is installed and loads` : 'requested', native);
    }
    const why = native.package ? `${native.package} loaded but its backend did not start` : native.failures.join('; ');
    if (requested === 'tensorflow') {
      throw new BackendUnavailableError(`backend "tensorflow" is not available (${why}); install @tensorflow/tfjs-node-gpu as the README's "GPU" section says, or use "auto"`);
    }
    if (await activate('wasm')) return describe(requested, `WebAssembly with mmfuse's training kernels; native TensorFlow unavailable (${why})`);
    if (await activate('cpu')) return describe(requested, `pure JavaScript; neither native TensorFlow (${why}) nor WebAssembly could start`);
    throw new BackendUnavailableError('no TensorFlow.js backend could start');
  }
  if (await activate(requested)) return describe(requested, 'requested');
  throw new BackendUnavailableError(`backend "${requested}" could not start on this machine`);
}

/** The backend running now, for reports. */
export function currentBackendName(): string {
  return tf.getBackend();
}
