// Programs from @larksuiteoapi/node-sdk's README, run twice against the emulator: on the
// official SDK (the control: the program is right) and on feishu-edge, with only the module
// swapped. What reached the emulator (method, path, query, body; token requests aside) and what
// came back must match. Issue 17's "How to check it"; more programs are to come.
import { tmpdir } from 'node:os';
import { readFileSync, writeFileSync, createReadStream, rmSync } from 'node:fs';
import * as official from '@larksuiteoapi/node-sdk';
import { runTests, assertEqual } from './harness.mjs';

const ours = await import('../../pkg/node.js');
const { createEmulator } = await import('../../pkg/testing/index.js');
const APP = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'emu_secret_value' };
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

/** The README's programs: each takes the SDK module (`lark`) and the emulator's URL. */
const PROGRAMS = {
  'API call': async (lark, domain) => {
    const client = new lark.Client({ ...APP, appType: lark.AppType.SelfBuild, domain, logger: quiet });
    const res = await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_readme', content: JSON.stringify({ text: 'hello world' }), msg_type: 'text' } });
    return res.code;
  },
  'normal call (client.request)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const res = await client.request({ method: 'POST', url: '/open-apis/im/v1/messages', data: { receive_id: 'oc_readme', content: JSON.stringify({ text: 'hi' }), msg_type: 'text' }, params: { receive_id_type: 'chat_id' } });
    return res.code;
  },
  'pagination (…WithIterator)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const pages = [];
    for await (const page of await client.im.chat.listWithIterator({ params: { page_size: 20 } })) pages.push(page);
    // What a page holds (the emulator's sample values differ from one reply to the next).
    return pages.map((p) => ({ fields: Object.keys(p).sort(), chats: p.items.map((c) => c.chat_id) }));
  },
  'message card (messageCard.defaultCard)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const res = await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_readme', content: lark.messageCard.defaultCard({ title: 'sample title', content: 'sample content' }), msg_type: 'interactive' } });
    return res.code;
  },
  'message card (createByCard, template)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const res = await client.im.message.createByCard({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_readme', template_id: 'ctp_readme', template_variable: { title: 'v' } } });
    return res.code;
  },
  'download (writeFile)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const path = `${tmpdir()}/readme-download-${Date.now()}-${Math.random()}.png`;
    const res = await client.im.image.get({ path: { image_key: 'img_readme' } });
    await res.writeFile(path);
    const bytes = [...readFileSync(path)];
    rmSync(path);
    return bytes;
  },
  'upload (a file stream)': async (lark, domain) => {
    const client = new lark.Client({ ...APP, domain, logger: quiet });
    const path = `${tmpdir()}/readme-upload-${Date.now()}-${Math.random()}.png`;
    writeFileSync(path, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const { image_key } = await client.im.image.create({ data: { image_type: 'message', image: createReadStream(path) } });
    rmSync(path);
    return image_key;
  },
  'AESCipher': async (lark) => {
    const encrypted = await ours.encryptEventAsync({ challenge: 'x', type: 'url_verification' }, 'test key', new Uint8Array(16).fill(7));
    return new lark.AESCipher('test key').decrypt(encrypted);
  },
};

// One emulator for the whole run: the official SDK caches tokens module-wide, so a token from
// one emulator must stay valid for the next program.
const emu = await createEmulator(APP);

/** Runs one program; returns its result and what reached the emulator. */
async function run(lark, program) {
  await fetch(`${emu.url}/__emu/clear-log`, { method: 'POST' });
  const result = await program(lark, emu.url);
  // The official SDK sends `{}` as the body of a GET (axios); a GET has no body here.
  const calls = (await emu.calls()).map((c) => ({ method: c.method, path: c.path, query: c.query, body: c.method === 'GET' && JSON.stringify(c.body) === '{}' ? null : c.body }));
  return { result, calls };
}

const tests = Object.entries(PROGRAMS).map(([name, program]) => ({
  name: `official README: ${name} — the same requests and results on feishu-edge as on the official SDK`,
  async fn() {
    const control = await run(official, program);
    const mine = await run(ours, program);
    assertEqual(mine.calls, control.calls, 'requests');
    assertEqual(mine.result, control.result, 'result');
  },
}));

const result = await runTests('official-readme', tests, {});
await emu.close();
console.log(result.lines.join('\n'));
console.log(`official README programs that run unchanged but for the import: ${result.passed} of ${Object.keys(PROGRAMS).length}`);
process.exit(result.failed ? 1 : 0);
