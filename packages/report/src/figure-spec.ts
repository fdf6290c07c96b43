/** A Vega-Lite specification as plain JSON; vega-lite checks it when compiling. */
export type VegaLiteSpec = Record<string, unknown>;

/** One figure of a report: a file name (without extension), a title, a caption and its Vega-Lite spec. */
export interface FigureSpec {
  name: string;
  title: string;
  caption: string;
  spec: VegaLiteSpec;
}

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Fonts that exist on most systems, so the SVG, the PNG (resvg) and the page measure alike. */
export const FONT = 'Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif';

const BASE_CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: '#eee' },
  header: { labelFontSize: 11, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' },
};

/** A top-level spec with the shared look: schema, padding, fonts. */
export function topLevel(spec: VegaLiteSpec): VegaLiteSpec {
  return { $schema: VEGA_LITE_SCHEMA, padding: 8, ...spec, config: { ...BASE_CONFIG, ...((spec.config as object | undefined) ?? {}) } };
}

/** Legend symbols of line figures drawn as opaque strokes: the band layer's fill opacity would otherwise pale them. */
export const LINE_LEGEND = { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2.5 };

/** Width in pixels the report's figures are laid out for (a wide screen; the page scales them down on a narrow one). */
export const PAGE_WIDTH = 1280;

/** Width of each of `columns` facet panels so that the row fills the page (legend and axes aside). */
export function panelWidth(columns: number, min = 160, max = 420): number {
  return Math.max(min, Math.min(max, Math.floor((PAGE_WIDTH - 200) / Math.max(1, columns)) - 40));
}

/** Log axes: only powers of ten once the data span a few decades (a denser grid hides the curves). */
export const LOG_AXIS = { tickCount: 4 };

/** The same colour for a set-up in every figure of a report. */
export function setupColor(setups: readonly string[]): VegaLiteSpec {
  return { field: 'setup', type: 'nominal', title: 'set-up', sort: [...setups], scale: { domain: [...setups], scheme: 'tableau10' }, legend: LINE_LEGEND };
}

/** A mean line and a mean ± std band, for use inside a facet's `spec`. */
export function bandAndLine(x: VegaLiteSpec, yTitle: string, color: VegaLiteSpec, options: { log?: boolean; points?: boolean } = {}): VegaLiteSpec[] {
  const scale = options.log ? { type: 'log' } : { zero: false };
  const axis = options.log ? LOG_AXIS : {};
  return [
    { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'lower', type: 'quantitative', title: yTitle, scale, axis }, y2: { field: 'upper' }, color } },
    {
      mark: { type: 'line', strokeWidth: 2, point: options.points ? { size: 18 } : false },
      encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale, axis }, color },
    },
  ];
}
