// `feishu-edge dev --forward <url>` end to end (issue 16), in Node: the emulator pushes events
// over the long connection, the bridge (the package's bin, a child process) POSTs them to a
// local server that verifies them with the keys a Worker would hold, and the local reply comes
// back as the ack. Then the local server goes away (ack 500, a clear line), and Ctrl-C.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runTests, assert, assertEqual } from './harness.mjs';
import { messageEvent } from './webhook-suite.mjs';

// FEISHU_EDGE_PKG: another built package's bridge to test (e.g. the released one), default pkg/.
const PKG = process.env.FEISHU_EDGE_PKG ?? fileURLToPath(new URL('../../pkg', import.meta.url));
const { EventDispatcher, CardActionHandler } = await import(pathToFileURL(`${PKG}/node.js`).href);
const { createEmulator } = await import('../../pkg/testing/index.js');
const BIN = `${PKG}/bin/feishu-edge.js`;
const KEY = 'ek_bridge_key';
const TOKEN = 'vt_bridge_token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A local "Worker": a Node server handing each request to an EventDispatcher with the keys. */
async function localServer() {
  const seen = [];
  const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' })
    .register({
      'im.message.receive_v1': (data) => { seen.push(data); },
      'card.action.trigger': (data) => ({ toast: { type: 'success', content: `clicked ${data.action.value.k}` } }),
    });
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const r = await d.invoke(Buffer.concat(chunks), req.headers);
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/webhook`, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/**
 * The worker-example's shape on a Node server: events at /webhook/event (an EventDispatcher),
 * card callbacks at /webhook/card (a CardActionHandler answering the button with a toast and a
 * card); `hits` counts the requests per path.
 */
async function workerShaped() {
  const hits = { '/webhook/event': 0, '/webhook/card': 0 };
  const seen = [];
  const keys = { encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' };
  const events = new EventDispatcher(keys).register({ 'im.message.receive_v1': (data) => { seen.push(data); } });
  const cards = new CardActionHandler(keys, (action) => (action.action?.value?.action === 'helpful'
    ? { toast: { type: 'success', content: 'Thanks for the feedback!' }, card: { schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'Marked as helpful' }] } } }
    : {}));
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const path = new URL(req.url, 'http://local').pathname;
    if (!(path in hits)) return res.writeHead(404).end();
    hits[path]++;
    const r = await (path === '/webhook/card' ? cards : events).invoke(Buffer.concat(chunks), req.headers);
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, hits, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** The bin as a child process; `lines` collects its stdout and stderr. */
function bridge(emu, target, ...more) {
  const lines = [];
  const child = spawn(process.execPath, [BIN, 'dev', '--forward', target, ...more], {
    env: { ...process.env, FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_BASE_URL: emu.url, FEISHU_ENCRYPT_KEY: KEY, FEISHU_VERIFICATION_TOKEN: TOKEN, NODE_PATH: fileURLToPath(new URL('../../node_modules', import.meta.url)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (b) => lines.push(...b.toString().split('\n').filter(Boolean)));
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, lines, exited };
}

const until = async (what, check, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
};

/**
 * A local server that answers as `behave(req, res)` says, counting requests; `close()` ends
 * every connection, answered or not.
 */
async function scripted(behave) {
  const server = http.createServer((req, res) => { server.hits++; req.resume(); behave(req, res); });
  server.hits = 0;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/webhook`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** The ack code the bridge's console line for event `id` says it sent. */
const ackSaid = (lines, id) => Number(lines.find((l) => l.includes(` ${id} `))?.match(/acked (\d{3})/)?.[1]);

const tests = [
  {
    name: 'dev bridge: events and card callbacks reach the local server encrypted, signed and with the token; replies come back as acks; a down server is ack 500; Ctrl-C exits',
    async fn() {
      const emu = await createEmulator();
      await emu.reset({ wsClientConfig: { PingInterval: 5, ReconnectInterval: 0.3, ReconnectNonce: 0.1 } });
      const local = await localServer();
      const b = bridge(emu, local.url);
      try {
        await until('the bridge to connect', () => b.lines.some((l) => l.includes('connected: forwarding')));
        const event = messageEvent('ev_bridge_1', '');
        const ack = await emu.pushEvent(event);
        assertEqual(ack.code, 200);
        assertEqual(local.seen.map((d) => d.event_id), ['ev_bridge_1']);
        const card = { schema: '2.0', header: { event_id: 'ev_bridge_card', event_type: 'card.action.trigger', app_id: 'cli_0123456789abcdef' }, event: { operator: { open_id: 'ou_1' }, action: { tag: 'button', value: { k: 7 } } } };
        const cardAck = await emu.pushEvent(card);
        assertEqual([cardAck.code, cardAck.data], [200, { toast: { type: 'success', content: 'clicked 7' } }]);
        await until('one line per event', () => b.lines.filter((l) => /ev_bridge_(1|card) 200 \d+ ms/.test(l)).length === 2);
        assert(b.lines.some((l) => l.includes('im.message.receive_v1 ev_bridge_1 200')), b.lines.join('\n'));
        // The local server stops: the ack is 500 (the platform will push again) and the line says why.
        await local.close();
        const down = await emu.pushEvent(messageEvent('ev_bridge_2', ''));
        assertEqual(down.code, 500);
        await until('the down line', () => b.lines.some((l) => l.includes('ev_bridge_2 unreachable') && l.includes('did not answer')));
        // Ctrl-C closes cleanly.
        b.child.kill('SIGINT');
        const exit = await Promise.race([b.exited, sleep(3000).then(() => 'still running')]);
        assertEqual(exit, { code: 0, signal: null });
        await until('the socket to close', async () => (await emu.wsStatus()).connections === 0, 2000);
      } finally {
        b.child.kill('SIGKILL');
        await local.close().catch(() => {});
        await emu.close();
      }
    },
  },
  {
    name: 'dev bridge (review 8): Ctrl-C while connecting (the endpoint does not answer) is a stop: exit 0, no "refused" line',
    async fn() {
      const emu = await createEmulator();
      const fault = await fetch(`${emu.url}/__emu/ws/fault`, { method: 'POST', body: JSON.stringify({ kind: 'endpoint', hang: true }) });
      assertEqual(fault.status, 200);
      const b = bridge(emu, 'http://127.0.0.1:9/webhook');
      try {
        await until('the bridge to start', () => b.lines.some((l) => l.includes('note: card callbacks')));
        await sleep(300);
        b.child.kill('SIGINT');
        const exit = await Promise.race([b.exited, sleep(3000).then(() => 'still running')]);
        assertEqual(exit, { code: 0, signal: null });
        assert(!b.lines.some((l) => l.includes('refused')), b.lines.join('\n'));
        assert(b.lines.some((l) => l.endsWith(' closed')), b.lines.join('\n'));
      } finally {
        b.child.kill('SIGKILL');
        await emu.close();
      }
    },
  },
  {
    name: 'dev bridge: --card sends card callbacks to the card URL (the worker-example\'s /webhook/card) and events to --forward; the toast and card come back in the ack the emulator got',
    async fn() {
      const emu = await createEmulator();
      await emu.reset({ wsClientConfig: { PingInterval: 5, ReconnectInterval: 0.3, ReconnectNonce: 0.1 } });
      const local = await workerShaped();
      const b = bridge(emu, `${local.base}/webhook/event`, '--card', `${local.base}/webhook/card`);
      try {
        await until('the bridge to connect', () => b.lines.some((l) => l.includes('connected: forwarding')));
        assert(b.lines.some((l) => l.includes(`card callbacks to ${local.base}/webhook/card`)), b.lines.join('\n'));
        // A click, pushed by the emulator's control route over the long connection.
        const res = await fetch(`${emu.url}/__emu/ws/card`, { method: 'POST', body: JSON.stringify({ value: { action: 'helpful' }, open_id: 'ou_clicker' }) });
        const { ack, event_id: id } = await res.json();
        assertEqual([res.status, ack.code, ack.data?.toast], [200, 200, { type: 'success', content: 'Thanks for the feedback!' }]);
        assertEqual(ack.data.card.body.elements[0].content, 'Marked as helpful');
        const message = await emu.pushEvent(messageEvent('ev_routed_message', ''));
        assertEqual(message.code, 200);
        assertEqual(local.hits, { '/webhook/event': 1, '/webhook/card': 1 });
        assertEqual(local.seen.map((d) => d.event_id), ['ev_routed_message']);
        await until('the card line', () => b.lines.some((l) => l.includes(` ${id} `)));
        assert(b.lines.some((l) => l.includes(`card.action.trigger ${id} 200`) && l.includes('acked 200 with a toast and a card')), b.lines.join('\n'));
        assert(!b.lines.some((l) => l.includes('warning')), b.lines.join('\n'));
      } finally {
        b.child.kill('SIGKILL');
        await local.close();
        await emu.close();
      }
    },
  },
  {
    name: 'dev bridge: without --card, card callbacks go to the event URL with a note at start, and an answer with no toast or card is warned about',
    async fn() {
      const emu = await createEmulator();
      await emu.reset({ wsClientConfig: { PingInterval: 5, ReconnectInterval: 0.3, ReconnectNonce: 0.1 } });
      const local = await workerShaped();
      const b = bridge(emu, `${local.base}/webhook/event`);
      try {
        await until('the bridge to connect', () => b.lines.some((l) => l.includes('connected: forwarding')));
        assert(b.lines.some((l) => l.includes('card callbacks (card.action.trigger) go to') && l.includes('--card <url>')), b.lines.join('\n'));
        const res = await fetch(`${emu.url}/__emu/ws/card`, { method: 'POST', body: JSON.stringify({ value: { action: 'helpful' } }) });
        const { ack, event_id: id } = await res.json();
        // The event URL's dispatcher has no card handler: 200 with no data, so no toast.
        assertEqual([ack.code, ack.data], [200, undefined]);
        assertEqual(local.hits, { '/webhook/event': 1, '/webhook/card': 0 });
        await until('the warning', () => b.lines.some((l) => l.includes(`warning: the card callback ${id} was answered 200 with no toast and no card`)));
        assert(b.lines.some((l) => l.includes('warning') && l.includes('pass --card <url>')), b.lines.join('\n'));
      } finally {
        b.child.kill('SIGKILL');
        await local.close();
        await emu.close();
      }
    },
  },
  {
    name: 'dev bridge: no credentials, or a bad option or region, is one line (no stack) and exit 2',
    async fn() {
      const run = async (args, env) => {
        const child = spawn(process.execPath, [BIN, 'dev', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (b) => { text += b; });
        child.stderr.on('data', (b) => { text += b; });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        const code = await new Promise((r) => child.on('exit', r));
        clearTimeout(timer);
        return { code, text };
      };
      const none = await run(['--forward', 'http://127.0.0.1:9/webhook'], {});
      assertEqual(none.code, 2, none.text);
      assertEqual(none.text.trim().split('\n').length, 1, none.text);
      assert(none.text.includes('FEISHU_APP_ID') && !none.text.includes('    at '), none.text);
      const region = await run(['--forward', 'http://127.0.0.1:9/webhook'], { FEISHU_APP_ID: 'cli_0123456789abcdef', FEISHU_APP_SECRET: 's', FEISHU_REGION: 'mars' });
      assertEqual(region.code, 2, region.text);
      assert(region.text.startsWith('feishu-edge dev: ') && region.text.includes('mars') && !region.text.includes('    at '), region.text);
      const card = await run(['--forward', 'http://127.0.0.1:9/webhook', '--card', 'not a url'], {});
      assertEqual(card.code, 2);
      assert(card.text.startsWith('feishu-edge dev: --card needs a URL'), card.text);
    },
  },
  {
    name: 'dev bridge: usage errors are explained',
    async fn() {
      const child = spawn(process.execPath, [BIN, 'dev'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stderr.on('data', (b) => { text += b; });
      const code = await new Promise((r) => child.on('exit', r));
      assertEqual(code, 2);
      assert(text.includes('usage: feishu-edge dev --forward <url>'), text);
    },
  },
  {
    name: 'dev bridge: a local answer later than the early-ack deadline (a late 500, or none) reaches the platform as ack 500, and the console line says the ack the platform got',
    async fn() {
      const emu = await createEmulator();
      await emu.reset({ wsClientConfig: { PingInterval: 5, ReconnectInterval: 0.3, ReconnectNonce: 0.1 } });
      let mode = 'ok';
      const local = await scripted((req, res) => {
        if (mode === 'late500') setTimeout(() => res.writeHead(500).end('{"error":"late"}'), 2700);
        else if (mode === 'ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        // 'never': no answer at all
      });
      const b = bridge(emu, local.url);
      try {
        await until('the bridge to connect', () => b.lines.some((l) => l.includes('connected: forwarding')));
        for (const [id, m, code] of [['ev_late_500', 'late500', 500], ['ev_no_answer', 'never', 500], ['ev_in_time', 'ok', 200]]) {
          mode = m;
          const ack = await emu.pushEvent(messageEvent(id, ''));
          assertEqual(ack.code, code, `${id}: the ack the platform got`);
          await until(`the line for ${id}`, () => b.lines.some((l) => l.includes(` ${id} `)));
          assertEqual(ackSaid(b.lines, id), ack.code, `${id}: the console line says the ack sent\n${b.lines.join('\n')}`);
        }
        assert(b.lines.some((l) => l.includes('ev_no_answer late') && l.includes('did not answer within')), b.lines.join('\n'));
      } finally {
        b.child.kill('SIGKILL');
        await local.close();
        await emu.close();
      }
    },
  },
  {
    name: 'dev bridge: a redirect from the local server is not followed (the signed event goes nowhere else), it is reported and acked 500',
    async fn() {
      const emu = await createEmulator();
      await emu.reset({ wsClientConfig: { PingInterval: 5, ReconnectInterval: 0.3, ReconnectNonce: 0.1 } });
      const elsewhere = await scripted((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      const local = await scripted((req, res) => res.writeHead(307, { location: elsewhere.url }).end());
      const b = bridge(emu, local.url);
      try {
        await until('the bridge to connect', () => b.lines.some((l) => l.includes('connected: forwarding')));
        const ack = await emu.pushEvent(messageEvent('ev_redirected', ''));
        await until('the line', () => b.lines.some((l) => l.includes(' ev_redirected ')));
        assertEqual([local.server.hits, elsewhere.server.hits, ack.code], [1, 0, 500]);
        assertEqual(ackSaid(b.lines, 'ev_redirected'), 500);
        assert(b.lines.some((l) => l.includes('ev_redirected 307') && l.includes(`a redirect to ${elsewhere.url}, not followed`)), b.lines.join('\n'));
      } finally {
        b.child.kill('SIGKILL');
        await local.close();
        await elsewhere.close();
        await emu.close();
      }
    },
  },
];

const result = await runTests('dev-bridge', tests, {});
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
