// The official Node adapters over our dispatchers (issue 17), with the real frameworks on
// loopback: node:http (adaptDefault), Express (adaptExpress, with and without express.json()
// mounted before it), Koa (adaptKoa) and @koa/router with koa-bodyparser (adaptKoaRouter).
// Verification stays on the raw bytes; a parsed body is verified re-serialized and fails
// closed when the bytes differ.
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { runTests, assert, assertEqual } from './harness.mjs';

// FEISHU_EDGE_PKG: another built package to test (e.g. the released one), default pkg/.
const PKG = process.env.FEISHU_EDGE_PKG ?? fileURLToPath(new URL('../../pkg', import.meta.url));
const ENTRY = `${PKG}/node.js`;
const { EventDispatcher, CardActionHandler, signEvent, computeSignature, adaptDefault, adaptExpress, adaptKoa, adaptKoaRouter } = await import(pathToFileURL(ENTRY).href);
const SERVER = fileURLToPath(new URL('./adapters-server.mjs', import.meta.url));
const KEY = 'ek_adapters';
const TOKEN = 'vt_adapters';
const event = (id) => ({ schema: '2.0', header: { event_id: id, event_type: 'im.message.receive_v1', token: TOKEN, app_id: 'cli_0123456789abcdef' }, event: { message: { message_id: 'om_1' } } });

async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}
async function post(url, payload, { spaced = false, unsigned = false } = {}) {
  const signed = signEvent(payload, { encryptKey: KEY });
  // `spaced`: the same JSON with other whitespace, still correctly signed (as the platform may send it).
  let { body, headers } = signed;
  if (spaced) {
    body = JSON.stringify(JSON.parse(body), null, 1);
    headers = { ...headers, 'x-lark-signature': computeSignature({ timestamp: headers['x-lark-request-timestamp'], nonce: headers['x-lark-request-nonce'], key: KEY, body }) };
  }
  if (unsigned) headers = { 'content-type': 'application/json' };
  const res = await fetch(url, { method: 'POST', body, headers });
  const out = { status: res.status, body: await res.text() };
  if (process.env.DEBUG_ADAPTERS) console.log(out);
  return out;
}
const quietLogger = () => { const lines = []; return { lines, logger: { warn: (m) => lines.push(m), error: (m) => lines.push(m), info() {}, debug() {} } }; };

function dispatcher(seen) {
  return new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register({ 'im.message.receive_v1': (d) => { seen.push(d.event_id); } });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;
const KINDS = ['default', 'express4', 'express5', 'koa', 'koa-router'];

/**
 * The adapter server of `kind` (tests/js/adapters-server.mjs) as a child process, in Node's
 * default unhandled-rejection mode: a request's failure that escapes ends it.
 */
async function child(kind, env = {}) {
  const proc = spawn(process.execPath, [SERVER, kind], { env: { ...process.env, FEISHU_EDGE_NODE: ENTRY, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  const waiters = [];
  proc.stdout.on('data', (b) => {
    out += b;
    for (let i; (i = out.indexOf('\n')) >= 0; out = out.slice(i + 1)) waiters.shift()?.(JSON.parse(out.slice(0, i)));
  });
  proc.stderr.on('data', (b) => { err += b; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const next = () => new Promise((resolve, reject) => {
    waiters.push(resolve);
    exited.then((e) => reject(new Error(`the ${kind} server exited (${JSON.stringify(e)}): ${err.trim().slice(-800)}`)));
  });
  const { url, pid } = await next();
  return {
    url, pid,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stderr: () => err,
    handled: async () => { const w = next(); proc.stdin.write('handled?\n'); return (await w).handled; },
    close: async () => { if (proc.exitCode === null && proc.signalCode === null) { proc.kill(); await exited; } },
  };
}

/** One chunk of chunked transfer coding. */
const chunkOf = (bytes) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
const headOf = (path, headers) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

/**
 * One request over a raw socket: writes `head`, then `count` times `chunk` (waiting for the
 * socket to drain) and `tail`, then ends, holds the request open, or aborts (destroys the socket). Resolves
 * to `{ status, body, sent, closed }` when the answer is complete (with `untilClosed`, once the
 * server closes the connection too: `closed`), the server closes, or after `waitMs` (`status`
 * null: no answer).
 */
function exchange(url, { head, chunk, count = 0, tail, then = 'hold', waitMs = 3000, untilClosed = false }) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let got = Buffer.alloc(0), sent = 0, done = false, closed = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = got.toString();
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]) || null, body: at >= 0 ? text.slice(at + 4) : '', sent, closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (b) => {
      got = Buffer.concat([got, b]);
      const text = got.toString();
      const at = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, at))?.[1]);
      if (at >= 0 && Buffer.byteLength(text.slice(at + 4)) >= length && !untilClosed) finish();
    });
    socket.on('end', () => { closed = true; finish(); });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(head);
      for (let k = 0; k < count && !done; k++) {
        sent += chunk.length;
        if (!socket.write(chunk)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
      }
      if (tail !== undefined && !done) socket.write(tail);
      if (then === 'abort') { socket.destroy(); finish(); } else if (then === 'end' && !done) socket.end();
    });
  });
}

/** The refusal `handle()` answers a body too large and a body too slow with (status and body). */
async function handleRefusals() {
  const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none', bodyTimeoutMs: 100 });
  const tooLarge = await d.handle(new Request('http://127.0.0.1/', { method: 'POST', body: new Uint8Array(MiB + 1) }));
  const stalled = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(12)); } });
  const tooSlow = await d.handle(new Request('http://127.0.0.1/', { method: 'POST', body: stalled, duplex: 'half' }));
  return { 413: { status: tooLarge.status, body: await tooLarge.text() }, 408: { status: tooSlow.status, body: await tooSlow.text() } };
}

/** This process's resident set in bytes, and its peak, from /proc (Linux). */
function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const tests = [
  {
    name: 'adaptDefault on http.createServer: verified over the raw bytes; other paths left alone; unsigned refused',
    async fn() {
      const seen = [];
      const handle = adaptDefault('/webhook/event', dispatcher(seen));
      const s = await serve(async (req, res) => { await handle(req, res); if (!res.writableEnded) res.writeHead(404).end(); });
      try {
        assertEqual((await post(`${s.url}/webhook/event`, event('ev_d1'))).status, 200);
        assertEqual((await post(`${s.url}/webhook/event`, event('ev_d2'), { spaced: true })).status, 200);
        assertEqual((await post(`${s.url}/other`, event('ev_d3'))).status, 404);
        assertEqual((await post(`${s.url}/webhook/event`, event('ev_d4'), { unsigned: true })).status, 401);
        assertEqual(seen, ['ev_d1', 'ev_d2']);
      } finally { await s.close(); }
    },
  },
  {
    name: 'adaptExpress: without a parser the raw bytes; behind express.json() a re-serialized body that matches passes, one whose bytes differ fails closed with a log line; with verify keeping req.rawBody it passes',
    async fn() {
      const seen = [];
      const d = dispatcher(seen);
      const { lines, logger } = quietLogger();
      const app = express();
      app.post('/raw', adaptExpress(d));
      app.post('/parsed', express.json(), adaptExpress(d, { logger }));
      app.post('/kept', express.json({ verify: (req, res, buf) => { req.rawBody = buf; } }), adaptExpress(d));
      const s = await serve(app);
      try {
        assertEqual((await post(`${s.url}/raw`, event('ev_e1'), { spaced: true })).status, 200);
        assertEqual((await post(`${s.url}/parsed`, event('ev_e2'))).status, 200, 'signEvent writes what JSON.stringify writes');
        assertEqual((await post(`${s.url}/parsed`, event('ev_e3'), { spaced: true })).status, 401);
        assert(lines.some((l) => l.includes('Mount the adapter before body parsers')), lines.join('\n'));
        assertEqual((await post(`${s.url}/kept`, event('ev_e4'), { spaced: true })).status, 200);
        assertEqual(seen, ['ev_e1', 'ev_e2', 'ev_e4']);
      } finally { await s.close(); }
    },
  },
  {
    name: 'adaptKoa and adaptKoaRouter (behind koa-bodyparser, which keeps rawBody), events and card callbacks',
    async fn() {
      const seen = [];
      const d = dispatcher(seen);
      const cards = new CardActionHandler({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }, () => ({ toast: { type: 'info', content: 'ok' } }));
      const app = new Koa();
      const router = new Router();
      router.post('/router/event', adaptKoaRouter(d));
      router.post('/router/card', adaptKoaRouter(cards));
      app.use(adaptKoa('/koa/event', d));
      app.use(bodyParser());
      app.use(router.routes());
      const s = await serve(app.callback());
      try {
        assertEqual((await post(`${s.url}/koa/event`, event('ev_k1'), { spaced: true })).status, 200);
        assertEqual((await post(`${s.url}/router/event`, event('ev_k2'), { spaced: true })).status, 200);
        const card = { schema: '2.0', header: { event_id: 'ev_card', event_type: 'card.action.trigger', token: TOKEN }, event: { operator: { open_id: 'ou_1' }, action: { tag: 'button', value: {} } } };
        const r = await post(`${s.url}/router/card`, card);
        assertEqual([r.status, JSON.parse(r.body)], [200, { toast: { type: 'info', content: 'ok' } }]);
        assertEqual(seen, ['ev_k1', 'ev_k2']);
      } finally { await s.close(); }
    },
  },
  {
    name: 'adaptDefault called once the body has arrived but before anyone read it (req.complete): the body is still read',
    async fn() {
      const seen = [];
      const handle = adaptDefault('/webhook/event', dispatcher(seen));
      const s = await serve((req, res) => { setTimeout(() => handle(req, res), 100); });
      try {
        assertEqual((await post(`${s.url}/webhook/event`, event('ev_late_read'))).status, 200);
        assertEqual(seen, ['ev_late_read']);
      } finally { await s.close(); }
    },
  },
  {
    name: 'adaptExpress behind express.raw() on Express 4 and 5: the Buffer is the raw bytes, verified as such (a correctly signed event passes)',
    async fn() {
      for (const [label, framework] of [['express4', express4], ['express5', express]]) {
        const seen = [];
        const app = framework();
        app.post('/raw-parser', framework.raw({ type: 'application/json' }), adaptExpress(dispatcher(seen)));
        const s = await serve(app);
        try {
          assertEqual((await post(`${s.url}/raw-parser`, event(`ev_${label}_raw`), { spaced: true })).status, 200, label);
          assertEqual((await post(`${s.url}/raw-parser`, event(`ev_${label}_unsigned`), { unsigned: true })).status, 401, label);
          assertEqual(seen, [`ev_${label}_raw`], label);
        } finally { await s.close(); }
      }
    },
  },
  ...KINDS.map((kind) => ({
    name: `${kind} (a child process, default unhandled-rejection mode): clients that abort mid-body, bodies past the limit (chunked, and by Content-Length) and a stalled body are refused as handle() refuses them, a failing dispatcher is a 500, and the server stays up and answering`,
    async fn() {
      const expected = await handleRefusals();
      assertEqual([expected[413].status, expected[408].status], [413, 408]);
      const s = await child(kind, { BODY_TIMEOUT_MS: '400' });
      try {
        assertEqual((await post(`${s.url}/webhook/event`, event(`ev_${kind}_1`))).status, 200);
        // POST with Content-Length: 1000, 12 bytes, then the socket is destroyed: three times.
        for (let k = 0; k < 3; k++) await exchange(s.url, { head: headOf('/webhook/event', { 'Content-Length': 1000 }), chunk: Buffer.from('{"schema":"2'), count: 1, then: 'abort' });
        await sleep(300);
        assert(s.alive(), `the server died after a client aborted mid-body: ${s.stderr()}`);
        // Past the limit (1 MiB) without a length: refused once the limit is passed, while the
        // client still holds the request open (the rest is never waited for).
        const big = await exchange(s.url, { head: headOf('/webhook/event', { 'Transfer-Encoding': 'chunked' }), chunk: chunkOf(Buffer.alloc(64 * 1024, 0x20)), count: 24, untilClosed: true });
        assertEqual(big, { ...expected[413], sent: big.sent, closed: true }, 'chunked body past the limit: refused, and the connection closed');
        // A Content-Length past the limit: refused before the body is read.
        const declared = await exchange(s.url, { head: headOf('/webhook/event', { 'Content-Length': 400 * MiB }), chunk: Buffer.alloc(64 * 1024, 0x20), count: 1, untilClosed: true });
        assertEqual(declared, { ...expected[413], sent: declared.sent, closed: true }, 'Content-Length past the limit');
        // 12 of 1000 bytes, then nothing: refused at bodyTimeoutMs (400 ms here).
        const started = Date.now();
        const stalled = await exchange(s.url, { head: headOf('/webhook/event', { 'Content-Length': 1000 }), chunk: Buffer.from('{"schema":"2'), count: 1, untilClosed: true });
        assertEqual(stalled, { ...expected[408], sent: 12, closed: true }, 'stalled body');
        assert(Date.now() - started < 2500, `the stalled body was answered after ${Date.now() - started} ms`);
        // The dispatcher rejects: a 500 (the core's handler_failed refusal), not a crash.
        const failed = await post(`${s.url}/webhook/failing`, event(`ev_${kind}_failing`));
        assertEqual([failed.status, JSON.parse(failed.body).error], [500, 'handler_failed']);
        await sleep(100);
        assert(s.alive(), `the server died: ${s.stderr()}`);
        assertEqual((await post(`${s.url}/webhook/event`, event(`ev_${kind}_2`))).status, 200);
        assertEqual(await s.handled(), 2);
      } finally { await s.close(); }
    },
  })),
  {
    name: `adaptDefault: an unsigned body of ${Number(process.env.ADAPTERS_RSS_MIB ?? 64)} MiB, streamed, adds little to the server's resident set (child process, peak RSS sampled from /proc)`,
    async fn() {
      const mib = Number(process.env.ADAPTERS_RSS_MIB ?? 64);
      const frame = Buffer.alloc(256 * 1024, 0x20);
      const failures = [];
      for (const [label, headers, chunk, tail] of [['chunked', { 'Transfer-Encoding': 'chunked' }, chunkOf(frame), '0\r\n\r\n'], ['Content-Length', { 'Content-Length': mib * MiB }, frame]]) {
        const s = await child('default');
        try {
          assertEqual((await post(`${s.url}/webhook/event`, event('ev_rss_warm'))).status, 200);
          await sleep(200);
          const before = rssOf(s.pid).rss;
          let peak = before;
          const sampler = setInterval(() => { try { peak = Math.max(peak, rssOf(s.pid).rss); } catch { /* exited */ } }, 5);
          const r = await exchange(s.url, { head: headOf('/webhook/event', headers), chunk, count: mib * 4, tail, waitMs: 120_000 });
          await sleep(200);
          clearInterval(sampler);
          try { peak = Math.max(peak, rssOf(s.pid).peak); } catch { /* exited: the test fails below */ }
          const growth = (peak - before) / MiB;
          const figure = `${label}: answered ${r.status} after ${(r.sent / MiB).toFixed(1)} MiB sent; peak RSS ${(peak / MiB).toFixed(1)} MiB, ${growth.toFixed(1)} MiB over ${(before / MiB).toFixed(1)} MiB`;
          console.log(`  rss (${mib} MiB unsigned body, adaptDefault, ${PKG}): ${figure}`);
          if (r.status !== 413 || !s.alive()) failures.push(`${label}: answered ${r.status}, server ${s.alive() ? 'up' : `down: ${s.stderr()}`}`);
          if (growth >= 24) failures.push(`${label}: the server grew by ${growth.toFixed(1)} MiB for a ${mib} MiB body`);
        } finally { await s.close(); }
      }
      assertEqual(failures, []);
    },
  },
];

const result = await runTests('adapters', tests, {});
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
