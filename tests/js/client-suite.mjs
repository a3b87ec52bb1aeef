// The core client's behaviour, run against the built package in Node, Deno and workerd.
// ctx: { FeishuClient, FeishuError, emuUrl, runtime, kv? (a real KV binding in workerd), hasEnv }
import { assert, assertEqual, assertRejects } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };

function emulator(emuUrl) {
  const call = async (path, body) => {
    const r = await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    return r.json();
  };
  return {
    reset: (config = {}) => call('/__emu/reset', config),
    faults: (...rules) => call('/__emu/faults', { rules }),
    revoke: () => call('/__emu/revoke', {}),
    log: () => call('/__emu/log'),
    apiCalls: async (prefix = '') => (await call('/__emu/log')).requests.filter((r) => !r.path.startsWith('auth/') && r.path.startsWith(prefix)),
  };
}

/** A Map-backed KV-shaped store, with async methods like Workers KV. */
function memoryKv() {
  const map = new Map();
  const puts = [];
  return {
    map, puts,
    async get(k) { return map.has(k) ? map.get(k) : null; },
    async put(k, v, o) { puts.push({ k, o }); map.set(k, v); },
    async delete(k) { map.delete(k); },
  };
}

export const clientTests = [
  {
    name: 'request: envelope, encoded path params, repeated query keys, JSON body',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      const res = await client.request({
        method: 'POST', path: 'drive/v1/files/{file_token}/copy', pathParams: { file_token: 'a/b c?#é' },
        params: { user_ids: ['u1', 'u2', null], skip: null, n: 3, flag: true }, data: { name: '文件', nested: { x: [1, 2] } },
        headers: { 'x-emu-echo': '1' }, // the emulator echoes the request instead of answering as the platform
      });
      assertEqual(res.code, 0);
      const echo = res.data.echo;
      assertEqual(echo.path, 'drive/v1/files/a%2Fb%20c%3F%23%C3%A9/copy', 'path');
      assertEqual(echo.query, '?user_ids=u1&user_ids=u2&n=3&flag=true', 'query');
      assertEqual(echo.body, { name: '文件', nested: { x: [1, 2] } }, 'body');
    },
  },
  {
    name: '100 concurrent calls on a cold cache make exactly 1 token request',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request({ path: 'contact/v3/users/{id}', pathParams: { id: `u${i}` } })));
      assert(results.every((r) => r.code === 0));
      const log = await emu.log();
      assertEqual(log.counts.tenantToken, 1, 'token requests');
      assertEqual((await emu.apiCalls()).length, 100, 'api calls');
    },
  },
  {
    name: 'a cold request racing paginate, pages, a WithIterator walk, downloadStream and streamCard: exactly 1 token request (one single flight)',
    async fn({ FeishuClient, Client, emuUrl }) {
      const emu = emulator(emuUrl);
      for (const [label, make] of [
        ['FeishuClient', () => new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' })],
        // The official name's contract: its iterators walk pages through the same core.
        ['Client', () => new Client({ ...APP, domain: emuUrl, logLevel: 'none' })],
      ]) {
        await emu.reset();
        const client = make();
        const walk = async (iterable) => { const out = []; for await (const x of iterable) out.push(x); return out; };
        const [reply, items, pages, official, stream, cardId] = await Promise.all([
          client.request({ path: 'im/v1/chats' }),
          walk(client.paginate({ path: 'im/v1/chats', pageSize: 2 })),
          client.paginateAll({ path: 'im/v1/chats', pageSize: 1, maxItems: 1 }),
          client.im.v1.chat.listWithIterator({ params: { page_size: 2 } }).then(walk),
          client.downloadStream({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'raced' } }),
          client.streamCard('raced text', { receiveId: 'oc_race', debounceMs: 10 }),
        ]);
        assertEqual(reply.code, 0);
        assert(items.length > 0 && pages.length === 1 && official.length > 0, 'every walk yielded');
        assert(stream instanceof ReadableStream, 'the download streamed');
        assert(typeof cardId === 'string' && cardId.length > 0, 'the card streamed');
        await stream.cancel();
        assertEqual((await emu.log()).counts.tenantToken, 1, `${label}: token requests`);
      }
    },
  },
  {
    name: 'a revoked token is replaced and the call succeeds',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      await client.request({ path: 'im/v1/chats' });
      await emu.revoke();
      const res = await client.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } });
      assertEqual(res.code, 0);
      const log = await emu.log();
      assertEqual(log.counts.tenantToken, 2, 'token requests');
      const posts = (await emu.apiCalls('im/v1/messages')).length;
      assertEqual(posts, 2, 'the POST was sent again once, with the new token');
    },
  },
  {
    name: '429 waits for x-ogw-ratelimit-reset, then succeeds',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      await client.tokens.tenantAccessToken();
      await emu.faults({ match: 'im/v1/messages', kind: 'rate_limit', resetSeconds: 1, count: 1 });
      const started = Date.now();
      const res = await client.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } });
      const waited = Date.now() - started;
      assertEqual(res.code, 0);
      assert(waited >= 900, `waited only ${waited} ms`);
      assertEqual((await emu.apiCalls('im/v1/messages')).length, 2);
    },
  },
  {
    name: 'a POST is never retried after a 5xx and is not reported retryable (it may have been processed); a GET is retried',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', retry: { baseDelayMs: 5 } });
      await emu.faults({ match: 'im/v1/messages', kind: 'server_error', status: 503, count: 5 });
      const err = await assertRejects(client.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } }));
      assert(err instanceof FeishuError, 'FeishuError');
      assertEqual([err.httpStatus, err.retryable], [503, false]);
      assertEqual((await emu.apiCalls('im/v1/messages')).length, 1, 'POST attempts');
      await emu.reset();
      const fresh = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', retry: { baseDelayMs: 5 } });
      await fresh.tokens.tenantAccessToken();
      await emu.faults({ match: 'im/v1/chats', kind: 'server_error', status: 500, count: 2 });
      const res = await fresh.request({ path: 'im/v1/chats' });
      assertEqual(res.code, 0);
      assertEqual((await emu.apiCalls('im/v1/chats')).length, 3, 'GET attempts');
      await emu.faults({ match: 'im/v1/messages', kind: 'server_error', count: 1 });
      await fresh.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' }, idempotent: true });
      assertEqual((await emu.apiCalls('im/v1/messages')).length, 2, 'a POST marked idempotent is retried');
    },
  },
  {
    name: 'a slow reply past the timeout rejects with a typed timeout error',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', timeoutMs: 200, retry: { maxAttempts: 1 } });
      await client.tokens.tenantAccessToken();
      await emu.faults({ match: 'im/v1/chats', kind: 'slow', delayMs: 1500, count: 1 });
      const started = Date.now();
      const err = await assertRejects(client.request({ path: 'im/v1/chats' }));
      const took = Date.now() - started;
      assert(err instanceof FeishuError, String(err));
      assertEqual([err.kind, err.retryable], ['timeout', true]);
      assert(took < 1200, `took ${took} ms: the request was not cancelled`);
    },
  },
  {
    name: 'an external KV-shaped store receives and serves the token',
    async fn({ FeishuClient, emuUrl, kv }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const store = kv ?? memoryKv();
      const a = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', tokenStore: store });
      await a.request({ path: 'im/v1/chats' });
      const raw = await store.get('feishu-edge:cli_0123456789abcdef:tenant_access_token');
      assert(raw, 'the store holds the token');
      const stored = JSON.parse(raw);
      assert(stored.token.startsWith('t-emu-') && stored.expiresAt > Date.now() / 1000 + 7000, raw);
      if (store.puts) assert(store.puts[0].o.expirationTtl >= 60 && store.puts[0].o.expirationTtl <= 7200, 'expirationTtl');
      const b = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', tokenStore: store });
      await b.request({ path: 'im/v1/chats' });
      assertEqual((await emu.log()).counts.tenantToken, 1, 'second client, same store: no new token request');
      await emu.revoke();
      await b.request({ path: 'im/v1/chats' });
      const replaced = JSON.parse(await store.get('feishu-edge:cli_0123456789abcdef:tenant_access_token'));
      assert(replaced.token !== stored.token, 'a revoked token is replaced in the store too');
    },
  },
  {
    name: 'errors carry kind, code, msg, logId, httpStatus, retryable',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', retry: { maxAttempts: 1 } });
      await emu.faults({ match: 'im/v1/messages', kind: 'api_error', code: 230001, msg: 'invalid receive_id', status: 400, count: 1 });
      const err = await assertRejects(client.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}' } }));
      assert(err instanceof FeishuError && err instanceof Error, 'FeishuError extends Error');
      assertEqual([err.name, err.kind, err.code, err.msg, err.httpStatus, err.retryable], ['FeishuError', 'api', 230001, 'invalid receive_id', 400, false]);
      assert(/^emu-log-\d+$/.test(err.logId), `logId ${err.logId}`);
      assert(err.message.includes('230001') && err.message.includes(err.logId), err.message);
    },
  },
  {
    name: 'gateway HTML, truncated JSON and empty bodies are typed errors',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', retry: { maxAttempts: 1 } });
      await emu.faults({ match: 'x/html', kind: 'html502' }, { match: 'x/trunc', kind: 'truncated' }, { match: 'x/empty', kind: 'empty' });
      const html = await assertRejects(client.request({ path: 'x/html' }));
      assertEqual([html.kind, html.httpStatus, html.code, html.retryable], ['http', 502, null, true]);
      assert(html.msg.includes('502 Bad Gateway'), html.msg);
      const trunc = await assertRejects(client.request({ path: 'x/trunc' }));
      assertEqual([trunc.kind, trunc.httpStatus], ['invalid_response', 200]);
      const empty = await assertRejects(client.request({ path: 'x/empty' }));
      assertEqual([empty.kind, empty.msg], ['invalid_response', 'empty body']);
      assert([html, trunc, empty].every((e) => e instanceof FeishuError));
    },
  },
  {
    name: 'the app secret and tokens never appear in logs at any level',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const lines = [];
      const logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logger, logLevel: 'debug', retry: { baseDelayMs: 5 } });
      await client.request({ path: 'im/v1/chats' });
      await emu.revoke();
      await emu.faults({ match: 'im/v1/chats', kind: 'server_error', count: 1 });
      await client.request({ path: 'im/v1/chats' });
      await client.asUser('u-user-secret-token').request({ path: 'authen/v1/user_info' });
      await assertRejects(client.request({ path: 'x', tokenType: 'none', accessToken: 'explicit-secret-token', retry: undefined }));
      const text = lines.join('\n');
      assert(text.includes('fetched a new tenant_access_token') && text.includes('retrying') && text.includes('token rejected'), `logs too thin:\n${text}`);
      const secrets = [APP.appSecret, 'u-user-secret-token', 'explicit-secret-token', ...(await emu.log()).tokensIssued];
      for (const s of secrets) assert(!text.includes(s), `leaked ${s.slice(0, 6)}… into logs`);
    },
  },
  {
    name: 'paginate walks page_token pages; maxItems stops early; paginateAll collects',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset({ chats: 5 });
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      const ids = [];
      for await (const chat of client.paginate({ path: 'im/v1/chats', pageSize: 2 })) ids.push(chat.chat_id);
      assertEqual(ids, ['oc_0', 'oc_1', 'oc_2', 'oc_3', 'oc_4']);
      const queries = (await emu.apiCalls('im/v1/chats')).map((r) => r.query);
      assertEqual(queries, ['?page_size=2', '?page_size=2&page_token=2', '?page_size=2&page_token=4']);
      const some = await client.paginateAll({ path: 'im/v1/chats', pageSize: 2, maxItems: 3 });
      assertEqual(some.map((c) => c.chat_id), ['oc_0', 'oc_1', 'oc_2']);
      const pages = [];
      for await (const page of client.pages({ path: 'im/v1/chats', pageSize: 4 })) pages.push(page.length);
      assertEqual(pages, [4, 1]);
    },
  },
  {
    name: 'upload sends multipart with Uint8Array, Blob and ArrayBuffer; download returns bytes or a typed error',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      const res = await client.upload({ path: 'im/v1/images', fields: { image_type: 'message' }, files: { image: new Uint8Array([1, 2, 3, 4, 5]) } });
      assert(/^img_v3_\w+$/.test(res.data.image_key), res.data.image_key);
      await client.upload({ path: 'im/v1/files', fields: { file_type: 'stream', file_name: 'a.txt' }, files: { file: { data: new Blob(['hello']), filename: 'a.txt', contentType: 'text/plain' } } });
      await client.upload({ path: 'drive/v1/medias/upload_all', fields: { size: 3 }, files: { file: new Uint8Array([7, 8, 9]).buffer } });
      const [img, file, media] = await emu.apiCalls();
      assertEqual(img.form.image_type, 'message');
      assertEqual([img.form.image.size, img.form.image.bytes], [5, [1, 2, 3, 4, 5]]);
      assertEqual([file.form.file.filename, file.form.file.type, file.form.file.size, file.form.file_name], ['a.txt', 'text/plain', 5, 'a.txt']);
      assertEqual([media.form.size, media.form.file.bytes], ['3', [7, 8, 9]]);
      assert(img.contentType.startsWith('multipart/form-data; boundary='), img.contentType);
      assertEqual([...await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: res.data.image_key } })], [1, 2, 3, 4, 5], 'the image downloads with its bytes');
      const bytes = await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'abc' } });
      assert(bytes instanceof Uint8Array, 'Uint8Array');
      assertEqual([...bytes], [0x89, 0x50, 0x4e, 0x47, 0x61, 0x62, 0x63]);
      const err = await assertRejects(client.download({ path: 'im/v1/images/missing' }));
      assert(err instanceof FeishuError);
      assertEqual([err.code, err.httpStatus], [234003, 404]);
    },
  },
  {
    name: 'asUser, explicit tokens, app tokens and tokenType none',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      const me = client.asUser('u-abc');
      assert(me instanceof FeishuClient);
      await me.request({ path: 'authen/v1/user_info' });
      await client.request({ path: 'im/v1/chats', userAccessToken: 'u-per-call' });
      await client.request({ path: 'im/v1/chats', tokenType: 'app' });
      const tenant = await client.tokens.tenantAccessToken();
      const app = await client.tokens.appAccessToken();
      const calls = await emu.apiCalls();
      assertEqual(calls.map((c) => c.authorization), ['Bearer u-abc', 'Bearer u-per-call', `Bearer ${app}`]);
      assert(tenant.startsWith('t-emu-') && app.startsWith('a-emu-'));
      await assertRejects(client.request({ path: 'c', tokenType: 'none' }), (e) => assertEqual(e.code, 99991663));
      assertEqual((await emu.apiCalls('c'))[0].authorization, null, 'no Authorization header');
    },
  },
  {
    name: 'marketplace apps: no ticket → resend + typed error; with a ticket → per-tenant tokens',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const store = memoryKv();
      const client = new FeishuClient({ ...APP, appType: 'marketplace', baseUrl: emuUrl, logLevel: 'none', tokenStore: store });
      const err = await assertRejects(client.request({ path: 'im/v1/chats', tenantKey: 'tenant-1' }));
      assert(err instanceof FeishuError);
      assertEqual(err.kind, 'app_ticket_missing');
      assertEqual((await emu.log()).counts.ticketResend, 1);
      await client.tokens.storeAppTicket('ticket-emu');
      await client.request({ path: 'im/v1/chats', tenantKey: 'tenant-1' });
      await client.request({ path: 'im/v1/chats', tenantKey: 'tenant-2' });
      const calls = await emu.apiCalls('im/v1/chats');
      assert(calls[0].authorization.startsWith('Bearer t-tenant-1-emu-') && calls[1].authorization.startsWith('Bearer t-tenant-2-emu-'));
      assertEqual((await emu.log()).counts.appToken, 1, 'one app token for both tenants');
      await assertRejects(client.request({ path: 'im/v1/chats' }), (e) => assertEqual(e.kind, 'invalid_request'));
    },
  },
  {
    name: 'configuration errors name what is missing; bad options are typed errors',
    async fn({ FeishuClient, FeishuError, emuUrl }) {
      let err;
      try { new FeishuClient({ appId: 'cli_x', baseUrl: emuUrl }); } catch (e) { err = e; }
      assert(err instanceof FeishuError, 'throws FeishuError');
      assertEqual(err.kind, 'config');
      assert(err.message.includes('appSecret') && !err.message.includes('appId ('), err.message);
      for (const bad of [{ region: 'mars' }, { baseUrl: 'ftp://x' }, { appType: 'weird' }, { tokenStore: {} }]) {
        let e2;
        try { new FeishuClient({ ...APP, ...bad }); } catch (e) { e2 = e; }
        assert(e2 instanceof FeishuError && e2.kind === 'config', `rejects ${JSON.stringify(bad)}`);
      }
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none' });
      await assertRejects(client.request({ path: 'a/{id}' }), (e) => assert(e.kind === 'invalid_request' && e.message.includes('`id`'), e.message));
      await assertRejects(client.request({ method: 'BREW', path: 'x' }), (e) => assertEqual(e.kind, 'invalid_request'));
    },
  },
  {
    name: 'appId / appSecret fall back to FEISHU_APP_ID / FEISHU_APP_SECRET',
    skip: (ctx) => !ctx.setEnv,
    async fn({ FeishuClient, emuUrl, setEnv }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      setEnv({ FEISHU_APP_ID: APP.appId, FEISHU_APP_SECRET: APP.appSecret, FEISHU_BASE_URL: emuUrl });
      try {
        const client = new FeishuClient({ logLevel: 'none' });
        assertEqual(client.appId, 'cli_0123456789abcdef');
        assertEqual((await client.request({ path: 'im/v1/chats' })).code, 0);
      } finally {
        setEnv({ FEISHU_APP_ID: undefined, FEISHU_APP_SECRET: undefined, FEISHU_BASE_URL: undefined });
      }
    },
  },
  {
    name: 'an injected fetch carries every request',
    async fn({ FeishuClient, emuUrl }) {
      const emu = emulator(emuUrl);
      await emu.reset();
      const seen = [];
      const fetchSpy = (url, init) => { seen.push(`${init.method} ${new URL(url).pathname}`); return fetch(url, init); };
      const client = new FeishuClient({ ...APP, baseUrl: emuUrl, logLevel: 'none', fetch: fetchSpy });
      await client.request({ path: 'im/v1/chats' });
      assertEqual(seen, ['POST /open-apis/auth/v3/tenant_access_token/internal', 'GET /open-apis/im/v1/chats']);
    },
  },
];
