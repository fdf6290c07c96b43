import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');
const mmfuse = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('mmfuse doctor', () => {
  it('names the WebGPU adapter, whether it is software, its limits and what was tried', () => {
    const r = mmfuse('doctor', '--backend', 'webgpu');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^backend: +webgpu \(requested webgpu\)$/m);
    expect(r.stdout).toMatch(/^adapter: +.+ through (vulkan|metal|d3d12|opengles)/m);
    expect(r.stdout).toMatch(/^limits: +maxBufferSize \d+, maxStorageBufferBindingSize \d+/m);
    // On this machine (no GPU): Mesa's rasteriser, said to be software.
    if (/llvmpipe/.test(r.stdout)) expect(r.stdout).toMatch(/^gpu: +false$/m);
  });

  it('under auto lists every backend passed over, and why', () => {
    const r = mmfuse('doctor');
    expect(r.status).toBe(0);
    const name = /^backend: +(\S+)/m.exec(r.stdout)?.[1];
    if (name === 'wasm') expect(r.stdout).toMatch(/^tried: +tensorflow: .*\n +webgpu: /m);
    // The backend's own threads and the data-parallel workers are named apart.
    expect(r.stdout).toMatch(/^backend threads: +(\d+|n\/a)$/m);
    expect(r.stdout).toMatch(/^data-parallel: +\d+ workers? at batch 32 under "workers": "auto" \(.+\)$/m);
  });

  it('on wasm says what computes the convolutions', () => {
    const r = mmfuse('doctor', '--backend', 'wasm');
    expect(r.status).toBe(0);
    // Node 20 validates relaxed SIMD once mmfuse switches V8's flag on; Node 22 ships it on.
    expect(r.stdout).toMatch(/^convolutions: +mmfuse's GEMM, relaxed SIMD \(fused multiply-add\)$/m);
  });
});

describe('backend names', () => {
  it('are checked by validate against the registered backends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-backend-name-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ name: 'x', backend: 'gpu', data: { type: 'synthetic-arm' }, modalities: [{ name: 'camera', encoder: { type: 'conv2d', channels: [4] }, decoder: { type: 'conv2d-transpose' } }, { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 4 }, decoder: { type: 'mlp' } }], fusions: [{ type: 'sum' }] }));
    const r = mmfuse('validate', join(dir, 'c.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: ${join(dir, 'c.json')}: backend: unknown backend "gpu"; expected one of auto, tensorflow, webgpu, wasm, cpu\n`);
  });
});
