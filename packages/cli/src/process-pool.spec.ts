import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ChildJob } from './child-job';
import { ChildResult, runChild, runChildPool } from './process-pool';
import { TINY_EXPERIMENT } from './testing/tiny-experiment';

const CONFIG = {
  name: 'pool-reuse',
  seed: 3,
  ...TINY_EXPERIMENT,
  fusions: [{ type: 'concat' }],
  training: { epochs: 1, batchSize: 8, trials: 1, workers: 1 },
  sweep: { grid: { 'training.learningRate': [0.001, 0.01, 0.1] } },
};

describe('runChildPool', () => {
  it('hands a child that finished a job the next one, and starts a fresh child after one that failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-reuse-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const point = (index: number): ChildJob => ({ kind: 'point', config, baseDir: dir, point: index, runDir: join(dir, `p${index}`), workers: 1 });
    // A job this version does not send: the child refuses it in one line and exits 2.
    const malformed = { kind: 'point', config, baseDir: dir, point: 'x', runDir: join(dir, 'bad') } as unknown as ChildJob;
    const jobs = [point(0), point(1), malformed, point(2)];
    const results: ChildResult[] = [];
    await runChildPool(jobs, 1, (job) => job, (_job, result) => results.push(result));

    expect(results.map((r) => r.code)).toEqual([0, 0, 2, 0]);
    expect(results[2].lastLine).toMatch(/^error: child job: not a job this version sends/);
    const [first, second, third, fourth] = results.map((r) => r.pid);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(fourth).not.toBe(first);
    for (const index of [0, 1, 2]) expect(existsSync(join(dir, `p${index}`, 'summary.json'))).toBe(true);
    expect(existsSync(join(dir, 'bad'))).toBe(false);

    // A point run second in a child equals the same point run alone in a fresh one.
    const alone = await runChild({ ...point(1), runDir: join(dir, 'alone') });
    expect(alone.code).toBe(0);
    const final = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).setups.concat.final;
    expect(final(join(dir, 'alone'))).toEqual(final(join(dir, 'p1')));
    expect(final(join(dir, 'p1'))).not.toEqual(final(join(dir, 'p0')));
  }, 180000);
});
