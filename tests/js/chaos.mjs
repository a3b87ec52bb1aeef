// The chaos run of issue 9, the same in every runtime: N events, each delivered 1–5 times at
// once, handlers failing their first 0–2 attempts, a store with 0–100 ms latency per call, three
// dispatchers sharing it, and every non-200 answer retried on the platform's schedule (15 s,
// 5 min, 1 h, 6 h) compressed by `scale`. Also a contract test any store must pass.
import { assert, assertEqual } from './harness.mjs';
import { messageEvent } from './webhook-suite.mjs';
import { rng } from './trust-suite.mjs';

const KEY = 'ek_chaos_key';
const TOKEN = 'vt_chaos_token';
const SCHEDULE_SECONDS = [15, 300, 3600, 21600];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Each call of `store` waits a random 0–maxMs first (Math.random: timing only, not the plan). */
function withLatency(store, maxMs) {
  const wait = () => sleep(Math.random() * maxMs);
  const out = {
    async get(k) { await wait(); return store.get(k); },
    async put(k, v, o) { await wait(); return store.put(k, v, o); },
    async delete(k) { await wait(); return store.delete(k); },
  };
  if (store.putIfAbsent) out.putIfAbsent = async (k, v, o) => { await wait(); return store.putIfAbsent(k, v, o); };
  return out;
}

/**
 * Runs the chaos scenario; resolves to figures:
 * { events, deliveries, exactlyOnce, lost, duplicated, failedAttempts, ms }.
 */
export async function chaosRun(ctx, store, { events = 1000, seed = 7, scale = 1000, maxLatencyMs = 100, prefix = 'chaos', dispatcherOptions = {} } = {}) {
  const rand = rng(seed);
  const runId = `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const plans = Array.from({ length: events }, (_, i) => ({ id: `${runId}_${i}`, copies: 1 + Math.floor(rand() * 5), failFirst: Math.floor(rand() * 3), attempts: 0, successes: 0 }));
  const byId = new Map(plans.map((p) => [p.id, p]));
  const slow = withLatency(store, maxLatencyMs);
  const handler = async (data) => {
    const plan = byId.get(data.event_id);
    plan.attempts++;
    await sleep(Math.random() * 20);
    if (plan.attempts <= plan.failFirst) throw new Error('planned failure');
    plan.successes++;
  };
  const dispatchers = Array.from({ length: 3 }, () => new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: slow, logLevel: 'none', ...dispatcherOptions })
    .register({ 'im.message.receive_v1': handler }));
  let deliveries = 0, gaveUp = 0;
  const chain = async (event, copy) => {
    for (let attempt = 0; attempt <= SCHEDULE_SECONDS.length; attempt++) {
      if (attempt > 0) await sleep((SCHEDULE_SECONDS[attempt - 1] * 1000) / scale);
      deliveries++;
      // Each delivery is signed when it is sent, like the platform's.
      const { body, headers } = (await ctx.signEventAsync(event, { encryptKey: KEY }));
      const r = await dispatchers[(copy + attempt) % dispatchers.length].invoke(body, headers);
      if (r.status === 200) return;
    }
    gaveUp++;
  };
  const started = Date.now();
  await Promise.all(plans.map((p) => {
    const event = messageEvent(p.id, TOKEN);
    return Promise.all(Array.from({ length: p.copies }, (_, c) => chain(event, c)));
  }));
  const count = (f) => plans.filter(f).length;
  return {
    events,
    deliveries,
    exactlyOnce: count((p) => p.successes === 1),
    lost: count((p) => p.successes === 0),
    duplicated: count((p) => p.successes > 1),
    failedAttempts: plans.reduce((n, p) => n + Math.min(p.attempts, p.failFirst), 0),
    platformGaveUp: gaveUp,
    ms: Date.now() - started,
  };
}

/** The store interface every adapter must honour (atomic ones: one winner among 20). */
export async function storeContract(ctx, store, { atomic = true, ttl = true } = {}) {
  const k = `contract_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  assertEqual(await store.get(k), null, 'absent');
  await store.put(k, 'v1', { expirationTtl: 3600 });
  assertEqual(await store.get(k), 'v1');
  await store.delete(k);
  assertEqual(await store.get(k), null, 'deleted');
  if (atomic) {
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent(k, `w${i}`, { expirationTtl: 60 })));
    assertEqual(wins.filter(Boolean).length, 1, 'exactly one putIfAbsent wins');
    assertEqual(await store.putIfAbsent(k, 'late', { expirationTtl: 60 }), false);
  }
  if (ttl) {
    await store.put(`${k}_ttl`, 'short', { expirationTtl: 1 });
    assertEqual(await store.get(`${k}_ttl`), 'short');
    await sleep(1200);
    assertEqual(await store.get(`${k}_ttl`), null, 'expired after its TTL');
    if (atomic) assertEqual(await store.putIfAbsent(`${k}_ttl`, 'again', { expirationTtl: 60 }), true, 'an expired key can be claimed');
  }
  // As a token store: a second client reads the first one's token (keys of this run only).
  const emu = ctx.emuUrl;
  await fetch(`${emu}/__emu/reset`, { method: 'POST', body: '{}' });
  const scoped = { get: (key) => store.get(k + key), put: (key, v, o) => store.put(k + key, v, o), delete: (key) => store.delete(k + key) };
  const app = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', baseUrl: emu, tokenStore: scoped, logLevel: 'none' };
  const a = new ctx.FeishuClient(app);
  const b = new ctx.FeishuClient(app);
  assertEqual(await a.tokens.tenantAccessToken(), await b.tokens.tenantAccessToken(), 'shared token');
  const log = await (await fetch(`${emu}/__emu/log`)).json();
  assertEqual(log.counts.tenantToken, 1, 'one token fetch for two clients');
}

/** Asserts the figures of an exact store and returns a one-line summary. */
export function expectExact(label, r) {
  const line = `${label}: ${r.events} events, ${r.deliveries} deliveries, exactly once ${r.exactlyOnce}, lost ${r.lost}, handled twice ${r.duplicated}, failed attempts retried ${r.failedAttempts}, in ${r.ms} ms`;
  assertEqual([r.exactlyOnce, r.lost, r.duplicated], [r.events, 0, 0], line);
  assert(r.failedAttempts > 0, 'the run had failures to recover from');
  return line;
}
