// A Worker that only verifies events and card callbacks, with feishu-edge/webhook: the
// smallest useful bundle (benches/bundle.mjs measures it; tests/js/webhook-entry.mjs runs it).
import { EventDispatcher, CardActionHandler, Card, durableObjectStore } from '../../pkg/webhook/workerd.js';

export { FeishuStateObject } from '../../pkg/webhook/workerd.js';

export default {
  async fetch(request, env, ctx) {
    const keys = { encryptKey: env.FEISHU_ENCRYPT_KEY, verificationToken: env.FEISHU_VERIFICATION_TOKEN };
    const dedupeStore = env.FEISHU_STATE ? durableObjectStore(env.FEISHU_STATE) : undefined;
    const path = new URL(request.url).pathname;
    if (path === '/webhook/event') {
      const events = new EventDispatcher({ ...keys, dedupeStore }).register({
        'im.message.receive_v1': (data) => { console.log('message', data.message?.message_id); },
      });
      return events.handle(request, { waitUntil: (p) => ctx.waitUntil(p) });
    }
    if (path === '/webhook/card') {
      const cards = new CardActionHandler(keys, (action) => ({
        toast: { type: 'success', content: 'Thanks!' },
        card: { type: 'raw', data: new Card().header('Noted').markdown(`You pressed ${action.action?.value?.action ?? 'a button'}.`).toJSON() },
      }));
      return cards.handle(request);
    }
    return new Response('not found', { status: 404 });
  },
};
