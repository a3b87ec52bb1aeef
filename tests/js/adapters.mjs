// The official Node adapters over our dispatchers (issue 17), with the real frameworks on
// loopback: node:http (adaptDefault), Express (adaptExpress, with and without express.json()
// mounted before it), Koa (adaptKoa) and @koa/router with koa-bodyparser (adaptKoaRouter).
// Verification stays on the raw bytes; a parsed body is verified re-serialized and fails
// closed when the bytes differ.
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { runTests, assert, assertEqual } from './harness.mjs';

const { EventDispatcher, CardActionHandler, signEvent, computeSignature, adaptDefault, adaptExpress, adaptKoa, adaptKoaRouter } = await import('../../pkg/node.js');
const KEY = 'ek_adapters';
const TOKEN = 'vt_adapters';
const event = (id) => ({ schema: '2.0', header: { event_id: id, event_type: 'im.message.receive_v1', token: TOKEN, app_id: 'cli_emu' }, event: { message: { message_id: 'om_1' } } });

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
];

const result = await runTests('adapters', tests, {});
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
