#!/usr/bin/env node
// `npm start`'s build: every package's TypeScript transpiled to dist/ by swc, file by file, with
// the options the tests run under (decorator metadata for inversify), plus a package's own build
// step after tsc (the backend's gradient bundle). No type check and no declarations: that is
// `npm run build` (tsc through Nx), which `npm test`, the lint and CI run. A file whose output is
// newer than its source is left as it is, so a second start, or one after `npm run build`, costs
// almost nothing. About 4 s for the whole workspace on 2 cores, against about 60 s for tsc.
import { transformFileSync } from '@swc/core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// The workspace root: this file's parent, or the folder given (the tests build a copy).
const root = process.argv[2] ? resolve(process.argv[2]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const SWC = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'commonjs' },
  sourceMaps: true,
};

/** A tsconfig glob (`src/**\/*.spec.ts`, `src/testing/**`) as a regular expression on `/` paths. */
function globRegex(glob) {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) {
      pattern += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      pattern += '.*';
      i += 1;
    } else if (c === '*') pattern += '[^/]*';
    else pattern += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function writeAtomic(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Transpiles one package; returns how many files it wrote. */
function buildPackage(dir) {
  const config = JSON.parse(readFileSync(join(dir, 'tsconfig.lib.json'), 'utf8'));
  const { outDir = 'dist', rootDir = 'src' } = config.compilerOptions ?? {};
  const include = (config.include ?? ['src/**/*.ts']).map(globRegex);
  const exclude = (config.exclude ?? []).map(globRegex);
  const sources = walk(join(dir, rootDir))
    .map((file) => relative(dir, file).split(sep).join('/'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && include.some((r) => r.test(file)) && !exclude.some((r) => r.test(file)));
  let written = 0;
  for (const source of sources) {
    const output = join(dir, outDir, source.slice(rootDir.length + 1).replace(/\.ts$/, '.js'));
    if (existsSync(output) && statSync(output).mtimeMs >= statSync(join(dir, source)).mtimeMs) continue;
    const { code, map } = transformFileSync(join(dir, source), { ...SWC, filename: join(dir, source), sourceFileName: relative(dirname(output), join(dir, source)) });
    writeAtomic(`${output}.map`, map);
    writeAtomic(output, `${code}\n//# sourceMappingURL=${output.split(sep).pop()}.map\n`);
    written++;
  }
  // A step the package's build runs after tsc (e.g. `tsc -p tsconfig.lib.json && node scripts/x.mjs`).
  const build = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.build ?? '';
  const after = build.match(/^tsc -p tsconfig\.lib\.json && node (\S+\.mjs)$/);
  if (!after && build !== 'tsc -p tsconfig.lib.json') throw new Error(`${relative(root, dir)}: its build script "${build}" is not tsc alone or tsc && node <script>.mjs`);
  if (after && (written > 0 || !existsSync(join(dir, outDir, '.quick-build-step')))) {
    execFileSync(process.execPath, [after[1]], { cwd: dir, stdio: 'inherit' });
    writeAtomic(join(dir, outDir, '.quick-build-step'), `${after[1]}\n`);
  }
  return written;
}

const started = performance.now();
const packages = ['packages', 'plugins'].filter((group) => existsSync(join(root, group))).flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name))).filter((dir) => existsSync(join(dir, 'tsconfig.lib.json')));
let files = 0;
try {
  for (const dir of packages) files += buildPackage(dir);
} catch (error) {
  process.stderr.write(`quick build: ${error.message}\n`);
  process.exit(1);
}
if (files > 0) process.stderr.write(`transpiled ${files} file${files === 1 ? "" : "s"} of ${packages.length} packages with swc in ${((performance.now() - started) / 1000).toFixed(1)} s (no type check: npm run build does that)\n`);
