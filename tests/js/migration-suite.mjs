// Issue 17 (moving from the official Node SDK), first part, through the built package in Node,
// Deno, workerd and Chromium: the official client options and enums, the official cache,
// disableTokenCache, the help desk credential, loggerLevel, and empty strings from the
// environment. ctx as in client-suite.
import { assert, assertEqual, assertRejects } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
const messageOf = (f) => { try { f(); } catch (e) { return e; } return null; };

export const migrationTests = [
  {
    name: 'official names: Client, Domain, AppType, LoggerLevel, with the official values',
    async fn(ctx) {
      assertEqual(ctx.Client, ctx.FeishuClient);
      assertEqual([ctx.Domain.Feishu, ctx.Domain.Lark, ctx.Domain[0]], [0, 1, 'Feishu']);
      assertEqual([ctx.AppType.SelfBuild, ctx.AppType.ISV], [0, 1]);
      assertEqual([ctx.LoggerLevel.fatal, ctx.LoggerLevel.error, ctx.LoggerLevel.trace], [0, 1, 5]);
      assert(typeof ctx.withHelpDeskCredential === 'function');
    },
  },
  {
    name: 'new Client({ appType: AppType.SelfBuild, domain: <url>, loggerLevel }) calls the emulator; AppType.ISV is a marketplace app',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const lines = [];
      const logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m), trace: (m) => lines.push(m) };
      const client = new ctx.Client({ ...APP, appType: ctx.AppType.SelfBuild, domain: ctx.emuUrl, loggerLevel: ctx.LoggerLevel.debug, logger });
      const res = await client.request({ method: 'GET', path: 'im/v1/chats' });
      assertEqual(res.code, 0);
      assert(lines.some((l) => String(l).includes('im/v1/chats')), 'debug lines reach the official-shaped logger');
      const isv = new ctx.Client({ ...APP, appType: ctx.AppType.ISV, domain: ctx.emuUrl, logLevel: 'none' });
      const err = await assertRejects(isv.request({ method: 'GET', path: 'im/v1/chats' }));
      assert(String(err.message).includes('tenantKey'), String(err.message));
    },
  },
  {
    name: 'Domain.Lark and Domain.Feishu pick the public hosts; empty strings from the environment mean "not set"',
    async fn(ctx) {
      const seen = [];
      const fetch = async (url) => { seen.push(new URL(url).origin); return new Response(JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't', expire: 7200, data: {} }), { headers: { 'content-type': 'application/json' } }); };
      for (const [options, origin] of [
        [{ domain: ctx.Domain.Lark }, 'https://open.larksuite.com'],
        [{ domain: ctx.Domain.Feishu }, 'https://open.feishu.cn'],
        [{ baseUrl: '', region: '' }, 'https://open.feishu.cn'],
        [{ region: 'lark', baseUrl: '' }, 'https://open.larksuite.com'],
      ]) {
        seen.length = 0;
        await new ctx.Client({ ...APP, ...options, fetch, logLevel: 'none' }).request({ path: 'im/v1/chats' });
        assertEqual([...new Set(seen)], [origin], JSON.stringify(options));
      }
    },
  },
  {
    name: 'httpInstance is refused with what to use instead; an unknown option names the closest known one',
    async fn(ctx) {
      const axiosLike = { request() {}, defaults: {} };
      axiosLike.self = axiosLike;
      const err = messageOf(() => new ctx.Client({ ...APP, httpInstance: axiosLike }));
      assert(err instanceof ctx.FeishuError && err.kind === 'config' && err.message.includes('fetch'), String(err));
      const typo = messageOf(() => new ctx.Client({ ...APP, loggerLevl: 1 }));
      assert(typo && typo.message.includes('loggerLevel'), String(typo));
    },
  },
  {
    name: 'the official cache (absolute expiry in ms) keeps the tokens: a second client reuses the first one\'s',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const values = new Map();
      const sets = [];
      const cache = {
        async get(key) { const e = values.get(key); return e && (!e.expire || e.expire > Date.now()) ? e.value : undefined; },
        async set(key, value, expire) { sets.push(expire); values.set(key, { value, expire }); return true; },
      };
      const a = new ctx.Client({ ...APP, domain: ctx.emuUrl, cache, logLevel: 'none' });
      const b = new ctx.Client({ ...APP, domain: ctx.emuUrl, cache, logLevel: 'none' });
      assertEqual(await a.tokens.tenantAccessToken(), await b.tokens.tenantAccessToken());
      const log = await control(ctx.emuUrl, '/__emu/log');
      assertEqual(log.counts.tenantToken, 1);
      assert(sets.length >= 1 && sets.every((t) => t > Date.now() + 60_000), `absolute expiry in ms: ${sets}`);
    },
  },
  {
    name: 'disableTokenCache: calls carry only the tokens they are given',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, disableTokenCache: true, logLevel: 'none' });
      await assertRejects(client.request({ method: 'GET', path: 'im/v1/chats' }));
      const owner = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none' });
      const token = await owner.tokens.tenantAccessToken();
      await control(ctx.emuUrl, '/__emu/clear-log');
      const res = await client.im.v1.chat.list({}, ctx.withTenantToken(token));
      assertEqual(res.code, 0);
      const log = await control(ctx.emuUrl, '/__emu/log');
      assertEqual([log.counts.tenantToken ?? 0, log.requests[0].authorization], [0, `Bearer ${token}`]);
    },
  },
  {
    name: 'withHelpDeskCredential() sends the client\'s helpDeskId:helpDeskToken; without them it is refused before sending',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, helpDeskId: 'hd_1', helpDeskToken: 'hd_token', logLevel: 'none' });
      await client.request({ method: 'GET', path: 'helpdesk/v1/tickets', ...ctx.withHelpDeskCredential() });
      const log = await control(ctx.emuUrl, '/__emu/log');
      const call = log.requests.find((r) => r.path === 'helpdesk/v1/tickets');
      assertEqual(call.helpdeskAuthorization, `Bearer ${btoa('hd_1:hd_token')}`);
      const bare = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none' });
      const err = await assertRejects(bare.request({ method: 'GET', path: 'helpdesk/v1/tickets', ...ctx.withHelpDeskCredential() }));
      assertEqual(err.kind, 'invalid_request');
    },
  },
  {
    name: 'client.request in the official shape ({ method, url, data, params }), url with or without /open-apis',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none' });
      for (const url of ['/open-apis/im/v1/messages', 'im/v1/messages']) {
        const res = await client.request({ method: 'post', url, params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) } });
        assertEqual(res.code, 0);
      }
    },
  },
  {
    name: 'the emulator answers a path no method has with 404, never success',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none', retry: { maxAttempts: 1 } });
      const err = await assertRejects(client.request({ method: 'GET', path: 'im/v1/chatz' }));
      assertEqual([err.kind, err.httpStatus], ['http', 404]);
    },
  },
  {
    name: 'AESCipher decrypts like the official one; unregister removes handlers; invoke(data) takes the official custom-adapter shape',
    async fn(ctx) {
      const key = 'ek_migration';
      const encrypted = await ctx.encryptEventAsync({ hello: 'world' }, key);
      if (ctx.runtime === 'node' || ctx.runtime === 'deno') {
        // AESCipher is synchronous, like the official one: the Node and Deno entries have it.
        const cipher = new ctx.AESCipher(key);
        assertEqual(JSON.parse(await cipher.decryptAsync(encrypted)), { hello: 'world' });
        assertEqual(JSON.parse(cipher.decrypt(encrypted)), { hello: 'world' });
      } else {
        assertEqual(typeof ctx.AESCipher, 'undefined');
      }
      let runs = 0;
      const d = new ctx.EventDispatcher({ verificationToken: 'vt', logLevel: 'none' }).register({ 'im.message.receive_v1': () => { runs++; }, 'card.action.trigger': () => ({ toast: { type: 'info', content: 'ok' } }) });
      const event = (type) => ({ schema: '2.0', header: { event_id: `ev_${type}_${Math.random()}`, event_type: type, token: 'vt', app_id: 'cli_0123456789abcdef' }, event: {} });
      // The official custom adapter: the parsed body with the request's headers on its prototype.
      const data = Object.assign(Object.create({ headers: { 'content-type': 'application/json' } }), event('card.action.trigger'));
      assertEqual(await d.invoke(data), { toast: { type: 'info', content: 'ok' } });
      const challenge = Object.assign(Object.create({ headers: {} }), { type: 'url_verification', challenge: 'c1', token: 'vt' });
      assertEqual(await d.invoke(challenge), { challenge: 'c1' });
      d.unregister('im.message.receive_v1');
      await d.invoke(JSON.stringify(event('im.message.receive_v1')), {});
      assertEqual(runs, 0);
    },
  },
  {
    name: 'register() warns about a misspelled event type, naming the closest known one; known types, schema 1.0 ones and callbacks do not warn',
    async fn(ctx) {
      const lines = [];
      const logger = { warn: (m) => lines.push(m), error() {}, info() {}, debug() {} };
      const d = new ctx.EventDispatcher({ verificationToken: 'vt', logger });
      d.register({ 'im.message.recieve_v1': () => {} });
      assertEqual(lines.length, 1);
      assert(lines[0].includes('im.message.receive_v1'), lines[0]);
      d.register({ 'im.message.receive_v1': () => {}, app_ticket: () => {}, message: () => {}, 'card.action.trigger': () => ({}) });
      assertEqual(lines.length, 1, lines.join('\n'));
    },
  },
  {
    name: 'downloads resolve to bytes with writeFile(path) (Node, Deno) and getReadableStream() (a Node Readable in Node)',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none' });
      const file = await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'k1' } });
      assert(file instanceof Uint8Array && file.length > 4);
      const stream = file.getReadableStream();
      if (ctx.runtime === 'node') {
        assert(typeof stream.pipe === 'function', 'a Node Readable');
        const chunks = [];
        for await (const c of stream) chunks.push(...c);
        assertEqual(chunks.length, file.length);
        // Built-ins without an import (workerd's module scan would refuse `node:` imports).
        // (ctx.nodeRequire: the Node runner's require, for Node 18 without getBuiltinModule.)
        const builtin = (name) => globalThis.process.getBuiltinModule?.(name) ?? ctx.nodeRequire(name);
        const { tmpdir } = builtin('os');
        const { readFile, rm } = builtin('fs/promises');
        const path = `${tmpdir()}/feishu-edge-download-${Date.now()}.png`;
        await file.writeFile(path);
        assertEqual([...(await readFile(path))], [...file]);
        await rm(path);
      } else {
        const { value } = await stream.getReader().read();
        assertEqual(value.length, file.length);
        if (ctx.runtime !== 'deno') {
          const err = await assertRejects(file.writeFile('/tmp/x'));
          assertEqual(err.kind, 'config');
        }
      }
    },
  },
  {
    name: 'messageCard.defaultCard gives the official JSON; createByCard / replyByCard / updateByCard send the official body; a whole card is validated first',
    async fn(ctx) {
      // The official SDK's output for the same variables (its defaultCard is JSON.stringify of this literal).
      const official = JSON.stringify({ config: { wide_screen_mode: true }, elements: [{ tag: 'markdown', content: 'a **b**' }], header: { template: 'blue', title: { content: 'T "1"', tag: 'plain_text' } } });
      assertEqual(ctx.messageCard.defaultCard({ title: 'T "1"', content: 'a **b**' }), official);
      await control(ctx.emuUrl, '/__emu/reset');
      const client = new ctx.Client({ ...APP, domain: ctx.emuUrl, logLevel: 'none' });
      await client.im.v1.message.createByCard({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', template_id: 'ctp_1', template_variable: { name: 'x' } } });
      await client.im.message.replyByCard({ path: { message_id: 'om_1' }, data: { template_id: 'ctp_2' } });
      const log = await control(ctx.emuUrl, '/__emu/log');
      const sent = log.requests.filter((r) => r.path.startsWith('im/v1/messages')).map((r) => r.body);
      assertEqual(sent[0], { msg_type: 'interactive', content: JSON.stringify({ type: 'template', data: { template_id: 'ctp_1', template_variable: { name: 'x' } } }), receive_id: 'oc_1' });
      assertEqual(JSON.parse(sent[1].content), { type: 'template', data: { template_id: 'ctp_2' } });
      const bad = new ctx.Card().add({ tag: 'nonsense' });
      const err = await assertRejects(client.im.v1.message.updateByCard({ path: { message_id: 'om_1' }, data: { card: bad } }));
      assertEqual(err.kind, 'invalid_card');
    },
  },
];
