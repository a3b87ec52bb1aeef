// A Worker for the workerd store tests: real Durable Object, KV and Queue bindings (Miniflare).
// GET /contract?store=do|kv, GET /chaos?store=do|kv&events=N, POST /webhook (queued events),
// GET /queue-status; queue() consumes the queued events.
import * as pkg from '../../pkg/workerd.js';
import { runTests } from './harness.mjs';
import { chaosRun, storeContract } from './chaos.mjs';

export { FeishuStateObject } from '../../pkg/workerd.js';

const QUEUE_KEY = 'ek_queue_key';
const attempts = new Map();
const handled = [];
const failures = [];

function queueDispatcher(env) {
  return new pkg.EventDispatcher({ encryptKey: QUEUE_KEY, dedupeStore: pkg.durableObjectStore(env.FEISHU_STATE), logLevel: 'none', onError: (e, event) => failures.push([event.event_id, e.message]) })
    .register({
      'im.message.receive_v1': (data) => {
        const n = (attempts.get(data.event_id) ?? 0) + 1;
        attempts.set(data.event_id, n);
        if (n === 1) throw new Error('first attempt fails');
        handled.push(data.event_id);
      },
    });
}

const storeOf = (env, name) => (name === 'kv' ? env.KV : pkg.durableObjectStore(env.FEISHU_STATE));

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const ctx = { ...pkg, emuUrl: env.EMU_URL, runtime: 'workerd' };
    const store = url.searchParams.get('store');
    if (url.pathname === '/contract') {
      const r = await runTests('workerd-stores', [{ name: `${store === 'kv' ? 'Workers KV' : 'durableObjectStore'} honours the store contract in workerd`, fn: () => storeContract(ctx, storeOf(env, store), { atomic: store !== 'kv', ttl: store !== 'kv' }) }], ctx);
      return Response.json(r);
    }
    if (url.pathname === '/chaos') {
      // Workers KV has no atomic claim, so a claim whose release was cut by the store deadline
      // under load holds until its lease ends. In production the lease (120 s) ends before the
      // platform's second retry (5 min); the schedule here is compressed 1000×, so the lease is
      // shortened to keep that order (5 s < the last compressed retry, 21.6 s).
      const dispatcherOptions = store === 'kv' ? { dedupeLeaseSeconds: 5 } : {};
      const figures = await chaosRun(ctx, storeOf(env, store), { events: Number(url.searchParams.get('events') ?? 1000), prefix: store, dispatcherOptions });
      return Response.json(figures);
    }
    if (url.pathname === '/webhook') return queueDispatcher(env).handle(request, { queue: env.FEISHU_EVENTS });
    if (url.pathname === '/queue-status') return Response.json({ handled, attempts: Object.fromEntries(attempts), failures });
    return new Response('not found', { status: 404 });
  },
  async queue(batch, env) {
    await queueDispatcher(env).consume(batch);
  },
};
