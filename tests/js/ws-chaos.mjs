// The long connection's chaos run (issue 16), in Node: N events pushed over connections the
// emulator drops or silences at random, every push that got no ack within 3 s pushed again
// (as the platform does), and each event counted where its handler ran: 0 lost, 0 handled
// twice, for one client (its per-process memory) and for two clients sharing a store.
// Run alone: node tests/js/ws-chaos.mjs [events]; `wsChaos` is also used by benches/ws.mjs.
import WebSocket from 'ws';
import { runTests, assertEqual } from './harness.mjs';

const { WSClient, EventDispatcher } = await import('../../pkg/node.js');
const { createEmulator } = await import('../../pkg/testing/index.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An atomic in-memory KV store two clients can share. */
export function sharedStore() {
  const map = new Map();
  const live = (k) => { const e = map.get(k); if (e && e.exp && e.exp <= Date.now()) { map.delete(k); return undefined; } return e; };
  return {
    async get(k) { return live(k)?.v ?? null; },
    async put(k, v, o) { map.set(k, { v, exp: o?.expirationTtl ? Date.now() + o.expirationTtl * 1000 : 0 }); },
    async delete(k) { map.delete(k); },
    async putIfAbsent(k, v, o) { if (live(k)) return false; map.set(k, { v, exp: o?.expirationTtl ? Date.now() + o.expirationTtl * 1000 : 0 }); return true; },
  };
}

/**
 * Runs the chaos: `clients` WSClients (sharing `store` when given) on one emulator; resolves
 * to { events, pushes, repushed, drops, silences, exactlyOnce, lost, duplicated, ms }.
 */
export async function wsChaos({ events = 1000, clients = 1, store, seed = 11, concurrency = 20 } = {}) {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const emu = await createEmulator({ wsClientConfig: { PingInterval: 0.3, ReconnectCount: -1, ReconnectInterval: 0.2, ReconnectNonce: 0.05 } });
  const runs = new Map();
  const ws = Array.from({ length: clients }, () => new WSClient({ ...emu.clientOptions, WebSocket, logLevel: 'none', dedupeStore: store }));
  const dispatcher = new EventDispatcher({ logLevel: 'none' }).register({
    'im.message.receive_v1': async (data) => { await sleep(rand() * 5); runs.set(data.event_id, (runs.get(data.event_id) ?? 0) + 1); },
  });
  await Promise.all(ws.map((c) => c.start({ eventDispatcher: dispatcher })));
  let pushes = 0, repushed = 0, drops = 0, silences = 0, next = 0;
  const started = Date.now();
  const one = async (i) => {
    const event = { schema: '2.0', header: { event_id: `chaos_ws_${seed}_${i}`, event_type: 'im.message.receive_v1', app_id: 'cli_0123456789abcdef', tenant_key: 'tk' }, event: { message: { message_id: `om_${i}` } } };
    for (let attempt = 0; ; attempt++) {
      if (attempt) repushed++;
      // Faults at random, about one push in forty.
      const r = rand();
      if (r < 0.015) { drops++; emu.wsFault('drop'); } else if (r < 0.025) { silences++; emu.wsFault('silent'); }
      pushes++;
      try {
        const ack = await emu.pushEvent(event, { fragments: 1 + Math.floor(rand() * 3), timeoutMs: 3000 });
        if (ack.code === 200) return;
      } catch {
        await sleep(100); // no open connection yet, or no ack within 3 s: the platform pushes again
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next < events) await one(next++); }));
  const ms = Date.now() - started;
  await Promise.all(ws.map((c) => c.close()));
  await emu.close();
  const counts = Array.from({ length: events }, (_, i) => runs.get(`chaos_ws_${seed}_${i}`) ?? 0);
  return { events, clients, pushes, repushed, drops, silences, exactlyOnce: counts.filter((c) => c === 1).length, lost: counts.filter((c) => c === 0).length, duplicated: counts.filter((c) => c > 1).length, ms };
}

const line = (label, r) => `${label}: ${r.events} events, ${r.pushes} pushes (${r.repushed} again after no ack), ${r.drops} drops, ${r.silences} silences, exactly once ${r.exactlyOnce}, lost ${r.lost}, handled twice ${r.duplicated}, in ${r.ms} ms`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 1000);
  const figures = [];
  const result = await runTests('ws-chaos', [
    {
      name: `long-connection chaos: ${events} events over dropped and silenced connections, one client (per-process de-duplication): each handled once`,
      async fn() {
        const r = await wsChaos({ events });
        figures.push(line('one client', r));
        assertEqual([r.exactlyOnce, r.lost, r.duplicated], [events, 0, 0], line('one client', r));
      },
    },
    {
      name: `long-connection chaos: ${events} events, two clients sharing a store: each handled once`,
      async fn() {
        const r = await wsChaos({ events, clients: 2, store: sharedStore(), seed: 23 });
        figures.push(line('two clients, shared store', r));
        assertEqual([r.exactlyOnce, r.lost, r.duplicated], [events, 0, 0], line('two clients', r));
      },
    },
    {
      name: 'long-connection chaos, control: with a store that remembers nothing, re-pushes are handled twice (the harness can see duplicates)',
      async fn() {
        const forgetful = { async get() { return null; }, async put() {}, async delete() {} };
        const r = await wsChaos({ events: 300, store: forgetful, seed: 5 });
        figures.push(line('control, forgetful store', r));
        assertEqual(r.lost, 0);
        if (r.duplicated === 0) throw new Error(`expected duplicates without de-duplication: ${line('control', r)}`);
      },
    },
  ], {});
  console.log(result.lines.join('\n'));
  for (const f of figures) console.log(`figure - ${f}`);
  process.exit(result.failed ? 1 : 0);
}
