// The rest of the official node-sdk's runtime names (1.74.0), so its code moves by changing
// the import: the cache, the logger, the error classes of keyless authentication,
// generateChallenge, registerApp, Aily over the client's Aily API, and defaultHttpInstance,
// refused with what to use instead. The decisions (registerApp's URLs, forms and judgments, the
// keyless exchange) are the core's; these are thin.
import { decryptEvent as decrypt, WasmRegistration } from './wasm/feishu_edge_bg.js';
import { FeishuError, readLimited } from './internal.js';
import { LoggerLevel } from './client.js';

/** The official cache keys: the app ticket and the tenant token (namespaced by app id). */
export const CAppTicket = Symbol('app-ticket');
export const CTenantAccessToken = Symbol('tenant-access-token');

/**
 * The official in-memory cache: `get(key, { namespace })`, `set(key, value, expiredTime,
 * { namespace })` (absolute expiry in ms, none when 0/absent), both async. Usable as a
 * client's `cache` option.
 */
export class DefaultCache {
  constructor() {
    this.values = new Map();
  }
  getCacheKey(key, namespace) {
    return namespace ? `${namespace}/${key.toString()}` : key;
  }
  async get(key, options) {
    const data = this.values.get(this.getCacheKey(key, options?.namespace));
    if (data) {
      const { value, expiredTime } = data;
      if (!expiredTime || expiredTime - Date.now() > 0) return value;
    }
    return undefined;
  }
  async set(key, value, expiredTime, options) {
    this.values.set(this.getCacheKey(key, options?.namespace), { value, expiredTime });
    return true;
  }
}

/** The official shared cache instance. */
export const internalCache = new DefaultCache();

/** The official default logger: console, each line prefixed with its level. */
export const defaultLogger = {
  error: (...msg) => { console.log('[error]:', ...msg); },
  warn: (...msg) => { console.warn('[warn]:', ...msg); },
  info: (...msg) => { console.info('[info]:', ...msg); },
  debug: (...msg) => { console.debug('[debug]:', ...msg); },
  trace: (...msg) => { console.trace('[trace]:', ...msg); },
};

/**
 * The official level filter over a logger: `new LoggerProxy(level, logger)`; a line is passed
 * on (its arguments as one array, as the official does) when its level is at most `level`.
 */
export class LoggerProxy {
  constructor(level, logger) {
    this.level = level;
    this.logger = logger;
  }
  error(...msg) { if (this.level >= LoggerLevel.error) this.logger.error(msg); }
  warn(...msg) { if (this.level >= LoggerLevel.warn) this.logger.warn(msg); }
  info(...msg) { if (this.level >= LoggerLevel.info) this.logger.info(msg); }
  debug(...msg) { if (this.level >= LoggerLevel.debug) this.logger.debug(msg); }
  trace(...msg) { if (this.level >= LoggerLevel.trace) this.logger.trace(msg); }
}

const isInstance = (cls, value) => Function.prototype[Symbol.hasInstance].call(cls, value);

/**
 * Keyless authentication failed (codes 7100–7104, or the token exchange's): the official
 * class. A FeishuError of kind `client_assertion` from the client is an instance too.
 */
export class ClientAssertionError extends FeishuError {
  constructor(code, msg) {
    super({ kind: 'client_assertion', code, message: msg, msg });
    this.name = 'ClientAssertionError';
  }
  static [Symbol.hasInstance](value) {
    return isInstance(ClientAssertionError, value) || (isInstance(FeishuError, value) && value.kind === 'client_assertion');
  }
}

/** A refused (non-200 or token-less) OAuth token reply: the official class. */
export class AccessTokenError extends FeishuError {
  constructor(statusCode, code, error, errorDescription) {
    const message = errorDescription || error || 'access token request failed';
    super({ kind: 'access_token', code, message, msg: message, httpStatus: statusCode });
    this.name = 'AccessTokenError';
    this.statusCode = statusCode;
    this.code = code;
    this.error = error;
    this.errorDescription = errorDescription;
  }
}

/**
 * The official `generateChallenge(data, { encryptKey })`: `{ isChallenge, challenge: {
 * challenge } }` for a plain or encrypted body (decryption is synchronous: Node, Deno, and
 * workerd with nodejs_compat).
 */
export function generateChallenge(data, options) {
  if ('encrypt' in data && !options?.encryptKey) {
    throw new FeishuError({ kind: 'config', message: 'auto-challenge need encryptKey, please check for missing in dispatcher' });
  }
  const target = 'encrypt' in data ? JSON.parse(decrypt(data.encrypt, options.encryptKey, false)) : data;
  return { isChallenge: target.type === 'url_verification', challenge: { challenge: target.challenge } };
}

const refuseHttp = () => new FeishuError({
  kind: 'config',
  message: 'defaultHttpInstance (the official SDK\'s axios instance) is not used: feishu-edge sends with the runtime\'s fetch. Pass `fetch` (a function with fetch\'s signature) to a Client to add a proxy, headers or logging; call the Open API with client.request(...)',
});

/**
 * The official axios instance's name, refused when used: feishu-edge sends with `fetch` (pass
 * your own as the client's `fetch` option). Calls reject, interceptors throw.
 */
export const defaultHttpInstance = Object.assign(
  function defaultHttpInstance() { return Promise.reject(refuseHttp()); },
  Object.fromEntries(['request', 'get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm', 'getUri']
    .map((name) => [name, () => Promise.reject(refuseHttp())])),
  {
    defaults: Object.freeze({ headers: Object.freeze({}) }),
    interceptors: Object.freeze({
      request: Object.freeze({ use() { throw refuseHttp(); }, eject() {}, clear() {} }),
      response: Object.freeze({ use() { throw refuseHttp(); }, eject() {}, clear() {} }),
    }),
  },
);

/** The official Aily session-record cache key. */
const CAilySessionRecord = Symbol('aily-session-record');

/** The official default Aily cache: records merged per key, in memory. */
class SessionCache {
  constructor() { this.sessions = new Map(); }
  async set(key, value) {
    this.sessions.set(key.toString(), { ...(this.sessions.get(key.toString()) ?? {}), ...value });
    return true;
  }
  async get(key) { return this.sessions.get(key.toString()); }
}

/** How a run ended, as the official numbers it (`EExecStatus`): what a failed completion reports. */
const RUN_END = { COMPLETED: 0, EXPIRED: 1, CANCELLED: 2, FAILED: 3 };
/** The official poll interval of a run's status. */
const RUN_POLL_MS = 500;

function ailyFailure(status, message) {
  const e = new FeishuError({ kind: 'api', message: `aily: ${message}` });
  e.status = status;
  return e;
}

/**
 * The official `Aily` helper over the client's Aily API: `new Aily({ client, cache? })`,
 * `aily.completions.create({ ailyAppId, message, sessionId?, sessionInfo?, messageInfo?,
 * runInfo?, skillId? }, options?)` → the assistant's reply message;
 * `completions.createWithStream(...)` → an async iterable of the reply's partial messages;
 * `completions.sessionRecords.get()` / `.update(records)` (your session ids → Aily session ids,
 * in `cache`). A failed run rejects with a FeishuError whose `status` is the official number
 * (-1 error, 1 expired, 2 cancelled, 3 failed, 4 other); API failures are the client's errors.
 */
export class Aily {
  constructor(params) {
    this.client = params.client;
    this.cache = params.cache ?? new SessionCache();
    this.completions = {
      create: (p, o) => this.#create(p, o),
      createWithStream: (p, o) => this.#createWithStream(p, o),
      sessionRecords: { get: () => this.#records(), update: (r) => this.#update(r) },
    };
  }

  async #records() { return (await this.cache.get(CAilySessionRecord)) ?? {}; }
  async #update(records) { await this.cache.set(CAilySessionRecord, records); }

  async #sessionId(sessionId, payload, options) {
    const records = await this.#records();
    if (sessionId && sessionId in records) return records[sessionId];
    const created = await this.client.aily.v1.ailySession.create({ data: payload }, options);
    const id = created.data?.session?.id;
    if (!id) throw ailyFailure(-1, 'the session reply has no session id');
    if (sessionId) await this.#update({ [sessionId]: id });
    return id;
  }

  async #run(params, options) {
    const { sessionId, ailyAppId, message, sessionInfo, messageInfo, runInfo, skillId } = params;
    const ailySessionId = await this.#sessionId(sessionId, sessionInfo, options);
    const sent = await this.client.aily.v1.ailySessionAilyMessage.create({
      path: { aily_session_id: ailySessionId },
      data: { ...messageInfo, content: message, idempotent_id: `${Date.now()}`, content_type: 'MDX' },
    }, options);
    const messageId = sent.data?.message?.id;
    const run = await this.client.aily.v1.ailySessionRun.create({ path: { aily_session_id: ailySessionId }, data: { app_id: ailyAppId, skill_id: skillId, ...runInfo } }, options);
    const runId = run.data?.run?.id;
    if (!runId) throw ailyFailure(-1, 'run id is empty');
    for (;;) {
      await new Promise((r) => setTimeout(r, RUN_POLL_MS));
      const state = await this.client.aily.v1.ailySessionRun.get({ path: { aily_session_id: ailySessionId, run_id: runId } }, options);
      const status = state.data?.run?.status;
      if (status === 'QUEUED' || status === 'IN_PROGRESS') continue;
      if (status === 'COMPLETED') return { ailySessionId, runId, messageId };
      throw ailyFailure(RUN_END[status] ?? 4, `the run ended ${status ?? 'without a status'}`);
    }
  }

  async #create(params, options) {
    const { ailySessionId, runId } = await this.#run(params, options);
    let reply;
    const pages = await this.client.aily.v1.ailySessionAilyMessage.listWithIterator({ path: { aily_session_id: ailySessionId }, params: { run_id: runId, with_partial_message: false } }, options);
    for await (const page of pages) {
      for (const m of page?.messages ?? []) if (m.sender?.sender_type === 'ASSISTANT') reply = m;
    }
    if (!reply) throw ailyFailure(-1, 'no aily reply');
    return reply;
  }

  async #createWithStream(params, options) {
    const { ailySessionId, runId, messageId } = await this.#run(params, options);
    const client = this.client;
    return {
      async *[Symbol.asyncIterator]() {
        let started = false;
        const pages = await client.aily.v1.ailySessionAilyMessage.listWithIterator({ path: { aily_session_id: ailySessionId }, params: { run_id: runId, with_partial_message: true } }, options);
        for await (const page of pages) {
          for (const m of page?.messages ?? []) {
            if (started) {
              yield m;
              if (m.status === 'COMPLETED') return;
            } else if (m.id === messageId && m.status === 'COMPLETED') {
              started = true;
            }
          }
        }
      },
    };
  }
}

/** gzip, then base64url without padding (the `addons` parameter's encoding). */
async function gzipBase64Url(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const abortError = () => ({ code: 'abort', description: 'Registration was aborted' });

/**
 * One form POST of the device flow (`send`: `{ url, form, timeoutMs, maxBytes }`, the core's);
 * its JSON reply whatever the status (RFC 8628 errors are 400s). Abandoned (the fetch aborted)
 * after `timeoutMs`, a reply over `maxBytes` refused; the caller's `signal` aborts it too
 * (rejecting with the official `{ code: 'abort' }`).
 */
async function postForm({ url, form, timeoutMs, maxBytes }, fetchImpl, signal) {
  if (signal?.aborted) throw abortError();
  const controller = new AbortController();
  let timer;
  let onAbort;
  const stop = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the registration request got no reply within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
    onAbort = () => {
      reject(abortError());
      controller.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const work = (async () => {
    const res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, signal: controller.signal });
    return new TextDecoder().decode(await readLimited(res, maxBytes));
  })();
  work.catch(() => {});
  stop.catch(() => {});
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The official `registerApp`: creates (or, with `appId`, updates) an app through the device
 * flow. `onQRCodeReady({ url, expireIn })` gets the URL to show as a QR code; polling then
 * reports `onStatusChange({ status: 'polling' | 'slow_down' | 'domain_switched', interval? })`
 * and resolves to `{ client_id, client_secret, user_info }`, or rejects with `{ code,
 * description }` (`access_denied`, `expired_token`, `abort`, or the platform's error).
 * `domain` / `larkDomain` take a host (or an origin with its scheme, e.g. a loopback
 * emulator); `fetch` (ours) replaces the global fetch. The core's WasmRegistration decides
 * each step; this only performs them.
 */
export function registerApp(options) {
  return (async () => {
    const { domain, larkDomain, source, signal, onQRCodeReady, onStatusChange, appPreset, addons, createOnly, appId } = options ?? {};
    const fetchImpl = options?.fetch ?? globalThis.fetch;
    const flow = new WasmRegistration(JSON.stringify({ source, appPreset, createOnly, appId }), addons === undefined ? undefined : JSON.stringify(addons), domain, larkDomain);
    try {
      return await run(flow, { signal, onQRCodeReady, onStatusChange, fetchImpl });
    } finally {
      flow.free();
    }
  })();
}

/**
 * Performs the flow's actions until it is done. Once the URL is shown, the flow ends on its
 * expiry or on `signal`, whichever comes first, whatever is in flight.
 */
async function run(flow, { signal, onQRCodeReady, onStatusChange, fetchImpl }) {
  let end;
  const ended = new Promise((_, reject) => { end = reject; });
  ended.catch(() => {});
  /** `p`, unless the flow ends first. */
  const unlessEnded = (p) => {
    p.catch(() => {});
    return Promise.race([p, ended]);
  };
  let expireTimer;
  let pollTimer;
  const onAbort = () => end(abortError());
  try {
    let reply;
    for (;;) {
      const action = flow.step(reply);
      reply = undefined;
      if (action.send) {
        reply = await unlessEnded(postForm(action.send, fetchImpl, signal));
      } else if (action.gzip !== undefined) {
        reply = await gzipBase64Url(action.gzip);
      } else if (action.ready) {
        onQRCodeReady({ url: action.ready.url, expireIn: action.ready.expireIn });
        expireTimer = setTimeout(() => end({ code: 'expired_token', description: 'Polling timed out' }), action.ready.expireMs);
        if (signal?.aborted) throw abortError();
        signal?.addEventListener('abort', onAbort, { once: true });
      } else if (action.report) {
        onStatusChange?.(action.report);
      } else if (action.wait !== undefined) {
        await unlessEnded(new Promise((resolve) => { pollTimer = setTimeout(resolve, action.wait); }));
      } else if (action.done) {
        return action.done;
      } else {
        throw action.fail;
      }
    }
  } finally {
    clearTimeout(expireTimer);
    clearTimeout(pollTimer);
    signal?.removeEventListener('abort', onAbort);
  }
}
