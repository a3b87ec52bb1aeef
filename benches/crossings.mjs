// Counts the calls across the JS/wasm boundary for one webhook request and one API call
// attempt (issue 25's budgets: ≤ 2 JS→wasm and ≤ 12 wasm→JS per webhook request, ≤ 3 and ≤ 12
// per API call attempt; ≤ 60 wasm exports). Every export and import of a package's wasm is
// wrapped with a counter, the module is instantiated by hand the way pkg/instantiate.js does it,
// and the package's own ES modules (webhook.js, client.js) run over it.
//
// `countCrossings(pkgDir)` is shared with tests/js/boundary.mjs, which pins the figures with
// ceilings. pkgDir is the main entry's pkg/ or the webhook-only entry's pkg/webhook/ (no client
// there, so no API call figures).
// Usage: node benches/crossings.mjs   (after scripts/build)
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from './lib.mjs';

export const BUDGETS = { webhook: { in: 2, out: 12 }, call: { in: 3, out: 12 }, wasmExports: 60 };

const require = createRequire(import.meta.url);
const KEY = 'crossings_key', TOKEN = 'crossings_token', APP_ID = 'cli_0123456789abcdef';

/**
 * The crossings of one encrypted, signed webhook request and, when the entry has a client, of
 * one API call attempt (its fetch answering at once; with `emulator`, an emulator's URL, also
 * the same call over a real fetch to it, as `callEmulator`), and the wasm's function exports. Each figure is `{ in, out, calls, names }`: JS→wasm calls (with
 * `calls` of them the package's own exports, the rest wasm-bindgen's allocation, table and free
 * helpers, named __…), wasm→JS calls, and the exports called in order. Instantiates the
 * entry's wasm afresh: call it once per pkgDir.
 */
export async function countCrossings(pkgDir = `${ROOT}/pkg`, { emulator } = {}) {
  const glue = await import(`${pkgDir}/wasm/feishu_edge_bg.js`);
  const { imports } = await import(`${pkgDir}/wasm/imports.js`);
  const { nodeCryptoHost } = await import(`${pkgDir}/crypto-node.js`);
  const { FeishuError } = await import(`${pkgDir}/internal.js`);

  const counts = { in: 0, out: 0, names: [] };
  const countingImports = {};
  for (const [name, ns] of Object.entries(imports)) {
    countingImports[name] = {};
    for (const [k, v] of Object.entries(ns)) {
      countingImports[name][k] = typeof v === 'function' ? function (...a) { counts.out++; (counts.outNames ??= []).push(k); return v.apply(this, a); } : v;
    }
  }
  const module = new WebAssembly.Module(readFileSync(`${pkgDir}/wasm/feishu_edge_bg.wasm`));
  const instance = new WebAssembly.Instance(module, countingImports);
  const countingExports = {};
  for (const [k, v] of Object.entries(instance.exports)) {
    // The glue's own bookkeeping (allocating, freeing, the externref table) is counted too: each
    // is a crossing all the same.
    countingExports[k] = typeof v === 'function' ? (...a) => { counts.in++; counts.names.push(k); return v(...a); } : v;
  }
  glue.__wbg_set_wasm(countingExports);
  instance.exports.__wbindgen_start();
  glue.install(FeishuError, nodeCryptoHost(() => require('node:crypto')));

  /** The crossings of `work()` (its last run of `runs`, after warm-up runs). */
  async function measure(work, runs = 5) {
    let last;
    for (let i = 0; i < runs; i++) {
      counts.in = counts.out = 0;
      counts.names = [];
      counts.outNames = [];
      await work();
      last = { in: counts.in, out: counts.out, calls: counts.names.filter((n) => !n.startsWith('__')).length, names: [...counts.names], outNames: [...counts.outNames] };
    }
    return last;
  }

  const { EventDispatcher } = await import(`${pkgDir}/webhook.js`);
  const { signEvent } = await import(`${pkgDir}/sync-helpers.js`);
  const event = { schema: '2.0', header: { event_id: 'ev_x', event_type: 'im.message.receive_v1', token: TOKEN, app_id: APP_ID, create_time: '1700000000000' }, event: { message: { message_id: 'om_1', content: '{"text":"hi"}' } } };
  const signed = signEvent(event, { encryptKey: KEY });
  const dispatcher = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register({ 'im.message.receive_v1': () => {} });
  const webhook = await measure(async () => {
    const r = await dispatcher.invoke(signed.body, signed.headers);
    if (r.status !== 200) throw new Error(r.body);
  });

  // The same with a handler that returns a promise: its outcome crosses back once more.
  const later = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register({ 'im.message.receive_v1': async () => {} });
  const webhookAsync = await measure(async () => {
    const r = await later.invoke(signed.body, signed.headers);
    if (r.status !== 200) throw new Error(r.body);
  });

  const out = { webhook, webhookAsync };
  if (existsSync(`${pkgDir}/client.js`)) {
    // An API call (the token is fetched and cached before counting).
    const reply = (body) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    const instant = async (url) => (String(url).includes('tenant_access_token') ? reply({ code: 0, tenant_access_token: 't-x', expire: 7200 }) : reply({ code: 0, msg: 'ok', data: { ok: true } }));
    const { FeishuClient } = await import(`${pkgDir}/client.js`);
    const message = { method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } };
    const client = new FeishuClient({ appId: APP_ID, appSecret: 's', baseUrl: 'http://127.0.0.1:9', fetch: instant, logLevel: 'none' });
    out.call = await measure(() => client.request(message));
    out.callTimeout0 = await measure(() => client.request({ ...message, timeoutMs: 0 }));
    if (emulator) {
      // The emulator's test credential (printed by `feishu-edge emulator`, not a secret).
      const real = new FeishuClient({ appId: APP_ID, appSecret: 'emu_secret_value', baseUrl: emulator, logLevel: 'none' });
      out.callEmulator = await measure(() => real.request(message));
    }
  }
  out.wasmExports = Object.values(instance.exports).filter((v) => typeof v === 'function').length;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const main = await countCrossings(`${ROOT}/pkg`);
  const hook = existsSync(`${ROOT}/pkg/webhook/webhook.js`) ? await countCrossings(`${ROOT}/pkg/webhook`) : undefined;
  console.log(JSON.stringify({ ...main, webhookEntry: hook }, (k, v) => (k === 'names' || k === 'outNames' ? v.join(' ') : v)));
  const { webhook, call, callTimeout0 } = main;
  console.log(`crossings per webhook request: ${webhook.in} JS→wasm (${webhook.calls} of the package's exports), ${webhook.out} wasm→JS (budget ≤ ${BUDGETS.webhook.in} / ≤ ${BUDGETS.webhook.out}); with an async handler: ${main.webhookAsync.in} / ${main.webhookAsync.out}`);
  console.log(`crossings per API call attempt: ${call.in} JS→wasm (${call.calls} of the package's exports), ${call.out} wasm→JS (budget ≤ ${BUDGETS.call.in} / ≤ ${BUDGETS.call.out}); with timeoutMs 0: ${callTimeout0.in} / ${callTimeout0.out}`);
  console.log(`wasm function exports: ${main.wasmExports} (target ≤ ${BUDGETS.wasmExports} for the boundary the package uses)`);
  if (hook) console.log(`feishu-edge/webhook: ${hook.webhook.in} JS→wasm (${hook.webhook.calls} of its exports), ${hook.webhook.out} wasm→JS per webhook request; ${hook.wasmExports} wasm function exports`);
}
