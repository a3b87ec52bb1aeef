// The official Node SDK (@larksuiteoapi/node-sdk, pinned) pointed at the emulator: for a seeded
// sample of 200 methods, a call built from the method's schema (every path, query and body field
// filled) is accepted, and the reply's data validates against the method's reply schema. So the
// emulator routes the official SDK's URLs, accepts its encoding, and answers in the platform's
// shapes: tests written against it read the fields production returns.
import * as lark from '@larksuiteoapi/node-sdk';
import { startEmulator } from '../emulator/server.mjs';
import { loadSchema, sample, violation } from '../../pkg/testing/schema.js';

const emu = await startEmulator();
const schema = loadSchema();
const client = new lark.Client({ appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', domain: emu.url, loggerLevel: lark.LoggerLevel.error });
let seed = 2024;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const candidates = Object.entries(schema.methods).filter(([, m]) => !/[bm]/.test(m.k ?? ''));
const picked = [];
while (picked.length < 200 && candidates.length) picked.push(candidates.splice(Math.floor(rand() * candidates.length), 1)[0]);

// Models that keep state answer "not found" for ids they never issued, as the platform does.
const NEEDS_STATE = new Set([300311, 230001]);
let passed = 0, failed = 0, skipped = 0;
const lines = [];
for (const [name, m] of picked) {
  const [ns, version, resource, fn] = name.split('.');
  const payload = {};
  if (m.path !== undefined) payload.path = sample(m.path, 'path');
  if (m.q !== undefined) payload.params = sample(m.q, 'params');
  if (m.d !== undefined) payload.data = sample(m.d, 'data');
  try {
    const res = await client[ns][version][resource][fn](payload).catch((e) => {
      if (NEEDS_STATE.has(e?.response?.data?.code)) return { needsState: true };
      throw e;
    });
    if (res.needsState) { skipped++; continue; }
    const bad = res?.code !== 0 ? `code ${res?.code}: ${res?.msg}` : m.r !== undefined ? violation(m.r, res.data) : null;
    if (bad) throw new Error(bad);
    passed++;
  } catch (e) {
    failed++;
    const detail = e?.response?.data ? JSON.stringify(e.response.data).slice(0, 300) : typeof e?.message === "string" ? e.message.slice(0, 300) : JSON.stringify(e).slice(0, 300);
    lines.push(`not ok - ${name}: ${detail}`);
  }
}
await emu.close();
console.log(lines.join('\n'));
console.log(`official-sdk: ${passed} passed, ${failed} failed, ${skipped} skipped (${picked.length} methods called through @larksuiteoapi/node-sdk, replies validated against the schema; skipped: a model answered "not found" for an id it never issued)`);
process.exit(failed ? 1 : 0);
