// The official README's programs as TypeScript, compiled with tsc --strict against feishu-edge
// with only the import changed (issue 17). tests/js/official-readme.mjs runs them.
import * as lark from 'feishu-edge';

export async function programs(domain: string, encrypted: string): Promise<void> {
  const client = new lark.Client({ appId: 'cli_xxx', appSecret: 'secret', appType: lark.AppType.SelfBuild, domain: lark.Domain.Feishu, loggerLevel: lark.LoggerLevel.info });
  await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', content: JSON.stringify({ text: 'hello world' }), msg_type: 'text' } });
  await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', content: JSON.stringify({ text: 'hi' }), msg_type: 'text' } }, lark.withTenantToken('t-xxx'));
  await client.request({ method: 'POST', url: '/open-apis/im/v1/messages', data: { receive_id: 'oc_xxx', content: JSON.stringify({ text: 'hi' }), msg_type: 'text' }, params: { receive_id_type: 'chat_id' } });
  for await (const items of await client.contact.user.listWithIterator({ params: { department_id: '0', page_size: 20 } })) console.log(items);
  await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', content: lark.messageCard.defaultCard({ title: 'sample title', content: 'sample content' }), msg_type: 'interactive' } });
  await client.im.message.createByCard({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', template_id: 'ctp_xxx', template_variable: { title: 'v' } } });
  const { image_key } = await client.im.image.create({ data: { image_type: 'message', image: new Blob([]) } });
  const image = await client.im.image.get({ path: { image_key: image_key ?? 'img_xxx' } });
  await image.writeFile('./image.png');
  const isv = new lark.Client({ appId: 'cli_xxx', appSecret: 'secret', appType: lark.AppType.ISV, domain, disableTokenCache: true });
  await isv.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', content: '{}', msg_type: 'text' } }, lark.withAll([lark.withTenantToken('t-xxx'), lark.withTenantKey('tk')]));
  const dispatcher = new lark.EventDispatcher({ encryptKey: 'ek' }).register({ 'im.message.receive_v1': async (data) => { console.log(data.message.chat_id); } });
  dispatcher.unregister('im.message.receive_v1');
  new lark.WSClient({ appId: 'cli_xxx', appSecret: 'secret', domain: lark.Domain.Lark, loggerLevel: lark.LoggerLevel.debug, autoReconnect: true });
  console.log(new lark.AESCipher('key').decrypt(encrypted));
  // The error contract (issue 24): `res.code` checks and axios-style catch blocks.
  const res = await client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_xxx', content: '{}', msg_type: 'text' } });
  if (res.code !== 0) console.error(res.code, res.msg);
  try {
    await client.request({ method: 'GET', url: '/open-apis/im/v1/chats' });
  } catch (e: any) {
    console.error(e.response.status, JSON.stringify(e.response.data));
  }
  try {
    await client.im.chat.list({});
  } catch (e) {
    if (e instanceof lark.FeishuError) console.error(e.kind, e.code, e.response?.status, e.response?.data, e.response?.headers['x-tt-logid']);
  }
  const strict: lark.FeishuClient = new lark.Client({ appId: 'cli_xxx', appSecret: 'secret', rejectOnApiError: true });
  const user: lark.Client = new lark.Client({ appId: 'cli_xxx', appSecret: 'secret' }).asUser('u-xxx');
  const lenient = new lark.FeishuClient({ appId: 'cli_xxx', appSecret: 'secret', rejectOnApiError: false });
  console.log(strict.appId, user.appId, lenient.appId);
}
