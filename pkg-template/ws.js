// WSClient: events and card callbacks over the long connection. The decisions (what an
// endpoint reply means, pings, liveness, reconnect timing, frames, acks) are the Rust core's
// (src/ws); this file owns the socket, the one timer and the handler race, and performs the
// core's actions.
//
// The machine is a wasm of its own (wasm-ws/), instantiated by the first WSClient: a program
// that never constructs one never instantiates it, and a bundle that never imports an entry
// able to load it (`feishu-edge/ws`, or the Node entry) does not carry it. Payloads go to the
// main wasm's dispatcher, with the connection's de-duplication (WasmWsDedupe) from there too.
import { WasmWsDedupe } from './wasm/feishu_edge_bg.js';
import * as wsGlue from './wasm-ws/feishu_edge_bg.js';
import { imports as wsImports } from './wasm-ws/imports.js';
import { FeishuError, env, dispatcherCoreOf, readLimited } from './internal.js';
import { ENV, HEADERS } from './generated/protocol.js';

/**
 * Set by an entry that can load the long connection's wasm: instantiates it (with
 * `startWs`), or has already. Node's reads the file on first use; `feishu-edge/ws`'s imports
 * the module.
 */
let loadWs = null;
let wsReady = false;
/** @internal */
export function setWsLoader(load) {
  loadWs = load;
}
/** @internal Instantiates the long connection's wasm from its compiled module. */
export function startWs(module) {
  const instance = new WebAssembly.Instance(module, wsImports);
  wsGlue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
}
/** The long connection's wasm, instantiated on first use. */
function wsCore() {
  if (!wsReady) {
    if (!loadWs) {
      throw new FeishuError({ kind: 'config', message: "WSClient: this entry does not load the long connection's wasm (Workers, Deno and bundlers do not carry it unless asked): import { WSClient } from 'feishu-edge/ws'" });
    }
    loadWs();
    wsGlue.install(FeishuError);
    wsReady = true;
  }
  return wsGlue;
}

/** How often the handlers still running are checked against the core's `ackAfterMs`. */
const SWEEP_MS = 100;

/**
 * Opens a socket and reports to `on`: `open()`, `message(bytes | string)`, `refused(status,
 * headers)`, `closed(why)`. Returns `close()`. Three kinds: workerd (a fetch upgrade, which
 * shows a refusal's status and headers), the `ws` package (its 'unexpected-response' shows
 * them too), and the standard WebSocket (a refusal is only a failed connection).
 */
function openSocket(WS, url, agent, maxPayload, on) {
  let socket, done = false;
  const dialing = new AbortController();
  const closed = (why) => { if (!done) { done = true; on.closed(why); } };
  const attach = (s) => {
    socket = s;
    s.binaryType = 'arraybuffer';
    s.addEventListener('message', (e) => on.message(typeof e.data === 'string' ? e.data : new Uint8Array(e.data)));
    s.addEventListener('close', (e) => closed(`closed with code ${e.code}`));
    s.addEventListener('error', (e) => closed(e?.message ?? 'socket error'));
  };
  if (!WS && typeof globalThis.WebSocketPair === 'function') {
    fetch(url.replace(/^ws/, 'http'), { headers: { Upgrade: 'websocket' }, signal: dialing.signal }).then((res) => {
      const ws = res?.webSocket;
      if (done) {
        // Closed while dialing: a socket must be accepted before it can be closed.
        try { ws?.accept(); ws?.close(); } catch { /* gone already */ }
        return;
      }
      if (!ws) {
        done = true;
        return on.refused(res?.status, res?.headers ?? new Headers());
      }
      try {
        ws.accept();
      } catch (e) {
        return closed(e?.message ?? 'the socket could not be accepted');
      }
      attach(ws);
      on.open();
    }, (e) => closed(e?.message ?? 'fetch failed')).catch((e) => on.failed(e));
  } else {
    const Socket = WS ?? globalThis.WebSocket;
    let s;
    try {
      // The `ws` package (it has `on`; it takes options) buffers a message up to 100 MiB by
      // default: `maxPayload` refuses one over the core's limit before it is buffered. The
      // standard WebSocket takes no options.
      const takesOptions = agent !== undefined || typeof Socket.prototype?.on === 'function';
      s = takesOptions ? new Socket(url, { ...(agent === undefined ? {} : { agent }), maxPayload }) : new Socket(url);
    } catch {
      // A URL the socket refuses is a failed attempt (its message would quote the ticket).
      queueMicrotask(() => closed('the WebSocket constructor refused the endpoint URL'));
      return { send() {}, close() { done = true; } };
    }
    if (typeof s.on === 'function') {
      s.on('unexpected-response', (req, res) => {
        done = true;
        const headers = new Map(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        req.destroy?.();
        on.refused(res.statusCode, headers);
      });
    }
    s.addEventListener('open', () => on.open());
    attach(s);
  }
  return {
    send(bytes) { socket?.send(bytes); },
    close() {
      done = true;
      dialing.abort();
      try { (socket?.terminate ?? socket?.close)?.call(socket); } catch { /* already closed */ }
    },
  };
}

/** Set by the Node entry: loads the project's `ws` package, or returns null. */
let loadFallbackSocket = null;
/** @internal The Node entry's fallback for runtimes without a global WebSocket. */
export function setFallbackSocket(load) {
  loadFallbackSocket = load;
}

/**
 * Receives events and card callbacks over the long connection (no public URL). The official
 * client's shape: `new WSClient({ appId, appSecret })`, `await ws.start({ eventDispatcher })`,
 * `ws.getConnectionStatus()`, `await ws.close()`.
 */
export class WSClient {
  #core; #dedupe; #options; #dispatcher; #socket = null; #generation = -1; #timer; #armedAt; #deliver;
  /** start() calls waiting to settle; the endpoint request in flight (its AbortController). */
  #waiters = []; #endpoint = null; #fetch; #maxFrame;

  constructor(options = {}) {
    if (typeof window !== 'undefined' && typeof document !== 'undefined' && !globalThis.Deno) {
      throw new FeishuError({ kind: 'config', message: 'WSClient does not run in a browser: it needs the app secret, which must never ship to a browser. Run it on a server (Node, Deno) and receive events there.' });
    }
    const { agent, logger, logLevel, loggerLevel, dedupeStore, fetch, onReady, onError, onReconnecting, onReconnected, clientAssertionProvider, ...rest } = options;
    let { WebSocket } = options;
    delete rest.WebSocket;
    // Node before 22 has no global WebSocket: the `ws` package, when the project has it (the
    // official SDK depends on it), as the official client uses it.
    if (!WebSocket && typeof globalThis.WebSocket !== 'function' && typeof globalThis.WebSocketPair !== 'function') WebSocket = loadFallbackSocket?.() ?? undefined;
    if (agent !== undefined && typeof WebSocket !== 'function') {
      throw new FeishuError({ kind: 'config', message: 'WSClient option `agent` is passed to a WebSocket constructor that takes options (the `ws` package): pass that constructor as `WebSocket` too' });
    }
    const config = { ...rest, appId: rest.appId ?? env(ENV.appId), appSecret: rest.appSecret ?? env(ENV.appSecret) };
    if (config.baseUrl === undefined && config.domain === undefined) config.baseUrl = env(ENV.baseUrl);
    if (clientAssertionProvider) config.clientAssertion = true; // keyless: an assertion instead of the secret
    const level = logLevel ?? (loggerLevel == null ? undefined : String(loggerLevel));
    // Checked before the core exists: a constructor that throws leaves nothing behind.
    if (fetch !== undefined && typeof fetch !== 'function') throw new FeishuError({ kind: 'config', message: 'WSClient option `fetch` must be a function' });
    if (!WebSocket && typeof globalThis.WebSocket !== 'function' && typeof globalThis.WebSocketPair !== 'function') {
      throw new FeishuError({ kind: 'config', message: 'this runtime has no global WebSocket (Node before 22) and the `ws` package is not installed: `npm install ws`, or pass a WebSocket constructor as the `WebSocket` option' });
    }
    const { WasmWsClient } = wsCore();
    this.#core = new WasmWsClient(JSON.stringify(config, (_, v) => (v === undefined ? null : v)), logger, level, Math.random());
    try {
      this.#dedupe = new WasmWsDedupe(dedupeStore, logger, level);
    } catch (e) {
      this.#core.free();
      throw e;
    }
    this.#fetch = fetch;
    this.#maxFrame = this.#core.maxFrameBytes;
    this.#options = { WebSocket, agent, onReady, onError, onReconnecting, onReconnected, clientAssertionProvider, appId: config.appId };
  }

  /**
   * Connects and dispatches every event and card callback to `eventDispatcher`. Resolves once
   * connected; rejects with a FeishuError when the platform refuses the app for good.
   */
  start({ eventDispatcher, deliver } = {}) {
    const core = eventDispatcher && dispatcherCoreOf(eventDispatcher);
    if (!core && typeof deliver !== 'function') return Promise.reject(new TypeError('start({ eventDispatcher }) needs an EventDispatcher'));
    this.#dispatcher = core;
    this.#deliver = deliver;
    if (this.#core.status().state === 'open') return Promise.resolve();
    // Every call settles: once connected (or reconnected), or rejected when refused for good
    // or closed first. A call while connecting or reconnecting waits for that attempt.
    const started = new Promise((resolve, reject) => { this.#waiters.push({ resolve, reject }); });
    this.#run(this.#core.start());
    return started;
  }

  /**
   * After how long (ms) a handler still running is acked 200 anyway (it keeps running; the
   * platform pushes again what is not acked within 3 s). Checked every 100 ms, so the ack goes
   * out within 100 ms after this.
   */
  get ackDeadlineMs() {
    return this.#core.ackAfterMs;
  }

  /** `{ state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed', lastConnectTime, nextConnectTime, reconnectAttempts, lastFrameTime }`. */
  getConnectionStatus() {
    return this.#core.status();
  }

  /**
   * Closes the connection: aborts the endpoint request or handshake in flight, no reconnect
   * and no timer afterwards, so the process can exit. A `start()` still pending rejects.
   * Resolves once the handlers still running have finished, or after `closeWaitMs` (1 s) at
   * most; their acks are not sent (the platform pushes those events again).
   */
  async close() {
    this.#run(this.#core.close());
    this.#endpoint?.abort();
    this.#endpoint = null;
    this.#socket?.close();
    this.#socket = null;
    clearTimeout(this.#timer);
    this.#timer = this.#armedAt = undefined;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    if (this.#waiters.length) this.#settle(this.#core.closedError());
    const running = [...this.#busy];
    if (!running.length) return;
    let timer;
    await Promise.race([Promise.allSettled(running), new Promise((r) => { timer = setTimeout(r, this.#core.closeWaitMs); })]);
    clearTimeout(timer);
  }

  #callback(name, ...args) {
    try { this.#options[name]?.(...args); } catch { /* a callback that throws is not our failure */ }
  }

  #settle(error) {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) if (error) w.reject(error); else w.resolve();
  }

  #run(actions) {
    for (const a of actions) {
      switch (a.type) {
        case 'fetch': this.#fetchEndpoint().then((next) => this.#run(next)).catch((e) => this.#callback('onError', e)); break;
        case 'connect': this.#connect(a.url, a.generation); break;
        case 'send': try { this.#socket?.send(a.bytes); } catch { /* closing: the core learns from the close */ } break;
        case 'close': if (a.generation === this.#generation) { this.#socket?.close(); this.#socket = null; } break;
        case 'deliver': this.#handle(a.id).catch((e) => this.#callback('onError', e)); break;
        case 'ready': this.#settle(); this.#callback('onReady'); break;
        case 'reconnecting': this.#callback('onReconnecting'); break;
        case 'reconnected': this.#settle(); this.#callback('onReconnected'); break;
        case 'error': this.#callback('onError', a.error); break;
        case 'failed': this.#settle(a.error); this.#callback('onError', a.error); break;
        default: break;
      }
    }
    this.#arm();
  }

  #arm() {
    // One timer, re-armed only when the core's next deadline moved (most messages leave it).
    const at = this.#core.nextDeadline();
    if (at === this.#armedAt && (at === undefined || this.#timer !== undefined)) return;
    clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = at === undefined ? undefined : setTimeout(() => { this.#timer = undefined; this.#armedAt = undefined; this.#run(this.#core.tick()); }, Math.max(0, at - Date.now()));
  }

  /**
   * The endpoint request, as the core describes it: aborted by close(), and ended at the
   * core's deadline (reply body included) whether or not the `fetch` (or the keyless
   * provider) honours the signal. Its outcome goes back with the core's attempt number, so
   * the outcome of an attempt abandoned by close() (and a start() since) changes nothing.
   * Resolves to the core's next actions; never rejects.
   */
  async #fetchEndpoint() {
    const core = this.#core;
    const controller = new AbortController();
    this.#endpoint = controller;
    let timer, timedOut = false, attempt = 0;
    // Rejects at the deadline, or at once when close() aborts (which clears the timer too).
    const deadline = new Promise((_, reject) => {
      controller.signal.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')); }, { once: true });
    });
    deadline.catch(() => {});
    try {
      const req = core.endpointRequest();
      attempt = req.attempt;
      timer = setTimeout(() => { timedOut = true; controller.abort(); }, req.timeoutMs);
      const fetchFn = this.#fetch ?? globalThis.fetch;
      const headers = { 'content-type': 'application/json; charset=utf-8', locale: 'zh' };
      let { url, body } = req;
      const provider = this.#options.clientAssertionProvider;
      if (provider) {
        // Keyless: the core asks the provider and builds the request (or keeps its error).
        const keyless = await Promise.race([core.keylessEndpoint(attempt, provider, this.#options.appId), deadline]);
        if (keyless.failed) return core.keylessFailed(attempt);
        ({ url, body } = keyless);
        if (keyless.header) headers[keyless.header[0]] = keyless.header[1];
      }
      const init = { method: 'POST', headers, body, signal: controller.signal };
      const res = await Promise.race([Promise.resolve().then(() => fetchFn(url, init)), deadline]);
      const reply = await Promise.race([readLimited(res, req.maxBytes, controller.signal), deadline]);
      const reset = res.headers?.get?.(HEADERS.rateLimitReset);
      // A status that is not an HTTP status (a custom fetch's) is a failed attempt (the core's check), never wrapped.
      return core.endpointReply(attempt, res.status == null ? 0 : Number(res.status), reset == null ? undefined : String(reset), reply);
    } catch (e) {
      if (!attempt) throw e; // the core gave no request: onError (by the caller's catch)
      if (controller.signal.aborted && !timedOut) return []; // closed: the core has moved on
      return core.endpointFailed(attempt, timedOut, timedOut ? '' : String(e?.message ?? e));
    } finally {
      clearTimeout(timer);
      if (this.#endpoint === controller) this.#endpoint = null;
    }
  }

  #connect(url, generation) {
    this.#generation = generation;
    const core = this.#core;
    const live = () => generation === this.#generation;
    this.#socket = openSocket(this.#options.WebSocket, url, this.#options.agent, this.#maxFrame, {
      open: () => this.#run(core.opened(generation)),
      message: (data) => {
        if (!live()) return;
        // Checked before anything crosses into wasm: an oversized message is never copied.
        const size = typeof data === 'string' ? data.length : data.byteLength;
        if (size > this.#maxFrame) return this.#run(core.oversized(generation, size));
        this.#run(typeof data === 'string' ? core.text(generation) : core.message(generation, data));
      },
      refused: (status, headers) => {
        const code = headers.get('handshake-autherrcode');
        this.#run(core.refused(generation, status, code == null ? undefined : Number(code), headers.get('handshake-msg') ?? ''));
      },
      closed: (why) => this.#run(core.closed(generation, why)),
      failed: (e) => this.#callback('onError', e),
    });
  }

  /** Runs the handler; acks with its outcome, or at `ackDeadlineMs` with 200 while it keeps running. */
  async #handle(id) {
    const started = Date.now();
    const core = this.#core;
    const work = this.#dispatcher
      // A status: 500 (pushed again) when the handler failed or another delivery holds the
      // event; a payload that is not an event is acked 200 (no push will ever make it one).
      // A string: a card callback's reply.
      ? this.#dispatcher.deliverTrusted(this.#dedupe, core.takePayload(id) ?? new Uint8Array(0)).then((r) => (typeof r === 'string' ? { code: 200, reply: r } : { code: r >= 500 ? 500 : 200 }))
      : new Promise((r) => r(this.#deliver(core.takePayload(id)))).then((r) => ({ code: r?.code ?? 200, reply: r?.reply }));
    const settled = work.then(() => {}, () => {});
    this.#busy.add(settled);
    settled.then(() => this.#busy.delete(settled));
    const outcome = await this.#within(work.catch(() => ({ code: 500 })));
    const ack = core.ack(id, outcome.code, Date.now() - started, outcome.reply);
    try { if (ack) this.#socket?.send(ack); } catch { /* closing: the platform pushes it again */ }
  }

  // The early ack: one sweep timer while handlers run (not one timer per event), resolving
  // those still running after the core's `ackAfterMs` (2.4 s; within 100 ms after) with 200.
  #running = new Set();
  #sweep;
  /** Every handler still running (acked early or not), for close() to wait on. */
  #busy = new Set();
  #within(work) {
    return new Promise((resolve) => {
      const entry = { started: Date.now(), resolve };
      this.#running.add(entry);
      const after = this.#core.ackAfterMs;
      this.#sweep ??= setInterval(() => {
        const now = Date.now();
        for (const e of this.#running) if (now - e.started >= after) { this.#running.delete(e); e.resolve({ code: 200 }); }
        if (!this.#running.size) { clearInterval(this.#sweep); this.#sweep = undefined; }
      }, SWEEP_MS);
      work.then((outcome) => { if (this.#running.delete(entry)) resolve(outcome); });
    });
  }
}
