#!/usr/bin/env node
// A markdown table of a finished sweep folder, one row per point, for docs/results/reproduction.md:
// final test loss (mean ± std over trials); final spectral estimates (mean over trials) of the fusion
// and of each encoder and decoder; the whole model's as median [min, max] over trials, because a
// collapsed model (a constant map) sits at ~0 while the others do not; the parameter norms of the
// fusion and the model (mean over trials); and how many trials did not finish.
//   node tools/sweep-summary.mjs <sweep folder> [set-up]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [folder, wanted] = process.argv.slice(2);
if (!folder) {
  console.error('usage: node tools/sweep-summary.mjs <sweep folder> [set-up]');
  process.exit(2);
}
const read = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`error: ${file}: ${error.code === 'ENOENT' ? 'missing' : error.message}`);
    process.exit(2);
  }
};
const sweep = read(join(folder, 'sweep.json'));
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v) => (v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)) : 0);
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (x === undefined || Number.isNaN(x) ? '–' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(0) : String(Number(x.toPrecision(3))));

let header;
for (const point of sweep.points) {
  const dir = join(folder, point.runDir);
  const summary = read(join(dir, 'summary.json'));
  const setup = wanted ?? Object.keys(summary.setups)[0];
  const total = summary.setups[setup]?.final?.test?.total?.values ?? [];
  // Each trial's last spectral estimate per sub-model.
  const last = new Map();
  const lipschitz = join(dir, 'lipschitz.jsonl');
  for (const line of existsSync(lipschitz) ? readFileSync(lipschitz, 'utf8').split('\n') : []) {
    if (!line.trim()) continue;
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    if (row.setup !== setup || row.estimator !== 'jacobian-spectral' || typeof row.value !== 'number') continue;
    const key = `${row.subModel}\u0000${row.trial}`;
    if (!last.has(key) || last.get(key).epoch <= row.epoch) last.set(key, row);
  }
  const bySubModel = new Map();
  for (const row of last.values()) bySubModel.set(row.subModel, [...(bySubModel.get(row.subModel) ?? []), row.value]);
  const subModels = [...bySubModel.keys()].filter((n) => n !== 'model').sort();
  const outcomes = readdirSync(join(dir, 'trials')).filter((n) => n.startsWith(`${setup}.trial`)).map((n) => read(join(dir, 'trials', n)));
  const done = outcomes.filter((o) => o.status === 'done');
  const norm = (name) => fmt(mean(done.map((o) => o.parameterNorms?.[name]).filter((v) => typeof v === 'number')));
  if (!header) {
    header = ['point', 'test total', ...subModels.map((n) => `${n} ‖J‖₂`), 'model ‖J‖₂, median [min, max]', 'fusion ‖θ‖', 'model ‖θ‖', 'not finished'];
    console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
  }
  const model = bySubModel.get('model') ?? [];
  const label = Object.entries(point.assignments).map(([path, value]) => `${path.split('.').pop()} = ${value}`).join(', ');
  const cells = [
    label,
    total.length ? `${fmt(mean(total))} ± ${fmt(std(total))}` : '–',
    ...subModels.map((n) => fmt(mean(bySubModel.get(n)))),
    model.length ? `${fmt(median(model))} [${fmt(Math.min(...model))}, ${fmt(Math.max(...model))}]` : '–',
    norm('fusion'),
    norm('model'),
    String(outcomes.length - done.length),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
