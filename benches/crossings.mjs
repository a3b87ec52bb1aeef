// Counts the calls across the JS/wasm boundary for one webhook request and one API call
// attempt (issue 25's budgets: ≤ 2 JS→wasm and ≤ 12 wasm→JS per webhook request, ≤ 3 and ≤ 12
// per API call attempt). Every export and import of the main wasm is wrapped with a counter,
// the module is instantiated by hand the way pkg/instantiate.js does it, and the package's own
// ES modules (pkg/webhook.js, pkg/client.js) run over it.
// Usage: node benches/crossings.mjs   (after scripts/build)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from './lib.mjs';

const pkg = `${ROOT}/pkg`;
const glue = await import(`${pkg}/wasm/feishu_edge_bg.js`);
const { imports } = await import(`${pkg}/wasm/imports.js`);
const { nodeCryptoHost } = await import(`${pkg}/crypto-node.js`);
const require = createRequire(import.meta.url);

const counts = { in: 0, out: 0, names: [] };
const countingImports = {};
for (const [name, ns] of Object.entries(imports)) {
  countingImports[name] = {};
  for (const [k, v] of Object.entries(ns)) {
    countingImports[name][k] = typeof v === 'function' ? function (...a) { counts.out++; return v.apply(this, a); } : v;
  }
}
const module = new WebAssembly.Module(readFileSync(`${pkg}/wasm/feishu_edge_bg.wasm`));
const instance = new WebAssembly.Instance(module, countingImports);
const countingExports = {};
for (const [k, v] of Object.entries(instance.exports)) {
  // The glue's own bookkeeping (allocating, freeing, the externref table) is counted too: each
  // is a crossing all the same.
  countingExports[k] = typeof v === 'function' ? (...a) => { counts.in++; counts.names.push(k); return v(...a); } : v;
}
glue.__wbg_set_wasm(countingExports);
instance.exports.__wbindgen_start();
glue.installCrypto(nodeCryptoHost(() => require('node:crypto')));

const { EventDispatcher } = await import(`${pkg}/webhook.js`);
const { signEvent } = await import(`${pkg}/sync-helpers.js`);
const { FeishuClient } = await import(`${pkg}/client.js`);

/** The crossings of `work()` (its last run of `runs`, after warm-up runs). */
async function measure(work, runs = 5) {
  let last;
  for (let i = 0; i < runs; i++) {
    counts.in = counts.out = 0;
    counts.names = [];
    await work();
    // `calls`: the package's own exports, without wasm-bindgen's allocation, table and free helpers (named __…).
    last = { in: counts.in, out: counts.out, calls: counts.names.filter((n) => !n.startsWith('__')).length, names: [...counts.names] };
  }
  return last;
}

const KEY = 'crossings_key', TOKEN = 'crossings_token';
const event = { schema: '2.0', header: { event_id: 'ev_x', event_type: 'im.message.receive_v1', token: TOKEN, app_id: 'cli_0123456789abcdef', create_time: '1700000000000' }, event: { message: { message_id: 'om_1', content: '{"text":"hi"}' } } };
const signed = signEvent(event, { encryptKey: KEY });
const dispatcher = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register({ 'im.message.receive_v1': () => {} });
const webhook = await measure(async () => {
  const r = await dispatcher.invoke(signed.body, signed.headers);
  if (r.status !== 200) throw new Error(r.body);
});

// An API call whose fetch answers at once (the token is fetched and cached before counting).
const reply = (body) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
const fetch = async (url) => (String(url).includes('tenant_access_token') ? reply({ code: 0, tenant_access_token: 't-x', expire: 7200 }) : reply({ code: 0, msg: 'ok', data: { ok: true } }));
const client = new FeishuClient({ appId: 'cli_0123456789abcdef', appSecret: 's', baseUrl: 'http://127.0.0.1:9', fetch, logLevel: 'none' });
const call = await measure(async () => { await client.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } }); });
const callTimeout0 = await measure(async () => { await client.request({ method: 'POST', path: 'im/v1/messages', data: { a: 1 }, timeoutMs: 0 }); });

const exportsCount = Object.values(instance.exports).filter((v) => typeof v === 'function').length;
const out = { webhook, call, callTimeout0, wasmExports: exportsCount };
console.log(JSON.stringify(out, (k, v) => (k === 'names' ? v.join(' ') : v)));
console.log(`crossings per webhook request: ${webhook.in} JS→wasm (${webhook.calls} of the package's exports), ${webhook.out} wasm→JS (budget ≤ 2 / ≤ 12)`);
console.log(`crossings per API call attempt: ${call.in} JS→wasm (${call.calls} of the package's exports), ${call.out} wasm→JS (budget ≤ 3 / ≤ 12); with timeoutMs 0: ${callTimeout0.in} / ${callTimeout0.out}`);
console.log(`wasm function exports: ${exportsCount} (target ≤ 60 for the boundary the package uses)`);
