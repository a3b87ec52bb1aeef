// The Node example against the emulator: a signed, encrypted event in, an echo reply out.
import { createEmulator, signedRequest, fixtures } from 'feishu-edge/testing';
import { createBot } from './server.mjs';
import { runTests, assertEqual } from '../../tests/js/harness.mjs';

const emu = await createEmulator();
const env = { FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_BASE_URL: emu.url, FEISHU_ENCRYPT_KEY: 'node-key', FEISHU_VERIFICATION_TOKEN: 'node-token' };
const server = createBot(env).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${server.address().port}/webhook`;

const result = await runTests('node-example', [
  {
    name: 'a message event is verified and answered with an echo reply',
    async fn() {
      const req = signedRequest(url, fixtures.messageReceive({ text: 'ping', messageId: 'om_node', token: 'node-token' }), { encryptKey: 'node-key' });
      const res = await fetch(req);
      assertEqual(res.status, 200);
      const reply = (await emu.calls()).find((c) => c.path === 'im/v1/messages/om_node/reply');
      assertEqual(JSON.parse(reply.body.content), { text: 'echo: ping' });
    },
  },
  {
    name: 'a forged request is refused',
    async fn() {
      const res = await fetch(signedRequest(url, fixtures.messageReceive({ token: 'node-token' }), { encryptKey: 'wrong-key' }));
      assertEqual([res.status, (await res.json()).error], [401, 'signature_mismatch']);
    },
  },
], {});
server.close();
await emu.close();
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
