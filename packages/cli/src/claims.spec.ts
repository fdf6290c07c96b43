import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const BIN = join(__dirname, '..', 'bin', 'mmfuse.js');

function mmfuse(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MMFUSE_DEBUG: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A finished run's summary with final test losses per trial; attention and its residual variant are both of fusion type attention. */
function runFolder(losses: Record<string, number[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-claims-cli-'));
  const setups = Object.fromEntries(Object.entries(losses).map(([setup, values]) => [setup, { fusion: { type: setup.split('-')[0] }, final: { test: { total: { values } } } }]));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ setups }));
  return dir;
}

describe('mmfuse claims', () => {
  const losses = {
    sum: [0.3, 0.5, 0.7, 0.2, 0.9],
    concat: [0.4, 0.41, 0.42, 0.415, 0.405],
    attention: [0.6, 0.61, 0.62, 0.63, 0.64],
    'attention-residual': [0.1, 0.11, 0.12, 0.13, 0.14],
  };

  it('prints the table of verdicts and writes it to claims.txt, and the results to claims.json', () => {
    const dir = runFolder(losses);
    const { code, stdout, stderr } = mmfuse('claims', dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^claim +statement \/ comparison +figure per set-up \(mean ± std\) +p +effect \[95 % CI\] +verdict +reason$/m);
    // Attention is above concat in every trial: contradicted; the Lipschitz claims lack their file.
    expect(stdout).toMatch(/^lowest-loss +attention has the lowest test loss +contradicted +1 of 2 comparisons significant the other way/m);
    expect(stdout).toMatch(/final test loss \(total\), attention < concat +attention 0\.62 ± 0\.0158 \(n=5\); concat 0\.41 ± 0\.00791 \(n=5\) +1 +δ = 1 \[1, 1\]/);
    expect(stdout).toMatch(/^lowest-lipschitz .* inconclusive +no jacobian-spectral rows in lipschitz\.jsonl/m);
    expect(readFileSync(join(dir, 'claims.txt'), 'utf8')).toBe(stdout);
    const written = JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8'));
    expect(written).toMatchObject({ alpha: 0.05, estimator: 'jacobian-spectral', attention: 'attention' });
    expect(written.results.map((r: { id: string; verdict: string }) => [r.id, r.verdict])).toEqual([
      ['lowest-loss', 'contradicted'],
      ['lowest-lipschitz', 'inconclusive'],
      ['encoders-above-decoders', 'inconclusive'],
      ['concat-steadier', 'holds'],
      ['best-detection', 'inconclusive'],
      ['non-inferior-to-concat', 'contradicted'],
      ['robust-to-modality-loss', 'inconclusive'],
      ['fastest-convergence', 'inconclusive'],
    ]);
    // The residual variant is the same fusion type: not among the set-ups attention is compared with.
    expect(written.results[0].comparisons.map((c: { b: { label: string } }) => c.b.label)).toEqual(['sum', 'concat']);
  }, 20000);

  it('checks the set-up named by --attention, and prints JSON with --json', () => {
    const dir = runFolder(losses);
    const { code, stdout } = mmfuse('claims', dir, '--attention', 'attention-residual', '--json');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(printed.attention).toBe('attention-residual');
    expect(printed.results[0]).toMatchObject({ statement: 'attention ("attention-residual") has the lowest test loss', verdict: 'holds' });
    expect(printed.margin).toBe(0.05);
    expect(JSON.parse(readFileSync(join(dir, 'claims.json'), 'utf8'))).toEqual(printed);
  }, 20000);

  it('answers bad input with one line naming the value and what was expected, and exit code 2', () => {
    const dir = runFolder(losses);
    const unknown = mmfuse('claims', dir, '--attention', 'attn');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: attention set-up "attn": not in this run; expected one of sum, concat, attention, attention-residual\n');
    const alpha = mmfuse('claims', dir, '--alpha', '5');
    expect(alpha.code).toBe(2);
    expect(alpha.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--alpha.*expected a number between 0 and 1, got "5"/)]);
    const missing = mmfuse('claims', join(dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: ${join(dir, 'nope')}: no such run folder\n`);
  }, 20000);
});
