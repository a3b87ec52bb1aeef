// feishu-edge/testing: the offline emulator and signed webhook requests for your tests.
export { encryptEvent } from '../index.js';

export interface RecordedCall {
  method: string;
  /** Path under /open-apis/, percent-encoded as sent. */
  path: string;
  /** The query string, with its leading '?'. */
  query: string;
  body: any;
  /** Multipart fields; files as { filename, size, type, bytes (first 16) }. */
  form: Record<string, any> | null;
  authorization: string | null;
  contentType: string | null;
  at: number;
}

export interface FaultRule {
  /** A substring of the path; every path when absent. */
  match?: string;
  kind: 'rate_limit' | 'server_error' | 'html502' | 'truncated' | 'empty' | 'slow' | 'api_error';
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
  close(): Promise<void>;
}

export declare function createEmulator(options?: { appId?: string; appSecret?: string; port?: number; tokenExpire?: number; chats?: number; [setting: string]: unknown }): Promise<Emulator>;

export declare function signedRequest(
  url: string,
  body: string | object,
  options?: { encryptKey?: string; verificationToken?: string; timestamp?: number; nonce?: string; legacyCard?: boolean },
): Request;

export declare const fixtures: {
  messageReceive(options?: { text?: string; chatId?: string; messageId?: string; openId?: string; chatType?: string; token?: string; eventId?: string; appId?: string; tenantKey?: string }): object;
  cardAction(options?: { value?: unknown; openId?: string; messageId?: string; chatId?: string; token?: string; eventId?: string; tag?: string; formValue?: Record<string, unknown> }): object;
  appTicket(options?: { appId?: string; ticket?: string; token?: string }): object;
  urlVerification(options?: { challenge?: string; token?: string }): object;
};
