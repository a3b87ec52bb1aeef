// feishu-edge/webhook: the webhook side on its own wasm build. The webhook, card and trust suites'
// tests that need no client run again through it, plus what is particular to the entry.
// ctx.hook is the entry's module (the runtime's own flavour of it).
import { assert, assertEqual } from './harness.mjs';
import { webhookTests } from './webhook-suite.mjs';
import { cardTests } from './card-suite.mjs';
import { trustTests } from './trust-suite.mjs';

const needsClient = (t) => /FeishuClient|emuUrl|sendWebhook|\.client\b/.test(t.fn.toString());

export const webhookEntryTests = [
  ...[...webhookTests, ...cardTests, ...trustTests].filter((t) => !needsClient(t)).map((t) => ({
    name: `feishu-edge/webhook: ${t.name}`,
    skip: t.skip,
    fn: (ctx) => t.fn({ ...ctx, ...ctx.hook }),
  })),
  {
    name: 'feishu-edge/webhook: no client pipeline in the entry; options.client is refused by name',
    async fn(ctx) {
      const { hook } = ctx;
      assertEqual(hook.FeishuClient, undefined);
      assertEqual(hook.sendWebhook, undefined);
      assert(typeof hook.EventDispatcher === 'function' && typeof hook.parseAction === 'function');
      let thrown;
      try { new hook.EventDispatcher({ verificationToken: 'vt', client: {} }); } catch (e) { thrown = e; }
      assert(thrown instanceof TypeError && /feishu-edge\/webhook/.test(thrown.message), `got ${thrown}`);
      // Its FeishuError is the class its refusals are made of.
      let refused;
      try { new hook.CardActionHandler({}, () => ({})); } catch (e) { refused = e; }
      assert(refused instanceof hook.FeishuError && refused.kind === 'config', `got ${refused}`);
    },
  },
];
