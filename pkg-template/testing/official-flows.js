// The emulator's answers to the official node-sdk's accounts-host flows (a module of
// emulator.js): keyless authentication's token exchange (POST /oauth/v3/token with a client
// assertion) and its long-connection endpoint body, and registerApp's device flow (POST
// /oauth/v1/app/registration, begin then poll).
//
// An assertion is valid when it is `emu-assertion.<aud>` with <aud> this emulator's host (with
// its port): a provider that binds the assertion to the wrong audience is refused, as the
// platform refuses a JWT whose `aud` is not its own. `POST /__emu/config { assertion: '…' }`
// makes another value the valid one.
//
// The device flow follows `config.registration` (POST /__emu/config { registration }):
// `{ interval, expiresIn, steps: ['authorization_pending', 'slow_down', 'lark', 'access_denied',
// …], clientId, clientSecret, openId }`: each poll takes the next step (`lark` answers with a
// Lark tenant's user_info, once); when the steps run out, the credentials. Every poll is
// recorded (GET /__emu/log → registration.polls, with the host it reached and when).
//
// The Aily helper's calls (sessions, messages, runs) are modelled when `config.aily` is set
// (POST /__emu/config { aily: { statuses: ['IN_PROGRESS', 'COMPLETED'], reply: 'text' } }):
// a run reports the statuses in turn (the last one stays), and its messages are the user's
// and the assistant's reply (a partial one first, when partial messages are asked for).
// Without it, those methods answer as every other method does.
import { randomUUID } from 'node:crypto';

/** The assertion this emulator accepts for a request that reached `host`. */
export const validAssertion = (platform, host) => platform.state.config.assertion ?? `emu-assertion.${host}`;

/** The long connection's endpoint body in keyless mode: the secret a valid assertion stands for. */
export function keylessEndpointBody(platform, req, body) {
  if (!body || typeof body.ClientAssertion !== 'string' || body.ClientAssertion === '') return body;
  platform.count('wsAssertion');
  const ok = body.ClientAssertion === validAssertion(platform, req.headers.host);
  return { ...body, AppSecret: ok ? platform.state.config.appSecret : '', ClientAssertion: undefined };
}

const AILY = /^\/open-apis\/aily\/v1\/sessions(?:\/([^/]+)\/(messages|runs)(?:\/([^/]+))?)?$/;

/** Whether this module answers the request. */
export const handles = (platform, pathname) => pathname === '/oauth/v3/token' || pathname === '/oauth/v1/app/registration'
  || (Boolean(platform.state.config.aily) && AILY.test(pathname));

/** Answers one request of these flows. */
export function serveOfficialFlow(platform, req, url, raw, send) {
  const aily = AILY.exec(url.pathname);
  if (aily) return ailyModel(platform, req, url, raw, send, aily);
  if (req.method !== 'POST') return send(405, { error: 'invalid_request', error_description: 'POST only' });
  if (url.pathname === '/oauth/v3/token') return tokenExchange(platform, req, raw, send);
  return registration(platform, req, raw, send);
}

function tokenExchange(platform, req, raw, send) {
  const c = platform.state.config;
  platform.count('assertionExchange');
  let body = {};
  try { body = JSON.parse(raw.toString() || '{}'); } catch { /* an empty body is refused below */ }
  // The log keeps the request without its credential.
  platform.state.log.push({ method: 'POST', path: 'oauth/v3/token', body: { ...body, client_assertion: body.client_assertion ? '[redacted]' : undefined }, headers: { 'x-target-service': req.headers['x-target-service'] ?? null }, at: Date.now() });
  if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return send(400, { code: 20001, error: 'unsupported_grant_type', error_description: 'grant_type must be jwt-bearer with a jwt-bearer client assertion', msg: 'unsupported grant type' });
  }
  if (body.client_id !== c.appId) return send(400, { code: 20002, error: 'invalid_client', error_description: 'unknown client_id', msg: 'invalid client' });
  if (body.client_assertion !== validAssertion(platform, req.headers.host)) {
    return send(400, { code: 20003, error: 'invalid_client', error_description: 'client assertion is invalid (wrong signature or audience)', msg: 'invalid client assertion' });
  }
  return send(200, { access_token: platform.issue('t'), token_type: 'Bearer', expires_in: c.tokenExpire });
}

function registration(platform, req, raw, send) {
  const c = platform.state.config;
  const r = c.registration ?? {};
  const form = Object.fromEntries(new URLSearchParams(raw.toString()));
  const state = (platform.state.registration ??= { devices: new Map(), polls: [], begins: [] });
  const origin = `http://${req.headers.host}`;
  if (form.action === 'begin') {
    state.begins.push({ form, contentType: req.headers['content-type'] ?? null, at: Date.now() });
    const deviceCode = `dev-${randomUUID()}`;
    const userCode = 'EMU-' + String(state.begins.length).padStart(4, '0');
    state.devices.set(deviceCode, { step: 0, switched: false });
    return send(200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${origin}/page/app-registration`,
      verification_uri_complete: `${origin}/page/app-registration?user_code=${userCode}`,
      expires_in: r.expiresIn ?? 600,
      interval: r.interval ?? 5,
    });
  }
  if (form.action !== 'poll') return send(400, { error: 'invalid_request', error_description: 'action must be begin or poll' });
  const device = state.devices.get(form.device_code);
  state.polls.push({ host: req.headers.host, at: Date.now(), known: Boolean(device) });
  if (!device) return send(400, { error: 'expired_token', error_description: 'unknown or expired device_code' });
  const steps = r.steps ?? [];
  const step = steps[device.step++];
  const userInfo = { open_id: r.openId ?? 'ou_emu_registrant', tenant_brand: device.switched ? 'lark' : 'feishu' };
  switch (step) {
    case undefined:
      return send(200, { client_id: r.clientId ?? 'cli_emu_registered', client_secret: r.clientSecret ?? 'emu_registered_secret', user_info: userInfo });
    case 'lark':
      device.switched = true;
      return send(200, { user_info: { ...userInfo, tenant_brand: 'lark' } });
    case 'access_denied':
      return send(400, { error: 'access_denied', error_description: 'the user refused' });
    case 'expired_token':
      return send(400, { error: 'expired_token', error_description: 'the device code expired' });
    default:
      return send(400, { error: step, error_description: step === 'slow_down' ? 'polling too fast' : 'waiting for the user' });
  }
}

/** The device flow's record, for GET /__emu/log. */
export const registrationLog = (platform) => {
  const s = platform.state.registration;
  return s ? { begins: s.begins, polls: s.polls } : { begins: [], polls: [] };
};

function ailyModel(platform, req, url, raw, send, [, sessionId, kind, itemId]) {
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const known = platform.state.tokens.get(token);
  if (!known || known.revoked) return send(400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
  const config = platform.state.config.aily;
  const model = (platform.state.aily ??= { sessions: new Map(), runs: new Map(), seq: 0 });
  const id = (prefix) => `${prefix}_${++model.seq}`;
  let body = {};
  try { body = JSON.parse(raw.toString() || '{}'); } catch { /* answered as a bad request below */ }
  platform.state.log.push({ method: req.method, path: url.pathname.replace(/^\/open-apis\//, ''), query: url.search, body, at: Date.now() });
  const ok = (data) => send(200, { code: 0, msg: 'success', data });
  const now = String(Date.now());
  if (!sessionId) {
    if (req.method !== 'POST') return send(404, { code: 404, msg: 'not found' });
    const session = { id: id('session'), created_at: now, modified_at: now, metadata: body.metadata, messages: [] };
    model.sessions.set(session.id, session);
    return ok({ session: { id: session.id, created_at: now, modified_at: now } });
  }
  const session = model.sessions.get(sessionId);
  if (!session) return send(400, { code: 2320001, msg: 'aily session not found' });
  if (kind === 'messages' && req.method === 'POST') {
    if (typeof body.content !== 'string' || !body.idempotent_id) return send(400, { code: 99992402, msg: 'field validation failed: content and idempotent_id are required' });
    const message = { id: id('message'), session_id: sessionId, content: body.content, content_type: body.content_type, status: 'COMPLETED', sender: { sender_type: 'USER', entity_id: 'ou_emu' }, created_at: now };
    session.messages.push(message);
    return ok({ message });
  }
  if (kind === 'runs' && req.method === 'POST' && !itemId) {
    if (!body.app_id) return send(400, { code: 99992402, msg: 'field validation failed: app_id is required' });
    const run = { id: id('run'), session_id: sessionId, app_id: body.app_id, polls: 0, question: session.messages.at(-1) };
    model.runs.set(run.id, run);
    return ok({ run: { id: run.id, session_id: sessionId, app_id: body.app_id, status: 'QUEUED', created_at: now } });
  }
  if (kind === 'runs' && req.method === 'GET' && itemId) {
    const run = model.runs.get(itemId);
    if (!run) return send(400, { code: 2320002, msg: 'aily run not found' });
    const statuses = config.statuses ?? ['IN_PROGRESS', 'COMPLETED'];
    const status = statuses[Math.min(run.polls++, statuses.length - 1)];
    return ok({ run: { id: run.id, session_id: sessionId, app_id: run.app_id, status, created_at: now } });
  }
  if (kind === 'messages' && req.method === 'GET' && !itemId) {
    const run = model.runs.get(url.searchParams.get('run_id'));
    const reply = config.reply ?? 'Hello from Aily';
    const assistant = (content, status) => ({ id: `${run.id}_reply`, session_id: sessionId, run_id: run.id, content, content_type: 'MDX', status, sender: { sender_type: 'ASSISTANT', entity_id: run.app_id }, created_at: now });
    const messages = !run ? [] : [
      ...(run.question ? [run.question] : []),
      ...(url.searchParams.get('with_partial_message') === 'true' ? [assistant(reply.slice(0, Math.ceil(reply.length / 2)), 'IN_PROGRESS')] : []),
      assistant(reply, 'COMPLETED'),
    ];
    return ok({ messages, has_more: false, page_token: '' });
  }
  return send(404, { code: 404, msg: 'not modelled' });
}