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
    name: 'WSClient: a handler still running at 2.5 s is acked 200 and keeps running; its later failure goes to onError',
    skip: skipBrowser,
    async fn(ctx) {
      await reset(ctx);
      const reported = [];
      let finished = false;
      const d = new ctx.EventDispatcher({ onError: (e) => reported.push(e.message) })
        .register({ 'im.message.receive_v1': async () => { await sleep(3200); finished = true; throw new Error('late failure'); } });
      const { ws } = await connected(ctx, d);
      try {
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
