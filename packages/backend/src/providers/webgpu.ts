import { existsSync, mkdirSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { GpuAdapterInfo } from '../backend-info';
import type { BackendProvider, BackendStart } from '../backend-registry';

/**
 * WebGPU through Dawn's Node binding (npm `webgpu`) and tfjs-backend-webgpu: a GPU backend that
 * installs from npm alone. Dawn drives the GPU through Vulkan (Metal, D3D12); on a machine without
 * one, a named `webgpu` runs on Dawn's OpenGL ES backend over whatever GL there is, Mesa's software
 * rasteriser included, which is slow but computes the same kernels (what the tests run on).
 */

/** The parts of Dawn's WebGPU objects mmfuse touches (the full types live in @webgpu/types). */
interface Adapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<unknown>;
}

interface Dawn {
  create(flags: string[]): { requestAdapter(options?: Record<string, unknown>): Promise<Adapter | null> };
  globals: Record<string, unknown>;
}

let dawn: Dawn | string | undefined;

/** Dawn's binding, or why it cannot load (not installed, no build for this platform). */
function loadDawn(): Dawn | string {
  if (dawn !== undefined) return dawn;
  try {
    const root = dirname(require.resolve('webgpu/package.json'));
    const platform = process.platform === 'darwin' ? 'darwin-universal' : `${process.platform}-${process.arch}`;
    const binary = join(root, 'dist', platform, 'dawn.node');
    if (!existsSync(binary)) return (dawn = `the webgpu package has no Dawn build for ${platform}`);
    prepareEnvironment();
    dawn = require(binary) as Dawn;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    dawn = /Cannot find module/.test(message) ? 'the optional package webgpu is not installed' : `Dawn did not load: ${message}`;
  }
  return dawn;
}

/**
 * What Dawn's OpenGL ES path needs on a headless machine, set only when the user has not: EGL
 * without a display server, and a runtime folder Mesa may write to.
 */
function prepareEnvironment(): void {
  if (process.platform !== 'linux') return;
  if (!process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) process.env.EGL_PLATFORM = 'surfaceless';
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `mmfuse-runtime-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

/** Whether Linux shows any GPU device node; without one, Dawn's Vulkan path has nothing to find. */
function linuxGpuDevices(): string[] {
  const found: string[] = [];
  try {
    found.push(...readdirSync('/dev/dri').filter((n) => n.startsWith('renderD')).map((n) => `/dev/dri/${n}`));
  } catch {
    // No DRM devices.
  }
  if (existsSync('/dev/nvidia0')) found.push('/dev/nvidia0');
  return found;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** The limits a training step runs into: buffer sizes, workgroup storage and size. */
const LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'] as const;

function describeAdapter(adapter: Adapter, api: string): GpuAdapterInfo {
  const i = adapter.info;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    software: Boolean(i.isFallbackAdapter) || SOFTWARE.test(text),
    api,
    limits: Object.fromEntries(LIMITS.map((k) => [k, Number(adapter.limits[k])])),
  };
}

/** A hardware adapter through Dawn's native API, else (when allowed) any adapter through OpenGL ES. */
async function findAdapter(d: Dawn, allowSoftware: boolean, tried: string[]): Promise<{ gpu: unknown; adapter: Adapter; info: GpuAdapterInfo } | undefined> {
  const native = process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
  const devices = process.platform === 'linux' ? linuxGpuDevices() : ['(not checked)'];
  if (devices.length === 0) tried.push(`${native}: no GPU device (/dev/dri/renderD*, /dev/nvidia0)`);
  else {
    const gpu = d.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) tried.push(`${native}: no adapter`);
    else {
      const info = describeAdapter(adapter, native);
      if (!info.software) return { gpu, adapter, info };
      tried.push(`${native}: only a software adapter (${info.device || info.description})`);
    }
  }
  if (!allowSoftware) return undefined;
  const gpu = d.create(['backend=opengles']);
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  if (!adapter) {
    tried.push('opengles: no adapter (for Mesa: apt-get install libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri)');
    return undefined;
  }
  return { gpu, adapter, info: describeAdapter(adapter, 'opengles') };
}

/**
 * tfjs-backend-webgpu's kernels on a device of the adapter mmfuse chose (its own factory would ask
 * navigator.gpu for one). Returns why it failed, if it did.
 */
async function activate(d: Dawn, gpu: unknown, adapter: Adapter): Promise<string | undefined> {
  Object.assign(globalThis, d.globals);
  // The backend checks navigator.gpu, which Node (before 21) does not define.
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend };
  // The adapter's own limits rather than WebGPU's defaults (a 128 MB binding, 256 invocations).
  const requiredLimits = Object.fromEntries(LIMITS.map((k) => [k, adapter.limits[k]]));
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  let backend: tf.KernelBackend;
  try {
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    backend = new WebGPUBackend(device, adapter.info);
    // Without timestamp queries tf.time reports kernel times of 0, and says so in a line meant for
    // Chrome users on the first call; mmfuse times steps by the wall clock, so the line is noise.
    if (!requiredFeatures.includes('timestamp-query')) Object.assign(backend, { hasTimestampQueryWarned: true });
  } catch (error) {
    return (error as Error).message;
  }
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend);
  return (await tf.setBackend('webgpu')) ? undefined : "tfjs's WebGPU backend did not start";
}

function version(): string {
  try {
    return (require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The device this process started, if any. A second Dawn instance and device in one process (a
 * backend asked for twice) crashes Dawn's OpenGL ES backend, so later starts reuse the first.
 */
let started: { result: BackendStart & { ok: true }; software: boolean } | undefined;

export const webgpuProvider: BackendProvider = {
  name: 'webgpu',
  description: "WebGPU through Dawn (npm webgpu): a GPU through Vulkan, Metal or D3D12; when named, also a software adapter through OpenGL ES",
  autoRank: 1,
  async start(named: boolean): Promise<BackendStart> {
    if (started && tf.findBackend('webgpu')) {
      if (started.software && !named) return { ok: false, why: 'only a software adapter (started earlier in this process)' };
      return (await tf.setBackend('webgpu')) ? started.result : { ok: false, why: "tfjs's WebGPU backend did not start again" };
    }
    const d = loadDawn();
    if (typeof d === 'string') return { ok: false, why: d };
    const tried: string[] = [];
    const found = await findAdapter(d, named, tried);
    if (!found) return { ok: false, why: tried.join('; ') };
    const failed = await activate(d, found.gpu, found.adapter);
    if (failed) return { ok: false, why: [...tried, `${found.info.api}: ${found.info.device || found.info.description}: ${failed}`].join('; ') };
    const adapterName = [found.info.vendor, found.info.architecture, found.info.device].filter(Boolean).join(' ') || found.info.description;
    const result = {
      ok: true as const,
      info: { name: 'webgpu', version: version(), tfjsVersion: tf.version_core, adapter: found.info, singleDevice: true },
      why: `${found.info.software ? 'software' : 'hardware'} adapter ${adapterName} through ${found.info.api}${tried.length ? ` (${tried.join('; ')})` : ''}`,
    };
    started = { result, software: found.info.software };
    return result;
  },
};
