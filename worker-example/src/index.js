// A Feishu / Lark bot on Cloudflare Workers.
//   POST /webhook/event  im.message.receive_v1 → a reply in the thread, streamed into a card
//   POST /webhook/card   the card's button → a toast and an updated card
// Events are verified and acknowledged at once; the work runs in ctx.waitUntil. Each event is
// handled once: its id is claimed in a Durable Object (exact) before the handler runs,
// committed when it succeeds and released when it fails, so the platform's retry is handled.
// Without FEISHU_ENCRYPT_KEY or FEISHU_VERIFICATION_TOKEN the Worker refuses to start serving.
import { FeishuClient, EventDispatcher, CardActionHandler, Card, durableObjectStore } from 'feishu-edge';

// The Durable Object class behind durableObjectStore, bound as FEISHU_STATE in wrangler.toml.
export { FeishuStateObject } from 'feishu-edge';

/** Stands in for a model: an async source of text chunks. */
async function* answer(question) {
  const words = `You said: "${question}". This reply is streamed into a card, a few words at a time.`.split(' ');
  for (const word of words) {
    await new Promise((r) => setTimeout(r, 20));
    yield `${word} `;
  }
}

function replyCard(title) {
  return new Card({ config: { streaming_mode: true, update_multi: true } })
    .header(title, { template: 'blue' })
    .markdown('', { elementId: 'md' })
    .button('👍 Helpful', { value: { action: 'helpful' }, type: 'primary', elementId: 'thumbs' });
}

function setup(env) {
  const client = new FeishuClient({
    appId: env.FEISHU_APP_ID,
    appSecret: env.FEISHU_APP_SECRET,
    baseUrl: env.FEISHU_BASE_URL || undefined,
    tokenStore: env.TOKENS,
  });
  const keys = { encryptKey: env.FEISHU_ENCRYPT_KEY, verificationToken: env.FEISHU_VERIFICATION_TOKEN };
  // Exact de-duplication in the Durable Object; Workers KV (best effort) when none is bound.
  const dedupeStore = env.FEISHU_STATE ? durableObjectStore(env.FEISHU_STATE) : env.TOKENS;
  const onError = (error, event) => console.error(`handler for ${event?.event_type} ${event?.event_id} failed:`, error);
  const events = new EventDispatcher({ ...keys, dedupeStore, client, onError }).register({
    'im.message.receive_v1': async (data, ctx) => {
      const text = JSON.parse(data.message.content).text ?? '';
      await ctx.client.streamCard(answer(text), { replyTo: data.message.message_id, inThread: true, card: replyCard('feishu-edge bot') });
    },
  });
  const cards = new CardActionHandler({ ...keys, onError }, async (action) => {
    if (action.action?.value?.action !== 'helpful') return {};
    return {
      toast: { type: 'success', content: 'Thanks for the feedback!' },
      card: new Card().header('feishu-edge bot', { template: 'green' }).markdown('Marked as helpful ✅').toJSON(),
    };
  });
  return { events, cards };
}

// One client per isolate (per env): its memory token cache saves a KV read on every request;
// KV still shares tokens across isolates.
const perEnv = new WeakMap();

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (!perEnv.has(env)) {
      try {
        perEnv.set(env, setup(env));
      } catch (e) {
        // A missing key is a FeishuError of kind 'config': fail closed, say why (no secrets).
        console.error(e.message);
        return new Response(`feishu-edge bot is not configured: ${e.message}\n`, { status: 500 });
      }
    }
    const { events, cards } = perEnv.get(env);
    if (pathname === '/webhook/event') return events.handle(request, { waitUntil: ctx.waitUntil.bind(ctx) });
    if (pathname === '/webhook/card') return cards.handle(request);
    return new Response('feishu-edge bot: POST events to /webhook/event and card callbacks to /webhook/card\n');
  },
};
