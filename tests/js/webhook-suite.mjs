// Webhooks through the built package, in Node, Deno and workerd: real Requests, encrypted and
// signed as the platform sends them. ctx: { EventDispatcher, CardActionHandler, FeishuClient,
// FeishuError, signEvent, computeSignature, verifySignature, decryptEvent, encryptEvent, emuUrl, kv? }
import { assert, assertEqual, assertRejects } from './harness.mjs';

const KEY = 'ek_suite_key';
const TOKEN = 'vt_suite_token';

export const messageEvent = (eventId = 'ev_1', token = TOKEN) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: 'im.message.receive_v1', create_time: '1700000000000', token, app_id: 'cli_0123456789abcdef', tenant_key: 'tk_1' },
  event: {
    sender: { sender_id: { open_id: 'ou_sender', user_id: 'u1' }, sender_type: 'user', tenant_key: 'tk_1' },
    message: { message_id: 'om_1', chat_id: 'oc_1', chat_type: 'group', message_type: 'text', content: JSON.stringify({ text: 'hello bot' }), create_time: '1700000000000' },
  },
});

const post = (body, headers) => new Request('https://bot.example/webhook', { method: 'POST', body, headers });
const signedRequest = async (ctx, payload, opts = {}) => { const { body, headers } = (await ctx.signEventAsync(payload, { encryptKey: KEY, ...opts })); return post(body, headers); };
const reasonOf = async (res) => (await res.json()).error;

function memoryKv() {
  const map = new Map();
  return { map, async get(k) { return map.get(k) ?? null; }, async put(k, v) { map.set(k, v); }, async delete(k) { map.delete(k); } };
}

export const webhookTests = [
  {
    name: 'an encrypted, signed im.message.receive_v1 Request dispatches once, in the official SDK data shape',
    async fn(ctx) {
      const calls = [];
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, dedupeStore: ctx.kv ?? memoryKv() })
        .register({ 'im.message.receive_v1': async (data, info) => { calls.push({ data, info }); } });
      const event = messageEvent(`ev_${Date.now()}_${Math.random()}`);
      const res = await d.handle(await signedRequest(ctx, event));
      assertEqual(res.status, 200);
      assertEqual(calls.length, 1);
      const { data, info } = calls[0];
      assertEqual([data.event_type, data.event_id, data.tenant_key, data.schema], ['im.message.receive_v1', event.header.event_id, 'tk_1', '2.0']);
      assertEqual(data.message.message_id, 'om_1');
      assertEqual(JSON.parse(data.message.content).text, 'hello bot');
      assertEqual(data.sender.sender_id.open_id, 'ou_sender');
      assertEqual([info.eventType, info.eventId, info.schema], ['im.message.receive_v1', event.header.event_id, '2.0']);
      const again = await d.handle(await signedRequest(ctx, event));
      assertEqual([again.status, calls.length], [200, 1], 'the same event_id is acknowledged, not dispatched again');
      const result = await d.invoke(...Object.values((await ctx.signEventAsync(event, { encryptKey: KEY }))));
      assertEqual([result.status, result.duplicate], [200, true]);
    },
  },
  {
    name: 'inline, without a store (the synchronous path where the crypto is): 60 concurrent card callbacks settle in any order, each with its own reply; sync throws, rejections and unserializable replies keep their outcomes',
    async fn(ctx) {
      const reports = [];
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const cards = new ctx.CardActionHandler({ encryptKey: KEY, verificationToken: TOKEN, onError: (e) => { reports.push(e?.reason ?? String(e?.message ?? e)); } }, async (data) => {
        const n = data.action.value.n;
        if (n === 'throw') throw new Error('sync-ish throw');
        if (n === 'bigint') return { toast: { type: 'info', content: 'x' }, n: 1n };
        await sleep((n * 7) % 23);
        return { toast: { type: 'success', content: `reply ${n}` } };
      });
      const action = (n, i) => ({ schema: '2.0', header: { event_id: `ev_conc_${i}_${Math.random()}`, event_type: 'card.action.trigger', token: TOKEN, create_time: '1' }, event: { operator: { open_id: 'ou_c' }, action: { tag: 'button', value: { n } } } });
      const results = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
        const { body, headers } = await ctx.signEventAsync(action(i, i), { encryptKey: KEY });
        return [i, await cards.invoke(body, headers)];
      }));
      for (const [i, r] of results) assertEqual([r.status, JSON.parse(r.body).toast.content], [200, `reply ${i}`], `callback ${i}`);
      const events = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, onError: () => { reports.push('event'); } })
        .register({ 'im.message.receive_v1': (data) => { if (data.message.message_id) throw new Error('thrown before returning'); } });
      const thrown = await events.invoke(...Object.values(await ctx.signEventAsync(messageEvent('ev_sync_throw'), { encryptKey: KEY })));
      assertEqual([thrown.status, thrown.reason], [500, 'handler_failed']);
      const rejected = await cards.invoke(...Object.values(await ctx.signEventAsync(action('throw', 'x'), { encryptKey: KEY })));
      assertEqual([rejected.status, rejected.reason], [500, 'handler_failed']);
      const unsendable = await cards.invoke(...Object.values(await ctx.signEventAsync(action('bigint', 'y'), { encryptKey: KEY })));
      assertEqual([unsendable.status, unsendable.reason], [500, 'reply_not_serializable']);
      await sleep(10);
      assertEqual(reports.sort(), ['event', 'reply_not_serializable', 'sync-ish throw'].sort());
    },
  },
  {
    name: 'tampered body, wrong signature, stale timestamp and wrong token are rejected with their reasons',
    async fn(ctx) {
      let dispatched = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN }).register({ 'im.message.receive_v1': () => { dispatched++; } });
      const { body, headers } = (await ctx.signEventAsync(messageEvent('ev_t'), { encryptKey: KEY }));
      const tampered = body.replace(/"}$/, 'AA"}');
      let res = await d.handle(post(tampered, headers));
      assertEqual([res.status, await reasonOf(res)], [401, 'signature_mismatch']);
      res = await d.handle(post(body, { ...headers, 'x-lark-signature': 'f'.repeat(64) }));
      assertEqual([res.status, await reasonOf(res)], [401, 'signature_mismatch']);
      res = await d.handle(await signedRequest(ctx, messageEvent('ev_s'), { timestamp: Math.floor(Date.now() / 1000) - 301 }));
      assertEqual([res.status, await reasonOf(res)], [401, 'stale_timestamp']);
      res = await d.handle(await signedRequest(ctx, messageEvent('ev_w', 'wrong-token')));
      assertEqual([res.status, await reasonOf(res)], [401, 'token_mismatch']);
      assertEqual(dispatched, 0);
    },
  },
  {
    name: 'URL challenges: plain and encrypted, answered only with the right token',
    async fn(ctx) {
      const plain = new ctx.EventDispatcher({ verificationToken: TOKEN });
      let res = await plain.handle(post(JSON.stringify({ challenge: 'c-plain', token: TOKEN, type: 'url_verification' }), { 'content-type': 'application/json' }));
      assertEqual([res.status, await res.json()], [200, { challenge: 'c-plain' }]);
      res = await plain.handle(post(JSON.stringify({ challenge: 'c-plain', token: 'nope', type: 'url_verification' }), { 'content-type': 'application/json' }));
      assertEqual([res.status, await reasonOf(res)], [401, 'token_mismatch']);
      const enc = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN });
      const sealed = JSON.stringify({ encrypt: (await ctx.encryptEventAsync({ challenge: 'c-enc', token: TOKEN, type: 'url_verification' }, KEY)) });
      res = await enc.handle(post(sealed, { 'content-type': 'application/json' }));
      assertEqual([res.status, await res.json()], [200, { challenge: 'c-enc' }]);
    },
  },
  {
    name: 'card callbacks: legacy SHA-1 flow and v2 card.action.trigger reply with the handler result',
    async fn(ctx) {
      const actions = [];
      const cards = new ctx.CardActionHandler({ encryptKey: KEY, verificationToken: TOKEN }, async (action) => {
        actions.push(action);
        return { toast: { type: 'success', content: 'ok' }, card: { schema: '2.0', body: { elements: [] } } };
      });
      const legacy = { open_id: 'ou_x', open_message_id: 'om_9', tenant_key: 'tk', token: 'c-upd', action: { tag: 'button', value: { k: 'v' } } };
      let res = await cards.handle(await signedRequest(ctx, legacy, { legacyCard: true, verificationToken: TOKEN }));
      assertEqual(res.status, 200);
      assertEqual((await res.json()).toast.content, 'ok');
      assertEqual(actions[0].action.value, { k: 'v' });
      const v2 = { schema: '2.0', header: { event_id: 'cb_1', event_type: 'card.action.trigger', token: TOKEN }, event: { operator: { open_id: 'ou_y' }, action: { tag: 'button', value: { n: 1 } }, context: { open_message_id: 'om_2' } } };
      res = await cards.handle(await signedRequest(ctx, v2));
      assertEqual([res.status, (await res.json()).toast.type], [200, 'success']);
      assertEqual([actions[1].event_type, actions[1].action.value.n, actions[1].operator.open_id], ['card.action.trigger', 1, 'ou_y']);
      const viaEvents = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN }).register({ 'card.action.trigger': async () => ({ toast: { type: 'info', content: 'from events' } }) });
      let waited = 0;
      res = await viaEvents.handle(await signedRequest(ctx, v2), { waitUntil: () => { waited++; } });
      assertEqual([(await res.json()).toast.content, waited], ['from events', 0], 'card replies are never deferred');
      res = await cards.handle(await signedRequest(ctx, legacy, { legacyCard: true, verificationToken: 'other' }));
      assertEqual([res.status, await reasonOf(res)], [401, 'signature_mismatch']);
      const nothing = new ctx.CardActionHandler({ verificationToken: TOKEN }, () => undefined);
      res = await nothing.handle(await signedRequest(ctx, legacy, { legacyCard: true, verificationToken: TOKEN }));
      assertEqual(await res.text(), '{}');
    },
  },
  {
    name: 'app_ticket events land in the client token store and unlock marketplace tokens',
    async fn(ctx) {
      const emu = ctx.emuUrl;
      await fetch(`${emu}/__emu/reset`, { method: 'POST', body: '{}' });
      const store = ctx.kv ?? memoryKv();
      const client = new ctx.FeishuClient({ appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', appType: 'marketplace', baseUrl: emu, tokenStore: store, logLevel: 'none' });
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, client });
      const ticket = { uuid: `u_${Date.now()}`, token: TOKEN, ts: '1700000000.1', type: 'event_callback', event: { app_id: 'cli_0123456789abcdef', app_ticket: 'ticket-emu', type: 'app_ticket' } };
      const res = await d.handle(await signedRequest(ctx, ticket));
      assertEqual(res.status, 200);
      assertEqual(await store.get('feishu-edge:cli_0123456789abcdef:app_ticket'), 'ticket-emu');
      const token = await client.tokens.tenantAccessToken('tenant-x');
      assert(token.startsWith('t-tenant-x-emu-'), token);
    },
  },
  {
    name: 'with waitUntil the Response comes before the handler finishes; a throwing handler is a 500 and the isolate lives',
    async fn(ctx) {
      let release;
      const gate = new Promise((r) => { release = r; });
      let finished = false;
      const deferred = [];
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN })
        .register({ 'im.message.receive_v1': async () => { await gate; finished = true; }, 'im.chat.disbanded_v1': () => { throw new Error('handler bug'); } });
      const res = await d.handle(await signedRequest(ctx, messageEvent('ev_wait')), { waitUntil: (p) => deferred.push(p) });
      assertEqual([res.status, finished, deferred.length], [200, false, 1]);
      release();
      await deferred[0];
      assert(finished, 'the handler ran to completion inside waitUntil');
      const boom = { schema: '2.0', header: { event_id: 'ev_boom', event_type: 'im.chat.disbanded_v1', token: TOKEN }, event: {} };
      const failed = await d.handle(await signedRequest(ctx, boom));
      assertEqual([failed.status, await reasonOf(failed)], [500, 'handler_failed']);
      const after = await d.handle(await signedRequest(ctx, messageEvent('ev_after')), { waitUntil: (p) => deferred.push(p) });
      assertEqual(after.status, 200, 'still serving after a handler threw');
      const unknown = { schema: '2.0', header: { event_id: 'ev_u', event_type: 'some.unregistered_v1', token: TOKEN }, event: {} };
      assertEqual((await d.handle(await signedRequest(ctx, unknown))).status, 200);
    },
  },
  {
    name: 'protocol test vectors and the low-level helpers',
    async fn(ctx) {
      assertEqual((await ctx.decryptEventAsync('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')), 'hello world');
      const v2 = 'tT1xP+ovuc0T3b/rnZX3ax76exqAn0ANQ6/U45GcciC0mgNBc8JtvqOJGNAPMKpgRs2dVU1NYk9VDeqS8T4SYtU0hzNU54aS84WnxvZ3VFfDcy/RyABlNqlUiGyLDzFI0yxdCMT4KR/YEQXlt6nZi50KwRlZ+A75r645KesZuLMljezYyY8VeeXEVjPw35+e';
      assertEqual(JSON.parse((await ctx.decryptEventAsync(v2, 'mazhe.nerd'))).challenge, '5634b122-c042-4634-bc7f-b07a3c3e77ad');
      assertEqual((await ctx.computeSignatureAsync({ timestamp: 1700000000, nonce: 'test_nonce', key: 'ek_secret', body: '{"type": "event"}' })), '33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66');
      const legacyBody = new TextEncoder().encode('{"open_id":"ou_x","action":{"tag":"button","value":{"k":"v"}}}');
      assertEqual((await ctx.computeSignatureAsync({ timestamp: '1700000000', nonce: 'test_nonce', key: 'vt_secret', body: legacyBody, algorithm: 'sha1' })), 'dd1184544f82c2ac404037d6cbc77fcb6aa72dda');
      assert((await ctx.verifySignatureAsync({ timestamp: 1700000000, nonce: 'test_nonce', key: 'ek_secret', body: '{"type": "event"}', signature: '33A7B21052CDE946DDF49865A2EFB3A90A4DF79C6E701246B9F42999961B1C66' })));
      assert(!(await ctx.verifySignatureAsync({ timestamp: 1700000000, nonce: 'test_nonce', key: 'ek_secret', body: '{"type": "event"} ', signature: '33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66' })));
      assertEqual((await ctx.decryptEventAsync((await ctx.encryptEventAsync({ a: 'é' }, 'k2')), 'k2')), '{"a":"é"}');
      // A fixed ciphertext under the wrong key: its padding fails. (A fresh encryption under the
      // wrong key would end in valid padding about once in 256 runs, and then fail as
      // invalid_plaintext instead.)
      const err = await assertRejects(async () => (await ctx.decryptEventAsync('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'k2')));
      assert(err instanceof ctx.FeishuError);
      assertEqual([err.kind, err.reason], ['webhook', 'decryption_failed']);
    },
  },
  {
    name: 'the synchronous helpers: values in the Node and Deno entries; not exported by the others (workerd, browsers), which have the Async names',
    async fn(ctx) {
      const input = { timestamp: 1700000000, nonce: 'test_nonce', key: 'ek_secret', body: '{"type": "event"}' };
      const expected = '33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66';
      const calls = {
        computeSignature: () => ctx.computeSignature(input),
        verifySignature: () => ctx.verifySignature({ ...input, signature: expected }),
        decryptEvent: () => ctx.decryptEvent('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key'),
        encryptEvent: () => ctx.encryptEvent('x', 'k', new Uint8Array(16)),
        signEvent: () => ctx.signEvent('{}', { encryptKey: 'k', iv: new Uint8Array(16), timestamp: 1, nonce: 'n' }),
      };
      if (ctx.runtime === 'node' || ctx.runtime === 'deno') {
        assertEqual(calls.computeSignature(), expected);
        assertEqual(calls.verifySignature(), true);
        assertEqual(calls.decryptEvent(), 'hello world');
        assertEqual(calls.encryptEvent(), await ctx.encryptEventAsync('x', 'k', new Uint8Array(16)));
        assertEqual(JSON.stringify(calls.signEvent()), JSON.stringify(await ctx.signEventAsync('{}', { encryptKey: 'k', iv: new Uint8Array(16), timestamp: 1, nonce: 'n' })));
        return;
      }
      for (const name of [...Object.keys(calls), 'AESCipher']) {
        assertEqual(typeof ctx[name], 'undefined', `${name} in ${ctx.runtime}`);
        assertEqual(typeof ctx[`${name === 'AESCipher' ? 'decryptEvent' : name}Async`], 'function', `${name}Async in ${ctx.runtime}`);
      }
      assertEqual(typeof ctx.hook.computeSignature, 'undefined', 'feishu-edge/webhook follows the same rule');
    },
  },
  {
    name: 'a table of 36 bad inputs: each rejected with its status and reason, nothing dispatched',
    async fn(ctx) {
      let dispatched = 0;
      const d = new ctx.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, maxBodyBytes: 4096 }).register({ 'im.message.receive_v1': () => { dispatched++; } });
      const now = Math.floor(Date.now() / 1000);
      const good = (await ctx.signEventAsync(messageEvent('ev_bad'), { encryptKey: KEY }));
      const signRaw = async (body, extra = {}) => { const ts = extra.timestamp ?? now; const nonce = 'n1'; return { 'content-type': 'application/json', 'x-lark-request-timestamp': String(ts), 'x-lark-request-nonce': nonce, 'x-lark-signature': (await ctx.computeSignatureAsync({ timestamp: ts, nonce, key: KEY, body })), ...extra.headers }; };
      const sealedRaw = async (text) => JSON.stringify({ encrypt: (await ctx.encryptEventAsync(text, KEY)) });
      const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
      const withBody = async (body) => ({ body: await body, headers: await signRaw(await body) });
      const cases = [
        ['GET request', { method: 'GET' }, 405, 'method_not_allowed'],
        ['PUT request', { method: 'PUT', body: good.body, headers: good.headers }, 405, 'method_not_allowed'],
        ['empty body', await withBody(''), 400, 'empty_body'],
        ['whitespace body', await withBody('  \n '), 400, 'empty_body'],
        ['not JSON', await withBody('hello'), 400, 'invalid_json'],
        ['HTML body', await withBody('<html></html>'), 400, 'invalid_json'],
        ['JSON array', await withBody('[1,2,3]'), 400, 'invalid_json'],
        ['JSON number', await withBody('42'), 400, 'invalid_json'],
        ['JSON null', await withBody('null'), 400, 'invalid_json'],
        ['truncated JSON', await withBody('{"encrypt":"abc'), 400, 'invalid_json'],
        ['nested too deep', await withBody('['.repeat(80) + ']'.repeat(80)), 400, 'json_too_deep'],
        ['text/plain content type', { body: good.body, headers: { ...good.headers, 'content-type': 'text/plain' } }, 415, 'unsupported_content_type'],
        ['form content type', { body: good.body, headers: { ...good.headers, 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_content_type'],
        ['no signature headers', { body: good.body, headers: { 'content-type': 'application/json' } }, 401, 'missing_signature'],
        ['no signature', { body: good.body, headers: { ...good.headers, 'x-lark-signature': undefined } }, 401, 'missing_signature'],
        ['no nonce', { body: good.body, headers: { ...good.headers, 'x-lark-request-nonce': undefined } }, 401, 'missing_signature'],
        ['no timestamp', { body: good.body, headers: { ...good.headers, 'x-lark-request-timestamp': undefined } }, 401, 'missing_signature'],
        ['timestamp not a number', { body: good.body, headers: { ...good.headers, 'x-lark-request-timestamp': 'soon' } }, 400, 'invalid_timestamp'],
        ['stale timestamp', { body: good.body, headers: await signRaw(good.body, { timestamp: now - 3600 }) }, 401, 'stale_timestamp'],
        ['future timestamp', { body: good.body, headers: await signRaw(good.body, { timestamp: now + 3600 }) }, 401, 'stale_timestamp'],
        ['signature of another body', { body: good.body, headers: await signRaw('{}') }, 401, 'signature_mismatch'],
        ['truncated signature', { body: good.body, headers: { ...good.headers, 'x-lark-signature': good.headers['x-lark-signature'].slice(0, 40) } }, 401, 'signature_mismatch'],
        ['tampered ciphertext', { body: good.body.replace(/.."}$/, 'zz"}'), headers: good.headers }, 401, 'signature_mismatch'],
        ['bad base64', await withBody('{"encrypt":"%%%%"}'), 400, 'invalid_base64'],
        ['encrypt is a number', await withBody('{"encrypt":1}'), 400, 'invalid_json'],
        ['ciphertext too short', await withBody(`{"encrypt":"${b64(new Uint8Array(16))}"}`), 400, 'invalid_ciphertext'],
        ['ciphertext not block aligned', await withBody(`{"encrypt":"${b64(new Uint8Array(40))}"}`), 400, 'invalid_ciphertext'],
        // A fixed IV: with a random one, a wrong key yields valid PKCS#7 padding about 1 time in 256.
        ['bad padding / wrong key', await withBody(JSON.stringify({ encrypt: (await ctx.encryptEventAsync(messageEvent(), 'another key', new Uint8Array(16))) })), 400, 'decryption_failed'],
        ['invalid UTF-8 inside', await withBody(`{"encrypt":"${(await ctx.encryptEventAsync(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), KEY))}"}`), 400, 'invalid_plaintext'],
        ['not JSON inside', await withBody(sealedRaw('plain words')), 400, 'invalid_plaintext'],
        ['array inside', await withBody(sealedRaw('[1]')), 400, 'invalid_plaintext'],
        ['too deep inside', await withBody(sealedRaw('{"a":' + '['.repeat(80) + ']'.repeat(80) + '}')), 400, 'json_too_deep'],
        ['wrong verification token', await withBody(sealedRaw(JSON.stringify(messageEvent('e', 'bad')))), 401, 'token_mismatch'],
        ['missing verification token', await withBody(sealedRaw('{"schema":"2.0","header":{"event_type":"x"},"event":{}}')), 401, 'missing_token'],
        ['unknown event shape', await withBody(sealedRaw('{"hello":"world"}')), 400, 'unknown_event_shape'],
        ['body over maxBodyBytes', await withBody(JSON.stringify({ pad: 'x'.repeat(5000) })), 413, 'body_too_large'],
      ];
      assert(cases.length >= 30, `${cases.length} cases`);
      const failures = [];
      for (const [name, spec, status, reason] of cases) {
        const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).filter(([, v]) => v !== undefined));
        const req = new Request('https://bot.example/webhook', { method: spec.method ?? 'POST', headers, body: spec.method === 'GET' ? undefined : spec.body });
        const res = await d.handle(req);
        const got = await reasonOf(res);
        if (res.status !== status || got !== reason) failures.push(`${name}: expected ${status} ${reason}, got ${res.status} ${got}`);
      }
      assertEqual(failures, []);
      assertEqual(dispatched, 0);
      assertEqual((await d.handle(post(good.body, good.headers))).status, 200, 'and a good request still passes');
    },
  },
];
