import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { inMemory, isUserInputError, MultimodalDataset } from '@mmfuse/core';
import { parseTime, readCsvSeries } from './csv-series';
import { FilesSourceInput } from './files-options';
import { FilesSource } from './files-source';

type Rgb = [number, number, number];

function writePng(file: string, width: number, height: number, pixel: (x: number, y: number) => Rgb): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      png.data.set([...pixel(x, y), 255], (y * width + x) * 4);
    }
  }
  writeFileSync(file, PNG.sync.write(png));
}

function writeJpeg(file: string, width: number, height: number, colour: Rgb): void {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...colour, 255], p * 4);
  writeFileSync(file, encodeJpeg({ data, width, height }, 100).data);
}

const EPOCH_S = 1690000000;
const EPOCH_MS = BigInt(EPOCH_S) * 1000n;
const EPOCH_NS = BigInt(EPOCH_S) * 1_000_000_000n;
const JOINT_ROWS = 12;
const FORCE_ROWS = 24;
const FRAMES = 10;

/** Written values, so tests can compare windows with what is in the files. */
const joint = (e: number, r: number): [number, number] => [100 * e + r, ((r * r) % 7) + 0.5 * e];
const force = (e: number, r: number): [number, number] => [e + 0.01 * r, -r];
/** Frame k of episode e: red tells the frame apart, green and blue vary across the image. */
const framePixel = (e: number, k: number) => (x: number, y: number): Rgb => [e * 40 + k * 3, x * 60 + y, 255 - y * 50];

/**
 * Episodes ep1..epN, each with 4×4 PNG frames named by their time in ms (frame k at 0.1k + 0.03 s,
 * plus one at 3 s, after the series end), joints.csv (comma, seconds with decimals, 0.1 s rows, a
 * text column) and force.csv (semicolon, integer ns, 50 ms rows, decimal commas).
 */
function writeDataset(episodes = 3): string {
  const root = mkdtempSync(join(tmpdir(), 'mmfuse-files-'));
  for (let e = 1; e <= episodes; e++) {
    const dir = join(root, `ep${e}`);
    mkdirSync(join(dir, 'images'), { recursive: true });
    const times = [...Array.from({ length: FRAMES }, (_, k) => 100 * k + 30), 3000];
    times.forEach((ms, k) => writePng(join(dir, 'images', `${EPOCH_MS + BigInt(ms)}.png`), 4, 4, framePixel(e, k)));
    const joints = ['timestamp,q1,q2,status', ...Array.from({ length: JOINT_ROWS }, (_, r) => `${(EPOCH_S + 0.1 * r).toFixed(3)},${joint(e, r).join(',')},ok`)];
    writeFileSync(join(dir, 'joints.csv'), `${joints.join('\n')}\n`);
    const forces = ['time_ns;fx;fy', ...Array.from({ length: FORCE_ROWS }, (_, r) => `${EPOCH_NS + BigInt(r) * 50_000_000n};${force(e, r)[0].toFixed(2).replace('.', ',')};${force(e, r)[1]}`)];
    writeFileSync(join(dir, 'force.csv'), `${forces.join('\r\n')}\r\n`);
  }
  return root;
}

const options = (root: string, extra: Partial<FilesSourceInput> = {}): FilesSourceInput => ({
  root,
  images: { timeUnit: 'ms', size: 4 },
  series: [
    { name: 'joints', file: 'joints.csv' },
    { name: 'force', file: 'force.csv', timestamp: 'time_ns', timeUnit: 'ns' },
  ],
  window: 3,
  testFraction: 0.34,
  ...extra,
});

const load = (o: FilesSourceInput, seed = 1) => new FilesSource(o, seed, '/').load();

/** Un-standardises window rows with the statistics the source reports. */
function raw(data: MultimodalDataset, name: string, values: Float32Array, channels: number): number[] {
  const stats = (data.description!.standardisation as Record<string, { mean: number[]; std: number[] }>)[name];
  return Array.from(values, (v, i) => v * stats.std[i % channels] + stats.mean[i % channels]);
}

/** The episode and frame of a sample, read back from the red channel of its top-left pixel. */
function frameOf(camera: Float32Array, sample: number): { e: number; k: number } {
  const red = Math.round(camera[sample * 48] * 255);
  return { e: Math.floor(red / 40), k: (red % 40) / 3 };
}

async function expectUserError(promise: Promise<unknown>, ...parts: string[]): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUserInputError(error)).toBe(true);
  const message = (error as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  for (const part of parts) expect(message).toContain(part);
}

const roots: string[] = [];
const dataset = (episodes?: number) => {
  const root = writeDataset(episodes);
  roots.push(root);
  return root;
};
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

describe('the files data source', () => {
  it('aligns frames with the CSV rows ending at their time, in seconds, ms and ns, and counts dropped frames', async () => {
    const data = await load(options(dataset()));
    expect(data.modalities).toEqual([
      { name: 'camera', kind: 'image', shape: [4, 4, 3] },
      { name: 'joints', kind: 'series', shape: [3, 2] },
      { name: 'force', kind: 'series', shape: [3, 2] },
    ]);
    // Per episode: frames 0 and 1 lack 3 joint rows before them, the one at 3 s is past the series.
    expect(data.train.size).toBe(16);
    expect(data.test.size).toBe(8);
    const d = data.description!;
    expect(d).toMatchObject({ frames: 33, samples: 24, unalignedFrames: 3, framesWithoutFullWindow: 6, columns: { joints: ['q1', 'q2'], force: ['fx', 'fy'] } });
    for (const split of [data.train, data.test]) {
      for (let s = 0; s < split.size; s++) {
        const { e, k } = frameOf(inMemory(split.arrays.camera), s);
        expect(k).toBeGreaterThanOrEqual(2);
        // Frame k (at 0.1k + 0.03 s) ends at joints row k (0.1k s) and force row 2k (0.1k s).
        const joints = raw(data, 'joints', inMemory(split.arrays.joints).subarray(s * 6, s * 6 + 6), 2);
        const expectedJoints = [k - 2, k - 1, k].flatMap((r) => joint(e, r));
        joints.forEach((v, i) => expect(v).toBeCloseTo(expectedJoints[i], 3));
        const forces = raw(data, 'force', inMemory(split.arrays.force).subarray(s * 6, s * 6 + 6), 2);
        const expectedForces = [2 * k - 2, 2 * k - 1, 2 * k].flatMap((r) => force(e, r));
        forces.forEach((v, i) => expect(v).toBeCloseTo(expectedForces[i], 3));
        // A 4×4 frame at size 4 is passed through unchanged, scaled to [0, 1].
        for (let y = 0; y < 4; y++) {
          for (let x = 0; x < 4; x++) {
            const written = framePixel(e, k)(x, y);
            for (let c = 0; c < 3; c++) expect(inMemory(split.arrays.camera)[s * 48 + (y * 4 + x) * 3 + c]).toBeCloseTo(written[c] / 255, 6);
          }
        }
      }
    }
  });

  it('standardises with statistics of the training episodes only', async () => {
    const data = await load(options(dataset()));
    const trainEpisodes = (data.description!.trainEpisodes as string[]).map((name) => Number(name.slice(2)));
    const rows = trainEpisodes.flatMap((e) => Array.from({ length: FRAMES - 2 }, (_, j) => j + 2).flatMap((k) => [k - 2, k - 1, k].map((r) => joint(e, r))));
    const mean = [0, 1].map((c) => rows.reduce((sum, row) => sum + row[c], 0) / rows.length);
    const std = [0, 1].map((c) => Math.sqrt(rows.reduce((sum, row) => sum + (row[c] - mean[c]) ** 2, 0) / rows.length));
    const stats = (data.description!.standardisation as Record<string, { mean: number[]; std: number[] }>).joints;
    stats.mean.forEach((m, c) => expect(m).toBeCloseTo(mean[c], 4));
    stats.std.forEach((s, c) => expect(s).toBeCloseTo(std[c], 4));
    for (let c = 0; c < 2; c++) {
      const column = inMemory(data.train.arrays.joints).filter((_, i) => i % 2 === c);
      expect(column.reduce((a, b) => a + b, 0) / column.length).toBeCloseTo(0, 4);
    }
  });

  it('keeps episodes whole in the split, deterministically from the seed', async () => {
    const root = dataset(4);
    const a = await load(options(root, { testFraction: 0.25 }), 7);
    const b = await load(options(root, { testFraction: 0.25 }), 7);
    expect(a.description!.testEpisodes).toEqual(b.description!.testEpisodes);
    expect(Array.from(inMemory(a.test.arrays.camera))).toEqual(Array.from(inMemory(b.test.arrays.camera)));
    const episodesOf = (split: MultimodalDataset['train']) => new Set(Array.from({ length: split.size }, (_, s) => `ep${frameOf(inMemory(split.arrays.camera), s).e}`));
    const train = episodesOf(a.train);
    const test = episodesOf(a.test);
    expect([...test]).toEqual(a.description!.testEpisodes);
    expect([...train].sort()).toEqual(a.description!.trainEpisodes);
    expect([...train].filter((e) => test.has(e))).toEqual([]);
    expect(a.test.size).toBe(8);
    const limited = await load(options(root, { maxEpisodes: 2, episodes: 'ep*' }));
    expect(limited.description!.episodes).toBe(2);
  });

  it('shrinks by area average: a 2× smaller image holds the means of 2×2 blocks', async () => {
    const data = await load(options(dataset(), { images: { timeUnit: 'ms', size: 2 } }));
    expect(data.modalities[0].shape).toEqual([2, 2, 3]);
    const red = Math.round(inMemory(data.train.arrays.camera)[0] * 255);
    const pixel = framePixel(Math.floor(red / 40), (red % 40) / 3);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        for (let c = 0; c < 3; c++) {
          const block = [0, 1].flatMap((dy) => [0, 1].map((dx) => pixel(2 * x + dx, 2 * y + dy)[c]));
          expect(inMemory(data.train.arrays.camera)[(y * 2 + x) * 3 + c]).toBeCloseTo(block.reduce((a, b) => a + b, 0) / 4 / 255, 6);
        }
      }
    }
    const cropped = await load(options(dataset(), { images: { timeUnit: 'ms', size: 2, crop: [2, 0, 2, 2] } }));
    const redOf = Math.round(inMemory(cropped.train.arrays.camera)[0] * 255);
    const croppedPixel = framePixel(Math.floor(redOf / 40), (redOf % 40) / 3);
    expect(inMemory(cropped.train.arrays.camera)[1] * 255).toBeCloseTo(croppedPixel(2, 0)[1], 4);
  });

  it('reads one folder as a single episode timed by frame index, split in time without shared rows, and JPEG frames', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mmfuse-files-single-'));
    roots.push(root);
    mkdirSync(join(root, 'frames'));
    // frame_10 must follow frame_9: natural order of names.
    for (let k = 0; k < 20; k++) writePng(join(root, 'frames', `frame_${k}.png`), 2, 2, () => [k * 10, 0, 0]);
    writeFileSync(join(root, 'arm.csv'), `t\tpos\n${Array.from({ length: 20 }, (_, r) => `${(5 + 0.1 * r).toFixed(1)}\t${r * r}`).join('\n')}\n`);
    const o: FilesSourceInput = {
      root,
      episodes: 'single',
      images: { folder: 'frames', timestamp: 'index', fps: 10, size: 2 },
      series: [{ name: 'arm', file: 'arm.csv', timestamp: 't' }],
      window: 2,
      testFraction: 0.25,
    };
    const data = await load(o);
    // Frames 1..19 have two rows; the last 5 are the test share, and frame 15 is left out because
    // its window would hold row 14, the last row of the training windows.
    expect(data.description).toMatchObject({ split: 'in time within the one episode', trainSamples: 14, testSamples: 4, droppedBetweenTrainAndTest: 1 });
    const framesOf = (split: MultimodalDataset['train']) => Array.from({ length: split.size }, (_, s) => Math.round(inMemory(split.arrays.camera)[s * 12] * 25.5));
    expect(framesOf(data.train)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(framesOf(data.test)).toEqual([16, 17, 18, 19]);
    raw(data, 'arm', inMemory(data.test.arrays.arm).subarray(0, 2), 1).forEach((v, i) => expect(v).toBeCloseTo((15 + i) ** 2, 3));

    writeJpeg(join(root, 'frames', 'frame_3.png'), 2, 2, [200, 100, 50]);
    const withJpeg = await load(o);
    const third = inMemory(withJpeg.train.arrays.camera).subarray(2 * 12, 3 * 12);
    Array.from(third).forEach((v, i) => expect(Math.abs(v * 255 - [200, 100, 50][i % 3])).toBeLessThan(4));
  });

  it('aligns to the nearest row on request, and to the next row when only that one is within the tolerance', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mmfuse-files-align-'));
    roots.push(root);
    mkdirSync(join(root, 'images'));
    // Rows every 100 ms with a gap from 0.5 to 2.0 s; frames at 0.37 s and at 1.98 s.
    const rows = [0, 100, 200, 300, 400, 500, 2000, 2100];
    writeFileSync(join(root, 'log.csv'), `timestamp,v\n${rows.map((ms) => `${ms},${ms}`).join('\n')}\n`);
    for (const ms of [370, 1980]) writePng(join(root, 'images', `img_${ms}.png`), 2, 2, () => [ms % 256, 0, 0]);
    const o = (align: 'last' | 'nearest'): FilesSourceInput => ({
      root,
      episodes: 'single',
      images: { timeUnit: 'ms', size: 2 },
      series: [{ name: 'log', file: 'log.csv', timeUnit: 'ms' }],
      window: 2,
      align,
      tolerance: 0.08,
      testFraction: 0.5,
    });
    const lastRows = await load(o('last'));
    expect(raw(lastRows, 'log', inMemory(lastRows.train.arrays.log), 1).map(Math.round)).toEqual([200, 300]);
    expect(raw(lastRows, 'log', inMemory(lastRows.test.arrays.log), 1).map(Math.round)).toEqual([500, 2000]);
    const nearest = await load(o('nearest'));
    expect(raw(nearest, 'log', inMemory(nearest.train.arrays.log), 1).map(Math.round)).toEqual([300, 400]);
  });

  it('parses times exactly, even epoch nanoseconds beyond float64 precision', () => {
    expect(parseTime('1690000000123456789', 'ns')).toBe(1690000000123456789n);
    expect(parseTime('1690000000123456790', 'ns')).toBe(1690000000123456790n);
    expect(parseTime('1690000000.123456789', 's')).toBe(1690000000123456789n);
    expect(parseTime('1.5', 'ms')).toBe(1_500_000n);
    expect(parseTime('-2', 'us')).toBe(-2000n);
    expect(parseTime('1e3', 'ms')).toBe(1_000_000_000n);
    expect(parseTime('abc', 's')).toBeUndefined();
    expect(parseTime('', 's')).toBeUndefined();
  });
});

describe('the files data source reports problems in the files with the file and line', () => {
  const csv = (root: string, e = 2) => join(root, `ep${e}`, 'joints.csv');
  const jointsLines = (e = 2) => ['timestamp,q1,q2,status', ...Array.from({ length: JOINT_ROWS }, (_, r) => `${(EPOCH_S + 0.1 * r).toFixed(3)},${joint(e, r).join(',')},ok`)];

  it('a missing root, image folder or CSV file', async () => {
    await expectUserError(load(options('/nonexistent/mmfuse-files')), 'data.root: /nonexistent/mmfuse-files is not a folder');
    const root = dataset(2);
    rmSync(join(root, 'ep2', 'force.csv'));
    await expectUserError(load(options(root)), `${join(root, 'ep2', 'force.csv')}: missing`);
    rmSync(join(root, 'ep1', 'images'), { recursive: true });
    await expectUserError(load(options(root)), `${join(root, 'ep1', 'images')}: missing image folder`);
    await expectUserError(load(options(root, { episodes: 'run*' })), `${root}: no subfolder matches data.episodes "run*"`);
  });

  it('a folder name with a line break, and links that lead out of the data folder unless allowed', async () => {
    const root = dataset(2);
    mkdirSync(join(root, 'ep\n3'));
    await expectUserError(load(options(root)), `${root}: holds an entry named "ep\\n3", with a control character (line break, tab); rename it`);
    rmSync(join(root, 'ep\n3'), { recursive: true });
    // An episode of another data set linked in (it could be one of this set's test episodes too).
    const other = dataset(1);
    symlinkSync(join(other, 'ep1'), join(root, 'ep3'));
    await expectUserError(load(options(root)), `${join(root, 'ep3')}: leads to ${join(realpathSync(other), 'ep1')}, outside the data folder ${root}; copy the data in, or set data.followLinksOutside: true to follow links out of it`);
    expect((await load(options(root, { followLinksOutside: true }))).description?.episodes).toBe(3);
    rmSync(join(root, 'ep3'));
    // A single file linked out of an episode is refused the same way.
    rmSync(join(root, 'ep2', 'force.csv'));
    symlinkSync(join(other, 'ep1', 'force.csv'), join(root, 'ep2', 'force.csv'));
    await expectUserError(load(options(root)), `${join(root, 'ep2', 'force.csv')}: leads to ${join(realpathSync(other), 'ep1', 'force.csv')}, outside the data folder`);
  });

  it('a CSV with no rows, or empty', async () => {
    const root = dataset(2);
    writeFileSync(csv(root), 'timestamp,q1,q2\n');
    await expectUserError(load(options(root)), `${csv(root)}: no data rows after the header`);
    writeFileSync(csv(root), '');
    await expectUserError(load(options(root)), `${csv(root)}: empty`);
  });

  it('a truncated row', async () => {
    const root = dataset(2);
    const lines = jointsLines();
    lines[4] = lines[4].slice(0, lines[4].indexOf(',') + 3);
    writeFileSync(csv(root), `${lines.join('\n')}\n`);
    await expectUserError(load(options(root)), `${csv(root)} line 5: 2 field(s), the header has 4 (truncated row?)`);
  });

  it('a value that is not a number, NaN or empty', async () => {
    const root = dataset(2);
    for (const [bad, shown] of [
      ['abc', '"abc"'],
      ['NaN', '"NaN"'],
      ['', 'empty'],
    ]) {
      const lines = jointsLines();
      const fields = lines[7].split(',');
      fields[2] = bad;
      lines[7] = fields.join(',');
      writeFileSync(csv(root), `${lines.join('\n')}\n`);
      await expectUserError(load(options(root)), `${csv(root)} line 8: column "q2" is ${shown}, expected a number`);
    }
  });

  it('timestamps that do not increase, or are not numbers', async () => {
    const root = dataset(2);
    const lines = jointsLines();
    [lines[5], lines[6]] = [lines[6], lines[5]];
    writeFileSync(csv(root), `${lines.join('\n')}\n`);
    await expectUserError(load(options(root)), `${csv(root)} line 7: timestamp 1690000000.400 is not after the previous row's 1690000000.500 (timestamps must increase)`);
    lines[6] = `x${lines[6]}`;
    writeFileSync(csv(root), `${lines.join('\n')}\n`);
    await expectUserError(load(options(root)), `${csv(root)} line 7: timestamp column "timestamp" is "x1690000000.400", expected a number (in s)`);
  });

  it('a requested column that does not exist, with the nearest name', async () => {
    const root = dataset(2);
    const o = options(root);
    o.series[0].columns = ['q1', 'Q_2'];
    await expectUserError(load(o), `${csv(root, 1)}: no column "Q_2". Did you mean "q2"? Columns: timestamp, q1, q2, status`);
    o.series[0].columns = undefined;
    o.series[1].timestamp = 'time-ns';
    await expectUserError(load(o), `${join(root, 'ep1', 'force.csv')}: no timestamp column "time-ns". Did you mean "time_ns"?`);
  });

  it('an image of another size than the episode\'s first, a damaged image, a crop that does not fit', async () => {
    const root = dataset(2);
    const frame = (ms: number) => join(root, 'ep2', 'images', `${EPOCH_MS + BigInt(ms)}.png`);
    writePng(frame(530), 6, 4, () => [0, 0, 0]);
    await expectUserError(load(options(root)), `${frame(530)}: 6×4 pixels, but ${frame(230)} is 4×4 (frames of an episode must share one size)`);
    writeFileSync(frame(530), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(30)]));
    await expectUserError(load(options(root)), `${frame(530)}: damaged PNG image`);
    writeFileSync(frame(530), 'hello');
    await expectUserError(load(options(root)), `${frame(530)}: neither a PNG nor a JPEG image`);
    await expectUserError(load(options(dataset(2), { images: { timeUnit: 'ms', size: 2, crop: [1, 1, 4, 2] } })), 'data.images.crop [1, 1, 4, 2] does not fit in its 4×4 pixels');
  });

  it('an episode with no usable frame, such as images timed in another unit than the series', async () => {
    const root = dataset(2);
    await expectUserError(load(options(root, { images: { timeUnit: 's', size: 4 } })), `${join(root, 'ep1')}: no usable frame: of 11 frames, 11 have no series row within the tolerance`, 'check the time units');
    await expectUserError(load(options(root, { window: 20 })), `${join(root, 'ep1')}: no usable frame: of 11 frames, 1 have no series row within the tolerance and 10 have fewer than 20 rows (data.window)`);
  });

  it('options that contradict each other', () => {
    expect(() => new FilesSource({ root: '.', images: { timestamp: 'index' }, series: [{ name: 'a', file: 'a.csv' }] }, 1, '/')).toThrow('data.images.fps: needed when data.images.timestamp is "index"');
    expect(() => new FilesSource({ root: '.', series: [{ name: 'camera', file: 'a.csv' }] }, 1, '/')).toThrow('data.series[0].name: "camera" is already a modality name');
    expect(() => new FilesSource({ root: '.', images: { pattern: '(' }, series: [{ name: 'a', file: 'a.csv' }] }, 1, '/')).toThrow('data.images.pattern: not a regular expression');
  });
});

describe('reading a CSV series', () => {
  it('streams a 5 GB file that never ends its first record: an error in seconds, one short line, under 200 MB of memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-csv-huge-'));
    const file = join(dir, 'joints.csv');
    try {
      // A header, one row, then 5 GB of a file system's holes (NUL bytes, no line break): sparse, so it costs no disk.
      writeFileSync(file, 'time,a\n0,1\n');
      truncateSync(file, 5 * 1024 ** 3);
      const script = `require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))}).readCsvSeries(${JSON.stringify(file)}, { timestamp: 'time', timeUnit: 's', delimiter: 'auto' })
        .then(() => console.log(JSON.stringify({ error: null })), (e) => console.log(JSON.stringify({ error: e.message, rssKb: process.resourceUsage().maxRSS })));`;
      const started = Date.now();
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 }));
      const seconds = (Date.now() - started) / 1000;
      expect(out.error).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a readable CSV \\(.*Max Record Size.*\\)$`));
      expect(out.error.length).toBeLessThan(400);
      expect(out.rssKb / 1024).toBeLessThan(200);
      expect(seconds).toBeLessThan(30);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes at most a short excerpt of a bad value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-csv-long-'));
    const file = join(dir, 'joints.csv');
    writeFileSync(file, `time,a\n0,1\n1,${'x'.repeat(100000)}\n`);
    await expect(readCsvSeries(file, { timestamp: 'time', timeUnit: 's', delimiter: ',' })).rejects.toThrow(`${file} line 3: column "a" is "${'x'.repeat(60)}… (100000 characters)", expected a number`);
    rmSync(dir, { recursive: true, force: true });
  });
});
