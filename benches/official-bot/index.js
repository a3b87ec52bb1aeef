// The example bot written with @larksuiteoapi/node-sdk, for the bundle-size comparison only: the
// same webhook handling, threaded card reply, CardKit updates and card button. It is bundled for
// Node (the official SDK imports Node built-ins and cannot target workerd without nodejs_compat).
import * as lark from '@larksuiteoapi/node-sdk';
import http from 'node:http';

const client = new lark.Client({ appId: process.env.FEISHU_APP_ID, appSecret: process.env.FEISHU_APP_SECRET });
const keys = { encryptKey: process.env.FEISHU_ENCRYPT_KEY, verificationToken: process.env.FEISHU_VERIFICATION_TOKEN };

async function streamReply(messageId, text) {
  const card = { schema: '2.0', config: { streaming_mode: true, update_multi: true }, header: { title: { tag: 'plain_text', content: 'bot' }, template: 'blue' },
    body: { elements: [{ tag: 'markdown', content: '', element_id: 'md' }, { tag: 'button', text: { tag: 'plain_text', content: '👍 Helpful' }, type: 'primary', behaviors: [{ type: 'callback', value: { action: 'helpful' } }] }] } };
  const created = await client.cardkit.v1.card.create({ data: { type: 'card_json', data: JSON.stringify(card) } });
  const cardId = created.data.card_id;
  await client.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'interactive', content: JSON.stringify({ type: 'card', data: { card_id: cardId } }), reply_in_thread: true } });
  let sequence = 0;
  let acc = '';
  for (const word of `You said: "${text}".`.split(' ')) {
    acc += `${word} `;
    await client.cardkit.v1.cardElement.content({ path: { card_id: cardId, element_id: 'md' }, data: { content: acc, sequence: ++sequence, uuid: `${cardId}-${sequence}` } });
  }
  await client.cardkit.v1.card.settings({ path: { card_id: cardId }, data: { settings: JSON.stringify({ config: { streaming_mode: false } }), sequence: ++sequence, uuid: `${cardId}-${sequence}` } });
}

const events = new lark.EventDispatcher(keys).register({
  'im.message.receive_v1': async (data) => streamReply(data.message.message_id, JSON.parse(data.message.content).text),
});
const cards = new lark.CardActionHandler(keys, async () => ({ toast: { type: 'success', content: 'Thanks for the feedback!' } }));

http.createServer(lark.adaptDefault('/webhook/event', events, { autoChallenge: true })).listen(3000);
http.createServer(lark.adaptDefault('/webhook/card', cards)).listen(3001);
