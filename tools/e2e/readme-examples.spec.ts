import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { transformSync } from '@swc/core';
import { startTestRedis, TestRedis } from '@mmfuse/testing';

/**
 * Every TypeScript or JavaScript example in a package's README runs, as written, against the built
 * packages: so an example cannot rot. Each runs in its own Node process, top-level `await`
 * allowed, and must exit 0.
 */
const ROOT = join(__dirname, '..', '..');
const FENCE = /^```(ts|js)\n([\s\S]*?)^```$/gm;

interface Example {
  readme: string;
  index: number;
  language: 'ts' | 'js';
  code: string;
}

function examples(): Example[] {
  const readmes = ['packages', 'plugins'].flatMap((group) =>
    readdirSync(join(ROOT, group))
      .map((name) => join(ROOT, group, name, 'README.md'))
      .filter((file) => existsSync(file)),
  );
  return readmes.flatMap((readme) => [...readFileSync(readme, 'utf8').matchAll(FENCE)].map((m, index) => ({ readme: relative(ROOT, readme), index, language: m[1] as 'ts' | 'js', code: m[2] })));
}

/** The example as CommonJS inside an async function, so top-level await works as in an ES module. */
function runnable(example: Example): string {
  const { code } = transformSync(example.code, {
    filename: `example.${example.language}`,
    jsc: { target: 'es2022', parser: example.language === 'ts' ? { syntax: 'typescript', decorators: true } : { syntax: 'ecmascript' }, transform: { legacyDecorator: true, decoratorMetadata: true } },
    module: { type: 'commonjs' },
  });
  return `(async () => {\n${code}\n})().catch((error) => { console.error(error); process.exit(1); });\n`;
}

const all = examples();
// Examples run in a scratch folder (what they write stays out of the repository) that sees the
// repository's docs/, where the report example finds a run folder.
const scratch = mkdtempSync(join(tmpdir(), 'mmfuse-readme-examples-'));
symlinkSync(join(ROOT, 'docs'), join(scratch, 'docs'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// The queue's example needs a Redis server: the one CI starts, else a private one.
let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startTestRedis();
}, 30000);
afterAll(() => redis?.stop());

describe('README examples', () => {
  it('finds the examples of the packages that have them', () => {
    const readmes = new Set(all.map((e) => e.readme));
    for (const readme of ['packages/core/README.md', 'packages/config/README.md', 'packages/model/README.md', 'packages/runs/README.md', 'packages/failures/README.md', 'packages/queue/README.md', 'packages/data-files/README.md', 'packages/data-mujoco/README.md', 'packages/data-robomnist/README.md', 'packages/trainer/README.md', 'plugins/fusion-sum/README.md', 'plugins/fusion-concat/README.md']) expect(readmes).toContain(readme);
  });

  it.each(all.map((e) => [`${e.readme} #${e.index + 1}`, e] as const))('%s runs as written', (_, example) => {
    // Next to the root's node_modules, so `require('@mmfuse/…')` finds the workspace's packages.
    const file = join(ROOT, 'tools', `.readme-example-${example.readme.replace(/[/.]/g, '-')}-${example.index}.js`);
    writeFileSync(file, runnable(example));
    try {
      const result = spawnSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8', timeout: 120000, env: { ...process.env, REDIS_URL: redis!.url } });
      // On failure the diff shows the first lines of what the example printed to stderr.
      expect({ code: result.status, stderr: result.stderr.split('\n').slice(0, 8).join('\n') }).toEqual({ code: 0, stderr: result.status === 0 ? expect.any(String) : '' });
    } finally {
      rmSync(file, { force: true });
    }
  }, 150000);
});
