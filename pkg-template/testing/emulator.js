// A loopback emulator of the Feishu / Lark Open Platform, for tests (this repository's and yours).
//
// It issues and checks tokens and records every request. Every method of the schema
// (catalog/schema.json) answers with data shaped like the platform's reply, and a call whose
// query or body breaks the method's schema gets the platform's parameter error (99992402,
// naming the field). Stateful models keep what they are given: messages, chats, CardKit cards,
// drive uploads, images, OAuth. Faults on demand. `x-emu-echo: 1` echoes the request instead.
// Control API (JSON): POST /__emu/reset, POST /__emu/faults {rules}, POST /__emu/revoke,
// POST /__emu/config {...}, POST /__emu/clear-log, GET /__emu/log; the long connection:
// POST /__emu/ws/push {payload, fragments?, timeoutMs?, type?} → the decoded ack,
// POST /__emu/ws/fault {kind, ...}, POST /__emu/ws/raw {text | base64}, GET /__emu/ws/status.
// Node and Deno (node:http). feishu-edge/testing wraps it as createEmulator().
import http from 'node:http';
import { Buffer } from 'node:buffer';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { loadSchema, sample, deepMerge, violation } from './schema.js';
import { longConnection } from './long-connection.js';
import { handles as officialFlow, serveOfficialFlow, keylessEndpointBody, registrationLog } from './official-flows.js';

/** The schema's methods as matchers: (HTTP method, path) → the method's name and schema. */
let routes;
function route(method, path) {
  if (!routes) {
    routes = new Map();
    for (const [name, m] of Object.entries(loadSchema().methods)) {
      const names = [];
      const re = new RegExp(`^${m.p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
      const list = routes.get(m.m) ?? [];
      list.push({ name, m, re, names, literal: !names.length });
      routes.set(m.m, list);
    }
    // The most specific first: fewer parameters (`…/messages/get_by_card` before
    // `…/messages/{message_id}`), then longer templates.
    for (const list of routes.values()) list.sort((a, b) => a.names.length - b.names.length || b.m.p.length - a.m.p.length);
  }
  for (const r of routes.get(method) ?? []) {
    const hit = r.re.exec(path);
    if (hit) return { name: r.name, schema: r.m, path: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(hit[i + 1])])) };
  }
  return null;
}

/** A multipart/form-data body's parts: { name, filename (null without one), type, bytes }; null when it has no boundary. */
function multipartParts(raw, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) return null;
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts = [];
  let at = raw.indexOf(boundary);
  while (at >= 0 && parts.length < 1000) {
    const start = at + boundary.length;
    if (raw[start] === 0x2d && raw[start + 1] === 0x2d) break; // the closing `--boundary--`
    const headEnd = raw.indexOf('\r\n\r\n', start);
    const next = headEnd < 0 ? -1 : raw.indexOf(boundary, headEnd + 4);
    if (next < 0) break;
    const head = raw.subarray(start, headEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      parts.push({ name, filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null, type: /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '', bytes: raw.subarray(headEnd + 4, next - 2) });
    }
    at = next;
  }
  return parts;
}

/** The query as an object (repeated keys as arrays). */
function queryOf(url) {
  const out = {};
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('__')) continue;
    out[k] = k in out ? [].concat(out[k], v) : v;
  }
  return out;
}

/** The first way a call breaks its method's schema, or null. Multipart bodies are not checked. */
function invalid(r, query, body) {
  const { q, d, k = '' } = r.schema;
  if (q !== undefined) {
    const bad = violation(q, query);
    if (bad) return bad;
  }
  if (d === undefined || k.includes('m')) return null;
  if (body === null || body === undefined) {
    const required = Object.keys(loadSchema().shapes[d] ?? {}).some((key) => !key.endsWith('?'));
    return required ? 'the request body is required' : null;
  }
  return typeof body === 'object' ? violation(d, body) : null;
}

// Resources the emulator keeps: created objects are read back, updated, listed and deleted.
// `key` is the reply field holding the object, `id` its id field (more ids with prefixes).
const MODELS = [
  { base: /^contact\/v3\/users$/, item: /^contact\/v3\/users\/([^/]+)$/, key: 'user', id: 'user_id', ids: { open_id: 'ou_', union_id: 'on_' } },
  { base: /^contact\/v3\/departments$/, item: /^contact\/v3\/departments\/([^/]+)$/, key: 'department', id: 'department_id', ids: { open_department_id: 'od-' } },
  { base: /^task\/v2\/tasks$/, item: /^task\/v2\/tasks\/([^/]+)$/, key: 'task', id: 'guid', ids: {} },
  { base: /^bitable\/v1\/apps\/[^/]+\/tables\/[^/]+\/records$/, item: /^bitable\/v1\/apps\/[^/]+\/tables\/[^/]+\/records\/([^/]+)$/, key: 'record', id: 'record_id', ids: {} },
];

/** Data shaped like the method's reply; a page is the last one. */
function replyOf(r) {
  if (r.schema.r === undefined) return {};
  const data = sample(r.schema.r, 'data');
  if ('has_more' in data) data.has_more = false;
  if ('page_token' in data) data.page_token = '';
  return data;
}

// The app id has the platform's shape (`cli_` + 16 hex digits): the official WSClient refuses
// any other before it connects.
export const DEFAULT_APP_ID = 'cli_0123456789abcdef';
const DEFAULTS = { appId: DEFAULT_APP_ID, appSecret: 'emu_secret_value', appTicket: 'ticket-emu', tokenExpire: 7200, chats: 5 };

/** The emulated platform: its state and the handlers of one emulator's requests. */
/** True when the request's Host (and Origin, when a page sends one) name a loopback host. */
function fromLoopback(req) {
  const loopback = (host) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i.test(host ?? '');
  if (!loopback(req.headers.host)) return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try { return loopback(new URL(origin).host); } catch { return false; }
}

class Platform {
  constructor(options) {
    this.options = options;
    this.state = { config: { ...DEFAULTS, ...options }, log: [], faults: [], tokens: new Map(), counts: {}, seq: 0, cards: new Map(), messages: new Map(), models: new Map(), resources: new Map() };
    this.origin = '';
    this.lc = longConnection(this.state, () => this.origin);
  }

  reset() {
    const state = this.state;
    this.lc.reset();
    state.config = { ...DEFAULTS, ...this.options };
    state.log = [];
    state.faults = [];
    state.tokens = new Map();
    state.counts = {};
    state.cards = new Map();
    state.messages = new Map();
    state.models = new Map();
    state.resources = new Map();
  }

  count(k) {
    return (this.state.counts[k] = (this.state.counts[k] ?? 0) + 1);
  }

  /** One HTTP request: a control path, the long connection's endpoint, or the Open API. */
  async serve(req, res) {
    // Loopback callers only: a web page the developer visits (or a DNS-rebound name) must not
    // drive a long-running emulator (`npx feishu-edge emulator`) and, through it, a dev bridge.
    if (!fromLoopback(req)) {
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      return res.end(JSON.stringify({ code: 403, msg: 'the emulator answers loopback callers only (Host and Origin must be 127.0.0.1, localhost or [::1])' }));
    }
    const raw = await readBounded(req, this.state.config.maxBodyBytes ?? MAX_BODY_BYTES);
    if (raw === null) {
      res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      return res.end(JSON.stringify({ code: 99991400, msg: `request body larger than ${this.state.config.maxBodyBytes ?? MAX_BODY_BYTES} bytes (the emulator's limit)` }));
    }
    const url = new URL(req.url, 'http://emu');
    const logId = `emu-log-${++this.state.seq}`;
    const send = (status, body, headers = {}) => {
      const isString = typeof body === 'string' || Buffer.isBuffer(body);
      res.writeHead(status, {
        'content-type': isString ? 'text/html' : 'application/json; charset=utf-8',
        'x-tt-logid': logId,
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-allow-methods': '*',
        'access-control-expose-headers': '*',
        ...headers,
      });
      res.end(isString ? body : JSON.stringify(body));
    };
    if (this.options.onRequest) {
      // `feishu-edge emulator --verbose`: one line per request.
      const began = Date.now();
      res.on('finish', () => { try { this.options.onRequest({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - began }); } catch { /* a logger's failure is not the emulator's */ } });
    }
    if (req.method === 'OPTIONS') return send(204, '');
    try {
      if (url.pathname.startsWith('/__emu/')) return await this.control(url, raw, send);
      if (url.pathname === '/callback/ws/endpoint' && req.method === 'POST') {
        let body = null;
        try { body = JSON.parse(raw.toString()); } catch { /* answered as bad credentials */ }
        return this.lc.endpoint(keylessEndpointBody(this, req, body), send);
      }
      // Keyless token exchange, registerApp's device flow, the Aily model (official-flows.js).
      if (officialFlow(this, url.pathname)) return serveOfficialFlow(this, req, url, raw, send);
      return await this.api(req, url, raw, send);
    } catch (e) {
      return send(500, { code: -1, msg: `emulator bug: ${e?.stack ?? e}` });
    }
  }

  async control(url, raw, send) {
    let body;
    try { body = raw.length ? JSON.parse(raw.toString()) : {}; } catch { return send(400, { code: -1, msg: 'a control request takes a JSON body' }); }
    if (body === null || typeof body !== 'object') return send(400, { code: -1, msg: 'a control request takes a JSON object' });
    if (await this.controlMore(url, body, send)) return undefined;
    switch (url.pathname) {
      case '/__emu/ws/push':
        try {
          return send(200, await this.lc.pushEvent(body.payload, body));
        } catch (e) {
          return send(504, { error: String(e?.message ?? e) });
        }
      case '/__emu/ws/burst': return send(200, await this.lc.burst(body));
      case '/__emu/ws/fault': { const { kind, ...rest } = body; this.lc.fault(kind, rest); return send(200, { ok: true }); }
      case '/__emu/ws/raw': this.lc.sendRaw(body.text ?? Buffer.from(body.base64 ?? '', 'base64')); return send(200, { ok: true });
      case '/__emu/ws/status': return send(200, this.lc.status());
      case '/__emu/reset': this.state.registration = this.state.aily = undefined; this.reset(); Object.assign(this.state.config, body); return send(200, { ok: true });
      case '/__emu/config': Object.assign(this.state.config, body); return send(200, { ok: true });
      case '/__emu/clear-log': this.state.log = []; this.state.counts = {}; return send(200, { ok: true });
      case '/__emu/faults': this.state.faults.push(...(body.rules ?? [])); return send(200, { ok: true });
      case '/__emu/revoke': for (const t of this.state.tokens.values()) t.revoked = true; return send(200, { ok: true });
      case '/__emu/log': return send(200, { requests: this.state.log, counts: this.state.counts, tokensIssued: [...this.state.tokens.keys()], registration: registrationLog(this) });
      case '/__emu/cards': return send(200, Object.fromEntries(this.state.cards));
      default: return send(404, { code: -1, msg: 'unknown control path' });
    }
  }

  takeFault(path) {
    const i = this.state.faults.findIndex((f) => !f.match || path.includes(f.match));
    if (i < 0) return null;
    const f = this.state.faults[i];
    if (f.count === undefined || --f.count <= 0) this.state.faults.splice(i, 1);
    return f;
  }

  async api(req, url, raw, send) {
    const path = url.pathname.replace(/^\/open-apis\//, '');
    const contentType = req.headers['content-type'] ?? '';
    let body = null;
    let form = null;
    if (contentType.startsWith('multipart/form-data')) {
      // As the platform reads it: a field the method types as a file is a file, with or without
      // a filename (the official SDK sends a Buffer without one).
      const d = route(req.method, path)?.schema.d;
      const shape = d === undefined ? {} : loadSchema().shapes[d] ?? {};
      const fileFields = new Set(Object.entries(shape).filter(([, v]) => v === 'f').map(([k]) => k.replace(/\?$/, '')));
      form = {};
      for (const part of multipartParts(raw, contentType) ?? []) {
        form[part.name] = part.filename !== null || fileFields.has(part.name)
          ? withData({ filename: part.filename ?? '', size: part.bytes.length, type: part.type, bytes: [...part.bytes.subarray(0, 16)] }, part.bytes)
          : part.bytes.toString('utf8');
      }
    } else if (raw.length) {
      try { body = JSON.parse(raw.toString()); } catch { body = raw.toString(); }
    }
    const entry = {
      method: req.method, path, query: url.search, body, form,
      authorization: req.headers.authorization ?? null,
      helpdeskAuthorization: req.headers['x-lark-helpdesk-authorization'] ?? null,
      contentType: contentType || null, headers: { ...req.headers }, at: Date.now(),
    };
    this.state.log.push(entry);

    const fault = this.takeFault(path);
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      switch (fault.kind) {
        case 'rate_limit':
          return send(429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-reset': String(fault.resetSeconds ?? 1), 'x-ogw-ratelimit-limit': '5' });
        case 'server_error': return send(fault.status ?? 500, { code: 1, msg: 'internal error' });
        case 'html502': return send(502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
        case 'truncated': return send(200, '{"code":0,"msg":"success","data":{"items":[{"chat_id":"oc_', { 'content-type': 'application/json' });
        case 'empty': return send(200, '', { 'content-type': 'application/json' });
        case 'api_error': return send(fault.status ?? 400, { code: fault.code ?? 230001, msg: fault.msg ?? 'emulated API error' });
        case 'redirect': return send(fault.status ?? 302, '', { location: fault.location ?? '/' });
        case 'slow': break; // the delay above was the fault
        default: break;
      }
    }

    // `x-emu-echo: 1` skips the emulated behaviour: the request is echoed (catalog tests).
    const echoOnly = req.headers['x-emu-echo'] === '1';
    if (path.startsWith('auth/v3/') && !echoOnly) return this.auth(path, body, send);

    if (!echoOnly && path === 'authen/v2/oauth/token') return this.oauthToken(body, send);
    if (!echoOnly && path.startsWith('bot/v2/hook/')) return this.customBot(body, send);
    const token = (entry.authorization ?? '').replace(/^Bearer /, '');
    // `acceptTokens`: tokens a test passes itself (withTenantToken('t-xxx')), valid as tenant tokens.
    const known = this.state.tokens.get(token) ?? (this.state.config.acceptTokens?.includes(token) ? { kind: 'tenant', revoked: false } : undefined);
    const isUser = token.startsWith('u-');
    if (!isUser && (!known || known.revoked)) {
      return send(400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
    }
    return this.endpoint(req.method, path, url, body, form, send, echoOnly);
  }

  issue(kind) {
    const token = `${kind}-emu-${randomUUID()}`;
    this.state.tokens.set(token, { kind, revoked: false });
    return token;
  }

  auth(path, body, send) {
    const c = this.state.config;
    const creds = body?.app_id === c.appId && body?.app_secret === c.appSecret;
    switch (path) {
      case 'auth/v3/tenant_access_token/internal':
        this.count('tenantToken');
        if (!creds) return send(400, { code: 10014, msg: 'app secret invalid' });
        return send(200, { code: 0, msg: 'ok', tenant_access_token: this.issue('t'), expire: c.tokenExpire });
      case 'auth/v3/app_access_token/internal':
        this.count('appToken');
        if (!creds) return send(400, { code: 10014, msg: 'app secret invalid' });
        return send(200, { code: 0, msg: 'ok', app_access_token: this.issue('a'), expire: c.tokenExpire });
      case 'auth/v3/app_access_token':
        this.count('appToken');
        if (!creds) return send(400, { code: 10014, msg: 'app secret invalid' });
        if (body.app_ticket !== c.appTicket) return send(400, { code: 10012, msg: 'app_ticket is invalid' });
        return send(200, { code: 0, msg: 'ok', app_access_token: this.issue('a'), expire: c.tokenExpire });
      case 'auth/v3/tenant_access_token': {
        this.count('tenantToken');
        const app = this.state.tokens.get(body?.app_access_token);
        if (!app || app.revoked || !body?.tenant_key) return send(400, { code: 99991664, msg: 'invalid app access token' });
        return send(200, { code: 0, msg: 'ok', tenant_access_token: this.issue(`t-${body.tenant_key}`), expire: c.tokenExpire });
      }
      case 'auth/v3/app_ticket/resend':
        this.count('ticketResend');
        return send(200, { code: 0, msg: 'ok' });
      default: return send(404, { code: 404, msg: 'unknown auth endpoint' });
    }
  }

  endpoint(method, path, url, body, form, send, echoOnly = false) {
    if (echoOnly) return this.echo(method, path, url, body, form, send);
    const r = route(method, path);
    if (r) {
      const bad = invalid(r, queryOf(url), body);
      if (bad) {
        const field = bad.split(/[ :]/)[0];
        return send(400, { code: 99992402, msg: `field validation failed: ${bad}`, error: { field_violations: [{ field, description: bad }] } });
      }
    }
    const answer = (data) => send(200, { code: 0, msg: 'success', data: r ? deepMerge(replyOf(r), data) : data });
    // The chat history and the uploaded resources: the block after this class.
    if (this.history(method, path, url, body, form, send)) return undefined;
    const paged = this.state.config.pages?.[path];
    if (paged) {
      // Generic paging for configured paths: { total, key } items named `${path}#i`.
      const size = Number(url.searchParams.get('page_size') ?? 20);
      const start = Number(url.searchParams.get('page_token') ?? 0);
      const items = [];
      for (let i = start; i < Math.min(start + size, paged.total); i++) items.push({ id: `${path}#${i}` });
      const next = start + size;
      return send(200, { code: 0, msg: 'success', data: { [paged.key ?? 'items']: items, has_more: next < paged.total, page_token: next < paged.total ? String(next) : '' } });
    }
    if (method === 'GET' && /^im\/v1\/messages\/[^/]+\/resources\/[^/]+$/.test(path)) {
      return send(200, Buffer.from(`resource:${decodeURIComponent(path.split('/')[5])}:${url.searchParams.get('type')}`), { 'content-type': 'application/octet-stream' });
    }
    if (method === 'POST' && path === 'drive/v1/files/upload_prepare') {
      this.state.uploads = { id: `up_${this.state.seq}`, parts: [], meta: body };
      return send(200, { code: 0, msg: 'success', data: { upload_id: this.state.uploads.id, block_size: this.state.config.driveBlockSize ?? 4 * 1024 * 1024, block_num: 0 } });
    }
    if (method === 'POST' && path === 'drive/v1/files/upload_part') {
      this.state.uploads.parts.push({ seq: Number(form.seq), size: Number(form.size), bytes: form.file.size, uploadId: form.upload_id });
      return send(200, { code: 0, msg: 'success', data: {} });
    }
    if (method === 'POST' && path === 'drive/v1/files/upload_finish') {
      return send(200, { code: 0, msg: 'success', data: { file_token: `box_${body.block_num}_parts` } });
    }
    if (method === 'POST' && path === 'drive/v1/files/upload_all') {
      return send(200, { code: 0, msg: 'success', data: { file_token: `box_all_${form.size}` } });
    }
    if (method === 'GET' && path === 'authen/v1/user_info') {
      return send(200, { code: 0, msg: 'success', data: { open_id: 'ou_oauth_user', name: 'OAuth User' } });
    }
    if (method === 'GET' && path === 'im/v1/chats') {
      const total = this.state.config.chats;
      const size = Math.min(Number(url.searchParams.get('page_size') ?? 20), 100);
      const start = Number(url.searchParams.get('page_token') ?? 0);
      const items = [];
      const shape = route('GET', 'im/v1/chats');
      const template = replyOf(shape).items?.[0] ?? {};
      for (let i = start; i < Math.min(start + size, total); i++) items.push({ ...template, chat_id: `oc_${i}`, name: `chat ${i}`, tenant_key: 'tk_emu', chat_status: 'normal' });
      const next = start + size;
      return send(200, { code: 0, msg: 'success', data: { items, has_more: next < total, page_token: next < total ? String(next) : '' } });
    }
    // CardKit's model: card creation, streamed element content, settings (other calls: schema).
    const cardkitCall = (method === 'POST' && path === 'cardkit/v1/cards')
      || (method === 'PUT' && /^cardkit\/v1\/cards\/[^/]+\/elements\/[^/]+\/content$/.test(path))
      || (method === 'PATCH' && /^cardkit\/v1\/cards\/[^/]+\/settings$/.test(path));
    if (cardkitCall) return this.cardkit(method, path, body, send);
    if (method === 'POST' && /^im\/v1\/messages\/[^/]+\/reply$/.test(path)) {
      const parent = this.state.messages.get(decodeURIComponent(path.split('/')[3]));
      const parentId = decodeURIComponent(path.split('/')[3]);
      return answer(this.message(body, { parent_id: parentId, root_id: parent?.root_id || parentId, chat_id: parent?.chat_id ?? `oc_${randomUUID().slice(0, 8)}`, thread_id: body?.reply_in_thread ? `omt_${randomUUID().slice(0, 8)}` : '' }));
    }
    if (method === 'POST' && path === 'im/v1/messages') {
      const chat = url.searchParams.get('receive_id_type') === 'chat_id' ? body?.receive_id : `oc_p2p_${String(body?.receive_id ?? '').slice(0, 12)}`;
      return answer(this.message(body, { chat_id: chat }));
    }
    if (method === 'GET' && /^im\/v1\/messages\/[^/]+$/.test(path)) {
      const m = this.state.messages.get(decodeURIComponent(path.split('/')[3]));
      if (!m) return send(400, { code: 230001, msg: 'message not found (the emulator knows the messages it was sent)' });
      return answer({ items: [m] });
    }
    if (method === 'GET' && path.startsWith('im/v1/images/')) {
      const key = decodeURIComponent(path.slice('im/v1/images/'.length));
      if (key === 'missing') return send(404, { code: 234003, msg: 'image not found' });
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, ...Buffer.from(key)]);
      return send(200, bytes, { 'content-type': 'image/png', 'content-disposition': `attachment; filename="${key}.png"` });
    }
    if (r?.schema.k?.includes('b')) {
      // Every other download answers with bytes, as the platform does: its name and the id.
      const id = decodeURIComponent(path.split('/').filter((p) => !/^(download|resources)$/.test(p)).pop());
      return send(200, Buffer.from(`${r.name}:${id}`), { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${id.replace(/[^\w.-]/g, '_')}"` });
    }
    if (r) {
      const modelled = this.resource(method, path, body, r);
      if (modelled) return answer(modelled);
      return answer({});
    }
    // The sheets v2 cell-value methods are real but outside the schema: echoed.
    if (/^sheets\/v2\/spreadsheets\/[^/]+\/(values|values_append|values_prepend|values_batch_get|values_batch_update|values_image)(\/|$)/.test(path)) {
      return this.echo(method, path, url, body, form, send);
    }
    // Like the platform: a path no method has is a 404, never a success (a typo must fail).
    return send(404, '404 page not found', { 'content-type': 'text/plain' });
  }

  /** Create / get / update / delete / list on a kept resource; null when `path` is not one. */
  resource(method, path, body, r) {
    for (const m of MODELS) {
      const store = this.state.models.get(m.key) ?? new Map();
      this.state.models.set(m.key, store);
      const template = () => replyOf(r)[m.key] ?? replyOf(r).items?.[0] ?? {};
      if (m.base.test(path)) {
        if (method === 'POST') {
          const id = `${m.key}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
          const extra = Object.fromEntries(Object.entries(m.ids).map(([k, prefix]) => [k, `${prefix}${id}`]));
          const given = body && typeof body === 'object' ? (body[m.key] ?? body) : {};
          const obj = deepMerge(deepMerge(template(), given), { [m.id]: id, ...extra });
          for (const key of [id, ...Object.values(extra)]) store.set(key, obj);
          return { [m.key]: obj };
        }
        if (method === 'GET' && store.size) return { items: [...new Set(store.values())], has_more: false, page_token: '' };
        return null;
      }
      const hit = m.item.exec(path);
      if (!hit) continue;
      const id = decodeURIComponent(hit[1]);
      const kept = store.get(id);
      if (method === 'DELETE') {
        if (kept) for (const [k, v] of store) if (v === kept) store.delete(k);
        return {};
      }
      const current = kept ?? deepMerge(template(), { [m.id]: id });
      if (method === 'PATCH' || method === 'PUT') {
        const given = body && typeof body === 'object' ? (body[m.key] ?? body) : {};
        const next = deepMerge(current, given);
        for (const [k, v] of store) if (v === kept) store.set(k, next);
        return { [m.key]: next };
      }
      if (method === 'GET') return { [m.key]: current };
      return null;
    }
    return null;
  }

  /** A sent message, with the fields the platform returns, kept for later reads. */
  message(body, fields) {
    const now = String(Date.now());
    const id = `om_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const m = {
      message_id: id, root_id: '', parent_id: '', thread_id: '', msg_type: body?.msg_type ?? 'text',
      create_time: now, update_time: now, deleted: false, updated: false,
      sender: { id: this.state.config.appId, id_type: 'app_id', sender_type: 'app', tenant_key: 'tk_emu' },
      body: { content: body?.content ?? '' }, mentions: [], upper_message_id: '',
      ...fields,
    };
    this.keepMessage(m);
    return m;
  }

  echo(method, path, url, body, form, send) {
    const record = { method, path, query: url.search, body, form };
    // Binary endpoints: `?__binary=1` answers with bytes (the echo as JSON text), as downloads do.
    if (url.searchParams.get('__binary') === '1') return send(200, Buffer.from(JSON.stringify(record)), { 'content-type': 'application/octet-stream' });
    return send(200, { code: 0, msg: 'success', data: { echo: record } });
  }

  // OAuth v2 token endpoint (on the accounts host: the same origin here).
  oauthToken(body, send) {
    this.count('oauthToken');
    const c = this.state.config;
    if (body?.client_id !== c.appId || body?.client_secret !== c.appSecret) return send(400, { code: 20002, error: 'invalid_client', msg: 'client secret invalid' });
    const issue = (n) => send(200, { code: 0, access_token: `u-oauth-${n}`, refresh_token: `r-oauth-${n}`, expires_in: c.oauthExpire ?? 7200, refresh_token_expires_in: 604800, scope: 'auth:user.id:read', token_type: 'Bearer' });
    if (body.grant_type === 'authorization_code' && body.code === 'code-ok') return issue(1);
    if (body.grant_type === 'refresh_token' && /^r-oauth-\d+$/.test(body.refresh_token)) return issue(Number(body.refresh_token.split('-')[2]) + 1);
    return send(400, { code: 20003, error: 'invalid_grant', msg: 'the code or refresh token is invalid' });
  }

  // Group custom bots: checks the sign when a secret is configured.
  customBot(body, send) {
    const secret = this.state.config.botSecret;
    if (secret) {
      const expected = createHmac('sha256', `${body?.timestamp}\n${secret}`).update('').digest('base64');
      if (body?.sign !== expected) return send(200, { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' });
    }
    return send(200, { code: 0, msg: 'success', data: {} });
  }

  // CardKit: card entities whose elements take streamed content with strictly increasing
  // sequences; a repeated uuid is acknowledged without being applied again.
  cardkit(method, path, body, send) {
    const parts = path.split('/').map(decodeURIComponent); // cardkit v1 cards {id} ...
    if (method === 'POST' && parts.length === 3) {
      if (body?.type !== 'card_json' || typeof body?.data !== 'string') return send(400, { code: 300301, msg: 'type must be card_json and data a string' });
      let card;
      try { card = JSON.parse(body.data); } catch { return send(400, { code: 300302, msg: 'data is not JSON' }); }
      const id = `card_emu_${this.state.cards.size + 1}`;
      const elements = {};
      const walk = (list) => { for (const el of list ?? []) { if (el.element_id) elements[el.element_id] = el.content ?? ''; walk(el.elements); for (const c of el.columns ?? []) walk(c.elements); } };
      walk(card.body?.elements);
      this.state.cards.set(id, { card, elements, streaming: card.config?.streaming_mode === true, sequences: [], uuids: [], updates: 0, settingsCalls: 0 });
      return send(200, { code: 0, msg: 'success', data: { card_id: id } });
    }
    const entry = this.state.cards.get(parts[3]);
    if (!entry) return send(400, { code: 300311, msg: 'card not found' });
    const apply = (fn) => {
      if (entry.uuids.includes(body?.uuid)) return send(200, { code: 0, msg: 'success (repeated uuid, not applied again)', data: {} });
      const last = entry.sequences[entry.sequences.length - 1] ?? 0;
      if (!(body?.sequence > last)) return send(400, { code: 300317, msg: `sequence ${body?.sequence} must be greater than ${last}` });
      entry.sequences.push(body.sequence);
      entry.uuids.push(body.uuid);
      fn();
      return send(200, { code: 0, msg: 'success', data: {} });
    };
    if (method === 'PUT' && parts[4] === 'elements' && parts[6] === 'content') {
      if (!(parts[5] in entry.elements)) return send(400, { code: 300312, msg: `no element ${parts[5]}` });
      if (!entry.streaming) return send(400, { code: 300309, msg: 'streaming mode is closed' });
      return apply(() => { entry.elements[parts[5]] = body.content; entry.updates++; });
    }
    if (method === 'PATCH' && parts[4] === 'settings') {
      return apply(() => {
        entry.settingsCalls++;
        const settings = JSON.parse(body.settings);
        if (settings?.config?.streaming_mode === false) entry.streaming = false;
      });
    }
    return send(404, { code: 404, msg: 'unknown cardkit call' });
  }
}

// ---- The chat history, the uploaded resources and the push routes (issue 24) ---------------
// Messages sent to a chat (create, reply, and those pushed by /__emu/ws/message) are listed
// back by GET im/v1/messages and read by GET im/v1/messages/:id; images and files uploaded
// (im/v1/images, im/v1/files) download with the same bytes (im/v1/images/:key,
// im/v1/files/:key, im/v1/messages/:id/resources/:key?type=image|file). Keys the emulator
// never issued keep the old answers (made-up bytes), so tests written before it still pass.

/** The largest request body the emulator reads (the platform takes files up to 30 MB): 413 above. */
const MAX_BODY_BYTES = 40 * 1024 * 1024;
/** Uploaded resources kept (the oldest go first). */
const MAX_RESOURCES = 500;
/** Messages kept (the oldest go first). */
const MAX_MESSAGES = 20000;

/** The request's body, or null once it passes `limit` bytes (the rest is not read). */
async function readBounded(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > limit) { req.resume(); return null; }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A file part's log entry, carrying its whole bytes as `data` (not enumerable: not in the log's JSON). */
function withData(entry, bytes) {
  return Object.defineProperty(entry, 'data', { value: bytes, enumerable: false });
}

/** A content type from the first bytes of an image. */
function imageType(b) {
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  if (b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}

// The envelope fields that live in an event's `header`, not in its body (as fixtures.event).
const HEADER_KEYS = ['event_id', 'token', 'create_time', 'event_type', 'tenant_key', 'ts', 'uuid', 'type', 'app_id'];

/** A schema 2.0 event of `type` as the platform pushes it, every documented field filled; null for an unknown type. */
function eventEnvelope(type, overrides, { appId, tenantKey = 'tk_emu', eventId = `ev_${randomUUID().replace(/-/g, '')}` } = {}) {
  const shape = loadSchema().events[type];
  if (shape === undefined) return null;
  const body = sample(shape, 'event');
  for (const k of HEADER_KEYS) delete body[k];
  if ('tenant_key' in body) body.tenant_key = tenantKey;
  return { schema: '2.0', header: { event_id: eventId, event_type: type, create_time: String(Date.now()), token: '', app_id: appId, tenant_key: tenantKey }, event: deepMerge(body, overrides ?? {}) };
}

const paramError = (send, field, what) => send(400, { code: 99992402, msg: `field validation failed: ${field}: ${what}`, error: { field_violations: [{ field, description: what }] } });

Object.assign(Platform.prototype, {
  /** Keeps a message (the oldest go past MAX_MESSAGES). */
  keepMessage(m) {
    const kept = this.state.messages;
    kept.set(m.message_id, m);
    if (kept.size > MAX_MESSAGES) kept.delete(kept.keys().next().value);
    return m;
  },

  /** Keeps an uploaded resource; returns its key (the same bytes, the same key). */
  keepResource(kind, bytes, meta) {
    const key = `${kind === 'image' ? 'img_v3_' : 'file_v3_'}${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`;
    const kept = this.state.resources;
    kept.delete(key);
    kept.set(key, { kind, bytes: Buffer.from(bytes), ...meta });
    if (kept.size > MAX_RESOURCES) kept.delete(kept.keys().next().value);
    return key;
  },

  sendResource(send, r, key) {
    const name = (r.name || key).replace(/[^\w.-]/g, '_');
    return send(200, r.bytes, { 'content-type': r.type || 'application/octet-stream', 'content-length': String(r.bytes.length), 'content-disposition': `attachment; filename="${name}"` });
  },

  /** The history and resources' calls: true when answered, false to let the rest answer. */
  history(method, path, url, body, form, send) {
    const q = url.searchParams;
    const ok = (data) => { send(200, { code: 0, msg: 'success', data }); return true; };
    if (method === 'POST' && path === 'im/v1/images') {
      const file = form?.image;
      if (!file?.data) return paramError(send, 'image', 'is required (a file part)') ?? true;
      return ok({ image_key: this.keepResource('image', file.data, { type: imageType(file.data), name: file.filename || '', imageType: form.image_type }) });
    }
    if (method === 'POST' && path === 'im/v1/files') {
      const file = form?.file;
      if (!file?.data) return paramError(send, 'file', 'is required (a file part)') ?? true;
      return ok({ file_key: this.keepResource('file', file.data, { type: file.type && file.type !== 'application/octet-stream' ? file.type : 'application/octet-stream', name: form.file_name || file.filename || '', fileType: form.file_type, duration: form.duration }) });
    }
    if (method === 'GET' && /^im\/v1\/(images|files)\/[^/]+$/.test(path)) {
      const key = decodeURIComponent(path.split('/')[3]);
      const r = this.state.resources.get(key);
      if (!r) return false;
      return this.sendResource(send, r, key) ?? true;
    }
    if (method === 'GET' && /^im\/v1\/messages\/[^/]+\/resources\/[^/]+$/.test(path)) {
      const key = decodeURIComponent(path.split('/')[5]);
      const r = this.state.resources.get(key);
      if (!r) return false;
      // The platform: type=image for images, type=file for files, audio and video.
      const type = q.get('type');
      if (type !== (r.kind === 'image' ? 'image' : 'file')) return paramError(send, 'type', `must be ${r.kind === 'image' ? 'image' : 'file'} for ${key}, got ${JSON.stringify(type)}`) ?? true;
      return this.sendResource(send, r, key) ?? true;
    }
    if (method === 'GET' && path === 'im/v1/messages') return this.listMessages(q, send) ?? true;
    const one = /^im\/v1\/messages\/([^/]+)$/.exec(path);
    const kept = one && this.state.messages.get(decodeURIComponent(one[1]));
    if (kept && (method === 'PATCH' || method === 'PUT')) {
      // PATCH: a card's new content; PUT: an edited text or post.
      Object.assign(kept, { body: { content: body?.content ?? kept.body.content }, msg_type: body?.msg_type ?? kept.msg_type, updated: true, update_time: String(Date.now()) });
      return method === 'PATCH' ? ok({}) : ok(kept);
    }
    if (kept && method === 'DELETE') {
      Object.assign(kept, { deleted: true, body: { content: 'This message was recalled' }, update_time: String(Date.now()) });
      return ok({});
    }
    return false;
  },

  /** GET im/v1/messages: a chat's (or a thread's) messages, oldest first unless ByCreateTimeDesc, paged. */
  listMessages(q, send) {
    const kind = q.get('container_id_type');
    const id = q.get('container_id');
    if (kind !== 'chat' && kind !== 'thread') return paramError(send, 'container_id_type', `invalid value ${JSON.stringify(kind)} (chat or thread)`);
    if (!id) return paramError(send, 'container_id', 'is required');
    const size = q.has('page_size') ? Number(q.get('page_size')) : 20;
    if (!Number.isInteger(size) || size < 1 || size > 50) return paramError(send, 'page_size', 'must be between 1 and 50');
    const token = q.get('page_token') || '';
    const start = token ? /^emu_pt_(\d{1,9})$/.exec(token)?.[1] : '0';
    if (start === undefined) return paramError(send, 'page_token', 'is not a page token this emulator issued');
    const from = Number(q.get('start_time') || 0) * 1000;
    const to = q.get('end_time') ? Number(q.get('end_time')) * 1000 + 999 : Infinity;
    let items = [...this.state.messages.values()].filter((m) => (kind === 'chat' ? m.chat_id === id : m.thread_id === id)
      && Number(m.create_time) >= from && Number(m.create_time) <= to);
    if (q.get('sort_type') === 'ByCreateTimeDesc') items.reverse();
    const at = Number(start);
    const page = items.slice(at, at + size);
    const more = at + size < items.length;
    items = page.map((m) => structuredClone(m));
    return send(200, { code: 0, msg: 'success', data: { has_more: more, page_token: more ? `emu_pt_${at + size}` : '', items } });
  },

  /**
   * The control routes of this block; true when answered.
   * POST /__emu/ws/event   { event_type, event?, tenant_key?, timeoutMs? }: an event of any type of the schema
   * POST /__emu/ws/message { chat_id?, text?, msg_type?, content?, open_id?, chat_type?, timeoutMs? }: a user's message, kept in the chat's history
   * POST /__emu/ws/card    { value?, tag?, form_value?, open_id?, message_id?, chat_id?, timeoutMs? }: a card button click
   * each pushed over the long connection; the answer is { event_id, message_id?, ack: { code, data } }
   * GET  /__emu/messages?chat_id=: the messages kept (every chat without chat_id)
   * GET  /__emu/info: { url, appId, connections } (no secret)
   */
  async controlMore(url, body, send) {
    const c = this.state.config;
    const push = async (payload, extra = {}) => {
      if (this.lc.status().connections === 0) return send(409, { error: 'no open long connection to push to: start a client (WSClient, feishu-edge dev) first', ...extra });
      try {
        const ack = await this.lc.pushEvent(payload, { timeoutMs: Math.min(Number(body.timeoutMs) || 10000, 60000) });
        return send(200, { event_id: payload.header.event_id, ...extra, ack: { code: ack.code, data: ack.data } });
      } catch (e) {
        return send(504, { error: String(e?.message ?? e), ...extra });
      }
    };
    const text = (v, fallback) => (typeof v === 'string' && v ? v.slice(0, 256) : fallback);
    switch (url.pathname) {
      case '/__emu/info':
        send(200, { url: this.origin, appId: c.appId, connections: this.lc.status().connections });
        return true;
      case '/__emu/messages': {
        const chat = url.searchParams.get('chat_id');
        send(200, { items: [...this.state.messages.values()].filter((m) => !chat || m.chat_id === chat) });
        return true;
      }
      case '/__emu/ws/event': {
        const type = body.event_type;
        const payload = typeof type === 'string' ? eventEnvelope(type, body.event, { appId: c.appId, tenantKey: text(body.tenant_key, 'tk_emu') }) : null;
        if (!payload) send(400, { error: `event_type ${JSON.stringify(type)} is not an event type of the schema (catalog/schema.json lists them)` });
        else await push(payload);
        return true;
      }
      case '/__emu/ws/message': {
        const chatId = text(body.chat_id, 'oc_emu_chat');
        const openId = text(body.open_id, 'ou_emu_user');
        const msgType = text(body.msg_type, 'text');
        const content = typeof body.content === 'string' ? body.content : JSON.stringify(body.content ?? { text: typeof body.text === 'string' ? body.text : 'hello' });
        const m = this.message({ msg_type: msgType, content }, { chat_id: chatId, sender: { id: openId, id_type: 'open_id', sender_type: 'user', tenant_key: 'tk_emu' } });
        const id = openId.replace(/^ou_/, '');
        const payload = eventEnvelope('im.message.receive_v1', {
          sender: { sender_id: { open_id: openId, union_id: `on_${id}`, user_id: `u_${id}` }, sender_type: 'user', tenant_key: 'tk_emu' },
          message: { message_id: m.message_id, root_id: '', parent_id: '', thread_id: '', chat_id: chatId, chat_type: text(body.chat_type, 'group'), message_type: msgType, content, create_time: m.create_time, update_time: m.update_time, mentions: [] },
        }, { appId: c.appId });
        await push(payload, { message_id: m.message_id });
        return true;
      }
      case '/__emu/ws/card': {
        const openId = text(body.open_id, 'ou_emu_user');
        const id = openId.replace(/^ou_/, '');
        const action = { tag: text(body.tag, 'button'), value: body.value && typeof body.value === 'object' ? body.value : {} };
        if (body.form_value && typeof body.form_value === 'object') action.form_value = body.form_value;
        const payload = eventEnvelope('card.action.trigger', {}, { appId: c.appId }) ?? { schema: '2.0', header: { event_id: `ev_${randomUUID().replace(/-/g, '')}`, event_type: 'card.action.trigger', create_time: String(Date.now()), token: '', app_id: c.appId, tenant_key: 'tk_emu' } };
        payload.event = {
          operator: { tenant_key: 'tk_emu', user_id: `u_${id}`, open_id: openId, union_id: `on_${id}` },
          token: `c-${randomUUID()}`, action, host: 'im_message',
          context: { open_message_id: text(body.message_id, 'om_emu_card'), open_chat_id: text(body.chat_id, 'oc_emu_chat') },
        };
        await push(payload);
        return true;
      }
      default: return false;
    }
  },
});
// ---- end of issue 24's block ---------------------------------------------------------------

export function startEmulator(options = {}) {
  const platform = new Platform(options);
  const server = http.createServer((req, res) => platform.serve(req, res));
  const { lc, state } = platform;
  return new Promise((resolve, reject) => {
    server.once('error', reject); // a port in use, say
    server.on('upgrade', (req, socket) => lc.upgrade(req, socket));
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address();
      platform.origin = `http://127.0.0.1:${port}`;
      const close = () => new Promise((r) => { lc.reset(); server.closeAllConnections?.(); server.close(() => r()); });
      resolve({ url: platform.origin, port, state, close, pushEvent: lc.pushEvent, wsFault: lc.fault, wsStatus: lc.status, wsSendRaw: lc.sendRaw });
    });
  });
}
