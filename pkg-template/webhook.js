// Webhooks: EventDispatcher (event URL) and CardActionHandler (card request URL), both
// Request → Response, plus the low-level signature and encryption helpers.
import { WasmDispatcher, decryptEvent as decrypt } from './wasm/feishu_edge_bg.js';
import { FeishuError, coreOf, setDispatcherCore } from './internal.js';
import { HEADERS } from './generated/protocol.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const utf8 = new TextEncoder();
// The synchronous path packs a request (body and headers) into this buffer (encodeInto
// allocates nothing; the core copies the bytes at once). Bigger requests get their own.
const scratch = new Uint8Array(64 * 1024);

/**
 * The body (a string or bytes) and the header values as one view of UTF-8 bytes, and each one's
 * length in it (-1: the header is absent). Requests that fit reuse `scratch`: the core copies
 * the view before anything else runs.
 */
function packRequest(body, headers) {
  const text = typeof body === 'string';
  let room = text ? body.length * 3 : body.byteLength;
  for (const h of headers) room += h == null ? 0 : String(h).length * 3;
  const out = room <= scratch.length ? scratch : new Uint8Array(room);
  let at = text ? utf8.encodeInto(body, out).written : (out.set(body), body.byteLength);
  const lengths = [at, -1, -1, -1, -1];
  headers.forEach((h, i) => {
    if (h == null) return;
    const n = utf8.encodeInto(String(h), out.subarray(at)).written;
    lengths[i + 1] = n;
    at += n;
  });
  return { bytes: out.subarray(0, at), lengths };
}

/** Reads headers from a web Headers object or a plain record (Node's req.headers). */
function headerReader(headers) {
  if (headers && typeof headers.get === 'function') return (name) => headers.get(name) ?? undefined;
  const record = headers ?? {};
  let lower; // built only when a name is not there in lower case (Node's are)
  return (name) => {
    let v = Object.hasOwn(record, name) ? record[name] : undefined;
    if (v === undefined) {
      lower ??= Object.fromEntries(Object.entries(record).map(([k, x]) => [k.toLowerCase(), x]));
      v = lower[name];
    }
    if (Array.isArray(v)) v = v[0];
    return v == null ? undefined : String(v);
  };
}

/**
 * Reads a request body chunk by chunk, never holding much more than `limit` bytes: past it the
 * stream is cancelled and what was read is returned, for the core to refuse (the size rule is
 * the core's, `parse`). After `timeoutMs` (or when the stream breaks) resolves to
 * 'body_timeout' instead, so a trickling body is not waited on.
 */
async function readBody(request, limit, timeoutMs) {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  let timer;
  const deadline = timeoutMs > 0 ? new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'body_timeout'); }) : undefined;
  try {
    for (;;) {
      const step = deadline ? await Promise.race([reader.read(), deadline]) : await reader.read();
      if (step === 'body_timeout') { reader.cancel().catch(() => {}); return step; }
      if (step.done) break;
      size += step.value.byteLength;
      chunks.push(step.value);
      if (size > limit) { reader.cancel().catch(() => {}); break; }
    }
  } catch {
    // The stream broke (the sender went away): the body did not arrive, like a timeout.
    return 'body_timeout';
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

function reply(status, body) {
  return new Response(body, { status, headers: JSON_HEADERS });
}

class WebhookEndpoint {
  #core;
  /** The core's settings (read once): `maxBodyBytes`, `bodyTimeoutMs`, `exactlyOnce`, `synchronous` (its synchronous path can take requests here). */
  #settings;
  #client;

  #encryptKey;
  #verificationToken;

  constructor(options, card) {
    // `loggerLevel` and `cache` are the official SDK's: the level maps like the client's; the
    // official dispatchers keep pushed app_tickets in `cache`, which here is the client's
    // token store (pass `client`), so the cache itself is accepted and not used.
    const { dedupeStore, client, logger, logLevel, loggerLevel, cache: _cache, onError, ...rest } = options ?? {};
    if (onError !== undefined && typeof onError !== 'function') throw new TypeError('options.onError must be a function (error, event) => void');
    const level = logLevel ?? (loggerLevel == null ? undefined : String(loggerLevel));
    // undefined crosses as null: `encryptKey: env.UNSET` is "given but empty", which the core
    // warns about, not "never given".
    this.#core = new WasmDispatcher(JSON.stringify(rest, (_, v) => (v === undefined ? null : v)), card, dedupeStore, logger, level, onError);
    setDispatcherCore(this, this.#core);
    this.#encryptKey = typeof rest.encryptKey === 'string' ? rest.encryptKey : '';
    this.#verificationToken = typeof rest.verificationToken === 'string' ? rest.verificationToken : '';
    this.#client = client;
    if (client) {
      // The feishu-edge/webhook build has no client pipeline (and no setClient).
      if (!this.#core.setClient) throw new TypeError("options.client needs the client pipeline: import EventDispatcher / CardActionHandler from 'feishu-edge', not 'feishu-edge/webhook'");
      const core = coreOf(client);
      if (!core) throw new TypeError('options.client must be a FeishuClient');
      this.#core.setClient(core);
    }
    // The core's settings, read once: bodies are measured against its limit before they cross into wasm.
    this.#settings = this.#core.settings;
  }

  _register(type, handler) {
    if (typeof handler !== 'function') throw new TypeError(`the handler for ${type} must be a function`);
    const client = this.#client;
    const wrapped = client ? (data, ctx) => handler(data, { ...ctx, client }) : handler;
    this.#core.register(type, wrapped);
  }

  _unregister(type) {
    this.#core.unregister(type);
  }

  /** True when de-duplication is exact: the dedupeStore has an atomic putIfAbsent. */
  get exactlyOnce() {
    return this.#settings.exactlyOnce;
  }

  /** The encrypt key this endpoint was built with ('' when none), as the official dispatchers expose it. */
  get encryptKey() {
    return this.#encryptKey;
  }

  /** The verification token this endpoint was built with ('' when none). */
  get verificationToken() {
    return this.#verificationToken;
  }

  /** The size of the wasm memory in bytes (for tests of what crosses into it). */
  get [Symbol.for('feishu-edge.wasmMemoryBytes')]() {
    return this.#core.settings.memoryBytes;
  }

  /**
   * Verifies and dispatches a raw body: resolves to {status, body, eventType, reason, duplicate}.
   * Given a parsed object instead (the official custom-adapter shape, `headers` on its
   * prototype), it is verified as re-serialized JSON (a signature over other bytes fails
   * closed) and resolves to the reply body, as the official dispatcher does. Never throws: a
   * body that cannot be read (a BigInt, a cycle) rejects.
   */
  invoke(rawBody, headers, options = {}) {
    try {
      return this.#invoke(rawBody, headers, options ?? {});
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #slots = 0;

  #invoke(rawBody, headers, options) {
    if (rawBody !== null && typeof rawBody === 'object' && !(rawBody instanceof ArrayBuffer) && !ArrayBuffer.isView(rawBody)) {
      const text = JSON.stringify(rawBody);
      return this.#invoke(text, headers ?? Object.getPrototypeOf(rawBody)?.headers, options).then((r) => JSON.parse(r.body));
    }
    const core = this.#core;
    // No body crosses into wasm before it is measured against the core's limit: a string by
    // its length (UTF-8 takes at least one byte per UTF-16 unit, at most three), bytes by theirs.
    const text = typeof rawBody === 'string';
    const { maxBodyBytes: limit, synchronous } = this.#settings;
    if (text ? rawBody.length > limit : rawBody?.byteLength > limit) return Promise.resolve(core.refusal('body_too_large'));
    const view = !text && ArrayBuffer.isView(rawBody) && !(rawBody instanceof Uint8Array) ? new Uint8Array(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength) : rawBody;
    const get = headerReader(headers);
    const ts = get(HEADERS.timestamp), nonce = get(HEADERS.nonce), sig = get(HEADERS.signature), type = get('content-type');
    // A string crosses as its UTF-8 bytes, encoded natively (wasm-bindgen's string copy is a JS loop).
    if (synchronous && !options.waitUntil && !options.queue && (text || view instanceof Uint8Array)) {
      // Synchronous host crypto, no store: verified, decrypted and handled in one call. The body
      // and the four headers cross as one view (numbers say where each ends), no promise until
      // a handler returns one.
      const packed = packRequest(text ? rawBody : view, [ts, nonce, sig, type]);
      if (packed.lengths[0] > limit) return Promise.resolve(core.refusal('body_too_large'));
      const slot = ++this.#slots;
      const [b, t, n, s, c] = packed.lengths;
      const now = core.invokeNow(slot, packed.bytes, b, t, n, s, c);
      if (now !== undefined) {
        // The core returned the handler's thenable (its `then` may be a getter that throws:
        // then Promise.resolve rejects, and finishNow answers 500), or the result object.
        let thenable;
        try { thenable = typeof now?.then === 'function'; } catch { thenable = true; }
        if (!thenable) return Promise.resolve(now);
        return Promise.resolve(now).then((v) => core.finishNow(slot, true, v), (e) => core.finishNow(slot, false, e));
      }
      // Declined after all (an app_ticket for a client waits on its store): the asynchronous path.
    }
    const body = text ? utf8.encode(rawBody) : view instanceof ArrayBuffer ? new Uint8Array(view) : view;
    if (body?.byteLength > limit) return Promise.resolve(core.refusal('body_too_large'));
    return core.invoke(body, ts, nonce, sig, type, options.waitUntil, options.queue);
  }

  /**
   * Handles a web Request. With `waitUntil`, events are acknowledged at once and handled after;
   * with `queue` (anything with `send(body)`), they are queued for `consume`.
   */
  async handle(request, options = {}) {
    if (request.method !== 'POST') return this.#refuse('method_not_allowed');
    const body = await readBody(request, this.#settings.maxBodyBytes, this.#settings.bodyTimeoutMs);
    if (typeof body === 'string') return this.#refuse(body);
    const result = await this.invoke(body, request.headers, options);
    return reply(result.status, result.body);
  }

  #refuse(reason) {
    const r = this.#core.refusal(reason);
    return reply(r.status, r.body);
  }

  /**
   * The Worker's `queue(batch)` handler: runs the handlers of the events `handle(…, { queue })`
   * enqueued, acking each message on success (or when it was handled before) and retrying it on
   * failure. Resolves to `{ acked, retried }`.
   */
  async consume(batch) {
    const core = this.#core;
    let acked = 0, retried = 0;
    await Promise.all([...(batch?.messages ?? [])].map(async (message) => {
      const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body);
      if ((await core.consume(body)) === 'ack') { acked++; message.ack?.(); } else { retried++; message.retry?.(); }
    }));
    return { acked, retried };
  }
}

export { FeishuError };

/** Event subscriptions: `new EventDispatcher(options).register({ 'im.message.receive_v1': handler })`. */
export class EventDispatcher extends WebhookEndpoint {
  constructor(options = {}) {
    super(options, false);
  }

  /** Registers handlers by event type (the official SDK's map shape); returns this. */
  register(handlers) {
    for (const [type, handler] of Object.entries(handlers)) this._register(type, handler);
    return this;
  }

  /** Removes the handlers of these event types (the official SDK's `unregister`); returns this. */
  unregister(...types) {
    for (const type of types.flat()) this._unregister(String(type));
    return this;
  }
}

/** A card request URL: one handler for every callback; its return value is the reply. */
export class CardActionHandler extends WebhookEndpoint {
  constructor(options, handler) {
    super(options, true);
    this._register(null, handler);
  }
}

// The low-level helpers compute in the Rust core with the host's primitives. Here, in every
// entry, they are asynchronous (WebCrypto answers with promises). The synchronous names live in
// sync-helpers.js, exported only by the Node and Deno entries, where the crypto always is
// synchronous: code that imports them does not build for workerd or a browser, rather than
// throwing there in production.
import { signatureOf, verified, sealed, signing } from './helpers-core.js';

/** hex SHA-256(timestamp + nonce + key + body); `algorithm: 'sha1'` for legacy card callbacks. */
export async function computeSignatureAsync(input) {
  return signatureOf(input, true);
}
/** Checks `signature` against the body in constant time. */
export async function verifySignatureAsync(input) {
  return verified(input, true);
}
/** Decrypts an `encrypt` value; rejects with FeishuError (kind 'webhook', with `reason`). */
export async function decryptEventAsync(encrypt, encryptKey) {
  return decrypt(encrypt, encryptKey, true);
}
/** Encrypts a payload (object, string or bytes) the way the platform does (random IV unless given). */
export async function encryptEventAsync(payload, encryptKey, iv) {
  return sealed(payload, encryptKey, iv, true);
}
/**
 * Builds the body and headers the platform would send: encrypted and SHA-256-signed with an
 * encrypt key; plain (and SHA-1-signed with `legacyCard`) otherwise.
 */
export async function signEventAsync(payload, options = {}) {
  const steps = signing(payload, options);
  let step = steps.next();
  while (!step.done) step = steps.next(await step.value.call(true));
  return step.value;
}
