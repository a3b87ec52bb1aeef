// Runs the JS suites against the built package (pkg/node.js) in Node.
import { startEmulator } from '../emulator/server.mjs';
import { runTests } from './harness.mjs';
import { selectTests, parseCatalog } from './suites.mjs';
import * as hook from '../../pkg/webhook/node.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import WebSocket from 'ws';

const pkg = await import(new URL('../../pkg/node.js', import.meta.url));
const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();
const setEnv = (vars) => { for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } };
// NODE_LABEL: the name the results print under (scripts/test runs this file on Node 18 too).
const result = await runTests(process.env.NODE_LABEL ?? 'node', selectTests((process.env.SUITES ?? '').split(',').filter(Boolean)), { hook, ...pkg, emuUrl: emu.url, runtime: 'node', nodeRequire: createRequire(import.meta.url), WebSocket, setEnv, catalogRows: parseCatalog(readFileSync(new URL('../../catalog/open-api-endpoints.tsv', import.meta.url), 'utf8')) });
await emu.close();
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
