// The long connection (issue 16) through the built package, in Node (the `ws` package as
// `WebSocket` on Node 20), Deno (global WebSocket) and workerd (fetch upgrade), against the
// emulator's WebSocket endpoint, driven through its HTTP control routes. ctx: { WSClient,
// EventDispatcher, FeishuError, emuUrl, runtime, WebSocket? }.
import { assert, assertEqual, assertRejects } from './harness.mjs';
import { messageEvent } from './webhook-suite.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const FAST = { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 0.3, ReconnectNonce: 0.1 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniq = (p) => `${p}_${Date.now()}_${Math.random().toString(36).slice(2)}`;
const control = async (ctx, path, body) => {
  const res = await fetch(ctx.emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const push = (ctx, payload, options = {}) => control(ctx, '/__emu/ws/push', { payload, ...options });
const status = (ctx) => control(ctx, '/__emu/ws/status');
const reset = (ctx, wsClientConfig = FAST) => control(ctx, '/__emu/reset', { ...APP, wsClientConfig });
const until = async (what, check, ms = 8000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
};
const cardEvent = (eventId) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: 'card.action.trigger', create_time: '1700000000000', app_id: 'cli_0123456789abcdef', tenant_key: 'tk_1' },
  event: { operator: { open_id: 'ou_op' }, action: { tag: 'button', value: { k: 1 } }, context: { open_message_id: 'om_1' } },
});

/** A WSClient on the emulator, its callbacks recorded; closed by `run`'s end. */
async function connected(ctx, dispatcher, extra = {}) {
  const calls = [];
  const record = (name) => (...args) => calls.push([name, ...args]);
  const ws = new ctx.WSClient({
    ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket,
    onReady: record('ready'), onError: record('error'), onReconnecting: record('reconnecting'), onReconnected: record('reconnected'),
    ...extra,
  });
  await ws.start({ eventDispatcher: dispatcher });
  await until('the emulator to see the connection', async () => (await status(ctx)).connections >= 1);
  return { ws, calls };
}

const skipBrowser = (ctx) => ctx.runtime === 'browser';

/** A socket that opens at once and never speaks (no emulator needed). */
class OpeningSocket {
  constructor() { this.l = {}; setTimeout(() => this.emit('open', {}), 0); }
  addEventListener(k, f) { (this.l[k] ??= []).push(f); }
  emit(k, e) { for (const f of this.l[k] ?? []) f(e); }
  send() {}
  close() {}
}
/** An endpoint reply that opens an OpeningSocket. */
const endpointOk = () => JSON.stringify({ code: 0, data: { URL: 'wss://fake.invalid/ws/v2?service_id=1&ticket=t', ClientConfig: FAST } });
const settledWithin = (p, ms) => Promise.race([p.then(() => 'resolved', (e) => e), sleep(ms).then(() => 'pending')]);

export const wsTests = [
  {
    name: 'WSClient: an event arrives with the data an HTTP handler gets, split in parts or whole, acked 200 with a non-negative biz_rt',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const seen = [];
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': (data, c) => { seen.push([data, c]); } });
      const { ws, calls } = await connected(ctx, d);
      try {
        assertEqual(ws.getConnectionStatus().state, 'open');
        assertEqual(calls.map((c) => c[0]), ['ready']);
        const event = messageEvent(uniq('ev_ws'), '');
        for (const fragments of [1, 3]) {
          const ack = await push(ctx, { ...event, header: { ...event.header, event_id: uniq('ev_ws') } }, { fragments });
          assertEqual(ack.code, 200);
          assert(Number.isInteger(ack.bizRt) && ack.bizRt >= 0, `biz_rt ${ack.bizRt}`);
        }
        assertEqual(seen.length, 2);
        const [data, c] = seen[0];
        assertEqual([data.event_type, data.message.message_id, data.tenant_key, c.schema], ['im.message.receive_v1', 'om_1', 'tk_1', '2.0']);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: a card callback registered on the dispatcher replies through the ack',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const d = new ctx.EventDispatcher({}).register({ 'card.action.trigger': (data) => ({ toast: { type: 'success', content: `got ${data.action.value.k}` } }) });
      const { ws } = await connected(ctx, d);
      try {
        const ack = await push(ctx, cardEvent(uniq('ev_card')));
        assertEqual([ack.code, ack.data], [200, { toast: { type: 'success', content: 'got 1' } }]);
        // type=card frames (old card callbacks) are not served: dropped, never acked.
        const err = await assertRejects(push(ctx, cardEvent(uniq('ev_old')), { type: 'card', timeoutMs: 600 }));
        assert(String(err.message).includes('504') || String(err.message).includes('no ack'), String(err.message));
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: a failing handler is acked 500 and the re-push is handled; a re-push after success is acked without running it again',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      let runs = 0;
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': () => { if (++runs === 1) throw new Error('first attempt fails'); } });
      const { ws, calls } = await connected(ctx, d);
      try {
        const event = messageEvent(uniq('ev_retry'), '');
        assertEqual((await push(ctx, event)).code, 500);
        assertEqual((await push(ctx, event)).code, 200);
        assertEqual((await push(ctx, event)).code, 200);
        assertEqual(runs, 2);
        assertEqual(calls.filter((c) => c[0] === 'error').length, 0, 'handler failures go to the dispatcher\'s onError, not the connection\'s');
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: a handler still running at ackDeadlineMs (2.4 s) is acked 200 and keeps running; its later failure goes to onError',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const reported = [];
      let finished = false;
      const d = new ctx.EventDispatcher({ onError: (e) => reported.push(e.message) })
        .register({ 'im.message.receive_v1': async () => { await sleep(3200); finished = true; throw new Error('late failure'); } });
      const { ws } = await connected(ctx, d);
      try {
        assertEqual(ws.ackDeadlineMs, 2400);
        const started = Date.now();
        const ack = await push(ctx, messageEvent(uniq('ev_slow'), ''));
        const took = Date.now() - started;
        assertEqual(ack.code, 200);
        assert(took >= 2300 && took < 2950, `acked after ${took} ms`);
        assert(!finished, 'the handler was still running');
        await until('the late failure to reach onError', () => reported.length === 1);
        assert(reported[0].includes('late failure'), reported[0]);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: a dropped socket reconnects through a fresh endpoint (onReconnecting, onReconnected) and events flow again',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      let runs = 0;
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': () => { runs++; } });
      const { ws, calls } = await connected(ctx, d);
      try {
        const before = await status(ctx);
        await control(ctx, '/__emu/ws/fault', { kind: 'drop' });
        await until('reconnecting', () => calls.some((c) => c[0] === 'reconnecting'));
        await until('reconnected', () => calls.some((c) => c[0] === 'reconnected'));
        assertEqual(ws.getConnectionStatus().state, 'open');
        const after = await status(ctx);
        assertEqual([after.endpoint - before.endpoint, after.handshakes - before.handshakes], [1, 1]);
        assertEqual((await push(ctx, messageEvent(uniq('ev_after'), ''))).code, 200);
        assertEqual(runs, 1);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: a silent socket is declared dead within three ping intervals and replaced',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx, { ...FAST, PingInterval: 0.4 });
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': () => {} });
      const { ws, calls } = await connected(ctx, d);
      try {
        await until('a pong to apply the 0.4 s interval', async () => (await status(ctx)).pings >= 1);
        const started = Date.now();
        await control(ctx, '/__emu/ws/fault', { kind: 'silent' });
        await until('reconnected', () => calls.some((c) => c[0] === 'reconnected'), 6000);
        const took = Date.now() - started;
        assert(took < 3000, `took ${took} ms to notice`);
        assertEqual((await push(ctx, messageEvent(uniq('ev_live'), ''))).code, 200);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: an endpoint busy code is retried; a fatal code rejects start() with a FeishuError carrying it, and stops',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', code: 1000040343, count: 2 });
      const d = new ctx.EventDispatcher({});
      const { ws, calls } = await connected(ctx, d);
      await ws.close();
      assertEqual(calls.filter((c) => c[0] === 'error').map((c) => c[1].code), [1000040343, 1000040343]);
      // Bad credentials: fatal.
      const bad = new ctx.WSClient({ ...APP, appSecret: 'wrong', baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket });
      const err = await assertRejects(bad.start({ eventDispatcher: d }));
      assert(err instanceof ctx.FeishuError, String(err));
      assertEqual([err.kind, err.code], ['api', 10003]);
      assertEqual(bad.getConnectionStatus().state, 'failed');
      assert(!String(err.message).includes('wrong'), 'the secret is not echoed');
    },
  },
  {
    name: 'WSClient: a handshake refused for too many connections (514, 1000040350) is fatal where the runtime shows the refusal',
    skip: (ctx) => skipBrowser(ctx) || ctx.runtime === 'deno',
    async fn(ctx) {
      await reset(ctx);
      await control(ctx, '/__emu/ws/fault', { kind: 'refuse', status: 514, code: 1000040350 });
      const ws = new ctx.WSClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket });
      const err = await assertRejects(ws.start({ eventDispatcher: new ctx.EventDispatcher({}) }));
      assertEqual([err.kind, err.code, err.httpStatus], ['http', 1000040350, 514], String(err));
      assertEqual(ws.getConnectionStatus().state, 'failed');
      // Any other 514 is retried.
      await control(ctx, '/__emu/ws/fault', { kind: 'refuse', status: 514, code: 1 });
      const again = new ctx.WSClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket });
      await again.start({ eventDispatcher: new ctx.EventDispatcher({}) });
      assertEqual(again.getConnectionStatus().state, 'open');
      await again.close();
    },
  },
  {
    name: 'WSClient: garbage frames, a text message and impossible parts reach no handler and the connection stays open',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      let runs = 0;
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': () => { runs++; } });
      const { ws } = await connected(ctx, d);
      try {
        // Not protobuf; an endless varint; sum 1,000,000; seq 7 of 2.
        for (const base64 of ['/////w==', 'gICAgICAgICAgIA=', 'CAEQARiSISABKg0KBHR5cGUSBWV2ZW50Kg8KCm1lc3NhZ2VfaWQSAW0qDgoDc3VtEgcxMDAwMDAwKggKA3NlcRIBMEICe30=', 'CAEQARiSISABKg0KBHR5cGUSBWV2ZW50KhAKCm1lc3NhZ2VfaWQSAm0yKggKA3N1bRIBMioICgNzZXESATdCAnt9']) await control(ctx, '/__emu/ws/raw', { base64 });
        await control(ctx, '/__emu/ws/raw', { text: 'hello' });
        await push(ctx, 'not json at all', { timeoutMs: 1500 }).catch(() => {});
        await sleep(100);
        assertEqual([runs, ws.getConnectionStatus().state], [0, 'open']);
        assertEqual((await push(ctx, messageEvent(uniq('ev_ok'), ''))).code, 200);
        assertEqual(runs, 1);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: close() stops for good: closed, no reconnect, no socket left',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const { ws, calls } = await connected(ctx, new ctx.EventDispatcher({}));
      await ws.close();
      assertEqual(ws.getConnectionStatus().state, 'closed');
      await until('the socket to close', async () => (await status(ctx)).connections === 0);
      const endpointCalls = (await status(ctx)).endpoint;
      await sleep(700);
      assertEqual((await status(ctx)).endpoint, endpointCalls, 'no reconnect after close');
      assert(!calls.some((c) => c[0] === 'reconnecting'));
    },
  },
  {
    name: 'WSClient: missing credentials are a config FeishuError at construction; a keyless EventDispatcher refuses HTTP',
    skip: skipBrowser,
    async fn(ctx) {
      ctx.setEnv?.({ FEISHU_APP_ID: undefined, FEISHU_APP_SECRET: undefined });
      let err;
      try { new ctx.WSClient({ appId: 'cli_x', WebSocket: ctx.WebSocket }); } catch (e) { err = e; }
      assert(err instanceof ctx.FeishuError && err.kind === 'config' && err.message.includes('appSecret'), String(err));
      const d = new ctx.EventDispatcher({});
      const res = await d.handle(new Request('https://bot.example/webhook', { method: 'POST', body: JSON.stringify(messageEvent('ev_http', '')) }));
      assertEqual([res.status, (await res.json()).error], [500, 'no_keys']);
    },
  },
  // ---- issue 23 (hardening)
  {
    name: 'WSClient (issue 23 M4): ReconnectInterval 0 with handshakes refused retryably: attempts back off from 0.5 s (at most 6 endpoint requests in 3 s)',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx, { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 0, ReconnectNonce: 0 });
      await control(ctx, '/__emu/ws/fault', { kind: 'refuse', status: 514, code: 1, count: 1e6 });
      const errors = [];
      const ws = new ctx.WSClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket, onError: (e) => errors.push(e) });
      const started = ws.start({ eventDispatcher: new ctx.EventDispatcher({}) }).then(() => 'resolved', (e) => e);
      await sleep(3000);
      const { endpoint, handshakes } = await status(ctx);
      await ws.close();
      const settled = await Promise.race([started, sleep(2000).then(() => 'still pending')]);
      await reset(ctx);
      assert(endpoint >= 2 && endpoint <= 6, `${endpoint} endpoint requests (${handshakes} handshakes) in 3 s`);
      assert(settled instanceof ctx.FeishuError, `start() settles when closed: ${settled}`);
    },
  },
  {
    name: 'WSClient (issue 23 M4/L9): a socket that opens and drops at once backs off too (at most 7 handshakes in 4 s)',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx, { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 0, ReconnectNonce: 0 });
      await control(ctx, '/__emu/ws/fault', { kind: 'accept-drop', count: 1e6 });
      const ws = new ctx.WSClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket });
      ws.start({ eventDispatcher: new ctx.EventDispatcher({}) }).catch(() => {});
      await sleep(4000);
      const { handshakes, endpoint } = await status(ctx);
      await ws.close();
      await reset(ctx);
      assert(handshakes >= 2 && handshakes <= 7, `${handshakes} handshakes (${endpoint} endpoint requests) in 4 s`);
    },
  },
  {
    name: 'WSClient (issue 23 M2): a rate limit from the endpoint (99991400 with HTTP 429 and a reset hint, then with 400) is retried, after the hint, not fatal',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', code: 99991400, status: 429, headers: { 'x-ogw-ratelimit-reset': '2' }, msg: 'request trigger frequency limit' });
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', code: 99991400, status: 400, msg: 'request trigger frequency limit' });
      const t0 = Date.now();
      const { ws, calls } = await connected(ctx, new ctx.EventDispatcher({}));
      const took = Date.now() - t0;
      try {
        assertEqual(ws.getConnectionStatus().state, 'open');
        assertEqual(calls.filter((c) => c[0] === 'error').map((c) => c[1].code), [99991400, 99991400]);
        assert(took >= 2000, `the reset hint (2 s) was honoured: connected after ${took} ms`);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (issue 23 M3): an endpoint URL the socket refuses (a space, a #fragment) is a failed attempt, retried, and the ticket is never logged',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const bad = (ctx.emuUrl.replace(/^http/, 'ws'));
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', url: `${bad}/ws/v2?service_id=1&ticket=SECRET_TICKET_1#frag` });
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', url: `${bad}/ws v2?service_id=1&ticket=SECRET_TICKET_2` });
      const lines = [];
      const logger = { error: (l) => lines.push(l), warn: (l) => lines.push(l), info: (l) => lines.push(l), debug: (l) => lines.push(l) };
      const { ws, calls } = await connected(ctx, new ctx.EventDispatcher({}), { logger, logLevel: 'debug' });
      try {
        assertEqual(ws.getConnectionStatus().state, 'open');
        const errors = calls.filter((c) => c[0] === 'error').map((c) => c[1]);
        assertEqual(errors.length, 2);
        const text = lines.join('\n') + errors.map((e) => `${e.message} ${e.msg}`).join('\n');
        assert(!text.includes('SECRET_TICKET'), text);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (issue 23 M3): a WebSocket constructor that throws is a failed attempt, retried (no unhandled rejection), its message (quoting the ticket) never logged',
    skip: skipBrowser,
    async fn(ctx) {
      let made = 0, socket;
      class Socket {
        constructor(url) {
          if (++made === 1) throw new SyntaxError(`Invalid URL: ${url}`);
          this.l = {}; socket = this; setTimeout(() => this.emit('open', {}), 0);
        }
        addEventListener(k, f) { (this.l[k] ??= []).push(f); }
        emit(k, e) { for (const f of this.l[k] ?? []) f(e); }
        send() {}
        close() {}
      }
      const fetch = async () => new Response(JSON.stringify({ code: 0, data: { URL: 'wss://fake.invalid/ws/v2?service_id=1&ticket=SECRET_TICKET_3', ClientConfig: FAST } }));
      const lines = [], errors = [];
      const log = (l) => lines.push(l);
      const ws = new ctx.WSClient({ ...APP, logger: { error: log, warn: log, info: log, debug: log }, logLevel: 'debug', WebSocket: Socket, fetch, onError: (e) => errors.push(e) });
      await ws.start({ eventDispatcher: new ctx.EventDispatcher({}) });
      try {
        assertEqual([made, errors.length, ws.getConnectionStatus().state], [2, 1, 'open']);
        assert(socket !== undefined);
        const text = lines.join('\n') + errors.map((e) => e.message).join('\n');
        assert(!text.includes('SECRET_TICKET'), text);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (issue 23 L1): one size rule: a 1.5 MiB event is handled; a 5 MiB one is acked 500 (pushed again), never acked 200 unhandled',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const seen = [];
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': (data) => { seen.push(data.message.content.length); } });
      const { ws } = await connected(ctx, d);
      try {
        const big = (n) => { const e = messageEvent(uniq('ev_big'), ''); e.event.message.content = 'x'.repeat(n); return e; };
        const ack = await push(ctx, big(1.5 * 1024 * 1024), { fragments: 2 });
        assertEqual([ack.code, seen], [200, [1.5 * 1024 * 1024]]);
        const refused = await push(ctx, big(5 * 1024 * 1024), { fragments: 4, timeoutMs: 3000 });
        assertEqual([refused.code, seen.length], [500, 1]);
        assertEqual(ws.getConnectionStatus().state, 'open');
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (issue 23 L2): every start() settles: two concurrent calls, a call pending at close(), a call while reconnecting',
    skip: skipBrowser,
    async fn(ctx) {
      const within = (p, ms = 6000) => Promise.race([p.then(() => 'resolved', (e) => e), sleep(ms).then(() => 'pending')]);
      await reset(ctx);
      const d = new ctx.EventDispatcher({});
      const opts = { ...APP, baseUrl: ctx.emuUrl, logLevel: 'none', WebSocket: ctx.WebSocket };
      // Two at once: both resolve.
      const a = new ctx.WSClient(opts);
      const both = await Promise.all([within(a.start({ eventDispatcher: d })), within(a.start({ eventDispatcher: d }))]);
      assertEqual(both, ['resolved', 'resolved']);
      // While reconnecting: resolves once reconnected.
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', code: 1, count: 2 });
      await control(ctx, '/__emu/ws/fault', { kind: 'drop' });
      await until('reconnecting', () => a.getConnectionStatus().state === 'reconnecting');
      assertEqual(await within(a.start({ eventDispatcher: d })), 'resolved');
      assertEqual(a.getConnectionStatus().state, 'open');
      await a.close();
      // Pending when close() runs (the endpoint does not answer): rejects.
      await control(ctx, '/__emu/ws/fault', { kind: 'endpoint', hang: true });
      const b = new ctx.WSClient(opts);
      const pending = within(b.start({ eventDispatcher: d }));
      await sleep(200);
      await b.close();
      const settled = await pending;
      assert(settled instanceof ctx.FeishuError, `settled: ${settled}`);
      assertEqual(b.getConnectionStatus().state, 'closed');
      await reset(ctx);
    },
  },
  {
    name: 'WSClient (issue 23 L4): timeoutMs ends the endpoint request even when a custom fetch ignores the signal (never settles, or its body never ends)',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      let calls = 0;
      const fetch = (url, init) => {
        calls++;
        if (calls === 1) return new Promise(() => {});
        if (calls === 2) return Promise.resolve(new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"code":0,')); } }), { status: 200 }));
        return globalThis.fetch(url, init);
      };
      const t0 = Date.now();
      const { ws, calls: seen } = await connected(ctx, new ctx.EventDispatcher({}), { fetch, timeoutMs: 300 });
      try {
        const errors = seen.filter((c) => c[0] === 'error').map((c) => c[1].kind);
        assertEqual([calls, errors], [3, ['timeout', 'timeout']]);
        assert(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (review 1): close() ends an endpoint request whose fetch ignores the signal; its deadline never fails the attempt of a start() after it',
    skip: skipBrowser,
    async fn(ctx) {
      let calls = 0;
      // The first request never settles (its signal ignored). The second starts at 400 ms and
      // answers at 800 ms, within its own deadline (1000 ms), after the first one's (600 ms).
      const fetch = () => (++calls === 1 ? new Promise(() => {}) : sleep(400).then(() => new Response(endpointOk())));
      const errors = [];
      const ws = new ctx.WSClient({ ...APP, logLevel: 'none', WebSocket: OpeningSocket, fetch, timeoutMs: 600, autoReconnect: false, onError: (e) => errors.push(e) });
      const d = new ctx.EventDispatcher({});
      const t0 = Date.now();
      const first = settledWithin(ws.start({ eventDispatcher: d }), 3000);
      await sleep(50);
      await ws.close();
      assert((await first) instanceof ctx.FeishuError, 'the pending start() rejects');
      await sleep(400 - (Date.now() - t0));
      const second = await settledWithin(ws.start({ eventDispatcher: d }), 3000);
      try {
        assertEqual([second, calls, errors.map((e) => e.message)], ['resolved', 2, []]);
        assertEqual(ws.getConnectionStatus().state, 'open');
      } finally {
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient (review 1): keyless: a provider that fails after close() changes nothing; a start() after it connects (and settles)',
    skip: skipBrowser,
    async fn(ctx) {
      let asked = 0;
      const provider = { retrieveToken: async () => {
        if (++asked === 1) { await sleep(200); throw new Error('the provider is down'); }
        return { value: 'assertion' };
      } };
      // The second attempt's request is still in flight when the first provider fails.
      const fetch = () => sleep(500).then(() => new Response(endpointOk()));
      const errors = [];
      const ws = new ctx.WSClient({ appId: APP.appId, clientAssertionProvider: provider, logLevel: 'none', WebSocket: OpeningSocket, fetch, autoReconnect: false, onError: (e) => errors.push(e) });
      const d = new ctx.EventDispatcher({});
      const first = settledWithin(ws.start({ eventDispatcher: d }), 3000);
      await sleep(50);
      await ws.close();
      assert((await first) instanceof ctx.FeishuError, 'the pending start() rejects');
      const second = await settledWithin(ws.start({ eventDispatcher: d }), 3000);
      try {
        assertEqual([second, asked, errors.map((e) => e.message)], ['resolved', 2, []]);
        assertEqual(ws.getConnectionStatus().state, 'open');
      } finally {
        await ws.close();
      }
      // A provider failure of the attempt in flight still fails it, with its typed error.
      const down = new ctx.WSClient({ appId: APP.appId, clientAssertionProvider: { retrieveToken: async () => { throw new Error('the provider is down'); } }, logLevel: 'none', WebSocket: OpeningSocket, fetch, autoReconnect: false });
      const refused = await settledWithin(down.start({ eventDispatcher: d }), 3000);
      await down.close();
      assert(refused instanceof Error && refused !== 'pending', `settled: ${refused}`);
    },
  },
  {
    name: 'WSClient (review 14): an endpoint status that is not an HTTP status (65736, which would wrap to 200) is a failed attempt',
    skip: skipBrowser,
    async fn(ctx) {
      const fetch = async () => ({ status: 65736, headers: new Headers(), text: async () => endpointOk() });
      const ws = new ctx.WSClient({ ...APP, logLevel: 'none', WebSocket: OpeningSocket, fetch, autoReconnect: false });
      const settled = await settledWithin(ws.start({ eventDispatcher: new ctx.EventDispatcher({}) }), 3000);
      await ws.close();
      assert(settled instanceof ctx.FeishuError && /not an HTTP status/.test(settled.message), `settled: ${settled}`);
    },
  },
  {
    name: 'WSClient (issue 23 R1): a 60 MiB message is checked in JS and never copied into wasm (dropped unread, logged; the connection stays open)',
    skip: skipBrowser,
    async fn(ctx) {
      const BIG = 60 * 1024 * 1024;
      const big = new Uint8Array(BIG).fill(7).buffer;
      let socket;
      class FakeSocket {
        constructor() { this.l = {}; socket = this; setTimeout(() => this.emit('open', {}), 0); }
        addEventListener(k, f) { (this.l[k] ??= []).push(f); }
        emit(k, e) { for (const f of this.l[k] ?? []) f(e); }
        send() {}
        close() {}
      }
      const fetch = async () => new Response(JSON.stringify({ code: 0, data: { URL: 'wss://fake.invalid/ws/v2?service_id=1&ticket=t', ClientConfig: FAST } }));
      const lines = [];
      const ws = new ctx.WSClient({ ...APP, logger: { error: (l) => lines.push(l), warn: (l) => lines.push(l) }, WebSocket: FakeSocket, fetch });
      await ws.start({ eventDispatcher: new ctx.EventDispatcher({}) });
      const rss = () => globalThis.process?.memoryUsage?.().rss ?? globalThis.Deno?.memoryUsage?.().rss;
      const before = rss();
      socket.emit('message', { data: big });
      socket.emit('message', { data: 'x'.repeat(BIG / 8 + 1) });
      const after = rss();
      await ws.close();
      assertEqual(lines.filter((l) => l.includes('unread')).length, 2, lines.join('\n'));
      if (before !== undefined) assert(after - before < 30e6, `memory grew by ${((after - before) / 1e6).toFixed(1)} MB`);
      assertEqual(ws.getConnectionStatus().state, 'closed');
    },
  },
  {
    name: 'WSClient (issue 23 M1): after more than 10,000 events, a re-push of an event whose handler still runs is acked 500, not run again',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      let runs = 0, release;
      const slowId = uniq('ev_slow_m1');
      const d = new ctx.EventDispatcher({}).register({ 'im.message.receive_v1': (data) => { if (data.event_id === slowId) { runs++; return new Promise((r) => { release = r; }); } } });
      const { ws } = await connected(ctx, d);
      try {
        const slow = messageEvent(slowId, '');
        assertEqual((await push(ctx, slow)).code, 200); // acked early, still running
        await control(ctx, '/__emu/ws/burst', { count: 10_300, concurrency: 100 });
        const again = await push(ctx, slow);
        assertEqual([again.code, runs], [500, 1]);
      } finally {
        release?.();
        await ws.close();
      }
    },
  },
  {
    name: 'WSClient: refuses to run in a browser, where the app secret must never be',
    skip: (ctx) => ctx.runtime !== 'browser',
    async fn(ctx) {
      let err;
      try { new ctx.WSClient({ ...APP }); } catch (e) { err = e; }
      assert(err instanceof ctx.FeishuError && err.kind === 'config' && err.message.includes('browser'), String(err));
    },
  },
];
