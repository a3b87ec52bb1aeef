// The emulator's long connection: `POST /callback/ws/endpoint`, a WebSocket endpoint with the
// platform's framing (pbbp2 frames in binary messages), pongs carrying a ClientConfig, pushes
// (whole or in parts) resolved with the decoded ack, and faults (drop, silence, refused
// handshakes, endpoint codes). Its own small codec and WebSocket framing (RFC 6455) on
// node:http's `upgrade`, so it checks the client's bytes independently of the client's codec.
import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';

// ---- pbbp2.Frame, proto2 (fields: 1 SeqID, 2 LogID, 3 service, 4 method, 5 headers, 6
// payload_encoding, 7 payload_type, 8 payload, 9 LogIDNew; Header: 1 key, 2 value).
function varint(n) {
  const out = [];
  if (typeof n === 'number' && n >= 0 && n < 2 ** 31) {
    let v = n;
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
    out.push(v);
    return Buffer.from(out);
  }
  let v = BigInt.asUintN(64, BigInt(n));
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}
const field = (n, wire) => varint((n << 3) | wire);
const bytesField = (n, b) => Buffer.concat([field(n, 2), varint(b.length), b]);

export function encodeFrame(f) {
  const parts = [field(1, 0), varint(f.SeqID ?? 0), field(2, 0), varint(f.LogID ?? 0), field(3, 0), varint(f.service ?? 0), field(4, 0), varint(f.method ?? 0)];
  for (const { key, value } of f.headers ?? []) parts.push(bytesField(5, Buffer.concat([bytesField(1, Buffer.from(key)), bytesField(2, Buffer.from(value))])));
  if (f.payload) parts.push(bytesField(8, Buffer.from(f.payload)));
  return Buffer.concat(parts);
}

export function decodeFrame(buf) {
  let i = 0;
  const read = (b) => {
    // Small values (all but 64-bit ids) without BigInt.
    if (i < b.length && b[i] < 0x80) return BigInt(b[i++]);
    let v = 0n, shift = 0n;
    for (;;) {
      if (i >= b.length || shift > 63n) throw new Error('bad varint');
      const x = b[i++];
      v |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return v;
      shift += 7n;
    }
  };
  const chunk = (b) => { const n = Number(read(b)); if (i + n > b.length) throw new Error('truncated'); const c = b.subarray(i, i + n); i += n; return c; };
  const f = { headers: [] };
  while (i < buf.length) {
    const tag = Number(read(buf)), n = tag >> 3, wire = tag & 7;
    if (wire === 0) {
      const v = read(buf);
      if (n === 1) f.SeqID = v; else if (n === 2) f.LogID = v; else if (n === 3) f.service = Number(BigInt.asIntN(32, v)); else if (n === 4) f.method = Number(BigInt.asIntN(32, v));
    } else if (wire === 2) {
      const c = chunk(buf);
      if (n === 5) {
        const outer = i; let key, value; const h = c; i = 0;
        while (i < h.length) { const t = Number(read(h)); const v = chunk(h); if (t >> 3 === 1) key = v.toString(); else if (t >> 3 === 2) value = v.toString(); }
        i = outer;
        f.headers.push({ key, value });
      } else if (n === 8) f.payload = Buffer.from(c);
    } else throw new Error(`wire type ${wire}`);
  }
  return f;
}

// ---- WebSocket framing (server side: unmasked out, masked in).
function wsFrame(opcode, payload = Buffer.alloc(0)) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  return Buffer.concat([head, payload]);
}

function wsReader(onMessage, onClose) {
  let buf = Buffer.alloc(0), parts = null, op0 = 0;
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (buf.length < 2) return;
      const fin = buf[0] & 0x80, op = buf[0] & 0x0f, masked = buf[1] & 0x80;
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const maskAt = off;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (masked) for (let k = 0; k < payload.length; k++) payload[k] ^= buf[maskAt + (k & 3)];
      buf = buf.subarray(off + len);
      if (op === 8) return onClose();
      if (op === 9 || op === 10) { onMessage(op === 9 ? 'ping' : 'pong', payload); continue; }
      if (op !== 0) { parts = [payload]; op0 = op; } else parts?.push(payload);
      if (fin && parts) { onMessage(op0 === 1 ? 'text' : 'binary', Buffer.concat(parts)); parts = null; }
    }
  };
}

const DEFAULT_CONFIG = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30 };

/**
 * The long connection of an emulator whose `state.config` holds `appId` / `appSecret` and,
 * optionally, `wsClientConfig`. Returns the endpoint handler, the upgrade handler and the test
 * API (`pushEvent`, `fault`, `status`).
 */
export function longConnection(state, origin) {
  const tickets = new Set();
  const sockets = new Set();
  const pending = new Map();
  const faults = { refuse: [], endpoint: [], acceptDrop: [] };
  const hanging = new Set();
  let seq = 0, next = 0, serviceId = 4242;
  const clientConfig = () => ({ ...DEFAULT_CONFIG, ...state.config.wsClientConfig });
  const counts = { endpoint: 0, handshakes: 0, refused: 0, pings: 0, acks: 0 };

  function endpoint(body, send) {
    counts.endpoint++;
    const fault = faults.endpoint[0];
    if (fault) {
      if (--fault.count <= 0) faults.endpoint.shift();
      // No answer until reset: an endpoint request that hangs.
      if (fault.hang) return hanging.add(send);
      if (fault.url !== undefined) return send(fault.status ?? 200, { code: 0, msg: 'ok', data: { URL: fault.url, ClientConfig: clientConfig() } }, fault.headers);
      return send(fault.status ?? 200, { code: fault.code, msg: fault.msg ?? 'emulated endpoint refusal', data: {} }, fault.headers);
    }
    if (body?.AppID !== state.config.appId || body?.AppSecret !== state.config.appSecret) {
      return send(200, { code: 10003, msg: 'invalid app_id or app_secret', data: {} });
    }
    const ticket = randomUUID();
    tickets.add(ticket);
    const url = `${origin().replace(/^http/, 'ws')}/ws/v2?fpid=493&aid=552564&device_id=${randomUUID()}&access_key=emu&service_id=${serviceId}&ticket=${ticket}`;
    return send(200, { code: 0, msg: 'ok', data: { URL: url, ClientConfig: clientConfig() } });
  }

  function upgrade(req, socket) {
    const url = new URL(req.url, 'http://emu');
    if (url.pathname !== '/ws/v2') return socket.destroy();
    counts.handshakes++;
    const refusal = faults.refuse[0];
    const ticket = url.searchParams.get('ticket');
    const refuse = (status, code, msg) => {
      counts.refused++;
      socket.end(`HTTP/1.1 ${status} Refused\r\nHandshake-Status: ${status}\r\nHandshake-Msg: ${msg}\r\n${code ? `Handshake-Autherrcode: ${code}\r\n` : ''}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (refusal) {
      if (--refusal.count <= 0) faults.refuse.shift();
      return refuse(refusal.status ?? 514, refusal.code, refusal.msg ?? 'refused by the emulator');
    }
    if (!tickets.delete(ticket)) return refuse(514, 1000040351, 'unknown or used ticket');
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.setNoDelay?.(true);
    const drop = faults.acceptDrop[0];
    if (drop) {
      // Accepted, then dropped at once.
      if (--drop.count <= 0) faults.acceptDrop.shift();
      return socket.destroy();
    }
    const conn = { socket, silent: false, id: ++next, send: (bytes) => { if (!conn.silent && !socket.destroyed) socket.write(wsFrame(2, bytes)); } };
    sockets.add(conn);
    const gone = () => { sockets.delete(conn); if (!socket.destroyed) socket.destroy(); };
    // node:http keeps upgraded sockets half-open: the client's FIN is an 'end', not a 'close'.
    socket.on('end', gone);
    socket.on('close', gone);
    socket.on('error', gone);
    socket.on('data', wsReader((kind, payload) => {
      if (conn.silent) return;
      if (kind === 'ping') return socket.write(wsFrame(10, payload));
      if (kind !== 'binary') return;
      let f;
      try { f = decodeFrame(payload); } catch { return; }
      const type = f.headers.find((h) => h.key === 'type')?.value;
      if (f.method === 0 && type === 'ping') {
        counts.pings++;
        return conn.send(encodeFrame({ SeqID: 0, LogID: 0, service: f.service, method: 0, headers: [{ key: 'type', value: 'pong' }], payload: Buffer.from(JSON.stringify(clientConfig())) }));
      }
      if (f.method === 1) {
        const id = f.headers.find((h) => h.key === 'message_id')?.value;
        const waiter = pending.get(id);
        if (!waiter) return;
        counts.acks++;
        pending.delete(id);
        clearTimeout(waiter.timer);
        const ack = JSON.parse(Buffer.from(f.payload ?? []).toString() || '{}');
        const headers = Object.fromEntries(f.headers.map((h) => [h.key, h.value]));
        waiter.resolve({ code: ack.code, data: ack.data === undefined ? undefined : JSON.parse(Buffer.from(ack.data, 'base64').toString()), headers, seqId: String(f.SeqID), bizRt: Number(headers.biz_rt) });
      }
    }, () => { try { socket.end(wsFrame(8)); } catch { /* gone */ } gone(); }));
  }

  /** Sends an event to one open connection; resolves with its decoded ack. */
  function pushEvent(payload, { fragments = 1, timeoutMs = 10000, messageId = `msg_${randomUUID()}`, type = 'event' } = {}) {
    const open = [...sockets].filter((c) => !c.silent && !c.socket.destroyed);
    if (!open.length) return Promise.reject(new Error('no open long connection to push to'));
    const conn = open[seq % open.length];
    const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const n = Math.max(1, Math.min(fragments, bytes.length));
    const size = Math.ceil(bytes.length / n);
    const done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => { pending.delete(messageId); reject(new Error(`no ack for ${messageId} within ${timeoutMs} ms`)); }, timeoutMs);
      pending.set(messageId, { resolve, timer });
    });
    for (let k = 0; k < n; k++) {
      seq++;
      conn.send(encodeFrame({
        SeqID: seq, LogID: 1000 + seq, service: serviceId, method: 1,
        headers: [
          { key: 'type', value: type }, { key: 'message_id', value: messageId }, { key: 'sum', value: String(n) },
          { key: 'seq', value: String(k) }, { key: 'trace_id', value: `trace_${seq}` }, { key: 'timestamp', value: String(Date.now()) },
        ],
        payload: bytes.subarray(k * size, (k + 1) * size),
      }));
    }
    return done;
  }

  /**
   * Pushes `count` distinct events (`payload` with a numbered event id), `concurrency` in
   * flight: resolves to { count, ms } once all are acked (for throughput measurements).
   */
  async function burst({ count = 1000, concurrency = 50, fragments = 1, payload } = {}) {
    const base = payload ?? { schema: '2.0', header: { event_type: 'im.message.receive_v1', app_id: state.config.appId, tenant_key: 'tk' }, event: { message: { message_id: 'om_burst', content: '{"text":"hi"}' } } };
    const started = performance.now();
    let next = 0;
    const tag = randomUUID().slice(0, 8);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await pushEvent({ ...base, header: { ...base.header, event_id: `burst_${tag}_${i}` } }, { fragments });
      }
    }));
    return { count, ms: performance.now() - started };
  }

  /** Sends raw bytes (a binary message) or a string (a text message) to every connection. */
  function sendRaw(data) {
    for (const c of sockets) c.socket.write(wsFrame(typeof data === 'string' ? 1 : 2, Buffer.from(data)));
  }

  /**
   * Faults: `drop` (close every socket at once), `silent` (keep them open, answer nothing),
   * `refuse` ({ status = 514, code, count = 1 }: the next handshakes), `endpoint` ({ code,
   * count = 1, status = 200, headers, url, hang }: the next endpoint replies; `url`: a code 0
   * reply with that URL; `hang`: no answer until reset), `accept-drop` ({ count = 1 }: the
   * next handshakes complete and the socket closes at once).
   */
  function fault(kind, options = {}) {
    if (kind === 'drop') for (const c of [...sockets]) c.socket.destroy();
    else if (kind === 'silent') for (const c of sockets) c.silent = true;
    else if (kind === 'refuse') faults.refuse.push({ count: 1, ...options });
    else if (kind === 'endpoint') faults.endpoint.push({ count: 1, ...options });
    else if (kind === 'accept-drop') faults.acceptDrop.push({ count: 1, ...options });
    else throw new Error(`unknown long-connection fault ${kind}`);
  }

  function status() {
    return { connections: [...sockets].filter((c) => !c.socket.destroyed).length, silent: [...sockets].filter((c) => c.silent).length, pending: pending.size, ...counts };
  }

  function reset() {
    for (const c of [...sockets]) c.socket.destroy();
    faults.refuse = []; faults.endpoint = []; faults.acceptDrop = [];
    for (const send of hanging) { try { send(503, { code: -1, msg: 'emulator reset' }); } catch { /* gone */ } }
    hanging.clear();
    for (const w of pending.values()) clearTimeout(w.timer);
    pending.clear();
    for (const k of Object.keys(counts)) counts[k] = 0;
  }

  return { endpoint, upgrade, pushEvent, burst, sendRaw, fault, status, reset };
}
