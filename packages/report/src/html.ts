import type { ReportContent, ReportSection } from './report-content';
import type { ReportTable } from './tables';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS = `
body { font-family: Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f2d3d; color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .6rem; font-size: 1.5rem; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; font-size: .9rem; }
header dt { color: #9fb3c8; }
header dd { margin: 0; overflow-wrap: anywhere; }
nav { padding: .6rem 2rem; background: #eef2f6; font-size: .9rem; }
nav a { margin-right: 1rem; color: #1f4e79; }
main { padding: 0 2rem 2rem; max-width: 1400px; }
section { margin-top: 1.6rem; }
h2 { border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; font-size: 1.25rem; }
h3 { font-size: 1.05rem; }
figure { margin: 1rem 0; padding: .8rem; background: #fff; border: 1px solid #e1e4e8; display: block; max-width: calc(100% - 1.6rem); overflow-x: auto; }
/* Figures are laid out for a 1280 px page and scale down on a narrower one. */
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; margin-top: .5rem; max-width: 60rem; }
figcaption b { color: #222; }
.missing { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem .8rem; margin: .6rem 0; font-size: .9rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; background: #fff; font-size: .88rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; }
td.stat { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
td.best { font-weight: bold; background: #e6f4ea; }
details { margin: .8rem 0; }
summary { cursor: pointer; font-weight: bold; color: #1f4e79; }
pre.config { background: #fff; border: 1px solid #e1e4e8; padding: .8rem; font-size: .8rem; overflow-x: auto; max-height: 40rem; }
th { background: #f3f5f7; }
.note { font-size: .85rem; color: #555; }
a.files { font-size: .8rem; }
`;

function tableHtml(table: ReportTable, tableFiles?: (id: string, kind: 'csv' | 'tex') => string): string {
  const head = table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = table.rows
    .map((row) => {
      const cells = row.map((cell) => {
        const best = cell.best ? ' best' : '';
        if (cell.mean === undefined) return `<td${best ? ' class="best"' : ''}>${escapeHtml(cell.text)}</td>`;
        // The numbers behind the text, for anyone (or any test) reading the page.
        return `<td class="stat${best}" data-mean="${cell.mean}" data-std="${cell.std}" data-n="${cell.n ?? ''}">${escapeHtml(cell.text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const note = table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : '';
  const best = table.rows.some((r) => r.some((c) => c.best)) ? ' Lowest mean of each column highlighted (a ranking, not a significance test: see Claims).' : '';
  const files = tableFiles ? `<p class="note">${best}${best ? ' ' : ''}<a class="files" href="${escapeHtml(tableFiles(table.id, 'csv'))}">CSV</a> · <a class="files" href="${escapeHtml(tableFiles(table.id, 'tex'))}">LaTeX</a></p>` : best ? `<p class="note">${best.trim()}</p>` : '';
  return `<table id="${escapeHtml(table.id)}"><caption>${escapeHtml(table.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>${note}${files}`;
}

export interface InlineFigure {
  name: string;
  title: string;
  caption: string;
  svg: string;
  /** Paths of the figure's files relative to the page. */
  svgHref: string;
  pngHref?: string;
}

function sectionHtml(s: ReportSection, figures: Map<string, InlineFigure>, level: number, tableFiles?: (id: string, kind: 'csv' | 'tex') => string): string {
  // A folded section keeps its title visible (as the summary) and its content one click away.
  const parts = [`<section id="${escapeHtml(s.id)}">`, s.folded ? `<details><summary>${escapeHtml(s.title)}</summary>` : `<h${level}>${escapeHtml(s.title)}</h${level}>`];
  for (const t of s.text) parts.push(`<p>${escapeHtml(t)}</p>`);
  for (const m of s.missing) parts.push(`<p class="missing">${escapeHtml(m)}</p>`);
  if (s.preformatted !== undefined) parts.push(`<pre class="config">${escapeHtml(s.preformatted)}</pre>`);
  for (const t of s.tables) parts.push(tableHtml(t, tableFiles));
  for (const name of s.figures) {
    const f = figures.get(name);
    if (!f) continue;
    parts.push(
      `<figure id="figure-${escapeHtml(f.name)}">${f.svg}<figcaption><b>${escapeHtml(f.title)}.</b> ${escapeHtml(f.caption)} ` +
        `<a class="files" href="${escapeHtml(f.svgHref)}">SVG</a>${f.pngHref ? ` · <a class="files" href="${escapeHtml(f.pngHref)}">PNG</a>` : ''}</figcaption></figure>`,
    );
  }
  for (const sub of s.subsections) parts.push(sectionHtml(sub, figures, Math.min(6, level + 1), tableFiles));
  if (s.folded) parts.push('</details>');
  parts.push('</section>');
  return parts.join('\n');
}

/** A self-contained page: CSS and SVGs inline, no scripts, no external resources. */
export function reportHtml(content: ReportContent, figures: readonly InlineFigure[], generatedAt = new Date(), tableFiles?: (id: string, kind: 'csv' | 'tex') => string): string {
  const byName = new Map(figures.map((f) => [f.name, f]));
  const header = content.header.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const nav = content.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(content.title)}</h1><dl>${header}<dt>report</dt><dd>${escapeHtml(generatedAt.toISOString().slice(0, 16).replace('T', ' '))} UTC, ${figures.length} figure${figures.length === 1 ? '' : 's'}</dd></dl></header>
<nav>${nav}</nav>
<main>
${content.sections.map((s) => sectionHtml(s, byName, 2, tableFiles)).join('\n')}
</main>
</body>
</html>
`;
}
