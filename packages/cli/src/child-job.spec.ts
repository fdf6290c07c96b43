import { isUserInputError } from '@mmfuse/core';
import { checkChildJob } from './child-job';

const TRIALS = { kind: 'trials', config: '/runs/r/config.json', baseDir: '/configs', runDir: '/runs/r', trials: [{ setup: 'concat', trial: 2 }], workers: 2 };
const POINT = { kind: 'point', config: '/runs/s/config.json', baseDir: '/configs', point: 3, runDir: '/runs/s/points/003-a=1' };

describe('child jobs', () => {
  it('are taken as sent when they have the shape of a job and absolute paths', () => {
    expect(checkChildJob(TRIALS)).toEqual(TRIALS);
    expect(checkChildJob(POINT)).toEqual(POINT);
  });

  it.each([
    ['a string, as argv would carry it', 'run config.json --job concat:2'],
    ['an unknown kind', { ...POINT, kind: 'summary' }],
    ['an extra field', { ...TRIALS, plugins: ['evil'] }],
    ['a trial that is not a whole number', { ...TRIALS, trials: [{ setup: 'concat', trial: 1.5 }] }],
    ['no trials', { ...TRIALS, trials: [] }],
    ['a negative point', { ...POINT, point: -1 }],
    ['zero threads', { ...TRIALS, workers: 0 }],
  ])('refuse %s', (_, message) => {
    let error: unknown;
    try {
      checkChildJob(message);
    } catch (e) {
      error = e;
    }
    expect(isUserInputError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^child job: not a job this version sends \(/);
  });

  it('refuse a relative path, naming the field', () => {
    expect(() => checkChildJob({ ...POINT, runDir: '../elsewhere' })).toThrow('child job: runDir must be an absolute path, got "../elsewhere"');
  });
});
