// Colours and spacing of a contact sheet.
import type { Rgb } from './rgba-canvas';

/** Plot colours of the first six channels of a series (distinct on white and from the grey lines). */
export const CHANNEL_COLOURS: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
];
export const BACKGROUND: Rgb = [255, 255, 255];
export const FRAME_LINE: Rgb = [170, 170, 170];
export const ZERO_LINE: Rgb = [220, 220, 220];
export const TEXT: Rgb = [20, 20, 20];
/** Modality names and plot ranges are lighter than row titles, so a title reads as the start of its row. */
export const LABEL_TEXT: Rgb = [110, 110, 110];


export const TEXT_SCALE = 2;
export const MARGIN = 12;
export const TILE_GAP = 8;
export const ROW_GAP = 16;
export const TITLE_GAP = 8;
export const SECTION_GAP = 6;
export const LABEL_GAP = 10;
export const LINE_GAP = 6;
export const SWATCH_GAP = 6;
export const LEGEND_ENTRY_GAP = 18;
export const MIN_FRAME_SIDE = 96;
export const PLOT_HEIGHT = 64;
export const MAX_PLOTTED_CHANNELS = CHANNEL_COLOURS.length;
