// The long connection in Node beside the official SDK (issue 16): the official node-sdk
// WSClient against our emulator (the emulator speaks the platform's protocol), both clients
// handing their handlers the same data for the same push, a process that exits by itself
// after close(), and Node 18/20 without a global WebSocket.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import * as lark from '@larksuiteoapi/node-sdk';
import { runTests, assert, assertEqual } from './harness.mjs';

const { WSClient, EventDispatcher, FeishuError } = await import('../../pkg/node.js');
const { createEmulator, fixtures } = await import('../../pkg/testing/index.js');
const APP_ID = 'cli_a1b2c3d4e5f60718'; // the official client refuses ids not shaped like this
const SECRET = 'emu_secret_value';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const until = async (what, check, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

const figures = [];
const canonical = (v) => (Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v);

const tests = [
  {
    name: 'review 12: the `ws` package gets maxPayload (the core\'s frame limit, not its 100 MiB default), so a larger frame is refused before it is buffered',
    async fn() {
      const emu = await createEmulator({ appId: APP_ID, appSecret: SECRET });
      const seen = [];
      class Recording extends WebSocket {
        constructor(url, options) { seen.push(options); super(url, options); }
      }
      const ws = new WSClient({ appId: APP_ID, appSecret: SECRET, baseUrl: emu.url, logLevel: 'none', WebSocket: Recording });
      try {
        await ws.start({ eventDispatcher: new EventDispatcher({}) });
        assertEqual(seen.length, 1);
        const max = seen[0]?.maxPayload;
        assert(Number.isInteger(max) && max >= 1024 * 1024 && max < 100 * 1024 * 1024, `maxPayload ${max}`);
      } finally {
        await ws.close();
        await emu.close();
      }
    },
  },
  {
    name: 'the official node-sdk WSClient connects to the emulator, receives a fragmented event and acks it',
    async fn() {
      const emu = await createEmulator({ appId: APP_ID, appSecret: SECRET });
      const seen = [];
      const ws = new lark.WSClient({ appId: APP_ID, appSecret: SECRET, domain: emu.url, logger: quiet });
      try {
        await ws.start({ eventDispatcher: new lark.EventDispatcher({ logger: quiet }).register({ 'im.message.receive_v1': async (data) => { seen.push(data); } }) });
        await until('the official client to connect', async () => (await emu.wsStatus()).connections === 1);
        const ack = await emu.pushEvent(fixtures.messageReceive({ text: 'from the emulator' }), { fragments: 4 });
        assertEqual(ack.code, 200);
        assertEqual(JSON.parse(seen[0].message.content), { text: 'from the emulator' });
      } finally {
        ws.close({ force: true });
        await emu.close();
      }
    },
  },
  {
    name: 'for the same push, our handler gets the object the official client\'s handler gets; our ack carries a non-negative biz_rt',
    async fn() {
      const emu = await createEmulator({ appId: APP_ID, appSecret: SECRET });
      const got = {};
      const push = fixtures.messageReceive({ text: 'same for both' });
      const official = new lark.WSClient({ appId: APP_ID, appSecret: SECRET, domain: emu.url, logger: quiet });
      const ours = new WSClient({ appId: APP_ID, appSecret: SECRET, baseUrl: emu.url, WebSocket, logLevel: 'none' });
      try {
        await official.start({ eventDispatcher: new lark.EventDispatcher({ logger: quiet }).register({ 'im.message.receive_v1': async (d) => { got.official = d; } }) });
        await until('the official client', async () => (await emu.wsStatus()).connections === 1);
        await emu.pushEvent(push);
        official.close({ force: true });
        await until('it to leave', async () => (await emu.wsStatus()).connections === 0);
        await ours.start({ eventDispatcher: new EventDispatcher({}).register({ 'im.message.receive_v1': (d) => { got.ours = d; } }) });
        const ack = await emu.pushEvent(push);
        // The same fields and values (key order is not part of an object's meaning).
        assertEqual(canonical(got.ours), canonical(got.official));
        assert(ack.bizRt >= 0, `biz_rt ${ack.bizRt}`);
      } finally {
        official.close({ force: true });
        await ours.close();
        await emu.close();
      }
    },
  },
  {
    name: 'a process that starts a WSClient and closes it exits by itself (no timer or socket left)',
    async fn() {
      const emu = await createEmulator();
      const script = `
        import WebSocket from 'ws';
        const { WSClient, EventDispatcher } = await import(${JSON.stringify(new URL('../../pkg/node.js', import.meta.url).href)});
        const ws = new WSClient({ appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', baseUrl: ${JSON.stringify(emu.url)}, WebSocket, logLevel: 'none' });
        await ws.start({ eventDispatcher: new EventDispatcher({}) });
        await ws.close();
        console.log('closed');`;
      try {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (b) => { out += b; });
        const started = Date.now();
        const code = await Promise.race([new Promise((r) => child.on('exit', r)), sleep(5000).then(() => 'still running')]);
        if (code === 'still running') child.kill('SIGKILL');
        assertEqual([code, out.trim()], [0, 'closed']);
        assert(Date.now() - started < 5000);
      } finally {
        await emu.close();
      }
    },
  },
  {
    name: 'issue 23 L3: close() with the endpoint request in flight, or with a handler still running, leaves nothing: the process exits within 1.8 s',
    async fn() {
      const emu = await createEmulator();
      const pkgUrl = JSON.stringify(new URL('../../pkg/node.js', import.meta.url).href);
      // Prints how long the process lingered after close() was called.
      const scripts = {
        endpoint: `
          const ws = new WSClient({ appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', baseUrl: URL_, WebSocket, logLevel: 'none' });
          ws.start({ eventDispatcher: new EventDispatcher({}) }).catch(() => {});
          await new Promise((r) => setTimeout(r, 300));
          t0 = Date.now();
          await ws.close();`,
        handler: `
          const ws = new WSClient({ appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', baseUrl: URL_, WebSocket, logLevel: 'none' });
          await ws.start({ eventDispatcher: new EventDispatcher({ logLevel: 'none' }).register({ 'im.message.receive_v1': () => {
            t0 = Date.now();
            ws.close();
            console.log('handling');
            return new Promise(() => {}); // never ends, and holds no timer
          } }) });
          console.log('ready');`,
      };
      try {
        for (const [what, body] of Object.entries(scripts)) {
          if (what === 'endpoint') emu.wsFault('endpoint', { hang: true });
          const script = `import WebSocket from 'ws';
            const { WSClient, EventDispatcher } = await import(${pkgUrl});
            let t0;
            process.on('exit', () => console.log('lingered ' + (Date.now() - t0)));
            const URL_ = ${JSON.stringify(emu.url)};
            ${body}`;
          const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (b) => { out += b; });
          if (what === 'handler') {
            await until('the child to connect', () => out.includes('ready'));
            emu.pushEvent(fixtures.messageReceive({}), { timeoutMs: 5000 }).catch(() => {});
          }
          const code = await Promise.race([new Promise((r) => child.on('exit', r)), sleep(15000).then(() => 'still running')]);
          if (code === 'still running') child.kill('SIGKILL');
          const lingered = Number(/lingered (\d+)/.exec(out)?.[1]);
          assert(code === 0 && lingered < 1800, `${what}: exit ${code}, lingered ${lingered} ms after close(): ${out}`);
          figures.push(`close() with ${what === 'endpoint' ? 'an endpoint request in flight' : 'a handler running'}: the process exited ${lingered} ms after close()`);
        }
      } finally {
        await emu.close();
      }
    },
  },
  {
    name: 'Node 18/20 without a global WebSocket: the project\'s `ws` package serves, as in the official client (its README program runs unchanged); `agent` reaches it',
    async fn() {
      const { Agent } = await import('node:http');
      const emu = await createEmulator();
      const agent = new Agent();
      let created = 0;
      const original = agent.createConnection.bind(agent);
      agent.createConnection = (...args) => { created++; return original(...args); };
      const seen = [];
      if (typeof globalThis.WebSocket === 'function') {
        // Node 22+: the global WebSocket takes no agent; the error says what to pass.
        let err;
        try { new WSClient({ appId: 'cli_x', appSecret: 's', agent: {} }); } catch (e) { err = e; }
        assert(err instanceof FeishuError && err.message.includes('agent'), String(err));
      }
      // No `WebSocket` option: on Node 20 the `ws` package is found and gets the agent.
      const ws = new WSClient({ ...emu.clientOptions, ...(typeof globalThis.WebSocket === 'function' ? { WebSocket } : {}), agent, logLevel: 'none' });
      try {
        await ws.start({ eventDispatcher: new EventDispatcher({}).register({ 'im.message.receive_v1': (d) => { seen.push(d.message.chat_id); } }) });
        assertEqual(created, 1);
        assertEqual((await emu.pushEvent(fixtures.messageReceive({ chatId: 'oc_fallback' }))).code, 200);
        assertEqual(seen, ['oc_fallback']);
      } finally {
        await ws.close();
        await emu.close();
      }
    },
  },
];

const result = await runTests('ws-node', tests, {});
console.log(result.lines.join('\n'));
for (const f of figures) console.log(`figure - ${f}`);
process.exit(result.failed ? 1 : 0);
