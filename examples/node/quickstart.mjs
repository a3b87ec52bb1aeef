// A small tour of the client against whatever FEISHU_BASE_URL points at (scripts/demo starts
// the loopback emulator). In your project: import { FeishuClient } from 'feishu-edge'.
import { FeishuClient, FeishuError } from '../../pkg/node.js';

const client = new FeishuClient({
  // appId / appSecret / baseUrl come from FEISHU_APP_ID, FEISHU_APP_SECRET, FEISHU_BASE_URL.
  logger: { info: (m) => console.log(`  log: ${m}`), warn: (m) => console.log(`  log: ${m}`) },
  logLevel: 'info',
});

console.log('1. send a text message (the tenant token is fetched once, then cached)');
const sent = await client.request({
  method: 'POST', path: 'im/v1/messages', params: { receive_id_type: 'chat_id' },
  data: { receive_id: 'oc_demo', msg_type: 'text', content: JSON.stringify({ text: 'hello from feishu-edge' }) },
});
console.log(`   -> message_id ${sent.data.message_id}`);

console.log('2. walk every chat, 2 per page');
for await (const chat of client.paginate({ path: 'im/v1/chats', pageSize: 2 })) console.log(`   -> ${chat.chat_id} ${chat.name}`);

console.log('3. upload an image, download it back');
const up = await client.upload({ path: 'im/v1/images', fields: { image_type: 'message' }, files: { image: new Uint8Array([137, 80, 78, 71]) } });
const bytes = await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: up.data.image_key } });
console.log(`   -> ${up.data.image_key}, downloaded ${bytes.length} bytes`);

console.log('4. a failing call is a typed FeishuError');
try {
  await client.download({ path: 'im/v1/images/{image_key}', pathParams: { image_key: 'missing' } });
} catch (e) {
  if (!(e instanceof FeishuError)) throw e;
  console.log(`   -> ${e.kind} code=${e.code} httpStatus=${e.httpStatus} logId=${e.logId} retryable=${e.retryable}`);
}
console.log('done');
