import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { isQueuedFolder, isSweepFolder, readQueueRecord, readRunSummary, readSweepRecord } from './folder-records';
import { pruneRows } from './prune-rows';

const folder = () => mkdtempSync(join(tmpdir(), 'mmfuse-runs-'));
const write = (dir: string, name: string, value: unknown) => writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));

describe('sweep records', () => {
  const point = (runDir: string) => ({ name: 's', configDir: '/configs', parameters: ['a'], points: [{ index: 0, assignments: { a: 1 }, runDir }] });

  it('are read when every point folder lies inside the sweep folder', () => {
    const dir = folder();
    expect(isSweepFolder(dir)).toBe(false);
    write(dir, 'sweep.json', point('points/000-a=1'));
    expect(isSweepFolder(dir)).toBe(true);
    expect(readSweepRecord(dir).points[0].runDir).toBe('points/000-a=1');
  });

  it.each([
    ['../../etc', 'points[0].runDir: expected points/<index>-<label> inside the sweep folder, got "../../etc"'],
    ['points/000-a/../../x', 'points[0].runDir: expected points/<index>-<label>'],
    ['/abs/points/000-a', 'points[0].runDir: expected points/<index>-<label>'],
  ])('refuse a point folder %s that would leave the sweep folder', (runDir, message) => {
    const dir = folder();
    write(dir, 'sweep.json', point(runDir));
    expect(() => readSweepRecord(dir)).toThrow(`${join(dir, 'sweep.json')}: ${message}`);
  });

  it('refuse a relative config folder and a damaged file, naming the file', () => {
    const dir = folder();
    write(dir, 'sweep.json', { ...point('points/000-a=1'), configDir: 'configs' });
    expect(() => readSweepRecord(dir)).toThrow('"configDir": expected an absolute folder');
    write(dir, 'sweep.json', '{"points": [');
    expect(() => readSweepRecord(dir)).toThrow(`${join(dir, 'sweep.json')}: damaged`);
  });
});

describe('queue records', () => {
  it('are read with their identity and absolute config folder', () => {
    const dir = folder();
    expect(isQueuedFolder(dir)).toBe(false);
    const record = { runId: 'r-1', queueName: 'mmfuse', configDir: '/configs', createdAt: '2026-12-06T00:00:00Z' };
    write(dir, 'queue.json', record);
    expect(isQueuedFolder(dir)).toBe(true);
    expect(readQueueRecord(dir)).toEqual(record);
  });

  it.each([
    [{ queueName: 'q', configDir: '/c' }, '"runId": expected a non-empty string'],
    [{ runId: 'r', queueName: '', configDir: '/c' }, '"queueName": expected a non-empty string'],
    [{ runId: 'r', queueName: 'q', configDir: '../c' }, '"configDir": expected an absolute folder'],
    [[1, 2], '"runId": expected a non-empty string'],
  ])('refuse %j', (record, message) => {
    const dir = folder();
    write(dir, 'queue.json', record);
    expect(() => readQueueRecord(dir)).toThrow(`${join(dir, 'queue.json')}: ${message}`);
  });
});

describe('run summaries', () => {
  it('are undefined while a run has none, read when it has, and refused without set-ups', () => {
    const dir = folder();
    expect(readRunSummary(dir)).toBeUndefined();
    write(dir, 'summary.json', { name: 'x', setups: { sum: {} } });
    expect(readRunSummary(dir)?.setups).toEqual({ sum: {} });
    write(dir, 'summary.json', { name: 'x' });
    expect(() => readRunSummary(dir)).toThrow(`${join(dir, 'summary.json')}: expected an object with "setups"`);
  });
});

describe('pruning rows before a trial continues', () => {
  it('drops only that trial\'s rows after its checkpoint, and a line cut short, in every JSON-lines file', () => {
    const dir = folder();
    const rows = [
      { setup: 'sum', trial: 0, epoch: 1 },
      { setup: 'sum', trial: 0, epoch: 2 },
      { setup: 'sum', trial: 0, epoch: 3 },
      { setup: 'sum', trial: 1, epoch: 3 },
      { setup: 'concat', trial: 0, epoch: 3 },
      { setup: 'sum', trial: 0, note: 'no epoch' },
    ];
    const text = rows.map((r) => JSON.stringify(r)).join('\n');
    write(dir, 'metrics.jsonl', `${text}\n{"setup": "sum", "tri`);
    write(dir, 'lipschitz.jsonl', `${text}\n`);
    mkdirSync(join(dir, 'trials'));
    pruneRows(dir, 'sum', 0, 1);
    const kept = rows.filter((r) => !(r.setup === 'sum' && r.trial === 0 && typeof r.epoch === 'number' && r.epoch > 1));
    for (const name of ['metrics.jsonl', 'lipschitz.jsonl']) {
      expect(readFileSync(join(dir, name), 'utf8')).toBe(`${kept.map((r) => JSON.stringify(r)).join('\n')}\n`);
    }
  });
});
