import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createRng } from '@mmfuse/core';
import { attemptsFolder, readCheckpoint, writeCheckpoint } from '@mmfuse/runs';
import { attemptFolder, mergeAttempt, prepareAttempt } from './attempts';

function runFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-attempts-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'x', training: { trials: 2 } }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ name: 'x' }));
  return dir;
}

function checkpointAt(file: string, epoch: number): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeCheckpoint(file, { epoch, records: [], rng: { shuffle: createRng(1).state(), corruption: createRng(2).state() }, weights: [{ name: 'w', shape: [1], values: Float32Array.from([epoch]) }], optimizer: [] });
}

/** What a trial writes in an attempt folder: one metrics and one Lipschitz row per epoch, an analysis entry, an outcome. */
function train(dir: string, setup: string, trial: number, from: number, to: number, tag: string, finish = true): void {
  for (let epoch = from + 1; epoch <= to; epoch++) {
    appendFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ setup, trial, epoch, tag })}\n`);
    appendFileSync(join(dir, 'lipschitz.jsonl'), `${JSON.stringify({ setup, trial, epoch, subModel: 'fusion', value: epoch, tag })}\n`);
    checkpointAt(join(dir, 'checkpoints', `${setup}.trial${trial}.ckpt`), epoch);
  }
  if (!finish) return;
  mkdirSync(join(dir, 'analysis'), { recursive: true });
  writeFileSync(join(dir, 'analysis', 'robustness.json'), JSON.stringify({ setups: { [setup]: { trials: [{ trial, tag }] } } }));
  mkdirSync(join(dir, 'trials'), { recursive: true });
  writeFileSync(join(dir, 'trials', `${setup}.trial${trial}.json`), JSON.stringify({ setup, trial, status: 'done', tag }));
}

const rows = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('attempt folders', () => {
  it('start from scratch when no attempt left a checkpoint, with the run config and a run.json naming the attempt', () => {
    const run = runFolder();
    const attempt = prepareAttempt(run, 'sum', 0, 'a1');
    expect(attempt.startEpoch).toBe(0);
    expect(attempt.dir).toBe(join(attemptsFolder(run, 'sum', 0), 'a1'));
    expect(readFileSync(join(attempt.dir, 'config.json'), 'utf8')).toBe(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(attempt.dir, 'run.json'), 'utf8'))).toMatchObject({ attempt: 'a1', setup: 'sum', trial: 0, startEpoch: 0, resumedFrom: null });
    expect(rows(join(attempt.dir, 'metrics.jsonl'))).toEqual([]);
  });

  it('continue from the furthest checkpoint an earlier attempt left, with only the rows written up to it', () => {
    const run = runFolder();
    const dead = prepareAttempt(run, 'sum', 1, 'dead').dir;
    // Died after epoch 4's rows but before epoch 4's checkpoint: its checkpoint says 3.
    train(dead, 'sum', 1, 0, 3, 'dead', false);
    appendFileSync(join(dead, 'metrics.jsonl'), `${JSON.stringify({ setup: 'sum', trial: 1, epoch: 4, tag: 'dead' })}\n{"setup":"sum","tri`);
    const behind = prepareAttempt(run, 'sum', 1, 'behind').dir;
    expect(readCheckpoint(join(behind, 'checkpoints', 'sum.trial1.ckpt'))!.epoch).toBe(3);
    train(behind, 'sum', 1, 3, 3, 'behind', false); // nothing new yet
    checkpointAt(join(behind, 'checkpoints', 'sum.trial1.ckpt'), 2); // an older checkpoint is never preferred

    const next = prepareAttempt(run, 'sum', 1, 'next');
    expect(next.startEpoch).toBe(3);
    expect(next.resumedFrom).toBe(join('attempts', 'sum.trial1', 'dead'));
    expect(rows(join(next.dir, 'metrics.jsonl')).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows(join(next.dir, 'lipschitz.jsonl')).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(readCheckpoint(join(next.dir, 'checkpoints', 'sum.trial1.ckpt'))!.weights[0].values[0]).toBe(3);
  });

  it('merge the accepted attempt as a local run would have written it, once, however often it is merged', () => {
    const run = runFolder();
    // Another trial, already merged, must stay as it is.
    const other = prepareAttempt(run, 'concat', 0, 'o').dir;
    train(other, 'concat', 0, 0, 3, 'other');
    mergeAttempt(run, 'attempts/concat.trial0/o', 'concat', 0);

    const slow = prepareAttempt(run, 'sum', 1, 'slow').dir;
    train(slow, 'sum', 1, 0, 3, 'slow');
    const winner = prepareAttempt(run, 'sum', 1, 'winner').dir;
    train(winner, 'sum', 1, 3, 5, 'winner');
    // Both finished; the queue accepted the slow one's first, then a retry's (a coordinator restarted half-way merges again).
    mergeAttempt(run, 'attempts/sum.trial1/slow', 'sum', 1);
    mergeAttempt(run, 'attempts/sum.trial1/winner', 'sum', 1);
    mergeAttempt(run, 'attempts/sum.trial1/winner', 'sum', 1);

    const metrics = rows(join(run, 'metrics.jsonl'));
    expect(metrics.filter((r) => r.setup === 'sum').map((r) => [r.epoch, r.tag])).toEqual([
      [1, 'slow'],
      [2, 'slow'],
      [3, 'slow'],
      [4, 'winner'],
      [5, 'winner'],
    ]);
    expect(metrics.filter((r) => r.setup === 'concat').map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows(join(run, 'lipschitz.jsonl')).filter((r) => r.setup === 'sum')).toHaveLength(5);
    expect(JSON.parse(readFileSync(join(run, 'trials', 'sum.trial1.json'), 'utf8')).tag).toBe('winner');
    expect(readCheckpoint(join(run, 'checkpoints', 'sum.trial1.ckpt'))!.epoch).toBe(5);
    const robustness = JSON.parse(readFileSync(join(run, 'analysis', 'robustness.json'), 'utf8'));
    expect(robustness.setups.sum.trials).toEqual([{ trial: 1, tag: 'winner' }]);
    expect(robustness.setups.concat.trials).toEqual([{ trial: 0, tag: 'other' }]);
    // The attempt's own bookkeeping stays in its folder.
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))).toEqual({ name: 'x' });
  });

  it('refuse an unfinished attempt and any path outside the attempts folder', () => {
    const run = runFolder();
    const dir = prepareAttempt(run, 'sum', 0, 'half').dir;
    train(dir, 'sum', 0, 0, 2, 'half', false);
    expect(() => mergeAttempt(run, 'attempts/sum.trial0/half', 'sum', 0)).toThrow(/finished without trials\/sum\.trial0\.json/);
    expect(existsSync(join(run, 'metrics.jsonl'))).toBe(false);
    expect(() => attemptFolder(run, '../elsewhere')).toThrow(/not inside/);
    expect(() => attemptFolder(run, '/etc')).toThrow(/not inside/);
    expect(() => attemptFolder(run, 'attempts')).toThrow(/not inside/);
  });
});
