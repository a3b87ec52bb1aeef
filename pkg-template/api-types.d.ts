// The helpers' types. Request and response types of Open API methods are views of the
// generated ones (catalog.d.ts, from catalog/schema.json); only the helpers' own shapes are
// written here.
import type { Card, CardJSON, FeishuClient } from './index.js';

import type { ImV1, ContactV3, CalendarV4, DriveV1, BitableV1, DocxV1, TaskV2 } from './generated/catalog.js';

/** The `data` of a catalog method's successful reply (generated from the schema). */
export type ReplyData<F> = F extends (...args: any[]) => Promise<infer R> ? (R extends { data: infer D } ? D : never) : never;
/** A catalog method's payload: `{ path, params, data, headers }` (generated from the schema). */
export type PayloadOf<F> = F extends (payload: infer P, ...rest: any[]) => unknown ? NonNullable<P> : never;
type ItemOf<T> = T extends { items?: Array<infer I> } ? I : never;

export type ReceiveIdType = NonNullable<PayloadOf<ImV1['message']['create']>['params']>['receive_id_type'];
export type UserIdType = 'open_id' | 'union_id' | 'user_id';
export type MsgType = 'text' | 'post' | 'image' | 'file' | 'audio' | 'media' | 'sticker' | 'interactive' | 'share_chat' | 'share_user' | 'system';
interface PageParams { page_size?: number; page_token?: string }

// The types below are views of the generated method types: one schema, no second copy.
// ---- im
export type ImMessageCreateParams = PayloadOf<ImV1['message']['create']>['params'];
export type ImMessageCreateData = PayloadOf<ImV1['message']['create']>['data'];
export type ImMessageReplyData = PayloadOf<ImV1['message']['reply']>['data'];
export type ImMessageUpdateData = PayloadOf<ImV1['message']['update']>['data'];
export type ImMessagePatchData = PayloadOf<ImV1['message']['patch']>['data'];
export type ImUserIdTypeParams = NonNullable<PayloadOf<ImV1['message']['get']>['params']>;
export type ImMessage = ReplyData<ImV1['message']['create']>;
export type ImMessageItems = ReplyData<ImV1['message']['get']>;
export type ImMessageListParams = PayloadOf<ImV1['message']['list']>['params'];
export type ImMessagePage = ReplyData<ImV1['message']['list']>;
export type ImChatListParams = NonNullable<PayloadOf<ImV1['chat']['list']>['params']>;
export type ImChatPage = ReplyData<ImV1['chat']['list']>;
export type ImImageCreateData = PayloadOf<ImV1['image']['create']>['data'];
export type ImImageKey = ReplyData<ImV1['image']['create']>;
export type ImFileCreateData = PayloadOf<ImV1['file']['create']>['data'];
export type ImFileKey = ReplyData<ImV1['file']['create']>;

// ---- contact
export type ContactUser = NonNullable<ReplyData<ContactV3['user']['get']>['user']>;
export type ContactUserGetParams = NonNullable<PayloadOf<ContactV3['user']['get']>['params']>;
export type ContactUserData = ReplyData<ContactV3['user']['get']>;
export type ContactUserBatchParams = PayloadOf<ContactV3['user']['batch']>['params'];
export type ContactUserItems = ReplyData<ContactV3['user']['batch']>;
export type ContactDepartment = ItemOf<ReplyData<ContactV3['department']['children']>>;
export type ContactDepartmentChildrenParams = NonNullable<PayloadOf<ContactV3['department']['children']>['params']>;
export type ContactDepartmentPage = ReplyData<ContactV3['department']['children']>;

// ---- calendar
export type CalendarEventInput = PayloadOf<CalendarV4['calendarEvent']['create']>['data'];
export type CalendarTime = CalendarEventInput['start_time'];
export type CalendarEvent = NonNullable<ReplyData<CalendarV4['calendarEvent']['get']>['event']>;
export type CalendarEventData = ReplyData<CalendarV4['calendarEvent']['get']>;
export type CalendarEventListParams = NonNullable<PayloadOf<CalendarV4['calendarEvent']['list']>['params']>;
export type CalendarEventPage = ReplyData<CalendarV4['calendarEvent']['list']>;

// ---- drive
export type DriveUploadAllData = PayloadOf<DriveV1['file']['uploadAll']>['data'];
export type DriveMediaUploadAllData = PayloadOf<DriveV1['media']['uploadAll']>['data'];
export type DriveFileToken = ReplyData<DriveV1['file']['uploadAll']>;

// ---- bitable
export type BitableFields = Record<string, unknown>;
export type BitableRecord = NonNullable<ReplyData<BitableV1['appTableRecord']['get']>['record']>;
export type BitableRecordInput = PayloadOf<BitableV1['appTableRecord']['create']>['data'];
export type BitableRecordData = ReplyData<BitableV1['appTableRecord']['get']>;
export type BitableDeleted = ReplyData<BitableV1['appTableRecord']['delete']>;
export type BitableRecordListParams = NonNullable<PayloadOf<BitableV1['appTableRecord']['list']>['params']>;
export type BitablePageParams = NonNullable<PayloadOf<BitableV1['appTableRecord']['search']>['params']>;
export type BitableRecordSearchData = NonNullable<PayloadOf<BitableV1['appTableRecord']['search']>['data']>;
export type BitableRecordPage = ReplyData<BitableV1['appTableRecord']['list']>;

// ---- docx
export type DocxRawContent = ReplyData<DocxV1['document']['rawContent']>;

// ---- task
export type TaskInput = PayloadOf<TaskV2['task']['create']>['data'];
export type Task = NonNullable<ReplyData<TaskV2['task']['create']>['task']>;
export type TaskData = ReplyData<TaskV2['task']['create']>;

// ---- helpers (client.im.send(...), client.drive.uploadFile(...), ...)
/** A message's content: a string (text), a card, {image_key}, {file_key}, a post, or {msg_type, content}. */
export type MessageContent = string | Card | CardJSON | { image_key: string } | { file_key: string } | { zh_cn?: unknown; en_us?: unknown; ja_jp?: unknown } | { msg_type: MsgType; content: string | object } | Record<string, unknown>;
type Iter<T = any> = AsyncIterableIterator<T>;
interface IterOptions { pageSize?: number; maxItems?: number }
type FileBytes = Blob | Uint8Array | ArrayBuffer;

export interface ImHelpers {
  send(receiveId: string, content: MessageContent, options?: { receiveIdType?: ReceiveIdType; uuid?: string }): Promise<ImMessage>;
  reply(messageId: string, content: MessageContent, options?: { inThread?: boolean; uuid?: string }): Promise<ImMessage>;
  updateCard(messageId: string, card: Card | CardJSON | string): Promise<unknown>;
  recall(messageId: string): Promise<unknown>;
  uploadImage(image: FileBytes, options?: { imageType?: 'message' | 'avatar' }): Promise<string>;
  uploadFile(file: FileBytes, fileName: string, options?: { fileType?: ImFileCreateData['file_type']; duration?: number }): Promise<string>;
  downloadResource(messageId: string, fileKey: string, type?: 'image' | 'file'): Promise<Uint8Array>;
}
export interface ContactHelpers {
  getUser(userId: string, options?: { userIdType?: UserIdType }): Promise<ContactUser>;
  batchGetUsers(userIds: string[], options?: { userIdType?: UserIdType }): Promise<ContactUser[]>;
  userIdsBy(query: { emails?: string[]; mobiles?: string[]; userIdType?: UserIdType }): Promise<Array<{ user_id?: string; email?: string; mobile?: string }>>;
  departmentChildren(departmentId?: string, options?: IterOptions & { fetchChild?: boolean }): Iter<ContactDepartment>;
}
export interface CalendarHelpers {
  primaryCalendar(): Promise<{ calendar_id: string; summary?: string } | undefined>;
  createEvent(calendarId: string, event: CalendarEventInput): Promise<CalendarEvent>;
  getEvent(calendarId: string, eventId: string): Promise<CalendarEvent>;
  updateEvent(calendarId: string, eventId: string, patch: CalendarEventInput): Promise<CalendarEvent>;
  deleteEvent(calendarId: string, eventId: string): Promise<unknown>;
  listEvents(calendarId: string, options?: IterOptions & { startTime?: string; endTime?: string }): Iter<CalendarEvent>;
  addAttendees(calendarId: string, eventId: string, attendees: Array<{ type: 'user' | 'chat' | 'resource' | 'third_party'; user_id?: string; chat_id?: string; room_id?: string; third_party_email?: string }>, options?: { needNotification?: boolean }): Promise<unknown[]>;
  freeBusy(query: { timeMin: string; timeMax: string; userId?: string; roomId?: string }): Promise<Array<{ start_time: string; end_time: string }>>;
}
export interface DriveHelpers {
  listFolder(folderToken: string, options?: IterOptions): Iter<{ token: string; name: string; type: string; parent_token?: string; url?: string }>;
  uploadFile(folderToken: string, file: FileBytes, fileName: string, options?: { chunkedAbove?: number }): Promise<string>;
  downloadFile(fileToken: string): Promise<Uint8Array>;
  copyFile(fileToken: string, target: { name: string; type?: string; folderToken: string }): Promise<unknown>;
  moveFile(fileToken: string, target: { type?: string; folderToken: string }): Promise<unknown>;
  deleteFile(fileToken: string, options?: { type?: string }): Promise<unknown>;
}
export interface DocxHelpers {
  createDocument(options?: { title?: string; folderToken?: string }): Promise<{ document_id: string; revision_id?: number; title?: string }>;
  rawContent(documentId: string): Promise<string>;
  listBlocks(documentId: string, options?: IterOptions): Iter<{ block_id: string; block_type: number; parent_id?: string; children?: string[]; [k: string]: unknown }>;
  appendBlocks(documentId: string, blockId: string, children: object[], options?: { index?: number }): Promise<unknown>;
}
export interface SheetsHelpers {
  createSpreadsheet(options?: { title?: string; folderToken?: string }): Promise<{ spreadsheet_token: string; title?: string; url?: string }>;
  listSheets(spreadsheetToken: string): Promise<Array<{ sheet_id: string; title: string; index: number }>>;
  readValues(spreadsheetToken: string, range: string): Promise<{ range: string; values: unknown[][] }>;
  writeValues(spreadsheetToken: string, range: string, values: unknown[][]): Promise<unknown>;
  appendValues(spreadsheetToken: string, range: string, values: unknown[][], options?: { insertDataOption?: 'OVERWRITE' | 'INSERT_ROWS' }): Promise<unknown>;
  batchReadValues(spreadsheetToken: string, ranges: string[]): Promise<Array<{ range: string; values: unknown[][] }>>;
  batchWriteValues(spreadsheetToken: string, valueRanges: Array<{ range: string; values: unknown[][] }>): Promise<unknown>;
}
export interface BitableHelpers {
  listTables(appToken: string, options?: IterOptions): Iter<{ table_id: string; name: string; revision?: number }>;
  listFields(appToken: string, tableId: string, options?: IterOptions): Iter<{ field_id: string; field_name: string; type: number }>;
  listRecords(appToken: string, tableId: string, options?: IterOptions & Omit<BitableRecordListParams, keyof PageParams>): Iter<BitableRecord>;
  searchRecords(appToken: string, tableId: string, search?: BitableRecordSearchData, options?: IterOptions): Iter<BitableRecord>;
  batchCreateRecords(appToken: string, tableId: string, records: Array<BitableFields | BitableRecordInput>): Promise<BitableRecord[]>;
  batchUpdateRecords(appToken: string, tableId: string, records: Array<{ record_id: string; fields: BitableFields }>): Promise<BitableRecord[]>;
  batchDeleteRecords(appToken: string, tableId: string, recordIds: string[]): Promise<BitableDeleted[]>;
}
export interface WikiHelpers {
  listSpaces(options?: IterOptions): Iter<{ space_id: string; name: string }>;
  listNodes(spaceId: string, options?: IterOptions & { parentNodeToken?: string }): Iter<{ node_token: string; obj_token: string; obj_type: string; title?: string }>;
  getNode(token: string, options?: { objType?: string }): Promise<{ node_token: string; obj_token: string; obj_type: string; title?: string; space_id?: string }>;
}
export interface TaskHelpers {
  createTask(task: TaskInput): Promise<Task>;
  getTask(taskGuid: string): Promise<Task>;
  listTasks(options?: IterOptions & { completed?: boolean; type?: string }): Iter<Task>;
  updateTask(taskGuid: string, task: Partial<TaskInput>, updateFields?: string[]): Promise<Task>;
  deleteTask(taskGuid: string): Promise<unknown>;
  addComment(taskGuid: string, content: string): Promise<{ id: string; content: string }>;
  listComments(taskGuid: string, options?: IterOptions): Iter<{ id: string; content: string }>;
}
export interface ApprovalHelpers {
  createInstance(input: { approvalCode: string; userId?: string; openId?: string; form: string | object[] }): Promise<string>;
  getInstance(instanceCode: string): Promise<unknown>;
  listInstances(approvalCode: string, options?: IterOptions & { startTime: string; endTime: string }): Iter<string>;
  approveTask(task: { approval_code: string; instance_code: string; user_id: string; task_id: string; comment?: string; form?: string }): Promise<unknown>;
  rejectTask(task: { approval_code: string; instance_code: string; user_id: string; task_id: string; comment?: string; form?: string }): Promise<unknown>;
}
export interface VcHelpers {
  reserveMeeting(input: { endTime: string; ownerId?: string; meetingSettings?: object }): Promise<{ id: string; meeting_no: string; url: string }>;
  getReservation(reserveId: string): Promise<unknown>;
  updateReservation(reserveId: string, update: { end_time?: string; meeting_settings?: object }): Promise<unknown>;
  deleteReservation(reserveId: string): Promise<unknown>;
  getMeeting(meetingId: string, options?: { withParticipants?: boolean }): Promise<unknown>;
}
export interface BoardHelpers {
  listNodes(whiteboardId: string): Promise<unknown[]>;
  exportImage(whiteboardId: string): Promise<Uint8Array>;
}

/** The helpers of each namespace (client.im.send, client.drive.uploadFile, ...). */
export interface NamespaceHelpers {
  im: ImHelpers;
  contact: ContactHelpers;
  calendar: CalendarHelpers;
  drive: DriveHelpers;
  docx: DocxHelpers;
  sheets: SheetsHelpers;
  bitable: BitableHelpers;
  wiki: WikiHelpers;
  task: TaskHelpers;
  approval: ApprovalHelpers;
  vc: VcHelpers;
  board: BoardHelpers;
}

export interface UserTokens {
  access_token: string;
  refresh_token?: string;
  /** Epoch seconds. */
  expiresAt: number;
  refreshExpiresAt?: number;
  scope?: string;
  /** Set by exchangeCode({ store: true }). */
  openId?: string;
}

export interface OAuth {
  authorizeUrl(options: { redirectUri: string; scopes?: string[]; state?: string }): string;
  exchangeCode(code: string, options?: { redirectUri?: string; store?: boolean }): Promise<UserTokens>;
  refresh(refreshToken: string): Promise<UserTokens>;
  userInfo(userAccessToken: string): Promise<{ open_id: string; union_id?: string; user_id?: string; name: string; en_name?: string; avatar_url?: string; email?: string; mobile?: string; tenant_key?: string }>;
  /** A stored user's valid access token (refreshed when needed), or null. */
  userAccessToken(openId: string): Promise<string | null>;
}

declare module './index.js' {
  interface FeishuClient {
    readonly oauth: OAuth;
  }
}
