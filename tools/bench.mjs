#!/usr/bin/env node
// `npm run bench`: times one training step (forward, MSE on every modality, backward, Adam) of the
// workloads in ../shared/bench/README.md through mmfuse configs (configs/bench/<workload>.json) on
// every available backend, and the PyTorch reference on the same workloads in the same run, and
// prints ms/step and the ratio mmfuse ÷ PyTorch.
//
//   npm run bench                                   the table (tiny-64 and paper-128, every fusion)
//   npm run bench -- --workload paper-128 --fusion concat --backend wasm --workers 1 --json
//   npm run bench -- --workload tiny-64 --fusion sum --profile     adds a tf.profile kernel table
//   npm run bench -- --lipschitz --workload paper-128 --fusion concat  cost of the Lipschitz tracker's
//       default estimators on every sub-model (64 samples) next to one training epoch of 1,000 samples
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, parseOptions, torchEnv } from './cli-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const tf = require('@tensorflow/tfjs-core');
const { convolutionHelperStats, initBackend, setConvolutionThreads } = require('@mmfuse/backend');
const { createRng, normal } = require('@mmfuse/core');
const { loadExperiment } = require('@mmfuse/cli');
const { buildModel } = require('@mmfuse/model');
const { createAdam, DataParallelPool, decideWorkers, TrialTrainer } = require('@mmfuse/trainer');

const USAGE = `usage: npm run bench -- [--workload tiny-64,paper-128] [--fusion type] [--backend name] [--workers n]
                      [--steps n] [--json] [--profile] [--torch /usr/bin/python3] [--torch-threads 1,2] [--no-torch]
                      [--lipschitz] [--samples n]`;

const args = parseOptions(
  {
    workload: { type: 'string', default: 'tiny-64,paper-128' },
    fusion: { type: 'string' },
    backend: { type: 'string' },
    workers: { type: 'string' },
    steps: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    torch: { type: 'string', default: '/usr/bin/python3' },
    'torch-threads': { type: 'string', default: '1,2' },
    'no-torch': { type: 'boolean', default: false },
    lipschitz: { type: 'boolean', default: false },
    samples: { type: 'string', default: '64' },
  },
  USAGE,
);

const steps = Number(args.steps);
/** Least time spent in warm-up steps before timing a workload. */
const WARM_UP_MS = 1000;
if (!Number.isInteger(steps) || steps < 5) fail(`--steps: expected an integer ≥ 5, got "${args.steps}"`);
const workloads = args.workload.split(',');
const torchThreads = args['torch-threads'].split(',').map(Number);
if (torchThreads.some((t) => !Number.isInteger(t) || t < 1)) fail(`--torch-threads: expected thread counts like 1,2, got "${args['torch-threads']}"`);
for (const w of workloads) if (!existsSync(join(root, 'configs/bench', `${w}.json`))) fail(`--workload: no configs/bench/${w}.json`);

/** Which backends start here (auto's choice first); WebGPU on a software adapter only when asked for. */
async function availableBackends() {
  const found = [(await initBackend('auto')).name];
  for (const name of ['tensorflow', 'webgpu', 'wasm', 'cpu']) {
    // Starting Dawn on a software adapter is slow and noisy; auto already took a hardware one.
    if (found.includes(name) || (name === 'webgpu' && args.backend !== 'webgpu')) continue;
    try {
      await initBackend(name);
      found.push(name);
    } catch {
      // not available here
    }
  }
  return found;
}

function randomData(specs, batch, seed) {
  const rng = createRng(seed);
  const arrays = {};
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * batch;
    // Like the reference: images uniform in [0, 1], series standard normal.
    arrays[spec.name] = Float32Array.from({ length: size }, () => (spec.kind === 'image' ? rng() : normal(rng)));
  }
  return { modalities: specs, train: { size: batch, arrays }, test: { size: batch, arrays } };
}

async function timeMmfuse(workload, fusionType, backend, workers) {
  const experiment = loadExperiment(join(root, 'configs/bench', `${workload}.json`));
  const { config, registry, validator, plugins } = experiment;
  const fusion = config.fusions.find((f) => f.type === fusionType);
  if (!fusion) return undefined;
  await initBackend(backend);
  const specs = validator.declaredModalities(config);
  const batch = config.training.batchSize;
  const data = randomData(specs, batch, 1);
  const model = buildModel(registry, config, fusion, 'fusion', specs, 1);
  const variables = model.trainableVariables();
  const decision = decideWorkers(workers ?? config.training.workers, backend, batch, true);
  setConvolutionThreads(decision.convolutionThreads ?? 1);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const pool =
    decision.workers > 1
      ? await DataParallelPool.start(decision.workers - 1, { backend, pluginDirectories: plugins.map((p) => p.directory), config, fusion, regularizers: [], specs, seed: 1 }, model, batch, sizes, sizes.map(() => false))
      : undefined;
  const trainer = new TrialTrainer(model, data, config, [], 1, pool);
  // As in a run: a batch that does not fit the backend's memory is computed in micro-batches.
  trainer.microBatch = await trainer.planMicroBatch();
  if (trainer.microBatch.size < batch) process.stderr.write(`  ${workload} ${fusionType} ${backend}: ${trainer.microBatch.reason}\n`);
  // The trainer's optimiser (fused Adam on wasm).
  const optimizer = createAdam(config.training.learningRate);
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  const rng = createRng(2);
  try {
    // Warm-up: at least two steps (the first compiles and allocates, the second settles the heap)
    // and at least one second, since V8 compiles hot wasm and JavaScript to optimised code in the
    // background: tiny-64's first workload timed after two steps read 52–55 ms against 35 ms after
    // thirty. A training run's steady state is what a step costs; PyTorch needs no such warm-up.
    const warmUntil = performance.now() + WARM_UP_MS;
    for (let i = 0; i < 2 || performance.now() < warmUntil; i++) await trainer.step(optimizer, variables, order, 0, batch, rng);
    const times = [];
    const helperBefore = convolutionHelperStats();
    for (let i = 0; i < steps; i++) {
      const t = process.hrtime.bigint();
      await trainer.step(optimizer, variables, order, 0, batch, rng);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    // Per timed step: kernels split with the convolution helper, samples offered to and computed by
    // it, and the training thread's wait for it.
    const helperAfter = convolutionHelperStats();
    const helper =
      helperBefore && helperAfter
        ? Object.fromEntries(Object.keys(helperAfter).map((key) => [key, +((helperAfter[key] - helperBefore[key]) / steps).toFixed(2)]))
        : undefined;
    let profile;
    if (args.profile) {
      const info = await tf.profile(async () => trainer.step(optimizer, variables, order, 0, batch, rng));
      const byKernel = new Map();
      for (const k of info.kernels) {
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        entry.calls++;
        byKernel.set(k.name, entry);
      }
      profile = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
    }
    times.sort((a, b) => a - b);
    return { batch, microBatch: trainer.microBatch.size, workers: trainer.microBatch.size < batch ? 1 : decision.workers, convolutionThreads: decision.convolutionThreads ?? 1, median: times[Math.floor(times.length / 2)], min: times[0], helper, profile, parameters: variables.reduce((n, v) => n + v.size, 0) };
  } finally {
    optimizer.dispose();
    await pool?.close();
    model.dispose();
  }
}

const referenceScript = join(root, '..', 'shared', 'bench', 'torch_reference.py');
function torchAvailable() {
  if (args['no-torch'] || !existsSync(referenceScript) || !existsSync(args.torch)) return false;
  return spawnSync(args.torch, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** PyTorch's median ms per step at each thread count of --torch-threads (torch.set_num_threads and the BLAS's own threads alike). */
function timeTorch(workload, fusion) {
  const medians = {};
  for (const threads of torchThreads) {
    const run = spawnSync(args.torch, [referenceScript, '--workload', workload, '--fusion', fusion, '--threads', String(threads), '--steps', String(steps)], { encoding: 'utf8', env: torchEnv(threads) });
    if (run.status !== 0) return undefined;
    medians[threads] = JSON.parse(run.stdout.trim().split('\n').pop()).ms_per_step_median;
  }
  return medians;
}

/**
 * The Lipschitz tracker's default estimators on every sub-model and the whole model, at `samples`
 * training inputs, cold (first evaluation of a trial) and warm (later ones, reusing power-iteration
 * vectors), against the time of one epoch of 1,000 samples measured on the same model.
 */
async function lipschitzCost(workload, fusionType, backend, samples) {
  const { LipschitzTracker } = require('@mmfuse/lipschitz');
  const { config, registry, validator } = loadExperiment(join(root, 'configs/bench', `${workload}.json`));
  const fusion = config.fusions.find((f) => f.type === fusionType);
  await initBackend(backend);
  const specs = validator.declaredModalities(config);
  const step = await timeMmfuse(workload, fusionType, backend, 1);
  const epochSeconds = (step.median / 1000) * Math.ceil(1000 / step.batch);
  const model = buildModel(registry, config, fusion, 'fusion', specs, 1);
  const data = randomData(specs, samples, 3);
  const inputs = specs.map((s) => tf.tensor(data.train.arrays[s.name], [samples, ...s.shape]));
  const tracker = new LipschitzTracker({});
  const rounds = [];
  try {
    // Four warm evaluations: with `refreshEvery` > 1 they differ.
    for (const label of ['cold', 'warm', 'warm', 'warm', 'warm']) {
      const t = process.hrtime.bigint();
      const results = await tracker.evaluate(model, inputs, 7);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const perEstimator = {};
      for (const { result } of results) perEstimator[result.estimator] = +((perEstimator[result.estimator] ?? 0) + result.seconds).toFixed(3);
      rounds.push({ label, seconds: +seconds.toFixed(2), share: +(seconds / epochSeconds).toFixed(3), perEstimator });
    }
  } finally {
    tf.dispose(inputs);
    model.dispose();
  }
  const warm = rounds.filter((r) => r.label === 'warm');
  const warmMean = warm.reduce((sum, r) => sum + r.seconds, 0) / warm.length;
  return { workload, fusion: fusionType, backend, samples, epoch_seconds_1000_samples: +epochSeconds.toFixed(1), step_ms: step.median, rounds, warm_mean_seconds: +warmMean.toFixed(2), warm_mean_share: +(warmMean / epochSeconds).toFixed(3) };
}

if (args.lipschitz) {
  const backend = args.backend ?? 'wasm';
  for (const workload of workloads) {
    for (const fusion of (args.fusion ?? 'concat').split(',')) {
      const cost = await lipschitzCost(workload, fusion, backend, Number(args.samples));
      if (args.json) {
        process.stdout.write(`${JSON.stringify(cost)}\n`);
        continue;
      }
      process.stdout.write(`\nLipschitz tracking of every sub-model of ${workload} (${fusion}) on ${cost.samples} samples, ${backend}, one thread; one epoch of 1,000 samples = ${cost.epoch_seconds_1000_samples} s (${cost.step_ms} ms/step):\n\n| evaluation | seconds | share of an epoch | ${Object.keys(cost.rounds[0].perEstimator).join(' | ')} |\n| --- | ---: | ---: |${' ---: |'.repeat(Object.keys(cost.rounds[0].perEstimator).length)}\n`);
      for (const r of cost.rounds) process.stdout.write(`| ${r.label} | ${r.seconds} | ${(100 * r.share).toFixed(1)} % | ${Object.values(r.perEstimator).join(' | ')} |\n`);
      process.stdout.write(`| mean of the warm ones (each later epoch) | ${cost.warm_mean_seconds} | ${(100 * cost.warm_mean_share).toFixed(1)} % |\n`);
    }
  }
  process.exit(0);
}

/** Threads of a row: data-parallel threads, or "1 + 1" where one thread trains and convolutions split with a helper. */
function threadsCell(row) {
  return row.convolution_threads > 1 ? `1 + ${row.convolution_threads - 1}` : String(row.workers);
}

const registered = loadExperiment(join(root, 'configs/bench', `${workloads[0]}.json`)).registry.list('fusion').map((r) => r.type);
const fusions = (args.fusion ?? ['sum', 'concat', 'attention'].filter((f) => registered.includes(f)).join(',')).split(',');
for (const f of fusions) if (!registered.includes(f)) fail(`--fusion: "${f}" is not a registered fusion (registered: ${registered.join(', ')})`);
const backends = args.backend ? [args.backend] : await availableBackends();
if (args.backend && !(await availableBackends()).includes(args.backend)) fail(`--backend: "${args.backend}" cannot start here`);
const workerCounts = args.workers ? [Number(args.workers)] : undefined;
const withTorch = torchAvailable();

const rows = [];
for (const workload of workloads) {
  for (const fusion of fusions) {
    // PyTorch is timed just before and just after mmfuse, and the ratio taken against the mean of
    // both medians: on a shared host the machine's speed drifts over minutes, and bracketing
    // keeps the two sides of the ratio under the same conditions.
    const torchBefore = withTorch ? timeTorch(workload, fusion) : undefined;
    const mmfuseRows = [];
    for (const backend of backends) {
      // The pure-JS backend takes ~30 s per tiny-64 step (minutes for paper-128): time it on request.
      if (backend === 'cpu' && !args.backend) continue;
      // The table shows one thread and the default; --json times what a run would use unless told.
      const counts = workerCounts ?? (backend === 'tensorflow' || args.json ? ['auto'] : [1, 'auto']);
      for (const workers of counts) {
        const result = await timeMmfuse(workload, fusion, backend, workers === 'auto' ? undefined : workers);
        if (!result) continue;
        const row = {
          workload,
          fusion,
          backend,
          workers: result.workers,
          convolution_threads: result.convolutionThreads,
          micro_batch: result.microBatch,
          batch: result.batch,
          ms_per_step_median: +result.median.toFixed(1),
          ms_per_step_min: +result.min.toFixed(1),
          steps,
          ...(result.helper ? { convolution_helper_per_step: result.helper } : {}),
        };
        mmfuseRows.push(row);
        const h = result.helper;
        const helperNote = h ? ` (a step: ${h.programs} kernels split, ${h.samplesComputed} of ${h.samplesOffered} offered samples on the helper, ${h.waitMs} ms waiting for it)` : '';
        if (!args.json) process.stderr.write(`  ${workload} ${fusion} ${backend} ×${threadsCell(row)}: ${row.ms_per_step_median} ms/step${helperNote}\n`);
        if (result.profile) {
          process.stdout.write(`\ntf.profile, one step of ${workload} ${fusion} on ${backend} ×${result.workers} (main thread):\n| kernel | ms | calls |\n| --- | ---: | ---: |\n`);
          for (const [name, k] of result.profile.slice(0, 15)) process.stdout.write(`| ${name} | ${k.ms.toFixed(1)} | ${k.calls} |\n`);
        }
        // A repeated workers value (auto resolved to 1, convolutions on one thread) is timed once.
        const auto = decideWorkers('auto', backend, result.batch, true);
        if (workers === 1 && counts.length > 1 && auto.workers === 1 && !auto.convolutionThreads) break;
      }
    }
    const torchAfter = torchBefore ? timeTorch(workload, fusion) : undefined;
    // Per thread count, the mean of the medians before and after; the ratio is against the best.
    const torch = torchBefore && torchAfter ? Object.fromEntries(torchThreads.map((t) => [t, +((torchBefore[t] + torchAfter[t]) / 2).toFixed(2)])) : undefined;
    const best = torch ? Math.min(...Object.values(torch)) : undefined;
    for (const row of mmfuseRows) {
      const full = {
        ...row,
        torch_ms_per_step_median: torch,
        torch_ms_per_step_median_before: torchBefore,
        torch_ms_per_step_median_after: torchAfter,
        torch_best_ms_per_step: best,
        ratio: best === undefined ? undefined : +(row.ms_per_step_median / best).toFixed(2),
      };
      rows.push(full);
      if (args.json) process.stdout.write(`${JSON.stringify(full)}\n`);
    }
  }
}

if (!args.json) {
  const os = await import('node:os');
  process.stdout.write(`\nOne training step (forward, MSE, backward, Adam), median of ${steps} after warm-up steps for at least a second (at least two); ${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}${withTorch ? `; PyTorch timed before and after each workload and fusion at ${torchThreads.join(' and ')} thread(s), the ratio against its best` : '; PyTorch reference not available'}\n\n`);
  const torchHead = torchThreads.map((t) => `PyTorch ${t} thread${t === 1 ? '' : 's'}`);
  process.stdout.write(`| workload | fusion | backend | threads | batch | mmfuse ms/step | ${torchHead.join(' | ')} | ratio to PyTorch's best |\n| --- | --- | --- | ---: | ---: | ---: |${' ---: |'.repeat(torchThreads.length)} ---: |\n`);
  for (const r of rows) {
    const torchCells = torchThreads.map((t) => r.torch_ms_per_step_median?.[t] ?? '–');
    process.stdout.write(`| ${r.workload} | ${r.fusion} | ${r.backend} | ${threadsCell(r)} | ${r.batch} | ${r.ms_per_step_median} | ${torchCells.join(' | ')} | ${r.ratio ?? '–'} |\n`);
  }
}
