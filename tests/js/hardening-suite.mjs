// Issue 15 through the built package (Node, Deno, workerd, Chromium): each of the fourteen
// defects a second review found, reproduced as the reviewer did, now passing. ctx as in
// webhook-suite (FeishuClient, EventDispatcher, CardActionHandler, Card, signEventAsync, emuUrl…).
import { assert, assertEqual, assertRejects } from './harness.mjs';
import { messageEvent } from './webhook-suite.mjs';
import { latentStore } from './trust-suite.mjs';

const KEY = 'ek_hardening_key';
const TOKEN = 'vt_hardening_token';
const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const quiet = { logLevel: 'none' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniq = (p) => `${p}_${Date.now()}_${Math.random().toString(36).slice(2)}`;
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
const signed = async (ctx, payload) => Object.values(await ctx.signEventAsync(payload, { encryptKey: KEY }));
const cardAction = (eventId) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: 'card.action.trigger', create_time: '1700000000000', token: TOKEN, app_id: 'cli_0123456789abcdef', tenant_key: 'tk_1' },
  event: { operator: { open_id: 'ou_op' }, action: { tag: 'button', value: { k: 1 } }, context: { open_message_id: 'om_1', open_chat_id: 'oc_1' } },
});
/** Return values no JSON.stringify accepts: what an ORM hands back, a cycle, a throwing toJSON. */
const unserializable = () => {
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  return [{ id: 10n }, cyclic, { toJSON() { throw new Error('toJSON broke'); } }];
};
/** A logger that keeps every line. */
const recorder = () => {
  const lines = [];
  const log = (level) => (...args) => lines.push([level, args.map(String).join(' ')]);
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
};
const messageOf = (f) => { try { f(); } catch (e) { return String(e?.message ?? e); } return ''; };

export const hardeningTests = [
  {
    name: 'N1: an event handler that returns a BigInt, a cycle or a throwing toJSON has succeeded: 200, committed, onError not called',
    async fn(ctx) {
      for (const value of unserializable()) {
        const store = latentStore();
        let runs = 0, reported = 0;
        const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet, onError: () => { reported++; } })
          .register({ 'im.message.receive_v1': () => { runs++; return value; } });
        const request = await signed(ctx, messageEvent(uniq('ev_n1'), TOKEN));
        const first = await d.invoke(...request);
        assertEqual([first.status, first.body, first.reason], [200, '{}', null]);
        const retry = await d.invoke(...request);
        assertEqual([retry.status, retry.duplicate], [200, true], 'the platform\'s retry is a duplicate');
        assertEqual([runs, reported], [1, 0]);
      }
    },
  },
  {
    name: 'N1: with waitUntil and in queue mode, the same handlers are handled once (the queue message is acked, not redelivered)',
    async fn(ctx) {
      const store = latentStore();
      let runs = 0, reported = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet, onError: () => { reported++; } })
        .register({ 'im.message.receive_v1': () => { runs++; return { id: 10n }; } });
      const pending = [];
      const r = await d.invoke(...(await signed(ctx, messageEvent(uniq('ev_n1w'), TOKEN))), { waitUntil: (p) => pending.push(p) });
      assertEqual(r.status, 200);
      await Promise.all(pending);
      const sent = [];
      const queue = { async send(body) { sent.push(body); } };
      const q = await d.invoke(...(await signed(ctx, messageEvent(uniq('ev_n1q'), TOKEN))), { queue });
      assertEqual([q.status, sent.length], [200, 1]);
      const acks = [], retries = [];
      const batch = { messages: [0, 1].map(() => ({ body: sent[0], ack() { acks.push(1); }, retry() { retries.push(1); } })) };
      assertEqual(await d.consume(batch), { acked: 2, retried: 0 });
      assertEqual([runs, reported, retries.length], [2, 0, 0]);
    },
  },
  {
    name: 'N1: a card handler whose reply cannot be serialized: a clear 500, a FeishuError to onError and the log, and it is not run again',
    async fn(ctx) {
      const store = latentStore();
      const { lines, logger } = recorder();
      let runs = 0;
      const reported = [];
      const h = new ctx.CardActionHandler(
        { encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, logger, logLevel: 'error', onError: (e) => { reported.push(e); } },
        () => { runs++; return { toast: { type: 'info', content: 'done' }, id: 10n }; },
      );
      const request = await signed(ctx, cardAction(uniq('ev_card')));
      const first = await h.invoke(...request);
      assertEqual([first.status, first.reason], [500, 'reply_not_serializable']);
      assert(JSON.parse(first.body).error === 'reply_not_serializable', first.body);
      await sleep(0);
      assertEqual(reported.length, 1);
      assert(reported[0] instanceof ctx.FeishuError && reported[0].reason === 'reply_not_serializable' && /BigInt/i.test(reported[0].message), String(reported[0]?.message));
      assert(lines.some(([level, line]) => level === 'error' && line.includes('cannot be sent')), JSON.stringify(lines));
      const again = await h.invoke(...request);
      assertEqual([again.status, again.duplicate, runs], [200, true, 1]);
    },
  },
  {
    name: 'N5: a queue.send that never answers gets 503 queue_failed within the store deadline',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, storeTimeoutMs: 150, ...quiet }).register({ 'im.message.receive_v1': () => {} });
      const started = Date.now();
      const r = await d.invoke(...(await signed(ctx, messageEvent(uniq('ev_n5'), TOKEN))), { queue: { send: () => new Promise(() => {}) } });
      const took = Date.now() - started;
      assertEqual([r.status, r.reason], [503, 'queue_failed']);
      assert(took < 1500, `answered after ${took} ms`);
    },
  },
  {
    name: 'N6: a hanging onError holds neither the 500 reply nor the claim: the retry is handled',
    async fn(ctx) {
      const store = latentStore();
      let calls = 0, reported = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet, onError: () => { reported++; return new Promise(() => {}); } })
        .register({ 'im.message.receive_v1': () => { if (++calls === 1) throw new Error('first attempt fails'); } });
      const request = await signed(ctx, messageEvent(uniq('ev_n6'), TOKEN));
      const started = Date.now();
      const first = await d.invoke(...request);
      const took = Date.now() - started;
      assertEqual([first.status, first.reason, reported], [500, 'handler_failed', 1]);
      assert(took < 1000, `the 500 took ${took} ms`);
      const retry = await d.invoke(...request);
      assertEqual([retry.status, retry.duplicate, calls], [200, false, 2]);
      // A throwing onError is no second failure either.
      const e = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, ...quiet, onError: () => { throw new Error('reporter broke'); } })
        .register({ 'im.message.receive_v1': () => { throw new Error('x'); } });
      assertEqual((await e.invoke(...(await signed(ctx, messageEvent(uniq('ev_n6b'), TOKEN))))).status, 500);
    },
  },
  {
    name: 'N6: with waitUntil, a hanging onError does not keep the deferred work alive past its deadline',
    async fn(ctx) {
      let reported = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: latentStore(), ...quiet, onError: () => { reported++; return new Promise(() => {}); } })
        .register({ 'im.message.receive_v1': () => { throw new Error('fails'); } });
      const pending = [];
      const r = await d.invoke(...(await signed(ctx, messageEvent(uniq('ev_n6w'), TOKEN))), { waitUntil: (p) => pending.push(p) });
      assertEqual(r.status, 200);
      const started = Date.now();
      await Promise.all(pending);
      const took = Date.now() - started;
      assertEqual(reported, 1);
      assert(took < 4000, `the deferred work took ${took} ms`);
    },
  },
  {
    name: 'a store answering just under its deadline: a duplicate delivery costs one store budget, not one deadline per call',
    async fn(ctx) {
      const store = latentStore({ latencyMs: () => 300 });
      let runs = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, storeTimeoutMs: 400, ...quiet })
        .register({ 'im.message.receive_v1': () => { runs++; } });
      const event = messageEvent(uniq('ev_budget'), TOKEN);
      // Another delivery's claim is already there (a duplicate in flight).
      await store.putIfAbsent(`feishu-edge:event:cli_0123456789abcdef:2.0:${event.header.event_id}`, 'claim:other', { expirationTtl: 120 });
      const started = Date.now();
      const r = await d.invoke(...(await signed(ctx, event)));
      const took = Date.now() - started;
      assertEqual([r.status, r.reason, runs], [503, 'event_in_progress', 0]);
      assert(took < 580, `two 300 ms calls were not cut at the 400 ms budget: ${took} ms`);
    },
  },
  {
    name: 'N3: a redirect from the API origin is refused with a typed error; the token never reaches the other host',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const foreign = ctx.emuUrl.replace('127.0.0.1', 'localhost') + '/open-apis/foreign/capture';
      await control(ctx.emuUrl, '/__emu/faults', { rules: [{ match: 'im/v1/chats', kind: 'redirect', location: foreign, count: 5 }] });
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, ...quiet });
      const err = await assertRejects(client.request({ method: 'GET', path: 'im/v1/chats' }));
      assertEqual([err.kind, err.retryable], ['http', false], String(err));
      const log = await control(ctx.emuUrl, '/__emu/log');
      assert(!log.requests.some((r) => r.path.includes('foreign')), 'the other origin was contacted');
      assertEqual(log.requests.filter((r) => r.path === 'im/v1/chats').length, 1);
      await control(ctx.emuUrl, '/__emu/reset');
    },
  },
  {
    name: 'N9: configuration errors name the option and the type, never a secret or URL credentials',
    async fn(ctx) {
      const cases = [
        () => new ctx.EventDispatcher({ encryptKey: 98765432123 }),
        () => new ctx.EventDispatcher({ encryptKey: new Uint8Array([115, 51, 99, 114, 101, 116]) }),
        () => new ctx.EventDispatcher({ verificationToken: { value: 'vt-SECRET-123' } }),
        () => new ctx.FeishuClient({ appId: 'cli_x', appSecret: { s: 'as-SECRET-123' } }),
        () => new ctx.FeishuClient({ appId: 'cli_x', appSecret: 's', baseUrl: 'https://bot:hunter2@proxy.example/' }),
      ];
      for (const make of cases) {
        const message = messageOf(make);
        assert(message, `${make} did not throw`);
        for (const secret of ['98765432123', '115', 'SECRET', 'hunter2']) assert(!message.includes(secret), message);
      }
      assert(messageOf(cases[0]).includes('encryptKey') && messageOf(cases[0]).includes('a number'), messageOf(cases[0]));
      assert(messageOf(cases[4]).includes('baseUrl'), messageOf(cases[4]));
    },
  },
  {
    name: 'N10: encryptKey given but unset (undefined, empty) warns once, naming the weaker mode; a real key or no key at all does not',
    async fn(ctx) {
      for (const encryptKey of [undefined, '', null]) {
        const { lines, logger } = recorder();
        new ctx.EventDispatcher({ encryptKey, verificationToken: TOKEN, logger });
        const warnings = lines.filter(([level]) => level === 'warn');
        assertEqual(warnings.length, 1, `encryptKey ${JSON.stringify(encryptKey)}`);
        assert(warnings[0][1].includes('verification token only'), warnings[0][1]);
      }
      for (const options of [{ encryptKey: KEY }, { verificationToken: TOKEN }]) {
        const { lines, logger } = recorder();
        new ctx.EventDispatcher({ ...options, logger });
        assertEqual(lines.filter(([level]) => level === 'warn').length, 0);
      }
    },
  },
  {
    name: 'N4: an unsigned forged challenge around a replayed event ciphertext is refused; a real encrypted challenge is answered',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, ...quiet });
      const [captured] = await signed(ctx, messageEvent(uniq('ev_cap'), TOKEN));
      const forged = JSON.stringify({ ...JSON.parse(captured), type: 'url_verification', challenge: 'ATTACKER-CHOSEN' });
      const r = await d.invoke(forged, { 'content-type': 'application/json' });
      assertEqual([r.status, r.reason], [401, 'missing_signature']);
      assert(!r.body.includes('ATTACKER'));
      const challenge = JSON.stringify({ encrypt: await ctx.encryptEventAsync({ challenge: 'c-real', type: 'url_verification' }, KEY) });
      const ok = await d.invoke(challenge, {});
      assertEqual([ok.status, JSON.parse(ok.body).challenge], [200, 'c-real']);
    },
  },
  {
    name: 'N8: an unsigned 1 MiB body is refused unread when an encrypt key is set',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, maxBodyBytes: 2 << 20, ...quiet });
      const keys = [];
      for (let i = 0, size = 0; size < (1 << 20); i++) { keys.push(`"k${i}":${i},`); size += keys[i].length; }
      const body = `{${keys.join('')}"z":0}`;
      const r = await d.invoke(body, {});
      assertEqual([r.status, r.reason], [401, 'missing_signature']);
      // Proof that it was not parsed: an unsigned body over 4 KiB that is not even JSON gets
      // the same refusal, not invalid_json (the released package parsed first).
      const junk = await d.invoke(`{${' '.repeat(5000)}`, {});
      assertEqual(junk.reason, 'missing_signature');
      const forged = await d.invoke(body, { 'x-lark-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-lark-request-nonce': 'n', 'x-lark-signature': '0'.repeat(64) });
      assertEqual(forged.reason, 'signature_mismatch');
    },
  },
  {
    name: 'N11: de-duplication keys carry the app id and the schema, so apps sharing a store do not suppress each other',
    async fn(ctx) {
      const store = latentStore();
      let runs = 0;
      const make = () => new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: store, ...quiet }).register({ 'im.message.receive_v1': () => { runs++; } });
      const id = uniq('ev_shared');
      const a = messageEvent(id, TOKEN);
      const b = messageEvent(id, TOKEN);
      b.header.app_id = 'cli_other';
      await make().invoke(...(await signed(ctx, a)));
      await make().invoke(...(await signed(ctx, b)));
      assertEqual(runs, 2);
      assert(store.map.has(`feishu-edge:event:cli_0123456789abcdef:2.0:${id}`) && store.map.has(`feishu-edge:event:cli_other:2.0:${id}`), JSON.stringify([...store.map.keys()]));
    },
  },
  {
    name: 'N12: a header with CR/LF is invalid_request, not retried, never sent',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, ...quiet });
      const started = Date.now();
      const err = await assertRejects(client.request({ method: 'GET', path: 'im/v1/chats', headers: { 'X-Note': 'a\r\nInjected: 1' } }));
      assertEqual([err.kind, err.retryable], ['invalid_request', false], String(err));
      assert(Date.now() - started < 500, 'no backoff');
      const log = await control(ctx.emuUrl, '/__emu/log');
      assertEqual(log.requests.filter((r) => r.path === 'im/v1/chats').length, 0);
    },
  },
  {
    name: 'N13: im.send, im.reply and im.updateCard validate a Card before any request, with the error String(card) gives',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, ...quiet });
      const bad = new ctx.Card().add({ tag: 'nonsense' });
      const expected = messageOf(() => String(bad));
      assert(expected.includes('unknown_tag'), expected);
      const big = new ctx.Card();
      for (let i = 0; i < 210; i++) big.add({ tag: 'markdown', content: `line ${i}` });
      for (const call of [
        () => client.im.send('oc_1', bad),
        () => client.im.reply('om_1', bad),
        () => client.im.updateCard('om_1', bad),
        () => client.im.send('oc_1', { msg_type: 'interactive', content: JSON.stringify(bad) }),
        () => client.im.send('oc_1', big),
      ]) {
        const err = await assertRejects(call);
        assertEqual(err.kind, 'invalid_card', String(err));
      }
      const err = await assertRejects(() => client.im.send('oc_1', bad));
      assertEqual(err.message, expected);
      const log = await control(ctx.emuUrl, '/__emu/log');
      assertEqual(log.requests.filter((r) => r.path.startsWith('im/')).length, 0);
      // A valid card still goes out.
      await client.im.send('oc_1', new ctx.Card().add({ tag: 'markdown', content: 'ok' }));
    },
  },
];

// Issue 23 (the request pipeline, invoke() and the dispatchers' options).
const MEMORY = Symbol.for('feishu-edge.wasmMemoryBytes');
/** The wasm memory's size (the package's internal getter), else the process's RSS (Node, Deno). */
const memoryOf = (d) => d[MEMORY] ?? globalThis.process?.memoryUsage?.().rss ?? globalThis.Deno?.memoryUsage?.().rss;
const withinMs = (promise, ms) => Promise.race([promise.then((v) => ({ v }), (e) => ({ e })), sleep(ms).then(() => 'hung')]);
/** A JSON reply of `chunks` chunks of `size` bytes, counting how many were pulled. */
const countedReply = (chunks, size, headers = {}) => {
  const state = { pulled: 0 };
  const chunk = new Uint8Array(size).fill(32);
  const body = new ReadableStream({
    start(c) { c.enqueue(new TextEncoder().encode('{"code":0,"data":{"pad":"')); },
    pull(c) { if (state.pulled++ >= chunks) { c.enqueue(new TextEncoder().encode('"}}')); c.close(); } else c.enqueue(chunk.slice()); },
  }, { highWaterMark: 0 });
  return { state, response: new Response(body, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }) };
};
const OK = () => new Response('{"code":0,"msg":"ok","data":{}}', { status: 200, headers: { 'content-type': 'application/json' } });

hardeningTests.push(
  {
    name: 'I23 R1: a refused 64 MiB invoke() body never enters the wasm memory (string, Uint8Array, ArrayBuffer, DataView, Buffer, parsed object)',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, ...quiet });
      await d.invoke('{}', {});
      const size = 64 << 20;
      const before = memoryOf(d);
      assert(typeof before === 'number', 'no way to read the memory');
      const forms = [
        ['Uint8Array', () => new Uint8Array(size)],
        ['string', () => 'x'.repeat(size)],
        ['ArrayBuffer', () => new ArrayBuffer(size)],
        ['DataView', () => new DataView(new ArrayBuffer(size))],
        ['Int32Array', () => new Int32Array(size / 4)],
      ];
      if (globalThis.Buffer) forms.push(['Buffer', () => globalThis.Buffer.alloc(size)]);
      const unchanged = (form) => {
        const grown = memoryOf(d) - before;
        assert(grown < (1 << 20), `after the ${form} the memory grew by ${grown} bytes`);
      };
      for (const [form, make] of forms) {
        const r = await d.invoke(make(), {});
        unchanged(form);
        assertEqual([r.status, r.reason], [413, 'body_too_large'], form);
      }
      const parsed = await d.invoke({ pad: 'x'.repeat(size) }, {});
      unchanged('parsed object');
      assertEqual(parsed.error, 'body_too_large');
      // A string over the limit in UTF-8 but not in UTF-16 units is measured too.
      const wide = await d.invoke('\u4e2d'.repeat((1 << 20) / 2), {});
      assertEqual([wide.status, wide.reason], [413, 'body_too_large']);
    },
  },
  {
    name: 'I23 R1: a 2^32-1-byte invoke() body answers 413, without a trap',
    async fn(ctx) {
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, ...quiet });
      let body;
      // The largest the runtime allocates (pages never touched: no memory is used).
      for (const n of [2 ** 32 - 1, 2 ** 31, 2 ** 30]) { try { body = new Uint8Array(n); break; } catch { /* too large here */ } }
      assert(body, 'could not allocate 1 GiB');
      const r = await d.invoke(body, {});
      assertEqual([r.status, r.reason], [413, 'body_too_large'], `${body.byteLength} bytes`);
      // The dispatcher still works.
      const ok = await d.invoke(...(await signed(ctx, messageEvent(uniq('ev_after'), TOKEN))));
      assertEqual(ok.status, 200);
    },
  },
  {
    name: 'I23 R1: a JSON reply over maxReplyBytes is refused (typed, naming the limit), read no further, not retried; downloads are not limited',
    async fn(ctx) {
      let sent = 0, last;
      const client = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', maxReplyBytes: 1 << 20, ...quiet, fetch: async () => { sent++; last = countedReply(20, 1 << 20); return last.response; } });
      const err = await assertRejects(client.request({ method: 'GET', path: 'im/v1/chats', accessToken: 't-1' }));
      assert(err instanceof ctx.FeishuError && err.kind === 'invalid_response', String(err));
      assert(err.message.includes('maxReplyBytes') && err.message.includes(String(1 << 20)), err.message);
      assertEqual(sent, 1, 'not retried');
      assert(last.state.pulled <= 3, `${last.state.pulled} MiB were read`);
      // A declared Content-Length over the limit is not read at all (the default limit: 16 MiB).
      let declared;
      const dflt = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', ...quiet, fetch: async () => { declared = countedReply(150, 1 << 20, { 'content-length': String(150 << 20) }); return declared.response; } });
      const big = await assertRejects(dflt.request({ method: 'GET', path: 'im/v1/chats', accessToken: 't-1' }));
      assert(big.message.includes(String(16 << 20)), big.message);
      assert(declared.state.pulled <= 1, `${declared.state.pulled} chunks were read`);
      // The token request goes through the same limit.
      const tokens = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', maxReplyBytes: 4096, ...quiet, fetch: async () => countedReply(4, 4096).response });
      const tokenErr = await assertRejects(tokens.tokens.tenantAccessToken());
      assert(tokenErr.message.includes('maxReplyBytes'), tokenErr.message);
      // A download of 64 KiB with a 4 KiB limit is whole.
      const files = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', maxReplyBytes: 4096, ...quiet, fetch: async () => new Response(new Uint8Array(65536).fill(7), { status: 200, headers: { 'content-type': 'application/octet-stream' } }) });
      const bytes = await files.download({ path: 'im/v1/images/img_1', accessToken: 't-1' });
      assertEqual(bytes.byteLength, 65536);
    },
  },
  {
    name: 'I23 L4: timeoutMs ends a call whose fetch ignores the abort signal (never answers, or a body that never ends), with no unhandled rejection',
    async fn(ctx) {
      const unhandled = [];
      const onUnhandled = (e) => { unhandled.push(e?.reason ?? e); e?.preventDefault?.(); };
      globalThis.process?.on?.('unhandledRejection', onUnhandled);
      globalThis.addEventListener?.('unhandledrejection', onUnhandled);
      try {
        const stalls = [
          () => new Promise(() => {}),
          async () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), { status: 200, headers: { 'content-type': 'application/json' } }),
          () => new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), 400)),
        ];
        for (const fetch of stalls) {
          const client = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', timeoutMs: 150, retry: { maxAttempts: 1 }, ...quiet, fetch });
          const started = Date.now();
          const outcome = await withinMs(client.request({ method: 'GET', path: 'im/v1/chats', accessToken: 't-1' }), 3000);
          assert(outcome !== 'hung', `${fetch} hung past 3 s`);
          assert(outcome.e instanceof ctx.FeishuError && outcome.e.kind === 'timeout', String(outcome.e ?? outcome.v));
          assert(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
        }
        await sleep(500);
        assertEqual(unhandled.map(String), []);
      } finally {
        globalThis.process?.off?.('unhandledRejection', onUnhandled);
        globalThis.removeEventListener?.('unhandledrejection', onUnhandled);
      }
    },
  },
  {
    name: 'I23 L8: the help desk credential never goes to another origin; it still goes to the API origin',
    async fn(ctx) {
      const seen = [];
      const fetch = async (url, init) => { seen.push([new URL(url).host, Object.keys(init.headers).map((h) => h.toLowerCase())]); return OK(); };
      const client = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', helpDeskId: 'hd_1', helpDeskToken: 'hd_secret', ...quiet, fetch });
      await client.request({ method: 'GET', url: 'https://other.example/helpdesk/v1/tickets', helpDeskCredential: true, tokenType: 'none' });
      await client.request({ method: 'GET', path: 'helpdesk/v1/tickets', helpDeskCredential: true, tokenType: 'none' });
      assertEqual(seen.map(([host, headers]) => [host, headers.includes('x-lark-helpdesk-authorization')]), [['other.example', false], ['127.0.0.1:9', true]]);
    },
  },
  {
    name: 'I23 M5: the dispatchers take the official options (loggerLevel, logger, cache) and expose encryptKey and verificationToken, never logging them',
    async fn(ctx) {
      const { lines, logger } = recorder();
      const cache = { async get() { return undefined; }, async set() { return true; } };
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, loggerLevel: ctx.LoggerLevel.debug, logger, cache, dedupeStore: latentStore() })
        .register({ 'im.message.receive_v1': () => {} });
      const h = new ctx.CardActionHandler({ encryptKey: KEY, verificationToken: TOKEN, loggerLevel: ctx.LoggerLevel.error, logger, cache }, () => ({}));
      assertEqual([d.encryptKey, d.verificationToken, h.encryptKey, h.verificationToken], [KEY, TOKEN, KEY, TOKEN]);
      assertEqual([new ctx.EventDispatcher({ verificationToken: TOKEN, ...quiet }).encryptKey], ['']);
      const request = await signed(ctx, messageEvent(uniq('ev_m5'), TOKEN));
      await d.invoke(...request);
      await d.invoke(...request);
      // loggerLevel debug: the duplicate's info line is logged; error: the handler's lines are not.
      assert(lines.some(([level, line]) => level === 'info' && line.includes('duplicate')), JSON.stringify(lines));
      const count = lines.length;
      await h.invoke(...(await signed(ctx, cardAction(uniq('ev_m5c')))));
      assertEqual(lines.slice(count).filter(([level]) => level !== 'error'), []);
      for (const [, line] of lines) assert(!line.includes(KEY) && !line.includes(TOKEN), line);
      for (const shown of [JSON.stringify(d), Object.keys(d).join(','), JSON.stringify(h)]) assert(!shown.includes(KEY) && !shown.includes(TOKEN), shown);
    },
  },
  {
    name: 'I23: promise-returning functions reject instead of throwing (BigInt, cycles, missing arguments)',
    async fn(ctx) {
      const cyclic = { a: 1 };
      cyclic.self = cyclic;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, ...quiet });
      const client = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', ...quiet, fetch: async () => OK() });
      const calls = {
        'invoke(BigInt)': () => d.invoke({ a: 10n }, {}),
        'invoke(cycle)': () => d.invoke(cyclic, {}),
        'invoke(10n)': () => d.invoke(10n, {}),
        'handle(undefined)': () => d.handle(undefined),
        'consume(BigInt)': () => d.consume({ messages: [{ body: { a: 10n }, ack() {}, retry() {} }] }),
        'request(BigInt)': () => client.request({ path: 'x', data: { a: 10n } }),
        'request(cycle)': () => client.request({ path: 'x', data: cyclic }),
        'upload(undefined)': () => client.upload(undefined),
        'download(BigInt)': () => client.download({ path: 'x', params: { a: 10n } }),
        'streamCard(42)': () => client.streamCard(42, { receiveId: 'oc_1' }),
        'im.v1.message.create(null)': () => client.im.v1.message.create(null),
      };
      for (const [name, call] of Object.entries(calls)) {
        let returned;
        try { returned = call(); } catch (e) { throw new Error(`${name} threw synchronously: ${e}`); }
        assert(returned instanceof Promise, `${name} returned ${returned}`);
        await returned.catch(() => {});
      }
    },
  },
);
