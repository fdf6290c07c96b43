#!/usr/bin/env node
// `npm run bench:robomnist`: the RoboMNIST pipeline on a generated download in the
// published layout (H.264 clips from Debian's ffmpeg, CSI as complex() strings, manifest.csv).
// For each size it runs `mmfuse run` twice on one epoch of a small model, streaming windows from
// the decoded cache: first with the cache empty (every recording decoded), then again (read back).
// It prints, per run, the seconds spent preparing the data, decoded video frames per second and the
// peak resident memory of the whole process, so the cache speed-up and the memory growth with the
// dataset's size can be read off.
//
//   npm run bench:robomnist                                          12 and 60 recordings of 150 frames
//   npm run bench:robomnist -- --recordings 12,60 --frames 150 --size 128 --stream false --decode-workers 1 --json
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, integerOption, parseOptions } from './cli-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { writeRoboMnistSample } = require('@mmfuse/testing');
const { locateFfmpeg } = require('@mmfuse/data-robomnist');

const USAGE = 'usage: npm run bench:robomnist -- [--recordings 12,60] [--frames n] [--size px] [--stream true|false|auto] [--decode-workers n] [--json] [--keep]';
const args = parseOptions(
  {
    recordings: { type: 'string', default: '12,60' },
    frames: { type: 'string', default: '150' },
    size: { type: 'string', default: '128' },
    stream: { type: 'string', default: 'true' },
    'decode-workers': { type: 'string' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
  USAGE,
);
for (const name of ['frames', 'size']) integerOption(name, args[name]);
for (const count of args.recordings.split(',')) integerOption('recordings', count);
if (args['decode-workers'] !== undefined) integerOption('decode-workers', args['decode-workers']);
if (!['true', 'false', 'auto'].includes(args.stream)) fail(`--stream: expected true, false or auto, got "${args.stream}"`);

const ffmpeg = locateFfmpeg('ffmpeg');
const frames = Number(args.frames);
const imageSize = Number(args.size);
const window = 16;
const windowStep = 4;
const work = mkdtempSync(join(tmpdir(), 'mmfuse-bench-robomnist-'));
const bin = join(root, 'packages', 'cli', 'bin', 'mmfuse.js');

/** Runs the CLI in a node that reports its own peak RSS when it exits. */
function run(config, out) {
  const probe = `process.on('exit', () => process.stderr.write('\\nmaxrss-kb ' + process.resourceUsage().maxRSS + '\\n')); require(${JSON.stringify(bin)});`;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['-e', probe, 'mmfuse', 'run', config, '--out', out, '--quiet', '--no-report'], { encoding: 'utf8', env: { ...process.env, MMFUSE_CACHE_DIR: join(work, 'unused-cache') } });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`mmfuse run ${config} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const maxrss = Number(/maxrss-kb (\d+)/.exec(r.stderr)?.[1]);
  const folder = readdirSync(out).sort().pop();
  const record = JSON.parse(readFileSync(join(out, folder, 'run.json'), 'utf8'));
  rmSync(join(out, folder), { recursive: true, force: true });
  return { seconds, maxrssMB: maxrss / 1024, record };
}

const results = [];
for (const count of args.recordings.split(',').map(Number)) {
  const data = join(work, `robomnist-${count}`);
  const t0 = performance.now();
  writeRoboMnistSample(data, { recordings: count, frames, incomplete: 0, ffmpeg, cameras: 1, manifest: true });
  const generated = (performance.now() - t0) / 1000;
  const config = join(work, `run-${count}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      name: `bench-robomnist-${count}`,
      seed: 0,
      backend: 'wasm',
      data: { type: 'robomnist', directory: data, modalities: ['camera', 'kinematics', 'csi'], imageSize, window, windowStep, cacheDirectory: join(work, `cache-${count}`), stream: args.stream === 'auto' ? 'auto' : args.stream === 'true', ...(args['decode-workers'] ? { decodeWorkers: Number(args['decode-workers']) } : {}) },
      modalities: [
        { name: 'camera', encoder: { type: 'conv2d', channels: [8, 16], kernelSize: 5, stride: 4, padding: 2 }, decoder: { type: 'conv2d-transpose' } },
        { name: 'kinematics', encoder: { type: 'mlp', units: [32], latentSize: 16 }, decoder: { type: 'mlp' } },
        { name: 'csi', encoder: { type: 'mlp', units: [32], latentSize: 16 }, decoder: { type: 'mlp' } },
      ],
      fusions: [{ type: 'concat' }],
      training: { epochs: 1, batchSize: 64, trials: 1, workers: 1 },
    }),
  );
  const out = join(work, `runs-${count}`);
  for (const cache of ['cold', 'warm']) {
    const { seconds, maxrssMB, record } = run(config, out);
    const d = record.data.description;
    const samples = record.data.train + record.data.test;
    results.push({
      recordings: count,
      cache,
      streamed: d.streamed,
      samples,
      decoded: d.decoding.decoded,
      fromCache: d.decoding.fromCache,
      dataSeconds: Number(d.decoding.seconds.toFixed(2)),
      videoFramesPerSecond: Math.round(samples / d.decoding.seconds),
      runSeconds: Number(seconds.toFixed(1)),
      peakRssMB: Math.round(maxrssMB),
      generatedSeconds: Number(generated.toFixed(1)),
    });
    const r = results[results.length - 1];
    if (!args.json) console.log(`${String(count).padStart(4)} recordings, cache ${cache}: data ready in ${r.dataSeconds.toFixed(2)} s (${r.decoded} decoded, ${r.fromCache} from the cache; ${r.videoFramesPerSecond} video frames/s at ${imageSize} px), ${samples} windows ${r.streamed ? 'streamed' : 'in memory'}, run ${r.runSeconds} s, peak RSS ${r.peakRssMB} MB`);
  }
}
const at = (count, cache) => results.find((r) => r.recordings === count && r.cache === cache);
const counts = args.recordings.split(',').map(Number);
const summary = {
  cacheSpeedup: counts.map((c) => ({ recordings: c, coldOverWarm: Number((at(c, 'cold').dataSeconds / at(c, 'warm').dataSeconds).toFixed(1)) })),
  ...(counts.length > 1 && {
    peakRssGrowth: Object.fromEntries(['cold', 'warm'].map((cache) => [cache, Number((at(counts[counts.length - 1], cache).peakRssMB / at(counts[0], cache).peakRssMB - 1).toFixed(3))])),
  }),
};
if (args.json) console.log(JSON.stringify({ frames, imageSize, window, windowStep, results, summary }, null, 2));
else {
  for (const s of summary.cacheSpeedup) console.log(`${s.recordings} recordings: second load ${s.coldOverWarm}× faster than the first`);
  if (summary.peakRssGrowth) for (const [cache, growth] of Object.entries(summary.peakRssGrowth)) console.log(`peak RSS from ${counts[0]} to ${counts[counts.length - 1]} recordings (cache ${cache}): ${(100 * growth).toFixed(1)} % more`);
}
if (!args.keep) rmSync(work, { recursive: true, force: true });
