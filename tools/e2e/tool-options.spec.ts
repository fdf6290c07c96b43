import { spawnSync } from 'child_process';
import { join } from 'path';

/**
 * The benchmark scripts answer a bad option or value with one line naming it (and their usage),
 * exit 2 and no stack trace, before doing any work; `--help` prints the usage.
 */
const TOOLS = join(__dirname, '..');
const run = (script: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(TOOLS, script), ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe.each([
  ['bench.mjs', ['--steps', '2'], 'error: --steps: expected an integer ≥ 5, got "2"'],
  ['kernel-gflops.mjs', ['--workload', 'huge'], 'error: --workload: expected one of tiny-64, paper-128, got "huge"'],
  ['bench-data.mjs', ['--scene', 'foundry'], 'error: --scene: expected some of mujoco-pick-place, welding-single, welding-dual, got "foundry"'],
  ['bench-robomnist.mjs', ['--recordings', '12,many'], 'error: --recordings: expected an integer ≥ 1, got "many"'],
])('%s', (script, badValue, message) => {
  it('refuses an unknown option in one line with its usage, exit 2', () => {
    const r = run(script, '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: Unknown option '--bogus'");
    expect(r.stderr).toMatch(/^usage: npm run /m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('names a bad value and what it expected', () => {
    expect(run(script, ...badValue)).toMatchObject({ code: 2, stderr: `${message}\n` });
  });

  it('prints its usage for --help', () => {
    expect(run(script, '--help')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: npm run bench/) as string });
  });
});
