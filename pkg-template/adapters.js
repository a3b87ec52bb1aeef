// The official Node server adapters, over our dispatchers (Node entry only): `adaptDefault`
// (http.createServer), `adaptExpress`, `adaptKoa`, `adaptKoaRouter`. Verification stays on the
// raw bytes: an unread request body is read here; a framework's kept raw body is used; a body
// a parser already consumed is verified as re-serialized JSON, which fails closed (and says to
// mount the adapter before the parser) when the platform's bytes differ.
// `autoChallenge` is accepted for compatibility: a URL challenge is answered after the same
// checks as `handle()` whether or not it is set (the official adapters answer anyone).

/** The raw body: kept by a framework, read from the unread stream, or re-serialized. */
async function rawBody(req, parsed, logger, kept = req.rawBody) {
  if (typeof kept === 'string' || kept instanceof Uint8Array) return kept;
  if (!req.readableEnded && !req.complete) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  if (parsed !== undefined && parsed !== null) {
    (logger ?? console).warn?.('[feishu-edge] the request body was parsed before the adapter: verifying its re-serialized JSON, which fails when the platform\'s bytes differ. Mount the adapter before body parsers (or keep the raw body: express.json({ verify: (req, res, buf) => { req.rawBody = buf } })).');
    return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
  }
  return '';
}

const reply = (res, r) => {
  res.statusCode = r.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(r.body);
};

/** `http.createServer(adaptDefault('/webhook/event', dispatcher))`: answers POSTs to `path`. */
export function adaptDefault(path, dispatcher, options = {}) {
  return async (req, res) => {
    if (req.url !== path && new URL(req.url ?? '/', 'http://x').pathname !== path) return;
    reply(res, await dispatcher.invoke(await rawBody(req, undefined, options.logger), req.headers));
  };
}

/** `app.post('/webhook/event', adaptExpress(dispatcher))`. */
export function adaptExpress(dispatcher, options = {}) {
  return async (req, res) => {
    reply(res, await dispatcher.invoke(await rawBody(req, req.body, options.logger), req.headers));
  };
}

async function koa(ctx, dispatcher, options) {
  // koa-bodyparser keeps ctx.request.rawBody.
  const r = await dispatcher.invoke(await rawBody(ctx.req, ctx.request.body, options.logger, ctx.request.rawBody ?? ctx.req.rawBody), ctx.req.headers);
  ctx.status = r.status;
  ctx.type = 'application/json';
  ctx.body = r.body;
}

/**
 * `app.use(adaptKoa('/webhook/event', dispatcher))`. A request it answers goes no further (the
 * body is read: a parser after it would fail on the spent stream); others go to `next`.
 */
export function adaptKoa(path, dispatcher, options = {}) {
  return async (ctx, next) => {
    if (ctx.originalUrl === path || ctx.path === path) return koa(ctx, dispatcher, options);
    await next();
  };
}

/** `router.post('/webhook/event', adaptKoaRouter(dispatcher))`. */
export function adaptKoaRouter(dispatcher, options = {}) {
  return async (ctx, next) => {
    await koa(ctx, dispatcher, options);
    await next();
  };
}
