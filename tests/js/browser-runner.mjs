// Runs the JS suites in headless Chromium against the built package's browser entry: a static
// server for the page and the package, the emulator on another port (cross-origin, with CORS).
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startEmulator } from '../emulator/server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.tsv': 'text/plain' };
const server = http.createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
  if (!/^(pkg|tests\/js|catalog)\//.test(path)) return res.writeHead(404).end();
  try {
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(await readFile(root + path));
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const emu = await startEmulator();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let result;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/js/browser.html?emu=${encodeURIComponent(emu.url)}&suites=${encodeURIComponent(process.env.SUITES ?? '')}`);
  await page.waitForFunction(() => window.__results || document.getElementById('out').textContent.includes('Error'), null, { timeout: 180000 }).catch(() => {});
  result = await page.evaluate(() => window.__results);
  if (!result) result = { passed: 0, failed: 1, skipped: 0, lines: [`not ok - the page did not finish: ${errors.join('; ') || await page.textContent('#out')}`] };
} finally {
  await browser.close();
  await emu.close();
  server.close();
}
console.log(result.lines.filter((l) => !l.startsWith('browser:')).join('\n'));
console.log(`browser: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
process.exit(result.failed ? 1 : 0);
