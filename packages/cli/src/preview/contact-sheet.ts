import { createRng, DataSplit, deriveSeed, gatherSamples, ModalitySpec, MultimodalDataset, sampleSize, UserInputError } from '@mmfuse/core';
import { applyFailureToBatch } from '@mmfuse/failures';
import { drawText, textHeight, textWidth } from './bitmap-font';
import { ContactSheetOptions, resolveContactSheetOptions, ResolvedContactSheetOptions } from './contact-sheet-options';
import { Rgb, RgbaCanvas } from './rgba-canvas';
import { BACKGROUND, CHANNEL_COLOURS, FRAME_LINE, LABEL_GAP, LABEL_TEXT, LEGEND_ENTRY_GAP, LINE_GAP, MARGIN, MAX_PLOTTED_CHANNELS, MIN_FRAME_SIDE, PLOT_HEIGHT, ROW_GAP, SECTION_GAP, SWATCH_GAP, TEXT, TEXT_SCALE, TILE_GAP, TITLE_GAP, ZERO_LINE } from './contact-sheet-style';

/** Where one modality is drawn inside a tile: its content box, relative to the tile's origin (the frame line lies just outside). */
export interface ContactSheetSection {
  readonly modality: string;
  readonly kind: 'image' | 'series';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Pixels per data pixel (images only). */
  readonly scale: number;
  /** Indices of the channels plotted (series only), in the order of CHANNEL_COLOURS. */
  readonly channels: readonly number[];
}

export interface ContactSheetLayout {
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly tileGap: number;
  readonly rowHeight: number;
  /** Tiles in each row (rows can be shorter than `samples` when fewer samples qualify). */
  readonly columns: readonly number[];
  readonly sections: readonly ContactSheetSection[];
  /** Top-left corner of a tile on the sheet. */
  tileOrigin(row: number, column: number): { x: number; y: number };
}

export interface ContactSheet {
  readonly width: number;
  readonly height: number;
  /** Row-major RGBA, 4 bytes a pixel, fully opaque. */
  readonly rgba: Uint8Array;
  /** Row titles, top to bottom. */
  readonly rows: string[];
  readonly layout: ContactSheetLayout;
}


/** One titled strip: per tile, the sample of each shown modality. */
interface SheetRow {
  readonly title: string;
  readonly tiles: ReadonlyArray<Readonly<Record<string, Float32Array>>>;
}

/** `count` items spread evenly over `items`, each from the middle of its share. */
function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  const k = Math.min(count, items.length);
  return Array.from({ length: k }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / k)]);
}

/** A copy of one sample, from memory or from a sample store alike. */
function sampleOf(split: DataSplit, spec: ModalitySpec, index: number): Float32Array {
  const samples = split.arrays[spec.name];
  if (!samples) throw new UserInputError(`modality "${spec.name}": the split has no samples of it`);
  return gatherSamples(samples, sampleSize(spec), [index], 0, 1);
}

function tilesOf(split: DataSplit, shown: readonly ModalitySpec[], indices: readonly number[]): Array<Record<string, Float32Array>> {
  return indices.map((index) => Object.fromEntries(shown.map((spec) => [spec.name, sampleOf(split, spec, index)])));
}

function failureLabelNames(dataset: MultimodalDataset): readonly unknown[] {
  const labels = (dataset.description as { labels?: { failure?: unknown } } | undefined)?.labels?.failure;
  return Array.isArray(labels) ? labels : [];
}

function buildRows(dataset: MultimodalDataset, shown: readonly ModalitySpec[], options: ResolvedContactSheetOptions): SheetRow[] {
  const splitName = options.split ?? (dataset.test.size > 0 ? 'test' : 'train');
  const split = dataset[splitName];
  if (split.size === 0) throw new UserInputError(`split: the ${splitName} split is empty; nothing to preview`);
  const all = Array.from({ length: split.size }, (_, i) => i);
  const labels = split.labels?.failure;
  const clean = labels ? all.filter((i) => labels[i] === 0) : all;
  const basis = evenlySpaced(clean.length > 0 ? clean : all, options.samples);
  const rows: SheetRow[] = [{ title: clean.length > 0 ? 'clean' : 'all samples (none is clean)', tiles: tilesOf(split, shown, basis) }];

  if (labels) {
    const names = failureLabelNames(dataset);
    const present = [...new Set(Array.from(labels))].filter((label) => label !== 0).sort((a, b) => a - b);
    for (const label of present) {
      const name = typeof names[label] === 'string' ? (names[label] as string) : `label ${label}`;
      const indices = evenlySpaced(all.filter((i) => labels[i] === label), options.samples);
      rows.push({ title: `process failure: ${name}`, tiles: tilesOf(split, shown, indices) });
    }
  }

  for (const failure of options.failures) {
    const targets = shown.filter((spec) => spec.kind === failure.target);
    if (targets.length === 0) {
      if (options.failuresNamed) throw new UserInputError(`failures: "${failure.type}" corrupts ${failure.target} samples, and this dataset has no ${failure.target} modality`);
      continue;
    }
    const tiles = tilesOf(split, shown, basis);
    for (const spec of targets) {
      // The failure sees the whole row as one batch, so each row is reproducible from the seed alone.
      const size = sampleSize(spec);
      const batch = new Float32Array(tiles.length * size);
      tiles.forEach((tile, t) => batch.set(tile[spec.name], t * size));
      applyFailureToBatch(batch, tiles.length, spec.shape, failure, options.severity, createRng(deriveSeed(options.seed, 'preview', failure.type, spec.name)));
      tiles.forEach((tile, t) => (tile[spec.name] = batch.slice(t * size, (t + 1) * size)));
    }
    rows.push({ title: `failure: ${failure.type} (severity ${options.severity})`, tiles });
  }
  return rows;
}

/** Up to six channels, evenly spread, so wide series (radio subcarriers) still show their extremes. */
function plottedChannels(channelCount: number): number[] {
  if (channelCount <= MAX_PLOTTED_CHANNELS) return Array.from({ length: channelCount }, (_, c) => c);
  return Array.from({ length: MAX_PLOTTED_CHANNELS }, (_, i) => Math.round((i * (channelCount - 1)) / (MAX_PLOTTED_CHANNELS - 1)));
}

function channelNames(dataset: MultimodalDataset, spec: ModalitySpec, series: readonly ModalitySpec[]): string[] {
  const channels = spec.shape[1];
  const named = (dataset.description as { sensorChannels?: unknown } | undefined)?.sensorChannels;
  // The description names one modality's channels; it belongs to the first series with that many.
  const owner = Array.isArray(named) ? series.find((s) => s.shape[1] === named.length) : undefined;
  if (owner === spec && Array.isArray(named)) return named.map(String);
  return Array.from({ length: channels }, (_, c) => `ch ${c}`);
}

/** Value range shared by a row's plots of one modality (so tiles of a row compare), always including zero. */
function seriesRange(row: SheetRow, spec: ModalitySpec, channels: readonly number[]): [number, number] {
  const n = spec.shape[1];
  let lo = 0;
  let hi = 0;
  for (const tile of row.tiles) {
    const values = tile[spec.name];
    for (let i = 0; i < values.length; i++) {
      if (!channels.includes(i % n) || !Number.isFinite(values[i])) continue;
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
  }
  if (hi - lo < 1e-6) return [lo - 1, hi + 1];
  return [lo, hi];
}

function formatBound(value: number): string {
  return Math.abs(value) >= 10 ? value.toFixed(0) : value.toFixed(1);
}

function rangeLabel([lo, hi]: [number, number]): string {
  return `${formatBound(lo)}..${formatBound(hi)}`;
}

function imageScale(spec: ModalitySpec): number {
  return Math.max(1, Math.ceil(MIN_FRAME_SIDE / Math.min(spec.shape[0], spec.shape[1])));
}

function tileSections(shown: readonly ModalitySpec[]): { sections: ContactSheetSection[]; tileWidth: number; tileHeight: number } {
  const contentWidth = Math.max(MIN_FRAME_SIDE, ...shown.filter((s) => s.kind === 'image').map((s) => s.shape[1] * imageScale(s)));
  const tileWidth = contentWidth + 2;
  const sections: ContactSheetSection[] = [];
  // Content starts one pixel in, leaving room for the frame line around it.
  let y = 1;
  for (const spec of shown) {
    if (spec.kind === 'image') {
      const scale = imageScale(spec);
      const width = spec.shape[1] * scale;
      const height = spec.shape[0] * scale;
      sections.push({ modality: spec.name, kind: 'image', x: 1 + Math.floor((contentWidth - width) / 2), y, width, height, scale, channels: [] });
      y += height;
    } else {
      sections.push({ modality: spec.name, kind: 'series', x: 1, y, width: contentWidth, height: PLOT_HEIGHT, scale: 1, channels: plottedChannels(spec.shape[1]) });
      y += PLOT_HEIGHT;
    }
    y += 2 + SECTION_GAP;
  }
  return { sections, tileWidth, tileHeight: y - SECTION_GAP - 1 };
}

function drawImage(canvas: RgbaCanvas, values: Float32Array, spec: ModalitySpec, x: number, y: number, scale: number): void {
  const [height, width, channels] = spec.shape;
  const byte = (v: number) => Math.round((v > 0 ? (v < 1 ? v : 1) : 0) * 255);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const base = (r * width + c) * channels;
      const colour: Rgb = channels >= 3 ? [byte(values[base]), byte(values[base + 1]), byte(values[base + 2])] : [byte(values[base]), byte(values[base]), byte(values[base])];
      canvas.fillRect(x + c * scale, y + r * scale, scale, scale, colour);
    }
  }
}

function drawSeries(canvas: RgbaCanvas, values: Float32Array, spec: ModalitySpec, box: { x: number; y: number; width: number; height: number }, channels: readonly number[], [lo, hi]: [number, number]): void {
  const [steps, n] = spec.shape;
  const xOf = (t: number) => box.x + (steps > 1 ? Math.round((t * (box.width - 1)) / (steps - 1)) : Math.floor(box.width / 2));
  const yOf = (v: number) => box.y + Math.round(((hi - v) / (hi - lo)) * (box.height - 1));
  const zero = yOf(0);
  canvas.line(box.x, zero, box.x + box.width - 1, zero, ZERO_LINE);
  channels.forEach((channel, i) => {
    const colour = CHANNEL_COLOURS[i];
    if (steps === 1) {
      const v = values[channel];
      if (Number.isFinite(v)) canvas.line(xOf(0) - 2, yOf(v), xOf(0) + 2, yOf(v), colour);
      return;
    }
    for (let t = 1; t < steps; t++) {
      const a = values[(t - 1) * n + channel];
      const b = values[t * n + channel];
      if (Number.isFinite(a) && Number.isFinite(b)) canvas.line(xOf(t - 1), yOf(a), xOf(t), yOf(b), colour);
    }
  });
}

interface LegendLine {
  readonly prefix?: string;
  readonly entries: ReadonlyArray<{ readonly name: string; readonly colour: Rgb }>;
}

function legendEntryWidth(name: string): number {
  return textHeight(TEXT_SCALE) + SWATCH_GAP + textWidth(name, TEXT_SCALE);
}

/** Legend lines naming each plotted channel by colour, wrapped to `width`; entries start `indent` in. */
function legendLines(dataset: MultimodalDataset, series: readonly ModalitySpec[], sections: readonly ContactSheetSection[], width: number, indent: number): LegendLine[] {
  const lines: LegendLine[] = [];
  for (const spec of series) {
    const names = channelNames(dataset, spec, series);
    const section = sections.find((s) => s.modality === spec.name)!;
    let prefix: string | undefined = `${spec.name}:`;
    let entries: Array<{ name: string; colour: Rgb }> = [];
    let used = indent;
    section.channels.forEach((channel, i) => {
      const entry = { name: names[channel], colour: CHANNEL_COLOURS[i] };
      const needed = legendEntryWidth(entry.name) + LEGEND_ENTRY_GAP;
      if (entries.length > 0 && used + needed - LEGEND_ENTRY_GAP > width) {
        lines.push({ prefix, entries });
        prefix = undefined;
        entries = [];
        used = indent;
      }
      entries.push(entry);
      used += needed;
    });
    lines.push({ prefix, entries });
  }
  return lines;
}

/**
 * Draws a contact sheet of a dataset: one titled row of evenly spaced samples per condition
 * (clean, each process failure the labels mark, each library failure applied to the clean
 * samples). A tile shows each image modality upscaled by nearest neighbour and, under it, a line
 * plot per series modality; the same options and seed always give the same pixels.
 */
export function renderContactSheet(dataset: MultimodalDataset, options: ContactSheetOptions = {}): ContactSheet {
  const resolved = resolveContactSheetOptions(options);
  const shown = dataset.modalities.filter((spec) => spec.kind === 'image' || spec.kind === 'series');
  if (shown.length === 0) throw new UserInputError('the dataset has no image or series modality to preview');
  const series = shown.filter((spec) => spec.kind === 'series');
  const rows = buildRows(dataset, shown, resolved);
  const { sections, tileWidth, tileHeight } = tileSections(shown);
  const ranges = rows.map((row) => Object.fromEntries(sections.filter((s) => s.kind === 'series').map((s) => [s.modality, seriesRange(row, shown.find((spec) => spec.name === s.modality)!, s.channels)])));

  const lineHeight = textHeight(TEXT_SCALE) + LINE_GAP;
  const labelWidth =
    Math.max(
      ...shown.map((spec) => textWidth(spec.name, TEXT_SCALE)),
      ...ranges.flatMap((byModality) => Object.values(byModality).map((range) => textWidth(rangeLabel(range), TEXT_SCALE))),
    ) + LABEL_GAP;
  const columns = rows.map((row) => row.tiles.length);
  const mostColumns = Math.max(...columns);
  const gridWidth = labelWidth + mostColumns * tileWidth + (mostColumns - 1) * TILE_GAP;
  const legendIndent = Math.max(0, ...series.map((spec) => textWidth(`${spec.name}:`, TEXT_SCALE))) + LEGEND_ENTRY_GAP;
  const widestLegendEntry = Math.max(
    0,
    ...series.map((spec) => {
      const names = channelNames(dataset, spec, series);
      return legendIndent + Math.max(...sections.find((s) => s.modality === spec.name)!.channels.map((c) => legendEntryWidth(names[c])));
    }),
  );
  const contentWidth = Math.max(gridWidth, ...rows.map((row) => textWidth(row.title, TEXT_SCALE)), widestLegendEntry);
  const legend = legendLines(dataset, series, sections, contentWidth, legendIndent);
  const top = MARGIN + (legend.length > 0 ? legend.length * lineHeight + ROW_GAP - LINE_GAP : 0);
  const titleHeight = textHeight(TEXT_SCALE) + TITLE_GAP;
  const rowHeight = titleHeight + tileHeight + ROW_GAP;
  const width = contentWidth + 2 * MARGIN;
  const height = top + rows.length * rowHeight - ROW_GAP + MARGIN;
  const tileOrigin = (row: number, column: number) => ({ x: MARGIN + labelWidth + column * (tileWidth + TILE_GAP), y: top + row * rowHeight + titleHeight });

  const canvas = new RgbaCanvas(width, height, BACKGROUND);
  legend.forEach((line, i) => {
    const y = MARGIN + i * lineHeight;
    if (line.prefix) drawText(canvas, line.prefix, MARGIN, y, TEXT_SCALE, TEXT);
    let x = MARGIN + legendIndent;
    for (const entry of line.entries) {
      canvas.fillRect(x, y, textHeight(TEXT_SCALE), textHeight(TEXT_SCALE), entry.colour);
      drawText(canvas, entry.name, x + textHeight(TEXT_SCALE) + SWATCH_GAP, y, TEXT_SCALE, TEXT);
      x += legendEntryWidth(entry.name) + LEGEND_ENTRY_GAP;
    }
  });

  rows.forEach((row, r) => {
    const rowTop = top + r * rowHeight;
    drawText(canvas, row.title, MARGIN, rowTop, TEXT_SCALE, TEXT);
    const tilesTop = rowTop + titleHeight;
    for (const section of sections) {
      drawText(canvas, section.modality, MARGIN, tilesTop + section.y, TEXT_SCALE, LABEL_TEXT);
      if (section.kind === 'series') drawText(canvas, rangeLabel(ranges[r][section.modality]), MARGIN, tilesTop + section.y + lineHeight, TEXT_SCALE, LABEL_TEXT);
    }
    row.tiles.forEach((tile, column) => {
      const origin = tileOrigin(r, column);
      for (const section of sections) {
        const spec = shown.find((s) => s.name === section.modality)!;
        const box = { x: origin.x + section.x, y: origin.y + section.y, width: section.width, height: section.height };
        canvas.strokeRect(box.x - 1, box.y - 1, box.width + 2, box.height + 2, FRAME_LINE);
        if (section.kind === 'image') drawImage(canvas, tile[spec.name], spec, box.x, box.y, section.scale);
        else drawSeries(canvas, tile[spec.name], spec, box, section.channels, ranges[r][spec.name]);
      }
    });
  });

  return {
    width,
    height,
    rgba: canvas.rgba,
    rows: rows.map((row) => row.title),
    layout: { tileWidth, tileHeight, tileGap: TILE_GAP, rowHeight, columns, sections, tileOrigin },
  };
}
