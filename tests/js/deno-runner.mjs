// Runs the JS suites against the built package in Deno, through the `deno` export (deno.js: bundler.js plus the synchronous helpers;
// the wasm is imported as an ES module, no file-read permission needed for it).
import { runTests, assert } from './harness.mjs';
import { selectTests, parseCatalog } from './suites.mjs';
import * as hook from '../../pkg/webhook/deno.js';

const main = await import('../../pkg/deno.js');
// Before `feishu-edge/ws` is imported, the main entry has no long-connection wasm to load.
let entryless;
try { new main.WSClient({ appId: 'cli_x', appSecret: 's' }); } catch (e) { entryless = e; }
const wsEntryTest = {
  name: "WSClient from Deno's main entry before `feishu-edge/ws` is imported: a config FeishuError naming that entry",
  fn() { assert(entryless instanceof main.FeishuError && entryless.kind === 'config' && entryless.message.includes("'feishu-edge/ws'"), String(entryless)); },
};
// WSClient comes through `feishu-edge/ws` (ws-bundler.js: the long connection's wasm, which the main entry leaves out).
const pkg = { ...main, ...(await import('../../pkg/ws-bundler.js')) };
const emuUrl = Deno.env.get('EMU_URL');
if (!emuUrl) throw new Error('EMU_URL must point at a running emulator (scripts/test starts one)');
/** Every 25th catalog row (Node checks them all). */
const sample = (rows) => rows.filter((_, i) => i % 25 === 0);
const setEnv = (vars) => { for (const [k, v] of Object.entries(vars)) { if (v === undefined) Deno.env.delete(k); else Deno.env.set(k, v); } };
const names = (Deno.env.get('SUITES') ?? '').split(',').filter(Boolean);
const tests = [...selectTests(names), ...(!names.length || names.includes('ws') ? [wsEntryTest] : [])];
const result = await runTests('deno', tests, { hook, ...pkg, emuUrl, runtime: 'deno', setEnv, catalogRows: sample(parseCatalog(await Deno.readTextFile(new URL('../../catalog/open-api-endpoints.tsv', import.meta.url)))) });
console.log(result.lines.join('\n'));
Deno.exit(result.failed ? 1 : 0);
