import * as tf from '@tensorflow/tfjs-core';
import { registerWasmKernels } from '../kernels/register-wasm-kernels';
import { WasmBackend } from '../kernels/wasm-backend-access';
import { convolutionPath } from '../kernels/wasm-conv-gemm';
import type { BackendProvider, BackendStart } from '../backend-registry';

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function activate(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
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
      nativeProbe = { package: name, version: packageVersion(name), failures };
      return nativeProbe;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      failures.push(`${name}: ${/Cannot find module/.test(message) ? 'not installed' : message}`);
    }
  }
  nativeProbe = { failures };
  return nativeProbe;
}

export const tensorflowProvider: BackendProvider = {
  name: 'tensorflow',
  description: 'native TensorFlow (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node; optional, needs libtensorflow)',
  autoRank: 0,
  async start(): Promise<BackendStart> {
    const native = probeNative();
    if (!native.package) return { ok: false, why: native.failures.join('; ') };
    if (!(await activate('tensorflow'))) return { ok: false, why: `${native.package} loaded but its backend did not start` };
    const gpu = Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
    return { ok: true, info: { name: 'tensorflow', version: native.version ?? 'unknown', tfjsVersion: tf.version_core, gpu, nativePackage: native.package, singleDevice: gpu }, why: `native TensorFlow (${native.package}) is installed and loads` };
  },
};

export const wasmProvider: BackendProvider = {
  name: 'wasm',
  description: "WebAssembly (SIMD; XNNPACK and mmfuse's convolution GEMM) with mmfuse's training kernels",
  autoRank: 2,
  async start(): Promise<BackendStart> {
    registerWasmKernels();
    if (!(await activate('wasm'))) return { ok: false, why: 'the WebAssembly backend did not start' };
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const threaded = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    const convolutions = convolutionPath(tf.backend() as unknown as WasmBackend);
    return { ok: true, info: { name: 'wasm', version: packageVersion('@tensorflow/tfjs-backend-wasm'), tfjsVersion: tf.version_core, simd, threads: threaded ? 2 : 1, convolutions }, why: "WebAssembly with mmfuse's training kernels" };
  },
};

export const cpuProvider: BackendProvider = {
  name: 'cpu',
  description: 'pure JavaScript (slow; the reference the other backends are tested against)',
  autoRank: 3,
  async start(): Promise<BackendStart> {
    if (!(await activate('cpu'))) return { ok: false, why: 'the JavaScript backend did not start' };
    return { ok: true, info: { name: 'cpu', version: packageVersion('@tensorflow/tfjs-backend-cpu'), tfjsVersion: tf.version_core, threads: 1 }, why: 'pure JavaScript' };
  },
};
