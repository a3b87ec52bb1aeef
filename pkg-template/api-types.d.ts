// Hand-written request and response types for the most used Open API methods, and the helpers'
// types. The generator (scripts/gen-catalog.mjs) wires them into catalog.d.ts by catalog/typed.tsv.
import type { Card, CardJSON, FeishuClient } from './index.js';

export type ReceiveIdType = 'open_id' | 'union_id' | 'user_id' | 'email' | 'chat_id';
export type UserIdType = 'open_id' | 'union_id' | 'user_id';
export type MsgType = 'text' | 'post' | 'image' | 'file' | 'audio' | 'media' | 'sticker' | 'interactive' | 'share_chat' | 'share_user' | 'system';
interface PageParams { page_size?: number; page_token?: string }
interface Page<T> { items?: T[]; has_more?: boolean; page_token?: string }

// ---- im
export interface ImMessageCreateParams { receive_id_type: ReceiveIdType }
export interface ImMessageCreateData { receive_id: string; msg_type: MsgType; content: string; uuid?: string }
export interface ImMessageReplyData { msg_type: MsgType; content: string; reply_in_thread?: boolean; uuid?: string }
export interface ImMessageUpdateData { msg_type: MsgType; content: string }
export interface ImMessagePatchData { content: string }
export interface ImUserIdTypeParams { user_id_type?: UserIdType }
export interface ImMessage {
  message_id: string; root_id?: string; parent_id?: string; thread_id?: string; msg_type: MsgType;
  create_time: string; update_time?: string; deleted?: boolean; updated?: boolean; chat_id: string;
  sender: { id: string; id_type: string; sender_type: string; tenant_key?: string };
  body: { content: string };
  mentions?: Array<{ key: string; id: string; id_type: string; name: string; tenant_key?: string }>;
  upper_message_id?: string;
}
export interface ImMessageItems { items: ImMessage[] }
export interface ImMessageListParams extends PageParams { container_id_type: 'chat' | 'thread'; container_id: string; start_time?: string; end_time?: string; sort_type?: 'ByCreateTimeAsc' | 'ByCreateTimeDesc' }
export type ImMessagePage = Page<ImMessage>;
export interface ImChatListParams extends PageParams { user_id_type?: UserIdType; sort_type?: 'ByCreateTimeAsc' | 'ByActiveTimeDesc' }
export type ImChatPage = Page<{ chat_id: string; avatar?: string; name: string; description?: string; owner_id?: string; owner_id_type?: string; external?: boolean; tenant_key?: string; chat_status?: string }>;
type Upload = Blob | Uint8Array | ArrayBuffer | { data: Blob | Uint8Array | ArrayBuffer; filename?: string; contentType?: string };
export interface ImImageCreateData { image_type: 'message' | 'avatar'; image: Upload }
export interface ImImageKey { image_key: string }
export interface ImFileCreateData { file_type: 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream'; file_name: string; duration?: number; file: Upload }
export interface ImFileKey { file_key: string }

// ---- contact
export interface ContactUser {
  union_id?: string; user_id?: string; open_id?: string; name: string; en_name?: string; nickname?: string; email?: string; mobile?: string;
  avatar?: { avatar_72?: string; avatar_240?: string; avatar_640?: string; avatar_origin?: string };
  status?: { is_frozen?: boolean; is_resigned?: boolean; is_activated?: boolean; is_exited?: boolean; is_unjoin?: boolean };
  department_ids?: string[]; leader_user_id?: string; city?: string; country?: string; job_title?: string; employee_no?: string;
}
export interface ContactUserGetParams { user_id_type?: UserIdType; department_id_type?: 'department_id' | 'open_department_id' }
export interface ContactUserData { user: ContactUser }
export interface ContactUserBatchParams { user_ids: string[]; user_id_type?: UserIdType; department_id_type?: 'department_id' | 'open_department_id' }
export interface ContactUserItems { items: ContactUser[] }
export interface ContactDepartment { name: string; department_id?: string; open_department_id: string; parent_department_id?: string; leader_user_id?: string; member_count?: number; status?: { is_deleted?: boolean } }
export interface ContactDepartmentChildrenParams extends PageParams { user_id_type?: UserIdType; department_id_type?: 'department_id' | 'open_department_id'; fetch_child?: boolean }
export type ContactDepartmentPage = Page<ContactDepartment>;

// ---- calendar
export interface CalendarTime { date?: string; timestamp?: string; timezone?: string }
export interface CalendarEventInput {
  summary?: string; description?: string; start_time?: CalendarTime; end_time?: CalendarTime; need_notification?: boolean;
  visibility?: 'default' | 'public' | 'private'; attendee_ability?: 'none' | 'can_see_others' | 'can_invite_others' | 'can_modify_event';
  free_busy_status?: 'busy' | 'free'; location?: { name?: string; address?: string; latitude?: number; longitude?: number };
  color?: number; reminders?: Array<{ minutes: number }>; recurrence?: string; vchat?: { vc_type?: string; meeting_url?: string };
}
export interface CalendarEvent extends CalendarEventInput { event_id: string; organizer_calendar_id?: string; status?: string; app_link?: string; create_time?: string }
export interface CalendarEventData { event: CalendarEvent }
export interface CalendarEventListParams extends PageParams { start_time?: string; end_time?: string; anchor_time?: string; sync_token?: string; user_id_type?: UserIdType }
export type CalendarEventPage = Page<CalendarEvent> & { sync_token?: string };

// ---- drive
export interface DriveUploadAllData { file_name: string; parent_type: 'explorer'; parent_node: string; size: number; checksum?: string; file: Upload }
export interface DriveMediaUploadAllData { file_name: string; parent_type: string; parent_node: string; size: number; checksum?: string; extra?: string; file: Upload }
export interface DriveFileToken { file_token: string }

// ---- bitable
export type BitableFields = Record<string, unknown>;
export interface BitableRecord { record_id?: string; fields: BitableFields; created_time?: number; last_modified_time?: number }
export interface BitableRecordInput { fields: BitableFields }
export interface BitableRecordData { record: BitableRecord }
export interface BitableDeleted { deleted: boolean; record_id: string }
export interface BitablePageParams extends PageParams { user_id_type?: UserIdType }
export interface BitableRecordListParams extends BitablePageParams { view_id?: string; filter?: string; sort?: string; field_names?: string; automatic_fields?: boolean }
export interface BitableRecordSearchData { view_id?: string; field_names?: string[]; sort?: Array<{ field_name: string; desc?: boolean }>; filter?: { conjunction: 'and' | 'or'; conditions?: Array<{ field_name: string; operator: string; value?: unknown[] }> }; automatic_fields?: boolean }
export type BitableRecordPage = Page<BitableRecord> & { total?: number };

// ---- docx, task
export interface DocxRawContent { content: string }
export interface TaskInput { summary: string; description?: string; due?: { timestamp: string; is_all_day?: boolean }; start?: { timestamp: string; is_all_day?: boolean }; members?: Array<{ id: string; type?: 'user' | 'app'; role: 'assignee' | 'follower' }>; client_token?: string; tasklists?: Array<{ tasklist_guid: string; section_guid?: string }> }
export interface Task extends TaskInput { guid: string; url?: string; status?: 'todo' | 'done'; created_at?: string; completed_at?: string }
export interface TaskData { task: Task }

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
