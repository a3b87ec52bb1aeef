// The same bot twice against the emulator: as written for @larksuiteoapi/node-sdk (bot.mjs
// with its import line swapped back: the control) and on feishu-edge (bot.mjs as it is). Each
// gets a challenge and a signed, encrypted message; both must answer the challenge and reply
// in the thread the same way.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { signEvent } from 'feishu-edge';
import { createEmulator, fixtures } from 'feishu-edge/testing';

const KEY = 'ek_migration_example';
const TOKEN = 'vt_migration_example';
const APP = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'emu_secret_value' };
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// The control: the one line changed back.
const source = readFileSync(here('./bot.mjs'), 'utf8');
const official = source.replace("import * as lark from 'feishu-edge';", "import * as lark from '@larksuiteoapi/node-sdk';");
if (official === source) throw new Error('bot.mjs no longer has the import line this test swaps');
writeFileSync(here('./bot.official.tmp.mjs'), official);

let passed = 0, failed = 0;
async function check(label, modulePath) {
  const emu = await createEmulator(APP);
  const { createBot } = await import(modulePath);
  const server = createBot({ ...APP, encryptKey: KEY, verificationToken: TOKEN, domain: emu.url }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const post = async (path, payload) => {
    const { body, headers } = signEvent(payload, { encryptKey: KEY });
    const res = await fetch(base + path, { method: 'POST', body, headers });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  try {
    const challenge = await post('/webhook/event', { challenge: 'c-42', token: TOKEN, type: 'url_verification' });
    const message = await post('/webhook/event', fixtures.messageReceive({ text: 'hello', token: TOKEN }));
    const replies = (await emu.calls()).filter((c) => c.path.endsWith('/reply'));
    const got = [challenge.status, challenge.json?.challenge, message.status, replies.length, replies[0] && JSON.parse(replies[0].body.content).text];
    const want = [200, 'c-42', 200, 1, 'echo: hello'];
    if (JSON.stringify(got) === JSON.stringify(want)) { passed++; console.log(`ok - ${label}: challenge answered, the message replied to in its thread`); }
    else { failed++; console.log(`not ok - ${label}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`); }
  } finally {
    server.close();
    await emu.close();
  }
}

try {
  await check('the bot on @larksuiteoapi/node-sdk (control)', './bot.official.tmp.mjs');
  await check('the same bot on feishu-edge, one import line changed', './bot.mjs');
} finally {
  rmSync(here('./bot.official.tmp.mjs'), { force: true });
}
console.log(`node-sdk-migration: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
