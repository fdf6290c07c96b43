import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');
const THIRD_PARTY = 'plugins/fusion-gated';
/** Every published workspace package (private ones, like the test helpers, are never installed). */
const PACKAGES = ['packages', 'plugins']
  .flatMap((group) => readdirSync(join(ROOT, group)).map((name) => `${group}/${name}`))
  .filter((dir) => dir !== THIRD_PARTY && existsSync(join(ROOT, dir, 'package.json')) && !JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).private);

function sh(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Publishing path of a third-party fusion: pack it like any npm package, install the tarball into a
 * project outside the workspace next to the packed mmfuse packages, and run a config that lists it
 * in "plugins" through the installed CLI.
 */
describe('a fusion plugin installed from its npm tarball', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mmfuse-plugin-install-'));
  const project = join(tmp, 'project');
  const cli = join(project, 'node_modules', '@mmfuse', 'cli', 'bin', 'mmfuse.js');

  beforeAll(() => {
    const tarballs = join(tmp, 'tarballs');
    mkdirSync(tarballs);
    mkdirSync(project);
    const packed = sh('npm', ['pack', ...[...PACKAGES, THIRD_PARTY].map((p) => join(ROOT, p)), '--pack-destination', tarballs, '--silent'], ROOT);
    if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const dependencies: Record<string, string> = {};
    for (const file of readdirSync(tarballs)) {
      const name = file.startsWith('mmfuse-') && !file.startsWith('mmfuse-fusion-gated') ? `@mmfuse/${file.replace(/^mmfuse-/, '').replace(/-0\.1\.0\.tgz$/, '')}` : file.replace(/-0\.1\.0\.tgz$/, '');
      dependencies[name] = `file:../tarballs/${file}`;
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'lab', version: '1.0.0', private: true, dependencies }, null, 2));
    // Registry packages come from the local npm cache when it has them; native TensorFlow is optional.
    const installed = sh('npm', ['install', '--prefer-offline', '--omit=optional', '--no-package-lock', '--loglevel=error'], project);
    if (installed.code !== 0) throw new Error(`npm install failed: ${installed.stderr}`);
  }, 300000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const config = (fusions: unknown[], plugins: string[] = ['mmfuse-fusion-gated']) => ({
    name: 'with-gated',
    plugins,
    data: { type: 'synthetic-arm', episodes: 4, framesPerEpisode: 10, imageSize: 16, window: 4, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'conv2d', channels: [4, 4] }, decoder: { type: 'conv2d-transpose' } },
      { name: 'joints', encoder: { type: 'mlp', units: [8], latentSize: 36 }, decoder: { type: 'mlp' } },
    ],
    fusions,
    training: { epochs: 1, batchSize: 8, trials: 1 },
  });

  it('runs a config that lists it, next to the built-in fusions', () => {
    writeFileSync(join(project, 'gated.json'), JSON.stringify(config([{ type: 'gated', size: 12 }, { type: 'sum' }])));
    const run = sh(process.execPath, [cli, 'run', 'gated.json', '--out', 'runs', '-q'], project);
    // Even with -q, the one line that says which plugin code runs.
    expect(run.stderr).toBe(`plugin: mmfuse-fusion-gated 0.1.0 from ${join(realpathSync(project), 'node_modules', 'mmfuse-fusion-gated')} (listed in the config; plugins are code and run with your rights)\n`);
    expect(run.code).toBe(0);
    const [folder] = readdirSync(join(project, 'runs'));
    const summary = JSON.parse(readFileSync(join(project, 'runs', folder, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.setups)).toEqual(['gated', 'sum']);
    expect(summary.setups.gated.fusion).toEqual({ type: 'gated', size: 12 });
  }, 120000);

  it('checks its options with its own schema', () => {
    writeFileSync(join(project, 'bad.json'), JSON.stringify(config([{ type: 'gated', size: 'big' }])));
    const run = sh(process.execPath, [cli, 'validate', 'bad.json'], project);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: bad.json: fusions[0].size: expected integer, got string "big"');
  }, 60000);

  it('is not loaded unless the config lists it', () => {
    writeFileSync(join(project, 'unlisted.json'), JSON.stringify(config([{ type: 'gated' }], [])));
    const run = sh(process.execPath, [cli, 'validate', 'unlisted.json'], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/fusions\[0\]\.type: "gated" is not a registered fusion type\..*listing its package in "plugins"/);
  }, 60000);
});
