import { spawnSync } from 'child_process';
import { join } from 'path';

/**
 * `npm run bench -- --backend webgpu` on the software adapter: the benchmark starts every backend
 * it may compare, then WebGPU again to time it. A second Dawn device in one process aborted it
 * (exit 139, "terminate called after throwing an instance of 'std::system_error'"); the provider
 * now reuses the device it started.
 */
it('times a training step on the webgpu backend and exits cleanly', () => {
  const bench = join(__dirname, '..', '..', 'bench.mjs');
  const r = spawnSync(process.execPath, [bench, '--backend', 'webgpu', '--workload', 'tiny-64', '--fusion', 'concat', '--steps', '5', '--no-torch', '--json'], { encoding: 'utf8', timeout: 240000 });
  expect({ code: r.status, signal: r.signal, aborted: /terminate called/.test(r.stderr) }).toEqual({ code: 0, signal: null, aborted: false });
  const rows = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { workload: string; backend: string; ms_per_step_median: number });
  expect(rows.map((row) => [row.workload, row.backend])).toEqual([['tiny-64', 'webgpu']]);
  expect(rows[0].ms_per_step_median).toBeGreaterThan(0);
}, 300000);
