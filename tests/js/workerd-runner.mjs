// Runs the JS suites in workerd (through Miniflare) against the built package's workerd entry.
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';
import { readFileSync } from 'node:fs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();
const mf = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL('./workerd-worker.mjs', import.meta.url)),
  modulesRoot: root,
  modulesRules: [
    { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
    { type: 'CompiledWasm', include: ['**/*.wasm'] },
  ],
  compatibilityDate: '2025-01-01',
  // WORKERD_COMPAT=1: with nodejs_compat, where the entry takes workerd's synchronous node:crypto.
  ...(process.env.WORKERD_COMPAT ? { compatibilityFlags: ['nodejs_compat'] } : {}),
  bindings: { EMU_URL: emu.url, SUITES: process.env.SUITES ?? '', CATALOG_TSV: readFileSync(new URL('../../catalog/open-api-endpoints.tsv', import.meta.url), 'utf8') },
  kvNamespaces: ['TOKENS'],
});
let passed = 0, failed = 0, skipped = 0;
try {
  const { count } = await (await mf.dispatchFetch('http://worker/count')).json();
  for (let i = 0; i < count; i++) {
    const res = await mf.dispatchFetch(`http://worker/run?i=${i}`);
    const text = await res.text();
    let r;
    try { r = JSON.parse(text); } catch { r = { passed: 0, failed: 1, skipped: 0, lines: [`not ok - test ${i}: worker answered ${res.status}: ${text.slice(0, 300)}`] }; }
    passed += r.passed; failed += r.failed; skipped += r.skipped;
    console.log(r.lines.filter((l) => !l.startsWith('workerd:')).join('\n'));
  }
} finally {
  await mf.dispose();
  await emu.close();
}
console.log(`workerd${process.env.WORKERD_COMPAT ? '-compat' : ''}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
