// Public types of feishu-edge. Hand-written: this file is the package's contract.

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
export interface KVLike {
  get(key: string): Promise<string | null> | string | null;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void> | void;
  delete?(key: string): Promise<void> | void;
}

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

export interface FeishuClientOptions {
  /** App id; falls back to FEISHU_APP_ID where the runtime has an environment. */
  appId?: string;
  /** App secret; falls back to FEISHU_APP_SECRET. Never logged. */
  appSecret?: string;
  /** Public deployment (default 'feishu'). */
  region?: 'feishu' | 'lark';
  /** Custom host: a proxy, a private deployment, a local emulator. Falls back to FEISHU_BASE_URL. */
  baseUrl?: string;
  /** Default 'self_built'. Marketplace apps use the pushed app_ticket and per-tenant tokens. */
  appType?: 'self_built' | 'marketplace';
  /** Where tokens (and app tickets) are cached; default: this isolate's memory. */
  tokenStore?: KVLike;
  /** Per-request timeout (default 10000; 0 disables). The request is aborted. */
  timeoutMs?: number;
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
  request<TData = any>(options: RequestOptions): Promise<Envelope<TData>>;
  paginate<TItem = any>(options: PaginateOptions): AsyncIterableIterator<TItem>;
  pages<TItem = any>(options: PaginateOptions): AsyncIterableIterator<TItem[]>;
  paginateAll<TItem = any>(options: PaginateOptions): Promise<TItem[]>;
  upload<TData = any>(options: UploadOptions): Promise<Envelope<TData>>;
  download(options: RequestOptions): Promise<Uint8Array>;
  asUser(userAccessToken: string): FeishuClient;
}

export type FeishuErrorKind =
  | 'api' | 'http' | 'invalid_response' | 'timeout' | 'network'
  | 'config' | 'invalid_request' | 'store' | 'app_ticket_missing';

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
}
