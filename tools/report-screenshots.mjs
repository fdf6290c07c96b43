// Screenshots of a report page, one PNG per top-level section, in headless Chromium:
//   node tools/report-screenshots.mjs <report/index.html> <out-dir> [--width 1440]
// docs/results/report/ holds the quickstart report's, taken this way.
import { mkdirSync } from 'fs';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const [html, out, ...rest] = process.argv.slice(2);
if (!html || !out) {
  console.error('usage: node tools/report-screenshots.mjs <report/index.html> <out-dir> [--width 1440]');
  process.exit(2);
}
const width = rest[0] === '--width' ? Number(rest[1]) : 1440;
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.MMFUSE_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: 'load' });
  await page.screenshot({ path: join(out, '00-header.png'), clip: { x: 0, y: 0, width, height: await page.$eval('nav', (n) => n.getBoundingClientRect().bottom) } });
  const ids = await page.$$eval('main > section', (sections) => sections.map((s) => s.id));
  for (const [i, id] of ids.entries()) {
    const file = join(out, `${String(i + 1).padStart(2, '0')}-${id}.png`);
    await page.locator(`main > section#${id}`).screenshot({ path: file });
    console.log(file);
  }
} finally {
  await browser.close();
}
