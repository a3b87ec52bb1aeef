// The workerd store tests: durableObjectStore (FeishuStateObject) and Workers KV under the store
// contract and the chaos run, and the Queues path (a failing handler retried by the queue),
// with real bindings in Miniflare.
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();
const pkg = await import(new URL('../../pkg/node.js', import.meta.url));
const mf = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL('./stores-worker.mjs', import.meta.url)),
  modulesRoot: root,
  modulesRules: [
    { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
    { type: 'CompiledWasm', include: ['**/*.wasm'] },
  ],
  compatibilityDate: '2025-01-01',
  bindings: { EMU_URL: emu.url },
  kvNamespaces: ['KV'],
  durableObjects: { FEISHU_STATE: 'FeishuStateObject' },
  queueProducers: { FEISHU_EVENTS: 'feishu-events' },
  queueConsumers: { 'feishu-events': { maxBatchSize: 10, maxBatchTimeout: 0.2, maxRetries: 5, retryDelay: 0 } },
});
const lines = [];
const figures = [];
let passed = 0, failed = 0;
const record = (name, ok, detail = '') => { if (ok) passed++; else failed++; lines.push(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  for (const store of ['do', 'kv']) {
    const r = await (await mf.dispatchFetch(`http://worker/contract?store=${store}`)).json();
    passed += r.passed; failed += r.failed; lines.push(...r.lines.filter((l) => !l.startsWith('workerd-stores:')));
  }
  {
    const name = 'chaos: 1,000 events × 1–5 concurrent deliveries, failing handlers, 0–100 ms latency, 3 dispatchers on durableObjectStore → each handled exactly once';
    const res = await mf.dispatchFetch('http://worker/chaos?store=do&events=1000');
    const text = await res.text();
    try {
      const f = JSON.parse(text);
      figures.push(`Durable Object: ${f.events} events, ${f.deliveries} deliveries, exactly once ${f.exactlyOnce}, lost ${f.lost}, handled twice ${f.duplicated}, failed attempts retried ${f.failedAttempts}, in ${f.ms} ms`);
      record(name, f.exactlyOnce === f.events && f.lost === 0 && f.duplicated === 0 && f.failedAttempts > 0, JSON.stringify(f));
    } catch {
      record(name, false, `worker answered ${res.status}: ${text.slice(0, 300)}`);
    }
  }
  {
    // Workers KV has no atomic putIfAbsent: reported, not held to exactly-once. Nothing may be lost.
    const name = 'chaos on Workers KV (best effort): no event lost; duplicates reported';
    const res = await mf.dispatchFetch('http://worker/chaos?store=kv&events=1000');
    const text = await res.text();
    try {
      const f = JSON.parse(text);
      figures.push(`Workers KV (best effort): ${f.events} events, ${f.deliveries} deliveries, exactly once ${f.exactlyOnce}, lost ${f.lost}, handled twice ${f.duplicated}, in ${f.ms} ms`);
      record(name, f.lost === 0, JSON.stringify(f));
    } catch {
      record(name, false, `worker answered ${res.status}: ${text.slice(0, 300)}`);
    }
  }
  {
    const name = 'Queues: handle(request, { queue }) enqueues and acknowledges; consume() retries a failing handler through the queue until it succeeds, once';
    const ids = ['q_ev_1', 'q_ev_2', 'q_ev_3'].map((id) => `${id}_${Date.now()}`);
    const statuses = [];
    for (const id of ids) {
      const event = { schema: '2.0', header: { event_id: id, event_type: 'im.message.receive_v1', token: 't', app_id: 'cli_0123456789abcdef', tenant_key: 'tk' }, event: { message: { message_id: `om_${id}` } } };
      const { body, headers } = (await pkg.signEventAsync(event, { encryptKey: 'ek_queue_key' }));
      // Delivered twice: the duplicate is queued too, and de-duplicated by the consumer.
      for (let i = 0; i < 2; i++) statuses.push((await mf.dispatchFetch('http://worker/webhook', { method: 'POST', body, headers })).status);
    }
    let status;
    for (let i = 0; i < 100; i++) {
      status = await (await mf.dispatchFetch('http://worker/queue-status')).json();
      if (ids.every((id) => status.handled.includes(id))) break;
      await sleep(100);
    }
    const once = ids.every((id) => status.handled.filter((h) => h === id).length === 1);
    const retried = ids.every((id) => status.attempts[id] === 2);
    const reported = ids.every((id) => status.failures.some(([e]) => e === id));
    record(name, statuses.every((s) => s === 200) && once && retried && reported, JSON.stringify({ statuses, status }));
  }
} finally {
  await mf.dispose();
  await emu.close();
}
console.log(lines.join('\n'));
for (const f of figures) console.log(`figure - ${f}`);
console.log(`stores-workerd: ${passed} passed, ${failed} failed, 0 skipped`);
process.exit(failed ? 1 : 0);
