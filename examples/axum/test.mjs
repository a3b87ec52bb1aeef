// The axum example, built and run as a process, driven over loopback HTTP with requests the
// package's testing kit signs and encrypts as the platform does (the official Node SDK accepts
// the same requests: the control). Run from the repository root after scripts/build:
// `node examples/axum/test.mjs`. Last line: `axum-example: N passed, N failed, N skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { fixtures, signedRequest } from '../../pkg/testing/index.js';
import { signEvent } from '../../pkg/node.js';
import { runTests, assert, assertEqual } from '../../tests/js/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
// A target directory of its own under target/: not the SDK's own, where this workspace's build
// of feishu-edge (other features, same unhashed file name: the crate is also a cdylib) would
// overwrite the SDK's and leave `cargo test` with a library built against other dependencies.
const targetDir = process.env.AXUM_TARGET_DIR ?? path.join(root, 'target', 'axum-example');
const ENCRYPT_KEY = 'axum-encrypt-key';
const TOKEN = 'axum-verification-token';

// ---- build
const started = Date.now();
const build = spawnSync('cargo', ['build', '--locked', '--color', 'never'], { cwd: here, env: { ...process.env, CARGO_TARGET_DIR: targetDir }, stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  console.log('axum-example: 0 passed, 1 failed (cargo build failed)');
  process.exit(1);
}
console.log(`axum-example: cargo build took ${((Date.now() - started) / 1000).toFixed(1)} s`);

// ---- start: PORT=0 picks a free port; the first stdout line names the bound address
const server = spawn(path.join(targetDir, 'debug', 'feishu-edge-axum-example'), [], {
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: TOKEN },
  stdio: ['ignore', 'pipe', 'pipe'],
});
process.on('exit', () => server.kill());
const stderr = [];
server.stderr.on('data', (chunk) => stderr.push(chunk.toString()));
const lines = [];
const waiters = new Set();
createInterface({ input: server.stdout }).on('line', (line) => {
  lines.push(line);
  for (const w of waiters) w();
});
/** Resolves with the first stdout line matching `re` (now or later), rejects after `ms`. */
function lineMatching(re, ms = 5000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = lines.find((l) => re.test(l));
      if (hit === undefined) return false;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no stdout line matching ${re} within ${ms} ms; stdout: ${JSON.stringify(lines)}, stderr: ${stderr.join('')}`)); }, ms);
    if (!check()) waiters.add(check);
  });
}
let url;
try {
  const first = await lineMatching(/^listening on /, 15000);
  assertEqual(lines[0], first, 'the bound address is the first line');
  url = `${first.slice('listening on '.length)}/webhook/event`;
} catch (e) {
  server.kill();
  console.log(`${e.message}\naxum-example: 0 passed, 1 failed`);
  process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const post = (body, headers = { 'content-type': 'application/json' }) => fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const handledLines = (eventId) => lines.filter((l) => l.startsWith(`message ${eventId}:`));

const result = await runTests('axum-example', [
  {
    name: 'an unsigned event is refused 401 and its handler does not run',
    async fn() {
      const event = fixtures.messageReceive({ text: 'unsigned', token: TOKEN });
      const res = await post(event);
      assertEqual([res.status, (await res.json()).error], [401, 'missing_signature']);
      await sleep(100);
      assertEqual(handledLines(event.header.event_id), []);
    },
  },
  {
    name: 'an event signed with another key is refused 401',
    async fn() {
      const res = await fetch(signedRequest(url, fixtures.messageReceive({ token: TOKEN }), { encryptKey: 'not-the-key' }));
      assertEqual([res.status, (await res.json()).error], [401, 'signature_mismatch']);
    },
  },
  {
    name: 'the URL challenge is echoed: plain with the token, and signed + encrypted',
    async fn() {
      const plain = await post(fixtures.urlVerification({ challenge: 'ch-plain', token: TOKEN }));
      assertEqual([plain.status, await plain.json()], [200, { challenge: 'ch-plain' }]);
      const sealed = await fetch(signedRequest(url, fixtures.urlVerification({ challenge: 'ch-sealed', token: TOKEN }), { encryptKey: ENCRYPT_KEY }));
      assertEqual([sealed.status, await sealed.json()], [200, { challenge: 'ch-sealed' }]);
    },
  },
  {
    name: 'a signed, encrypted im.message.receive_v1 is answered 200 {} and the handler logs its text',
    async fn() {
      const event = fixtures.messageReceive({ text: 'hello from axum', token: TOKEN });
      const res = await fetch(signedRequest(url, event, { encryptKey: ENCRYPT_KEY }));
      assertEqual([res.status, res.headers.get('content-type'), await res.json()], [200, 'application/json; charset=utf-8', {}]);
      assertEqual(await lineMatching(new RegExp(`^message ${event.header.event_id}:`)), `message ${event.header.event_id}: hello from axum`);
    },
  },
  {
    name: 'the same event id delivered twice is handled once (the second is acknowledged 200)',
    async fn() {
      const event = fixtures.messageReceive({ text: 'twice', token: TOKEN });
      const first = await fetch(signedRequest(url, event, { encryptKey: ENCRYPT_KEY }));
      assertEqual(first.status, 200);
      // A re-delivery: encrypted and signed afresh (another IV, nonce and signature), same id.
      const second = await fetch(signedRequest(url, event, { encryptKey: ENCRYPT_KEY }));
      assertEqual(second.status, 200);
      await lineMatching(new RegExp(`^message ${event.header.event_id}:`));
      await sleep(200);
      assertEqual(handledLines(event.header.event_id).length, 1);
    },
  },
  {
    name: 'concurrent deliveries of 20 distinct events are each handled once',
    async fn() {
      const events = Array.from({ length: 20 }, (_, i) => fixtures.messageReceive({ text: `burst ${i}`, token: TOKEN }));
      const statuses = await Promise.all(events.map(async (e) => (await fetch(signedRequest(url, e, { encryptKey: ENCRYPT_KEY }))).status));
      assertEqual(statuses, events.map(() => 200));
      for (const e of events) assertEqual(handledLines(e.header.event_id).length, 1, e.header.event_id);
    },
  },
  {
    name: 'a body over the 1 MiB limit is refused 413 before it is parsed',
    async fn() {
      // About 1.6 MB once encrypted: over the dispatcher's limit, under axum's (2 MB).
      const event = fixtures.messageReceive({ text: 'x'.repeat(1200 * 1024), token: TOKEN });
      const req = signedRequest(url, event, { encryptKey: ENCRYPT_KEY });
      const res = await fetch(req);
      assertEqual([res.status, (await res.json()).error], [413, 'body_too_large']);
      // Over axum's own limit the body is not even read: 413 from axum.
      // (A server may also close the connection on a body it will not read: a refusal too.)
      const huge = await post('{"encrypt":"' + 'A'.repeat(3 << 20) + '"}').catch((e) => ({ status: 'closed', error: e }));
      assert(huge.status === 413 || huge.status === 'closed', `expected 413, got ${huge.status}`);
      if (huge.arrayBuffer) await huge.arrayBuffer();
      await sleep(100);
      assertEqual(handledLines(event.header.event_id), []);
    },
  },
  {
    name: 'not a POST: 405',
    async fn() {
      // axum's router answers other methods on a POST route itself.
      const res = await fetch(url, { method: 'PUT', body: '{}' });
      assertEqual(res.status, 405);
    },
  },
  {
    name: 'control: the official Node SDK accepts the very requests the kit made',
    async fn() {
      let got;
      const official = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, loggerLevel: lark.LoggerLevel.error }).register({
        'im.message.receive_v1': async (data) => { got = data; },
      });
      const event = fixtures.messageReceive({ text: 'control', token: TOKEN });
      const signed = signEvent(event, { encryptKey: ENCRYPT_KEY });
      // The official custom-adapter shape: the parsed body, its headers on the prototype.
      await official.invoke(Object.assign(Object.create({ headers: signed.headers }), JSON.parse(signed.body)));
      assert(got, 'the official dispatcher ran its handler');
      assertEqual(JSON.parse(got.message.content), { text: 'control' });
      // And the example takes the same bytes.
      const res = await post(signed.body, signed.headers);
      assertEqual(res.status, 200);
      assertEqual(await lineMatching(new RegExp(`^message ${event.header.event_id}:`)), `message ${event.header.event_id}: control`);
    },
  },
], {});

server.kill();
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
