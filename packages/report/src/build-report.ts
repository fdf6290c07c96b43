import { mkdirSync } from 'fs';
import { writeFileAtomic } from '@mmfuse/core';
import { dirname, join, relative, resolve } from 'path';
import { InlineFigure, reportHtml } from './html';
import type { FigureSpec } from './figure-spec';
import { renderSvg, svgToPngAsync } from './render';
import { LossAxis, ReportSection, reportContent } from './report-content';
import { ReportTable, tableCsv, tableLatex } from './tables';

export interface BuildReportOptions {
  /** Where the report goes: a folder (gets index.html and figures/) or an .html file (figures/ beside it). Default `<dir>/report`. */
  out?: string;
  /** Loss curves' y axes: log where values span a decade or more (`auto`, the default), or always `log` or `linear`. */
  lossAxis?: LossAxis;
}

export interface BuiltFigure {
  name: string;
  title: string;
  /** Absolute paths of the written files (no PNG when resvg's native binding is missing; see `notes`). */
  svg: string;
  png?: string;
  /** vega-lite's and vega's warnings about the figure's spec, if any. */
  warnings: string[];
}

export interface BuiltReport {
  /** Absolute path of the page. */
  html: string;
  figures: BuiltFigure[];
  /** What could not be written, and why (e.g. PNG files without resvg). */
  notes: string[];
}

function outputPaths(dir: string, out: string | undefined): { html: string; figures: string } {
  const target = resolve(out ?? join(dir, 'report'));
  const html = target.toLowerCase().endsWith('.html') ? target : join(target, 'index.html');
  return { html, figures: join(dirname(html), 'figures') };
}

/**
 * Writes the report of a run folder or a sweep folder: a self-contained HTML page (figures inline
 * as SVG) and every figure as `figures/<name>.svg` and `.png`.
 */
export async function buildReport(dir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  const content = reportContent(dir, options.lossAxis);
  const paths = outputPaths(content.dir, options.out);
  mkdirSync(paths.figures, { recursive: true });
  const inline: InlineFigure[] = [];
  const figures: BuiltFigure[] = [];
  const notes = new Set<string>();
  // Every figure laid out first, its PNG rasterised meanwhile on the thread pool.
  const rendered: Array<{ figure: FigureSpec; svg: string; warnings: string[]; png: Promise<Buffer | Error> }> = [];
  for (const figure of content.figures) {
    const warnings: string[] = [];
    const svg = await renderSvg(figure, warnings);
    rendered.push({ figure, svg, warnings, png: svgToPngAsync(svg) });
  }
  for (const { figure, svg, warnings, png: pending } of rendered) {
    const png = await pending;
    const svgFile = join(paths.figures, `${figure.name}.svg`);
    const pngFile = join(paths.figures, `${figure.name}.png`);
    writeFileAtomic(svgFile, svg);
    if (png instanceof Error) notes.add(png.message);
    else writeFileAtomic(pngFile, png);
    const href = (file: string) => relative(dirname(paths.html), file).split('\\').join('/');
    inline.push({ name: figure.name, title: figure.title, caption: figure.caption, svg, svgHref: href(svgFile), pngHref: png instanceof Error ? undefined : href(pngFile) });
    figures.push({ name: figure.name, title: figure.title, svg: svgFile, ...(png instanceof Error ? {} : { png: pngFile }), warnings });
  }
  // Every table also as CSV and LaTeX, for papers and spreadsheets.
  const tablesDir = join(dirname(paths.html), 'tables');
  mkdirSync(tablesDir, { recursive: true });
  const tables: ReportTable[] = [];
  const collect = (s: ReportSection) => {
    tables.push(...s.tables);
    s.subsections.forEach(collect);
  };
  content.sections.forEach(collect);
  for (const table of tables) {
    writeFileAtomic(join(tablesDir, `${table.id}.csv`), tableCsv(table));
    writeFileAtomic(join(tablesDir, `${table.id}.tex`), tableLatex(table));
  }
  const tableHref = (id: string, kind: 'csv' | 'tex') => relative(dirname(paths.html), join(tablesDir, `${id}.${kind}`)).split('\\').join('/');
  writeFileAtomic(paths.html, reportHtml(content, inline, new Date(), tableHref));
  return { html: paths.html, figures, notes: [...notes] };
}
