import type { SchemaEvents } from './generated/catalog-events.js';
// Public types of feishu-edge. Hand-written: this file is the package's contract (the catalog's
// types are generated into catalog.d.ts).
import type { Catalog } from './generated/catalog.js';

/** A JSON value as the platform sends and receives it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The reply of every JSON endpoint. Token endpoints put their fields at the top level. */
export interface Envelope<TData = any> {
  code: number;
  msg: string;
  data?: TData;
  [extra: string]: unknown;
}

/** Any object shaped like a Workers KV namespace: a KV binding, a Deno KV or Redis wrapper. */
/**
 * The store interface: Workers KV fits as it is. A store with `putIfAbsent` (true when it wrote)
 * is taken to be atomic, which makes webhook de-duplication exact; without it, de-duplication
 * is a get-then-put (best effort). `delete` is optional for tokens, required for `dedupeStore`.
 */
export interface KVLike {
  get(key: string): Promise<string | null> | string | null;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void> | void;
  delete?(key: string): Promise<void> | void;
  putIfAbsent?(key: string, value: string, options?: { expirationTtl?: number }): Promise<boolean> | boolean;
}

/** A store the package's adapters return: every method, `putIfAbsent` atomic. */
export interface AtomicStore extends KVLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  putIfAbsent(key: string, value: string, options?: { expirationTtl?: number }): Promise<boolean>;
}

/** The Durable Object namespace binding shape `durableObjectStore` needs. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * The Durable Object class behind `durableObjectStore`: export it from your Worker and bind it
 * (`[[durable_objects.bindings]] name = "FEISHU_STATE", class_name = "FeishuStateObject"`).
 * One object per key: every operation on a key is serialized, across isolates and colos.
 */
export declare class FeishuStateObject {
  constructor(state: { storage: any }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** A strongly consistent store on a Durable Object namespace bound to `FeishuStateObject`. */
export declare function durableObjectStore(namespace: DurableObjectNamespaceLike): AtomicStore;
/** A strongly consistent store on Deno KV (`await Deno.openKv()`), keys under `prefix` (default `['feishu-edge']`). */
export declare function denoKvStore(kv: { get(key: unknown[]): Promise<any>; set(key: unknown[], value: unknown, options?: { expireIn?: number }): Promise<any>; delete(key: unknown[]): Promise<void>; atomic(): any }, options?: { prefix?: unknown[] }): AtomicStore;
/** A store on Redis for Node: a connected `redis` (node-redis) or `ioredis` client; `SET … NX PX` for `putIfAbsent`. */
export declare function redisStore(client: { sendCommand(args: string[]): Promise<unknown> } | { call(...args: string[]): Promise<unknown>; status: string }, options?: { prefix?: string }): AtomicStore;

/** Console-like logger. The SDK never logs secrets, tokens or bodies. */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
  log?(message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 disables retries). */
  maxAttempts?: number;
  /** First backoff delay, doubled per attempt with jitter (default 200). */
  baseDelayMs?: number;
  /** Cap on one wait, rate-limit resets included (default 20000). */
  maxDelayMs?: number;
  /** No retry starts after this long since the first attempt (default 60000). */
  budgetMs?: number;
}

/**
 * Downloaded bytes with the official SDK's methods.
 *
 * @example
 * const file = await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key } });
 * await file.writeFile('./image.png');
 */
export interface DownloadedFile extends Uint8Array {
  /** Writes the bytes to `path` (Node, Deno); a `config` FeishuError elsewhere. */
  writeFile(path: string): Promise<void>;
  /** A Node Readable in Node (so `.pipe()` works), a web ReadableStream elsewhere. */
  getReadableStream(): ReadableStream<Uint8Array> & { pipe<T>(destination: T): T };
  /** The reply's headers (lower-case names), as the official result's `headers`. */
  readonly headers: Record<string, string>;
}

export interface FeishuClientOptions {
  /** App id; falls back to FEISHU_APP_ID where the runtime has an environment. */
  appId?: string;
  /** App secret; falls back to FEISHU_APP_SECRET. Never logged. */
  appSecret?: string;
  /** Public deployment (default 'feishu'). An empty string means not set. */
  region?: 'feishu' | 'lark' | '';
  /** Custom host: a proxy, a private deployment, a local emulator. Falls back to FEISHU_BASE_URL; an empty string means not set. */
  baseUrl?: string;
  /** The official option: `Domain.Feishu`, `Domain.Lark` or a host URL (what `region` / `baseUrl` say). */
  domain?: Domain | string;
  /** Default 'self_built' (`AppType.SelfBuild`). Marketplace apps (`AppType.ISV`) use the pushed app_ticket and per-tenant tokens. */
  appType?: 'self_built' | 'marketplace' | AppType;
  /** The official cache (`get(key)`, `set(key, value, expireTime)` with an absolute expiry in ms), used as the token store. */
  cache?: OfficialCache;
  /** Manage no tokens: calls carry only the tokens they are given (`withTenantToken`, `withUserAccessToken`). */
  disableTokenCache?: boolean;
  /** With `helpDeskToken`: the credential `withHelpDeskCredential()` sends. */
  helpDeskId?: string;
  helpDeskToken?: string;
  /** The official `LoggerLevel` (`logLevel` wins when both are given). */
  loggerLevel?: LoggerLevel;
  /** Not used: requests go through the runtime's fetch (pass `fetch` to customize); giving it is a `config` error saying so. */
  httpInstance?: never;
  /** Keyless authentication (the official option): tenant tokens come from exchanging the provider's assertions at the OAuth token endpoint; no `appSecret` needed. Self-built apps only. */
  clientAssertionProvider?: ClientAssertionProvider;
  /** The OAuth (accounts) host of the keyless exchange and of user OAuth (the official option); default: the region's accounts host, or `baseUrl`'s origin. */
  oauthBaseUrl?: string;
  /**
   * The error contract for a 2xx reply whose envelope `code` is not 0 (after the retries and
   * the token refresh): `true` rejects with a FeishuError (kind 'api'); `false` resolves with the
   * envelope, as the official SDK does (`if (res.code !== 0) …`). Default: `true` on
   * `FeishuClient`, `false` on `Client`. A non-2xx reply rejects either way.
   */
  rejectOnApiError?: boolean;
  /** Where tokens (and app tickets) are cached; default: this isolate's memory. */
  tokenStore?: KVLike;
  /** Per-request timeout (default 10000; 0 disables). The request is aborted, and the call ends then even when a custom `fetch` ignores the abort signal. */
  timeoutMs?: number;
  /** The largest JSON reply body read, in bytes (default 16 MiB; 0: no limit). A larger reply (by its Content-Length, or once the read passes the limit) is not read further: the call fails with a FeishuError (kind 'invalid_response', or 'http' for a non-2xx) naming the limit. Downloads are not limited. */
  maxReplyBytes?: number;
  retry?: RetryOptions;
  /** Default: console. */
  logger?: Logger;
  /** Default 'warn'. */
  logLevel?: LogLevel;
  /** A fetch-compatible function (default: globalThis.fetch). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type TokenType = 'tenant' | 'app' | 'user' | 'none';
type Scalar = string | number | boolean;

/** The official SDK's `client.request` shape: `url` (with or without `/open-apis`) for `path`. */
export type OfficialRequestOptions = Omit<RequestOptions, 'path'> & { url: string };

export interface RequestOptions {
  /** Default 'GET'. */
  method?: HttpMethod | Lowercase<HttpMethod>;
  /** Path under /open-apis/ (`im/v1/messages/{message_id}` or `:message_id`), or an absolute URL. */
  path: string;
  /** Placeholder values; percent-encoded. */
  pathParams?: Record<string, string | number>;
  /** Query; arrays repeat the key, null/undefined are dropped. */
  params?: Record<string, Scalar | null | undefined | Array<Scalar | null | undefined>>;
  /** JSON body. */
  data?: unknown;
  headers?: Record<string, string>;
  /** Which token to send (default 'tenant'). */
  tokenType?: TokenType;
  userAccessToken?: string;
  /** Any token, sent as is. */
  accessToken?: string;
  /** Tenant of a marketplace app. */
  tenantKey?: string;
  /** Allow retrying a non-idempotent method after a 5xx or network error. */
  idempotent?: boolean;
  timeoutMs?: number;
}

export interface PaginateOptions extends RequestOptions {
  /** Field of `data` holding the items (default `items`, or the only array in `data`). */
  itemsKey?: string;
  pageSize?: number;
  maxItems?: number;
}

export type FileInput = Blob | Uint8Array | ArrayBuffer | { data: Blob | Uint8Array | ArrayBuffer; filename?: string; contentType?: string };

export interface UploadOptions extends Omit<RequestOptions, 'data'> {
  fields?: Record<string, string | number>;
  files: Record<string, FileInput>;
}

export interface TokenAccess {
  tenantAccessToken(tenantKey?: string): Promise<string>;
  appAccessToken(): Promise<string>;
  /** Stores a marketplace app's app_ticket (the webhook layer does this for you). */
  storeAppTicket(ticket: string): Promise<void>;
}

export declare class FeishuClient {
  constructor(options?: FeishuClientOptions);
  readonly appId: string;
  readonly tokens: TokenAccess;
  request<TData = any>(options: RequestOptions | OfficialRequestOptions): Promise<Envelope<TData>>;
  paginate<TItem = any>(options: PaginateOptions): AsyncIterableIterator<TItem>;
  pages<TItem = any>(options: PaginateOptions): AsyncIterableIterator<TItem[]>;
  paginateAll<TItem = any>(options: PaginateOptions): Promise<TItem[]>;
  upload<TData = any>(options: UploadOptions): Promise<Envelope<TData>>;
  download(options: RequestOptions): Promise<DownloadedFile>;
  /** A binary download as a ReadableStream, not read into memory: the same pipeline (token, timeoutMs until the headers, token refresh, retries while the reply is an error) as download(). */
  downloadStream(options: RequestOptions): Promise<ReadableStream<Uint8Array>>;
  asUser(userAccessToken: string): FeishuClient;
}

export type FeishuErrorKind =
  | 'api' | 'http' | 'invalid_response' | 'timeout' | 'network'
  | 'config' | 'invalid_request' | 'store' | 'app_ticket_missing' | 'webhook' | 'invalid_card' | 'stream'
  | 'client_assertion' | 'access_token';

export declare class FeishuError extends Error {
  readonly name: 'FeishuError';
  readonly kind: FeishuErrorKind;
  /** The platform's code (null when there was no envelope). */
  readonly code: number | null;
  readonly msg: string;
  /** X-Tt-Logid of the failed reply. */
  readonly logId: string | null;
  readonly httpStatus: number | null;
  /** Whether the same call may succeed later. */
  readonly retryable: boolean;
  readonly rateLimitResetSeconds?: number;
  /** For kind 'webhook': the refusal reason; for 'invalid_card': what is wrong. */
  readonly reason?: WebhookRejection | CardValidationReason;
  /** For kind 'invalid_card': the offending element's JSON path. */
  readonly path?: string;
  /** The reply the call failed on, where an axios error has it (absent when there was none: a timeout, a network error). */
  readonly response?: FeishuErrorResponse;
}

/** A failed call's reply: `data` is the parsed body (the envelope), or its text when it is not JSON. */
export interface FeishuErrorResponse {
  readonly status: number;
  readonly data: any;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
}

// ---- Webhooks ----

/**
 * Webhook options. At least one of `encryptKey` / `verificationToken` is required: with neither,
 * the constructor throws a FeishuError of kind 'config' unless `allowUnverified` is true.
 */
export interface WebhookOptions {
  /** The app's encrypt key: bodies are AES-256-CBC encrypted and SHA-256 signed with it; every request but a proven URL challenge must carry a valid signature. */
  encryptKey?: string;
  /** The app's verification token, checked in every body (challenges included); legacy card callbacks are SHA-1 signed with it. */
  verificationToken?: string;
  /** Accept requests with neither key configured: local development only, anyone can reach your handlers. */
  allowUnverified?: boolean;
  /** Accepted clock skew for X-Lark-Request-Timestamp (default 300). */
  toleranceSeconds?: number;
  /** Largest accepted body (default 1 MiB): a longer stream is cut there, never read whole. */
  maxBodyBytes?: number;
  /** How long reading a body may take (default 10 000 ms): a trickling body gets 408 body_timeout. */
  bodyTimeoutMs?: number;
  /** Deepest accepted JSON nesting (default 64). */
  maxDepth?: number;
  /** A handled event id is remembered this long (default 28 800: 8 h, past the platform's 7.1 h of retries). */
  dedupeTtlSeconds?: number;
  /** A claim on an event being handled lasts this long before another delivery may take over (default 120). */
  dedupeLeaseSeconds?: number;
  /** The time all dedupe store calls of one delivery's claim may take together (default 2000 ms), and the deadline of a commit, a release and a queue's `send`. A claim that misses it before anyone holds the event is skipped with a warning (fail open). */
  storeTimeoutMs?: number;
  /** The app whose events these are: scopes de-duplication keys when an event does not name its app (schema 1.0). */
  appId?: string;
  /** Where event ids are claimed and committed. Exact with an atomic `putIfAbsent` (durableObjectStore, denoKvStore, redisStore); best effort otherwise (Workers KV). Needs `delete`. */
  dedupeStore?: KVLike;
  /** Called whenever a handler throws or rejects, with the error and the object the handler received (its claim is released, so the platform's or the queue's retry is handled). */
  onError?: (error: unknown, event: EventData) => void | Promise<void>;
  /** Receives pushed app_tickets (marketplace apps) and is passed to handlers as ctx.client. */
  client?: FeishuClient;
  logger?: Logger;
  logLevel?: LogLevel;
  /** The official `LoggerLevel` (`logLevel` wins when both are given). */
  loggerLevel?: LoggerLevel;
  /** The official dispatchers' cache (where they keep pushed app_tickets): accepted and not used: pushed app_tickets go to the token store of `client` (a client built with the same `cache` keeps them in it). */
  cache?: OfficialCache;
}

/**
 * The second argument of every handler. `client` is the options' client: typed as a
 * `FeishuClient` when the dispatcher was given one, `undefined` when it was not.
 */
export interface HandlerContext<C extends FeishuClient | undefined = FeishuClient | undefined> {
  eventType: string;
  eventId: string | null;
  tenantKey: string | null;
  appId: string | null;
  schema: '1.0' | '2.0' | 'card';
  client: C;
}

/**
 * What a handler receives: the official SDK's shape. Schema 2.0 has the header fields merged
 * with the event and `event_type` added; schema 1.0 has the event merged with the envelope.
 */
export interface EventData {
  event_type: string;
  event_id?: string;
  tenant_key?: string;
  app_id?: string;
  create_time?: string;
  token?: string;
  readonly [field: string]: unknown;
}

/** The payload of `im.message.receive_v1` (from the schema). */
export type MessageReceiveEvent = SchemaEvents['im.message.receive_v1'];

export interface CardActionEvent extends EventData {
  operator?: { open_id?: string; user_id?: string; union_id?: string; tenant_key?: string };
  action: { tag: string; value?: Record<string, unknown>; option?: string; options?: string[]; checked?: boolean; timezone?: string; form_value?: Record<string, unknown>; name?: string; input_value?: string };
  context?: { open_message_id?: string; open_chat_id?: string; url?: string; preview_token?: string };
  /** Legacy card callbacks. */
  open_id?: string;
  open_message_id?: string;
}

/** A card callback's reply: a toast and/or a card, or (legacy flow) a bare card. */
export type CardReply = { toast?: { type: 'success' | 'error' | 'info' | 'warning'; content: string; i18n?: Record<string, string> }; card?: unknown } | Record<string, unknown>;

export type EventHandler<T = EventData, C extends FeishuClient | undefined = FeishuClient | undefined> = (data: T, ctx: HandlerContext<C>) => unknown | Promise<unknown>;

/**
 * Every event type the schema knows (generated from the official SDK's declarations), with the
 * exact object its handler receives, plus the v2 card callback.
 */
export interface KnownEvents extends SchemaEvents {
  'card.action.trigger': CardActionEvent;
}

/** What a handler of an event type the schema does not know receives: read fields with checks. */
export interface UnknownEvent {
  event_type: string;
  readonly [field: string]: unknown;
}

/** A handler map: known event types get their exact payload, others an `UnknownEvent`. */
export type EventHandlers<H = Record<string, unknown>, C extends FeishuClient | undefined = FeishuClient | undefined> = { [K in keyof H]: K extends keyof KnownEvents ? EventHandler<KnownEvents[K], C> : EventHandler<UnknownEvent, C> };

export interface WebhookResult {
  status: number;
  /** The JSON reply body. */
  body: string;
  eventType: string | null;
  /** Why the request was refused (or 'handler_failed'). */
  reason: WebhookRejection | null;
  duplicate: boolean;
}

export type WebhookRejection =
  | 'method_not_allowed' | 'body_too_large' | 'unsupported_content_type' | 'empty_body' | 'invalid_utf8'
  | 'invalid_json' | 'json_too_deep' | 'missing_signature' | 'invalid_timestamp' | 'stale_timestamp'
  | 'signature_mismatch' | 'encrypted_but_no_key' | 'invalid_base64' | 'invalid_ciphertext' | 'decryption_failed'
  | 'invalid_plaintext' | 'missing_token' | 'token_mismatch' | 'unknown_event_shape' | 'handler_failed'
  | 'unverifiable_request' | 'event_in_progress' | 'queue_failed' | 'body_timeout' | 'crypto_failed'
  | 'reply_not_serializable' | 'no_keys';

export interface HandleOptions {
  /** Workers' ctx.waitUntil: events are acknowledged at once and handled after the reply (failures go to onError). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** A queue producer (Cloudflare Queues' binding, or anything with `send(body)`): verified events are enqueued and acknowledged; card callbacks still run and reply. */
  queue?: { send(body: string): Promise<unknown> | unknown };
}

/** A queue batch as Cloudflare Queues delivers it (only what `consume` uses). */
export interface QueueBatchLike {
  readonly messages: ReadonlyArray<{ readonly body: unknown; ack(): void; retry(): void }>;
}

type RawBody = string | ArrayBuffer | ArrayBufferView;
type HeaderSource = Headers | Record<string, string | string[] | undefined>;

declare class WebhookEndpoint {
  /** Verifies and dispatches a raw body (for frameworks without web Requests). */
  invoke(rawBody: RawBody, headers: HeaderSource, options?: HandleOptions): Promise<WebhookResult>;
  /** The official custom-adapter shape: a parsed body (headers on its prototype), verified as re-serialized JSON; resolves to the reply body. */
  invoke(data: Record<string, unknown>, headers?: HeaderSource): Promise<any>;
  /** Verifies and dispatches a web Request. */
  handle(request: Request, options?: HandleOptions): Promise<Response>;
  /** The Worker's `queue(batch)` handler for events queued by `handle(…, { queue })`: acks each message once handled (or handled before), retries it on failure. */
  consume(batch: QueueBatchLike): Promise<{ acked: number; retried: number }>;
  /** True when de-duplication is exact: the dedupeStore has an atomic `putIfAbsent`. */
  readonly exactlyOnce: boolean;
  /** The encrypt key given in the options ('' when none), as the official dispatchers expose it (for `generateChallenge`). */
  readonly encryptKey: string;
  /** The verification token given in the options ('' when none). */
  readonly verificationToken: string;
}

export declare class EventDispatcher<C extends FeishuClient | undefined = undefined> extends WebhookEndpoint {
  constructor(options?: WebhookOptions & { client?: C });
  /** Registers handlers by event type (the official SDK's map); returns this. */
  register<H extends Record<string, unknown>>(handlers: H & EventHandlers<H, C>): this;
  /** Removes the handlers of these event types (the official SDK's `unregister`). */
  unregister(...eventTypes: string[]): this;
}

/** Options of the official Node adapters. */
export interface AdapterOptions {
  /** Accepted for compatibility: challenges are answered after the same checks as `handle()` either way. */
  autoChallenge?: boolean;
  /** Where the body-parser warning and an adapter's failure (answered 500) go (default: console). */
  logger?: Pick<Logger, 'warn' | 'error'>;
}
/**
 * The official Node server adapters (the Node entry only). They verify over the raw bytes; mount
 * them before body parsers (a parsed body is verified re-serialized and fails closed when the
 * bytes differ), behind `express.raw()`, or keep the raw body as `req.rawBody`. An unread body
 * is read under the dispatcher's `maxBodyBytes` (413) and `bodyTimeoutMs` (408); no request's
 * failure (a client gone mid-body, a throwing dispatcher) becomes an unhandled rejection.
 *
 * @example
 * http.createServer(adaptDefault('/webhook/event', dispatcher)).listen(3000);
 */
export declare function adaptDefault(path: string, dispatcher: WebhookEndpoint, options?: AdapterOptions): (req: any, res: any) => Promise<void>;
export declare function adaptExpress(dispatcher: WebhookEndpoint, options?: AdapterOptions): (req: any, res: any) => Promise<void>;
export declare function adaptKoa(path: string, dispatcher: WebhookEndpoint, options?: AdapterOptions): (ctx: any, next: () => Promise<unknown>) => Promise<void>;
export declare function adaptKoaRouter(dispatcher: WebhookEndpoint, options?: AdapterOptions): (ctx: any, next: () => Promise<unknown>) => Promise<void>;

/**
 * The official SDK's `AESCipher`, with its synchronous `decrypt` (and `decryptAsync`). Node and
 * Deno entries only, like the other synchronous helpers: elsewhere use `decryptEventAsync`.
 *
 * @example
 * const plaintext = new AESCipher(encryptKey).decrypt(body.encrypt);
 */
export declare class AESCipher {
  constructor(encryptKey: string);
  decrypt(encrypted: string): string;
  decryptAsync(encrypted: string): Promise<string>;
}

/**
 * Events and card callbacks over the long connection: a WebSocket the app opens to the
 * platform, so no public URL is needed (self-built apps). The official client's shape: code
 * written for `@larksuiteoapi/node-sdk`'s `WSClient` moves by changing its import.
 *
 * Its machine is a wasm of its own: Node's entry reads it on the first construction; in Deno,
 * on Workers and with bundlers import `WSClient` from `feishu-edge/ws`, which carries it (from
 * the main entry, the constructor throws a `config` FeishuError until that entry is imported).
 *
 * @example
 * const ws = new WSClient({ appId, appSecret, onReconnecting: () => console.log('reconnecting') });
 * await ws.start({ eventDispatcher: new EventDispatcher({}).register({ 'im.message.receive_v1': (data) => {} }) });
 * await ws.close();
 */
export declare class WSClient {
  constructor(options?: WSClientOptions);
  /** Connects; resolves once open. Rejects with a FeishuError carrying the platform's code on a fatal refusal (bad credentials, too many connections). */
  start(params: { eventDispatcher: EventDispatcher<any> }): Promise<void>;
  getConnectionStatus(): WSConnectionStatus;
  /** After how long (ms) a handler still running is acked 200 anyway (2400; the ack goes out within 100 ms after); it keeps running. The platform pushes again what is not acked within 3 s. */
  readonly ackDeadlineMs: number;
  /** Aborts what is in flight; no reconnect and no timer afterwards: the process can exit. A pending `start()` rejects. Waits at most 1 s for handlers still running. */
  close(): Promise<void>;
}

export interface WSClientOptions {
  /** Falls back to FEISHU_APP_ID. */
  appId?: string;
  /** Keyless: the endpoint request carries the provider's assertion (for the Open API host) instead of the app secret. */
  clientAssertionProvider?: ClientAssertionProvider;
  /** Falls back to FEISHU_APP_SECRET. */
  appSecret?: string;
  region?: 'feishu' | 'lark';
  /** Another host (an emulator, a proxy); falls back to FEISHU_BASE_URL. */
  baseUrl?: string;
  /** The official option: `Domain.Feishu`, `Domain.Lark` or a host URL. */
  domain?: Domain | string;
  /** The official `LoggerLevel` (`logLevel` wins when both are given). */
  loggerLevel?: LoggerLevel;
  /** A WebSocket constructor where the runtime has none (Node before 22: the `ws` package, which the Node entry also finds by itself when the project has it). */
  WebSocket?: abstract new (url: string, options?: any) => any;
  /** Passed to a `WebSocket` constructor that takes options (the `ws` package's). */
  agent?: unknown;
  /** How long a handshake may take (default 10 000 ms). */
  handshakeTimeoutMs?: number;
  /** How long the endpoint request may take, its reply's body included, whether or not `fetch` honours the abort signal (default 10 000 ms). */
  timeoutMs?: number;
  /** Reconnect after the connection drops (default true). */
  autoReconnect?: boolean;
  /** De-duplicates re-pushed events across processes (default: this process's memory). Needs `delete`; exact with an atomic `putIfAbsent`. */
  dedupeStore?: KVLike;
  onReady?: () => void;
  /** Every failed attempt (retried) and the fatal refusal (not retried). */
  onError?: (error: FeishuError) => void;
  onReconnecting?: () => void;
  onReconnected?: () => void;
  logger?: Logger;
  logLevel?: LogLevel;
  fetch?: typeof fetch;
}

export interface WSConnectionStatus {
  state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';
  /** When the last connection opened (epoch ms). */
  lastConnectTime?: number;
  /** When the next attempt is due, while waiting (epoch ms). */
  nextConnectTime?: number;
  /** Failed attempts since the last open connection. */
  reconnectAttempts: number;
  /** The last frame received, while open (epoch ms). */
  lastFrameTime?: number;
}

export declare class CardActionHandler<C extends FeishuClient | undefined = undefined> extends WebhookEndpoint {
  constructor(options: WebhookOptions & { client?: C }, handler: (action: CardActionEvent, ctx: HandlerContext<C>) => CardReply | void | Promise<CardReply | void>);
}

export interface SignatureInput {
  timestamp: string | number;
  nonce: string;
  /** The encrypt key (SHA-256) or, for legacy card callbacks, the verification token (SHA-1). */
  key: string;
  body: RawBody;
  algorithm?: 'sha256' | 'sha1';
}

/**
 * The low-level helpers compute in the Rust core with the runtime's primitives. The rule: the
 * `…Async` names are in every entry and work in every runtime; the synchronous names are
 * exported by the Node and Deno entries only, where the crypto is always synchronous (in
 * workerd or a browser, importing one fails the build instead of throwing in production).
 *
 * @example
 * const ok = await verifySignatureAsync({ timestamp, nonce, key: encryptKey, body, signature });
 */
export declare function computeSignature(input: SignatureInput): string;
export declare function computeSignatureAsync(input: SignatureInput): Promise<string>;
export declare function verifySignature(input: SignatureInput & { signature: string }): boolean;
export declare function verifySignatureAsync(input: SignatureInput & { signature: string }): Promise<boolean>;
/** Throws FeishuError (kind 'webhook', with `reason`). */
export declare function decryptEvent(encrypt: string, encryptKey: string): string;
export declare function decryptEventAsync(encrypt: string, encryptKey: string): Promise<string>;
export declare function encryptEvent(payload: string | Uint8Array | object, encryptKey: string, iv?: Uint8Array): string;
export declare function encryptEventAsync(payload: string | Uint8Array | object, encryptKey: string, iv?: Uint8Array): Promise<string>;
export interface SignEventOptions { encryptKey?: string; verificationToken?: string; timestamp?: number; nonce?: string; legacyCard?: boolean; iv?: Uint8Array }
export declare function signEvent(payload: string | object, options?: SignEventOptions): { body: string; headers: Record<string, string> };
export declare function signEventAsync(payload: string | object, options?: SignEventOptions): Promise<{ body: string; headers: Record<string, string> }>;

// ---- Cards (JSON 2.0) ----

/** Any Card JSON 2.0 element (the factories below build the common ones). */
export interface CardElement {
  tag: string;
  element_id?: string;
  [field: string]: unknown;
}

/** Options every factory accepts: an element id (needed to stream into or update it) and any platform field. */
export interface ElementOptions {
  elementId?: string;
  [platformField: string]: unknown;
}

export interface ButtonOptions extends ElementOptions {
  /** Sends a card callback carrying this value. */
  value?: unknown;
  /** Opens this URL. */
  url?: string;
  /** Submits the enclosing form. */
  submit?: boolean;
  confirm?: { title: string; text: string };
  type?: 'default' | 'primary' | 'danger' | 'text' | 'primary_text' | 'danger_text' | 'primary_filled' | 'danger_filled' | 'laser';
  name?: string;
}

export type HeaderTemplate = 'blue' | 'wathet' | 'turquoise' | 'green' | 'yellow' | 'orange' | 'red' | 'carmine' | 'violet' | 'purple' | 'indigo' | 'grey' | 'default';

export interface HeaderOptions {
  subtitle?: string;
  template?: HeaderTemplate;
  icon?: { tag: 'standard_icon' | 'custom_icon'; token?: string; img_key?: string; color?: string };
  tags?: Array<string | { text: string; color?: string }>;
}

export interface CardJSON {
  schema: '2.0';
  config?: Record<string, unknown>;
  header?: Record<string, unknown>;
  body: { elements: CardElement[] };
}

export declare function markdown(content: string, options?: ElementOptions): CardElement;
export declare function text(content: string, options?: ElementOptions): CardElement;
export declare function divider(options?: ElementOptions): CardElement;
export declare function image(imgKey: string, options?: ElementOptions & { alt?: string }): CardElement;
export declare function button(label: string, options?: ButtonOptions): CardElement;
export declare function column(elements: CardElement[], options?: ElementOptions): CardElement;
/** Columns side by side: each argument is one column's elements (or a `column(...)`). */
export declare function columns(...cols: Array<CardElement[] | CardElement>): CardElement;
export declare function panel(title: string, elements: CardElement[], options?: ElementOptions & { expanded?: boolean }): CardElement;
export declare function form(name: string, elements: CardElement[], options?: ElementOptions): CardElement;
export declare function input(name: string, options?: ElementOptions & { label?: string; placeholder?: string; required?: boolean }): CardElement;
export declare function select(name: string, options: Array<string | { text: string; value: string }>, opts?: ElementOptions & { placeholder?: string; multiple?: boolean }): CardElement;
export declare function datePicker(name: string, options?: ElementOptions & { placeholder?: string; initialDate?: string }): CardElement;
export declare function table(columns: Array<string | { name: string; displayName?: string; dataType?: string }>, rows: Array<unknown[] | Record<string, unknown>>, options?: ElementOptions & { pageSize?: number }): CardElement;
export declare function chart(spec: Record<string, unknown>, options?: ElementOptions): CardElement;
export declare function person(userId: string, options?: ElementOptions): CardElement;

/** A card under construction. The factories build plain objects in JS (no wasm call); JSON.stringify(card) gives its JSON as is; String(card) and validate() check it in the core first. */
export declare class Card {
  constructor(options?: { title?: string; config?: Record<string, unknown> } & HeaderOptions);
  header(title: string, options?: HeaderOptions): this;
  config(config: Record<string, unknown>): this;
  add(...elements: CardElement[]): this;
  markdown(content: string, options?: ElementOptions): this;
  text(content: string, options?: ElementOptions): this;
  divider(options?: ElementOptions): this;
  image(imgKey: string, options?: ElementOptions & { alt?: string }): this;
  button(label: string, options?: ButtonOptions): this;
  columns(...cols: Array<CardElement[] | CardElement>): this;
  panel(title: string, elements: CardElement[], options?: ElementOptions & { expanded?: boolean }): this;
  form(name: string, elements: CardElement[], options?: ElementOptions): this;
  input(name: string, options?: ElementOptions & { label?: string; placeholder?: string; required?: boolean }): this;
  select(name: string, options: Array<string | { text: string; value: string }>, opts?: ElementOptions & { placeholder?: string; multiple?: boolean }): this;
  datePicker(name: string, options?: ElementOptions & { placeholder?: string; initialDate?: string }): this;
  table(columns: Array<string | { name: string; displayName?: string; dataType?: string }>, rows: Array<unknown[] | Record<string, unknown>>, options?: ElementOptions & { pageSize?: number }): this;
  chart(spec: Record<string, unknown>, options?: ElementOptions): this;
  person(userId: string, options?: ElementOptions): this;
  toJSON(): CardJSON;
  /** Throws FeishuError (kind 'invalid_card', with `reason` and `path`) if the platform would refuse it. */
  validate(): this;
  /** The validated card JSON. */
  toString(): string;
}

export declare function card(options?: { title?: string; config?: Record<string, unknown> } & HeaderOptions): Card;
export declare function textCard(title: string, body: string): Card;
export declare function alertCard(title: string, body: string, level?: 'info' | 'success' | 'warning' | 'error'): Card;
export declare function tableCard(title: string, columns: string[], rows: unknown[][]): Card;
/** Throws FeishuError (kind 'invalid_card'). */
export declare function validateCard(card: Card | CardJSON | string): void;
export declare function escapeMarkdown(text: string): string;

export type CardValidationReason =
  | 'unknown_tag' | 'missing_field' | 'invalid_field' | 'not_an_object' | 'invalid_schema' | 'invalid_element_id'
  | 'duplicate_element_id' | 'too_deep' | 'too_many_elements' | 'nested_form' | 'missing_submit' | 'too_large';

/** A card callback as a typed action. */
export interface CardActionInfo {
  flow: 'v2' | 'legacy';
  tag: string | null;
  /** The component's callback value (the JSON you put on the button). */
  value: unknown;
  formValue: Record<string, unknown> | null;
  /** A select menu's chosen option. */
  option: string | null;
  /** A multi-select menu's chosen options. */
  options: string[] | null;
  /** A checker's state. */
  checked: boolean | null;
  /** A date or time picker's time zone. */
  timezone: string | null;
  inputValue: string | null;
  name: string | null;
  openId: string | null;
  userId: string | null;
  unionId: string | null;
  openMessageId: string | null;
  openChatId: string | null;
  /** The token for updating the card. */
  token: string | null;
  tenantKey: string | null;
  /** Where the card was (v2): `im_message`, `im_top_notice`… */
  host: string | null;
  /** How it was delivered (v2): `url_preview` for a link preview's card. */
  deliveryType: string | null;
  /** The previewed link (v2, link previews). */
  url: string | null;
  /** The link preview's token (v2, link previews). */
  previewToken: string | null;
}

export declare function parseAction(payload: string | object): CardActionInfo | null;

export interface StreamCardOptions {
  /** Send the card here (type inferred from the id's prefix unless receiveIdType says)... */
  receiveId?: string;
  receiveIdType?: 'open_id' | 'union_id' | 'user_id' | 'email' | 'chat_id';
  /** ...or reply to this message. Exactly one of the two. */
  replyTo?: string;
  inThread?: boolean;
  /** The markdown element receiving the text (default 'md'). */
  elementId?: string;
  /** Least time between two updates (default 250). */
  debounceMs?: number;
  /** A header for the default card: a title, or title and template. */
  header?: string | { title: string; template?: HeaderTemplate };
  template?: HeaderTemplate;
  /** A card of your own; it must contain `elementId`. */
  card?: Card | CardJSON;
}

export interface FeishuClient {
  /**
   * Streams text (a model's token stream) into a new card: creates it, sends or replies, updates
   * the element at most once per debounce window, and always closes streaming mode. Resolves to
   * the card id; rejects with the source's own error if it throws (the card shows a note).
   */
  streamCard(source: AsyncIterable<string> | Iterable<string> | ReadableStream<string | Uint8Array> | string, options: StreamCardOptions): Promise<string>;
}

// ---- The Open API catalog (client.im.v1.message.create(...), as on @larksuiteoapi/node-sdk) ----

export type QueryValue = string | number | boolean | null | undefined | Array<string | number | boolean | null | undefined>;

/** A catalog method's payload: `path` holds the path parameters by name; typed methods type `params` and `data`. */
export type CatalogPayload<P extends string, Params = Record<string, QueryValue>, Data = any> = ([P] extends [never] ? { path?: Record<string, string | number> } : { path: Record<P, string | number> }) & {
  params?: Params & Record<string, QueryValue>;
  /** JSON body; for multipart methods, fields (files as Blob / Uint8Array / ArrayBuffer / {data, filename}). */
  data?: Data;
  headers?: Record<string, string>;
};

/** Per-call options (withTenantToken / withUserAccessToken / withTenantKey / withAll build them). */
export interface CallOptions {
  userAccessToken?: string;
  /** Any token, sent as is (withTenantToken). */
  accessToken?: string;
  tenantKey?: string;
  tokenType?: TokenType;
  headers?: Record<string, string>;
  timeoutMs?: number;
  idempotent?: boolean;
  /** The official SDK's option shape, accepted for migration. */
  lark?: Record<string, string>;
  /** Send the client's help desk credential (withHelpDeskCredential). */
  helpDeskCredential?: boolean;
}

/** One page as a `<method>WithIterator` yields it: `data` without `has_more` / `page_token`. */
/** A page as the untyped `…WithIterator` methods yield it (typed methods yield their reply's fields). */
export interface PageData {
  items?: unknown[];
  readonly [field: string]: unknown;
}

export declare function withTenantToken(tenantAccessToken: string): CallOptions;
export declare function withUserAccessToken(userAccessToken: string): CallOptions;
export declare function withTenantKey(tenantKey: string): CallOptions;
export declare function withAll(options: CallOptions[]): CallOptions;
/** Sends the client's helpDeskId / helpDeskToken as `X-Lark-Helpdesk-Authorization` with this call. */
export declare function withHelpDeskCredential(): CallOptions;

/** The official SDK's enums, with its values. */
export declare enum Domain { Feishu = 0, Lark = 1 }
export declare enum AppType { SelfBuild = 0, ISV = 1 }
export declare enum LoggerLevel { fatal = 0, error = 1, warn = 2, info = 3, debug = 4, trace = 5 }

/** The official SDK's cache interface. */
export interface OfficialCache {
  get(key: string | symbol): Promise<any> | any;
  set(key: string | symbol, value: any, expireTime?: number): Promise<any> | any;
}

/** The `data` of the official `…ByCard` methods: a template card, or a card of your own (validated). */
export interface ByCardData {
  template_id?: string;
  template_variable?: Record<string, unknown>;
  card?: unknown;
  receive_id?: string;
  uuid?: string;
  reply_in_thread?: boolean;
}

/** The official SDK's `messageCard`: `defaultCard({ title, content })` → a schema 1.0 card's JSON text, as the official SDK writes it. */
export declare const messageCard: { readonly defaultCard: (variables: { title?: string; content?: string }) => string };

/**
 * The official SDK's client: a FeishuClient with the official error contract (a 2xx reply whose
 * `code` is not 0 resolves with the envelope; `rejectOnApiError: true` makes it reject).
 */
export declare class Client extends FeishuClient {
  constructor(options?: FeishuClientOptions);
  asUser(userAccessToken: string): Client;
}

export interface FeishuClient extends Catalog {}

export * from './api-types.js';

/** `{ msg_type, content }` for message content (the inference im.send uses). */
export declare function messageBody(content: import('./api-types.js').MessageContent): { msg_type: string; content: string };
/** Posts to a group custom bot (incoming webhook), signed when `secret` is set; one attempt, `timeoutMs` (default 10 000), failures are `FeishuError`s. */
export declare function sendWebhook(url: string, content: import('./api-types.js').MessageContent, options?: { secret?: string; fetch?: typeof fetch; timestamp?: number; timeoutMs?: number }): Promise<{ code?: number; msg?: string; [key: string]: unknown }>;

// The official node-sdk's other runtime names (official.js).

/** GDPR proxy routing a provider may return: the request goes to `targetService` (https) with `X-Target-Service: <aud>`. */
export interface TargetInfo { targetService: string; targetPrefix?: string }
/** What a client assertion provider returns. */
export interface ClientAssertionToken { value: string; targetInfo?: TargetInfo }
/** Signs a short-lived assertion for the audience host `aud` (sync or async). */
export interface ClientAssertionProvider { retrieveToken(aud: string): ClientAssertionToken | Promise<ClientAssertionToken> }
/** Keyless authentication failed: codes 7100 (not available: ISV apps), 7101 (empty assertion), 7102 (provider failed), 7104, or the token exchange's. A `FeishuError` of kind `client_assertion` is an instance. */
export declare class ClientAssertionError extends FeishuError {
  constructor(code: number, msg: string);
  code: number;
  msg: string;
}
/** A refused OAuth token reply (the official class). */
export declare class AccessTokenError extends FeishuError {
  constructor(statusCode: number, code: number, error: string, errorDescription: string);
  statusCode: number;
  code: number;
  error: string;
  errorDescription: string;
}
/** The official cache keys (namespaced by app id). */
export declare const CAppTicket: unique symbol;
export declare const CTenantAccessToken: unique symbol;
/** The official cache interface. */
export interface Cache {
  set(key: string | symbol, value: any, expire?: number, options?: { namespace?: string }): Promise<boolean>;
  get(key: string | symbol, options?: { namespace?: string }): Promise<any>;
}
/** The official in-memory cache (absolute expiry in ms); usable as a client's `cache`. */
export declare class DefaultCache implements Cache {
  values: Map<string | symbol, { value: any; expiredTime?: number }>;
  get(key: string | symbol, options?: { namespace?: string }): Promise<any>;
  set(key: string | symbol, value: any, expiredTime?: number, options?: { namespace?: string }): Promise<boolean>;
}
/** The official shared cache instance. */
export declare const internalCache: DefaultCache;
/** The official logger shape (each method takes any arguments). */
export interface OfficialLogger {
  error(...msg: any[]): void | Promise<void>;
  warn(...msg: any[]): void | Promise<void>;
  info(...msg: any[]): void | Promise<void>;
  debug(...msg: any[]): void | Promise<void>;
  trace(...msg: any[]): void | Promise<void>;
}
/** The official console logger. */
export declare const defaultLogger: OfficialLogger;
/** The official level filter: a line passes when its level is at most `level`; its arguments reach the logger as one array. */
export declare class LoggerProxy {
  constructor(level: LoggerLevel, logger: OfficialLogger);
  error(...msg: any[]): void;
  warn(...msg: any[]): void;
  info(...msg: any[]): void;
  debug(...msg: any[]): void;
  trace(...msg: any[]): void;
}
/** The official `generateChallenge`: whether a body (plain or encrypted) is a `url_verification`, and its challenge. */
export declare function generateChallenge(data: any, options: { encryptKey?: string }): { isChallenge: boolean; challenge: { challenge: any } };
/** The official axios instance's name: refused when used (feishu-edge sends with `fetch`; pass your own as the client's `fetch`). */
export declare const defaultHttpInstance: {
  (config?: unknown): Promise<never>;
  request(config?: unknown): Promise<never>;
  get(url: string, config?: unknown): Promise<never>;
  post(url: string, data?: unknown, config?: unknown): Promise<never>;
  interceptors: { request: { use(...args: unknown[]): never }; response: { use(...args: unknown[]): never } };
  [method: string]: unknown;
};
/** The official Aily helper over the client's Aily API: a failed run rejects with a `FeishuError` whose `status` is the official number (-1 error, 1 expired, 2 cancelled, 3 failed, 4 other). */
export declare class Aily {
  constructor(params: { client: FeishuClient; cache?: Cache });
  client: FeishuClient;
  cache: Cache;
  completions: {
    create(params: AilyCompletionParams, options?: CallOptions): Promise<AilyMessage>;
    createWithStream(params: AilyCompletionParams, options?: CallOptions): Promise<AsyncIterable<AilyMessage>>;
    sessionRecords: { get(): Promise<Record<string, string>>; update(records: Record<string, string>): Promise<void> };
  };
}
/** What `aily.completions.create` takes (the official `ICreateParams`). */
export interface AilyCompletionParams {
  ailyAppId: string;
  message: string;
  sessionId?: string;
  sessionInfo?: { channel_context?: string; metadata?: string };
  messageInfo?: { file_ids?: string[]; quote_message_id?: string; mentions?: unknown[] };
  skillId?: string;
  runInfo?: { skill_input?: string; metadata?: string };
}
/** An Aily message as the API returns it. */
export interface AilyMessage {
  id?: string; session_id?: string; run_id?: string; content_type?: string; content?: string; status?: string;
  sender?: { entity_id?: string; identity_provider?: string; sender_type?: string; aily_id?: string };
  [key: string]: unknown;
}
/** `registerApp` options (the official ones, plus `fetch`). */
export interface RegisterAppOptions {
  /** The accounts host (default accounts.feishu.cn), or an origin with its scheme (a loopback emulator). */
  domain?: string;
  /** The Lark accounts host polled after a Lark tenant answers (default accounts.larksuite.com). */
  larkDomain?: string;
  source?: string;
  signal?: AbortSignal;
  onQRCodeReady: (info: { url: string; expireIn: number }) => void;
  onStatusChange?: (info: { status: 'polling' | 'slow_down' | 'domain_switched'; interval?: number }) => void;
  appPreset?: { avatar?: string | string[]; name?: string; desc?: string };
  addons?: { preset?: boolean; scopes?: { tenant?: string[]; user?: string[] }; events?: { items?: { tenant?: string[]; user?: string[] } }; callbacks?: { items?: string[] } };
  /** An existing app (`cli_…`) to update instead of creating one. */
  appId?: string;
  createOnly?: boolean;
  /** Replaces the global fetch (ours). */
  fetch?: typeof fetch;
}
export interface RegisterAppResult { client_id: string; client_secret: string; user_info?: { open_id?: string; tenant_brand?: 'feishu' | 'lark' } }
/** Creates (or updates) an app through the platform's device flow; rejects with `{ code, description }`. */
export declare function registerApp(options: RegisterAppOptions): Promise<RegisterAppResult>;

/** `import lark from 'feishu-edge'`: every name of the entry. */
declare const lark: typeof import('./index.js');
export default lark;
