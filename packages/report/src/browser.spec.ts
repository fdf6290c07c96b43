import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pathToFileURL } from 'url';
import { chromium } from 'playwright-core';
import { buildReport } from './index';
import { writeRunFolder, writeSweepFolder } from './testing/fixtures';
import { colouredPixels, readPng } from './testing/png';

const CHROMIUM = process.env.MMFUSE_CHROMIUM || '/usr/bin/chromium';

function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the report's browser test opens the page in headless Chromium. ` +
        'Install it (Debian/Ubuntu: `apt-get install chromium`) or set MMFUSE_CHROMIUM to the path of a Chromium or Chrome executable.',
    );
  }
  return CHROMIUM;
}

interface PageCheck {
  svgs: Array<{ width: number; height: number; id: string }>;
  /** A screenshot of each top-level section, by id. */
  sections: Array<{ id: string; png: Buffer }>;
  problems: string[];
  requests: string[];
}

/** Opens a report page offline and collects every SVG's size, console errors, page errors and requested URLs. */
async function openReport(html: string, screenshot: string, figureSvgs: string[]): Promise<PageCheck & { parseErrors: string[]; viewport: number }> {
  const browser = await chromium.launch({ executablePath: requireChromium(), args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    const svgs = await page.$$eval('svg', (elements) =>
      elements.map((e) => {
        const box = e.getBoundingClientRect();
        return { width: box.width, height: box.height, id: e.closest('figure')?.id ?? '' };
      }),
    );
    const sections: Array<{ id: string; png: Buffer }> = [];
    for (const id of await page.$$eval('main > section', (all) => all.map((s) => s.id))) {
      sections.push({ id, png: await page.locator(`main > section#${id}`).screenshot() });
    }
    // The written SVG files, parsed by the browser's XML parser.
    const parseErrors = await page.evaluate((texts: string[]) => {
      type Parser = new () => { parseFromString(text: string, type: string): { querySelector(selector: string): { textContent: string | null } | null } };
      const DomParser = (globalThis as unknown as { DOMParser: Parser }).DOMParser;
      return texts.map((t) => new DomParser().parseFromString(t, 'image/svg+xml').querySelector('parsererror')?.textContent ?? '').filter((e) => e !== '');
    }, figureSvgs);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { svgs, sections, problems, requests, parseErrors, viewport: 1400 };
  } finally {
    await browser.close();
  }
}

describe('report page in a browser', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mmfuse-report-browser-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds Chromium (set MMFUSE_CHROMIUM or install chromium)', () => {
    expect(() => requireChromium()).not.toThrow();
  });

  it.each([
    ['run folder', (dir: string) => writeRunFolder(dir)],
    ['sweep folder', (dir: string) => writeSweepFolder(dir)],
  ])('draws every figure of a %s with a size, without errors, offline', async (_kind, write) => {
    const dir = write(join(root, _kind.replace(' ', '-')));
    const report = await buildReport(dir);
    const screenshot = join(dir, 'report', 'screenshot.png');
    const check = await openReport(
      report.html,
      screenshot,
      report.figures.map((f) => readFileSync(f.svg, 'utf8')),
    );

    expect(check.problems).toEqual([]);
    expect(check.parseErrors).toEqual([]);
    expect(check.svgs).toHaveLength(report.figures.length);
    for (const box of check.svgs) {
      expect(box.width).toBeGreaterThan(50);
      expect(box.height).toBeGreaterThan(50);
    }
    // Nothing but the page itself and inline data.
    expect(check.requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);

    expect(statSync(screenshot).size).toBeGreaterThan(10000);
    const png = readPng(readFileSync(screenshot));
    expect(png.width).toBe(1400);
    expect(png.height).toBeGreaterThan(900);
    expect(colouredPixels(png)).toBeGreaterThan(10000);

    // Each section drawn, screenshot by screenshot: the width of the page, and more than text.
    expect(check.sections.length).toBeGreaterThan(2);
    for (const section of check.sections) {
      const shot = readPng(section.png);
      expect({ id: section.id, wide: shot.width >= 1000 }).toEqual({ id: section.id, wide: true });
      expect({ id: section.id, drawn: colouredPixels(shot) > 0 || shot.height < 200 }).toEqual({ id: section.id, drawn: true });
    }
    // Figures use the page (a wide screen) and never overflow it.
    for (const box of check.svgs) expect({ id: box.id, fits: box.width <= check.viewport }).toEqual({ id: box.id, fits: true });
    const widest = Math.max(...check.svgs.map((b) => b.width));
    expect(widest).toBeGreaterThan(0.6 * check.viewport);
  }, 60000);
});
