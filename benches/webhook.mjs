// Webhook handling per event, in-process in Node: an encrypted, signed ~850-byte
// im.message.receive_v1 verified + decrypted + dispatched. feishu-edge's invoke(rawBody) vs the
// official EventDispatcher.invoke(JSON.parse(rawBody) + headers), which is what its adapters do.
import { median } from './lib.mjs';
import { EventDispatcher, signEvent } from '../pkg/node.js';
import * as lark from '@larksuiteoapi/node-sdk';

const KEY = 'bench_encrypt_key';
const TOKEN = 'bench_verification_token';

export function benchEvent() {
  const event = {
    schema: '2.0',
    header: { event_id: '5e3702a84e847582be8db7fb73283c02', event_type: 'im.message.receive_v1', create_time: '1700000000000', token: TOKEN, app_id: 'cli_9f5343c580f8d00c', tenant_key: '2ca1d211f64f6438' },
    event: {
      sender: { sender_id: { union_id: 'on_8ed6aa67826108097d9ee143816345', user_id: 'e33ggbyz', open_id: 'ou_84aad35d084aa403a838cf73ee18467' }, sender_type: 'user', tenant_key: '2ca1d211f64f6438' },
      message: { message_id: 'om_5ce6d572455d361153b7cb51da133945', root_id: '', parent_id: '', create_time: '1700000000000', chat_id: 'oc_5ce6d572455d361153b7cb5xxfsdfsdfdsf', chat_type: 'group', message_type: 'text', content: '', mentions: [] },
    },
  };
  event.event.message.content = JSON.stringify({ text: 'x'.repeat(850 - JSON.stringify(event).length - 12) });
  return event;
}

export async function webhookThroughput({ rounds = 9, events = 2000 } = {}) {
  const event = benchEvent();
  const plainBytes = JSON.stringify(event).length;
  const { body, headers } = signEvent(event, { encryptKey: KEY, timestamp: Math.floor(Date.now() / 1000) });
  let handled = 0;
  const edge = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' })
    .register({ 'im.message.receive_v1': async (data) => { if (data.message.message_id) handled++; } });
  const official = new lark.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, loggerLevel: lark.LoggerLevel.error })
    .register({ 'im.message.receive_v1': async (data) => { if (data.message.message_id) handled++; } });
  // With de-duplication (claim → handle → commit in an atomic in-memory store), every event
  // needs its own id: bodies are signed up front, outside the timing.
  const map = new Map();
  const store = { async get(k) { return map.get(k) ?? null; }, async put(k, v) { map.set(k, v); }, async delete(k) { map.delete(k); }, async putIfAbsent(k, v) { if (map.has(k)) return false; map.set(k, v); return true; } };
  const deduped = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none', dedupeStore: store })
    .register({ 'im.message.receive_v1': async (data) => { if (data.message.message_id) handled++; } });
  const unique = Array.from({ length: (rounds + 1) * events + 501 }, (_, i) => signEvent({ ...event, header: { ...event.header, event_id: `bench_${i}` } }, { encryptKey: KEY, timestamp: Math.floor(Date.now() / 1000) }));
  let next = 0;
  const runners = {
    'feishu-edge': async () => {
      const r = await edge.invoke(body, headers);
      if (r.status !== 200) throw new Error(`feishu-edge refused: ${r.body}`);
    },
    'feishu-edge + dedupe': async () => {
      const u = unique[next++];
      const r = await deduped.invoke(u.body, u.headers);
      if (r.status !== 200 || r.duplicate) throw new Error(`feishu-edge + dedupe: ${r.status} ${r.body}`);
    },
    official: async () => {
      const data = Object.assign(Object.create({ headers }), JSON.parse(body));
      await official.invoke(data);
    },
  };
  // Both must really dispatch before anything is timed.
  handled = 0;
  for (const run of Object.values(runners)) await run();
  if (handled !== 3) throw new Error(`expected every dispatcher to run the handler, ran ${handled}`);
  for (const run of Object.values(runners)) for (let i = 0; i < 500; i++) await run();
  const perSecond = { 'feishu-edge': [], 'feishu-edge + dedupe': [], official: [] };
  const ratios = [];
  const dedupeCost = [];
  for (let r = 0; r < rounds; r++) {
    const t = {};
    const order = ['feishu-edge', 'feishu-edge + dedupe', 'official'];
    for (const name of r % 2 ? order.reverse() : order) {
      const t0 = performance.now();
      for (let i = 0; i < events; i++) await runners[name]();
      t[name] = events / ((performance.now() - t0) / 1000);
      perSecond[name].push(t[name]);
    }
    ratios.push(t['feishu-edge'] / t.official);
    dedupeCost.push(t['feishu-edge + dedupe'] / t['feishu-edge']);
  }
  return { plaintextBytes: plainBytes, bodyBytes: body.length, rounds, eventsPerRound: events, eventsPerSecond: { 'feishu-edge': median(perSecond['feishu-edge']), 'feishu-edge + dedupe': median(perSecond['feishu-edge + dedupe']), official: median(perSecond.official) }, ratio: median(ratios), dedupeRatio: median(dedupeCost) };
}
