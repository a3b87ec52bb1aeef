// A bot written for @larksuiteoapi/node-sdk (Express, EventDispatcher, CardActionHandler,
// a reply through the client), moved to feishu-edge by changing one line: the import.
import * as lark from 'feishu-edge'; // was: import * as lark from '@larksuiteoapi/node-sdk';
import express from 'express';

export function createBot({ appId, appSecret, encryptKey, verificationToken, domain = lark.Domain.Feishu }) {
  const client = new lark.Client({ appId, appSecret, appType: lark.AppType.SelfBuild, domain, loggerLevel: lark.LoggerLevel.error });

  const eventDispatcher = new lark.EventDispatcher({ encryptKey, verificationToken }).register({
    'im.message.receive_v1': async (data) => {
      const { text } = JSON.parse(data.message.content);
      await client.im.message.reply({
        path: { message_id: data.message.message_id },
        data: { msg_type: 'text', content: JSON.stringify({ text: `echo: ${text}` }) },
      });
    },
  });

  const cardDispatcher = new lark.CardActionHandler({ encryptKey, verificationToken }, async (data) => ({
    toast: { type: 'success', content: `clicked ${data.action?.value?.key ?? ''}` },
  }));

  const app = express();
  app.post('/webhook/event', lark.adaptExpress(eventDispatcher, { autoChallenge: true }));
  app.post('/webhook/card', lark.adaptExpress(cardDispatcher, { autoChallenge: true }));
  return app;
}

// node bot.mjs: FEISHU_APP_ID, FEISHU_APP_SECRET, FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN.
if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  createBot({ appId: env.FEISHU_APP_ID, appSecret: env.FEISHU_APP_SECRET, encryptKey: env.FEISHU_ENCRYPT_KEY, verificationToken: env.FEISHU_VERIFICATION_TOKEN, domain: env.FEISHU_BASE_URL || undefined })
    .listen(Number(env.PORT ?? 3000), () => console.log(`listening on ${env.PORT ?? 3000}`));
}
