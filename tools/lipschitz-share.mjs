#!/usr/bin/env node
// The share of each trial's time the Lipschitz tracker took, for experiment configs run as shipped
// (or with --trials / --epochs, passed on to `mmfuse run`): one markdown row per config (a sweep's
// points together) with the overall share (estimating seconds over trial seconds, all trials), the
// largest share of one trial, the mean trial length and the scheduled evaluations the budget skipped.
//   node tools/lipschitz-share.mjs [--trials n] [--epochs n] <config.json>...
// Run after `npm run build`; each config trains in a temporary folder, removed afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fail, integerOption } from './cli-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const usage = 'usage: node tools/lipschitz-share.mjs [--trials n] [--epochs n] <config.json>...';
let parsed;
try {
  parsed = parseArgs({ options: { trials: { type: 'string' }, epochs: { type: 'string' }, help: { type: 'boolean', default: false } }, allowPositionals: true });
} catch (error) {
  fail(`${error.message}\n${usage}`);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
if (parsed.positionals.length === 0) fail(`no config given\n${usage}`);
const trials = parsed.values.trials === undefined ? undefined : String(integerOption('trials', parsed.values.trials));
const epochs = parsed.values.epochs === undefined ? undefined : String(integerOption('epochs', parsed.values.epochs));
const configs = parsed.positionals;

const percent = (x) => `${(100 * x).toFixed(1)} %`;
/** A JSON file's content; undefined when it is missing (and `required`, said on stderr). */
const readJson = (file, required) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (required) process.stderr.write(`error: ${file}: ${error.code === 'ENOENT' ? 'missing' : error.message}\n`);
    return undefined;
  }
};
console.log('| config | trials × set-ups | mean trial s | estimating share | largest trial share | skipped |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
let failed = 0;
for (const config of configs) {
  const out = mkdtempSync(join(tmpdir(), 'mmfuse-share-'));
  try {
    const args = [join(root, 'packages/cli/bin/mmfuse.js'), 'run', config, '--no-report', '-q', '--out', out];
    if (trials) args.push('--trials', trials);
    if (epochs) args.push('--epochs', epochs);
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const runs = readdirSync(out);
    if (result.status !== 0 || runs.length !== 1) {
      console.log(`| ${relative(root, config)} | failed (exit ${result.status}) | | | | |`);
      failed++;
      continue;
    }
    // A sweep's folder holds one run folder per point (sweep.json lists them).
    const folder = join(out, runs[0]);
    const sweep = readJson(join(folder, 'sweep.json'), false);
    const summaries = (sweep ? sweep.points.map((p) => join(folder, p.runDir)) : [folder]).map((dir) => readJson(join(dir, 'summary.json'), true));
    if (summaries.some((s) => s === undefined)) {
      console.log(`| ${relative(root, config)} | no summary.json | | | | |`);
      failed++;
      continue;
    }
    const timings = summaries.map((s) => s.callbacks?.lipschitz?.data?.timing).filter(Boolean);
    if (timings.length === 0) {
      console.log(`| ${relative(root, config)} | no lipschitz callback | | | | |`);
      continue;
    }
    const setups = Object.keys(timings[0]).length;
    const rows = timings.flatMap((t) => Object.values(t).flat());
    const trialSeconds = rows.reduce((s, r) => s + r.trialSeconds, 0);
    const share = rows.reduce((s, r) => s + r.estimatingSeconds, 0) / trialSeconds;
    const largest = Math.max(...rows.map((r) => r.share));
    const skipped = rows.reduce((s, r) => s + (r.skipped ?? 0), 0);
    const points = sweep ? `${sweep.points.length} points × ` : '';
    console.log(`| ${relative(root, config)} | ${points}${rows.length / setups / timings.length} × ${setups} | ${(trialSeconds / rows.length).toFixed(1)} | ${percent(share)} | ${percent(largest)} | ${skipped} |`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
process.exitCode = failed > 0 ? 1 : 0;
