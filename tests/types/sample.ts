// Type-checks the public contract with `tsc --strict` in a consumer that installed the packed package.
// Lines marked @ts-expect-error must fail to type-check: if the typings loosen, tsc reports them.
import { FeishuClient, FeishuError, type Envelope, type KVLike, type FeishuErrorKind } from 'feishu-edge';

const kv: KVLike = {
  async get(key: string) { return key ? null : 'x'; },
  async put(_key: string, _value: string, _options?: { expirationTtl?: number }) {},
  async delete(_key: string) {},
};

export async function main(env: { APP_ID: string; APP_SECRET: string; TOKENS: KVLike }): Promise<void> {
  const client = new FeishuClient({
    appId: env.APP_ID, appSecret: env.APP_SECRET, region: 'lark', appType: 'self_built', tokenStore: env.TOKENS ?? kv,
    timeoutMs: 5_000, retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5_000, budgetMs: 20_000 },
    logger: console, logLevel: 'warn', fetch: (input, init) => fetch(input, init),
  });
  const res: Envelope<{ message_id: string }> = await client.request<{ message_id: string }>({
    method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id', ids: ['a', null] },
    data: { receive_id: 'oc_1', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) }, idempotent: false,
  });
  const id: string | undefined = res.data?.message_id;
  for await (const chat of client.paginate<{ chat_id: string }>({ path: 'im/v1/chats', pageSize: 50, maxItems: 200 })) {
    const chatId: string = chat.chat_id;
    void chatId;
  }
  const all = await client.paginateAll({ path: 'im/v1/chats', itemsKey: 'items' });
  await client.upload({ path: 'im/v1/images', fields: { image_type: 'message' }, files: { image: new Uint8Array([1]) } });
  const bytes: Uint8Array = await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'k' } });
  const me: FeishuClient = client.asUser('u-token');
  const token: string = await client.tokens.tenantAccessToken('tenant-key');
  await me.request({ path: 'authen/v1/user_info', tokenType: 'user', userAccessToken: 'u' });
  try {
    await client.request({ path: 'x' });
  } catch (e) {
    if (e instanceof FeishuError) {
      const kind: FeishuErrorKind = e.kind;
      const code: number | null = e.code;
      const logId: string | null = e.logId;
      const status: number | null = e.httpStatus;
      const retry: boolean = e.retryable;
      void [kind, code, logId, status, retry, e.msg, e.message];
    }
  }
  void [id, all, bytes, token];

  // @ts-expect-error: region is 'feishu' | 'lark'
  new FeishuClient({ region: 'mars' });
  // @ts-expect-error: path is required
  await client.request({ method: 'GET' });
  // @ts-expect-error: unknown token type
  await client.request({ path: 'x', tokenType: 'root' });
  // @ts-expect-error: download resolves to bytes, not a string
  const s: string = await client.download({ path: 'x' });
  void s;
}

import { EventDispatcher, CardActionHandler, signEvent, computeSignature, verifySignature, decryptEvent, type WebhookResult } from 'feishu-edge';

export async function webhooks(client: FeishuClient, request: Request, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
  const d = new EventDispatcher({ encryptKey: 'k', verificationToken: 't', dedupeStore: { get: async () => null, put: async () => {} }, client })
    .register({
      'im.message.receive_v1': async (data, info) => {
        const text: string = JSON.parse(data.message.content).text;
        const chat: string = data.message.chat_id;
        await info.client?.request({ method: 'POST', path: 'im/v1/messages/{message_id}/reply', pathParams: { message_id: data.message.message_id }, data: { text, chat } });
      },
      'contact.user.created_v3': (data) => { void data.event_type; },
    });
  const cards = new CardActionHandler({ verificationToken: 't' }, async (action) => ({ toast: { type: 'success', content: String(action.action.value?.k) } }));
  const result: WebhookResult = await d.invoke('{}', { 'x-lark-signature': 'x' });
  const { body, headers } = signEvent({ a: 1 }, { encryptKey: 'k' });
  const sig: string = computeSignature({ timestamp: 1, nonce: 'n', key: 'k', body });
  const ok: boolean = verifySignature({ timestamp: 1, nonce: 'n', key: 'k', body, signature: sig });
  const plain: string = decryptEvent('x', 'k');
  void [result.reason, headers, ok, plain, cards];
  // @ts-expect-error: handlers must be functions
  d.register({ 'im.message.receive_v1': 'not a function' });
  // @ts-expect-error: the message event has no such field
  d.register({ 'im.message.receive_v1': (data) => data.message.no_such_field.length });
  // Schema 1.0 types are typed as in the official SDK (its IOtherEventHandles).
  d.register({
    app_ticket: (data) => { const ticket: string = data.app_ticket; void ticket; },
    message: (data) => { const text: string = data.text_without_at_bot; const chat: string = data.open_chat_id; void [text, chat]; },
    add_bot: (data) => { void data.chat_name; },
  });
  // @ts-expect-error: app_ticket carries no such field
  d.register({ app_ticket: (data) => data.no_such_field });
  return d.handle(request, { waitUntil: ctx.waitUntil.bind(ctx) });
}

import { Card, card, markdown, button, columns, form, input, select, textCard, alertCard, validateCard, escapeMarkdown, parseAction, type CardActionInfo } from 'feishu-edge';

export async function cards(client: FeishuClient): Promise<string> {
  const c: Card = new Card().header('Deploy', { template: 'green', tags: ['prod'] })
    .markdown(escapeMarkdown('*v1.2*'), { elementId: 'status' })
    .add(columns([markdown('a')], [markdown('b')]))
    .form('f', [input('why', { label: 'Why' }), select('env', ['prod', { text: 'Staging', value: 'stg' }]), button('Send', { submit: true })])
    .button('Roll back', { value: { op: 'rollback' }, type: 'danger', confirm: { title: 'Sure?', text: 'This rolls back' } });
  const json: string = String(c.validate());
  validateCard(card({ title: 'x' }).markdown('y'));
  const action: CardActionInfo | null = parseAction('{}');
  void [json, action?.openMessageId, textCard('a', 'b'), alertCard('a', 'b', 'error')];
  async function* tokens() { yield 'Hel'; yield 'lo'; }
  const cardId: string = await client.streamCard(tokens(), { replyTo: 'om_1', debounceMs: 200, header: { title: 'Answer', template: 'blue' } });
  // @ts-expect-error: unknown template colour
  new Card().header('x', { template: 'chartreuse' });
  // @ts-expect-error: the source must yield text
  await client.streamCard(42, { receiveId: 'oc_1' });
  return cardId;
}

import { withUserAccessToken, withTenantKey, withAll } from 'feishu-edge';

export async function catalog(client: FeishuClient): Promise<void> {
  const sent = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', msg_type: 'text', content: '{}' } });
  await client.im.message.reply({ path: { message_id: 'om_1' }, data: { msg_type: 'text', content: '{}' } }, withAll([withUserAccessToken('u'), withTenantKey('t')]));
  const bytes: Uint8Array = await client.drive.v1.file.download({ path: { file_token: 'f' } });
  for await (const page of await client.drive.v1.file.listWithIterator({ params: { page_size: 50 } })) void page.files;
  for await (const file of client.drive.v1.file.listItems({ maxItems: 10 })) void file;
  void [sent.data, bytes];
  // @ts-expect-error: the path parameter is named message_id
  await client.im.v1.message.reply({ path: { id: 'om_1' } });
  // @ts-expect-error: no such namespace
  void client.imm;
}

import { sendWebhook, messageBody, type ImMessage, type ContactUser, type BitableRecord } from 'feishu-edge';

export async function helpersAndTypedMethods(client: FeishuClient, card: Card): Promise<void> {
  const sent: ImMessage = await client.im.send('oc_1', card);
  // The schema (the official declarations) marks reply fields optional: check before use.
  if (sent.message_id) await client.im.reply(sent.message_id, 'thanks', { inThread: true });
  const user: ContactUser = await client.contact.getUser('ou_1');
  for await (const dept of client.contact.departmentChildren('0')) void dept.open_department_id;
  const token: string = await client.drive.uploadFile('fld', new Uint8Array(10), 'a.bin');
  for await (const rec of client.bitable.searchRecords('app', 'tbl', { filter: { conjunction: 'and' } })) { const r: BitableRecord = rec; void r.fields; }
  const url: string = client.oauth.authorizeUrl({ redirectUri: 'https://x/cb', scopes: ['offline_access'] });
  const userToken: string | null = await client.oauth.userAccessToken('ou_1');
  await sendWebhook('https://hook', 'hi', { secret: 's' });
  const created = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_1', ...messageBody('x') as { msg_type: 'text'; content: string } } });
  const id: string | undefined = created.data?.message_id;
  const items = await client.im.v1.message.list({ params: { container_id_type: 'chat', container_id: 'oc_1' } });
  const first: ImMessage | undefined = items.data?.items?.[0];
  for await (const m of client.im.v1.message.listItems({ params: { container_id_type: 'chat', container_id: 'oc_1' } })) void m.body?.content;
  void [user.name, token, url, userToken, id, first];
  // @ts-expect-error: receive_id_type must be one of the known id types
  await client.im.v1.message.create({ params: { receive_id_type: 'phone' }, data: { receive_id: 'x', msg_type: 'text', content: '' } });
  // @ts-expect-error: im.send needs content
  await client.im.send('oc_1');
  // @ts-expect-error: uploadFile takes bytes, not a path string
  await client.drive.uploadFile('fld', '/etc/passwd', 'x');
}

import { createEmulator, signedRequest, fixtures, type Emulator } from 'feishu-edge/testing';

export async function testKit(): Promise<void> {
  const emu: Emulator = await createEmulator({ chats: 3 });
  const client = new FeishuClient(emu.clientOptions);
  const req: Request = signedRequest(`${emu.url}/hook`, fixtures.messageReceive({ text: 'hi' }), { encryptKey: 'k' });
  const calls = await emu.calls();
  const first: string | undefined = calls[0]?.path;
  await emu.faults({ match: 'im/v1', kind: 'rate_limit', resetSeconds: 1 });
  void [client, req, first];
  await emu.close();
}

export async function streams(client: FeishuClient): Promise<number> {
  const stream: ReadableStream<Uint8Array> = await client.drive.v1.file.downloadStream({ path: { file_token: 'f' } });
  const raw: ReadableStream<Uint8Array> = await client.downloadStream({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'k' } });
  void raw;
  let total = 0;
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
  return total;
}

import { FeishuStateObject, durableObjectStore, denoKvStore, redisStore, type AtomicStore, type WebhookRejection } from 'feishu-edge';

export { FeishuStateObject };

export async function webhooksFailClosed(env: { FEISHU_STATE: { idFromName(n: string): unknown; get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> } }; FEISHU_EVENTS: { send(body: string): Promise<void> } }, request: Request, batch: { messages: Array<{ body: unknown; ack(): void; retry(): void }> }): Promise<Response> {
  const store: AtomicStore = durableObjectStore(env.FEISHU_STATE);
  const events = new EventDispatcher({
    encryptKey: 'ek', verificationToken: 'vt', dedupeStore: store, dedupeTtlSeconds: 28_800, dedupeLeaseSeconds: 120,
    storeTimeoutMs: 2_000, bodyTimeoutMs: 10_000, onError: (error, event) => console.error(error, event.event_id),
  }).register({ 'im.message.receive_v1': async (data) => { void data.message.chat_id; } });
  const exact: boolean = events.exactlyOnce;
  const dev = new CardActionHandler({ allowUnverified: true }, () => ({ toast: { type: 'info', content: 'ok' } }));
  // @ts-expect-error durations are numbers
  new EventDispatcher({ encryptKey: 'ek', dedupeLeaseSeconds: '2m' });
  // @ts-expect-error onError is a function
  new EventDispatcher({ encryptKey: 'ek', onError: 'log' });
  const { acked, retried }: { acked: number; retried: number } = await events.consume(batch);
  const reason: WebhookRejection = 'event_in_progress';
  void [exact, dev, acked, retried, reason, denoKvStore, redisStore];
  await sendWebhook('https://hooks.example/x', 'hi', { timeoutMs: 5_000 });
  return events.handle(request, { queue: env.FEISHU_EVENTS });
}

import { WSClient, type WSConnectionStatus } from 'feishu-edge';

export async function longConnection(WebSocketCtor: new (url: string) => unknown): Promise<void> {
  const ws = new WSClient({ appId: 'cli_a', appSecret: 's', WebSocket: WebSocketCtor, autoReconnect: true, handshakeTimeoutMs: 5_000, onError: (e) => console.error(e.kind, e.code) });
  await ws.start({ eventDispatcher: new EventDispatcher({}).register({ 'im.message.receive_v1': (data) => { void data.message.chat_id; } }) });
  const status: WSConnectionStatus = ws.getConnectionStatus();
  const state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed' = status.state;
  // @ts-expect-error start needs an eventDispatcher
  await ws.start({});
  void state;
  await ws.close();
}

import { Client, Domain, AppType, LoggerLevel, withHelpDeskCredential, withTenantToken } from 'feishu-edge';

export async function officialNames(token: string): Promise<void> {
  const client = new Client({ appId: 'cli_a', appSecret: 's', appType: AppType.SelfBuild, domain: Domain.Feishu, loggerLevel: LoggerLevel.info, disableTokenCache: false, helpDeskId: 'h', helpDeskToken: 't' });
  const lark = new Client({ appId: 'cli_a', appSecret: 's', domain: 'https://open.larksuite.com', cache: { get: async () => undefined, set: async () => true } });
  const feishu: FeishuClient = client;
  await client.request({ method: 'GET', path: 'helpdesk/v1/tickets', ...withHelpDeskCredential() });
  await lark.im.v1.chat.list({}, withTenantToken(token));
  // @ts-expect-error httpInstance is not used: pass fetch instead
  new Client({ appId: 'cli_a', appSecret: 's', httpInstance: {} });
  void feishu;
}

// The official node-sdk's other names (official.js): kinds and signatures as the official's.
import lark, {
  Client as OfficialClient, WSClient as OfficialWSClient, ClientAssertionError, AccessTokenError, DefaultCache, internalCache, CAppTicket,
  CTenantAccessToken, LoggerProxy, defaultLogger, LoggerLevel as Levels, generateChallenge, registerApp, defaultHttpInstance, Aily,
  type ClientAssertionProvider, type Cache, type RegisterAppResult,
} from 'feishu-edge';

export async function officialRuntimeNames(): Promise<void> {
  const provider: ClientAssertionProvider = { retrieveToken: async (aud: string) => ({ value: `jwt-for-${aud}` }) };
  const keyless = new OfficialClient({ appId: 'cli_a', clientAssertionProvider: provider, oauthBaseUrl: 'https://accounts.feishu.cn' });
  new OfficialWSClient({ appId: 'cli_a', clientAssertionProvider: { retrieveToken: () => ({ value: 'x', targetInfo: { targetService: 'https://p' } }) } });
  const e: ClientAssertionError = new ClientAssertionError(7101, 'empty');
  const code: number = e.code;
  const a = new AccessTokenError(400, 1, 'invalid_client', 'bad');
  const status: number = a.statusCode;
  const cache: Cache = new DefaultCache();
  await cache.set(CAppTicket, 't', Date.now() + 1000, { namespace: 'cli_a' });
  const t: unknown = await internalCache.get(CTenantAccessToken, { namespace: 'cli_a' });
  new LoggerProxy(Levels.info, defaultLogger).info('x', code, status, t);
  const { isChallenge }: { isChallenge: boolean } = generateChallenge({ type: 'url_verification', challenge: 'c' }, { encryptKey: '' });
  const r: RegisterAppResult = await registerApp({ onQRCodeReady: ({ url, expireIn }) => console.log(url, expireIn, isChallenge), addons: { scopes: { tenant: ['im:message'] } } });
  const id: string = r.client_id;
  await defaultHttpInstance.post('/x').catch(() => id);
  // @ts-expect-error onQRCodeReady is required
  await registerApp({});
  const answer = await new Aily({ client: keyless }).completions.create({ ailyAppId: 'spring_1', message: 'hi' });
  const content: string | undefined = answer.content;
  for await (const part of await new Aily({ client: keyless }).completions.createWithStream({ ailyAppId: 'spring_1', message: content ?? '' })) void part.status;
  const viaDefault: typeof OfficialClient = lark.Client;
  void viaDefault;
}
