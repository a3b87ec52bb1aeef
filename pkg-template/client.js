// The public JS API: thin classes over the wasm core. Options cross into wasm as one JSON
// string; functions (fetch, logger) and KV-shaped stores cross as themselves.
import { WasmClient } from './wasm/feishu_edge_bg.js';
import { FeishuError, setCore, env, nodeBuiltin } from './internal.js';
import { installCatalog, installOAuth } from './catalog.js';
import { ENV } from './generated/protocol.js';

export { FeishuError };

function fileEntries(files) {
  const out = [];
  for (const [field, value] of Object.entries(files ?? {})) {
    if (value == null) continue;
    const isWrapped = typeof value === 'object' && 'data' in value && !(value instanceof Blob) && !ArrayBuffer.isView(value);
    const data = isWrapped ? value.data : value;
    const filename = (isWrapped ? value.filename : undefined) ?? (typeof File !== 'undefined' && data instanceof File ? data.name : field);
    out.push([field, data, filename, isWrapped ? value.contentType : undefined]);
  }
  return out;
}

const CORE = Symbol('feishu-edge core');
const STRICT = Symbol('feishu-edge strict view');

/** A promise-returning call that never throws: what it throws (a BigInt or a cycle in the options) rejects. */
function settled(work) {
  try {
    return work();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Downloaded bytes with the official SDK's methods: `writeFile(path)` (Node, Deno) and
 * `getReadableStream()` (a Node Readable in Node, so `.pipe()` works; a web ReadableStream
 * elsewhere). Still a Uint8Array.
 */
function asFile(bytes) {
  return Object.assign(bytes, {
    async writeFile(path) {
      if (globalThis.Deno?.writeFile) return globalThis.Deno.writeFile(path, bytes);
      const fs = nodeBuiltin('fs/promises');
      if (!fs) {
        throw new FeishuError({ kind: 'config', message: 'writeFile needs a file system (Node or Deno): use the bytes, or getReadableStream()' });
      }
      return fs.writeFile(path, bytes);
    },
    getReadableStream() {
      const stream = globalThis.process?.versions?.node && !globalThis.Deno ? nodeBuiltin('stream') : undefined;
      return stream ? stream.Readable.from([bytes]) : new Response(bytes).body;
    },
  });
}

/**
 * The official SDK's `cache` (`get(key)`, `set(key, value, expireTime)` with an absolute
 * expiry in ms) as a token store (`expirationTtl` in seconds).
 */
function cacheStore(cache) {
  return {
    async get(key) { return (await cache.get(key)) ?? null; },
    async put(key, value, options) { await cache.set(key, value, options?.expirationTtl ? Date.now() + options.expirationTtl * 1000 : 0); },
    async delete(key) { await cache.set(key, undefined, 1); },
  };
}

/** The official SDK's enums, with the same values (`lark.Domain.Feishu` is 0). */
const enumOf = (names) => Object.freeze(Object.fromEntries(names.flatMap((n, i) => [[n, i], [i, n]])));
export const Domain = enumOf(['Feishu', 'Lark']);
export const AppType = enumOf(['SelfBuild', 'ISV']);
export const LoggerLevel = enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/** An async iterator over an async iterable, a sync iterable, a ReadableStream, or one string. */
function chunksOf(source) {
  if (typeof source === 'string') return [source][Symbol.iterator]();
  if (source && typeof source[Symbol.asyncIterator] === 'function') return source[Symbol.asyncIterator]();
  if (source && typeof source.getReader === 'function') {
    const reader = source.getReader();
    const decoder = new TextDecoder();
    return { async next() { const r = await reader.read(); return r.done ? r : { done: false, value: typeof r.value === 'string' ? r.value : decoder.decode(r.value, { stream: true }) }; } };
  }
  if (source && typeof source[Symbol.iterator] === 'function') return source[Symbol.iterator]();
  throw new TypeError('streamCard needs an async iterable, an iterable or a ReadableStream of text');
}

/** A Feishu / Lark Open Platform client. See index.d.ts for the options. */
export class FeishuClient {
  /** @type {import('./wasm/feishu_edge_bg.js').WasmClient} the core (typed for scripts/check-wasm-typings.mjs) */
  #core;
  #tokens;
  #fetch;
  /** The official error contract (rejectOnApiError: false): the core decides; this only says whether a strict view differs. */
  #lenient;

  constructor(options = {}) {
    if (options[CORE]) {
      this.#core = options[CORE];
      this.#fetch = options.fetch;
      this.#lenient = options.lenient === true;
    } else {
      this.#lenient = options.rejectOnApiError === false;
      this.#fetch = options.fetch;
      const { fetch, tokenStore, logger, logLevel, cache, loggerLevel, clientAssertionProvider, ...rest } = options;
      const config = { ...rest, appId: rest.appId ?? env(ENV.appId), appSecret: rest.appSecret ?? env(ENV.appSecret) };
      if (config.baseUrl === undefined && config.domain === undefined) config.baseUrl = env(ENV.baseUrl);
      // An axios instance does not cross as JSON: the core refuses the option by name.
      if (config.httpInstance !== undefined) config.httpInstance = true;
      const level = logLevel ?? (loggerLevel == null ? undefined : String(loggerLevel));
      this.#core = new WasmClient(JSON.stringify(config), fetch, tokenStore ?? (cache ? cacheStore(cache) : undefined), logger, level, clientAssertionProvider);
    }
    const core = this.#core;
    setCore(this, core);
    this.#tokens = Object.freeze({
      tenantAccessToken: (tenantKey) => settled(() => core.accessToken(false, tenantKey)),
      appAccessToken: () => settled(() => core.accessToken(true, undefined)),
      storeAppTicket: (ticket) => settled(() => core.storeAppTicket(String(ticket))),
    });
  }

  /** Token access: `client.tokens.tenantAccessToken(tenantKey?)`, `appAccessToken()`. */
  get tokens() {
    return this.#tokens;
  }

  /** The app id this client was built with. */
  get appId() {
    return this.#core.appId;
  }

  /** Any Open API call; resolves to the `{code, msg, data}` envelope. */
  request(options) {
    return settled(() => this.#core.request(JSON.stringify(options)));
  }

  /** One paginated walk in the core; yields each page's items, or its whole `data` with `keepData`. */
  async *#walk(options, keepData) {
    const { itemsKey, pageSize, maxItems, keepData: _ignored, ...request } = options;
    const walker = this.#core.paginator(JSON.stringify(request), JSON.stringify({ itemsKey, pageSize, maxItems, keepData }));
    try {
      // Each page: its items, or with keepData its whole data.
      for (let page = await walker.next(); page !== undefined; page = await walker.next()) yield page;
    } finally {
      walker.free();
    }
  }

  /** Pages of a paginated endpoint, each an array of items. */
  pages(options) {
    return this.#walk(options, false);
  }

  /** Pages as the official SDK's iterators yield them: each page's `data` without paging fields. */
  _pageData(options) {
    return this.#walk(options, true);
  }

  /** Every item of a paginated endpoint, fetched page by page as you iterate. */
  async *paginate(options) {
    for await (const items of this.pages(options)) yield* items;
  }

  /** Every item of a paginated endpoint, collected into one array. */
  async paginateAll(options) {
    const all = [];
    for await (const items of this.pages(options)) all.push(...items);
    return all;
  }

  /** A multipart upload: `fields` are text, `files` are Blob / Uint8Array / ArrayBuffer / {data, filename, contentType}. */
  upload(options) {
    return settled(() => {
      const { files, ...rest } = options;
      return this.#core.upload(JSON.stringify(rest.endpoint ? rest : { method: 'POST', ...rest }), fileEntries(files));
    });
  }

  /** A binary download; resolves to the bytes. */
  download(options) {
    return settled(() => this.#core.download(JSON.stringify(options), false)).then(asFile);
  }

  /**
   * Streams text from an async iterable or ReadableStream into a new card (CardKit), sent to
   * `receiveId` or replying to `replyTo`; resolves to the card id once streaming is closed.
   */
  streamCard(source, options = {}) {
    return settled(() => this.#streamCard(source, options ?? {}));
  }

  #streamCard(source, options) {
    const iterator = chunksOf(source);
    let failure;
    const next = async () => {
      try {
        const r = await iterator.next();
        return r.done ? null : String(r.value ?? '');
      } catch (e) {
        failure = e;
        throw e;
      }
    };
    const { header, card, ...rest } = options;
    const head = typeof header === 'string' ? { title: header } : header ?? {};
    const json = { ...rest, title: head.title, template: rest.template ?? head.template, card: card === undefined ? undefined : JSON.stringify(card) };
    return this.#core.streamCard(next, JSON.stringify(json)).catch((e) => {
      throw failure ?? e;
    });
  }

  /**
   * A binary download as a ReadableStream, without reading the file into memory: the same
   * pipeline as download() (token, timeoutMs until the headers, token refresh and retries while
   * the reply is an error); failures are FeishuErrors.
   */
  async downloadStream(options) {
    const body = await this.#core.download(JSON.stringify(options), true);
    return body instanceof Uint8Array ? new Response(body).body : body;
  }

  /** A client whose calls use this user access token (tokens stay shared with this client). */
  asUser(userAccessToken) {
    // A Client stays a Client; the error contract is the core's (asUser keeps it).
    const Class = this instanceof Client ? Client : FeishuClient;
    return new Class({ [CORE]: this.#core.view(String(userAccessToken)), fetch: this.#fetch, lenient: this.#lenient });
  }

  /** @internal This client with FeishuClient's error contract, the same tokens (the package's helpers call through it). */
  get [STRICT]() {
    if (!this.#lenient) return this;
    let strict = stricts.get(this);
    if (!strict) stricts.set(this, (strict = new FeishuClient({ [CORE]: this.#core.view(undefined), fetch: this.#fetch })));
    return strict;
  }
}

// ---- The error contract (issue 24) ----
const stricts = new WeakMap();
/** The client the package's own helpers call through: they return `data`, so a failure must reject. */
const strictOf = (client) => client[STRICT] ?? client;

/**
 * The official SDK's client: `new Client({ appId, appSecret, appType, domain, loggerLevel, cache, … })`.
 * A `FeishuClient` with the official error contract: a 2xx reply whose `code` is not 0 resolves
 * with the envelope (`if (res.code !== 0) …`), after the core's retries and token refresh;
 * `rejectOnApiError: true` makes it reject as `FeishuClient` does.
 */
export class Client extends FeishuClient {
  constructor(options = {}) {
    super(options?.[CORE] || options?.rejectOnApiError !== undefined ? options : { ...options, rejectOnApiError: false });
  }
}
// ---- end of the error contract ----

installCatalog(FeishuClient, strictOf);
installOAuth(FeishuClient, strictOf);
