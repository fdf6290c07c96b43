import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'fs';
import { join } from 'path';

/**
 * `npm start`'s build (tools/quick-build.mjs) on a copy of two packages: it writes what tsc's
 * build exports, runs a package's step after tsc, leaves up-to-date files alone and refuses a build
 * script it cannot reproduce in one line. The copy lives inside the repository so that its
 * modules resolve the workspace's node_modules.
 */
const ROOT = join(__dirname, '..', '..');
const SCRATCH = join(ROOT, 'tools', 'test-results', `quick-build-${process.pid}`);
const quickBuild = () => spawnSync(process.execPath, [join(ROOT, 'tools', 'quick-build.mjs'), SCRATCH], { encoding: 'utf8', timeout: 120000 });

function copyPackage(name: string, extra: string[] = []): void {
  for (const part of ['src', 'package.json', 'tsconfig.lib.json', ...extra]) cpSync(join(ROOT, 'packages', name, part), join(SCRATCH, 'packages', name, part), { recursive: true });
}

describe('the quick build of npm start', () => {
  beforeAll(() => {
    rmSync(SCRATCH, { recursive: true, force: true });
    mkdirSync(SCRATCH, { recursive: true });
    copyPackage('core');
    copyPackage('backend', ['scripts']);
  });
  afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

  it('transpiles every package to what tsc builds, and runs the step after tsc', () => {
    const first = quickBuild();
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: expect.stringMatching(/^transpiled \d+ files of 2 packages with swc in [\d.]+ s/) as string });
    for (const name of ['core', 'backend']) {
      const quick = Object.keys(require(join(SCRATCH, 'packages', name, 'dist', 'index.js'))).sort();
      const tsc = Object.keys(require(join(ROOT, 'packages', name, 'dist', 'index.js'))).sort();
      // swc also re-exports type-only names (as undefined); every runtime export of tsc's is there.
      expect(tsc.filter((k) => !quick.includes(k))).toEqual([]);
    }
    expect(existsSync(join(SCRATCH, 'packages', 'backend', 'dist', 'tfjs-gradients.js'))).toBe(true);
    expect(existsSync(join(SCRATCH, 'packages', 'core', 'dist', 'index.js.map'))).toBe(true);
    // No spec file is built.
    expect(existsSync(join(SCRATCH, 'packages', 'backend', 'dist', 'select-backend.spec.js'))).toBe(false);
  });

  it('leaves up-to-date outputs alone and transpiles a changed source again', () => {
    expect(quickBuild()).toMatchObject({ status: 0, stderr: '' });
    const source = join(SCRATCH, 'packages', 'core', 'src', 'index.ts');
    const later = new Date(Date.now() + 5000);
    utimesSync(source, later, later);
    const again = quickBuild();
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^transpiled 1 file of 2 packages/);
  });

  it('refuses, in one line, a build script it cannot reproduce', () => {
    mkdirSync(join(SCRATCH, 'packages', 'odd', 'src'), { recursive: true });
    writeFileSync(join(SCRATCH, 'packages', 'odd', 'src', 'index.ts'), 'export const x = 1;\n');
    writeFileSync(join(SCRATCH, 'packages', 'odd', 'tsconfig.lib.json'), '{ "compilerOptions": { "outDir": "dist", "rootDir": "src" }, "include": ["src/**/*.ts"] }\n');
    writeFileSync(join(SCRATCH, 'packages', 'odd', 'package.json'), '{ "name": "odd", "scripts": { "build": "webpack" } }\n');
    const result = quickBuild();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: 'quick build: packages/odd: its build script "webpack" is not tsc alone or tsc && node <script>.mjs\n' });
    rmSync(join(SCRATCH, 'packages', 'odd'), { recursive: true, force: true });
  });
});
