// Task-level helpers: the common jobs in one call, composed from catalog methods. The decisions
// (id and message type inference, bot signing, upload planning, OAuth) are the Rust core's.
import { messageBodyJson, receiveIdType, botSign, uploadPlan, uploadInParts, postBotWebhook, defaultCardJson } from './wasm/feishu_edge_bg.js';
import { coreOf } from './internal.js';

const dataOf = (envelope) => envelope.data;
const uuid = () => (globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

/** The official SDK's `messageCard`: `defaultCard({ title, content })` → the card's JSON text. */
export const messageCard = Object.freeze({
  defaultCard: ({ title = '', content = '' } = {}) => defaultCardJson(String(title), String(content)),
});

/** `{ msg_type, content }` for a string, a card (or Card), {image_key}, {file_key}, a post, or {msg_type, content}. */
export function messageBody(content) {
  const { msgType, content: body } = messageBodyJson(JSON.stringify(content));
  return { msg_type: msgType, content: body };
}

const asBytes = async (data) => (data instanceof Blob ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
const sizeOf = (data) => (data instanceof Blob ? data.size : data.byteLength);
const slice = (data, start, end) => (data instanceof Blob ? data.slice(start, end) : data.subarray(start, end));

export const HELPERS = {
  im: {
    /** Sends a message; the id type comes from the id, the message type from the content. */
    async send(client, receiveId, content, { receiveIdType: type, uuid: key = uuid() } = {}) {
      const target = { receiveId: String(receiveId), receiveIdType: type };
      return dataOf(await coreOf(client).sendMessage(JSON.stringify(target), JSON.stringify(content), key));
    },
    async reply(client, messageId, content, { inThread = false, uuid: key = uuid() } = {}) {
      const target = { replyTo: String(messageId), inThread };
      return dataOf(await coreOf(client).sendMessage(JSON.stringify(target), JSON.stringify(content), key));
    },
    /** Replaces a sent card (update_multi cards). */
    async updateCard(client, messageId, card) {
      // Validated like im.send (a schema 2.0 card that String(card) refuses is refused here too).
      const { content } = messageBody({ msg_type: 'interactive', content: typeof card === 'string' ? card : JSON.stringify(card) });
      return dataOf(await client.im.v1.message.patch({ path: { message_id: messageId }, data: { content } }));
    },
    async recall(client, messageId) {
      return dataOf(await client.im.v1.message.delete({ path: { message_id: messageId } }));
    },
    async uploadImage(client, image, { imageType = 'message' } = {}) {
      return dataOf(await client.im.v1.image.create({ data: { image_type: imageType, image } })).image_key;
    },
    async uploadFile(client, file, fileName, { fileType = 'stream', duration } = {}) {
      const data = { file_type: fileType, file_name: fileName, file: { data: file, filename: fileName } };
      if (duration !== undefined) data.duration = duration;
      return dataOf(await client.im.v1.file.create({ data })).file_key;
    },
    /** A message's image or file, as bytes (`type`: 'image' or 'file'). */
    downloadResource(client, messageId, fileKey, type = 'file') {
      return client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type } });
    },
  },
  contact: {
    /** A user; the id type comes from the id (ou_ open_id, on_ union_id, otherwise user_id). */
    async getUser(client, userId, { userIdType } = {}) {
      const inferred = receiveIdType(userId);
      const type = userIdType ?? (inferred === 'open_id' || inferred === 'union_id' ? inferred : 'user_id');
      return dataOf(await client.contact.v3.user.get({ path: { user_id: userId }, params: { user_id_type: type } })).user;
    },
    async batchGetUsers(client, userIds, { userIdType = 'open_id' } = {}) {
      return dataOf(await client.contact.v3.user.batch({ params: { user_ids: userIds, user_id_type: userIdType } })).items ?? [];
    },
    /** `{ emails?, mobiles? }` → their user ids. */
    async userIdsBy(client, { emails, mobiles, userIdType = 'open_id' } = {}) {
      return dataOf(await client.contact.v3.user.batchGetId({ params: { user_id_type: userIdType }, data: { emails, mobiles } })).user_list ?? [];
    },
    departmentChildren(client, departmentId = '0', { fetchChild = false, pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'contact/v3/departments/{department_id}/children', pathParams: { department_id: departmentId }, params: { fetch_child: fetchChild }, pageSize, maxItems });
    },
  },
  calendar: {
    async primaryCalendar(client) {
      return dataOf(await client.calendar.v4.calendar.primary({})).calendars?.[0]?.calendar;
    },
    async createEvent(client, calendarId, event) {
      return dataOf(await client.calendar.v4.calendarEvent.create({ path: { calendar_id: calendarId }, data: event })).event;
    },
    async getEvent(client, calendarId, eventId) {
      return dataOf(await client.calendar.v4.calendarEvent.get({ path: { calendar_id: calendarId, event_id: eventId } })).event;
    },
    async updateEvent(client, calendarId, eventId, patch) {
      return dataOf(await client.calendar.v4.calendarEvent.patch({ path: { calendar_id: calendarId, event_id: eventId }, data: patch })).event;
    },
    async deleteEvent(client, calendarId, eventId) {
      return dataOf(await client.calendar.v4.calendarEvent.delete({ path: { calendar_id: calendarId, event_id: eventId } }));
    },
    listEvents(client, calendarId, { startTime, endTime, pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'calendar/v4/calendars/{calendar_id}/events', pathParams: { calendar_id: calendarId }, params: { start_time: startTime, end_time: endTime }, pageSize, maxItems });
    },
    async addAttendees(client, calendarId, eventId, attendees, { needNotification = true } = {}) {
      return dataOf(await client.calendar.v4.calendarEventAttendee.create({ path: { calendar_id: calendarId, event_id: eventId }, data: { attendees, need_notification: needNotification } })).attendees ?? [];
    },
    async freeBusy(client, { timeMin, timeMax, userId, roomId }) {
      return dataOf(await client.calendar.v4.freebusy.list({ data: { time_min: timeMin, time_max: timeMax, user_id: userId, room_id: roomId } })).freebusy_list ?? [];
    },
  },
  drive: {
    listFolder(client, folderToken, { pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'drive/v1/files', params: { folder_token: folderToken }, itemsKey: 'files', pageSize, maxItems });
    },
    /** Uploads a file into a folder; above `chunkedAbove` (default: the core's 20 MB) in parts: prepare → parts → finish. */
    async uploadFile(client, folderToken, file, fileName, { chunkedAbove } = {}) {
      const bytes = await asBytes(file);
      const size = sizeOf(bytes);
      const meta = { file_name: fileName, parent_type: 'explorer', parent_node: folderToken, size };
      if (!uploadInParts(size, chunkedAbove)) {
        return dataOf(await client.drive.v1.file.uploadAll({ data: { ...meta, file: { data: bytes, filename: fileName } } })).file_token;
      }
      const { upload_id: uploadId, block_size: blockSize } = dataOf(await client.drive.v1.file.uploadPrepare({ data: meta }));
      const parts = uploadPlan(size, blockSize);
      let offset = 0;
      for (let seq = 0; seq < parts.length; seq++) {
        const chunk = slice(bytes, offset, offset + parts[seq]);
        await client.drive.v1.file.uploadPart({ data: { upload_id: uploadId, seq, size: parts[seq], file: { data: chunk, filename: fileName } } });
        offset += parts[seq];
      }
      return dataOf(await client.drive.v1.file.uploadFinish({ data: { upload_id: uploadId, block_num: parts.length } })).file_token;
    },
    downloadFile(client, fileToken) {
      return client.drive.v1.file.download({ path: { file_token: fileToken } });
    },
    async copyFile(client, fileToken, { name, type = 'file', folderToken }) {
      return dataOf(await client.drive.v1.file.copy({ path: { file_token: fileToken }, data: { name, type, folder_token: folderToken } })).file;
    },
    async moveFile(client, fileToken, { type = 'file', folderToken }) {
      return dataOf(await client.drive.v1.file.move({ path: { file_token: fileToken }, data: { type, folder_token: folderToken } }));
    },
    async deleteFile(client, fileToken, { type = 'file' } = {}) {
      return dataOf(await client.drive.v1.file.delete({ path: { file_token: fileToken }, params: { type } }));
    },
  },
  docx: {
    async createDocument(client, { title, folderToken } = {}) {
      return dataOf(await client.docx.v1.document.create({ data: { title, folder_token: folderToken } })).document;
    },
    async rawContent(client, documentId) {
      return dataOf(await client.docx.v1.document.rawContent({ path: { document_id: documentId } })).content;
    },
    listBlocks(client, documentId, { pageSize = 200, maxItems } = {}) {
      return client.paginate({ path: 'docx/v1/documents/{document_id}/blocks', pathParams: { document_id: documentId }, pageSize, maxItems });
    },
    async appendBlocks(client, documentId, blockId, children, { index } = {}) {
      return dataOf(await client.docx.v1.documentBlockChildren.create({ path: { document_id: documentId, block_id: blockId }, data: { children, index } }));
    },
  },
  sheets: {
    async createSpreadsheet(client, { title, folderToken } = {}) {
      return dataOf(await client.sheets.v3.spreadsheet.create({ data: { title, folder_token: folderToken } })).spreadsheet;
    },
    async listSheets(client, spreadsheetToken) {
      return dataOf(await client.sheets.v3.spreadsheetSheet.query({ path: { spreadsheet_token: spreadsheetToken } })).sheets ?? [];
    },
    async readValues(client, spreadsheetToken, range) {
      return dataOf(await client.request({ path: 'sheets/v2/spreadsheets/{spreadsheet_token}/values/{range}', pathParams: { spreadsheet_token: spreadsheetToken, range } })).valueRange;
    },
    async writeValues(client, spreadsheetToken, range, values) {
      return dataOf(await client.request({ method: 'PUT', path: 'sheets/v2/spreadsheets/{spreadsheet_token}/values', pathParams: { spreadsheet_token: spreadsheetToken }, data: { valueRange: { range, values } } }));
    },
    async appendValues(client, spreadsheetToken, range, values, { insertDataOption } = {}) {
      return dataOf(await client.request({ method: 'POST', path: 'sheets/v2/spreadsheets/{spreadsheet_token}/values_append', pathParams: { spreadsheet_token: spreadsheetToken }, params: { insertDataOption }, data: { valueRange: { range, values } } }));
    },
    async batchReadValues(client, spreadsheetToken, ranges) {
      return dataOf(await client.request({ path: 'sheets/v2/spreadsheets/{spreadsheet_token}/values_batch_get', pathParams: { spreadsheet_token: spreadsheetToken }, params: { ranges } })).valueRanges ?? [];
    },
    async batchWriteValues(client, spreadsheetToken, valueRanges) {
      return dataOf(await client.request({ method: 'POST', path: 'sheets/v2/spreadsheets/{spreadsheet_token}/values_batch_update', pathParams: { spreadsheet_token: spreadsheetToken }, data: { valueRanges } }));
    },
  },
  bitable: {
    listTables(client, appToken, { pageSize = 100, maxItems } = {}) {
      return client.paginate({ path: 'bitable/v1/apps/{app_token}/tables', pathParams: { app_token: appToken }, pageSize, maxItems });
    },
    listFields(client, appToken, tableId, { pageSize = 100, maxItems } = {}) {
      return client.paginate({ path: 'bitable/v1/apps/{app_token}/tables/{table_id}/fields', pathParams: { app_token: appToken, table_id: tableId }, pageSize, maxItems });
    },
    listRecords(client, appToken, tableId, { pageSize = 100, maxItems, ...params } = {}) {
      return client.paginate({ path: 'bitable/v1/apps/{app_token}/tables/{table_id}/records', pathParams: { app_token: appToken, table_id: tableId }, params, pageSize, maxItems });
    },
    /** Records matching a search body (filter, sort, field_names...), page by page. */
    searchRecords(client, appToken, tableId, search = {}, { pageSize = 100, maxItems } = {}) {
      return client.paginate({ method: 'POST', path: 'bitable/v1/apps/{app_token}/tables/{table_id}/records/search', pathParams: { app_token: appToken, table_id: tableId }, data: search, pageSize, maxItems, idempotent: true });
    },
    async batchCreateRecords(client, appToken, tableId, records) {
      return dataOf(await client.bitable.v1.appTableRecord.batchCreate({ path: { app_token: appToken, table_id: tableId }, data: { records: records.map((fields) => (fields.fields ? fields : { fields })) } })).records ?? [];
    },
    async batchUpdateRecords(client, appToken, tableId, records) {
      return dataOf(await client.bitable.v1.appTableRecord.batchUpdate({ path: { app_token: appToken, table_id: tableId }, data: { records } })).records ?? [];
    },
    async batchDeleteRecords(client, appToken, tableId, recordIds) {
      return dataOf(await client.bitable.v1.appTableRecord.batchDelete({ path: { app_token: appToken, table_id: tableId }, data: { records: recordIds } })).records ?? [];
    },
  },
  wiki: {
    listSpaces(client, { pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'wiki/v2/spaces', pageSize, maxItems });
    },
    listNodes(client, spaceId, { parentNodeToken, pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'wiki/v2/spaces/{space_id}/nodes', pathParams: { space_id: spaceId }, params: { parent_node_token: parentNodeToken }, pageSize, maxItems });
    },
    async getNode(client, token, { objType } = {}) {
      return dataOf(await client.wiki.v2.space.getNode({ params: { token, obj_type: objType } })).node;
    },
  },
  task: {
    async createTask(client, task) {
      return dataOf(await client.task.v2.task.create({ data: task })).task;
    },
    async getTask(client, taskGuid) {
      return dataOf(await client.task.v2.task.get({ path: { task_guid: taskGuid } })).task;
    },
    listTasks(client, { pageSize = 50, maxItems, ...params } = {}) {
      return client.paginate({ path: 'task/v2/tasks', params, pageSize, maxItems });
    },
    async updateTask(client, taskGuid, task, updateFields = Object.keys(task)) {
      return dataOf(await client.task.v2.task.patch({ path: { task_guid: taskGuid }, data: { task, update_fields: updateFields } })).task;
    },
    async deleteTask(client, taskGuid) {
      return dataOf(await client.task.v2.task.delete({ path: { task_guid: taskGuid } }));
    },
    async addComment(client, taskGuid, content) {
      return dataOf(await client.task.v2.comment.create({ data: { content, resource_type: 'task', resource_id: taskGuid } })).comment;
    },
    listComments(client, taskGuid, { pageSize = 50, maxItems } = {}) {
      return client.paginate({ path: 'task/v2/comments', params: { resource_type: 'task', resource_id: taskGuid }, pageSize, maxItems });
    },
  },
  approval: {
    async createInstance(client, { approvalCode, userId, openId, form }) {
      return dataOf(await client.approval.v4.instance.create({ data: { approval_code: approvalCode, user_id: userId, open_id: openId, form: typeof form === 'string' ? form : JSON.stringify(form) } })).instance_code;
    },
    async getInstance(client, instanceCode) {
      return dataOf(await client.approval.v4.instance.get({ path: { instance_id: instanceCode } }));
    },
    listInstances(client, approvalCode, { startTime, endTime, pageSize = 100, maxItems } = {}) {
      return client.paginate({ path: 'approval/v4/instances', params: { approval_code: approvalCode, start_time: startTime, end_time: endTime }, itemsKey: 'instance_code_list', pageSize, maxItems });
    },
    async approveTask(client, task) {
      return dataOf(await client.approval.v4.task.approve({ data: task }));
    },
    async rejectTask(client, task) {
      return dataOf(await client.approval.v4.task.reject({ data: task }));
    },
  },
  vc: {
    async reserveMeeting(client, { endTime, ownerId, meetingSettings } = {}) {
      return dataOf(await client.vc.v1.reserve.apply({ data: { end_time: endTime, owner_id: ownerId, meeting_settings: meetingSettings } })).reserve;
    },
    async getReservation(client, reserveId) {
      return dataOf(await client.vc.v1.reserve.get({ path: { reserve_id: reserveId } })).reserve;
    },
    async updateReservation(client, reserveId, update) {
      return dataOf(await client.vc.v1.reserve.update({ path: { reserve_id: reserveId }, data: update })).reserve;
    },
    async deleteReservation(client, reserveId) {
      return dataOf(await client.vc.v1.reserve.delete({ path: { reserve_id: reserveId } }));
    },
    async getMeeting(client, meetingId, { withParticipants = false } = {}) {
      return dataOf(await client.vc.v1.meeting.get({ path: { meeting_id: meetingId }, params: { with_participants: withParticipants } })).meeting;
    },
  },
  board: {
    async listNodes(client, whiteboardId) {
      return dataOf(await client.board.v1.whiteboardNode.list({ path: { whiteboard_id: whiteboardId } })).nodes ?? [];
    },
    exportImage(client, whiteboardId) {
      return client.board.v1.whiteboard.downloadAsImage({ path: { whiteboard_id: whiteboardId } });
    },
  },
};

/** client.oauth: the authorization-code flow for user access tokens. */
export function oauthFor(client) {
  const core = coreOf(client);
  return {
    /** Where to send the user: `{ redirectUri, scopes?, state? }`. */
    authorizeUrl({ redirectUri, scopes = [], state = '' }) {
      return core.authorizeUrl(redirectUri, scopes, state);
    },
    /** The redirect's `code` → `{ access_token, refresh_token?, expiresAt, ... }`; with `store: true` kept per user. */
    async exchangeCode(code, { redirectUri, store = false } = {}) {
      const token = await core.oauthExchange(code, redirectUri, undefined);
      if (store) {
        const info = await client.request({ path: 'authen/v1/user_info', userAccessToken: token.access_token });
        token.openId = info.data.open_id;
        await core.oauthSave(token.openId, JSON.stringify(token));
      }
      return token;
    },
    refresh(refreshToken) {
      return core.oauthExchange(undefined, undefined, refreshToken);
    },
    async userInfo(userAccessToken) {
      return (await client.request({ path: 'authen/v1/user_info', userAccessToken })).data;
    },
    /** A stored user's valid access token (refreshed when needed), or null. */
    userAccessToken(openId) {
      return core.oauthUserToken(openId);
    },
  };
}

/**
 * Posts to a group's custom bot (incoming webhook), signing when a secret is set. `content` as
 * for im.send: a string, a card, a post... One attempt with a timeout (default 10 s); failures
 * are FeishuErrors, and `retryable` is false whenever the message may have been posted.
 */
export async function sendWebhook(url, content, { secret, fetch: fetchFn, timestamp = Math.floor(Date.now() / 1000), timeoutMs = 10_000 } = {}) {
  const { msg_type, content: body } = messageBody(content);
  const payload = { msg_type };
  const parsed = JSON.parse(body);
  if (msg_type === 'interactive') payload.card = parsed;
  else payload.content = msg_type === 'post' ? { post: parsed } : parsed;
  if (secret) {
    payload.timestamp = String(timestamp);
    payload.sign = await botSign(timestamp, secret);
  }
  return postBotWebhook(String(url), JSON.stringify(payload), Number(timeoutMs), fetchFn);
}
