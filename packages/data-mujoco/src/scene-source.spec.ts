import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createRng, gatherSamples, inMemory, UserInputError } from '@mmfuse/core';
import { armSensorChannels } from './arm-mjcf';
import { simulateEpisode } from './episode-simulator';
import { solveIk } from './inverse-kinematics';
import { compileModel, loadMujoco, MJ_OBJ } from './mujoco-runtime';
import { SceneSource, SceneSourceOptions } from './scene-source';
import { pickPlaceEpisode, weldingSingleEpisode } from './scenes';

let cacheDirectory: string;
beforeAll(() => (cacheDirectory = mkdtempSync(join(tmpdir(), 'mmfuse-scenes-'))));
afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));

const options = (overrides: Partial<SceneSourceOptions> = {}): SceneSourceOptions => ({
  episodes: 4,
  framesPerEpisode: 14,
  frameRate: 10,
  sensorRate: 20,
  imageSize: 16,
  window: 8,
  windowStep: 1,
  sensorNoise: 0,
  radio: true,
  subcarriers: 12,
  radioNoiseDb: 0.5,
  failureRate: 0,
  testFraction: 0.25,
  cache: true,
  cacheDirectory,
  stream: false,
  ...overrides,
});

const simulation = { frames: 60, frameRate: 10, sensorRate: 50, imageSize: 8, radio: null, taskShare: 0.85 };

describe('inverse kinematics', () => {
  it('reaches a target the forward kinematics then confirm, with the tool pointing down', async () => {
    const mujoco = await loadMujoco();
    const layout = pickPlaceEpisode(createRng(1));
    const model = compileModel(mujoco, layout.xml, 'test');
    const data = new mujoco.MjData(model);
    try {
      const joints = ['yaw', 'shoulder', 'elbow', 'wrist', 'bend', 'roll'].map((j) => mujoco.mj_name2id(model, MJ_OBJ.joint, j));
      const m = model as unknown as { jnt_qposadr: Int32Array; jnt_dofadr: Int32Array };
      const site = mujoco.mj_name2id(model, MJ_OBJ.site, 'tcp');
      data.qpos[m.jnt_qposadr[joints[1]]] = 0.35;
      data.qpos[m.jnt_qposadr[joints[2]]] = 1.1;
      const target = [0.5, -0.2, 0.55] as const;
      const result = solveIk(mujoco, model, data, site, {
        qpos: joints.map((j) => m.jnt_qposadr[j]),
        dof: joints.map((j) => m.jnt_dofadr[j]),
        range: joints.map((j) => [model.jnt_range[2 * j], model.jnt_range[2 * j + 1]] as [number, number]),
      }, { position: target, axis: [0, 0, 1] });
      expect(result.error).toBeLessThan(1e-3);
      // Independent check: fresh forward kinematics at the returned angles.
      mujoco.mj_kinematics(model, data);
      const p = data.site_xpos.subarray(3 * site, 3 * site + 3);
      expect(Math.hypot(p[0] - target[0], p[1] - target[1], p[2] - target[2])).toBeLessThan(1e-3);
      expect(data.site_xmat[9 * site + 8]).toBeGreaterThan(0.999);
    } finally {
      data.delete();
      model.delete();
    }
  });
});

describe('simulated episodes', () => {
  it('logs joint velocities that agree with the change of joint angles between rows', async () => {
    const mujoco = await loadMujoco();
    const rec = simulateEpisode(mujoco, pickPlaceEpisode(createRng(2)), simulation, createRng(2));
    const c = rec.sensorChannels.length;
    const dt = 1 / 50;
    let compared = 0;
    for (let j = 0; j < 3; j++) {
      for (let r = 1; r < rec.sensors.length / c - 1; r++) {
        const central = (rec.sensors[(r + 1) * c + j] - rec.sensors[(r - 1) * c + j]) / (2 * dt);
        const logged = rec.sensors[r * c + 6 + j];
        expect(Math.abs(central - logged)).toBeLessThan(0.05 + 0.1 * Math.abs(logged));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('grips the cube while carrying it, and loses contact after an object slip', async () => {
    const mujoco = await loadMujoco();
    const names = armSensorChannels(pickPlaceEpisode(createRng(3)).tasks[0].arm);
    const left = names.indexOf('grip contact left');
    const normal = simulateEpisode(mujoco, pickPlaceEpisode(createRng(3)), simulation, createRng(3));
    const slip = simulateEpisode(mujoco, pickPlaceEpisode(createRng(3), 'object-slip'), simulation, createRng(3));
    const c = names.length;
    const contact = (rec: typeof normal, t: number) => rec.sensors[Math.round(t * 50) * c + left];
    expect(slip.failureOnset).not.toBeNull();
    const after = (slip.failureOnset as number) + 0.6;
    expect(contact(normal, after)).toBeGreaterThan(0.5);
    expect(contact(slip, after)).toBe(0);
    expect(normal.failureOnset).toBeNull();
  });

  it('dates a collision by the obstacle’s touch sensor, and the arm feels it in its torques', async () => {
    const mujoco = await loadMujoco();
    const rng = () => createRng(4);
    const clean = simulateEpisode(mujoco, weldingSingleEpisode(rng()), simulation, rng());
    const hit = simulateEpisode(mujoco, weldingSingleEpisode(rng(), 'collision'), simulation, rng());
    expect(hit.failureOnset).not.toBeNull();
    const c = clean.sensorChannels.length;
    const torque = (rec: typeof clean) => {
      let worst = 0;
      for (let r = Math.round((hit.failureOnset as number) * 50); r < rec.sensors.length / c; r++) {
        for (let j = 12; j < 18; j++) worst = Math.max(worst, Math.abs(rec.sensors[r * c + j]));
      }
      return worst;
    };
    expect(torque(hit)).toBeGreaterThan(1.5 * torque(clean));
  });

  it('keeps the welding torch on the seam height while the arc burns', async () => {
    const mujoco = await loadMujoco();
    const layout = weldingSingleEpisode(createRng(5));
    const rec = simulateEpisode(mujoco, layout, simulation, createRng(5));
    const c = rec.sensorChannels.length;
    const seamHeight = layout.tasks[0].waypoints[3].position[2];
    // Mid-weld rows: the weld takes the 4th waypoint's share of 85 % of the 5.9 s episode.
    const w = layout.tasks[0].waypoints.map((p) => p.duration);
    const scale = (0.85 * 5.9) / w.reduce((a, b) => a + b, 0);
    const start = (w[0] + w[1] + w[2]) * scale;
    const end = start + w[3] * scale;
    for (let t = start + 0.25 * (end - start); t < start + 0.75 * (end - start); t += 0.1) {
      expect(Math.abs(rec.sensors[Math.round(t * 50) * c + 20] - seamHeight)).toBeLessThan(0.01);
    }
  });
});

describe('SceneSource', () => {
  it('pairs each frame with the sensor and radio windows ending at it, split by episode and standardised on training data', async () => {
    const source = new SceneSource('mujoco-pick-place', options(), 7, '.');
    const data = await source.load();
    const perEpisode = data.description?.samplesPerEpisode as number;
    // 8 rows at 2 rows per frame: the first frame with a full window is frame 4 (rows 1–8), so 10 of 14 frames.
    expect(perEpisode).toBe(10);
    expect(data.train.size).toBe(3 * perEpisode);
    expect(data.test.size).toBe(perEpisode);
    expect(data.modalities.map((m) => [m.name, ...m.shape])).toEqual([['camera', 16, 16, 3], ['robot', 8, 28], ['radio', 8, 12]]);
    expect(inMemory(data.train.arrays.camera).length).toBe(data.train.size * 16 * 16 * 3);
    expect(inMemory(data.train.arrays.robot).length).toBe(data.train.size * 8 * 28);
    // Training channels are centred and scaled by their own statistics.
    const robot = inMemory(data.train.arrays.robot);
    for (const channel of [0, 1, 2]) {
      let sum = 0;
      let squares = 0;
      const n = robot.length / 28;
      for (let i = 0; i < n; i++) {
        sum += robot[i * 28 + channel];
        squares += robot[i * 28 + channel] ** 2;
      }
      expect(Math.abs(sum / n)).toBeLessThan(1e-3);
      expect(squares / n).toBeCloseTo(1, 2);
    }
    // Consecutive samples overlap: sample s+1's window is sample s's shifted by two rows.
    const c = 28;
    const windowSize = 8 * c;
    for (let i = 0; i < 6 * c; i++) expect(robot[windowSize + i]).toBeCloseTo(robot[2 * c + i], 6);
    const split = [...(data.description?.trainEpisodes as number[]), ...(data.description?.testEpisodes as number[])].sort();
    expect(split).toEqual([0, 1, 2, 3]);
  });

  it('reads episodes back from its cache unchanged, and names a damaged entry and what to do instead of training on it', async () => {
    // A cache of its own, so every entry in it is one of these episodes.
    const own = mkdtempSync(join(tmpdir(), 'mmfuse-scene-cache-'));
    const load = () => new SceneSource('welding-single', options({ episodes: 2, radio: false, testFraction: 0.5, cacheDirectory: own }), 9, '.').load();
    const first = await load();
    const entries = readdirSync(own).filter((e) => !e.includes('partial'));
    expect(entries.length).toBeGreaterThanOrEqual(2);
    const again = await load();
    expect(Array.from(inMemory(again.train.arrays.robot))).toEqual(Array.from(inMemory(first.train.arrays.robot)));
    // One float of one cached array changed: still a valid .npy, so only the checksum can tell.
    const damaged = entries.find((e) => existsSync(join(own, e, 'sensors.npy')))!;
    const file = join(own, damaged, 'sensors.npy');
    const bytes = readFileSync(file);
    bytes[bytes.length - 2] ^= 0x01;
    writeFileSync(file, bytes);
    await expect(load()).rejects.toThrow(`${file}: cached episode is damaged (its SHA-256 does not match the one recorded when it was written); delete ${join(own, damaged)} (or the whole cache, ${own}) and run again to simulate it anew`);
    rmSync(join(own, damaged), { recursive: true });
    const healed = await load();
    expect(Array.from(inMemory(healed.train.arrays.robot))).toEqual(Array.from(inMemory(first.train.arrays.robot)));
    expect(Array.from(inMemory(healed.test.arrays.camera))).toEqual(Array.from(inMemory(first.test.arrays.camera)));
    rmSync(own, { recursive: true, force: true });
  });

  it('labels samples from a process failure’s onset on', async () => {
    const data = await new SceneSource('mujoco-pick-place', options({ episodes: 3, framesPerEpisode: 60, failureRate: 1, failureTypes: ['joint-degradation'], radio: false, imageSize: 8 }), 11, '.').load();
    const names = (data.description?.labels as { failure: string[] }).failure;
    const labels = [...Array.from(data.train.labels?.failure ?? []), ...Array.from(data.test.labels?.failure ?? [])];
    const degraded = names.indexOf('joint-degradation');
    expect(labels.filter((l) => l === degraded).length).toBeGreaterThan(0);
    expect(labels.filter((l) => l === 0).length).toBeGreaterThan(0);
    expect(new Set(labels)).toEqual(new Set([0, degraded]));
  });

  it('streams the same samples from the episode cache as it holds in memory', async () => {
    const held = await new SceneSource('mujoco-pick-place', options({ sensorNoise: 0.05 }), 13, '.').load();
    const streamed = await new SceneSource('mujoco-pick-place', options({ sensorNoise: 0.05, stream: true }), 13, '.').load();
    expect(streamed.description?.streamed).toBe(true);
    for (const split of ['train', 'test'] as const) {
      expect(streamed[split].size).toBe(held[split].size);
      for (const m of held.modalities) {
        const store = streamed[split].arrays[m.name];
        expect(store instanceof Float32Array).toBe(false);
        const size = m.shape.reduce((a, b) => a * b, 1);
        const order = Array.from({ length: streamed[split].size }, (_, i) => streamed[split].size - 1 - i);
        const read = gatherSamples(store, size, order, 0, order.length);
        const expected = gatherSamples(held[split].arrays[m.name], size, order, 0, order.length);
        expect(Array.from(read)).toEqual(Array.from(expected));
      }
      expect(Array.from(streamed[split].labels!.failure)).toEqual(Array.from(held[split].labels!.failure));
    }
  });

  it('refuses to stream without the cache, which holds what it streams', async () => {
    await expect(new SceneSource('mujoco-pick-place', options({ stream: true, cache: false }), 13, '.').load()).rejects.toThrow(/"cache" must stay true/);
  });

  it('rejects a sensor rate that is not a whole multiple of the frame rate, naming both', () => {
    expect(() => new SceneSource('welding-dual', options({ sensorRate: 25 }), 1, '.')).toThrow(UserInputError);
    expect(() => new SceneSource('welding-dual', options({ sensorRate: 25 }), 1, '.')).toThrow(/sensorRate 25 .*frameRate 10/);
  });
});
