#!/usr/bin/env node
// `npm test`: every project's jest suite through Nx, then one workspace-wide line
// "N passed, N failed" summed from the per-project counts the jest reporter wrote.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectDirs = [
  ...['packages', 'plugins'].flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [])),
  join(root, 'tools'),
];
for (const dir of projectDirs) rmSync(join(dir, 'test-results'), { recursive: true, force: true });

const require = createRequire(import.meta.url);
const nxPackage = require.resolve('nx/package.json', { paths: [root] });
const nxBin = join(dirname(nxPackage), require(nxPackage).bin.nx);
const nx = spawnSync(
  process.execPath,
  [nxBin, 'run-many', '-t', 'test', '--output-style=stream', '--parallel=1', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { NX_DAEMON: 'false', ...process.env } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of projectDirs) {
  const file = join(dir, 'test-results', 'counts.json');
  if (!existsSync(join(dir, 'package.json'))) continue;
  if (!existsSync(file)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const counts = JSON.parse(readFileSync(file, 'utf8'));
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
}
if (missing.length > 0 && nx.status === 0 && process.argv.length <= 2) {
  console.error(`no test counts from: ${missing.join(', ')}`);
}
const failedAll = failed + (nx.status !== 0 && failed === 0 ? 1 : 0);
console.log(`\n${passed} passed, ${failedAll} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(nx.status === 0 && failedAll === 0 ? 0 : 1);
