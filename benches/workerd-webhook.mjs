// Webhook handling inside workerd: the same encrypted, signed ~850-byte event as benches/webhook.mjs
// verified + decrypted + dispatched in a loop inside one Worker, timed from outside (workerd's
// clock does not advance during compute). Compared, interleaved: this package, a hand-written
// WebCrypto reference (the floor: signature, decrypt, JSON.parse, no checks beyond the token),
// and, with BASELINE_PKG=<dir>, another build of the package (a previous release).
import { Miniflare } from 'miniflare';
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT, median } from './lib.mjs';
import { benchEvent } from './webhook.mjs';

const KEY = 'bench_encrypt_key';
const TOKEN = 'bench_verification_token';
const DIR = `${ROOT}/target/bench-workerd-webhook`;

const packageWorker = (pkgDir) => `import * as pkg from ${JSON.stringify(relative(DIR, `${pkgDir}/workerd.js`))};
const event = ${JSON.stringify(benchEvent())};
let state;
async function setup() {
  const options = { encryptKey: ${JSON.stringify(KEY)}, timestamp: Math.floor(Date.now() / 1000) };
  const signed = pkg.signEventAsync ? await pkg.signEventAsync(event, options) : pkg.signEvent(event, options);
  const s = { signed, handled: 0 };
  s.d = new pkg.EventDispatcher({ encryptKey: ${JSON.stringify(KEY)}, verificationToken: ${JSON.stringify(TOKEN)}, logLevel: 'none' })
    .register({ 'im.message.receive_v1': async (data) => { if (data.message.message_id) s.handled++; } });
  return s;
}
export default {
  async fetch(request) {
    state ??= await setup();
    const n = Number(new URL(request.url).searchParams.get('n'));
    for (let i = 0; i < n; i++) {
      const r = await state.d.invoke(state.signed.body, state.signed.headers);
      if (r.status !== 200) return new Response('refused ' + r.body, { status: 500 });
    }
    return new Response(String(state.handled));
  },
};`;

// The floor: the protocol by hand on WebCrypto (what edge users write themselves).
const referenceWorker = `const KEY = ${JSON.stringify(KEY)}, TOKEN = ${JSON.stringify(TOKEN)};
const event = ${JSON.stringify(benchEvent())};
const enc = new TextEncoder(), dec = new TextDecoder();
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
let state;
async function setup() {
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(KEY));
  const key = await crypto.subtle.importKey('raw', raw, 'AES-CBC', false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, enc.encode(JSON.stringify(event))));
  const all = new Uint8Array(16 + ct.length); all.set(iv); all.set(ct, 16);
  const body = JSON.stringify({ encrypt: btoa(String.fromCharCode(...all)) });
  const ts = String(Math.floor(Date.now() / 1000)), nonce = 'n';
  const sig = hex(await crypto.subtle.digest('SHA-256', enc.encode(ts + nonce + KEY + body)));
  return { key, body, headers: { ts, nonce, sig }, handled: 0 };
}
async function handle(s, body, h) {
  const sig = hex(await crypto.subtle.digest('SHA-256', enc.encode(h.ts + h.nonce + KEY + body)));
  if (sig !== h.sig) throw new Error('signature');
  const bytes = Uint8Array.from(atob(JSON.parse(body).encrypt), (c) => c.charCodeAt(0));
  const plain = await crypto.subtle.decrypt({ name: 'AES-CBC', iv: bytes.subarray(0, 16) }, s.key, bytes.subarray(16));
  const data = JSON.parse(dec.decode(plain));
  if (data.header.token !== TOKEN) throw new Error('token');
  if (data.event.message.message_id) s.handled++;
}
export default {
  async fetch(request) {
    state ??= await setup();
    const n = Number(new URL(request.url).searchParams.get('n'));
    for (let i = 0; i < n; i++) await handle(state, state.body, state.headers);
    return new Response(String(state.handled));
  },
};`;

async function worker(name, script, compatibilityFlags = []) {
  mkdirSync(DIR, { recursive: true });
  const scriptPath = `${DIR}/${name}.mjs`;
  writeFileSync(scriptPath, script);
  const mf = new Miniflare({
    modules: true, modulesRoot: '/', scriptPath, compatibilityDate: '2025-01-01', compatibilityFlags,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  });
  const run = async (n) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://bench/?n=${n}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`${name}: ${text}`);
    return performance.now() - t0;
  };
  await run(200); // warm up: instantiate, JIT
  return { run, dispose: () => mf.dispose() };
}

export async function workerdWebhook({ rounds = 7, events = 2000 } = {}) {
  const subjects = [
    ['feishu-edge', packageWorker(`${ROOT}/pkg`)],
    // With nodejs_compat the entry takes workerd's node:crypto (synchronous) instead of WebCrypto.
    ['feishu-edge, nodejs_compat', packageWorker(`${ROOT}/pkg`), ['nodejs_compat']],
    ['webcrypto by hand', referenceWorker],
  ];
  if (process.env.BASELINE_PKG) {
    subjects.push(['baseline', packageWorker(process.env.BASELINE_PKG)]);
    subjects.push(['baseline, nodejs_compat', packageWorker(process.env.BASELINE_PKG), ['nodejs_compat']]);
  }
  const workers = [];
  for (const [name, script, flags] of subjects) workers.push([name, await worker(name.replace(/\W+/g, '-'), script, flags)]);
  const micros = Object.fromEntries(subjects.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, w] of workers) {
      const empty = await w.run(0);
      micros[name].push(((await w.run(events)) - empty) * 1000 / events);
    }
  }
  for (const [, w] of workers) await w.dispose();
  const perEvent = Object.fromEntries(Object.entries(micros).map(([n, v]) => [n, median(v)]));
  return {
    rounds, events, perEventMicros: perEvent,
    vsWebCrypto: perEvent['webcrypto by hand'] / perEvent['feishu-edge'],
    nodejsCompatSpeedup: perEvent['feishu-edge'] / perEvent['feishu-edge, nodejs_compat'],
    // Each configuration against the previous build in the same configuration.
    ...(perEvent.baseline ? { vsBaseline: perEvent.baseline / perEvent['feishu-edge'], nodejsCompatVsBaseline: perEvent['baseline, nodejs_compat'] / perEvent['feishu-edge, nodejs_compat'] } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await workerdWebhook());
