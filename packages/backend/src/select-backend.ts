import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'path';
import { BackendChoice, BackendInfo } from './backend-info';
import { backendProvider, backendProviders, registerBackendProvider } from './backend-registry';
import { cpuProvider, tensorflowProvider, wasmProvider } from './providers/builtin';
import { webgpuProvider } from './providers/webgpu';

// tfjs-core's CommonJS bundle registers no gradients; the build bundles its ES-module registrations
// into dist/tfjs-gradients.js (scripts/bundle-gradients.mjs). The same path from src/ and dist/.
require(join(__dirname, '..', 'dist', 'tfjs-gradients.js'));

for (const provider of [tensorflowProvider, webgpuProvider, wasmProvider, cpuProvider]) registerBackendProvider(provider);

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** How to get each built-in backend when it is named but cannot start. */
const HOW: Record<string, string> = {
  tensorflow: 'install @tensorflow/tfjs-node-gpu as the README\'s "GPU" section says, or use "auto"',
  webgpu: 'install the optional package webgpu (npm install webgpu), and on a machine without a GPU the Mesa packages libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri; or use "auto"',
};

/**
 * The one place that picks and prepares the TensorFlow.js backend. `auto` tries the registered
 * backends in order (native TensorFlow when its binary loads, WebGPU on a hardware adapter,
 * WebAssembly, pure JavaScript) and records why each one before the chosen was passed over. A named
 * backend that cannot start throws BackendUnavailableError saying why.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  // Silences tfjs's "install the node backend" banner; mmfuse reports its own choice instead.
  tf.env().set('PROD', true);
  if (requested !== 'auto') {
    const provider = backendProvider(requested);
    if (!provider) throw new BackendUnavailableError(`unknown backend "${requested}"; expected one of auto, ${backendProviders().map((p) => p.name).join(', ')}`);
    const started = await provider.start(true);
    if (!started.ok) throw new BackendUnavailableError(`backend "${requested}" is not available (${started.why})${HOW[requested] ? `; ${HOW[requested]}` : ''}`);
    return { ...started.info, requested, reason: `requested: ${started.why}` };
  }
  const tried: string[] = [];
  for (const provider of backendProviders().filter((p) => p.autoRank !== undefined)) {
    const started = await provider.start(false);
    if (started.ok) {
      const passed = tried.length ? `; ${tried.join('; ')}` : '';
      return { ...started.info, requested, reason: `${started.why}${passed}`, tried };
    }
    tried.push(`${provider.name}: ${started.why}`);
  }
  throw new BackendUnavailableError(`no TensorFlow.js backend could start (${tried.join('; ')})`);
}

/** The backend running now, for reports. */
export function currentBackendName(): string {
  return tf.getBackend();
}
