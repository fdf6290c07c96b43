#!/usr/bin/env node
// `npm run bench:kernels`: GFLOP/s of every convolution kernel of the benchmark workloads' image
// encoders (5×5, stride 2, padding 1, as ../shared/bench/README.md defines them; the decoders run
// the same three kernels with the roles swapped) on the wasm backend, one thread, beside PyTorch on
// one thread for the same shapes (its backward: both gradients, the first layer's weights only), and
// a large matrix product on both: the most each side's kernels reach on this CPU. It shows where a
// training step's time goes against what the hardware allows. Last, one Adam update of tiny-64's
// variables with mmfuse's optimiser and with tfjs's.
//
//   npm run bench:kernels
//   npm run bench:kernels -- --workload tiny-64 --reps 20 --json
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, parseOptions, torchEnv } from './cli-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const tf = require('@tensorflow/tfjs-core');
const { convGemmVariant, initBackend, simdPeakGflops, stockWasmKernel, tileLoopGflops } = require('@mmfuse/backend');
const { createAdam } = require('@mmfuse/trainer');

/** The encoders of ../shared/bench/README.md: batch, image size and channels. */
const WORKLOADS = {
  'tiny-64': { batch: 16, size: 64, channels: [3, 16, 32, 32, 32] },
  'paper-128': { batch: 32, size: 128, channels: [3, 64, 64, 32, 32, 32] },
};
const USAGE = 'usage: npm run bench:kernels -- [--workload tiny-64,paper-128] [--reps n] [--torch /usr/bin/python3] [--no-torch] [--json]';

const args = parseOptions(
  {
    workload: { type: 'string', default: 'tiny-64,paper-128' },
    reps: { type: 'string', default: '10' },
    torch: { type: 'string', default: '/usr/bin/python3' },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  USAGE,
);
const reps = Number(args.reps);
if (!Number.isInteger(reps) || reps < 3) fail(`--reps: expected an integer ≥ 3, got "${args.reps}"`);
const workloads = args.workload.split(',');
for (const w of workloads) if (!WORKLOADS[w]) fail(`--workload: expected one of ${Object.keys(WORKLOADS).join(', ')}, got "${w}"`);

/** Every encoder layer: batch, input size, output size, input and output channels. */
function layers() {
  return workloads.flatMap((workload) => {
    const { batch, size, channels } = WORKLOADS[workload];
    let h = size;
    return channels.slice(1).map((co, i) => {
      const oh = Math.floor((h + 2 - 5) / 2) + 1;
      const layer = { workload, layer: i, batch, h, oh, ci: channels[i], co };
      h = oh;
      return layer;
    });
  });
}

const median = (times) => [...times].sort((a, b) => a - b)[times.length >> 1];

/**
 * Median milliseconds of `run` (which returns tensors to free) after two warm-up calls. wasm
 * kernels compute before `runKernel` returns, so nothing is read back: a read would copy the
 * output out of the heap (32 MB for paper-128's first layer) inside the timing.
 */
function time(run) {
  const times = [];
  for (let r = 0; r < reps + 2; r++) {
    const started = performance.now();
    const out = run();
    times.push(performance.now() - started);
    tf.dispose(out);
  }
  return median(times.slice(2));
}

function wasmRows() {
  const pad = [[0, 0], [1, 1], [1, 1], [0, 0]];
  const common = { strides: [2, 2], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  // V8 first runs wasm functions in its baseline compiler and swaps in optimised code only between
  // calls, once they have run a while: many small calls first, so that no row times the baseline.
  const [wx, wf, wdy] = [tf.randomUniform([2, 9, 9, 8]), tf.randomNormal([5, 5, 8, 16]), tf.randomNormal([2, 4, 4, 16])];
  for (let i = 0; i < 200; i++) {
    tf.dispose([
      tf.engine().runKernel('Conv2D', { x: wx, filter: wf }, { ...common, dilations: [1, 1] }),
      tf.engine().runKernel('Conv2DBackpropInput', { dy: wdy, filter: wf }, { ...common, inputShape: wx.shape }),
      tf.engine().runKernel('Conv2DBackpropFilter', { x: wx, dy: wdy }, { ...common, filterShape: wf.shape }),
    ]);
  }
  tf.dispose([wx, wf, wdy]);
  return layers().map((l) => {
    const x = tf.randomUniform([l.batch, l.h, l.h, l.ci]);
    const filter = tf.randomNormal([5, 5, l.ci, l.co]);
    const dy = tf.randomNormal([l.batch, l.oh, l.oh, l.co]);
    const row = {
      ...l,
      conv2d: time(() => tf.engine().runKernel('Conv2D', { x, filter }, { ...common, dilations: [1, 1] })),
      // As in training, the first layer's input needs no gradient.
      backpropInput: l.layer === 0 ? 0 : time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape })),
      backpropFilter: time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: filter.shape })),
    };
    tf.dispose([x, filter, dy]);
    return row;
  });
}

/** An n³ product in XNNPACK (the stock BatchMatMul mmfuse's replaced; its weights packed once, cached). */
function wasmMatMul(n) {
  const a = tf.randomNormal([1, n, n]);
  const b = tf.randomNormal([1, n, n]);
  const stock = stockWasmKernel('BatchMatMul');
  // A raw kernel's output is freed in the backend (inside the timing: microseconds against tens of ms).
  const ms = time(() => {
    tf.backend().disposeData(stock.kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA: false, transposeB: false } }).dataId);
    return [];
  });
  tf.dispose([a, b]);
  return ms;
}

/**
 * A dense layer's product y = x·W of tiny-64's shapes, median ms: mmfuse's BatchMatMul with a new W
 * each call (as in training, where every step's Adam update makes new weights), XNNPACK's (the stock
 * kernel mmfuse replaced) the same way, and XNNPACK's with one W throughout (its operator, weights
 * packed, cached). Making each new W (a copy) is outside the timing.
 */
function denseProducts() {
  const stock = stockWasmKernel('BatchMatMul');
  const backend = tf.backend();
  const timeWith = (product, fresh) => {
    const times = [];
    for (let r = 0; r < Math.max(reps, 50) + 5; r++) {
      const w = fresh.w();
      const started = performance.now();
      const out = product(fresh.x, w);
      times.push(performance.now() - started);
      backend.disposeData(out.dataId);
      if (w !== fresh.kept) w.dispose();
    }
    return median(times.slice(5));
  };
  const mmfuse = (x, w) => tf.engine().runKernel('BatchMatMul', { a: x, b: w }, { transposeA: false, transposeB: false });
  const xnnpack = (x, w) => stock.kernelFunc({ inputs: { a: x, b: w }, backend, attrs: { transposeA: false, transposeB: false } });
  return [[16, 576, 288], [16, 256, 256], [16, 128, 128]].map(([m, k, n]) => {
    const x = tf.randomNormal([1, m, k]);
    const kept = tf.randomNormal([1, k, n]);
    const fresh = { x, kept, w: () => tf.add(kept, 0) };
    const cached = { x, kept, w: () => kept };
    const row = { shape: `${m} × ${k} × ${n}`, mmfuse: timeWith(mmfuse, fresh), xnnpackNew: timeWith(xnnpack, fresh), xnnpackCached: timeWith(xnnpack, cached) };
    tf.dispose([x, kept]);
    return row;
  });
}

/** The same n³ product as a 1×1 convolution of n pixels: mmfuse's GEMM module instead of XNNPACK. */
function wasmGemmConv(n) {
  const x = tf.randomNormal([1, n, 1, n]);
  const filter = tf.randomNormal([1, 1, n, n]);
  const ms = time(() => tf.engine().runKernel('Conv2D', { x, filter }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined }));
  tf.dispose([x, filter]);
  return ms;
}

/** The same shapes through PyTorch on one thread: forward, and the backward's two products together. */
function torchRows(rows, n) {
  const script = `
import json, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
reps, rows, n = ${reps}, json.loads(sys.argv[1]), ${n}
def med(f):
    ts = []
    for r in range(reps + 2):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    ts = sorted(ts[2:]); return ts[len(ts) // 2]
out = []
for l in rows:
    # As in training, the first layer's input needs no gradient.
    x = torch.rand(l['batch'], l['ci'], l['h'], l['h'], requires_grad=l['layer'] > 0)
    w = torch.randn(l['co'], l['ci'], 5, 5, requires_grad=True)
    dy = torch.randn(l['batch'], l['co'], l['oh'], l['oh'])
    fwd = med(lambda: F.conv2d(x, w, stride=2, padding=1))
    def both():
        y = F.conv2d(x, w, stride=2, padding=1)
        y.backward(dy)
    total = med(both)
    out.append({'conv2d': fwd, 'backward': max(total - fwd, 0.0)})
a, b = torch.randn(n, n), torch.randn(n, n)
print(json.dumps({'torch': torch.__version__, 'rows': out, 'matmul': med(lambda: a @ b)}))
`;
  const result = spawnSync(args.torch, ['-c', script, JSON.stringify(rows)], { encoding: 'utf8', timeout: 600000, env: torchEnv(1) });
  if (result.status !== 0) return { error: (result.stderr || result.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(result.stdout);
}

const gflops = (flops, ms) => +(flops / ms / 1e6).toFixed(1);

/**
 * One Adam update of a model's variables (tiny-64's: its convolution filters, MLP and projection
 * matrices and their biases, about 0.7 million parameters), mmfuse's optimiser against
 * tfjs's own (eleven element-wise kernels per variable): ms per update, median of 15 × 10,
 * alternated.
 */
function adamTiming() {
  const conv = [[5, 5, 3, 16], [5, 5, 16, 32], [5, 5, 32, 32], [5, 5, 32, 32]];
  const mlp = [[112, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 288]];
  const matrices = [...conv, [288, 288], ...mlp, [288, 288], ...conv.map((s) => [...s]).reverse(), ...mlp.map(([a, b]) => [b, a]).reverse()];
  const shapes = matrices.flatMap((shape) => [shape, [shape.at(-1)]]);
  const variables = shapes.map((shape, i) => tf.variable(tf.randomNormal(shape), true, `bench-adam-${i}`));
  const gradients = Object.fromEntries(variables.map((v) => [v.name, tf.randomNormal(v.shape, 0, 1e-2)]));
  const optimisers = { mmfuse: createAdam(1e-3), tfjs: tf.train.adam(1e-3, 0.9, 0.999, 1e-8) };
  const times = { mmfuse: [], tfjs: [] };
  for (const o of Object.values(optimisers)) for (let i = 0; i < 20; i++) o.applyGradients(gradients);
  for (let round = 0; round < 15; round++) {
    for (const [name, o] of Object.entries(optimisers)) {
      const started = performance.now();
      for (let i = 0; i < 10; i++) o.applyGradients(gradients);
      times[name].push((performance.now() - started) / 10);
    }
  }
  const parameters = variables.reduce((n, v) => n + v.size, 0);
  Object.values(optimisers).forEach((o) => o.dispose());
  tf.dispose([...variables, ...Object.values(gradients)]);
  return { parameters, variables: shapes.length, mmfuse: +median(times.mmfuse).toFixed(2), tfjs: +median(times.tfjs).toFixed(2) };
}

await initBackend('wasm');
const N = 1024;
const rows = wasmRows();
const matmul = wasmMatMul(N);
const dense = denseProducts();
const gemmConv = wasmGemmConv(N);
// Register-only multiply-adds in both builds of the module: what any kernel of each could reach.
const simdPeak = { simd128: simdPeakGflops(tf.backend(), 'simd128'), relaxedSimd: simdPeakGflops(tf.backend(), 'relaxed-simd'), running: convGemmVariant() };
// The GEMM tile's inner loop alone, operands in L1: the most the convolutions of the running build reach.
simdPeak.tileLoop = tileLoopGflops(tf.backend(), simdPeak.running);
const adam = adamTiming();
const torch = args['no-torch'] ? { error: 'not asked for' } : torchRows(rows, N);
const table = rows.map((r, i) => {
  // One product of the layer: 2·B·OH·OW·Co·25·Ci; each of the three kernels does that many.
  const flops = 2 * r.batch * r.oh * r.oh * r.co * 25 * r.ci;
  const t = torch.rows?.[i];
  return {
    layer: `${r.workload} conv${r.layer} ${r.ci}→${r.co} ${r.h}→${r.oh}`,
    mflop: +(flops / 1e6).toFixed(1),
    wasm: { conv2d: gflops(flops, r.conv2d), backpropInput: r.layer === 0 ? '–' : gflops(flops, r.backpropInput), backpropFilter: gflops(flops, r.backpropFilter), ms: +(r.conv2d + r.backpropInput + r.backpropFilter).toFixed(2) },
    // The first layer's backward (weights only) can be within noise of nothing: no rate then.
    torch: t ? { conv2d: gflops(flops, t.conv2d), backward: t.backward > 0 ? gflops((r.layer === 0 ? 1 : 2) * flops, t.backward) : '–', ms: +(t.conv2d + t.backward).toFixed(2) } : undefined,
  };
});
const peak = { n: N, wasm: gflops(2 * N ** 3, matmul), gemmConv: gflops(2 * N ** 3, gemmConv), torch: torch.matmul ? gflops(2 * N ** 3, torch.matmul) : undefined };
const fixed = (v) => (v === undefined ? '–' : v.toFixed(1));

if (args.json) {
  process.stdout.write(`${JSON.stringify({ table, matmul: peak, dense, simdPeak, adam, torch: torch.torch ?? torch.error })}\n`);
} else {
  const cpu = require('node:os').cpus();
  const lines = [
    `GFLOP/s per kernel, one thread, median of ${reps}; ${cpu.length} × ${cpu[0].model.trim()}, Node ${process.version}, PyTorch ${torch.torch ?? `not timed (${torch.error})`}`,
    '',
    '| layer | MFLOP per kernel | wasm Conv2D | wasm BackpropInput | wasm BackpropFilter | wasm ms | PyTorch forward | PyTorch backward | PyTorch ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table.map((r) => `| ${r.layer} | ${r.mflop} | ${r.wasm.conv2d} | ${r.wasm.backpropInput} | ${r.wasm.backpropFilter} | ${r.wasm.ms} | ${r.torch?.conv2d ?? '–'} | ${r.torch?.backward ?? '–'} | ${r.torch?.ms ?? '–'} |`),
    `| ${N}³ matrix product | ${(2 * N ** 3 / 1e6).toFixed(0)} | ${peak.wasm} (BatchMatMul, XNNPACK); ${peak.gemmConv} (mmfuse's GEMM) | | | | ${peak.torch ?? '–'} (torch.mm) | | |`,
    '',
    'A dense layer\'s product x·W (tiny-64\'s shapes), ms, median of at least 50: mmfuse\'s BatchMatMul and XNNPACK\'s (the stock kernel) with a new W each call, as in training, and XNNPACK\'s with one W throughout (its operator cached, weights packed once).',
    '',
    '| x × W | mmfuse, new W | XNNPACK, new W | XNNPACK, same W |',
    '| --- | ---: | ---: | ---: |',
    ...dense.map((d) => `| ${d.shape} | ${d.mmfuse.toFixed(3)} | ${d.xnnpackNew.toFixed(3)} | ${d.xnnpackCached.toFixed(3)} |`),
    '',
    `WebAssembly SIMD peak (register-only multiply-adds, 4 lanes): ${fixed(simdPeak.simd128)} GFLOP/s as multiply then add, ${fixed(simdPeak.relaxedSimd)} fused (relaxed SIMD); convolutions run the ${simdPeak.running} build, whose 4 × 8 GEMM tile loop alone (operands in L1) runs at ${fixed(simdPeak.tileLoop)}.`,
    '',
    `Adam, one update of ${adam.parameters.toLocaleString('en')} parameters in ${adam.variables} variables (tiny-64's shapes): ${adam.mmfuse} ms with mmfuse's optimiser (one kernel per variable, SIMD in the module), ${adam.tfjs} ms with tfjs's (eleven per variable); median of 15 × 10 updates.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
