// Runs the JS suites against the built package in Deno, through the `deno` export (deno.js: bundler.js plus the synchronous helpers;
// the wasm is imported as an ES module, no file-read permission needed for it).
import { runTests } from './harness.mjs';
import { selectTests, parseCatalog } from './suites.mjs';
import * as hook from '../../pkg/webhook/deno.js';

const pkg = await import('../../pkg/deno.js');
const emuUrl = Deno.env.get('EMU_URL');
if (!emuUrl) throw new Error('EMU_URL must point at a running emulator (scripts/test starts one)');
/** Every 25th catalog row (Node checks them all). */
const sample = (rows) => rows.filter((_, i) => i % 25 === 0);
const setEnv = (vars) => { for (const [k, v] of Object.entries(vars)) { if (v === undefined) Deno.env.delete(k); else Deno.env.set(k, v); } };
const result = await runTests('deno', selectTests((Deno.env.get('SUITES') ?? '').split(',').filter(Boolean)), { hook, ...pkg, emuUrl, runtime: 'deno', setEnv, catalogRows: sample(parseCatalog(await Deno.readTextFile(new URL('../../catalog/open-api-endpoints.tsv', import.meta.url)))) });
console.log(result.lines.join('\n'));
Deno.exit(result.failed ? 1 : 0);
