// Errors that name the mistake, through the built package in every runtime: unknown options get
// the closest known name, wrongly typed ones the field and what was expected, a string where a
// file belongs is refused by name, and a network error says where it was going and why.
import { assert, assertEqual, assertRejects } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const thrown = (fn) => { try { fn(); } catch (e) { return e; } throw new Error('expected a throw'); };

export const errorTests = [
  {
    name: 'unknown client and webhook options are refused with the closest known name',
    async fn(ctx) {
      let e = thrown(() => new ctx.FeishuClient({ ...APP, baseURL: 'http://127.0.0.1:9' }));
      assert(e instanceof ctx.FeishuError && e.kind === 'config', String(e));
      assert(e.message.includes('unknown option `baseURL`') && e.message.includes('did you mean `baseUrl`'), e.message);
      e = thrown(() => new ctx.FeishuClient({ ...APP, retry: { maxAttempt: 2 } }));
      assert(e.message.includes('did you mean `maxAttempts`'), e.message);
      e = thrown(() => new ctx.EventDispatcher({ encryptKey: 'k', dedupeLeaseSecond: 60 }));
      assert(e.kind === 'config' && e.message.includes('did you mean `dedupeLeaseSeconds`'), e.message);
    },
  },
  {
    name: 'a wrongly typed option names the field and what was expected',
    async fn(ctx) {
      let e = thrown(() => new ctx.FeishuClient({ ...APP, timeoutMs: '5s' }));
      assert(e.message.includes('`timeoutMs` must be a whole number of milliseconds, got a string ("5s")'), e.message);
      e = thrown(() => new ctx.EventDispatcher({ encryptKey: 'k', allowUnverified: 'yes' }));
      assert(e.message.includes('`allowUnverified` must be true or false'), e.message);
    },
  },
  {
    name: 'a string where a file belongs is refused, naming the field, before anything is sent',
    async fn(ctx) {
      const client = new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
      let e = await assertRejects(client.upload({ path: 'im/v1/images', fields: { image_type: 'message' }, files: { image: './cat.png' } }));
      assertEqual(e.kind, 'invalid_request');
      assert(e.message.includes('`image` must be the file\'s bytes'), e.message);
      e = await assertRejects(client.im.v1.image.create({ data: { image_type: 'message', image: './cat.png' } }));
      assert(e.kind === 'invalid_request' && e.message.includes('`image`'), e.message);
    },
  },
  {
    name: 'a network error says which origin it was going to and carries the cause',
    async fn(ctx) {
      const client = new ctx.FeishuClient({ ...APP, baseUrl: 'http://127.0.0.1:49999', retry: { maxAttempts: 1 }, logLevel: 'none' });
      const e = await assertRejects(client.request({ path: 'im/v1/chats', tokenType: 'none' }));
      assertEqual(e.kind, 'network');
      assert(e.message.includes('http://127.0.0.1:49999'), e.message);
      if (ctx.runtime === 'node') assert(e.message.includes('ECONNREFUSED'), e.message);
    },
  },
];
