#!/usr/bin/env node
// `npm run bench:data`: how long the MuJoCo scenes take to simulate and render a dataset from
// scratch (cache off): physics at 500 Hz, robot sensors (and the radio link) at the sensor rate and
// one camera frame per frame period.
//
//   npm run bench:data                                       2,000 frames at 128 × 128 per scene
//   npm run bench:data -- --scene welding-dual --frames 500 --size 64 --radio --json
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, integerOption, parseOptions } from './cli-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { SCENES, SceneSource, sceneSchema } = require('@mmfuse/data-mujoco');

const USAGE = 'usage: npm run bench:data -- [--scene a,b] [--frames n] [--size px] [--frames-per-episode n] [--radio] [--json]';
const args = parseOptions(
  {
    scene: { type: 'string', default: 'mujoco-pick-place,welding-single,welding-dual' },
    frames: { type: 'string', default: '2000' },
    size: { type: 'string', default: '128' },
    'frames-per-episode': { type: 'string', default: '50' },
    radio: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  USAGE,
);
for (const name of ['frames', 'size', 'frames-per-episode']) integerOption(name, args[name]);
const scenes = Object.keys(SCENES);
for (const scene of args.scene.split(',')) if (!scenes.includes(scene)) fail(`--scene: expected some of ${scenes.join(', ')}, got "${scene}"`);

const framesPerEpisode = Number(args['frames-per-episode']);
const episodes = Math.ceil(Number(args.frames) / framesPerEpisode);
const results = [];
for (const scene of args.scene.split(',')) {
  const defaults = Object.fromEntries(Object.entries(sceneSchema(scene).properties).filter(([, p]) => 'default' in p).map(([k, p]) => [k, p.default]));
  const options = { ...defaults, episodes, framesPerEpisode, imageSize: Number(args.size), radio: args.radio, cache: false };
  const started = performance.now();
  const data = await new SceneSource(scene, options, 1, root).load();
  const seconds = (performance.now() - started) / 1000;
  const frames = episodes * framesPerEpisode;
  results.push({ scene, frames, size: options.imageSize, radio: args.radio, samples: data.train.size + data.test.size, seconds: Number(seconds.toFixed(2)), msPerFrame: Number(((1000 * seconds) / frames).toFixed(2)) });
  if (!args.json) console.log(`${scene.padEnd(18)} ${frames} frames at ${options.imageSize}×${options.imageSize}${args.radio ? ' + radio' : ''}: ${seconds.toFixed(1)} s (${((1000 * seconds) / frames).toFixed(1)} ms/frame, ${data.train.size + data.test.size} samples)`);
}
if (args.json) console.log(JSON.stringify(results, null, 2));
