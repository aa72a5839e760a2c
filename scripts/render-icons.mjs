#!/usr/bin/env node
// Renders web/public/icon.svg into the PNG icons the web app manifest needs (192 and 512 px),
// with Debian's Chromium. Run after changing the SVG: node scripts/render-icons.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const svg = readFileSync(`${root}web/public/icon.svg`, 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
for (const size of [192, 512]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
  await page.screenshot({ path: `${root}web/public/icon-${size}.png`, omitBackground: true });
  await page.close();
}
await browser.close();
console.log('wrote web/public/icon-192.png and icon-512.png');
