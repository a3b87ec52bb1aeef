// The Deno example against the emulator (the test kit runs in Deno too).
import { createEmulator, signedRequest, fixtures } from 'feishu-edge/testing';
import { createHandler } from './main.ts';
// @ts-types="../../tests/js/harness.d.ts"
import { runTests, assertEqual } from '../../tests/js/harness.mjs';

const emu = await createEmulator();
const handler = createHandler({ FEISHU_APP_ID: emu.appId, FEISHU_APP_SECRET: emu.appSecret, FEISHU_BASE_URL: emu.url, FEISHU_ENCRYPT_KEY: 'deno-key', FEISHU_VERIFICATION_TOKEN: 'deno-token' });
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, handler);
const url = `http://127.0.0.1:${server.addr.port}/webhook`;

const result = await runTests('deno-example', [
  {
    name: 'Deno.serve: a message event is verified and answered',
    async fn() {
      const res = await fetch(signedRequest(url, fixtures.messageReceive({ text: 'hi', messageId: 'om_deno', token: 'deno-token' }), { encryptKey: 'deno-key' }));
      assertEqual(res.status, 200);
      await res.body?.cancel();
      const reply = (await emu.calls()).find((c) => c.path === 'im/v1/messages/om_deno/reply');
      assertEqual(JSON.parse(reply!.body.content), { text: 'echo from Deno: hi' });
    },
  },
], {});
await server.shutdown();
await emu.close();
console.log(result.lines.join('\n'));
Deno.exit(result.failed ? 1 : 0);
