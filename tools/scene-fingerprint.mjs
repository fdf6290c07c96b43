#!/usr/bin/env node
// A fingerprint of what the MuJoCo scenes produce: 3 small episodes of each scene, with the radio
// link and with process failures, simulated afresh (cache in a temporary folder), every array hashed
// (SHA-256). Two builds that print the same fingerprints produce the same data, bit for bit; run it
// before and after a change to the simulator or the renderer.
//
//   NODE_OPTIONS=--experimental-vm-modules node tools/scene-fingerprint.mjs [data-mujoco folder]
//
// The optional folder is another build of @mmfuse/data-mujoco (e.g. a worktree of an older commit).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { SceneSource } = require(process.argv[2] ? join(process.argv[2], 'dist', 'index.js') : '@mmfuse/data-mujoco');
const { inMemory } = require('@mmfuse/core');

const FAILURES = { 'mujoco-pick-place': [['collision', 'object-slip'], ['object-slip', 'joint-degradation']], 'welding-single': [['collision'], ['joint-degradation']], 'welding-dual': [['collision'], ['joint-degradation']] };

for (const [type, sets] of Object.entries(FAILURES)) {
  for (const failureTypes of sets) {
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'mmfuse-fingerprint-'));
    try {
      const options = { episodes: 3, framesPerEpisode: 12, imageSize: 16, window: 4, windowStep: 2, frameRate: 10, sensorRate: 20, failureRate: 1, failureTypes, radio: true, subcarriers: 8, cacheDirectory, testFraction: 0.34 };
      const data = await new SceneSource(type, options, 7, '/').load();
      const hash = createHash('sha256');
      for (const split of [data.train, data.test]) {
        for (const [name, samples] of Object.entries(split.arrays)) {
          const values = inMemory(samples);
          hash.update(name).update(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
        }
      }
      const failures = data.description.episodeFailures.map((f) => f.failure);
      console.log(`${type} [${failureTypes.join(', ')}]: ${hash.update(JSON.stringify(data.description.episodeFailures)).digest('hex').slice(0, 16)} (episodes: ${failures.join(', ')})`);
    } finally {
      rmSync(cacheDirectory, { recursive: true, force: true });
    }
  }
}
