// Drives the bundled Worker (wrangler deploy --dry-run --outdir dist) in workerd through Miniflare,
// with encrypted, signed events from feishu-edge/testing, and checks the calls the emulator saw.
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';
import { createEmulator, signedRequest, fixtures } from 'feishu-edge/testing';
import { runTests, assert, assertEqual } from '../../tests/js/harness.mjs';

const ENCRYPT_KEY = 'worker-encrypt-key';
const TOKEN = 'worker-verification-token';
const dir = fileURLToPath(new URL('..', import.meta.url));

export async function startWorker(emu, overrides = {}) {
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${dir}dist/index.js`,
    modulesRoot: `${dir}dist`,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2025-01-01',
    bindings: { FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: TOKEN, FEISHU_BASE_URL: emu.url, ...overrides },
    kvNamespaces: ['TOKENS'],
    durableObjects: { FEISHU_STATE: 'FeishuStateObject' },
  });
  await mf.ready;
  return mf;
}

/** Sends a signed, encrypted request to the Worker (Miniflare wants its own Request class). */
export async function send(mf, path, payload, options = { encryptKey: ENCRYPT_KEY }) {
  const req = signedRequest(`http://bot.test${path}`, payload, options);
  return mf.dispatchFetch(req.url, { method: 'POST', headers: Object.fromEntries(req.headers), body: await req.text() });
}

/** Waits until the emulator holds a card whose streaming is closed (the waitUntil work finished). */
export async function closedCard(emu, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const closed = Object.entries(await emu.cards()).find(([, c]) => !c.streaming);
    if (closed) return closed;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no card was closed in time');
}

const tests = [
  {
    name: 'the URL challenge (encrypted) is answered after the token check',
    async fn({ mf }) {
      const res = await send(mf, '/webhook/event', fixtures.urlVerification({ challenge: 'ch-worker', token: TOKEN }));
      assertEqual([res.status, await res.json()], [200, { challenge: 'ch-worker' }]);
    },
  },
  {
    name: 'a message is acknowledged at once and answered in its thread with a streamed card',
    async fn({ mf, emu }) {
      await emu.reset();
      const event = fixtures.messageReceive({ text: 'what is feishu-edge?', messageId: 'om_question', token: TOKEN });
      const started = Date.now();
      const res = await send(mf, '/webhook/event', event);
      const ackMs = Date.now() - started;
      assertEqual(res.status, 200);
      assert(ackMs < 1000, `acknowledged in ${ackMs} ms`);
      const [cardId, card] = await closedCard(emu);
      const calls = await emu.calls();
      const reply = calls.find((c) => c.path === 'im/v1/messages/om_question/reply');
      assert(reply, 'replied to the message');
      assertEqual([reply.body.reply_in_thread, JSON.parse(reply.body.content)], [true, { type: 'card', data: { card_id: cardId } }]);
      assert(card.elements.md.startsWith('You said: "what is feishu-edge?"') && card.elements.md.trim().endsWith('at a time.'), card.elements.md);
      assert(card.updates >= 2 && card.settingsCalls === 1, `${card.updates} updates, ${card.settingsCalls} closes`);
      assert(card.sequences.every((s, i) => i === 0 || s > card.sequences[i - 1]), 'sequences increase');
      assertEqual((await emu.counts()).tenantToken, 1);
    },
  },
  {
    name: 'the same event delivered again is not answered twice (Durable Object de-duplication)',
    async fn({ mf, emu }) {
      await emu.reset();
      const event = fixtures.messageReceive({ text: 'once', messageId: 'om_once', token: TOKEN });
      assertEqual((await send(mf, '/webhook/event', event)).status, 200);
      await closedCard(emu);
      assertEqual((await send(mf, '/webhook/event', event)).status, 200);
      await new Promise((r) => setTimeout(r, 300));
      assertEqual((await emu.calls()).filter((c) => c.path === 'im/v1/messages/om_once/reply').length, 1);
    },
  },
  {
    name: 'the card button answers with a toast and an updated card',
    async fn({ mf }) {
      const res = await send(mf, '/webhook/card', fixtures.cardAction({ value: { action: 'helpful' }, token: TOKEN }));
      const body = await res.json();
      assertEqual([res.status, body.toast.type, body.card.header.template], [200, 'success', 'green']);
    },
  },
  {
    name: 'tokens live in the KV namespace; forged requests are refused',
    async fn({ mf }) {
      const kv = await mf.getKVNamespace('TOKENS');
      const stored = JSON.parse(await kv.get('feishu-edge:cli_0123456789abcdef:tenant_access_token'));
      assert(stored.token.startsWith('t-emu-') && stored.expiresAt > Date.now() / 1000, 'token in KV');
      const forged = await send(mf, '/webhook/event', fixtures.messageReceive({ token: TOKEN }), { encryptKey: 'not the key' });
      assertEqual([forged.status, (await forged.json()).error], [401, 'signature_mismatch']);
    },
  },
  {
    name: 'a deploy without keys refuses every request; with only an encrypt key an unsigned card callback is refused',
    async fn({ emu }) {
      const open = await startWorker(emu, { FEISHU_ENCRYPT_KEY: '', FEISHU_VERIFICATION_TOKEN: '' });
      try {
        const legacy = JSON.stringify({ open_id: 'ou_x', action: { tag: 'button', value: { action: 'helpful' } } });
        const res = await open.dispatchFetch('http://bot.test/webhook/card', { method: 'POST', body: legacy, headers: { 'content-type': 'application/json' } });
        assertEqual(res.status, 500);
        assert((await res.text()).includes('allowUnverified'), 'says why');
      } finally {
        await open.dispose();
      }
      const keyOnly = await startWorker(emu, { FEISHU_VERIFICATION_TOKEN: '' });
      try {
        const legacy = JSON.stringify({ open_id: 'ou_x', action: { tag: 'button', value: { action: 'helpful' } } });
        const res = await keyOnly.dispatchFetch('http://bot.test/webhook/card', { method: 'POST', body: legacy, headers: { 'content-type': 'application/json' } });
        assertEqual([res.status, (await res.json()).error], [401, 'unverifiable_request']);
      } finally {
        await keyOnly.dispose();
      }
    },
  },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const emu = await createEmulator();
  const mf = await startWorker(emu);
  let result;
  try {
    result = await runTests('worker', tests, { mf, emu });
  } finally {
    await mf.dispose();
    await emu.close();
  }
  console.log(result.lines.join('\n'));
  process.exit(result.failed ? 1 : 0);
}
