import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..', '..', '..');

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' } });
  // Colours may still come through when the parent forces them; compare plain text.
  const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
  return { code: result.status, output: plain(`${result.stdout}\n${result.stderr}`) };
}

describe('nx g @mmfuse/tools:fusion-plugin', () => {
  // Generated inside the workspace (so it finds the built mmfuse packages), in an ignored folder.
  const scratch = mkdtempSync(join(ROOT, 'tmp-generator-'));
  const directory = relative(ROOT, join(scratch, 'fusion-weighted-mean'));

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('scaffolds a fusion plugin that builds and passes its own tests', () => {
    const nx = join(ROOT, 'node_modules', 'nx', 'bin', 'nx.js');
    const nxBin = existsSync(nx) ? nx : require.resolve('nx/bin/nx.js', { paths: [ROOT] });
    const generated = run(process.execPath, [nxBin, 'g', '@mmfuse/tools:fusion-plugin', 'weighted-mean', `--directory=${directory}`, '--no-interactive'], ROOT);
    expect(generated.output).toMatch(/CREATE .*fusion-weighted-mean\/src\/weighted-mean-fusion\.ts/);
    expect(generated.code).toBe(0);
    const dir = join(ROOT, directory);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'mmfuse-fusion-weighted-mean', mmfuse: { module: './dist/weighted-mean-fusion-module.js' } });
    const build = run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', 'tsconfig.lib.json'], dir);
    expect(build.output.trim()).toBe('');
    expect(build.code).toBe(0);
    const test = run(process.execPath, [require.resolve('jest/bin/jest', { paths: [ROOT] }), '--ci'], dir);
    expect(test.output).toMatch(/Tests:\s+4 passed, 4 total/);
    expect(test.code).toBe(0);
  }, 120000);

  it('refuses to overwrite an existing package', () => {
    const nxBin = require.resolve('nx/bin/nx.js', { paths: [ROOT] });
    const again = run(process.execPath, [nxBin, 'g', '@mmfuse/tools:fusion-plugin', 'sum', '--directory=plugins/fusion-sum', '--no-interactive'], ROOT);
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/plugins\/fusion-sum already holds a package/);
  }, 60000);
});
