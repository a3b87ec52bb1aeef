// Webhooks: EventDispatcher (event URL) and CardActionHandler (card request URL), both
// Request → Response, plus the low-level signature and encryption helpers.
import { WasmDispatcher, computeSignature as sign, verifySignatureRaw, decryptEvent as decrypt, encryptEventRaw } from './wasm/feishu_edge_bg.js';
import { FeishuError } from './client.js';
import { coreOf, ready } from './internal.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const DEFAULT_MAX_BODY = 1 << 20;

/** Reads headers from a web Headers object or a plain record (Node's req.headers). */
function headerReader(headers) {
  if (headers && typeof headers.get === 'function') return (name) => headers.get(name) ?? undefined;
  const lower = {};
  for (const [k, v] of Object.entries(headers ?? {})) lower[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
  return (name) => (lower[name] == null ? undefined : String(lower[name]));
}

function reply(status, body) {
  return new Response(body, { status, headers: JSON_HEADERS });
}

class WebhookEndpoint {
  #core;
  #client;
  #maxBody;

  constructor(options, card) {
    ready(FeishuError);
    const { dedupeStore, client, logger, logLevel, ...rest } = options ?? {};
    this.#core = new WasmDispatcher(JSON.stringify(rest), card, dedupeStore, logger, logLevel);
    this.#client = client;
    this.#maxBody = rest.maxBodyBytes ?? DEFAULT_MAX_BODY;
    if (client) {
      const core = coreOf(client);
      if (!core) throw new TypeError('options.client must be a FeishuClient');
      this.#core.setClient(core);
    }
  }

  _register(type, handler) {
    if (typeof handler !== 'function') throw new TypeError(`the handler for ${type} must be a function`);
    const client = this.#client;
    const wrapped = client ? (data, ctx) => handler(data, { ...ctx, client }) : handler;
    if (type === null) this.#core.registerAll(wrapped);
    else this.#core.register(type, wrapped);
  }

  /** Verifies and dispatches a raw body: resolves to {status, body, eventType, reason, duplicate}. */
  invoke(rawBody, headers, options = {}) {
    const get = headerReader(headers);
    return this.#core.invoke(rawBody, get('x-lark-request-timestamp'), get('x-lark-request-nonce'), get('x-lark-signature'), get('content-type'), options.waitUntil);
  }

  /** Handles a web Request; with `waitUntil`, events are acknowledged at once and handled after. */
  async handle(request, options = {}) {
    if (request.method !== 'POST') return reply(405, '{"error":"method_not_allowed","message":"webhooks are POST requests"}');
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > this.#maxBody) return reply(413, '{"error":"body_too_large","message":"the body is larger than the configured limit"}');
    const body = new Uint8Array(await request.arrayBuffer());
    const result = await this.invoke(body, request.headers, options);
    return reply(result.status, result.body);
  }
}

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
}

/** A card request URL: one handler for every callback; its return value is the reply. */
export class CardActionHandler extends WebhookEndpoint {
  constructor(options, handler) {
    super(options, true);
    this._register(null, handler);
  }
}

/** hex SHA-256(timestamp + nonce + key + body); `algorithm: 'sha1'` for legacy card callbacks. */
export function computeSignature({ timestamp, nonce, key, body, algorithm }) {
  ready();
  return sign(String(timestamp), String(nonce), key, body, algorithm);
}

/** Checks `signature` against the body in constant time. */
export function verifySignature({ timestamp, nonce, key, body, signature, algorithm }) {
  ready();
  return verifySignatureRaw(String(timestamp), String(nonce), key, body, String(signature ?? ''), algorithm);
}

/** Decrypts an `encrypt` value; throws FeishuError (kind 'webhook', with `reason`). */
export function decryptEvent(encrypt, encryptKey) {
  ready();
  return decrypt(encrypt, encryptKey);
}

/** Encrypts a payload (object, string or bytes) the way the platform does (random IV unless given). */
export function encryptEvent(payload, encryptKey, iv = crypto.getRandomValues(new Uint8Array(16))) {
  ready();
  const plain = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
  return encryptEventRaw(plain, encryptKey, iv);
}

/**
 * Builds the body and headers the platform would send: encrypted and SHA-256-signed with an
 * encrypt key; plain (and SHA-1-signed with `legacyCard`) otherwise.
 */
export function signEvent(payload, { encryptKey, verificationToken, timestamp = Math.floor(Date.now() / 1000), nonce = Math.random().toString(36).slice(2), legacyCard = false, iv } = {}) {
  const plain = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  let body = plain;
  if (encryptKey && !legacyCard) body = JSON.stringify({ encrypt: encryptEvent(plain, encryptKey, iv) });
  const key = legacyCard ? verificationToken : encryptKey;
  if (key) {
    headers['x-lark-request-timestamp'] = String(timestamp);
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = computeSignature({ timestamp, nonce, key, body, algorithm: legacyCard ? 'sha1' : 'sha256' });
  }
  return { body, headers };
}
