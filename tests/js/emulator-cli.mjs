// `npx feishu-edge emulator` (issue 24): the emulator as a process. The CLI starts and prints
// its URL, app id and secret; our FeishuClient and the official node-sdk Client get a token and
// send messages to it, which are listed back with their bodies; uploaded images and files
// download with the same bytes; the official WSClient connects with the default app id and a
// control route pushes events to it. FEISHU_EDGE_PKG: another built package to test (e.g. the
// released one, /work/pkg-released), default pkg/.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as lark from '@larksuiteoapi/node-sdk';
import { runTests, assert, assertEqual } from './harness.mjs';

const PKG = process.env.FEISHU_EDGE_PKG ?? fileURLToPath(new URL('../../pkg', import.meta.url));
const { FeishuClient } = await import(pathToFileURL(`${PKG}/node.js`).href);
const { createEmulator } = await import(pathToFileURL(`${PKG}/testing/index.js`).href);
const BIN = `${PKG}/bin/feishu-edge.js`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const until = async (what, check, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

/** `feishu-edge emulator …` as a child process; resolves once its first (JSON) line is out. */
async function cli(...args) {
  const child = spawn(process.execPath, [BIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { lines: [], err: '' };
  child.stdout.on('data', (b) => out.lines.push(...b.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (b) => { out.err += b; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const first = await Promise.race([
    until('the first line', () => out.lines.length > 0, 8000).then(() => out.lines[0]),
    exited.then((e) => { throw new Error(`the emulator exited (${JSON.stringify(e)}): ${out.err}${out.lines.join('\n')}`); }),
  ]);
  const info = JSON.parse(first);
  const control = async (path, body) => (await fetch(info.url + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
  const stop = async () => { child.kill('SIGINT'); return Promise.race([exited, sleep(3000).then(() => { child.kill('SIGKILL'); return 'still running'; })]); };
  return { child, out, info, control, exited, stop };
}

/** Runs `feishu-edge emulator …` to its end: { code, stdout, stderr }. */
async function cliExit(...args) {
  const child = spawn(process.execPath, [BIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (b) => { stdout += b; });
  child.stderr.on('data', (b) => { stderr += b; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await new Promise((r) => child.on('exit', r));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A tenant token straight from the emulator's token endpoint. */
const tokenOf = async (info) => (await (await fetch(`${info.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: info.appId, app_secret: info.appSecret }) })).json()).tenant_access_token;
// Each its own token cache: the official SDK's default cache is shared by the process and keyed
// by app id, and every emulator here has the same app id but its own tokens.
const ownCache = () => { const m = new Map(); return { get: async (k) => (m.get(k)?.expiresAt > Date.now() ? m.get(k).value : undefined), set: async (k, value, expiresAt) => { m.set(k, { value, expiresAt }); return true; } }; };
const officialClient = (info) => new lark.Client({ appId: info.appId, appSecret: info.appSecret, domain: info.url, loggerLevel: lark.LoggerLevel.error, logger: quiet, cache: ownCache() });
const ourClient = (info) => new FeishuClient({ appId: info.appId, appSecret: info.appSecret, baseUrl: info.url, logLevel: 'none' });

const tests = [
  {
    name: 'the CLI starts on loopback, prints its URL, app id and secret as JSON and how to point clients at it; Ctrl-C stops it',
    async fn() {
      const emu = await cli();
      try {
        assert(/^http:\/\/127\.0\.0\.1:\d+$/.test(emu.info.url), emu.info.url);
        assert(/^cli_[0-9a-f]{16}$/.test(emu.info.appId), `an app id the official WSClient accepts: ${emu.info.appId}`);
        assertEqual(emu.info.appSecret, 'emu_secret_value');
        await until('the help lines', () => emu.out.lines.some((l) => l.includes('Ctrl-C')));
        const text = emu.out.lines.join('\n');
        for (const s of [`baseUrl: '${emu.info.url}'`, `domain: '${emu.info.url}'`, `FEISHU_BASE_URL=${emu.info.url}`, '/__emu/ws/message']) assert(text.includes(s), `${s} in\n${text}`);
        assertEqual((await emu.control('/__emu/info')).appId, emu.info.appId);
      } finally {
        assertEqual(await emu.stop(), { code: 0, signal: null }, 'Ctrl-C exits 0');
      }
    },
  },
  {
    name: 'the CLI takes --port, --app-id and --app-secret; bad options and a port in use are one line, not a stack',
    async fn() {
      const emu = await cli('--app-id', 'cli_00000000000000aa', '--app-secret', 'other_secret');
      try {
        assertEqual([emu.info.appId, emu.info.appSecret], ['cli_00000000000000aa', 'other_secret']);
        const token = await (await fetch(`${emu.info.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: 'cli_00000000000000aa', app_secret: 'other_secret' }) })).json();
        assertEqual(token.code, 0);
        const port = Number(new URL(emu.info.url).port);
        const busy = await cliExit('--port', String(port));
        assertEqual(busy.code, 1, busy.stderr);
        assert(busy.stderr.includes('EADDRINUSE') && !busy.stderr.includes('    at '), busy.stderr);
      } finally {
        await emu.stop();
      }
      const bad = await cliExit('--port', 'eighty');
      assertEqual(bad.code, 2);
      assert(bad.stderr.startsWith('feishu-edge emulator: --port needs a port number'), bad.stderr);
      const unknown = await cliExit('--nope');
      assertEqual(unknown.code, 2);
      assert(unknown.stderr.includes('unknown option "--nope"'), unknown.stderr);
      // A free port asked for by number.
      const probe = net.createServer();
      await new Promise((r) => probe.listen(0, '127.0.0.1', r));
      const free = probe.address().port;
      await new Promise((r) => probe.close(r));
      const fixed = await cli('--port', String(free));
      try {
        assertEqual(fixed.info.url, `http://127.0.0.1:${free}`);
      } finally {
        await fixed.stop();
      }
    },
  },
  {
    name: 'our FeishuClient and the official Client get a token and send messages; the chat\'s history lists them back with their bodies, paged, and get reads one',
    async fn() {
      const emu = await cli();
      try {
        const chat = 'oc_history';
        const ours = ourClient(emu.info);
        const official = officialClient(emu.info);
        const a = await ours.im.send(chat, 'one from ours');
        const b = await official.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: chat, msg_type: 'text', content: JSON.stringify({ text: 'two from the official SDK' }) } });
        assertEqual(b.code, 0);
        const c = await ours.im.reply(a.message_id, 'three, a reply');
        await ours.im.send('oc_elsewhere', 'not in this chat');
        const counts = await emu.control('/__emu/log');
        assert(counts.counts.tenantToken >= 2, `a token for each client: ${JSON.stringify(counts.counts)}`);
        // Paged by two, with the official SDK.
        const first = await official.im.v1.message.list({ params: { container_id_type: 'chat', container_id: chat, page_size: 2 } });
        assertEqual([first.code, first.data.has_more, first.data.items.length], [0, true, 2]);
        const second = await official.im.v1.message.list({ params: { container_id_type: 'chat', container_id: chat, page_size: 2, page_token: first.data.page_token } });
        assertEqual([second.data.has_more, second.data.items.length], [false, 1]);
        const items = [...first.data.items, ...second.data.items];
        assertEqual(items.map((m) => JSON.parse(m.body.content).text), ['one from ours', 'two from the official SDK', 'three, a reply']);
        assertEqual(items.map((m) => m.message_id), [a.message_id, b.data.message_id, c.message_id]);
        for (const m of items) {
          assertEqual([m.msg_type, m.chat_id, m.sender.sender_type, m.sender.id, m.deleted], ['text', chat, 'app', emu.info.appId, false]);
          assert(/^\d{13}$/.test(m.create_time), m.create_time);
        }
        assertEqual(items[2].parent_id, a.message_id);
        // Newest first, through our client's official-shaped API and its iterator.
        const desc = [];
        for await (const page of await ours.im.v1.message.listWithIterator({ params: { container_id_type: 'chat', container_id: chat, sort_type: 'ByCreateTimeDesc', page_size: 1 } })) desc.push(...page.items.map((m) => m.message_id));
        assertEqual(desc, [c.message_id, b.data.message_id, a.message_id]);
        const one = await official.im.v1.message.get({ path: { message_id: b.data.message_id } });
        assertEqual(JSON.parse(one.data.items[0].body.content), { text: 'two from the official SDK' });
        // A recalled message stays in the history, marked deleted.
        await ours.im.recall(a.message_id);
        const after = await official.im.v1.message.list({ params: { container_id_type: 'chat', container_id: chat } });
        assertEqual(after.data.items.map((m) => m.deleted), [true, false, false]);
        const badToken = await fetch(`${emu.info.url}/open-apis/im/v1/messages?container_id_type=chat&container_id=${chat}&page_token=nope`, { headers: { authorization: `Bearer ${await tokenOf(emu.info)}` } });
        assert(badToken.status === 400, `an unknown page token: ${badToken.status}`);
      } finally {
        await emu.stop();
      }
    },
  },
  {
    name: 'an uploaded image and file download with the same bytes: by key, and as a message\'s resource (our client and the official SDK)',
    async fn() {
      const emu = await cli();
      try {
        const ours = ourClient(emu.info);
        const official = officialClient(emu.info);
        const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 3000 }, (_, i) => (i * 7) & 255)]);
        const pdf = new TextEncoder().encode(`%PDF-1.4 ${'report '.repeat(500)}`);
        const imageKey = await ours.im.uploadImage(png);
        const fileKey = await ours.im.uploadFile(pdf, 'report.pdf', { fileType: 'pdf' });
        const sent = await ours.im.send('oc_files', { image_key: imageKey });
        const same = (got, want, what) => assertEqual(Buffer.compare(Buffer.from(got), Buffer.from(want)), 0, `${what}: the same bytes`);
        same(await ours.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: imageKey } }), png, 'image by key');
        same(await ours.download({ path: 'im/v1/files/{file_key}', pathParams: { file_key: fileKey } }), pdf, 'file by key');
        same(await ours.im.downloadResource(sent.message_id, imageKey, 'image'), png, 'image as a resource');
        same(await ours.im.downloadResource(sent.message_id, fileKey, 'file'), pdf, 'file as a resource');
        // The official SDK: upload a Buffer, download through its file object's stream.
        const up = await official.im.v1.file.create({ data: { file_type: 'stream', file_name: 'notes.txt', file: Buffer.from('notes from the official SDK') } });
        const officialKey = up?.file_key ?? up?.data?.file_key;
        assert(officialKey?.startsWith('file_v3_'), JSON.stringify(up));
        const res = await official.im.v1.messageResource.get({ path: { message_id: sent.message_id, file_key: officialKey }, params: { type: 'file' } });
        const chunks = [];
        for await (const c of res.getReadableStream()) chunks.push(c);
        assertEqual(Buffer.concat(chunks).toString(), 'notes from the official SDK');
        const img = await official.im.v1.image.get({ path: { image_key: imageKey } });
        const imgChunks = [];
        for await (const c of img.getReadableStream()) imgChunks.push(c);
        same(Buffer.concat(imgChunks), png, 'image through the official SDK');
        // The wrong type for a resource is the platform's parameter error.
        const wrong = await ours.im.downloadResource(sent.message_id, imageKey, 'file').then(() => null, (e) => e);
        assert(wrong && String(wrong.code) === '99992402', `type=file for an image: ${wrong?.code} ${wrong?.message}`);
      } finally {
        await emu.stop();
      }
    },
  },
  {
    name: 'the official WSClient connects with the emulator\'s default app id; control routes push a chat message, an event of any type and a card click to it',
    async fn() {
      const emu = await createEmulator();
      const seen = [];
      const errors = [];
      const ws = new lark.WSClient({ appId: emu.appId, appSecret: emu.appSecret, domain: emu.url, logger: { ...quiet, error: (...a) => errors.push(a.join(' ')) } });
      const control = async (path, body) => {
        const res = await fetch(emu.url + path, { method: 'POST', body: JSON.stringify(body) });
        return { status: res.status, ...(await res.json()) };
      };
      try {
        await ws.start({
          eventDispatcher: new lark.EventDispatcher({ logger: quiet }).register({
            'im.message.receive_v1': async (d) => { seen.push(['message', d]); },
            'contact.user.created_v3': async (d) => { seen.push(['user', d]); },
            'card.action.trigger': async (d) => { seen.push(['card', d]); return { toast: { type: 'info', content: 'seen' } }; },
          }),
        });
        await until(`the official client to connect with app id ${emu.appId} (it said: ${errors.join('; ') || 'nothing'})`, async () => (await emu.wsStatus()).connections === 1, 5000);
        const pushed = await control('/__emu/ws/message', { chat_id: 'oc_pushed', text: 'hello bot', open_id: 'ou_alice' });
        assertEqual([pushed.status, pushed.ack.code], [200, 200]);
        const [, msg] = seen.find(([k]) => k === 'message');
        assertEqual([msg.message.chat_id, JSON.parse(msg.message.content).text, msg.sender.sender_id.open_id, msg.message.message_id, msg.app_id], ['oc_pushed', 'hello bot', 'ou_alice', pushed.message_id, emu.appId]);
        // The pushed message is in the chat's history too.
        const history = await (await fetch(`${emu.url}/__emu/messages?chat_id=oc_pushed`)).json();
        assertEqual(history.items.map((m) => [m.message_id, m.sender.sender_type]), [[pushed.message_id, 'user']]);
        const user = await control('/__emu/ws/event', { event_type: 'contact.user.created_v3', event: { object: { name: 'Ada' } } });
        assertEqual(user.ack.code, 200);
        assertEqual(seen.find(([k]) => k === 'user')[1].object.name, 'Ada');
        assertEqual((await control('/__emu/ws/event', { event_type: 'no.such.event' })).status, 400);
        const card = await control('/__emu/ws/card', { value: { action: 'ok' } });
        assertEqual([card.ack.code, seen.find(([k]) => k === 'card')[1].action.value], [200, { action: 'ok' }]);
        ws.close({ force: true });
        await until('the client to leave', async () => (await emu.wsStatus()).connections === 0, 3000);
        assertEqual((await control('/__emu/ws/message', { text: 'nobody listens' })).status, 409, 'no client: 409');
      } finally {
        ws.close({ force: true });
        await emu.close();
      }
    },
  },
  {
    name: 'a bot end to end on the kit: emu.pushMessage reaches our WSClient, the bot replies through FeishuClient, emu.messages lists both; emu.pushCard returns the toast',
    async fn() {
      const { WSClient, EventDispatcher } = await import(pathToFileURL(`${PKG}/node.js`).href);
      const { default: WebSocket } = await import('ws');
      const emu = await createEmulator();
      const client = new FeishuClient({ ...emu.clientOptions, logLevel: 'none' });
      const bot = new EventDispatcher({ client }).register({
        'im.message.receive_v1': (data, ctx) => ctx.client.im.reply(data.message.message_id, `echo: ${JSON.parse(data.message.content).text}`),
        'card.action.trigger': (data) => ({ toast: { type: 'success', content: `got ${data.action.value.n}` } }),
      });
      const ws = new WSClient({ ...emu.clientOptions, WebSocket, logLevel: 'none' });
      try {
        await ws.start({ eventDispatcher: bot });
        const pushed = await emu.pushMessage({ chat_id: 'oc_kit', text: 'ping' });
        assertEqual(pushed.ack.code, 200);
        await until('the reply', async () => (await emu.messages('oc_kit')).length === 2);
        const [asked, answered] = await emu.messages('oc_kit');
        assertEqual([asked.message_id, asked.sender.sender_type, JSON.parse(asked.body.content).text], [pushed.message_id, 'user', 'ping']);
        assertEqual([answered.parent_id, answered.sender.sender_type, JSON.parse(answered.body.content).text], [pushed.message_id, 'app', 'echo: ping']);
        const click = await emu.pushCard({ value: { n: 3 } });
        assertEqual(click.ack.data, { toast: { type: 'success', content: 'got 3' } });
      } finally {
        await ws.close();
        await emu.close();
      }
    },
  },
  {
    name: 'faults over the control route: a rate limit, a 5xx and latency reach a client as the platform sends them',
    async fn() {
      const emu = await cli();
      try {
        await emu.control('/__emu/faults', { rules: [{ match: 'im/v1/messages', kind: 'rate_limit', count: 1 }, { match: 'im/v1/chats', kind: 'server_error', status: 503, count: 1 }, { match: 'contact/v3/users', kind: 'slow', delayMs: 300, count: 1 }] });
        const token = await tokenOf(emu.info);
        const get = (p) => fetch(`${emu.info.url}/open-apis/${p}`, { headers: { authorization: `Bearer ${token}` } });
        const limited = await get('im/v1/messages?container_id_type=chat&container_id=oc_1');
        assertEqual([limited.status, (await limited.json()).code, limited.headers.get('x-ogw-ratelimit-reset')], [429, 99991400, '1']);
        assertEqual((await get('im/v1/chats')).status, 503);
        const started = Date.now();
        assertEqual((await get('contact/v3/users/ou_1')).status, 200);
        assert(Date.now() - started >= 290, `latency ${Date.now() - started} ms`);
        // Each rule was used once: the same calls now succeed.
        assertEqual((await get('im/v1/messages?container_id_type=chat&container_id=oc_1')).status, 200);
        // A body past the emulator's limit is refused (413), and a control body that is not JSON is a 400.
        const bad = await fetch(`${emu.info.url}/__emu/faults`, { method: 'POST', body: 'not json' });
        assertEqual(bad.status, 400);
        await emu.control('/__emu/config', { maxBodyBytes: 1000 });
        const big = await fetch(`${emu.info.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ receive_id: 'oc_1', msg_type: 'text', content: 'x'.repeat(2000) }) }).catch((e) => e);
        assert(big.status === 413 || big instanceof Error, `a body past the limit: ${big.status ?? big}`);
      } finally {
        await emu.stop();
      }
    },
  },
];

const result = await runTests('emulator-cli', tests.filter((t) => !process.env.ONLY || t.name.includes(process.env.ONLY)), {});
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
