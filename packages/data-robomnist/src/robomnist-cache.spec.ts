import { readdirSync, readFileSync, utimesSync, writeFileSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DataSplit, inMemory, MultimodalDataset } from '@mmfuse/core';
import { writeRoboMnistSample } from '@mmfuse/testing';
import { RoboMnistOptions } from './robomnist-options';
import { RoboMnistSource } from './robomnist-source';
import { locateFfmpeg } from './robomnist-video';

// Debian's ffmpeg (on PATH) encodes the clips as the published ones are: H.264, 2560×720.
const ffmpeg = locateFfmpeg('ffmpeg');
const data = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-cache-data-'));
const recordings = writeRoboMnistSample(data, { recordings: 8, frames: 40, incomplete: 2, ffmpeg, cameras: 1, manifest: true });
const complete = recordings.filter((r) => r.complete).map((r) => r.stem);

const options = (cacheDirectory: string, extra: Partial<RoboMnistOptions> = {}): RoboMnistOptions => ({
  directory: data,
  modalities: ['camera', 'kinematics', 'csi'],
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  speeds: ['high', 'medium', 'low'],
  arms: [1, 2],
  robots: [1, 2],
  sniffers: [1, 2, 3],
  window: 8,
  windowStep: 4,
  testFraction: 0.25,
  imageSize: 16,
  cacheDirectory,
  stream: false,
  decodeWorkers: 2,
  ...extra,
});

const load = (o: RoboMnistOptions) => new RoboMnistSource(o, 7, '/').load();
const decoding = (d: MultimodalDataset) => (d.description as { decoding: { fromCache: number; decoded: number } }).decoding;
const arraysOf = (split: DataSplit) => Object.fromEntries(Object.entries(split.arrays).map(([name, samples]) => [name, inMemory(samples)]));

function expectSameData(a: MultimodalDataset, b: MultimodalDataset): void {
  for (const split of ['train', 'test'] as const) {
    expect(b[split].size).toBe(a[split].size);
    const [x, y] = [arraysOf(a[split]), arraysOf(b[split])];
    expect(Object.keys(y)).toEqual(Object.keys(x));
    for (const name of Object.keys(x)) expect(Buffer.from(y[name].buffer).equals(Buffer.from(x[name].buffer))).toBe(true);
  }
  const facts = (d: MultimodalDataset) => {
    const { trainRepetitions, testRepetitions, standardisation } = d.description as Record<string, unknown>;
    return { trainRepetitions, testRepetitions, standardisation };
  };
  expect(facts(b)).toEqual(facts(a));
}

// A decode without the cache runs the system ffmpeg once per clip: several seconds on two busy cores.
jest.setTimeout(60000);

describe('the decoded cache', () => {
  let first: MultimodalDataset;
  const cache = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-cache-'));

  beforeAll(async () => {
    first = await load(options(cache));
  });

  it('decodes every complete recording once, on worker threads, and reads them back unchanged', async () => {
    expect(decoding(first)).toEqual({ fromCache: 0, decoded: complete.length, seconds: expect.any(Number) });
    const labels = (first.description as { labels: Array<{ stem: string }> }).labels.map((l) => l.stem);
    expect(labels.sort()).toEqual([...complete].sort());
    const again = await load(options(cache));
    expect(decoding(again)).toEqual({ fromCache: complete.length, decoded: 0, seconds: expect.any(Number) });
    expectSameData(first, again);
  });

  it('keeps one entry per recording and array, as .npy with the camera frames in 8 bits', () => {
    const entries = readdirSync(cache).filter((e) => e.startsWith('robomnist-'));
    expect(entries).toHaveLength(3 * complete.length);
    const camera = entries.map((e) => join(cache, e)).find((folder) => readdirSync(folder).includes('camera1.npy')) as string;
    expect(readFileSync(join(camera, 'camera1.npy')).toString('latin1', 0, 60)).toMatch(/'descr':'\|u1'/);
  });

  it('streams the same samples, split and statistics as it holds in memory', async () => {
    const streamed = await load(options(cache, { stream: true }));
    expect((streamed.description as { streamed: boolean }).streamed).toBe(true);
    expect(Object.values(streamed.train.arrays).every((a) => !(a instanceof Float32Array))).toBe(true);
    expectSameData(first, streamed);
  });

  it('decodes on one thread what it decodes on several, without the cache too', async () => {
    const own = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-cache-'));
    expectSameData(first, await load(options(own, { decodeWorkers: 1, cache: false })));
    expect(readdirSync(own)).toEqual([]);
  });

  it('decodes a damaged entry again, saying which file it was, and a recording whose file changed', async () => {
    const own = mkdtempSync(join(tmpdir(), 'mmfuse-robomnist-cache-'));
    await load(options(own));
    const entry = readdirSync(own).find((e) => readdirSync(join(own, e)).includes('csi.npy')) as string;
    const file = join(own, entry, 'csi.npy');
    const bytes = readFileSync(file);
    // One float changed: still a valid .npy, so only the checksum can tell.
    bytes[bytes.length - 2] ^= 0x40;
    writeFileSync(file, bytes);
    const repaired = await load(options(own));
    expect(repaired.warnings).toEqual([`${file}: cache entry damaged (its SHA-256 does not match the one recorded when it was written); decoded again`]);
    expect(decoding(repaired)).toMatchObject({ fromCache: complete.length - 1, decoded: 1 });
    expectSameData(first, repaired);

    const changed = recordings.find((r) => r.complete) as (typeof recordings)[number];
    const pos = join(data, changed.folder, `${changed.stem}_Rxall_pos.json`);
    const later = new Date(Date.now() + 5000);
    utimesSync(pos, later, later);
    expect(decoding(await load(options(own)))).toMatchObject({ fromCache: complete.length - 1, decoded: 1 });
  });

  it('refuses to stream without the cache', async () => {
    await expect(load(options(cache, { stream: true, cache: false }))).rejects.toThrow('data.stream: the windows are read from the decoded cache, so data.cache must stay true');
  });
});
