// Task-level helpers through the built package against the emulator: inference, iterators across
// pages, chunked upload order and sizes, OAuth flows, custom-bot signing, and the request each
// simple helper sends.
import { assert, assertEqual, assertRejects } from './harness.mjs';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };
const control = async (emuUrl, path, body) => (await fetch(emuUrl + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
const calls = async (emuUrl) => (await control(emuUrl, '/__emu/log')).requests.filter((r) => !r.path.startsWith('auth/v3/'));
const fresh = async (ctx, config = {}) => {
  await control(ctx.emuUrl, '/__emu/reset', config);
  return new ctx.FeishuClient({ ...APP, baseUrl: ctx.emuUrl, logLevel: 'none' });
};

export const helperTests = [
  {
    name: 'im.send infers receive_id_type from the id and msg_type from the content, with a uuid',
    async fn(ctx) {
      const client = await fresh(ctx);
      const card = new ctx.Card().header('t').markdown('m');
      const cases = [
        ['ou_1', 'hello', 'open_id', 'text'],
        ['on_1', card, 'union_id', 'interactive'],
        ['oc_1', { schema: '2.0', body: { elements: [] } }, 'chat_id', 'interactive'],
        ['a@b.com', { image_key: 'img_1' }, 'email', 'image'],
        ['7a1b2c', { file_key: 'file_1' }, 'user_id', 'file'],
        ['oc_2', { zh_cn: { title: 'T', content: [[{ tag: 'text', text: 'x' }]] } }, 'chat_id', 'post'],
      ];
      for (const [id, content] of cases) await client.im.send(id, content);
      const sent = (await calls(ctx.emuUrl)).filter((r) => r.path === 'im/v1/messages');
      assertEqual(sent.map((r) => [r.query, r.body.msg_type]), cases.map(([, , type, msgType]) => [`?receive_id_type=${type}`, msgType]));
      assertEqual(JSON.parse(sent[0].body.content), { text: 'hello' });
      assertEqual(JSON.parse(sent[1].body.content).header.title.content, 't');
      assert(sent.every((r) => typeof r.body.uuid === 'string' && r.body.uuid.length > 8), 'idempotency uuid');
      await assertRejects(client.im.send('oc_1', { mystery: 1 }), (e) => assertEqual(e.kind, 'invalid_request'));
    },
  },
  {
    name: 'im.reply / updateCard / recall / uploadImage / uploadFile / downloadResource',
    async fn(ctx) {
      const client = await fresh(ctx);
      await client.im.reply('om_1', 'thanks', { inThread: true });
      await client.im.updateCard('om_2', new ctx.Card().markdown('updated'));
      await client.im.recall('om_3');
      assert(/^img_v3_\w+$/.test(await client.im.uploadImage(new Uint8Array([1, 2, 3]))), 'an image key');
      await client.im.uploadFile(new Uint8Array([9, 9]), 'report.pdf', { fileType: 'pdf' });
      const bytes = await client.im.downloadResource('om_4', 'file_k', 'image');
      assertEqual(new TextDecoder().decode(bytes), 'resource:file_k:image');
      const log = await calls(ctx.emuUrl);
      const by = (m, p) => log.find((r) => r.method === m && r.path === p);
      assertEqual([by('POST', 'im/v1/messages/om_1/reply').body.reply_in_thread, JSON.parse(by('POST', 'im/v1/messages/om_1/reply').body.content).text], [true, 'thanks']);
      assertEqual(JSON.parse(by('PATCH', 'im/v1/messages/om_2').body.content).body.elements[0].content, 'updated');
      assert(by('DELETE', 'im/v1/messages/om_3'), 'recall is a DELETE');
      const file = by('POST', 'im/v1/files').form;
      assertEqual([file.file_type, file.file_name, file.file.filename, file.file.size], ['pdf', 'report.pdf', 'report.pdf', 2]);
    },
  },
  {
    name: 'iterators walk several pages (contact, drive, docx, bitable search, wiki, task)',
    async fn(ctx) {
      const pages = {
        'contact/v3/departments/0/children': { total: 5 },
        'drive/v1/files': { total: 3, key: 'files' },
        'docx/v1/documents/doc1/blocks': { total: 4 },
        'bitable/v1/apps/app1/tables/tbl1/records/search': { total: 5 },
        'wiki/v2/spaces': { total: 3 },
        'task/v2/tasks': { total: 2 },
      };
      const client = await fresh(ctx, { pages });
      const collect = async (it) => { const out = []; for await (const x of it) out.push(x.id); return out; };
      assertEqual((await collect(client.contact.departmentChildren('0', { pageSize: 2 }))).length, 5);
      assertEqual(await collect(client.drive.listFolder('fld', { pageSize: 2 })), ['drive/v1/files#0', 'drive/v1/files#1', 'drive/v1/files#2']);
      assertEqual((await collect(client.docx.listBlocks('doc1', { pageSize: 3 }))).length, 4);
      assertEqual((await collect(client.bitable.searchRecords('app1', 'tbl1', { filter: { conjunction: 'and' } }, { pageSize: 2, maxItems: 3 }))).length, 3);
      assertEqual((await collect(client.wiki.listSpaces({ pageSize: 1 }))).length, 3);
      assertEqual((await collect(client.task.listTasks({ pageSize: 1 }))).length, 2);
      const log = await calls(ctx.emuUrl);
      assertEqual(log.filter((r) => r.path === 'contact/v3/departments/0/children').map((r) => r.query), ['?fetch_child=false&page_size=2', '?fetch_child=false&page_size=2&page_token=2', '?fetch_child=false&page_size=2&page_token=4']);
      const searches = log.filter((r) => r.path.endsWith('records/search'));
      assertEqual([searches.length, searches[0].method, searches[0].body.filter.conjunction], [2, 'POST', 'and']);
    },
  },
  {
    name: 'drive.uploadFile: one upload_all below the threshold, prepare → ordered parts → finish above it',
    async fn(ctx) {
      const client = await fresh(ctx, { driveBlockSize: 4 });
      assertEqual(await client.drive.uploadFile('fld', new Uint8Array(5), 'small.bin'), 'box_all_5');
      const token = await client.drive.uploadFile('fld', new Uint8Array(10).map((_, i) => i), 'big.bin', { chunkedAbove: 5 });
      assertEqual(token, 'box_3_parts');
      const log = await calls(ctx.emuUrl);
      const prepare = log.find((r) => r.path === 'drive/v1/files/upload_prepare').body;
      assertEqual([prepare.file_name, prepare.size, prepare.parent_node, prepare.parent_type], ['big.bin', 10, 'fld', 'explorer']);
      const parts = log.filter((r) => r.path === 'drive/v1/files/upload_part').map((r) => [r.form.seq, r.form.size, r.form.file.size, r.form.file.bytes]);
      assertEqual(parts, [['0', '4', 4, [0, 1, 2, 3]], ['1', '4', 4, [4, 5, 6, 7]], ['2', '2', 2, [8, 9]]]);
      assertEqual(log.find((r) => r.path === 'drive/v1/files/upload_finish').body.block_num, 3);
      const blob = await client.drive.uploadFile('fld', new Blob([new Uint8Array(9)]), 'blob.bin', { chunkedAbove: 1 });
      assertEqual(blob, 'box_3_parts', 'Blobs are sliced too');
    },
  },
  {
    name: 'OAuth: authorize URL, code → token (stored per user), refresh before expiry, user info',
    async fn(ctx) {
      const client = await fresh(ctx, { oauthExpire: 100 });
      const url = new URL(client.oauth.authorizeUrl({ redirectUri: 'https://app.example/cb', scopes: ['contact:user.base:readonly', 'offline_access'], state: 'st-1' }));
      assertEqual([url.origin + url.pathname, url.searchParams.get('client_id'), url.searchParams.get('redirect_uri'), url.searchParams.get('scope'), url.searchParams.get('state'), url.searchParams.get('response_type')],
        [`${ctx.emuUrl}/open-apis/authen/v1/authorize`, 'cli_0123456789abcdef', 'https://app.example/cb', 'contact:user.base:readonly offline_access', 'st-1', 'code']);
      const token = await client.oauth.exchangeCode('code-ok', { redirectUri: 'https://app.example/cb', store: true });
      assertEqual([token.access_token, token.refresh_token, token.openId], ['u-oauth-1', 'r-oauth-1', 'ou_oauth_user']);
      assert(token.expiresAt > Date.now() / 1000, 'absolute expiry');
      // Expires within the refresh margin (100 s < 180 s): the stored token is refreshed.
      assertEqual(await client.oauth.userAccessToken('ou_oauth_user'), 'u-oauth-2');
      assertEqual(await client.oauth.userAccessToken('ou_nobody'), null);
      assertEqual((await client.oauth.refresh('r-oauth-5')).access_token, 'u-oauth-6');
      assertEqual((await client.oauth.userInfo('u-oauth-2')).name, 'OAuth User');
      const err = await assertRejects(client.oauth.exchangeCode('code-bad', { redirectUri: 'x' }));
      assertEqual([err.kind, err.code], ['api', 20003]);
      const grant = (await control(ctx.emuUrl, '/__emu/log')).requests.find((r) => r.path === 'authen/v2/oauth/token');
      assertEqual([grant.body.grant_type, grant.body.client_id, grant.authorization], ['authorization_code', 'cli_0123456789abcdef', null]);
    },
  },
  {
    name: 'sendWebhook signs with the custom-bot formula; a wrong secret is refused',
    async fn(ctx) {
      await control(ctx.emuUrl, '/__emu/reset', { botSecret: 'testSecret' });
      const hook = `${ctx.emuUrl}/open-apis/bot/v2/hook/abc`;
      await ctx.sendWebhook(hook, 'deploy done', { secret: 'testSecret' });
      await ctx.sendWebhook(hook, new ctx.Card().markdown('**card**'), { secret: 'testSecret', timestamp: 1648200000 });
      const [text, card] = (await control(ctx.emuUrl, '/__emu/log')).requests.filter((r) => r.path === 'bot/v2/hook/abc');
      assertEqual([text.body.msg_type, text.body.content.text], ['text', 'deploy done']);
      assertEqual([card.body.msg_type, card.body.card.body.elements[0].content, card.body.sign], ['interactive', '**card**', 'EeVMWFkWdx3NMASalfC7OEOJike0pXAY3MbTk9I1ouA=']);
      await assertRejects(ctx.sendWebhook(hook, 'x', { secret: 'wrong' }), (e) => assertEqual(e.code, 19021));
    },
  },
  {
    name: 'each simple helper sends the right request (calendar, docx, sheets, bitable, wiki, task, approval, vc, board, contact)',
    async fn(ctx) {
      const client = await fresh(ctx);
      const steps = [
        [() => client.calendar.primaryCalendar(), 'POST', 'calendar/v4/calendars/primary'],
        [() => client.calendar.createEvent('cal1', { summary: 's', start_time: { timestamp: '1700000000' }, end_time: { timestamp: '1700003600' } }), 'POST', 'calendar/v4/calendars/cal1/events', { summary: 's', start_time: { timestamp: '1700000000' }, end_time: { timestamp: '1700003600' } }],
        [() => client.calendar.getEvent('cal1', 'ev1'), 'GET', 'calendar/v4/calendars/cal1/events/ev1'],
        [() => client.calendar.updateEvent('cal1', 'ev1', { summary: 'u' }), 'PATCH', 'calendar/v4/calendars/cal1/events/ev1', { summary: 'u' }],
        [() => client.calendar.deleteEvent('cal1', 'ev1'), 'DELETE', 'calendar/v4/calendars/cal1/events/ev1'],
        [() => client.calendar.addAttendees('cal1', 'ev1', [{ type: 'user', user_id: 'ou_1' }]), 'POST', 'calendar/v4/calendars/cal1/events/ev1/attendees'],
        [() => client.calendar.freeBusy({ timeMin: 'a', timeMax: 'b', userId: 'ou_1' }), 'POST', 'calendar/v4/freebusy/list', { time_min: 'a', time_max: 'b', user_id: 'ou_1' }],
        [() => client.contact.getUser('ou_1'), 'GET', 'contact/v3/users/ou_1', undefined, '?user_id_type=open_id'],
        [() => client.contact.batchGetUsers(['ou_1', 'ou_2']), 'GET', 'contact/v3/users/batch', undefined, '?user_ids=ou_1&user_ids=ou_2&user_id_type=open_id'],
        [() => client.contact.userIdsBy({ emails: ['a@b.c'] }), 'POST', 'contact/v3/users/batch_get_id', { emails: ['a@b.c'] }],
        [() => client.docx.createDocument({ title: 'T' }), 'POST', 'docx/v1/documents', { title: 'T' }],
        [() => client.docx.rawContent('doc1'), 'GET', 'docx/v1/documents/doc1/raw_content'],
        [() => client.docx.appendBlocks('doc1', 'blk', [{ block_type: 2 }]), 'POST', 'docx/v1/documents/doc1/blocks/blk/children', { children: [{ block_type: 2 }] }],
        [() => client.sheets.createSpreadsheet({ title: 'S' }), 'POST', 'sheets/v3/spreadsheets', { title: 'S' }],
        [() => client.sheets.listSheets('sht1'), 'GET', 'sheets/v3/spreadsheets/sht1/sheets/query'],
        [() => client.sheets.readValues('sht1', 'abc!A1:B2'), 'GET', 'sheets/v2/spreadsheets/sht1/values/abc%21A1%3AB2'],
        [() => client.sheets.writeValues('sht1', 'abc!A1', [[1]]), 'PUT', 'sheets/v2/spreadsheets/sht1/values', { valueRange: { range: 'abc!A1', values: [[1]] } }],
        [() => client.sheets.appendValues('sht1', 'abc!A1', [[2]]), 'POST', 'sheets/v2/spreadsheets/sht1/values_append', { valueRange: { range: 'abc!A1', values: [[2]] } }],
        [() => client.sheets.batchReadValues('sht1', ['a!A1', 'b!B2']), 'GET', 'sheets/v2/spreadsheets/sht1/values_batch_get', undefined, '?ranges=a%21A1&ranges=b%21B2'],
        [() => client.sheets.batchWriteValues('sht1', [{ range: 'a!A1', values: [[3]] }]), 'POST', 'sheets/v2/spreadsheets/sht1/values_batch_update', { valueRanges: [{ range: 'a!A1', values: [[3]] }] }],
        [() => client.bitable.batchCreateRecords('app1', 'tbl1', [{ Name: 'x' }]), 'POST', 'bitable/v1/apps/app1/tables/tbl1/records/batch_create', { records: [{ fields: { Name: 'x' } }] }],
        [() => client.bitable.batchUpdateRecords('app1', 'tbl1', [{ record_id: 'r1', fields: { Name: 'y' } }]), 'POST', 'bitable/v1/apps/app1/tables/tbl1/records/batch_update'],
        [() => client.bitable.batchDeleteRecords('app1', 'tbl1', ['r1']), 'POST', 'bitable/v1/apps/app1/tables/tbl1/records/batch_delete', { records: ['r1'] }],
        [() => client.wiki.getNode('wikcn1'), 'GET', 'wiki/v2/spaces/get_node', undefined, '?token=wikcn1'],
        [() => client.task.createTask({ summary: 'do' }), 'POST', 'task/v2/tasks', { summary: 'do' }],
        [() => client.task.getTask('tg1'), 'GET', 'task/v2/tasks/tg1'],
        [() => client.task.updateTask('tg1', { summary: 'x' }), 'PATCH', 'task/v2/tasks/tg1', { task: { summary: 'x' }, update_fields: ['summary'] }],
        [() => client.task.deleteTask('tg1'), 'DELETE', 'task/v2/tasks/tg1'],
        [() => client.task.addComment('tg1', 'nice'), 'POST', 'task/v2/comments', { content: 'nice', resource_type: 'task', resource_id: 'tg1' }],
        [() => client.approval.createInstance({ approvalCode: 'ap1', openId: 'ou_1', form: [{ id: 'f', value: 'v' }] }), 'POST', 'approval/v4/instances', { approval_code: 'ap1', open_id: 'ou_1', form: '[{"id":"f","value":"v"}]' }],
        [() => client.approval.getInstance('ins1'), 'GET', 'approval/v4/instances/ins1'],
        [() => client.approval.approveTask({ approval_code: 'a', instance_code: 'i', user_id: 'u', task_id: 't' }), 'POST', 'approval/v4/tasks/approve'],
        [() => client.approval.rejectTask({ approval_code: 'a', instance_code: 'i', user_id: 'u', task_id: 't' }), 'POST', 'approval/v4/tasks/reject'],
        [() => client.vc.reserveMeeting({ endTime: '1700000000', meetingSettings: { topic: 't' } }), 'POST', 'vc/v1/reserves/apply', { end_time: '1700000000', meeting_settings: { topic: 't' } }],
        [() => client.vc.getReservation('rs1'), 'GET', 'vc/v1/reserves/rs1'],
        [() => client.vc.updateReservation('rs1', { end_time: '1' }), 'PUT', 'vc/v1/reserves/rs1', { end_time: '1' }],
        [() => client.vc.deleteReservation('rs1'), 'DELETE', 'vc/v1/reserves/rs1'],
        [() => client.vc.getMeeting('m1'), 'GET', 'vc/v1/meetings/m1', undefined, '?with_participants=false'],
        [() => client.board.listNodes('wb1'), 'GET', 'board/v1/whiteboards/wb1/nodes'],
        [() => client.drive.copyFile('f1', { name: 'n', folderToken: 'fld' }), 'POST', 'drive/v1/files/f1/copy', { name: 'n', type: 'file', folder_token: 'fld' }],
        [() => client.drive.moveFile('f1', { folderToken: 'fld' }), 'POST', 'drive/v1/files/f1/move', { type: 'file', folder_token: 'fld' }],
        [() => client.drive.deleteFile('f1'), 'DELETE', 'drive/v1/files/f1', undefined, '?type=file'],
      ];
      const failures = [];
      for (const [run, method, path, body, query] of steps) {
        await control(ctx.emuUrl, '/__emu/clear-log', {});
        try { await run(); } catch (e) { failures.push(`${method} ${path}: threw ${e.message}`); continue; }
        const [req] = await calls(ctx.emuUrl);
        if (!req || req.method !== method || req.path !== path) { failures.push(`${method} ${path}: sent ${req?.method} ${req?.path}`); continue; }
        if (query !== undefined && req.query !== query) failures.push(`${path}: query ${req.query} ≠ ${query}`);
        if (body !== undefined) for (const [k, v] of Object.entries(body)) if (JSON.stringify(req.body?.[k]) !== JSON.stringify(v)) failures.push(`${path}: body.${k} = ${JSON.stringify(req.body?.[k])}`);
      }
      assertEqual(failures, []);
    },
  },
  {
    name: 'every helper is on its namespace; table helpers return the field their row names, as the catalog call has it',
    async fn(ctx) {
      const client = await fresh(ctx);
      const names = {
        im: 'send reply updateCard recall uploadImage uploadFile downloadResource',
        contact: 'getUser batchGetUsers userIdsBy departmentChildren',
        calendar: 'primaryCalendar createEvent getEvent updateEvent deleteEvent listEvents addAttendees freeBusy',
        drive: 'listFolder uploadFile downloadFile copyFile moveFile deleteFile',
        docx: 'createDocument rawContent listBlocks appendBlocks',
        sheets: 'createSpreadsheet listSheets readValues writeValues appendValues batchReadValues batchWriteValues',
        bitable: 'listTables listFields listRecords searchRecords batchCreateRecords batchUpdateRecords batchDeleteRecords',
        wiki: 'listSpaces listNodes getNode',
        task: 'createTask getTask listTasks updateTask deleteTask addComment listComments',
        approval: 'createInstance getInstance listInstances approveTask rejectTask',
        vc: 'reserveMeeting getReservation updateReservation deleteReservation getMeeting',
        board: 'listNodes exportImage',
      };
      const missing = Object.entries(names).flatMap(([ns, list]) => list.split(' ').filter((n) => typeof client[ns][n] !== 'function').map((n) => `${ns}.${n}`));
      assertEqual(missing, []);
      const user = (await client.contact.v3.user.get({ path: { user_id: 'ou_1' }, params: { user_id_type: 'open_id' } })).data.user;
      // The emulator's samples differ call by call (ids): the same shape, the same field.
      const shape = (v) => (v && typeof v === 'object' ? Object.keys(v).sort() : typeof v);
      assertEqual(shape(await client.contact.getUser('ou_1')), shape(user));
      assert(shape(user).length > 3, 'the user itself');
      const primary = (await client.calendar.v4.calendar.primary({})).data;
      assertEqual(shape(await client.calendar.primaryCalendar()), shape(primary.calendars?.[0]?.calendar));
      const instance = await client.approval.getInstance('ins1');
      assertEqual(shape(instance), shape((await client.approval.v4.instance.get({ path: { instance_id: 'ins1' } })).data), 'a row without a result field returns data');
      assertEqual(typeof (await client.approval.createInstance({ approvalCode: 'ap1', form: '[]' })), 'string');
      assert(Array.isArray(await client.sheets.listSheets('sht1')), 'a list');
      // A positional argument left undefined takes its default; iterators stay lazy and synchronous.
      await control(ctx.emuUrl, '/__emu/clear-log', {});
      const it = client.contact.departmentChildren(undefined, { fetchChild: true, maxItems: 1 });
      assertEqual(typeof it[Symbol.asyncIterator], 'function');
      for await (const _ of it) break;
      assertEqual((await calls(ctx.emuUrl)).map((r) => [r.path, r.query]), [['contact/v3/departments/0/children', '?fetch_child=true&page_size=50']]);
    },
  },
  {
    name: 'upload rows: a web stream read whole, a Blob, the file name and duration as fields',
    async fn(ctx) {
      const client = await fresh(ctx);
      const stream = new Response(new Uint8Array([1, 2, 3])).body;
      assertEqual(typeof (await client.im.uploadFile(stream, 'clip.mp4', { fileType: 'mp4', duration: 10 })), 'string');
      assertEqual(typeof (await client.im.uploadImage(new Blob([new Uint8Array(4)]), { imageType: 'avatar' })), 'string');
      const log = await calls(ctx.emuUrl);
      const file = log.find((r) => r.path === 'im/v1/files').form;
      assertEqual([file.file_type, file.file_name, file.duration, file.file.filename, file.file.size], ['mp4', 'clip.mp4', '10', 'clip.mp4', 3]);
      const image = log.find((r) => r.path === 'im/v1/images').form;
      assertEqual([image.image_type, image.image.size], ['avatar', 4]);
      await assertRejects(client.im.uploadImage('/etc/passwd'), (e) => assertEqual(e.kind, 'invalid_request'));
    },
  },
  {
    name: 'table helpers refuse what they cannot bind before sending (a missing path id, options that are not an object)',
    async fn(ctx) {
      const client = await fresh(ctx);
      await control(ctx.emuUrl, '/__emu/clear-log', {});
      await assertRejects(client.contact.getUser(), (e) => assertEqual(e.kind, 'invalid_request'));
      await assertRejects(client.contact.getUser('ou_1', 7), (e) => assertEqual(e.kind, 'invalid_request'));
      await assertRejects(client.task.updateTask('tg1', 'not an object'), (e) => assertEqual(e.kind, 'invalid_request'));
      assertEqual(await calls(ctx.emuUrl), []);
    },
  },
];
