// feishu-edge/testing against the built package, in Node and in Deno (the kit's runtimes):
// fixtures carry every documented field, fixtures.event covers every event type of the schema,
// and what they build passes a real EventDispatcher with the fields production would set.
// Node: node tests/js/testing-kit.mjs; Deno: deno run --config tests/js/deno-kit.json … tests/js/testing-kit.mjs
import { runTests, assert, assertEqual } from './harness.mjs';

// The kit imports 'feishu-edge' itself: Node resolves it from inside pkg/ (package
// self-reference), Deno through tests/js/deno-kit.json. Both then share one module instance.
const { EventDispatcher, CardActionHandler, parseAction } = globalThis.Deno ? await import('feishu-edge') : await import('../../pkg/node.js');
const { fixtures, signedRequest } = await import('../../pkg/testing/index.js');

const KEY = 'ek_kit';
const TOKEN = 'vt_kit';
const request = (payload) => signedRequest('https://bot.example/webhook', payload, { encryptKey: KEY });

const tests = [
  {
    name: 'fixtures.messageReceive carries every documented field (sender_id.union_id, update_time, mentions…)',
    async fn() {
      const push = fixtures.messageReceive({ text: 'hi', token: TOKEN });
      const { sender, message } = push.event;
      assert(sender.sender_id.union_id?.startsWith('on_') && sender.sender_id.user_id && sender.sender_id.open_id === 'ou_test_user', JSON.stringify(sender));
      for (const f of ['message_id', 'root_id', 'parent_id', 'create_time', 'update_time', 'chat_id', 'thread_id', 'chat_type', 'message_type', 'content', 'mentions', 'user_agent']) assert(f in message, `message.${f}`);
      assertEqual(JSON.parse(message.content), { text: 'hi' });
      let seen;
      const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN }).register({ 'im.message.receive_v1': (data) => { seen = data; } });
      assertEqual((await d.handle(request(push))).status, 200);
      assertEqual([seen.sender.sender_id.union_id, seen.tenant_key, seen.app_id], [sender.sender_id.union_id, 'tk_test', 'cli_0123456789abcdef']);
    },
  },
  {
    name: 'fixtures.cardAction carries header.app_id / tenant_key, operator.tenant_key and host: ctx.appId and ctx.tenantKey are set, as in production',
    async fn() {
      let ctxSeen, action;
      const h = new CardActionHandler({ encryptKey: KEY, verificationToken: TOKEN }, (data, ctx) => { ctxSeen = ctx; action = parseAction(data); return {}; });
      const push = fixtures.cardAction({ value: { k: 1 }, token: TOKEN, tag: 'multi_select_static', action: { options: ['a', 'b'] } });
      assertEqual([push.event.host, push.event.operator.tenant_key, push.header.app_id, push.header.tenant_key], ['im_message', 'tk_test', 'cli_0123456789abcdef', 'tk_test']);
      assertEqual((await h.handle(request(push))).status, 200);
      assertEqual([ctxSeen.appId, ctxSeen.tenantKey], ['cli_0123456789abcdef', 'tk_test']);
      assertEqual([action.tenantKey, action.options, action.unionId], ['tk_test', ['a', 'b'], 'on_test_user']);
    },
  },
  {
    name: 'fixtures.event: overrides are deep-merged; unknown types are refused by name',
    async fn() {
      const push = fixtures.event('contact.user.created_v3', { object: { name: 'Ada', department_ids: ['od-1'] } }, { token: TOKEN });
      assertEqual([push.schema, push.header.event_type, push.event.object.name, push.event.object.department_ids], ['2.0', 'contact.user.created_v3', 'Ada', ['od-1']]);
      assert(push.event.object.open_id.startsWith('ou_') && push.event.object.union_id.startsWith('on_'), 'ids keep their prefixes');
      assert(!('event_type' in push.event) && !('token' in push.event), 'envelope fields live in the header');
      let err;
      try { fixtures.event('no.such.event_v1'); } catch (e) { err = e; }
      assert(err instanceof TypeError && err.message.includes('no.such.event_v1'), String(err));
    },
  },
  {
    name: 'every event type of the schema: fixtures.event(type) is dispatched to its handler with its fields',
    async fn() {
      const types = Object.keys(JSON.parse(await readSchema()).events);
      assert(types.length > 150, `${types.length} event types`);
      const got = new Map();
      const handlers = Object.fromEntries(types.map((t) => [t, (data) => { got.set(t, data); }]));
      const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register(handlers);
      for (const t of types) {
        const push = fixtures.event(t, {}, { token: TOKEN });
        const res = await d.handle(request(push));
        assertEqual(res.status, 200, t);
      }
      assertEqual(got.size, types.length);
      for (const [t, data] of got) assertEqual(data.event_type, t);
    },
  },
  {
    name: 'the emulator validates requests against the schema without a file-read permission (issue 15, N14)',
    async fn() {
      const { createEmulator } = await import('../../pkg/testing/index.js');
      const { FeishuClient } = globalThis.Deno ? await import('feishu-edge') : await import('../../pkg/node.js');
      const emu = await createEmulator();
      try {
        const client = new FeishuClient({ ...emu.clientOptions, logLevel: 'none' });
        // Twice: the first call must not be the only one that validates.
        for (let i = 0; i < 2; i++) {
          let err;
          try {
            await client.im.v1.message.create({ params: { receive_id_type: 'bogus' }, data: { receive_id: 'ou_1', msg_type: 'text', content: '{"text":"x"}' } });
          } catch (e) { err = e; }
          assertEqual([err?.kind, err?.code], ['api', 99992402], String(err));
        }
      } finally {
        await emu.close();
      }
    },
  },
  {
    name: 'fixtures.event covers the schema 1.0 types the official SDK types (24 in 1.74.0: app_ticket, add_bot, message…): each dispatched to its handler',
    async fn() {
      const legacy = Object.keys(JSON.parse(await readSchema()).legacyEvents);
      assert(legacy.length >= 20 && legacy.includes('app_ticket') && legacy.includes('add_bot'), String(legacy));
      const got = new Map();
      const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' })
        .register(Object.fromEntries(legacy.map((t) => [t, (data, ctx) => { got.set(t, [data.event_type, ctx.schema]); }])));
      // Every documented field is filled: app_ticket carries its ticket, message its text.
      assertEqual(typeof fixtures.event('app_ticket').event.app_ticket, 'string');
      assertEqual(typeof fixtures.event('message').event.text_without_at_bot, 'string');
      for (const t of legacy) {
        const push = fixtures.event(t, { extra: 1 }, { token: TOKEN });
        assertEqual([push.type, push.event.type, push.event.extra], ['event_callback', t, 1]);
        assertEqual((await d.handle(request(push))).status, 200, t);
      }
      assertEqual(got.size, legacy.length);
      for (const [t, v] of got) assertEqual(v, [t, '1.0']);
    },
  },
];

async function readSchema() {
  const url = new URL('../../catalog/schema.json', import.meta.url);
  if (globalThis.Deno) return Deno.readTextFile(url);
  const { readFile } = await import('node:fs/promises');
  return readFile(url, 'utf8');
}

const label = globalThis.Deno ? 'testing-kit-deno' : 'testing-kit-node';
const result = await runTests(label, tests, {});
console.log(result.lines.join('\n'));
if (globalThis.Deno) Deno.exit(result.failed ? 1 : 0);
else process.exit(result.failed ? 1 : 0);
