// Builds the workers-rs example with worker-build, runs it in workerd (through Miniflare) against
// the loopback emulator, and sends it what the platform sends: an unsigned request, a forged
// one, a URL challenge, and a message event, encrypted and signed here with node:crypto (apart
// from the core that checks them). Ends with "workers-rs: N passed, N failed".
//
// EMU_URL: use that emulator (scripts/test's, with its default app); otherwise one is started
// from pkg/ (`feishu-edge emulator`). WORKERS_RS_NO_BUILD=1: use build/ as it is.
import { Miniflare } from 'miniflare';
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dir = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const ENCRYPT_KEY = 'workers-rs-encrypt-key';
const CHAT = 'oc_workers_rs_chat';
const bin = (name) => [`${root}node_modules/.bin/${name}`, `${homedir()}/.cargo/bin/${name}`].find(existsSync) ?? name;

// The build: worker-build with the wasm-bindgen CLI, wasm-opt and esbuild this repository
// installs (worker-build would otherwise download them).
if (process.env.WORKERS_RS_NO_BUILD !== '1') {
  const lockVersion = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(readFileSync(`${dir}Cargo.lock`, 'utf8'))?.[1];
  const cli = spawnSync(bin('wasm-bindgen'), ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (cli !== `wasm-bindgen ${lockVersion}`) {
    console.error(`the wasm-bindgen CLI (${cli ?? 'missing'}) must equal the wasm-bindgen crate of Cargo.lock (${lockVersion}): run scripts/setup`);
    process.exit(1);
  }
  const started = Date.now();
  const built = spawnSync(bin('worker-build'), ['--release'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, WASM_BINDGEN_BIN: bin('wasm-bindgen'), WASM_OPT_BIN: bin('wasm-opt'), ESBUILD_BIN: bin('esbuild') },
  });
  if (built.status !== 0) { console.error('worker-build failed'); process.exit(1); }
  console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
for (const f of ['index.js', 'index_bg.wasm']) {
  const bytes = readFileSync(`${dir}build/${f}`);
  console.log(`figure - build/${f}: ${statSync(`${dir}build/${f}`).size} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip -9`);
}

/** The emulator: scripts/test's (EMU_URL) or a process of our own. */
async function emulator() {
  if (process.env.EMU_URL) return { url: process.env.EMU_URL, appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value', close() {} };
  const child = spawn(process.execPath, [`${root}pkg/bin/feishu-edge.js`, 'emulator', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    child.on('exit', (code) => reject(new Error(`the emulator exited (${code}); is pkg/ built (scripts/build)?`)));
  });
  child.stdout.resume();
  return { ...JSON.parse(first), close: () => child.kill() };
}

/** The request the platform sends: the payload AES-256-CBC encrypted under SHA-256(key), signed with SHA-256(timestamp + nonce + key + body). */
function sealed(payload, key = ENCRYPT_KEY, { sign = true } = {}) {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(key).digest(), iv);
  const encrypt = Buffer.concat([iv, cipher.update(JSON.stringify(payload)), cipher.final()]).toString('base64');
  const body = JSON.stringify({ encrypt });
  const headers = { 'content-type': 'application/json' };
  if (sign) {
    const [timestamp, nonce] = [String(Math.floor(Date.now() / 1000)), randomBytes(8).toString('hex')];
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = createHash('sha256').update(timestamp + nonce + key + body).digest('hex');
  }
  return { method: 'POST', headers, body };
}

const messageEvent = (emu, { text, messageId, eventId = `ev_${randomBytes(6).toString('hex')}` }) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: '', app_id: emu.appId, tenant_key: 'tk_workers_rs' },
  event: {
    sender: { sender_id: { open_id: 'ou_workers_rs' }, sender_type: 'user', tenant_key: 'tk_workers_rs' },
    message: { message_id: messageId, chat_id: CHAT, chat_type: 'group', message_type: 'text', content: JSON.stringify({ text }), create_time: String(Date.now()), mentions: [] },
  },
});

const control = async (emu, path, body) => (await fetch(emu.url + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
/** The bot's messages in the chat, once `count` of them are there (its reply goes out past the 200). */
async function botMessages(emu, count, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const items = (await control(emu, `/__emu/messages?chat_id=${CHAT}`)).items.filter((m) => m.sender?.sender_type === 'app');
    if (items.length >= count || Date.now() > until) return items;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sends = async (emu) => (await control(emu, '/__emu/log')).requests.filter((r) => r.method === 'POST' && r.path === 'im/v1/messages');

function check(cond, what) {
  if (!cond) throw new Error(what);
}

const tests = [
  ['an unsigned event is refused 401 and nothing is sent', async ({ mf, emu }) => {
    const body = JSON.stringify(messageEvent(emu, { text: 'unsigned', messageId: 'om_unsigned' }));
    const res = await mf.dispatchFetch('http://bot.test/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const reply = await res.json();
    check(res.status === 401, `status ${res.status} ${JSON.stringify(reply)}`);
    await new Promise((r) => setTimeout(r, 200));
    check((await sends(emu)).length === 0, 'a message was sent');
  }],
  ['an event signed and encrypted with another key is refused 401 (signature_mismatch)', async ({ mf, emu }) => {
    const res = await mf.dispatchFetch('http://bot.test/webhook', sealed(messageEvent(emu, { text: 'forged', messageId: 'om_forged' }), 'not-the-key'));
    const reply = await res.json();
    check(res.status === 401 && reply.error === 'signature_mismatch', `${res.status} ${JSON.stringify(reply)}`);
  }],
  ['the URL challenge (encrypted, unsigned as the platform may send it, and signed) is answered', async ({ mf }) => {
    for (const sign of [false, true]) {
      const res = await mf.dispatchFetch('http://bot.test/webhook', sealed({ challenge: `ch-${sign}`, token: '', type: 'url_verification' }, ENCRYPT_KEY, { sign }));
      const reply = await res.json();
      check(res.status === 200 && reply.challenge === `ch-${sign}`, `${res.status} ${JSON.stringify(reply)}`);
    }
  }],
  ['a signed, encrypted im.message.receive_v1 is answered 200 and the bot replies in the chat with an emulator-issued tenant token', async ({ mf, emu }) => {
    const res = await mf.dispatchFetch('http://bot.test/webhook', sealed(messageEvent(emu, { text: 'hello from workerd', messageId: 'om_workers_rs_1' })));
    check(res.status === 200 && (await res.text()) === '{}', `status ${res.status}`);
    const [message] = await botMessages(emu, 1);
    check(message, 'no reply in the chat');
    check(message.msg_type === 'text' && JSON.parse(message.body.content).text === 'You said: hello from workerd', JSON.stringify(message));
    const log = await control(emu, '/__emu/log');
    const [send] = log.requests.filter((r) => r.path === 'im/v1/messages');
    const token = send.authorization?.replace(/^Bearer /, '');
    check(token?.startsWith('t-') && log.tokensIssued.includes(token), `sent with ${token?.slice(0, 6)}…, not a tenant token the emulator issued`);
    check(send.query === '?receive_id_type=chat_id' && send.body.receive_id === CHAT && send.body.uuid === 'om_workers_rs_1', JSON.stringify(send.body));
    check(log.counts.tenantToken === 1, `tenant token fetched ${log.counts.tenantToken} times`);
  }],
  ['the same event delivered again (once answered) is acknowledged, not answered twice', async ({ mf, emu }) => {
    // A redelivery while the first is still being handled gets 503 (the platform tries later).
    const event = messageEvent(emu, { text: 'once', messageId: 'om_workers_rs_once' });
    const first = await mf.dispatchFetch('http://bot.test/webhook', sealed(event));
    check(first.status === 200, `first delivery: ${first.status}`);
    await botMessages(emu, 2);
    const again = await mf.dispatchFetch('http://bot.test/webhook', sealed(event));
    check(again.status === 200, `second delivery: ${again.status}`);
    await new Promise((r) => setTimeout(r, 300));
    const replies = (await sends(emu)).filter((s) => s.body.uuid === 'om_workers_rs_once');
    check(replies.length === 1, `${replies.length} replies`);
  }],
  ['a 429 reaches the core as a reply: the send waits out x-ogw-ratelimit-reset (worker::Delay) and goes through, on the cached token', async ({ mf, emu }) => {
    await control(emu, '/__emu/faults', { rules: [{ kind: 'rate_limit', match: 'im/v1/messages', count: 1, resetSeconds: 1 }] });
    const res = await mf.dispatchFetch('http://bot.test/webhook', sealed(messageEvent(emu, { text: 'busy?', messageId: 'om_workers_rs_429' })));
    check(res.status === 200, `status ${res.status}`);
    const messages = await botMessages(emu, 3);
    check(messages.some((m) => JSON.parse(m.body.content).text === 'You said: busy?'), 'no reply after the 429');
    const attempts = (await sends(emu)).filter((s) => s.body.uuid === 'om_workers_rs_429');
    check(attempts.length === 2 && attempts[1].at - attempts[0].at >= 900, `${attempts.length} attempts, ${attempts[1]?.at - attempts[0]?.at} ms apart`);
    check((await control(emu, '/__emu/log')).counts.tenantToken === 1, 'the tenant token was fetched again');
  }],
  ['a send slower than FEISHU_TIMEOUT_MS (1 s) is given up at the timeout: the event is released, and its redelivery answered', async ({ mf, emu }) => {
    // Were the timeout not honoured, the first delivery would still hold the event at 1.6 s,
    // and the redelivery would get 503.
    await control(emu, '/__emu/faults', { rules: [{ kind: 'slow', match: 'im/v1/messages', count: 1, delayMs: 3000 }] });
    const event = messageEvent(emu, { text: 'slow', messageId: 'om_workers_rs_slow' });
    const first = await mf.dispatchFetch('http://bot.test/webhook', sealed(event));
    check(first.status === 200, `first delivery: ${first.status}`);
    await new Promise((r) => setTimeout(r, 1600));
    const again = await mf.dispatchFetch('http://bot.test/webhook', sealed(event));
    check(again.status === 200, `redelivery at 1.6 s: ${again.status} (the first send still held the event)`);
    const until = Date.now() + 5000;
    let attempts;
    do {
      await new Promise((r) => setTimeout(r, 50));
      attempts = (await sends(emu)).filter((s) => s.body.uuid === 'om_workers_rs_slow');
    } while (attempts.length < 2 && Date.now() < until);
    check(attempts.length === 2 && attempts[1].at - attempts[0].at >= 1000, `${attempts.length} sends, ${attempts[1]?.at - attempts[0]?.at} ms apart`);
  }],
  ['a redirect is handed to the core, which refuses it: the token never follows it', async ({ mf, emu }) => {
    await control(emu, '/__emu/faults', { rules: [{ kind: 'redirect', match: 'im/v1/messages', count: 1, location: `${emu.url}/open-apis/elsewhere` }] });
    const res = await mf.dispatchFetch('http://bot.test/webhook', sealed(messageEvent(emu, { text: 'moved', messageId: 'om_workers_rs_302' })));
    check(res.status === 200, `status ${res.status}`);
    await new Promise((r) => setTimeout(r, 500));
    const log = (await control(emu, '/__emu/log')).requests;
    check(log.some((r) => r.body?.uuid === 'om_workers_rs_302'), 'the send was not made');
    check(!log.some((r) => r.path === 'elsewhere'), 'the redirect was followed');
  }],
  ['a deploy without its app secret answers 500 naming the setting', async ({ emu }) => {
    const bare = worker({ FEISHU_APP_ID: emu.appId, FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_BASE_URL: emu.url });
    try {
      const res = await bare.dispatchFetch('http://bot.test/webhook', sealed(messageEvent(emu, { text: 'x', messageId: 'om_bare' })));
      const text = await res.text();
      check(res.status === 500 && text.includes('FEISHU_APP_SECRET'), `${res.status} ${text}`);
    } finally {
      await bare.dispose();
    }
  }],
  ['anything but POST /webhook is 404', async ({ mf }) => {
    const res = await mf.dispatchFetch('http://bot.test/');
    check(res.status === 404, `status ${res.status}`);
  }],
];

/** The built Worker in workerd, with these variables. */
const worker = (bindings) => new Miniflare({
  modules: true,
  scriptPath: `${dir}build/index.js`,
  modulesRoot: `${dir}build`,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2025-01-01',
  bindings,
});

const emu = await emulator();
let passed = 0, failed = 0;
let mf;
try {
  await control(emu, '/__emu/reset', { appId: emu.appId, appSecret: emu.appSecret });
  mf = worker({ FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_BASE_URL: emu.url, FEISHU_TIMEOUT_MS: '1000' });
  await mf.ready;
  for (const [name, fn] of tests) {
    const started = Date.now();
    try {
      await fn({ mf, emu });
      passed++;
      console.log(`ok - ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}: ${e?.stack ?? e}`);
    }
  }
} finally {
  await mf?.dispose();
  emu.close();
}
console.log(`workers-rs: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
