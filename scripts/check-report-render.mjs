#!/usr/bin/env node
// Renders an HTML report in headless Chromium (A4 width) to a PNG and a PDF, and
// checks that nothing overflows the page horizontally.
// Usage: node scripts/check-report-render.mjs REPORT.html [OUT_PREFIX]
// Exit: 0 fine, 1 overflow, 2 no Chromium or bad input.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [, , input, outPrefix] = process.argv;
if (!input || !existsSync(input)) {
  console.error('usage: node scripts/check-report-render.mjs REPORT.html [OUT_PREFIX]');
  process.exit(2);
}
export function findChromium() {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (c && existsSync(c)) return c;
  return undefined;
}
const chromium = findChromium();
if (!chromium) {
  console.error('no Chromium found (apt-get install -y chromium, or set CHROMIUM)');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'waymark-render-'));
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${join(work, 'profile')}`];
const A4 = '--window-size=794,1123';
const file = resolve(input);
const prefix = resolve(outPrefix ?? file.replace(/\.html?$/, ''));
const run = (args) => execFileSync(chromium, [...flags, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });

run([A4, `--screenshot=${prefix}.png`, `file://${file}`]);
run([`--print-to-pdf=${prefix}.pdf`, '--no-pdf-header-footer', `file://${file}`]);

// A copy with a probe script: it measures overflow after layout and writes the verdict into the DOM.
const probe = `<script>addEventListener('load', () => {
  const doc = document.documentElement, vw = innerWidth;
  const wide = [...document.querySelectorAll('table, pre, h1, h2, p')].filter((e) => e.getBoundingClientRect().right > vw + 1).map((e) => e.tagName + ':' + (e.textContent || '').slice(0, 40));
  document.body.setAttribute('data-overflow', JSON.stringify({ scrollWidth: doc.scrollWidth, viewport: vw, wide }));
});</script>`;
const probed = join(work, 'probe.html');
writeFileSync(probed, readFileSync(file, 'utf8').replace('</body>', `${probe}</body>`));
const dom = run([A4, '--dump-dom', `file://${probed}`]);
const m = /data-overflow="([^"]*)"/.exec(dom);
if (!m) {
  console.error('could not measure the layout');
  process.exit(2);
}
const r = JSON.parse(m[1].replace(/&quot;/g, '"'));
const ok = r.scrollWidth <= r.viewport && r.wide.length === 0;
console.log(`${ok ? 'ok' : 'OVERFLOW'}: page ${r.scrollWidth}px wide in a ${r.viewport}px A4 viewport${r.wide.length ? `; too wide: ${r.wide.join(', ')}` : ''}`);
console.log(`${prefix}.png\n${prefix}.pdf`);
process.exit(ok ? 0 : 1);
