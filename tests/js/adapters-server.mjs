// A webhook server on one of the official adapters, run by tests/js/adapters.mjs as a child
// process under Node's default unhandled-rejection mode (no handler here swallows one): a
// request's failure that escapes ends this process, which the parent sees.
// `node adapters-server.mjs <default|express4|express5|koa|koa-router>`; prints its URL as one
// JSON line. POST /webhook/event: an EventDispatcher; POST /webhook/failing: one whose invoke
// rejects. FEISHU_EDGE_NODE: the package entry to load (default: the built pkg/node.js).
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import express5 from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Router from '@koa/router';

const entry = process.env.FEISHU_EDGE_NODE ? pathToFileURL(process.env.FEISHU_EDGE_NODE).href : '../../pkg/node.js';
const { EventDispatcher, adaptDefault, adaptExpress, adaptKoa, adaptKoaRouter } = await import(entry);
const kind = process.argv[2];
const options = { encryptKey: 'ek_adapters', verificationToken: 'vt_adapters', logLevel: 'none', bodyTimeoutMs: Number(process.env.BODY_TIMEOUT_MS ?? 10_000) };
let handled = 0;
const d = new EventDispatcher(options).register({ 'im.message.receive_v1': () => { handled++; } });
const failing = new EventDispatcher(options);
failing.invoke = () => Promise.reject(new Error('the dispatcher failed'));
const logger = { warn() {}, error() {}, info() {}, debug() {} };

let listener;
if (kind === 'default') {
  const ok = adaptDefault('/webhook/event', d, { logger });
  const bad = adaptDefault('/webhook/failing', failing, { logger });
  listener = (req, res) => (req.url === '/webhook/failing' ? bad : ok)(req, res);
} else if (kind === 'express4' || kind === 'express5') {
  const app = (kind === 'express4' ? express4 : express5)();
  app.post('/webhook/event', adaptExpress(d, { logger }));
  app.post('/webhook/failing', adaptExpress(failing, { logger }));
  listener = app;
} else if (kind === 'koa' || kind === 'koa-router') {
  const app = new Koa();
  app.silent = true;
  if (kind === 'koa') {
    app.use(adaptKoa('/webhook/event', d, { logger }));
    app.use(adaptKoa('/webhook/failing', failing, { logger }));
  } else {
    const router = new Router();
    router.post('/webhook/event', adaptKoaRouter(d, { logger }));
    router.post('/webhook/failing', adaptKoaRouter(failing, { logger }));
    app.use(router.routes());
  }
  listener = app.callback();
} else {
  console.error(`unknown adapter ${kind}`);
  process.exit(2);
}
const server = http.createServer(listener);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid })));
// The parent asks how many events ran over stdin ("handled?\n").
process.stdin.on('data', () => console.log(JSON.stringify({ handled })));
