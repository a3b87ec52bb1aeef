// A Feishu / Lark bot as a plain Node http server (or the body of a serverless function):
// webhook in, verified and decrypted, reply out. Run: node examples/node/server.mjs
import http from 'node:http';
import { FeishuClient, EventDispatcher } from 'feishu-edge';

export function createBot(env = process.env) {
  const client = new FeishuClient({ appId: env.FEISHU_APP_ID, appSecret: env.FEISHU_APP_SECRET, baseUrl: env.FEISHU_BASE_URL || undefined });
  const events = new EventDispatcher({ encryptKey: env.FEISHU_ENCRYPT_KEY, verificationToken: env.FEISHU_VERIFICATION_TOKEN, client })
    .register({
      'im.message.receive_v1': async (data, ctx) => {
        const { text } = JSON.parse(data.message.content);
        await ctx.client.im.reply(data.message.message_id, `echo: ${text}`);
      },
    });
  // Node's req/res: read the raw body (verification needs the exact bytes), then invoke.
  return http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const result = await events.invoke(Buffer.concat(chunks), req.headers);
    res.writeHead(result.status, { 'content-type': 'application/json' }).end(result.body);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 3000);
  createBot().listen(port, () => console.log(`bot listening on http://127.0.0.1:${port}`));
}
