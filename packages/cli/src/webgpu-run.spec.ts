import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { mmfuse } from './testing/cli-process';

/**
 * A whole run with every analysis callback on the WebGPU backend (Mesa's software adapter here)
 * against the same run on cpu. Every callback reads its values back asynchronously, since WebGPU
 * under Node has no synchronous read. Tolerances, relative unless said: losses 1e-5 (one float32
 * step of Adam differs by rounding in the summation order only); certified bounds 1e-5 (computed
 * on the host in float64 from the same weights); power iteration 1e-3; the Frobenius projection
 * 1e-2 (its J·g comes from forward differences, which magnify float32 rounding); analysis values
 * 1e-3, reconstructions 2e-4 absolute (they are kept to 4 decimals).
 */
const CONFIG = {
  seed: 3,
  data: { type: 'synthetic-arm', episodes: 8, framesPerEpisode: 20, imageSize: 16, window: 8 },
  modalities: [
    { name: 'camera', encoder: { type: 'conv2d', channels: [4, 8], kernelSize: 3, stride: 2, padding: 1 }, decoder: { type: 'conv2d-transpose' } },
    { name: 'joints', encoder: { type: 'mlp', units: [16], latentSize: 16 }, decoder: { type: 'mlp' } },
  ],
  fusions: [{ type: 'concat' }, { type: 'attention', regularizers: [{ type: 'l2', lambda: 0.0001, parameters: 'fusion/projection*/**' }] }],
  training: { epochs: 2, trials: 1, batchSize: 8 },
  callbacks: [{ type: 'lipschitz', budget: 0 }, { type: 'failure-detection' }, { type: 'robustness' }, { type: 'reconstructions' }],
};

type Row = Record<string, unknown>;
const jsonLines = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);

function run(backend: 'cpu' | 'webgpu'): string {
  const dir = mkdtempSync(join(tmpdir(), `mmfuse-${backend}-run-`));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: `callbacks-${backend}`, backend, ...CONFIG }));
  const r = mmfuse(dir, 'run', 'config.json', '--out', 'runs', '--quiet');
  expect({ code: r.code, errors: r.stderr.split('\n').filter((l) => /^error|Error|sync/i.test(l)) }).toEqual({ code: 0, errors: [] });
  return join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]);
}

/** Largest difference between two JSON values of the same shape, over their numbers. */
function largestDifference(a: unknown, b: unknown, relative: boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return relative ? Math.abs(a - b) / Math.max(Math.abs(a), 1e-6) : Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(b).toHaveLength(a.length);
    return a.reduce((m: number, x, i) => Math.max(m, largestDifference(x, b[i], relative)), 0);
  }
  if (a && typeof a === 'object' && b && typeof b === 'object') {
    expect(Object.keys(b as object).sort()).toEqual(Object.keys(a as object).sort());
    return Object.entries(a as object).reduce((m: number, [k, x]) => Math.max(m, largestDifference(x, (b as Record<string, unknown>)[k], relative)), 0);
  }
  if (typeof a !== 'number') expect(b).toEqual(a);
  return 0;
}

describe('a run with every analysis callback on the webgpu backend', () => {
  let cpu: string;
  let webgpu: string;
  beforeAll(() => {
    cpu = run('cpu');
    webgpu = run('webgpu');
  });

  it('trains to the losses of the cpu backend', () => {
    const [a, b] = [cpu, webgpu].map((d) => jsonLines(join(d, 'metrics.jsonl')).map((r) => ({ setup: r.setup, epoch: r.epoch, train: r.train, test: r.test })));
    expect(a).toHaveLength(4);
    expect(largestDifference(a, b, true)).toBeLessThan(1e-5);
  });

  it('writes the Lipschitz rows of the cpu backend, each estimator within its tolerance', () => {
    const [a, b] = [cpu, webgpu].map((d) => jsonLines(join(d, 'lipschitz.jsonl')));
    expect(b.map((r) => [r.setup, r.epoch, r.subModel, r.estimator])).toEqual(a.map((r) => [r.setup, r.epoch, r.subModel, r.estimator]));
    expect(b.filter((r) => r.value === null)).toEqual([]);
    const tolerance: Record<string, number> = { 'certified-bound': 1e-5, 'jacobian-spectral': 1e-3, 'jacobian-frobenius': 1e-2 };
    expect(new Set(a.map((r) => r.estimator))).toEqual(new Set(Object.keys(tolerance)));
    for (const [estimator, limit] of Object.entries(tolerance)) {
      const pick = (rows: Row[]) => rows.filter((r) => r.estimator === estimator).map((r) => r.value);
      expect({ estimator, below: largestDifference(pick(a), pick(b), true) < limit }).toEqual({ estimator, below: true });
    }
  });

  it('gives the failure detection, robustness and reconstructions of the cpu backend', () => {
    const read = (d: string, f: string) => JSON.parse(readFileSync(join(d, 'analysis', f), 'utf8')) as unknown;
    expect(largestDifference(read(cpu, 'failure-detection.json'), read(webgpu, 'failure-detection.json'), true)).toBeLessThan(1e-3);
    expect(largestDifference(read(cpu, 'robustness.json'), read(webgpu, 'robustness.json'), true)).toBeLessThan(1e-3);
    expect(largestDifference(read(cpu, 'reconstructions.json'), read(webgpu, 'reconstructions.json'), false)).toBeLessThanOrEqual(2e-4);
  });
});
