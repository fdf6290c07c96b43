import { spawn } from 'child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { randomBytes } from 'crypto';
import { Job } from 'bullmq';
import { mergeAttempt } from './attempts';
import { connectRedis, maskRedisUrl, parseRedisUrl } from './redis-connection';
import { startTestRedis, TestRedis } from '@mmfuse/testing';
import { TrialJobData, trialJobId, TrialJobResult } from './trial-job';
import { TrialQueue } from './trial-queue';
import { startTrialWorker, TrainAttempt } from './trial-worker';

jest.setTimeout(60000);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const queueName = () => `test-${randomBytes(4).toString('hex')}`;

/** Every folder the tests' run folders are made in: what their workers serve. */
const ROOTS = [realpathSync(tmpdir())];

/** A queued run's folder as a coordinator leaves it: its config (set-ups, trials) and queue record. */
function runFolder(runId = 'r1', setups = ['sum', 'concat', 'bad', 'invalid-config']): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mmfuse-queue-')));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ fusions: setups.map((label) => ({ type: 'sum', label })), training: { trials: 2 } }));
  writeFileSync(join(dir, 'queue.json'), JSON.stringify({ runId, queueName: 'test', configDir: dir, createdAt: 'now' }));
  return dir;
}

function job(runDir: string, setup: string, trial: number, runId = 'r1'): TrialJobData {
  return { runId, runName: 'test', runDir, setup, trial };
}

/** A trainer that writes `epochs` metric rows (tagged with its attempt) and the outcome file. */
function writeTrial(attemptDir: string, data: TrialJobData, epochs: number): void {
  for (let epoch = 1; epoch <= epochs; epoch++) appendFileSync(join(attemptDir, 'metrics.jsonl'), `${JSON.stringify({ setup: data.setup, trial: data.trial, epoch, attempt: attemptDir })}\n`);
  writeFileSync(join(attemptDir, 'trials', `${data.setup}.trial${data.trial}.json`), JSON.stringify({ setup: data.setup, trial: data.trial, status: 'done' }));
}

describe('Redis URLs', () => {
  it('take redis:// and rediss:// (TLS) with a database number, and nothing else', () => {
    expect(parseRedisUrl('redis://h:6379/2')).toEqual({ url: 'redis://h:6379/2', tls: false, db: 2 });
    expect(parseRedisUrl('rediss://:pw@h:6380')).toMatchObject({ tls: true, db: 0 });
    expect(() => parseRedisUrl('http://h:6379')).toThrow('--queue http://h:6379: expected a redis:// or rediss:// URL, got http://');
    expect(() => parseRedisUrl('redis://h/x')).toThrow('database "x" is not a whole number');
    expect(() => parseRedisUrl('localhost:6379')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(maskRedisUrl('redis://user:secret@h:1/0')).toBe('redis://user:***@h:1/0');
  });

  it('fail in one line, password masked, when the server cannot be used', async () => {
    // A user of its own, so the server's other clients are not affected.
    const admin = await connectRedis(redis.url);
    const user = `mmfuse-${randomBytes(3).toString('hex')}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>right-password', '~*', '&*', '+@all');
    admin.disconnect();
    const withPassword = (password: string) => redis.url.replace('redis://', `redis://${user}:${password}@`);
    const ok = await connectRedis(withPassword('right-password'));
    expect(await ok.ping()).toBe('PONG');
    ok.disconnect();
    const refused = connectRedis(withPassword('hunter2'));
    await expect(refused).rejects.toThrow(new RegExp(`^--queue redis://${user}:\\*\\*\\*@127\\.0\\.0\\.1:\\d+: cannot use this Redis server \\(WRONGPASS.*\\)$`));
    await expect(refused).rejects.not.toThrow(/hunter2/);
    await expect(connectRedis('redis://127.0.0.1:1', { timeoutMs: 3000 })).rejects.toThrow(/^--queue redis:\/\/127\.0\.0\.1:1: cannot use this Redis server \(.*(ECONNREFUSED|no answer).*\)$/);
  });
});

describe('the trial queue', () => {
  it('enqueues each job once, retries a failing job a bounded number of times and reports its error, and completes the rest', async () => {
    const name = queueName();
    const runDir = runFolder();
    const queue = await TrialQueue.open(redis.url, { name, attempts: 2, backoffMs: 50 });
    const tries = new Map<string, number>();
    const train: TrainAttempt = async (data, attemptDir) => {
      tries.set(data.setup, (tries.get(data.setup) ?? 0) + 1);
      if (data.setup === 'bad') return { code: 1, message: 'exit code 1: out of memory' };
      if (data.setup === 'invalid-config') return { code: 2, message: 'config.json: fusions[0].type: unknown' };
      writeTrial(attemptDir, data, 3);
      return { code: 0 };
    };
    const jobs = [job(runDir, 'sum', 0), job(runDir, 'bad', 0), job(runDir, 'concat', 0), job(runDir, 'invalid-config', 0)];
    await queue.enqueue(jobs);
    await queue.enqueue(jobs); // a restarted coordinator adds nothing twice
    expect(await queue.countsByRun()).toEqual([{ runId: 'r1', runName: 'test', waiting: 4, active: 0, done: 0, failed: 0 }]);
    // A payload that is not a trial job never reaches a trainer.
    await queue.queue.add('x', { ...job(runDir, 'smuggled', 0), script: 'rm -rf /' } as unknown as TrialJobData, { jobId: 'r1.smuggled', attempts: 3 });
    const worker = await startTrialWorker({ url: redis.url, name, roots: ROOTS, train, lockSeconds: 5 });
    try {
      const settled = await queue.follow(jobs, () => undefined, 50);
      expect(settled.map((s) => `${s.data.setup}:${s.state}`).sort()).toEqual(['bad:failed', 'concat:completed', 'invalid-config:failed', 'sum:completed']);
      for (let waited = 0; (await queue.queue.getJobState('r1.smuggled')) !== 'failed'; waited += 50) {
        if (waited > 10000) throw new Error('the smuggled job was not refused');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.close();
    }
    const state = async (id: string) => (await Job.fromId<TrialJobData, TrialJobResult>(queue.queue, id))!;
    const sum = await state(trialJobId(job(runDir, 'sum', 0)));
    expect(await sum.getState()).toBe('completed');
    mergeAttempt(runDir, sum.returnvalue.attempt, 'sum', 0);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const bad = await state(trialJobId(job(runDir, 'bad', 0)));
    expect(await bad.getState()).toBe('failed');
    expect(bad.failedReason).toBe('exit code 1: out of memory');
    expect(bad.attemptsMade).toBe(2);
    expect(tries.get('bad')).toBe(2);
    // Bad input fails at once: retrying cannot help.
    const invalid = await state(trialJobId(job(runDir, 'invalid-config', 0)));
    expect(await invalid.getState()).toBe('failed');
    expect(tries.get('invalid-config')).toBe(1);
    const smuggledJob = await state('r1.smuggled');
    expect(await smuggledJob.getState()).toBe('failed');
    expect(smuggledJob.failedReason).toBe('job payload: unexpected field "script"');
    expect(tries.has('smuggled')).toBe(false);
    expect(await queue.countsByRun()).toEqual([{ runId: 'r1', runName: 'test', waiting: 0, active: 0, done: 2, failed: 3 }]);

    // A resumed coordinator tries a job that failed for good again.
    const again = await TrialQueue.open(redis.url, { name, attempts: 1 });
    const worker2 = await startTrialWorker({ url: redis.url, name, roots: ROOTS, train: async (data, dir) => (writeTrial(dir, data, 1), { code: 0 }) });
    try {
      await again.enqueue([job(runDir, 'bad', 0)]);
      const settled = await again.follow([job(runDir, 'bad', 0)], () => undefined, 50);
      expect(settled.map((s) => s.state)).toEqual(['completed']);
    } finally {
      await worker2.close();
      await again.close();
      await queue.close();
    }
  });

  it('refuses run folders outside the folders a worker serves', async () => {
    const name = queueName();
    const served = runFolder();
    const elsewhere = runFolder('r2');
    const queue = await TrialQueue.open(redis.url, { name, attempts: 3 });
    const worker = await startTrialWorker({ url: redis.url, name, roots: [served], train: async (data, dir) => (writeTrial(dir, data, 1), { code: 0 }) });
    try {
      const jobs = [job(served, 'sum', 0), job(elsewhere, 'sum', 0, 'r2')];
      await queue.enqueue(jobs);
      const settled = await queue.follow(jobs, () => undefined, 50);
      const byRun = Object.fromEntries(settled.map((s) => [s.data.runId, s]));
      expect(byRun.r1.state).toBe('completed');
      expect(byRun.r2).toMatchObject({ state: 'failed', attempts: 1 });
      expect((byRun.r2 as { error: string }).error).toBe(`job payload: run folder ${elsewhere} is outside the folders this worker serves (${served})`);
      expect(existsSync(join(elsewhere, 'attempts'))).toBe(false);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('refuses crafted payloads: paths that leave the served folder, set-ups, trials and run ids the run does not have, a config folder of their own', async () => {
    const name = queueName();
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'mmfuse-served-')));
    const runDir = join(root, 'run');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ fusions: [{ type: 'sum' }], training: { trials: 2 } }));
    writeFileSync(join(runDir, 'queue.json'), JSON.stringify({ runId: 'r1', queueName: 'test', configDir: runDir, createdAt: 'now' }));
    const outside = runFolder('r1', ['sum']);
    symlinkSync(outside, join(root, 'link'));
    const queue = await TrialQueue.open(redis.url, { name, attempts: 3 });
    const trained: string[] = [];
    const worker = await startTrialWorker({ url: redis.url, name, roots: [root], train: async (data, dir) => (trained.push(dir), writeTrial(dir, data, 1), { code: 0 }) });
    const crafted: Array<[string, Record<string, unknown>, string]> = [
      ['c1', { ...job(runDir, '../../../../outside/x', 0) }, `job payload: set-up "../../../../outside/x" is not one of the run's (sum)`],
      ['c2', { ...job(`${runDir}/../../..${outside}`, 'sum', 0) }, `job payload: run folder ${outside} is outside the folders this worker serves (${root})`],
      ['c3', { ...job(join(root, 'link'), 'sum', 0) }, `job payload: run folder ${outside} is outside the folders this worker serves (${root})`],
      ['c4', { ...job(runDir, 'sum', 0), configDir: outside }, 'job payload: unexpected field "configDir"'],
      ['c5', { ...job(runDir, 'sum', 7) }, "job payload: trial 7 is not one of the run's 2 trials"],
      ['c6', { ...job(runDir, 'sum', 0, 'other-run') }, `job payload: run id "other-run" is not the run's ("r1")`],
      ['c7', { ...job(runDir, 'sum', 0), point: 3 }, `job payload: run folder ${runDir} is not a queued run (no queue.json in it or, for a sweep point, in its sweep folder)`],
    ];
    try {
      for (const [id, data] of crafted) await queue.queue.add('x', data as unknown as TrialJobData, { jobId: id, attempts: 3 });
      for (const [id, , reason] of crafted) {
        for (let waited = 0; (await queue.queue.getJobState(id)) !== 'failed'; waited += 50) {
          if (waited > 10000) throw new Error(`crafted job ${id} was not refused`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const refused = (await Job.fromId(queue.queue, id))!;
        expect([id, refused.failedReason, refused.attemptsMade]).toEqual([id, reason, 1]);
      }
      expect(trained).toEqual([]);
      expect(readdirSync(outside).sort()).toEqual(['config.json', 'queue.json']);
      expect(readdirSync(runDir).sort()).toEqual(['config.json', 'queue.json']);
      // The same run's real job trains, and its configDir comes from the run's queue.json.
      await queue.enqueue([job(runDir, 'sum', 1)]);
      const [settled] = await queue.follow([job(runDir, 'sum', 1)], () => undefined, 50);
      expect(settled.state).toBe('completed');
      expect(trained).toHaveLength(1);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('gives a stalled job to another worker, and never accepts the result of the stalled one when it comes back', async () => {
    const name = queueName();
    const runDir = runFolder();
    const queue = await TrialQueue.open(redis.url, { name });
    // The slow worker runs in its own process, so it can be stopped (SIGSTOP) and continued.
    const script = join(runDir, 'slow-worker.js');
    writeFileSync(
      script,
      `const { appendFileSync, writeFileSync } = require('fs');
const { join } = require('path');
const { startTrialWorker } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
startTrialWorker({
  url: ${JSON.stringify(redis.url)}, name: ${JSON.stringify(name)}, roots: ${JSON.stringify(ROOTS)}, lockSeconds: 1,
  log: (line) => process.stdout.write(line + '\\n'),
  train: async (data, dir) => {
    for (let epoch = 1; epoch <= 5; epoch++) {
      appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ setup: data.setup, trial: data.trial, epoch, attempt: dir }) + '\\n');
      await new Promise((r) => setTimeout(r, 400));
    }
    writeFileSync(join(dir, 'trials', data.setup + '.trial' + data.trial + '.json'), '{}');
    process.stdout.write('slow attempt finished\\n');
    return { code: 0 };
  },
});`,
    );
    const slow = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let slowOutput = '';
    slow.stdout!.on('data', (chunk) => (slowOutput += String(chunk)));
    let fast: Awaited<ReturnType<typeof startTrialWorker>> | undefined;
    try {
      const data = job(runDir, 'sum', 0);
      await queue.enqueue([data]);
      const attempts = join(runDir, 'attempts', 'sum.trial0');
      for (let waited = 0; !(existsSync(attempts) && readdirSync(attempts).some((a) => existsSync(join(attempts, a, 'metrics.jsonl')))); waited += 50) {
        if (waited > 30000) throw new Error(`the slow worker never started: ${slowOutput}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const slowAttempt = readdirSync(attempts)[0];
      slow.kill('SIGSTOP');
      fast = await startTrialWorker({ url: redis.url, name, roots: ROOTS, lockSeconds: 1, train: async (d, dir) => (writeTrial(dir, d, 5), { code: 0 }) });
      const [settled] = await queue.follow([data], () => undefined, 50);
      expect(settled.state).toBe('completed');
      const winner = (settled as { result: TrialJobResult }).result.attempt;
      expect(winner).not.toContain(slowAttempt);
      mergeAttempt(runDir, winner, 'sum', 0);

      slow.kill('SIGCONT');
      for (let waited = 0; !slowOutput.includes('slow attempt finished'); waited += 50) {
        if (waited > 30000) throw new Error(`the slow worker never finished: ${slowOutput}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1500));
      // The job still names the attempt that was accepted; the slow one's rows never reach the run.
      const after = (await Job.fromId<TrialJobData, TrialJobResult>(queue.queue, trialJobId(data)))!;
      expect(await after.getState()).toBe('completed');
      expect(after.returnvalue.attempt).toBe(winner);
      const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(rows.map((r) => r.attempt))).toEqual(new Set([join(runDir, winner)]));
    } finally {
      slow.kill('SIGKILL');
      await fast?.close();
      await queue.close();
    }
  });
});
