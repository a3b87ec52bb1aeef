// Issue 15's two figures, for a package build (PKG, default ./pkg), in Node:
// - what refusing an unsigned 1 MiB body of many keys costs when an encrypt key is set
//   (median of 41 refusals, after 5 warm-ups), with the official SDK's dispatcher beside it;
// - how long a duplicate delivery takes with a de-duplication store answering every call
//   after 1.9 s (default storeTimeoutMs, 2 s), median of 3.
// Usage: node benches/hardening.mjs   |   PKG=/path/to/old/pkg node benches/hardening.mjs
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { ROOT } from './lib.mjs';

const pkgDir = process.env.PKG ?? `${ROOT}/pkg`;
const { EventDispatcher, signEvent } = await import(`${pkgDir}/node.js`);
const KEY = 'ek_bench_key';
const TOKEN = 'vt_bench_token';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bigBody() {
  const keys = [];
  for (let i = 0, size = 0; size < (1 << 20); i++) { keys.push(`"k${i}":${i},`); size += keys[i].length; }
  return `{${keys.join('')}"z":0}`;
}

async function refusal() {
  const body = new TextEncoder().encode(bigBody());
  const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, maxBodyBytes: 2 << 20, logLevel: 'none' });
  const times = [];
  let reason;
  for (let i = 0; i < 46; i++) {
    const t0 = performance.now();
    const r = await d.invoke(body, {});
    const ms = performance.now() - t0;
    reason = r.reason;
    if (i >= 5) times.push(ms);
  }
  // The official SDK's EventDispatcher on the same body (it parses, then checks).
  let official = null;
  try {
    const require = createRequire(`${ROOT}/package.json`);
    const lark = require('@larksuiteoapi/node-sdk');
    const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
    const od = new lark.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logger: quiet });
    const text = new TextDecoder().decode(body);
    const ot = [];
    for (let i = 0; i < 26; i++) {
      const t0 = performance.now();
      try { await od.invoke(Object.assign(Object.create({ headers: {} }), JSON.parse(text))); } catch {}
      if (i >= 5) ot.push(performance.now() - t0);
    }
    official = median(ot);
  } catch {}
  return { bytes: body.byteLength, reason, medianMs: median(times), officialMedianMs: official };
}

async function duplicateWithSlowStore() {
  const latency = 1900;
  const map = new Map();
  const wait = () => new Promise((r) => setTimeout(r, latency));
  const store = {
    async get(k) { await wait(); return map.get(k) ?? null; },
    async put(k, v) { await wait(); map.set(k, v); },
    async delete(k) { await wait(); map.delete(k); },
    async putIfAbsent(k, v) { await wait(); if (map.has(k)) return false; map.set(k, v); return true; },
  };
  let runs = 0;
  const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, logLevel: 'none' })
    .register({ 'im.message.receive_v1': () => { runs++; } });
  const times = [];
  const outcomes = [];
  for (let i = 0; i < 3; i++) {
    const id = `ev_dup_${i}_${Date.now()}`;
    const event = { schema: '2.0', header: { event_id: id, event_type: 'im.message.receive_v1', token: TOKEN, app_id: 'cli_bench', create_time: '1' }, event: { message: { message_id: 'om_1' } } };
    // Both key layouts (before and after issue 15), committed: this delivery is a duplicate.
    map.set(`feishu-edge:event:${id}`, 'done');
    map.set(`feishu-edge:event:cli_bench:2.0:${id}`, 'done');
    const { body, headers } = signEvent(event, { encryptKey: KEY });
    const t0 = performance.now();
    const r = await d.invoke(body, headers);
    times.push(performance.now() - t0);
    outcomes.push(`${r.status}${r.duplicate ? ' duplicate' : ''}${r.reason ? ` ${r.reason}` : ''}`);
  }
  return { storeLatencyMs: latency, medianMs: median(times), outcomes, handlerRuns: runs };
}

const result = { pkg: pkgDir, node: process.version, refusal: await refusal(), duplicate: await duplicateWithSlowStore() };
console.log(JSON.stringify(result, null, 2));
