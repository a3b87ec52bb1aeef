// The generated catalog through the built package: every row (Node) or a sample (Deno, workerd)
// resolves to the right HTTP method, path and body kind, checked against the emulator's record
// of the request. ctx.catalogRows: the TSV's rows, read by the runner (not the generated table).
import { assert, assertEqual } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function parseCatalog(tsv) {
  return tsv.trim().split('\n').slice(1).map((l) => {
    const [name, method, path, paginated, body, response] = l.split('\t');
    return { name, method, path, paginated: paginated === 'yes', body, response };
  });
}

async function callRow(client, row) {
  const [ns, version, resource, fn] = row.name.split('.');
  const pathParams = {};
  for (const [, p] of row.path.matchAll(/\{([^}]+)\}/g)) pathParams[p] = `${p}-x y/z`;
  const payload = { path: pathParams, params: { q: 'a b', arr: ['1', '2'] }, headers: { 'x-emu-echo': '1' } };
  if (row.response === 'binary') payload.params.__binary = '1';
  if (row.body === 'json') payload.data = { k: row.name };
  if (row.body === 'multipart') payload.data = { file: new Uint8Array([1, 2, 3]), meta: 'm' };
  const method = client[ns][version][resource][fn];
  const result = await method(payload);
  const echo = row.response === 'binary' ? JSON.parse(new TextDecoder().decode(result)) : result.data.echo;
  const expectedPath = row.path.replace(/\{([^}]+)\}/g, (_, p) => encode(pathParams[p]));
  const problems = [];
  if (echo.method !== row.method) problems.push(`method ${echo.method}`);
  if (echo.path !== expectedPath) problems.push(`path ${echo.path} ≠ ${expectedPath}`);
  if (!echo.query.startsWith('?q=a%20b&arr=1&arr=2')) problems.push(`query ${echo.query}`);
  if (row.body === 'json' && echo.body?.k !== row.name) problems.push('json body missing');
  if (row.body === 'multipart' && (echo.form?.file?.size !== 3 || echo.form?.meta !== 'm')) problems.push(`multipart ${JSON.stringify(echo.form)}`);
  return problems.length ? `${row.name}: ${problems.join('; ')}` : null;
}

export const catalogTests = [
  {
    name: 'every catalog method resolves to its HTTP method, path, query and body kind',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', {});
      const rows = ctx.catalogRows;
      assert(rows.length >= 50, `${rows.length} rows`);
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
      const failures = [];
      for (const row of rows) {
        try {
          if ((row.method === 'GET' || row.method === 'HEAD') && row.body !== 'none') {
            // One catalog row (spark.v1.appStorage.download) is a GET with a body, which fetch cannot send.
            const e = await callRow(client, row).then(() => null, (err) => err);
            if (!(e instanceof ctx.FeishuError && e.kind === 'invalid_request')) failures.push(`${row.name}: expected invalid_request, got ${e}`);
            continue;
          }
          const problem = await callRow(client, row);
          if (problem) failures.push(problem);
        } catch (e) {
          failures.push(`${row.name}: threw ${e?.message ?? e}`);
        }
        if (failures.length > 10) break;
      }
      assertEqual(failures, []);
      ctx.log?.(`  (${rows.length} catalog methods checked)`);
    },
  },
  {
    name: 'unversioned aliases, WithIterator pages, Items and the with* option helpers',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', { chats: 5 });
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
      assert(client.im.message === client.im.v1.message, 'client.im.message is client.im.v1.message');
      assert(client.wiki.space === client.wiki.v2.space, 'wiki aliases v2, like the official SDK');
      assertEqual(client.aily.session, undefined, 'no alias where the official SDK has none');
      const pages = [];
      for await (const page of await client.im.v1.chat.listWithIterator({ params: { page_size: 2 } })) pages.push(page);
      assertEqual(pages.map((p) => p.items.map((c) => c.chat_id)), [['oc_0', 'oc_1'], ['oc_2', 'oc_3'], ['oc_4']]);
      assert(pages.every((p) => !('has_more' in p) && !('page_token' in p)), 'paging fields removed, as in the official SDK');
      const ids = [];
      for await (const chat of client.im.chat.listItems({ params: { page_size: 2 }, maxItems: 3 })) ids.push(chat.chat_id);
      assertEqual(ids, ['oc_0', 'oc_1', 'oc_2']);
      const echo = { 'x-emu-echo': '1' }; // only the tokens sent matter here
      await client.im.v1.message.get({ path: { message_id: 'om_1' }, headers: echo }, ctx.withUserAccessToken('u-abc'));
      await client.im.v1.message.get({ path: { message_id: 'om_2' }, headers: echo }, ctx.withTenantToken('u-explicit-token'));
      await client.im.v1.message.get({ path: { message_id: 'om_3' }, headers: echo }, ctx.withAll([ctx.withUserAccessToken('u-two'), { headers: { 'x-extra': '1' } }]));
      const log = (await control(ctx.emuUrl, '/__emu/log')).requests.filter((r) => r.path.startsWith('im/v1/messages/'));
      assertEqual(log.map((r) => r.authorization), ['Bearer u-abc', 'Bearer u-explicit-token', 'Bearer u-two']);
      // Binary methods also stream: the bytes arrive through a ReadableStream; errors stay typed.
      const stream = await client.im.v1.image.getStream({ path: { image_key: 'streamed' } });
      assert(stream instanceof ReadableStream, 'a ReadableStream');
      const chunks = [];
      for (const reader = stream.getReader(); ;) { const { done, value } = await reader.read(); if (done) break; chunks.push(...value); }
      assertEqual(new TextDecoder().decode(new Uint8Array(chunks.slice(4))), 'streamed');
      const missing = await client.im.v1.image.getStream({ path: { image_key: 'missing' } }).catch((e) => e);
      assert(missing instanceof ctx.FeishuError && missing.code === 234003 && missing.httpStatus === 404, String(missing));
      // Streams go through the same pipeline: a revoked token is refreshed and the call repeated,
      // and timeoutMs holds until the reply's headers.
      await control(ctx.emuUrl, '/__emu/revoke', {});
      const refreshed = await client.im.v1.image.getStream({ path: { image_key: 'after-revoke' } });
      assert(refreshed instanceof ReadableStream, 'streamed after a token refresh');
      await refreshed.cancel();
      await control(ctx.emuUrl, '/__emu/faults', { rules: [{ match: 'images/slow', kind: 'slow', delayMs: 2000, count: 10 }] });
      const slow = await client.downloadStream({ path: 'im/v1/images/slow', timeoutMs: 100, idempotent: false }).catch((e) => e);
      assert(slow instanceof ctx.FeishuError && slow.kind === 'timeout', String(slow));
      await control(ctx.emuUrl, '/__emu/faults', { rules: [] });
      const offline = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:9', logLevel: 'none' });
      const netErr = await offline.downloadStream({ path: 'x', tokenType: 'none' }).catch((e) => e);
      assert(netErr instanceof ctx.FeishuError && netErr.kind === 'network' && netErr.retryable, String(netErr));
      const err = await client.im.v1.message.get({ path: {} }).catch((e) => e);
      assert(err instanceof ctx.FeishuError && err.kind === 'invalid_request' && err.message.includes('message_id'), String(err));
    },
  },
];
