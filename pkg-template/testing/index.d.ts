// feishu-edge/testing: the offline emulator and signed webhook requests for your tests.
export { encryptEvent, encryptEventAsync } from '../index.js';

export interface RecordedCall {
  method: string;
  /** Path under /open-apis/, percent-encoded as sent. */
  path: string;
  /** The query string, with its leading '?'. */
  query: string;
  body: any;
  /** Multipart fields; files as { filename, size, type, bytes (first 16) } (a field the method types as a file is one even without a filename, as the platform reads it). */
  form: Record<string, any> | null;
  authorization: string | null;
  contentType: string | null;
  /** Every request header, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface FaultRule {
  /** A substring of the path; every path when absent. */
  match?: string;
  kind: 'rate_limit' | 'server_error' | 'html502' | 'truncated' | 'empty' | 'slow' | 'api_error' | 'redirect';
  /** Where a `redirect` points (its status is `status`, default 302). */
  location?: string;
  /** How many requests it hits (default 1). */
  count?: number;
  status?: number;
  resetSeconds?: number;
  delayMs?: number;
  code?: number;
  msg?: string;
}

export interface EmulatedCard {
  card: any;
  elements: Record<string, string>;
  streaming: boolean;
  sequences: number[];
  updates: number;
  settingsCalls: number;
}

export interface Emulator {
  url: string;
  appId: string;
  appSecret: string;
  clientOptions: { appId: string; appSecret: string; baseUrl: string };
  calls(options?: { withAuth?: boolean }): Promise<RecordedCall[]>;
  counts(): Promise<Record<string, number>>;
  cards(): Promise<Record<string, EmulatedCard>>;
  faults(...rules: FaultRule[]): Promise<unknown>;
  revokeTokens(): Promise<unknown>;
  reset(overrides?: Record<string, unknown>): Promise<unknown>;
  /** Pushes an event over the long connection to one open connection, in `fragments` parts: resolves with the decoded ack. */
  pushEvent(payload: object | string, options?: { fragments?: number; timeoutMs?: number; messageId?: string; type?: string }): Promise<{ code: number; data: unknown; headers: Record<string, string>; seqId: string; bizRt: number }>;
  /** Long-connection faults: `'drop'`, `'silent'`, `'refuse'` (`{ status, code }`), `'endpoint'` (`{ code }`). */
  wsFault(kind: 'drop' | 'silent' | 'refuse' | 'endpoint', options?: Record<string, unknown>): Promise<unknown>;
  /** The long connection's counters. */
  wsStatus(): Promise<{ connections: number; silent: number; pending: number; [counter: string]: number }>;
  /** The messages kept (sent by the app, or pushed by pushMessage), of one chat or all, oldest first, in the platform's item shape. */
  messages(chatId?: string): Promise<Array<{ message_id: string; chat_id: string; msg_type: string; body: { content: string }; create_time: string; sender: { id: string; id_type: string; sender_type: string }; parent_id: string; root_id: string; thread_id: string; deleted: boolean; [field: string]: unknown }>>;
  /** A user's message, kept in the chat's history and pushed over the long connection (rejects when no client is connected). */
  pushMessage(message?: { chat_id?: string; text?: string; msg_type?: string; content?: string | object; open_id?: string; chat_type?: string; timeoutMs?: number }): Promise<{ event_id: string; message_id: string; ack: { code: number; data: unknown } }>;
  /** A card button click (card.action.trigger) pushed over the long connection; `ack.data` is the handler's reply. */
  pushCard(click?: { value?: Record<string, unknown>; tag?: string; form_value?: Record<string, unknown>; open_id?: string; message_id?: string; chat_id?: string; timeoutMs?: number }): Promise<{ event_id: string; ack: { code: number; data: unknown } }>;
  close(): Promise<void>;
}

/**
 * Starts a loopback emulator (Node, Deno). `acceptTokens`: tokens a test passes itself
 * (`withTenantToken('t-xxx')`), accepted as tenant tokens; `pages`: `{ [path]: { total, key? } }`
 * answers that path page by page.
 */
export declare function createEmulator(options?: { appId?: string; appSecret?: string; port?: number; tokenExpire?: number; chats?: number; acceptTokens?: string[]; pages?: Record<string, { total: number; key?: string }>; [setting: string]: unknown }): Promise<Emulator>;

export declare function signedRequest(
  url: string,
  body: string | object,
  options?: { encryptKey?: string; verificationToken?: string; timestamp?: number; nonce?: string; legacyCard?: boolean },
): Request;
/** `signedRequest` in every runtime (workerd without nodejs_compat and browsers have only asynchronous crypto). */
export declare function signedRequestAsync(
  url: string,
  body: string | object,
  options?: { encryptKey?: string; verificationToken?: string; timestamp?: number; nonce?: string; legacyCard?: boolean },
): Promise<Request>;

/** A schema 2.0 event push: `{ schema, header, event }`. */
export interface EventPush<E = Record<string, unknown>> {
  schema: '2.0';
  header: { event_id: string; event_type: string; create_time: string; token?: string; app_id: string; tenant_key: string };
  event: E;
}

/** Deep-partial overrides of an event body. */
export type Overrides<T> = T extends object ? { [K in keyof T]?: Overrides<T[K]> } : T;

export declare const fixtures: {
  /** Any event type of the schema, every documented field filled; `overrides` deep-merged into the event body. */
  event<K extends keyof import('feishu-edge').KnownEvents>(type: K, overrides?: Overrides<import('feishu-edge').KnownEvents[K]>, options?: { token?: string; eventId?: string; appId?: string; tenantKey?: string }): EventPush;
  event(type: string, overrides?: Record<string, unknown>, options?: { token?: string; eventId?: string; appId?: string; tenantKey?: string }): EventPush;
  messageReceive(options?: { text?: string; chatId?: string; messageId?: string; openId?: string; chatType?: string; token?: string; eventId?: string; appId?: string; tenantKey?: string }): object;
  cardAction(options?: { value?: unknown; openId?: string; messageId?: string; chatId?: string; token?: string; eventId?: string; tag?: string; formValue?: Record<string, unknown>; appId?: string; tenantKey?: string; action?: Record<string, unknown> }): object;
  appTicket(options?: { appId?: string; ticket?: string; token?: string }): object;
  urlVerification(options?: { challenge?: string; token?: string }): object;
};
