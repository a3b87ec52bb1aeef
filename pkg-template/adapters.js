// The official Node server adapters, over our dispatchers (Node entry only): `adaptDefault`
// (http.createServer), `adaptExpress`, `adaptKoa`, `adaptKoaRouter`. Verification stays on the
// raw bytes: an unread request body is read here, under the dispatcher's `maxBodyBytes` and
// `bodyTimeoutMs` as `handle()` reads it; a framework's kept raw body (or `express.raw()`'s
// Buffer) is used; a body a parser already consumed is verified as re-serialized JSON, which
// fails closed (and says to mount the adapter before the parser) when the platform's bytes differ.
// No request's failure escapes: a client that goes away, a body too large or too slow, a
// dispatcher that throws, each is answered (or dropped, when no one is there to answer).
// `autoChallenge` is accepted for compatibility: a URL challenge is answered after the same
// checks as `handle()` whether or not it is set (the official adapters answer anyone).
import { dispatcherCoreOf } from './internal.js';

/**
 * The wasm core behind the dispatcher: its body limit and read deadline (its settings, read
 * once per adapter) and its refusals.
 */
function coreFor(dispatcher, adapter) {
  const core = dispatcherCoreOf(dispatcher);
  if (!core) throw new TypeError(`${adapter} needs an EventDispatcher or CardActionHandler from feishu-edge`);
  const { maxBodyBytes, bodyTimeoutMs } = core.settings;
  return { maxBodyBytes, bodyTimeoutMs, refusal: (reason) => core.refusal(reason) };
}

/**
 * Reads an unread Node request body, never holding more than `limit` bytes. Resolves to the
 * bytes, or to `{ reason }`: 'body_too_large' past the limit (or when `Content-Length` says
 * so: nothing is read) and 'body_timeout' when it is not all there after `timeoutMs` or the
 * client went away. On a refusal the stream is paused: the rest is never read.
 */
function readBody(req, limit, timeoutMs) {
  if (Number(req.headers?.['content-length']) > limit) return Promise.resolve({ reason: 'body_too_large' });
  if (req.destroyed) return Promise.resolve({ reason: 'body_timeout' });
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0, timer;
    const done = (result) => {
      clearTimeout(timer);
      req.off('data', data).off('end', end).off('error', broke).off('close', broke);
      if (result.reason) req.pause();
      resolve(result);
    };
    const data = (chunk) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) done({ reason: 'body_too_large' }); else chunks.push(bytes);
    };
    const end = () => done(Buffer.concat(chunks, size));
    // An error or a close before the end: the sender went away, the body did not arrive.
    const broke = () => done({ reason: 'body_timeout' });
    if (timeoutMs > 0) timer = setTimeout(broke, timeoutMs);
    req.on('data', data).on('end', end).on('error', broke).on('close', broke);
  });
}

/** The raw body: kept by a framework, read from the unread stream, or re-serialized. */
async function rawBody(req, core, parsed, logger, kept = req.rawBody) {
  if (typeof kept === 'string' || kept instanceof Uint8Array) return kept;
  // express.raw(): the platform's bytes, as they came.
  if (parsed instanceof Uint8Array) return parsed;
  // Unread, or received but not read yet (`complete` says only that the parser saw it all).
  if (!req.readableEnded) return readBody(req, core.maxBodyBytes, core.bodyTimeoutMs);
  if (parsed !== undefined && parsed !== null) {
    (logger ?? console).warn?.('[feishu-edge] the request body was parsed before the adapter: verifying its re-serialized JSON, which fails when the platform\'s bytes differ. Mount the adapter before body parsers, or use express.raw({ type: \'application/json\' }), or keep the raw body: express.json({ verify: (req, res, buf) => { req.rawBody = buf } }).');
    return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
  }
  return '';
}

/**
 * The answer to one request, never a rejection: the dispatcher's, a refusal of the body
 * (`close`: the connection is closed after it, see hangUp), or 500 when the adapter or the
 * dispatcher failed.
 */
async function answer(dispatcher, core, req, parsed, logger, kept) {
  try {
    const body = await rawBody(req, core, parsed, logger, kept);
    if (body?.reason) return { ...core.refusal(body.reason), close: true };
    return await dispatcher.invoke(body, req.headers);
  } catch (e) {
    try { (logger ?? console).error?.(`[feishu-edge] the webhook adapter failed on a request: ${e?.message ?? e}`); } catch { /* a logger that throws */ }
    return core.refusal('handler_failed');
  }
}

/**
 * After the answer to a refused body, closes the connection (FIN) without holding what the
 * client still sends: that is discarded until the client stops or `ms` (the read deadline)
 * passes. (Node's `Connection: close` would destroy the socket at once, and a socket closed
 * with unread bytes resets the connection, which can lose the answer on the way.)
 */
const DRAIN_WITHOUT_DEADLINE_MS = 5000;
function hangUp(req, res, ms) {
  res.once('finish', () => {
    const socket = req.socket;
    if (!socket || socket.destroyed) return;
    req.resume();
    socket.end();
    // With no read deadline (`bodyTimeoutMs: 0`) the client still gets a moment to stop
    // sending, so closing does not reset the connection; the timer never holds the process.
    const timer = setTimeout(() => socket.destroy(), ms > 0 ? ms : DRAIN_WITHOUT_DEADLINE_MS);
    timer.unref?.();
    socket.once('close', () => clearTimeout(timer));
  });
}

/** Writes the answer; a response already sent, or a socket gone, is left alone. */
function reply(req, res, r, core) {
  try {
    if (res.headersSent || res.writableEnded || res.destroyed) return;
    if (r.close) hangUp(req, res, core.bodyTimeoutMs);
    res.statusCode = r.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(r.body);
  } catch { /* the client went away */ }
}

/** `http.createServer(adaptDefault('/webhook/event', dispatcher))`: answers POSTs to `path`. */
export function adaptDefault(path, dispatcher, options = {}) {
  const core = coreFor(dispatcher, 'adaptDefault');
  return async (req, res) => {
    let mine = req.url === path;
    try { mine ||= new URL(req.url ?? '/', 'http://x').pathname === path; } catch { /* not a URL: not ours */ }
    if (mine) reply(req, res, await answer(dispatcher, core, req, undefined, options.logger), core);
  };
}

/** `app.post('/webhook/event', adaptExpress(dispatcher))`; behind `express.raw()` too. */
export function adaptExpress(dispatcher, options = {}) {
  const core = coreFor(dispatcher, 'adaptExpress');
  return async (req, res) => {
    reply(req, res, await answer(dispatcher, core, req, req.body, options.logger), core);
  };
}

async function koa(ctx, dispatcher, core, options) {
  // koa-bodyparser keeps ctx.request.rawBody.
  const r = await answer(dispatcher, core, ctx.req, ctx.request.body, options.logger, ctx.request.rawBody ?? ctx.req.rawBody);
  try {
    if (r.close && !ctx.res.writableEnded) hangUp(ctx.req, ctx.res, core.bodyTimeoutMs);
    ctx.status = r.status;
    ctx.type = 'application/json';
    ctx.body = r.body;
  } catch { /* the response was already sent */ }
}

/**
 * `app.use(adaptKoa('/webhook/event', dispatcher))`. A request it answers goes no further (the
 * body is read: a parser after it would fail on the spent stream); others go to `next`.
 */
export function adaptKoa(path, dispatcher, options = {}) {
  const core = coreFor(dispatcher, 'adaptKoa');
  return async (ctx, next) => {
    if (ctx.originalUrl === path || ctx.path === path) return koa(ctx, dispatcher, core, options);
    await next();
  };
}

/** `router.post('/webhook/event', adaptKoaRouter(dispatcher))`. */
export function adaptKoaRouter(dispatcher, options = {}) {
  const core = coreFor(dispatcher, 'adaptKoaRouter');
  return async (ctx, next) => {
    await koa(ctx, dispatcher, core, options);
    await next();
  };
}
