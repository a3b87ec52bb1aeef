// Programs written for @larksuiteoapi/node-sdk the way people write them (error checks with
// `res.code !== 0`, `e.response.data` in catch blocks, `lark.LoggerLevel`, a Next.js route, a
// CommonJS bot, a downloader), run on the official SDK (the control) and on feishu-edge with
// only the import changed, against the emulator: what reached it and what the program printed
// must match. Then the error contract itself (issue 24): Client resolves a 2xx reply whose code
// is not 0 with the envelope, FeishuClient rejects, `rejectOnApiError` flips both, retries and
// the token refresh still happen first, and HTTP errors carry `e.response` on both clients.
//
// FEISHU_EDGE_PKG=/path/to/pkg runs the programs on another build of the package (the emulator
// and the signing helpers stay this checkout's pkg/).
import { tmpdir } from 'node:os';
import { readFileSync, writeFileSync, mkdirSync, rmSync, symlinkSync, createWriteStream, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import * as official from '@larksuiteoapi/node-sdk';
import { runTests, assert, assertEqual } from './harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = resolve(process.env.FEISHU_EDGE_PKG ?? join(ROOT, 'pkg'));
const kit = await import(pathToFileURL(join(ROOT, 'pkg/node.js')).href);
const ours = await import(pathToFileURL(join(PKG, 'node.js')).href);
const { createEmulator, fixtures } = await import(pathToFileURL(join(ROOT, 'pkg/testing/index.js')).href);
const APP = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'emu_secret_value' };
const ENCRYPT_KEY = 'programs encrypt key';
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const SDKS = [['official', official], ['feishu-edge', ours]];

const emu = await createEmulator(APP);
const clearLog = () => fetch(`${emu.url}/__emu/clear-log`, { method: 'POST' });
/** What reached the emulator, comparable across SDKs (token requests aside; a GET's `{}` body as none). */
const requests = async () => (await emu.calls()).map((c) => ({ method: c.method, path: c.path, query: c.query, body: c.method === 'GET' && JSON.stringify(c.body) === '{}' ? null : c.body }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, ms = 8000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

/**
 * Runs `program(lark, print)` on both SDKs with the same faults; the requests the emulator saw
 * and the lines the program printed must be the same. Returns both runs.
 */
async function sideBySide(program, faults = []) {
  const runs = {};
  for (const [name, lark] of SDKS) {
    await clearLog();
    if (faults.length) await emu.faults(...structuredClone(faults));
    const printed = [];
    let result;
    try {
      result = await program(lark, (line) => printed.push(line));
    } catch (e) {
      printed.push(`uncaught: ${e?.message ?? e}`);
    }
    runs[name] = { printed, calls: await requests(), result };
  }
  assertEqual(runs['feishu-edge'].calls, runs.official.calls, 'requests');
  assertEqual(runs['feishu-edge'].printed, runs.official.printed, 'printed');
  return runs;
}

const text = (t) => ({ receive_id: 'oc_programs', msg_type: 'text', content: JSON.stringify({ text: t }) });

// ---- Programs as people write them for the official SDK ----

/** Sends, checks `res.code` as the official README's samples do. */
const sendAndCheck = async (lark, print) => {
  const client = new lark.Client({ ...APP, domain: emu.url, loggerLevel: lark.LoggerLevel.error, logger: quiet });
  const res = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('hello') });
  if (res.code !== 0) {
    print(`send failed: code ${res.code}, msg ${res.msg}`);
    return;
  }
  print(`sent: ${typeof res.data.message_id}`);
};

/** A catch block that reads the axios error's reply. */
const sendAndCatch = async (lark, print) => {
  const client = new lark.Client({ ...APP, domain: emu.url, logger: quiet });
  try {
    const res = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('hello') });
    print(`code ${res.code}`);
  } catch (e) {
    const data = typeof e.response.data === 'string' ? e.response.data.slice(0, 40) : JSON.stringify(e.response.data);
    print(`HTTP ${e.response.status}: ${data} (log id: ${typeof e.response.headers['x-tt-logid']}, type ${e.response.headers['content-type']?.split(';')[0]})`);
  }
};

/** A wrong app id: the token request fails; the catch block reads that reply. */
const wrongApp = async (lark, print) => {
  const client = new lark.Client({ appId: 'cli_not_this_app', appSecret: 'nope', domain: emu.url, logger: quiet });
  try {
    await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('hello') });
    print('sent?');
  } catch (e) {
    print(`HTTP ${e.response.status}: ${JSON.stringify(e.response.data)}`);
  }
};

/** client.request with a status check and a catch, as in many internal tools. */
const rawRequest = async (lark, print) => {
  const client = new lark.Client({ ...APP, domain: emu.url, logger: quiet });
  try {
    const res = await client.request({ method: 'POST', url: '/open-apis/im/v1/messages', params: { receive_id_type: 'chat_id' }, data: text('raw') });
    print(res.code === 0 ? 'ok' : `error ${res.code}: ${res.msg}`);
  } catch (e) {
    print(`failed with ${e.response?.status}: ${JSON.stringify(e.response?.data)}`);
  }
};

/** A Next.js App Router webhook (`app/api/feishu/route.ts`): the module, then its POST handler. */
function nextRoute(lark, print) {
  const client = new lark.Client({ appId: APP.appId, appSecret: APP.appSecret, domain: emu.url, loggerLevel: lark.LoggerLevel.warn, logger: quiet });
  const cipher = new lark.AESCipher(ENCRYPT_KEY);
  const eventDispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, loggerLevel: lark.LoggerLevel.warn, logger: quiet }).register({
    'im.message.receive_v1': async (data) => {
      const { text: said } = JSON.parse(data.message.content);
      const res = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: data.message.chat_id, msg_type: 'text', content: JSON.stringify({ text: `echo: ${said}` }) } });
      if (res.code !== 0) print(`reply failed: ${res.code} ${res.msg}`);
      else print('replied');
      return 'done';
    },
  });
  return async function POST(req) {
    const body = await req.json();
    const payload = body.encrypt ? JSON.parse(cipher.decrypt(body.encrypt)) : body;
    if (payload.type === 'url_verification') return Response.json({ challenge: payload.challenge });
    const headers = Object.fromEntries(req.headers.entries());
    const data = Object.assign(Object.create({ headers }), body);
    await eventDispatcher.invoke(data);
    return Response.json({ ok: true });
  };
}

/** Drives a route handler as Next.js would: web Requests in, web Responses out. */
async function drivenRoute(lark, print) {
  const POST = nextRoute(lark, print);
  const url = 'http://127.0.0.1/api/feishu';
  const encrypt = await kit.encryptEventAsync({ challenge: 'route-challenge', token: 'tok', type: 'url_verification' }, ENCRYPT_KEY);
  const challenge = await POST(new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt }) }));
  print(`challenge: ${challenge.status} ${JSON.stringify(await challenge.json())}`);
  const signed = kit.signEvent(fixtures.messageReceive({ text: 'ping', chatId: 'oc_route', eventId: `ev_route_${Date.now()}_${Math.random()}` }), { encryptKey: ENCRYPT_KEY });
  const event = await POST(new Request(url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body: signed.body }));
  print(`event: ${event.status} ${JSON.stringify(await event.json())}`);
}

/** A downloader: messageResource.get, then writeFile and getReadableStream().pipe(); a missing file caught. */
async function downloader(lark, print) {
  const client = new lark.Client({ ...APP, domain: emu.url, logger: quiet });
  const dir = join(tmpdir(), `programs-dl-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  try {
    const first = await client.im.v1.messageResource.get({ path: { message_id: 'om_dl', file_key: 'file_v3_dl' }, params: { type: 'file' } });
    await first.writeFile(join(dir, 'a.bin'));
    const second = await client.im.v1.messageResource.get({ path: { message_id: 'om_dl', file_key: 'file_v3_dl' }, params: { type: 'file' } });
    const out = createWriteStream(join(dir, 'b.bin'));
    second.getReadableStream().pipe(out);
    await once(out, 'finish');
    const a = readFileSync(join(dir, 'a.bin'));
    const b = readFileSync(join(dir, 'b.bin'));
    print(`downloaded ${a.length} bytes twice, same: ${a.equals(b)}; type ${first.headers['content-type']}, ${second.headers['content-disposition'] ?? 'no name'}`);
    try {
      await client.im.v1.messageResource.get({ path: { message_id: 'om_dl', file_key: 'file_v3_missing' }, params: { type: 'file' } });
      print('missing file downloaded?');
    } catch (e) {
      // The official SDK's e.response.data is the unread stream of a download; the status is where it always is.
      print(`missing file: HTTP ${e.response.status}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The CommonJS bot: `require` + node:http + adaptDefault. Only its `require` line differs. */
const CJS_BOT = `'use strict';
const http = require('node:http');
const lark = require('@larksuiteoapi/node-sdk');

const client = new lark.Client({
  appId: process.env.APP_ID,
  appSecret: process.env.APP_SECRET,
  domain: process.env.FEISHU_DOMAIN,
  loggerLevel: lark.LoggerLevel.error,
});

const eventDispatcher = new lark.EventDispatcher({ encryptKey: process.env.ENCRYPT_KEY, loggerLevel: lark.LoggerLevel.error }).register({
  'im.message.receive_v1': async (data) => {
    try {
      const res = await client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: data.message.chat_id, msg_type: 'text', content: JSON.stringify({ text: 'pong' }) },
      });
      if (res.code !== 0) console.log('send failed:', res.code, res.msg);
      else console.log('sent', typeof res.data.message_id);
    } catch (e) {
      console.log('send threw:', e.response && e.response.status, JSON.stringify(e.response && e.response.data));
    }
  },
});

const server = http.createServer();
server.on('request', lark.adaptDefault('/webhook/event', eventDispatcher, { autoChallenge: true }));
server.listen(0, '127.0.0.1', () => console.log('listening', server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** A directory where `require('feishu-edge')` is PKG and `require('@larksuiteoapi/node-sdk')` the official SDK. */
function cjsHome() {
  const home = join(ROOT, 'tests/.tmp/official-programs');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(join(home, 'node_modules/@larksuiteoapi'), { recursive: true });
  symlinkSync(PKG, join(home, 'node_modules/feishu-edge'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@larksuiteoapi/node-sdk'), join(home, 'node_modules/@larksuiteoapi/node-sdk'), 'dir');
  writeFileSync(join(home, 'official-bot.cjs'), CJS_BOT);
  writeFileSync(join(home, 'edge-bot.cjs'), CJS_BOT.replace("require('@larksuiteoapi/node-sdk')", "require('feishu-edge')"));
  return home;
}

/** Runs a .cjs bot with `node` (or Node 18), sends it the challenge and two events; what it printed. */
async function runCjsBot(nodeCommand, file) {
  const child = spawn(nodeCommand[0], [...nodeCommand.slice(1), file], {
    cwd: dirname(file),
    env: { ...process.env, APP_ID: APP.appId, APP_SECRET: APP.appSecret, FEISHU_DOMAIN: emu.url, ENCRYPT_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = once(child, 'exit');
  try {
    await until(() => /listening \d+/.test(stdout) || child.exitCode !== null, 15000);
    const port = /listening (\d+)/.exec(stdout)?.[1];
    if (!port) throw new Error(`the bot did not start: ${stderr.slice(0, 600)}`);
    const base = `http://127.0.0.1:${port}/webhook/event`;
    const encrypt = await kit.encryptEventAsync({ challenge: 'cjs-challenge', token: 'tok', type: 'url_verification' }, ENCRYPT_KEY);
    const challenge = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt }) });
    const lines = [`challenge ${challenge.status} ${JSON.stringify(await challenge.json())}`];
    for (const fault of [null, { match: 'im/v1/messages', kind: 'api_error', status: 200, code: 230002, msg: 'The bot can not be outside the group.' }, { match: 'im/v1/messages', kind: 'api_error', status: 400, code: 230001, msg: 'invalid receive_id' }]) {
      if (fault) await emu.faults(fault);
      const before = stdout.split('\n').filter((l) => /^sen[dt]/.test(l)).length;
      const signed = kit.signEvent(fixtures.messageReceive({ chatId: 'oc_cjs', eventId: `ev_cjs_${Date.now()}_${Math.random()}` }), { encryptKey: ENCRYPT_KEY });
      const res = await fetch(base, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body: signed.body });
      await res.arrayBuffer();
      lines.push(`event ${res.status}`);
      await until(() => stdout.split('\n').filter((l) => /^sen[dt]/.test(l)).length > before, 8000);
    }
    // The program's own lines (the official SDK also logs each failed call to stdout: its log, not the program's).
    return { lines, printed: stdout.trim().split('\n').filter((l) => /^sen[dt]/.test(l)) };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const FAULT_200 = { match: 'im/v1/messages', kind: 'api_error', status: 200, code: 230002, msg: 'The bot can not be outside the group.' };
const FAULT_400 = { match: 'im/v1/messages', kind: 'api_error', status: 400, code: 230001, msg: 'invalid receive_id' };

const tests = [
  {
    name: 'program: send and check res.code, the reply succeeds — same requests and output',
    fn: () => sideBySide(sendAndCheck),
  },
  {
    name: 'program: send and check res.code, HTTP 200 with code 230002 — Client resolves with the envelope on both SDKs',
    fn: () => sideBySide(sendAndCheck, [FAULT_200]),
  },
  {
    name: 'program: catch (e) reads e.response.status/data/headers, HTTP 400 with an envelope — same output',
    fn: () => sideBySide(sendAndCatch, [FAULT_400]),
  },
  {
    name: 'program: catch (e) reads e.response, HTTP 502 with a gateway\'s HTML page — same output',
    fn: () => sideBySide(sendAndCatch, [{ match: 'im/v1/messages', kind: 'html502' }]),
  },
  {
    name: 'program: catch (e) reads e.response, HTTP 500 with an envelope — same output',
    fn: () => sideBySide(sendAndCatch, [{ match: 'im/v1/messages', kind: 'server_error' }]),
  },
  {
    name: 'program: a wrong app id — the token request\'s failure is caught with e.response.data, same output',
    fn: () => sideBySide(wrongApp),
  },
  {
    name: 'program: client.request with a code check and a catch, on 200/code and on 400 — same output',
    async fn() {
      await sideBySide(rawRequest, [FAULT_200]);
      await sideBySide(rawRequest, [FAULT_400]);
    },
  },
  {
    name: 'program: a Next.js App Router route (POST(req: Request)) — challenge, an event, an event whose reply fails with a code',
    async fn() {
      await sideBySide(drivenRoute);
      await sideBySide(drivenRoute, [FAULT_200]);
    },
  },
  {
    name: 'program: a downloader (messageResource.get → writeFile, getReadableStream().pipe, a missing file caught)',
    fn: () => sideBySide(downloader, [{ match: 'file_v3_missing', kind: 'api_error', status: 400, code: 234003, msg: 'File not in msg.' }]),
  },
];

// The CommonJS bot, with `node` and, where it is installed, Node 18.
const NODE18 = existsSync('/opt/node18/usr/bin/node') ? [join(ROOT, 'scripts/node18')] : null;
for (const [label, command] of [['node', [process.execPath]], ['Node 18', NODE18]]) {
  tests.push({
    name: `program: a CommonJS bot (require + node:http + adaptDefault) on ${label} — the same output as the official SDK`,
    skip: () => !command,
    async fn() {
      const home = cjsHome();
      const runs = {};
      for (const [name, file] of [['official', 'official-bot.cjs'], ['feishu-edge', 'edge-bot.cjs']]) {
        await clearLog();
        const run = await runCjsBot(command, join(home, file));
        runs[name] = { ...run, calls: await requests() };
      }
      assertEqual(runs['feishu-edge'].lines, runs.official.lines, 'replies');
      assertEqual(runs['feishu-edge'].printed, runs.official.printed, 'printed');
      assertEqual(runs['feishu-edge'].calls, runs.official.calls, 'requests');
      assertEqual(runs.official.printed.length, 3, `the control printed ${JSON.stringify(runs.official.printed)}`);
    },
  });
}

// ---- The error contract ----

/** Sends once with `options`; resolves to ['resolved', envelope] or ['rejected', error]. */
async function outcome(Class, options = {}, call = (c) => c.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('x') })) {
  try {
    const client = new Class({ ...APP, domain: emu.url, logger: quiet, ...options });
    return ['resolved', await call(client)];
  } catch (e) {
    return ['rejected', e];
  }
}

tests.push(
  {
    name: 'contract: a non-zero code on HTTP 200 — Client resolves with the envelope (as the official Client), FeishuClient rejects with a FeishuError',
    async fn() {
      await emu.faults(FAULT_200);
      const [how, control] = await outcome(official.Client);
      assertEqual([how, control.code], ['resolved', 230002], 'the control');
      await emu.faults(FAULT_200);
      const [mineHow, mine] = await outcome(ours.Client);
      assertEqual([mineHow, mine], ['resolved', control], 'Client');
      await emu.faults(FAULT_200);
      const [strictHow, e] = await outcome(ours.FeishuClient);
      assertEqual(strictHow, 'rejected', 'FeishuClient');
      assert(e instanceof ours.FeishuError, `${e}`);
      assertEqual([e.kind, e.code, e.msg, e.httpStatus, e.retryable, typeof e.logId], ['api', 230002, FAULT_200.msg, 200, false, 'string']);
      assertEqual([e.response?.status, e.response?.data], [200, { code: 230002, msg: FAULT_200.msg }], 'e.response');
    },
  },
  {
    name: 'contract: rejectOnApiError flips both clients; Client stays a FeishuClient, asUser keeps class and contract',
    async fn() {
      await emu.faults(FAULT_200);
      const [a, e] = await outcome(ours.Client, { rejectOnApiError: true });
      assertEqual([a, e.kind, e.code], ['rejected', 'api', 230002], 'Client with rejectOnApiError: true');
      await emu.faults(FAULT_200);
      const [b, env] = await outcome(ours.FeishuClient, { rejectOnApiError: false });
      assertEqual([b, env.code], ['resolved', 230002], 'FeishuClient with rejectOnApiError: false');
      const client = new ours.Client({ ...APP, domain: emu.url, logger: quiet });
      assert(client instanceof ours.FeishuClient, 'a Client is a FeishuClient');
      const user = client.asUser('u-programs');
      assert(user instanceof ours.Client, 'asUser of a Client is a Client');
      await emu.faults(FAULT_200);
      assertEqual((await user.request({ method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' }, data: text('u') })).code, 230002, 'asUser keeps the contract');
      const [c, wrong] = await outcome(ours.Client, { rejectOnApiError: 'yes' }, async () => 'built');
      assertEqual([c, wrong.kind], ['rejected', 'config'], 'a non-boolean is refused');
      assert(wrong.message.includes('rejectOnApiError'), wrong.message);
    },
  },
  {
    name: 'contract: retries and the token refresh still come first on Client — a rate limit (99991400 on HTTP 200) and a rejected token (99991663 on HTTP 200) end in success; at the end of the retries the final envelope resolves on Client and rejects on FeishuClient',
    async fn() {
      await clearLog();
      await emu.faults({ match: 'im/v1/messages', kind: 'api_error', status: 200, code: 99991400, msg: 'request trigger frequency limit' });
      const [how, env] = await outcome(ours.Client, { retry: { baseDelayMs: 5 } });
      assertEqual([how, env.code], ['resolved', 0], 'after a rate limit');
      assertEqual((await emu.calls()).filter((c) => c.path === 'im/v1/messages').length, 2, 'sent twice');
      const before = (await emu.counts()).tenantToken ?? 0;
      await clearLog();
      const client = new ours.Client({ ...APP, domain: emu.url, logger: quiet });
      await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('warm') });
      await emu.faults({ match: 'im/v1/messages', kind: 'api_error', status: 200, code: 99991663, msg: 'invalid access token' });
      assertEqual((await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: text('again') })).code, 0, 'after a rejected token');
      assert(((await emu.counts()).tenantToken ?? 0) > before, 'a new token was fetched');
      const limited = { match: 'im/v1/messages', kind: 'api_error', status: 200, code: 99991400, msg: 'request trigger frequency limit', count: 50 };
      await clearLog();
      await emu.faults(limited);
      const [last, final] = await outcome(ours.Client, { retry: { maxAttempts: 3, baseDelayMs: 5 } });
      assertEqual([last, final.code], ['resolved', 99991400], 'Client, retries spent');
      assertEqual((await emu.calls()).length, 3, 'three attempts');
      await emu.reset();
      await emu.faults(limited);
      const [strict, e] = await outcome(ours.FeishuClient, { retry: { maxAttempts: 3, baseDelayMs: 5 } });
      assertEqual([strict, e.kind, e.code, e.retryable, e.response?.status], ['rejected', 'api', 99991400, true, 200], 'FeishuClient, retries spent');
      await emu.reset();
    },
  },
  {
    name: 'contract: an HTTP 4xx/5xx rejects on both clients with e.response.status/data/headers where the official (axios) error has them; FeishuError keeps its fields',
    async fn() {
      for (const fault of [FAULT_400, { match: 'im/v1/messages', kind: 'server_error', status: 503 }, { match: 'im/v1/messages', kind: 'html502' }]) {
        await emu.faults(fault);
        const [, control] = await outcome(official.Client);
        const shape = (e) => ({ status: e.response?.status, data: e.response?.data, logId: typeof e.response?.headers?.['x-tt-logid'], type: e.response?.headers?.['content-type'] });
        for (const Class of [ours.Client, ours.FeishuClient]) {
          await emu.faults(fault);
          const [how, e] = await outcome(Class);
          assertEqual(how, 'rejected', `${Class.name} on ${fault.kind}`);
          assertEqual(shape(e), shape(control), `${Class.name} on ${fault.kind}`);
          assert(e instanceof ours.FeishuError && typeof e.kind === 'string' && e.httpStatus === control.response.status && 'retryable' in e && 'logId' in e, `${Class.name}: FeishuError fields`);
        }
      }
      // No reply, no response (as axios on a network error).
      const [how, e] = await outcome(ours.Client, { timeoutMs: 0, domain: 'http://127.0.0.1:9' });
      assertEqual([how, e.kind, e.response], ['rejected', 'network', undefined]);
    },
  },
  {
    name: 'contract: the package\'s own helpers (client.im.send, returning data) reject on Client too',
    async fn() {
      const client = new ours.Client({ ...APP, domain: emu.url, logger: quiet });
      await emu.faults(FAULT_200);
      const [how, e] = await outcome(ours.Client, {}, (c) => c.im.send('oc_programs', 'hi'));
      assertEqual([how, e.kind, e.code], ['rejected', 'api', 230002]);
      await emu.faults({ match: 'im/v1/chats', kind: 'api_error', status: 200, code: 232011, msg: 'no permission' });
      const [how2, e2] = await outcome(ours.Client, {}, (c) => c.im.v1.chat.list({}));
      assertEqual([how2, e2.code], ['resolved', 232011], 'the catalog keeps the official contract');
      await emu.reset();
      void client;
    },
  },
  {
    name: 'documented differences: a failed page ends the official iterator with an empty page and an error log; ours throws (on Client too) and logs nothing at error',
    async fn() {
      const seen = {};
      for (const [name, lark] of SDKS) {
        const errors = [];
        const client = new lark.Client({ ...APP, domain: emu.url, logger: { ...quiet, error: (...a) => errors.push(a) } });
        await emu.faults({ match: 'im/v1/chats', kind: 'api_error', status: 400, code: 232011, msg: 'no permission' });
        const pages = [];
        let thrown = null;
        try {
          for await (const page of await client.im.v1.chat.listWithIterator({ params: { page_size: 20 } })) pages.push(page);
        } catch (e) {
          thrown = [e.kind, e.code, e.response?.status];
        }
        seen[name] = { pages, thrown, logged: errors.length > 0 };
      }
      assertEqual(seen.official, { pages: [{}], thrown: null, logged: true }, 'the control');
      assertEqual(seen['feishu-edge'], { pages: [], thrown: ['api', 232011, 400], logged: false }, 'ours');
    },
  },
  {
    name: 'documented difference: a keyless EventDispatcher behind adaptDefault — the official SDK accepts unsigned events, ours refuses (500 no_keys) and the refusal names the one-line fix',
    async fn() {
      const replies = {};
      const logged = [];
      for (const [name, lark] of SDKS) {
        let ran = 0;
        const logger = { ...quiet, error: (...a) => logged.push(a.join(' ')) };
        const dispatcher = new lark.EventDispatcher({ logger }).register({ 'im.message.receive_v1': async () => { ran++; } });
        const server = http.createServer();
        server.on('request', lark.adaptDefault('/webhook/event', dispatcher));
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        try {
          const res = await fetch(`http://127.0.0.1:${server.address().port}/webhook/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixtures.messageReceive({})) });
          replies[name] = { status: res.status, body: await res.text(), ran };
        } finally {
          server.closeAllConnections?.();
          server.close();
        }
      }
      assertEqual([replies.official.status, replies.official.ran], [200, 1], 'the control');
      assertEqual([replies['feishu-edge'].status, replies['feishu-edge'].ran], [500, 0], 'ours');
      const body = JSON.parse(replies['feishu-edge'].body);
      assertEqual(body.error, 'no_keys');
      assert(body.message.includes('new EventDispatcher({ encryptKey })'), body.message);
      assert(logged.some((l) => l.includes('new EventDispatcher({ encryptKey })')), `the log: ${JSON.stringify(logged)}`);
    },
  },
);

const result = await runTests('official-programs', tests, {});
await emu.close();
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
