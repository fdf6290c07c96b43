import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PNG } from 'pngjs';
import { isUserInputError, MultimodalDataset, SampleStore } from '@mmfuse/core';
import { ContactSheet, renderContactSheet } from './contact-sheet';
import { CHANNEL_COLOURS, FRAME_LINE } from './contact-sheet-style';
import { writeContactSheetPng } from './contact-sheet-png';

const SIDE = 8;
const STEPS = 6;
const TEST_COLOURS = [
  [0.2, 0.4, 0.6],
  [0.8, 0.1, 0.3],
];
const TRAIN_COLOURS = [
  [0.1, 0.9, 0.5],
  [0.3, 0.3, 0.3],
  [0.6, 0.2, 0.9],
  [1, 1, 0],
];

function images(colours: number[][]): Float32Array {
  return Float32Array.from({ length: colours.length * SIDE * SIDE * 3 }, (_, i) => colours[Math.floor(i / (SIDE * SIDE * 3))][i % 3]);
}

/** Channel 0 rises and channel 1 falls by half as much, both through zero. */
function ramps(count: number): Float32Array {
  const out = new Float32Array(count * STEPS * 2);
  for (let s = 0; s < count; s++) {
    for (let t = 0; t < STEPS; t++) {
      out[(s * STEPS + t) * 2] = t - 2.5;
      out[(s * STEPS + t) * 2 + 1] = -(t - 2.5) / 2;
    }
  }
  return out;
}

function dataset(testLabels?: number[]): MultimodalDataset {
  return {
    modalities: [
      { name: 'camera', kind: 'image', shape: [SIDE, SIDE, 3] },
      { name: 'joints', kind: 'series', shape: [STEPS, 2] },
    ],
    train: { size: 4, arrays: { camera: images(TRAIN_COLOURS), joints: ramps(4) }, ...(testLabels ? { labels: { failure: new Int32Array(4) } } : {}) },
    test: { size: 2, arrays: { camera: images(TEST_COLOURS), joints: ramps(2) }, ...(testLabels ? { labels: { failure: Int32Array.from(testLabels) } } : {}) },
    description: { sensorChannels: ['rising', 'falling'], ...(testLabels ? { labels: { failure: ['none', 'object-slip', 'collision'] } } : {}) },
  };
}

/** The RGBA bytes of a colour stored as float32, as the sheet draws it. */
function byteColour(colour: number[]): number[] {
  return [...colour.map((v) => Math.round(Math.fround(v) * 255)), 255];
}

function pixel(sheet: ContactSheet, x: number, y: number): number[] {
  const i = (y * sheet.width + x) * 4;
  return Array.from(sheet.rgba.subarray(i, i + 4));
}

function section(sheet: ContactSheet, modality: string) {
  return sheet.layout.sections.find((s) => s.modality === modality)!;
}

/** The RGBA bytes of one modality's box in one tile. */
function region(sheet: ContactSheet, row: number, column: number, modality: string): number[] {
  const origin = sheet.layout.tileOrigin(row, column);
  const box = section(sheet, modality);
  const out: number[] = [];
  for (let y = 0; y < box.height; y++) for (let x = 0; x < box.width; x++) out.push(...pixel(sheet, origin.x + box.x + x, origin.y + box.y + y));
  return out;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('renderContactSheet', () => {
  it('sizes the sheet from its rows and tiles', () => {
    const two = renderContactSheet(dataset([0, 1]), { failures: false });
    expect(two.rows).toEqual(['clean', 'process failure: object-slip']);
    const four = renderContactSheet(dataset([0, 1]), { failures: ['pixel-constant', 'gaussian-noise'] });
    expect(four.rows).toEqual(['clean', 'process failure: object-slip', 'failure: pixel-constant (severity 0.7)', 'failure: gaussian-noise (severity 0.7)']);
    expect(four.height - two.height).toBe(2 * four.layout.rowHeight);
    expect(four.rgba.length).toBe(four.width * four.height * 4);

    const three = renderContactSheet(dataset(), { split: 'train', samples: 3, failures: false });
    const all = renderContactSheet(dataset(), { split: 'train', samples: 4, failures: false });
    expect(three.layout.columns).toEqual([3]);
    expect(all.layout.columns).toEqual([4]);
    expect(all.width - three.width).toBe(all.layout.tileWidth + all.layout.tileGap);
    expect(all.layout.tileOrigin(0, 1).x - all.layout.tileOrigin(0, 0).x).toBe(all.layout.tileWidth + all.layout.tileGap);
    expect(all.layout.tileOrigin(0, 3).x + all.layout.tileWidth).toBeLessThanOrEqual(all.width);
    // Asking for more samples than the split holds gives one tile per sample.
    expect(renderContactSheet(dataset(), { split: 'train', samples: 8, failures: false }).width).toBe(all.width);
  });

  it('draws the first clean frame upscaled by nearest neighbour to at least 96 px, framed by a grey line', () => {
    const sheet = renderContactSheet(dataset([0, 1]), { failures: false });
    const camera = section(sheet, 'camera');
    expect(camera).toMatchObject({ kind: 'image', width: 96, height: 96, scale: 12 });
    const expected = byteColour(TEST_COLOURS[0]);
    const origin = sheet.layout.tileOrigin(0, 0);
    for (const [x, y] of [[0, 0], [11, 11], [12, 50], [95, 95], [47, 3]]) {
      expect(pixel(sheet, origin.x + camera.x + x, origin.y + camera.y + y)).toEqual(expected);
    }
    expect(region(sheet, 0, 0, 'camera').every((v, i) => v === expected[i % 4])).toBe(true);
    expect(pixel(sheet, origin.x + camera.x - 1, origin.y + camera.y + 10)).toEqual([...FRAME_LINE, 255]);
    // The process-failure row shows the other sample.
    const second = sheet.layout.tileOrigin(1, 0);
    expect(pixel(sheet, second.x + camera.x + 5, second.y + camera.y + 5)).toEqual(byteColour(TEST_COLOURS[1]));
  });

  it('plots each series channel in its colour inside the plot box, rising where the data rise', () => {
    const sheet = renderContactSheet(dataset(), { failures: false });
    const joints = section(sheet, 'joints');
    expect(joints.kind).toBe('series');
    expect(joints.channels).toEqual([0, 1]);
    const origin = sheet.layout.tileOrigin(0, 0);
    const rows = (colour: readonly number[]) => {
      const found: Array<{ x: number; y: number }> = [];
      for (let y = 0; y < sheet.height; y++) {
        for (let x = 0; x < sheet.width; x++) {
          const p = pixel(sheet, x, y);
          if (p[0] === colour[0] && p[1] === colour[1] && p[2] === colour[2]) found.push({ x, y });
        }
      }
      return found;
    };
    const inBox = (p: { x: number; y: number }, column: number) => {
      const o = sheet.layout.tileOrigin(0, column);
      return p.x >= o.x + joints.x && p.x < o.x + joints.x + joints.width && p.y >= o.y + joints.y && p.y < o.y + joints.y + joints.height;
    };
    for (const colour of [CHANNEL_COLOURS[0], CHANNEL_COLOURS[1]]) {
      const drawn = rows(colour).filter((p) => !(p.y < origin.y)); // the legend swatches sit above the rows
      expect(drawn.filter((p) => inBox(p, 0)).length).toBeGreaterThan(joints.width / 2);
      expect(drawn.every((p) => inBox(p, 0) || inBox(p, 1))).toBe(true);
    }
    const firstColumn = (colour: readonly number[], x: number) => rows(colour).filter((p) => p.x === origin.x + joints.x + x && inBox(p, 0));
    // Screen y grows downwards: the rising channel starts low and ends high, the falling one the reverse.
    expect(Math.min(...firstColumn(CHANNEL_COLOURS[0], 0).map((p) => p.y))).toBeGreaterThan(Math.max(...firstColumn(CHANNEL_COLOURS[0], joints.width - 1).map((p) => p.y)));
    expect(Math.max(...firstColumn(CHANNEL_COLOURS[1], 0).map((p) => p.y))).toBeLessThan(Math.min(...firstColumn(CHANNEL_COLOURS[1], joints.width - 1).map((p) => p.y)));
  });

  it('adds a process-failure row only for failure labels the split holds', () => {
    expect(renderContactSheet(dataset(), { failures: false }).rows).toEqual(['clean']);
    expect(renderContactSheet(dataset([0, 0]), { failures: false }).rows).toEqual(['clean']);
    expect(renderContactSheet(dataset([0, 2]), { failures: false }).rows).toEqual(['clean', 'process failure: collision']);
    expect(renderContactSheet(dataset([0, 1]), { failures: false, split: 'train' }).rows).toEqual(['clean']);
  });

  it('shows library failures applied to copies of the clean samples, changing only what they corrupt', () => {
    const sheet = renderContactSheet(dataset(), { failures: ['pixel-constant', 'gaussian-noise'], severity: 1, seed: 4 });
    expect(sheet.rows).toEqual(['clean', 'failure: pixel-constant (severity 1)', 'failure: gaussian-noise (severity 1)']);
    for (const column of [0, 1]) {
      expect(same(region(sheet, 1, column, 'camera'), region(sheet, 0, column, 'camera'))).toBe(false);
      expect(same(region(sheet, 1, column, 'joints'), region(sheet, 0, column, 'joints'))).toBe(true);
      expect(same(region(sheet, 2, column, 'camera'), region(sheet, 0, column, 'camera'))).toBe(true);
      expect(same(region(sheet, 2, column, 'joints'), region(sheet, 0, column, 'joints'))).toBe(false);
    }
    const untouched = renderContactSheet(dataset(), { failures: ['pixel-constant'], severity: 0 });
    expect(same(region(untouched, 1, 0, 'camera'), region(untouched, 0, 0, 'camera'))).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const options = { failures: ['pixel-gaussian', 'spikes'], severity: 0.8, seed: 11 };
    expect(Buffer.from(renderContactSheet(dataset(), options).rgba).equals(Buffer.from(renderContactSheet(dataset(), options).rgba))).toBe(true);
    expect(Buffer.from(renderContactSheet(dataset(), { ...options, seed: 12 }).rgba).equals(Buffer.from(renderContactSheet(dataset(), options).rgba))).toBe(false);
  });

  it('draws every library failure that fits a modality by default', () => {
    const rows = renderContactSheet(dataset()).rows;
    expect(rows[0]).toBe('clean');
    expect(rows).toContain('failure: gaussian-blur (severity 0.7)');
    expect(rows).toContain('failure: time-warp (severity 0.7)');
    const seriesOnly: MultimodalDataset = { ...dataset(), modalities: [dataset().modalities[1]] };
    expect(renderContactSheet(seriesOnly).rows).not.toContain('failure: gaussian-blur (severity 0.7)');
  });

  it('refuses unknown failures and bad options with one line naming the problem', () => {
    const refusal = (options: Parameters<typeof renderContactSheet>[1], data = dataset()) => {
      try {
        renderContactSheet(data, options);
      } catch (error) {
        expect(isUserInputError(error)).toBe(true);
        return error as Error & { lines: string[] };
      }
      throw new Error('expected a refusal');
    };
    const unknown = refusal({ failures: ['gausian-blur'] });
    expect(unknown.lines).toHaveLength(1);
    expect(unknown.message).toMatch(/unknown failure type "gausian-blur"\. Did you mean "gaussian-blur"\?/);
    expect(refusal({ severity: 1.5 }).message).toBe('severity: expected a number from 0 to 1, got 1.5');
    expect(refusal({ samples: 0 }).message).toMatch(/^samples: /);
    const seriesOnly: MultimodalDataset = { ...dataset(), modalities: [dataset().modalities[1]] };
    expect(refusal({ failures: ['dust'] }, seriesOnly).message).toMatch(/"dust" corrupts image samples, and this dataset has no image modality/);
    const empty: MultimodalDataset = { ...dataset(), test: { size: 0, arrays: { camera: new Float32Array(0), joints: new Float32Array(0) } } };
    expect(refusal({ split: 'test' }, empty).message).toMatch(/test split is empty/);
  });

  it('falls back to the train split when the test split is empty', () => {
    const empty: MultimodalDataset = { ...dataset(), test: { size: 0, arrays: { camera: new Float32Array(0), joints: new Float32Array(0) } } };
    const sheet = renderContactSheet(empty, { failures: false });
    expect(sheet.layout.columns).toEqual([4]);
    const origin = sheet.layout.tileOrigin(0, 0);
    const camera = section(sheet, 'camera');
    expect(pixel(sheet, origin.x + camera.x, origin.y + camera.y)).toEqual(byteColour(TRAIN_COLOURS[0]));
  });
});

describe('renderContactSheet with sample stores', () => {
  it('draws samples kept in a store exactly as samples in memory', () => {
    const inMemory = dataset([0, 1]);
    const size = SIDE * SIDE * 3;
    const camera = inMemory.test.arrays.camera as Float32Array;
    const store: SampleStore = { sampleSize: size, samples: 2, readSample: (index, out, offset) => out.set(camera.subarray(index * size, (index + 1) * size), offset) };
    const stored: MultimodalDataset = { ...inMemory, test: { ...inMemory.test, arrays: { ...inMemory.test.arrays, camera: store } } };
    const options = { failures: ['dust', 'flip'], seed: 2 };
    expect(Buffer.from(renderContactSheet(stored, options).rgba).equals(Buffer.from(renderContactSheet(inMemory, options).rgba))).toBe(true);
  });
});

describe('writeContactSheetPng', () => {
  it('writes a PNG that decodes to the sheet, replacing an existing file and leaving no temporary file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'mmfuse-sheet-'));
    const file = join(folder, 'sheet.png');
    writeFileSync(file, 'old');
    const sheet = renderContactSheet(dataset([0, 1]), { failures: ['dust'] });
    writeContactSheetPng(file, sheet);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([sheet.width, sheet.height]);
    expect(Buffer.from(png.data).equals(Buffer.from(sheet.rgba))).toBe(true);
    expect(readdirSync(folder)).toEqual(['sheet.png']);
  });

  it('refuses a folder that does not exist with a user error', () => {
    const sheet = renderContactSheet(dataset(), { failures: false });
    const file = join(tmpdir(), 'mmfuse-no-such-folder', 'sheet.png');
    expect(() => writeContactSheetPng(file, sheet)).toThrow(/cannot write the preview \(ENOENT\)/);
  });
});
