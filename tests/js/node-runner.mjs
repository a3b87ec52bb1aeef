// Runs the JS suites against the built package (pkg/node.js) in Node.
import { startEmulator } from '../emulator/server.mjs';
import { runTests } from './harness.mjs';
import { clientTests } from './client-suite.mjs';
import { webhookTests } from './webhook-suite.mjs';
import { cardTests } from './card-suite.mjs';
import { catalogTests, parseCatalog } from './catalog-suite.mjs';
import { helperTests } from './helpers-suite.mjs';
import { trustTests } from './trust-suite.mjs';
import { errorTests } from './errors-suite.mjs';
import { emulatorTests } from './emulator-suite.mjs';
import { webhookEntryTests } from './webhook-entry-suite.mjs';
import * as hook from '../../pkg/webhook/node.js';
import { readFileSync } from 'node:fs';

const pkg = await import(new URL('../../pkg/node.js', import.meta.url));
const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();
const setEnv = (vars) => { for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } };
const result = await runTests('node', [...clientTests, ...webhookTests, ...cardTests, ...catalogTests, ...helperTests, ...trustTests, ...errorTests, ...emulatorTests, ...webhookEntryTests], { hook, ...pkg, emuUrl: emu.url, runtime: 'node', setEnv, catalogRows: parseCatalog(readFileSync(new URL('../../catalog/open-api-endpoints.tsv', import.meta.url), 'utf8')) });
await emu.close();
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
