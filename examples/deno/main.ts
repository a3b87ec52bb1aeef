// A Feishu / Lark bot on Deno: Deno.serve, webhook in, reply out.
// Run: deno run --allow-net --allow-env examples/deno/main.ts
import { FeishuClient, EventDispatcher } from 'feishu-edge';

export function createHandler(env: Record<string, string | undefined>): (req: Request) => Promise<Response> {
  const client = new FeishuClient({ appId: env.FEISHU_APP_ID, appSecret: env.FEISHU_APP_SECRET, baseUrl: env.FEISHU_BASE_URL || undefined });
  const events = new EventDispatcher({ encryptKey: env.FEISHU_ENCRYPT_KEY, verificationToken: env.FEISHU_VERIFICATION_TOKEN, client })
    .register({
      'im.message.receive_v1': async (data, ctx) => {
        const { text } = JSON.parse(data.message.content);
        await ctx.client!.im.reply(data.message.message_id, `echo from Deno: ${text}`);
      },
    });
  return (req) => events.handle(req);
}

if (import.meta.main) {
  Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000) }, createHandler(Deno.env.toObject()));
}
