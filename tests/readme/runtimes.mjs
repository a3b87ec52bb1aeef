// Runs README.md's complete programs in the runtime they are written for, against the emulator:
// the browser page in Chromium, the Workers blocks in workerd (Miniflare, with real KV and Durable Object bindings), the Deno
// blocks in Deno with exactly the permissions the README names, the Node blocks in Node. A block
// is marked by the line `<!-- run: <scenario> -->` above it; every marked block has a scenario
// here and every scenario a block, so neither can go missing silently. The other blocks are
// fragments (they use a `client` defined elsewhere) and are compiled by check.mjs.
// Usage (from tests/pack-consumer.sh, in the consumer directory that installed the packed
// package): node runtimes.mjs <repo root>
import { readFileSync, writeFileSync, mkdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Miniflare } from 'miniflare';
import { chromium } from 'playwright-core';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';

const root = process.argv[2];
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = resolve('node_modules/feishu-edge');
const { createEmulator, signedRequest, fixtures } = await import(pathToFileURL(join(pkg, 'testing/index.js')).href);
const dir = resolve('readme-run');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
// The Node long-connection block imports `ws`, as a Node 18/20 user installs it.
if (!existsSync('node_modules/ws')) symlinkSync(join(root, 'node_modules/ws'), 'node_modules/ws', 'dir');

const KEYS = { encryptKey: 'readme-encrypt-key', verificationToken: 'readme-token' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
function assert(ok, message) {
  if (!ok) throw new Error(message);
}

/** The block with its package imports pointed at the installed package's entry for `entry`. */
function rewrite(code, entry) {
  // `feishu-edge/ws`: ws-workerd.js on workerd, ws-bundler.js in Deno (package.json's exports).
  const file = (sub) => (sub === '/webhook' ? `webhook/${entry}` : sub === '/ws' ? (entry === 'workerd.js' ? 'ws-workerd.js' : 'ws-bundler.js') : entry);
  return code.replace(/from '(?:npm:)?feishu-edge(\/webhook|\/ws)?'/g, (_, sub) => `from '${pathToFileURL(join(pkg, file(sub))).href}'`);
}

/** A child process with its output collected; `exited` resolves to its exit code. */
function start(command, args, env, file) {
  const child = spawn(command, [...args, file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout.on('data', (d) => { out.text += d; });
  child.stderr.on('data', (d) => { out.text += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  return { child, out, exited };
}
async function runToEnd(command, args, env, file, ms = 30000) {
  const p = start(command, args, env, file);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.out.text };
}

/** A Worker module in workerd, with the bindings the README's wrangler.toml would give it. */
async function inWorkerd(name, code, emu, fn, { entry = 'workerd.js', durable = false } = {}) {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, rewrite(code, entry).replace(/from 'file:\/\/[^']*\/node_modules\//g, "from '../node_modules/"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: file,
    modulesRoot: process.cwd(),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2025-01-01',
    bindings: { FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_BASE_URL: emu.url, FEISHU_ENCRYPT_KEY: KEYS.encryptKey, FEISHU_VERIFICATION_TOKEN: KEYS.verificationToken },
    kvNamespaces: ['TOKENS'],
    ...(durable ? { durableObjects: { FEISHU_STATE: 'FeishuStateObject' } } : {}),
  });
  try {
    await fn(mf);
  } finally {
    await mf.dispose();
  }
}
/** A web Request for Miniflare's dispatchFetch. */
async function post(mf, url, request) {
  return mf.dispatchFetch(url, { method: 'POST', headers: Object.fromEntries(request.headers), body: await request.text() });
}

const envOf = (emu) => ({ FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_BASE_URL: emu.url });
const deno = join(root, 'node_modules/.bin/deno');

const scenarios = {
  async 'workerd-quickstart'(code, emu) {
    await inWorkerd('quickstart', code, emu, async (mf) => {
      const res = await mf.dispatchFetch('http://worker/');
      const body = await res.text();
      assert(res.status === 200, `the Worker answered ${res.status}: ${body}`);
      assert(typeof JSON.parse(body).message_id === 'string', `no message_id in ${body}`);
      const calls = await emu.calls();
      assert(calls.some((c) => c.method === 'POST' && c.path === 'im/v1/messages'), 'the message never reached the emulator');
    });
    return 'a message sent from workerd with a KV token store';
  },
  async 'workerd-webhooks'(code, emu) {
    await inWorkerd('webhooks', code, emu, async (mf) => {
      const push = fixtures.messageReceive({ text: 'hi bot', token: KEYS.verificationToken });
      const res = await post(mf, 'http://worker/webhook', signedRequest('http://worker/webhook', push, KEYS));
      assert(res.status === 200, `event answered ${res.status}: ${await res.text()}`);
      await until('the reply (waitUntil)', async () => (await emu.calls()).some((c) => c.path === `im/v1/messages/${push.event.message.message_id}/reply`));
      const again = await post(mf, 'http://worker/webhook', signedRequest('http://worker/webhook', push, KEYS));
      assert(again.status === 200, `the redelivery answered ${again.status}`);
      await sleep(200);
      const replies = (await emu.calls()).filter((c) => c.path.endsWith('/reply'));
      assert(replies.length === 1, `the redelivered event was handled ${replies.length} times (Durable Object dedupe)`);
      const card = await post(mf, 'http://worker/webhook/card', signedRequest('http://worker/webhook/card', fixtures.cardAction({ token: KEYS.verificationToken }), KEYS));
      const reply = await card.json();
      assert(reply.toast?.content === 'saved', `card reply ${JSON.stringify(reply)}`);
      const forged = await mf.dispatchFetch('http://worker/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) });
      assert(forged.status >= 400, `an unsigned event answered ${forged.status}`);
    }, { durable: true });
    return 'event replied in the background, its redelivery deduplicated by the Durable Object, card answered, unsigned refused';
  },
  async 'workerd-webhook-only'(code, emu) {
    await inWorkerd('webhook-only', code, emu, async (mf) => {
      const push = fixtures.event('im.chat.member.bot.added_v1', {}, { token: KEYS.verificationToken });
      const res = await post(mf, 'http://worker/', signedRequest('http://worker/', push, KEYS));
      assert(res.status === 200, `answered ${res.status}: ${await res.text()}`);
      const forged = await mf.dispatchFetch('http://worker/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) });
      assert(forged.status >= 400, `an unsigned event answered ${forged.status}`);
    }, { entry: 'workerd.js' });
    return 'a signed event answered 200 on the webhook-only build, an unsigned one refused';
  },
  async 'deno-quickstart'(code, emu) {
    const file = join(dir, 'quickstart.ts');
    writeFileSync(file, rewrite(code, 'deno.js'));
    // The permissions the README names: --allow-net and --allow-env, nothing else.
    const { code: exit, out } = await runToEnd(deno, ['run', '--quiet', '--allow-net', '--allow-env'], envOf(emu), file);
    assert(exit === 0, `deno exited ${exit}: ${out}`);
    const names = out.trim().split('\n');
    assert(names.length === 5 && names.every(Boolean), `expected the emulator's 5 chat names, got: ${out}`);
    return `printed ${names.length} chat names with --allow-net --allow-env only`;
  },
  async 'deno-long-connection'(code, emu) {
    const file = join(dir, 'long-connection.ts');
    writeFileSync(file, rewrite(code, 'deno.js'));
    const p = start(deno, ['run', '--quiet', '--allow-net', '--allow-env'], envOf(emu), file);
    try {
      await until('the Deno bot to connect', async () => (await emu.wsStatus()).connections === 1);
      const ack = await emu.pushEvent(fixtures.messageReceive({ chatId: 'oc_from_readme' }));
      assert(ack.code === 200, `ack ${JSON.stringify(ack)}`);
      await until('the handler to print the chat id', () => p.out.text.includes('oc_from_readme'), 5000);
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    return 'connected with the global WebSocket, an event pushed and handled';
  },
  async 'node-quickstart'(code, emu) {
    const file = join(dir, 'quickstart.mjs');
    writeFileSync(file, code);
    const { code: exit, out } = await runToEnd(process.execPath, [], envOf(emu), file);
    assert(exit === 0 && /\S/.test(out), `node exited ${exit}: ${out}`);
    return `printed: ${out.trim()}`;
  },
  async 'node-long-connection'(code, emu) {
    const file = join(dir, 'long-connection.mjs');
    writeFileSync(file, code);
    const p = start(process.execPath, [], envOf(emu), file);
    try {
      await until('the Node bot to connect', async () => (await emu.wsStatus()).connections === 1);
      const ack = await emu.pushEvent(fixtures.messageReceive({ text: 'over the long connection' }));
      assert(ack.code === 200, `event ack ${JSON.stringify(ack)}`);
      await until('the handler to print the content', () => p.out.text.includes('over the long connection'), 5000);
      const cardAck = await emu.pushEvent(fixtures.cardAction({}));
      assert(cardAck.code === 200 && JSON.stringify(cardAck.data).includes('done'), `card ack ${JSON.stringify(cardAck)}`);
      // SIGINT → ws.close(): the process then exits by itself (no reconnect, no timer left).
      p.child.kill('SIGINT');
      const exit = await Promise.race([p.exited, sleep(5000).then(() => 'still running 5 s after SIGINT')]);
      assert(exit === 0, `after SIGINT: ${exit}`);
    } finally {
      p.child.kill('SIGKILL');
    }
    return 'event handled, the card reply sent in the ack, the process exits by itself after SIGINT';
  },
  async 'node-migration'(code, emu) {
    // The block names the real domain (Domain.Feishu): a preloaded fetch sends those calls to the
    // emulator and refuses any other host, so nothing leaves the machine.
    const preload = join(dir, 'to-emulator.mjs');
    writeFileSync(preload, `const real = globalThis.fetch;
const emu = process.env.EMU_URL;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.origin !== 'https://open.feishu.cn' && url.origin !== emu) throw new Error('a README block tried to reach ' + url.origin);
  const target = emu + url.pathname + url.search;
  return input instanceof Request ? real(new Request(target, input), init) : real(target, init);
};
`);
    const file = join(dir, 'migration.mjs');
    writeFileSync(file, code);
    await emu.reset({ acceptTokens: ['t-xxx'] });
    const { code: exit, out } = await runToEnd(process.execPath, ['--import', pathToFileURL(preload).href], { EMU_URL: emu.url }, file);
    assert(exit === 0, `node exited ${exit}: ${out}`);
    const calls = await emu.calls({ withAuth: true });
    const sent = calls.find((c) => c.path === 'im/v1/messages');
    assert(sent && sent.authorization === 'Bearer t-xxx', `the message went out with ${sent?.authorization}`);
    assert(!calls.some((c) => c.path.startsWith('auth/')), 'a token was fetched although the call names one');
    return 'lark.Client with the official enums; the call carries the explicit withTenantToken and fetches no token';
  },
  async 'node-testing-kit'(code) {
    const file = join(dir, 'bot.test.mjs');
    writeFileSync(file, code);
    const { code: exit, out } = await runToEnd(process.execPath, ['--test'], {}, file);
    assert(exit === 0 && /# pass 1/.test(out) && /# fail 0/.test(out), `node --test exited ${exit}: ${out}`);
    return 'node --test: 1 pass';
  },
};

/** Serves the consumer directory (the page and node_modules/feishu-edge) on loopback. */
async function staticServer() {
  const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    if (path.startsWith('..')) return res.writeHead(404).end();
    let body;
    try {
      body = await readFile(resolve(path));
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

scenarios['browser-quickstart'] = async (code) => {
  writeFileSync('readme-browser.html', code);
  const server = await staticServer();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/readme-browser.html`);
    await page.waitForFunction(() => document.getElementById('card').textContent.length > 0, null, { timeout: 20000 }).catch(() => {});
    const text = await page.textContent('#card');
    assert(!errors.length, `page errors: ${errors.join('; ')}`);
    const card = JSON.parse(text);
    assert(card.schema === '2.0' && card.header.title.content === 'Deploy finished', `the page shows ${text.slice(0, 200)}`);
  } finally {
    await browser.close();
    server.close();
  }
  return 'the card built and validated in Chromium from the browser entry, through an import map';
};

const marked = [...readme.matchAll(/^<!-- run: ([a-z-]+) -->\n```(?:js|ts|html)\n([\s\S]*?)^```$/gm)].map((m) => ({ name: m[1], code: m[2] }));
let passed = 0, failed = 0;
const names = new Set(marked.map((b) => b.name));
for (const name of Object.keys(scenarios)) {
  if (!names.has(name)) { failed++; console.log(`not ok - README block "${name}": no block is marked <!-- run: ${name} -->`); }
}
for (const { name, code } of marked) {
  const scenario = scenarios[name];
  if (!scenario) { failed++; console.log(`not ok - README block "${name}": no scenario runs it (tests/readme/runtimes.mjs)`); continue; }
  const emu = await createEmulator({});
  const t0 = Date.now();
  try {
    const what = await scenario(code, emu);
    passed++;
    console.log(`ok - README block "${name}" runs in ${name.split('-')[0]}: ${what} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok - README block "${name}" in ${name.split('-')[0]}: ${e?.stack ?? e}`);
  } finally {
    await emu.close();
  }
}
console.log(`readme-runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
