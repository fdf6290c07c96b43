import { importEsm } from '@mmfuse/core';
import type { FigureSpec, VegaLiteSpec } from './figure-spec';

type Vega = typeof import('vega');

/** The part of vega-lite used here (its types do not resolve under this workspace's `node` module resolution). */
interface VegaLite {
  compile(spec: unknown, options?: { logger?: unknown }): { spec: unknown };
}

let modules: Promise<{ vega: Vega; vegaLite: VegaLite }> | undefined;

/** vega and vega-lite are ES modules only: loaded once, on first use. */
function loadVega(): Promise<{ vega: Vega; vegaLite: VegaLite }> {
  // One after the other: they share modules, and jest's ES module linker fails on concurrent loads of a shared one.
  modules ??= (async () => {
    const vega = await importEsm<Vega>('vega', __filename);
    const vegaLite = await importEsm<VegaLite>('vega-lite', __filename);
    return { vega, vegaLite };
  })();
  return modules;
}

/** A vega logger that keeps warnings and errors for the caller instead of printing them. */
function collectingLogger(messages: string[]) {
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger = {
    level: (value?: number) => (value === undefined ? 2 : logger),
    error: (...args: unknown[]) => (messages.push(`error: ${text(args)}`), logger),
    warn: (...args: unknown[]) => (messages.push(text(args)), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/** The Vega spec vega-lite compiles a figure's spec to; its warnings go to `warnings` when given. */
export async function compileFigure(spec: VegaLiteSpec, warnings: string[] = []): Promise<Record<string, unknown>> {
  const { vegaLite } = await loadVega();
  return vegaLite.compile(spec, { logger: collectingLogger(warnings) }).spec as Record<string, unknown>;
}

/**
 * Gives every id in an SVG (clip paths, gradients) a figure-specific prefix: vega numbers them from 1
 * in every view, and several SVGs inlined in one page would otherwise clip with each other's paths.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  const scoped = (id: string) => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_m, head: string, id: string) => `${head}${scoped(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${scoped(id)})`)
    .replace(/(href=")#([^"]+)"/g, (_m, head: string, id: string) => `${head}#${scoped(id)}"`);
}

/** SVG text of a figure, rendered headless (no canvas, no DOM); vega's warnings go to `warnings` when given. */
export async function renderSvg(figure: FigureSpec, warnings: string[] = []): Promise<string> {
  const { vega } = await loadVega();
  const compiled = await compileFigure(figure.spec, warnings);
  const view = new vega.View(vega.parse(compiled as never), { renderer: 'none', logger: collectingLogger(warnings) as never });
  try {
    const svg = await view.toSVG();
    // Pixel images (reconstructions) stay sharp when scaled up, in browsers and in resvg.
    return scopeSvgIds(svg, figure.name).replace(/<image /g, '<image image-rendering="optimizeSpeed" style="image-rendering: pixelated" ');
  } finally {
    view.finalize();
  }
}

/** PNG of an SVG at twice its size, text set with the system's fonts. */
type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | Error | undefined;

/**
 * resvg is a native addon shipped as a per-platform optional package; an install without optional
 * packages lacks it. Loaded on first use, so everything but the PNG files works without it.
 */
function loadResvg(): ResvgModule | Error {
  if (resvg === undefined) {
    try {
      resvg = require('@resvg/resvg-js') as ResvgModule;
    } catch (error) {
      resvg = new Error(`PNG files need @resvg/resvg-js with its native binding for this platform (${(error as Error).message.split('\n')[0]})`);
    }
  }
  return resvg;
}

/** The SVG rasterised at `zoom` (resvg), or the reason it cannot be here. */
export function svgToPng(svg: string, zoom = 2): Buffer | Error {
  const module = loadResvg();
  if (module instanceof Error) return module;
  return new module.Resvg(svg, pngOptions(zoom)).render().asPng();
}

/** Twice the SVG's size by default, text set with the system's fonts. */
function pngOptions(zoom: number) {
  return { fitTo: { mode: 'zoom' as const, value: zoom }, font: { loadSystemFonts: true } };
}

/**
 * `svgToPng` on libuv's thread pool: rasterising (the dear part of a report) overlaps the next
 * figures' layout and uses another core.
 */
export async function svgToPngAsync(svg: string, zoom = 2): Promise<Buffer | Error> {
  const module = loadResvg();
  if (module instanceof Error) return module;
  try {
    const image = await module.renderAsync(svg, pngOptions(zoom));
    return image.asPng();
  } catch (error) {
    // Still pending while later figures are laid out: a failure is the PNG's note, never an unhandled rejection.
    return new Error(`PNG not rendered: ${(error as Error).message}`);
  }
}

export interface RenderedFigure {
  svg: string;
  /** The PNG, or why it could not be made here. */
  png: Buffer | Error;
  /** What vega-lite and vega warned about while compiling and rendering (empty for a clean spec). */
  warnings: string[];
}

export async function renderFigure(figure: FigureSpec): Promise<RenderedFigure> {
  const warnings: string[] = [];
  const svg = await renderSvg(figure, warnings);
  return { svg, png: svgToPng(svg), warnings };
}
