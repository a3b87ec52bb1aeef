// The emulator answers like the platform, through the built package in every runtime: replies
// shaped by the schema (not echoes), the documented fields of the stateful models, and the
// platform's parameter error for a call that breaks a method's schema.
import { assert, assertEqual, assertRejects } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const fresh = async (ctx) => {
  await fetch(`${ctx.emuUrl}/__emu/reset`, { method: 'POST', body: '{}' });
  return new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
};

export const emulatorTests = [
  {
    name: 'emulator: message create and reply return the documented fields (reply content under body.content)',
    async fn(ctx) {
      const client = await fresh(ctx);
      const { data: sent } = await client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_room', msg_type: 'text', content: '{"text":"hi"}' } });
      for (const f of ['message_id', 'msg_type', 'chat_id', 'create_time', 'update_time', 'sender', 'body', 'deleted', 'updated']) assert(f in sent, `create: ${f}`);
      assertEqual([sent.chat_id, sent.body.content, sent.sender.sender_type], ['oc_room', '{"text":"hi"}', 'app']);
      const { data: reply } = await client.im.v1.message.reply({ path: { message_id: sent.message_id }, data: { msg_type: 'text', content: '{"text":"re"}' } });
      assertEqual([reply.body.content, reply.parent_id, reply.root_id, reply.chat_id], ['{"text":"re"}', sent.message_id, sent.message_id, 'oc_room']);
      assert(!('content' in reply), 'no top-level content: the platform has none');
      const { data: got } = await client.im.v1.message.get({ path: { message_id: reply.message_id } });
      assertEqual(got.items[0].message_id, reply.message_id);
    },
  },
  {
    name: 'emulator: methods without a model answer with data shaped by their reply schema (contact user, chat list items)',
    async fn(ctx) {
      const client = await fresh(ctx);
      const { data } = await client.contact.v3.user.get({ path: { user_id: 'ou_x' } });
      assert(typeof data.user.name === 'string' && data.user.open_id.startsWith('ou_'), JSON.stringify(data.user).slice(0, 200));
      assert(!('echo' in data), 'not an echo');
      const { data: chats } = await client.im.v1.chat.list({ params: { page_size: 2 } });
      for (const f of ['chat_id', 'name', 'owner_id', 'tenant_key', 'chat_status']) assert(f in chats.items[0], `chat item: ${f}`);
      const { data: task } = await client.task.v2.task.get({ path: { task_guid: 't1' } });
      assert(task.task && typeof task.task.summary === 'string', JSON.stringify(task).slice(0, 200));
    },
  },
  {
    name: 'emulator: users, departments, tasks and bitable records keep what they are given',
    async fn(ctx) {
      const client = await fresh(ctx);
      const { data: { user } } = await client.contact.v3.user.create({ data: { name: 'Ada', mobile: '+8613800000001', department_ids: ['od-1'], employee_type: 1 } });
      assert(user.open_id.startsWith('ou_') && user.name === 'Ada', JSON.stringify(user).slice(0, 200));
      assertEqual((await client.contact.v3.user.get({ path: { user_id: user.open_id } })).data.user.name, 'Ada');
      await client.contact.v3.user.patch({ path: { user_id: user.user_id }, data: { name: 'Ada L.' } });
      assertEqual((await client.contact.v3.user.get({ path: { user_id: user.open_id } })).data.user.name, 'Ada L.');
      const { data: { task } } = await client.task.v2.task.create({ data: { summary: 'ship it' } });
      assertEqual((await client.task.v2.task.get({ path: { task_guid: task.guid } })).data.task.summary, 'ship it');
      const path = { app_token: 'bascnA', table_id: 'tblA' };
      const { data: { record } } = await client.bitable.v1.appTableRecord.create({ path, data: { fields: { Name: 'row 1' } } });
      assertEqual((await client.bitable.v1.appTableRecord.get({ path: { ...path, record_id: record.record_id } })).data.record.fields.Name, 'row 1');
      const listed = await client.bitable.v1.appTableRecord.list({ path });
      assertEqual(listed.data.items.map((i) => i.record_id), [record.record_id]);
      await client.bitable.v1.appTableRecord.delete({ path: { ...path, record_id: record.record_id } });
    },
  },
  {
    name: 'emulator: a call that breaks the schema gets 99992402 naming the field, as the platform answers',
    async fn(ctx) {
      const client = await fresh(ctx);
      let e = await assertRejects(client.im.v1.message.create({ params: { receive_id_type: 'bogus' }, data: { receive_id: 'x', msg_type: 'text', content: '{}' } }));
      assertEqual([e.kind, e.code], ['api', 99992402]);
      assert(e.msg.includes('receive_id_type') && e.msg.includes('bogus'), e.msg);
      e = await assertRejects(client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { msg_type: 'text', content: '{}' } }));
      assert(e.code === 99992402 && e.msg.includes('receive_id is required'), e.msg);
      e = await assertRejects(client.request({ path: 'im/v1/chats', params: { page_size: 'ten' } }));
      assert(e.code === 99992402 && e.msg.includes('page_size'), e.msg);
    },
  },
];
