import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');
const FIXTURES = join(__dirname, 'fixtures');

function mmfuse(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: FIXTURES, env: { ...process.env, MMFUSE_DEBUG: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('mmfuse (end to end)', () => {
  it('runs a tiny config, prints the summary table and writes the run folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'mmfuse-e2e-'));
    const { code, stdout, stderr } = mmfuse('run', 'tiny.json', '--out', out);
    expect(stderr).toMatch(/tiny: trained|sum, concat × 2 trials × 2 epochs/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/MSE after 2 epochs, mean ± std over 2 trials/);
    expect(stdout).toMatch(/│ sum\s+│/);
    expect(stdout).toMatch(/│ concat\s+│/);
    const [runDir] = readdirSync(out);
    expect(runDir).toMatch(/^tiny-\d{8}-\d{6}$/);
    const summary = JSON.parse(readFileSync(join(out, runDir, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.setups)).toEqual(['sum', 'concat']);
    expect(summary.setups.concat.final.test.total.values).toHaveLength(2);
  }, 30000);

  it('reports every problem of a bad config on its own line with its JSON path, exits 2 and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mmfuse-bad-')), 'runs');
    for (const args of [['validate', 'bad.json'], ['run', 'bad.json', '--out', out]]) {
      const { code, stdout, stderr } = mmfuse(...args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines).toEqual(
        expect.arrayContaining([
          'error: bad.json: modalities[0].encoder.stride: expected integer or array, got string "two" (Stride: one number or [height, width])',
          expect.stringMatching(/^error: bad\.json: fusions\[1\]\.type: "concatt" is not a registered fusion type\. Did you mean "concat"\?/),
          expect.stringMatching(/^error: bad\.json: training\.learningrate: unknown key "learningrate"\. Did you mean "learningRate"\?/),
        ]),
      );
      expect(stderr).not.toMatch(/\s+at .*\.js:\d+/);
    }
    expect(existsSync(out)).toBe(false);
  }, 20000);

  it('refuses a missing config file and unknown commands with exit code 2', () => {
    const missing = mmfuse('validate', 'nope.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('error: nope.json: cannot read the config (ENOENT)');
    expect(mmfuse('frobnicate').code).toBe(2);
    expect(mmfuse('run').code).toBe(2);
  });

  it('lists registered types with their option schemas', () => {
    const { code, stdout } = mmfuse('list', 'fusion', '--json');
    expect(code).toBe(0);
    const types = JSON.parse(stdout);
    expect(types.map((t: { type: string }) => t.type)).toEqual(['attention', 'concat', 'feature-gate', 'sum', 'token-attention']);
    expect(types[1]).toMatchObject({ kind: 'fusion', source: '@mmfuse/fusion-concat', options: { type: 'object' } });
    expect(types[2]).toMatchObject({ kind: 'fusion', source: '@mmfuse/fusion-feature-gate', options: { type: 'object' } });
    // A third-party plugin is not loaded unless asked for.
    expect(stdout).not.toMatch(/mmfuse-fusion-gated/);
    expect(mmfuse('list', 'fusions').stderr.trim()).toBe('error: list: unknown kind "fusions"; expected one of data, encoder, decoder, fusion, regularizer, callback');
  });

  it('says which backend runs and why', () => {
    const { code, stdout } = mmfuse('doctor', '--backend', 'cpu');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend:\s+cpu \(requested cpu\)$/m);
  });
});
