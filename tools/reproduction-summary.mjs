#!/usr/bin/env node
// Markdown tables of one or more finished run folders, for docs/results/reproduction.md: final test
// loss per set-up, final spectral Lipschitz estimates (whole model, fusion, encoders, decoders, and
// the product E·A·D that shows when one sub-model's constant moved because another rescaled), and
// failure detection from the latents (ROC-AUC, TPR, FPR), and the modality weights of the fusions
// that have them (clean, and with each modality dropped).
// The claims files of the folder (claims.json and claims-<set-up>.json, as `mmfuse claims` writes
// them, the latter from `--attention <set-up> --json`) become one table per file.
// With --compare a<b (repeatable), also a one-sided rank-sum permutation test of "a below b" on the
// final whole-model and fusion constants and on the test loss, with Cliff's δ (the Fig. 5 ablation).
//   node tools/reproduction-summary.mjs [--compare a<b …] <run folder> [<run folder> …]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { rankSumTest, cliffsDelta } = require('@mmfuse/analysis');

const args = process.argv.slice(2);
const comparisons = [];
const folders = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--compare') {
    const pair = (args[++i] ?? '').split('<');
    if (pair.length !== 2 || !pair[0] || !pair[1]) {
      console.error(`error: --compare: expected "a<b" with two set-up labels, got "${args[i] ?? ''}"`);
      process.exit(2);
    }
    comparisons.push(pair);
  } else folders.push(args[i]);
}
if (folders.length === 0) {
  console.error('usage: node tools/reproduction-summary.mjs [--compare a<b …] <run folder> [<run folder> …]');
  process.exit(2);
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v) => (v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)) : 0);
const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
const meanStd = (v) => (v.length === 0 ? '–' : `${fmt(mean(v))} ± ${fmt(std(v))}`);

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`error: ${file}: ${error.code === "ENOENT" ? "missing; expected a finished run folder" : error.message}`);
    process.exit(2);
  }
}

for (const dir of folders) {
  const summary = readJson(join(dir, 'summary.json'));
  const run = existsSync(join(dir, 'run.json')) ? readJson(join(dir, 'run.json')) : {};
  const setups = Object.keys(summary.setups ?? {});
  console.log(`### ${summary.name ?? dir}\n`);
  const seconds = summary.seconds ?? run.seconds;
  console.log(`${summary.trials} trials × ${setups.length} set-ups${seconds ? `, ${(seconds / 60).toFixed(1)} min` : ''}; backend ${summary.backend?.name ?? '?'}.\n`);

  // last spectral estimate of every trial and sub-model
  const last = new Map();
  const lipschitzFile = join(dir, 'lipschitz.jsonl');
  if (existsSync(lipschitzFile)) {
    for (const line of readFileSync(lipschitzFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let row;
      try {
        row = JSON.parse(line);
      } catch {
        continue; // a torn last line of an interrupted write
      }
      if (row.estimator !== 'jacobian-spectral' || typeof row.value !== 'number') continue;
      const key = `${row.setup}\u0000${row.trial}\u0000${row.subModel}`;
      const seen = last.get(key);
      if (!seen || seen.epoch <= row.epoch) last.set(key, row);
    }
  }
  const perTrial = (setup, pick) => {
    const byTrial = new Map();
    for (const row of last.values()) if (row.setup === setup && pick(row.subModel)) byTrial.set(row.trial, [...(byTrial.get(row.trial) ?? []), row.value]);
    return [...byTrial.values()].map(mean);
  };
  const maxPerTrial = (setup, pick) => {
    const byTrial = new Map();
    for (const row of last.values()) if (row.setup === setup && pick(row.subModel)) byTrial.set(row.trial, Math.max(byTrial.get(row.trial) ?? 0, row.value));
    return [...byTrial.entries()];
  };

  console.log('| set-up | test total | model ‖J‖₂ | fusion ‖J‖₂ | encoders ‖J‖₂ (mean) | decoders ‖J‖₂ (mean) | max E · A · max D |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const setup of setups) {
    const loss = summary.setups[setup].final?.test?.total?.values ?? [];
    const encoders = maxPerTrial(setup, (n) => n.startsWith('encoder:'));
    const decoders = new Map(maxPerTrial(setup, (n) => n.startsWith('decoder:')));
    const fusion = new Map(maxPerTrial(setup, (n) => n === 'fusion'));
    const chain = encoders.filter(([t]) => decoders.has(t) && fusion.has(t)).map(([t, e]) => e * fusion.get(t) * decoders.get(t));
    console.log(
      `| ${setup} | ${meanStd(loss)} | ${meanStd(perTrial(setup, (n) => n === 'model'))} | ${meanStd(perTrial(setup, (n) => n === 'fusion'))} | ${meanStd(perTrial(setup, (n) => n.startsWith('encoder:')))} | ${meanStd(perTrial(setup, (n) => n.startsWith('decoder:')))} | ${meanStd(chain)} |`,
    );
  }
  console.log('');

  if (comparisons.length > 0) {
    console.log('One-sided rank-sum permutation tests of "a < b" over trials (exact, mid-ranks), with Cliff\'s δ:\n');
    console.log('| a < b | test loss | model ‖J‖₂ | fusion ‖J‖₂ |');
    console.log('| --- | --- | --- | --- |');
    for (const [a, b] of comparisons) {
      for (const label of [a, b]) {
        if (!setups.includes(label)) {
          console.error(`error: --compare: "${label}" is not a set-up of ${dir} (${setups.join(', ')})`);
          process.exit(2);
        }
      }
      const cell = (x, y) => (x.length && y.length ? `p = ${rankSumTest(x, y).less.toPrecision(2)}, δ = ${cliffsDelta(x, y).toFixed(2)}` : '–');
      const lossOf = (label) => summary.setups[label].final?.test?.total?.values ?? [];
      const sub = (label, name) => perTrial(label, (n) => n === name);
      console.log(`| ${a} < ${b} | ${cell(lossOf(a), lossOf(b))} | ${cell(sub(a, 'model'), sub(b, 'model'))} | ${cell(sub(a, 'fusion'), sub(b, 'fusion'))} |`);
    }
    console.log('');
  }

  const detectionFile = join(dir, 'analysis', 'failure-detection.json');
  if (existsSync(detectionFile)) {
    const detection = readJson(detectionFile);
    console.log('Failure detection from the latents (kernel PCA + Mahalanobis, threshold at the 95th percentile of clean distances), mean over failures per trial, then mean ± std over trials:\n');
    console.log('| set-up | ROC-AUC | TPR | FPR |');
    console.log('| --- | --- | --- | --- |');
    for (const setup of setups) {
      const trials = detection.setups[setup]?.trials ?? [];
      const per = (key) => trials.map((t) => mean(t.results.map((r) => r[key])));
      console.log(`| ${setup} | ${meanStd(per('auc'))} | ${meanStd(per('tpr'))} | ${meanStd(per('fpr'))} |`);
    }
    console.log('');
  }

  const claimFiles = readdirSync(dir).filter((f) => /^claims(-.+)?\.json$/.test(f)).sort();
  for (const file of claimFiles) {
    const report = readJson(join(dir, file));
    console.log(`Claims with "${report.attention}" as attention (\`${file}\`; one-sided permutation tests at α = ${report.alpha}, effect a − b with 95 % bootstrap interval):\n`);
    console.log('| claim | comparison | a | b | p | effect [95 % CI] | verdict |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const claim of report.results) {
      if (claim.comparisons.length === 0) console.log(`| ${claim.id} | ${claim.reason} | | | | | **${claim.verdict}** |`);
      claim.comparisons.forEach((c, k) => {
        const effect = c.effects[0];
        const ci = effect ? `${effect.symbol} = ${fmt(effect.estimate)} [${fmt(effect.lower)}, ${fmt(effect.upper)}]` : '';
        console.log(`| ${k === 0 ? `${claim.id}: **${claim.verdict}**` : ''} | ${c.what} | ${fmt(c.a.mean)} | ${fmt(c.b.mean)} | ${c.p.toPrecision(2)} | ${ci} | ${c.verdict} |`);
      });
    }
    console.log('');
  }

  const robustnessFile = join(dir, 'analysis', 'robustness.json');
  if (!existsSync(robustnessFile)) continue;
  const robustness = readJson(robustnessFile);
  const modalities = summary.modalities ?? run.modalities ?? [];
  const weighted = setups.filter((s) => robustness.setups[s]?.trials?.some((t) => t.curves.some((c) => c.weights)));
  const modes = [];
  for (const t of robustness.setups[setups[0]]?.trials ?? []) for (const c of t.curves) if ((c.mode === 'clean' || c.mode === 'drop-zeros') && !modes.some((m) => m.perturbed === c.perturbed && m.mode === c.mode)) modes.push(c);
  console.log(`Test loss (total) with a modality lost, mean ± std over trials:\n`);
  console.log(`| set-up | ${modes.map((m) => (m.mode === 'clean' ? 'clean' : `${m.perturbed} dropped`)).join(' | ')} |`);
  console.log(`| --- | ${modes.map(() => '---').join(' | ')} |`);
  for (const setup of setups) {
    const cells = modes.map((m) => meanStd((robustness.setups[setup]?.trials ?? []).map((t) => t.curves.find((c) => c.perturbed === m.perturbed && c.mode === m.mode)?.loss?.total).filter((v) => typeof v === 'number')));
    console.log(`| ${setup} | ${cells.join(' | ')} |`);
  }
  console.log('');
  if (weighted.length === 0) continue;
  console.log(`Modality weights (${modalities.join(' / ')}), mean over test samples, then mean ± std over trials; "spread" is the mean over samples of the largest minus the smallest weight, "sample std" the standard deviation across samples:\n`);
  console.log(`| set-up | ${modes.map((m) => (m.mode === 'clean' ? 'clean' : `${m.perturbed} dropped`)).join(' | ')} | clean spread | clean sample std |`);
  console.log(`| --- | ${modes.map(() => '---').join(' | ')} | --- | --- |`);
  for (const setup of weighted) {
    const trials = robustness.setups[setup].trials;
    const at = (m) => trials.map((t) => t.curves.find((c) => c.perturbed === m.perturbed && c.mode === m.mode)?.weights).filter(Boolean);
    const cells = modes.map((m) => {
      const w = at(m);
      return w.length === 0 ? '–' : w[0].mean.map((_, k) => meanStd(w.map((x) => x.mean[k]))).join(' / ');
    });
    const clean = at({ perturbed: 'none', mode: 'clean' });
    console.log(`| ${setup} | ${cells.join(' | ')} | ${meanStd(clean.map((w) => w.spread))} | ${clean.length ? clean[0].std.map((_, k) => meanStd(clean.map((w) => w.std[k]))).join(' / ') : '–'} |`);
  }
  console.log('');
}
