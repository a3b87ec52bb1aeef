// Issue 9 through the built package (Node, Deno, workerd, Chromium): every reproduction of an
// attack or fault, now a test, and a property test of the trust model. ctx as in webhook-suite.
import { assert, assertEqual, assertRejects } from './harness.mjs';
import { messageEvent } from './webhook-suite.mjs';

const KEY = 'ek_trust_key';
const TOKEN = 'vt_trust_token';
const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const quiet = { logLevel: 'none' };
const post = (body, headers = {}) => new Request('https://bot.example/webhook', { method: 'POST', body, headers });
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniq = (p) => `${p}_${Date.now()}_${Math.random().toString(36).slice(2)}`;

/** A KV-shaped store with an atomic putIfAbsent, optional latency, and a log of TTLs. */
export function latentStore({ latencyMs = () => 0, atomic = true, hangGet = false } = {}) {
  const map = new Map();
  const ttls = new Map();
  const wait = () => sleep(latencyMs());
  const alive = (k) => { const e = map.get(k); if (e && e.exp && e.exp <= Date.now()) { map.delete(k); return undefined; } return e; };
  const store = {
    map, ttls,
    async get(k) { if (hangGet) await new Promise(() => {}); await wait(); return alive(k)?.v ?? null; },
    async put(k, v, o) { await wait(); ttls.set(k, o?.expirationTtl); map.set(k, { v, exp: o?.expirationTtl ? Date.now() + o.expirationTtl * 1000 : 0 }); },
    async delete(k) { await wait(); map.delete(k); },
  };
  if (atomic) {
    store.putIfAbsent = async (k, v, o) => {
      await wait();
      if (alive(k)) return false;
      ttls.set(k, o?.expirationTtl);
      map.set(k, { v, exp: o?.expirationTtl ? Date.now() + o.expirationTtl * 1000 : 0 });
      return true;
    };
  }
  return store;
}

/** A tiny seeded PRNG (mulberry32): the same cases in every runtime. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const trustTests = [
  {
    name: 'an unsigned legacy or schema-1.0 card body never reaches the handler when only an encrypt key is set',
    async fn(ctx) {
      let ran = 0;
      const h = new ctx.CardActionHandler({ encryptKey: 'ek', ...quiet }, () => { ran++; return {}; });
      const legacy = '{"open_id":"ou_x","action":{"tag":"button","value":{"cmd":"approve"}}}';
      const v1 = JSON.stringify({ uuid: 'u1', token: 'x', ts: '1', type: 'event_callback', event: { type: 'card', open_id: 'ou_x' } });
      for (const body of [legacy, v1]) {
        const r = await h.invoke(body, {});
        assertEqual([r.status, r.reason], [401, 'unverifiable_request'], body);
      }
      assertEqual(ran, 0);
    },
  },
  {
    name: 'a forged app_ticket cannot overwrite the stored one',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.FeishuClient({ ...APP, appType: 'marketplace', baseUrl: ctx.emuUrl, ...quiet });
      await client.tokens.storeAppTicket('real-ticket');
      const card = new ctx.CardActionHandler({ encryptKey: KEY, client, ...quiet }, () => ({}));
      const events = new ctx.EventDispatcher({ encryptKey: KEY, client, ...quiet });
      const forged = JSON.stringify({ uuid: 'u2', token: 'x', ts: '1', type: 'event_callback', event: { type: 'app_ticket', app_id: 'cli_0123456789abcdef', app_ticket: 'forged' } });
      assertEqual((await card.invoke(forged, {})).status, 401);
      assertEqual((await events.invoke(forged, {})).status, 401);
      await client.tokens.appAccessToken().catch(() => {}); // the emulator knows no such ticket: only what was sent matters
      const log = await control(ctx.emuUrl, '/__emu/log');
      const tokenCall = log.requests.find((r) => r.path === 'auth/v3/app_access_token');
      assertEqual(tokenCall.body.app_ticket, 'real-ticket');
    },
  },
  {
    name: 'a card handler with neither key is refused unless allowUnverified is set; a keyless event dispatcher (the long connection) refuses every HTTP request',
    async fn(ctx) {
      let err;
      try { new ctx.CardActionHandler({ verificationToken: '' }, () => {}); } catch (e) { err = e; }
      assert(err instanceof ctx.FeishuError, `expected a FeishuError, got ${err}`);
      assertEqual(err.kind, 'config');
      assert(err.message.includes('allowUnverified'), err.message);
      let ran = 0;
      const keyless = new ctx.EventDispatcher({ ...quiet }).register({ 'im.message.receive_v1': () => { ran++; } });
      const signed = await ctx.signEventAsync(messageEvent('ev_keyless'), { encryptKey: KEY });
      for (const [body, headers] of [[JSON.stringify(messageEvent('ev_keyless')), {}], [signed.body, signed.headers]]) {
        const r = await keyless.invoke(body, headers);
        assertEqual([r.status, r.reason], [500, 'no_keys']);
      }
      assertEqual(ran, 0);
      const open = new ctx.EventDispatcher({ allowUnverified: true, ...quiet }).register({ 'im.message.receive_v1': () => {} });
      assertEqual((await open.invoke(JSON.stringify(messageEvent('ev_open')), {})).status, 200);
    },
  },
  {
    name: 'a handler that fails is handled on the retry; a success is then a duplicate (ids kept 8 h)',
    async fn(ctx) {
      const store = latentStore();
      let attempts = 0, successes = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet })
        .register({ 'im.message.receive_v1': () => { if (++attempts === 1) throw new Error('first attempt fails'); successes++; } });
      const event = messageEvent(uniq('ev_retry'), TOKEN);
      const deliver = async () => d.invoke(...Object.values((await ctx.signEventAsync(event, { encryptKey: KEY }))));
      const first = await deliver();
      assertEqual([first.status, first.reason], [500, 'handler_failed']);
      const retry = await deliver();
      assertEqual([retry.status, retry.duplicate], [200, false]);
      const late = await deliver();
      assertEqual([late.status, late.duplicate], [200, true]);
      assertEqual([attempts, successes], [2, 1]);
      assertEqual(store.ttls.get(`feishu-edge:event:${event.header.app_id}:2.0:${event.header.event_id}`), 28800);
      assertEqual(d.exactlyOnce, true);
    },
  },
  {
    name: 'five identical deliveries at once (store latency 50 ms), and three dispatchers on one store, dispatch once',
    async fn(ctx) {
      const store = latentStore({ latencyMs: () => 50 });
      let handled = 0;
      const make = () => new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet })
        .register({ 'im.message.receive_v1': async () => { await sleep(20); handled++; } });
      const one = make();
      const event = messageEvent(uniq('ev_5x'), TOKEN);
      const replies = await Promise.all(Array.from({ length: 5 }, async () => one.invoke(...Object.values((await ctx.signEventAsync(event, { encryptKey: KEY }))))));
      assertEqual(handled, 1, JSON.stringify(replies));
      assert(replies.every((r) => r.status === 200 || r.reason === 'event_in_progress'), JSON.stringify(replies));
      const three = [make(), make(), make()];
      const event2 = messageEvent(uniq('ev_3d'), TOKEN);
      await Promise.all(three.map(async (d) => d.invoke(...Object.values((await ctx.signEventAsync(event2, { encryptKey: KEY }))))));
      assertEqual(handled, 2);
    },
  },
  {
    name: 'a dedupe store whose get hangs fails open within storeTimeoutMs; one that throws too',
    async fn(ctx) {
      let handled = 0;
      const warnings = [];
      const logger = { warn: (m) => warnings.push(m), error() {}, info() {}, debug() {} };
      for (const store of [latentStore({ hangGet: true, atomic: false }), { get() { throw new Error('down'); }, put() { throw new Error('down'); }, delete() {} }]) {
        const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, storeTimeoutMs: 150, logger, logLevel: 'warn' })
          .register({ 'im.message.receive_v1': () => { handled++; } });
        const started = Date.now();
        const r = await d.invoke(...Object.values((await ctx.signEventAsync(messageEvent(uniq('ev_hang'), TOKEN), { encryptKey: KEY }))));
        assertEqual(r.status, 200);
        assert(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      }
      assertEqual(handled, 2);
      assert(warnings.some((w) => String(w).includes('de-duplication store')), JSON.stringify(warnings));
    },
  },
  {
    name: 'with waitUntil a failed handler goes to onError(error, event), its claim is released, and the retry is handled',
    async fn(ctx) {
      const store = latentStore();
      const reported = [];
      let attempts = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet, onError: (e, event) => reported.push([e.message, event.message?.message_id]) })
        .register({ 'im.message.receive_v1': async () => { if (++attempts === 1) throw new Error('deferred failure'); } });
      const event = messageEvent(uniq('ev_wu'), TOKEN);
      const pending = [];
      const res = await d.handle(post(...Object.values((await ctx.signEventAsync(event, { encryptKey: KEY })))), { waitUntil: (p) => pending.push(p) });
      assertEqual(res.status, 200);
      await Promise.all(pending);
      assertEqual(reported, [['deferred failure', 'om_1']]);
      const retry = await d.invoke(...Object.values((await ctx.signEventAsync(event, { encryptKey: KEY }))));
      assertEqual([retry.status, retry.duplicate, attempts], [200, false, 2]);
    },
  },
  {
    name: 'a revoked token is replaced even when the tokenStore has no delete',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const map = new Map();
      const tokenStore = { async get(k) { return map.get(k) ?? null; }, async put(k, v) { map.set(k, v); } };
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, tokenStore, ...quiet });
      await client.request({ path: 'im/v1/chats' });
      await control(ctx.emuUrl, '/__emu/revoke', {});
      const res = await client.request({ path: 'im/v1/chats' });
      assertEqual(res.code, 0);
      const again = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, tokenStore, ...quiet });
      assertEqual((await again.request({ path: 'im/v1/chats' })).code, 0, 'the store holds the fresh token');
      assertEqual((await control(ctx.emuUrl, '/__emu/log')).counts.tenantToken, 2);
    },
  },
  {
    name: 'a tokenStore that hangs slows a call by its 2 s deadline, never hangs it',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const tokenStore = { get: () => new Promise(() => {}), put: () => new Promise(() => {}) };
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, tokenStore, ...quiet });
      const started = Date.now();
      assertEqual((await client.request({ path: 'im/v1/chats' })).code, 0);
      const ms = Date.now() - started;
      assert(ms >= 1900 && ms < 6000, `took ${ms} ms`);
    },
  },
  {
    name: 'ten concurrent oauth.userAccessToken calls on an expiring token send one refresh',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', { oauthExpire: 100 });
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, ...quiet });
      await client.oauth.exchangeCode('code-ok', { redirectUri: 'https://app.example/cb', store: true });
      const before = (await control(ctx.emuUrl, '/__emu/log')).counts.oauthToken;
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.oauth.userAccessToken('ou_oauth_user')));
      assert(tokens.every((t) => t === tokens[0] && t !== 'u-oauth-1'), JSON.stringify(tokens));
      assertEqual((await control(ctx.emuUrl, '/__emu/log')).counts.oauthToken - before, 1);
    },
  },
  {
    name: 'a streamed body with no Content-Length is cut at the limit; an oversized invoke() is a 413, not a trap',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, maxBodyBytes: 64 * 1024, ...quiet }).register({ 'im.message.receive_v1': () => {} });
      let pulled = 0;
      const chunk = new Uint8Array(16 * 1024).fill(32);
      const endless = new ReadableStream({ pull(c) { pulled += chunk.byteLength; c.enqueue(chunk); } });
      const res = await d.handle(new Request('https://bot.example/webhook', { method: 'POST', body: endless, duplex: 'half' }));
      assertEqual([res.status, (await res.json()).error], [413, 'body_too_large']);
      assert(pulled <= 64 * 1024 + 3 * chunk.byteLength, `read ${pulled} bytes`);
      const big = new Uint8Array(16 * 1024 * 1024);
      const r = await d.invoke(big, {});
      assertEqual([r.status, r.reason], [413, 'body_too_large']);
      assertEqual((await d.invoke('x'.repeat(65 * 1024), {})).status, 413);
      // The isolate keeps serving.
      const ok = await d.invoke(...Object.values((await ctx.signEventAsync(messageEvent(uniq('ev_after'), TOKEN), { encryptKey: KEY }))));
      assertEqual(ok.status, 200);
    },
  },
  {
    name: 'a body trickling 1 KB every 200 ms is refused after bodyTimeoutMs',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, bodyTimeoutMs: 500, ...quiet });
      let timer;
      const trickle = new ReadableStream({
        start(c) { timer = setInterval(() => { try { c.enqueue(new Uint8Array(1024).fill(32)); } catch { clearInterval(timer); } }, 200); },
        cancel() { clearInterval(timer); },
      });
      const started = Date.now();
      const res = await d.handle(new Request('https://bot.example/webhook', { method: 'POST', body: trickle, duplex: 'half' }));
      clearInterval(timer);
      assertEqual([res.status, (await res.json()).error], [408, 'body_timeout']);
      assert(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    },
  },
  {
    name: 'tenant tokens never go to another origin; .. and . path parameters are refused',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const seen = [];
      const fetchSpy = (url, init) => {
        const u = String(url instanceof Request ? url.url : url);
        if (u.startsWith(ctx.emuUrl)) return fetch(url, init);
        seen.push([u, new Headers(init?.headers).get('authorization')]);
        return Promise.resolve(new Response('{"code":0,"msg":"ok","data":{}}', { headers: { 'content-type': 'application/json' } }));
      };
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, fetch: fetchSpy, ...quiet });
      await client.request({ path: 'https://other.example/x' });
      await client.request({ path: 'https://other.example/y', accessToken: 'mine' });
      assertEqual(seen, [['https://other.example/x', null], ['https://other.example/y', 'Bearer mine']]);
      for (const id of ['..', '.', '']) {
        const err = await assertRejects(client.im.v1.message.get({ path: { message_id: id } }));
        assertEqual([err.kind], ['invalid_request'], id);
      }
    },
  },
  {
    name: 'sendWebhook times out with a FeishuError; failures that may have posted are not retryable',
    async fn(ctx) {
      const hang = (_url, init) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal.reason ?? new Error('aborted'))));
      const err = await assertRejects(ctx.sendWebhook('https://hooks.example/x', 'hi', { fetch: hang, timeoutMs: 100 }));
      assert(err instanceof ctx.FeishuError, String(err));
      assertEqual([err.kind, err.retryable], ['timeout', false]);
      const fail = () => Promise.resolve(new Response('<html>busy</html>', { status: 502 }));
      const e2 = await assertRejects(ctx.sendWebhook('https://hooks.example/x', 'hi', { fetch: fail }));
      assertEqual([e2.kind, e2.httpStatus, e2.retryable], ['http', 502, false]);
      const limited = () => Promise.resolve(Response.json({ code: 99991400, msg: 'too many' }, { status: 429 }));
      const e3 = await assertRejects(ctx.sendWebhook('https://hooks.example/x', 'hi', { fetch: limited }));
      assertEqual([e3.kind, e3.retryable], ['api', true], 'a rate limit was not processed: retryable');
    },
  },
  {
    name: 'property: 600 random configurations × requests never dispatch an unauthenticated request',
    async fn(ctx) {
      const rand = rng(9009);
      const pick = (xs) => xs[Math.floor(rand() * xs.length)];
      const now = Math.floor(Date.now() / 1000);
      let dispatched = 0, authenticatedCases = 0;
      for (let i = 0; i < 600; i++) {
        const ek = pick([undefined, KEY]);
        const vt = pick([undefined, TOKEN]);
        const card = rand() < 0.5;
        const options = { encryptKey: ek, verificationToken: vt, allowUnverified: !ek && !vt, ...quiet };
        let ran = false;
        const handler = () => { ran = true; return {}; };
        const endpoint = card ? new ctx.CardActionHandler(options, handler) : new ctx.EventDispatcher(options).register({ 'im.message.receive_v1': handler, 'card.action.trigger': handler, 'app_ticket': handler });
        const token = pick([TOKEN, 'wrong', undefined]);
        const shape = pick(['v2', 'v1', 'legacy', 'v2card']);
        const id = `p${i}`;
        const payload = shape === 'v2' ? messageEvent(id, token)
          : shape === 'v2card' ? { schema: '2.0', header: { event_id: id, event_type: 'card.action.trigger', token }, event: { action: { value: {} } } }
          : shape === 'v1' ? { uuid: id, token, ts: '1', type: 'event_callback', event: { type: 'im.message.receive_v1' } }
          : { open_id: 'ou_x', token, action: { tag: 'button', value: {} } };
        if (token === undefined) { delete payload.token; if (payload.header) delete payload.header.token; }
        const encryptWith = shape === 'legacy' ? undefined : pick([undefined, KEY, 'other-key']);
        const plain = JSON.stringify(payload);
        const body = encryptWith ? JSON.stringify({ encrypt: (await ctx.encryptEventAsync(plain, encryptWith)) }) : plain;
        const sig = pick(['none', 'sha256-key', 'sha256-wrong', 'sha1-token', 'sha1-wrong']);
        const ts = pick([now, now, now - 1000]);
        const headers = { 'content-type': 'application/json' };
        if (sig !== 'none') {
          const sha1 = sig.startsWith('sha1');
          const secret = sig.endsWith('wrong') ? 'nope' : sha1 ? TOKEN : KEY;
          Object.assign(headers, { 'x-lark-request-timestamp': String(ts), 'x-lark-request-nonce': 'n', 'x-lark-signature': (await ctx.computeSignatureAsync({ timestamp: ts, nonce: 'n', key: secret, body, algorithm: sha1 ? 'sha1' : 'sha256' })) });
        }
        // The oracle, independent of the implementation.
        const fresh = ts === now;
        const legacyFlow = card && !encryptWith && !('schema' in payload);
        let authenticated;
        if (!ek && !vt) authenticated = true;
        else if (legacyFlow) authenticated = !!vt && sig === 'sha1-token' && fresh;
        else if (ek) authenticated = sig === 'sha256-key' && fresh;
        else authenticated = token === TOKEN;
        if (authenticated) authenticatedCases++;
        await endpoint.invoke(body, headers);
        if (ran) {
          dispatched++;
          assert(authenticated, `case ${i} dispatched unauthenticated: ${JSON.stringify({ ek: !!ek, vt: !!vt, card, shape, token, encryptWith, sig, fresh })}`);
        }
      }
      assert(dispatched > 50 && authenticatedCases > dispatched / 2, `not vacuous: ${dispatched} dispatched, ${authenticatedCases} authenticated`);
    },
  },
];
