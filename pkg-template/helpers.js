// Task-level helpers: the common jobs in one call. Most are rows of the core's table, run by one
// generic caller (rowHelper); the few special ones compose catalog methods around the core's
// decisions (id and message type inference, bot signing, upload planning, OAuth).
import { messageBodyJson, uploadPlan, postBotWebhook, defaultCardJson } from './wasm/feishu_edge_bg.js';
import { coreOf } from './internal.js';
import { blobOf } from './catalog.js';
import { HELPER_ROWS } from './generated/helpers-data.js';

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

/**
 * A row of the helpers' table (generated from the core's, src/api/helpers/table.rs): the core
 * builds the call from the row and the arguments (`{ endpoint: 'contact.getUser', helperArgs }`
 * is a catalog call); the row says only how to page and which field of `data` to return.
 */
function rowHelper(name, { kind, options, itemsKey, file, result = [], orEmpty }) {
  const read = ({ data }) => {
    const value = result.reduce((v, step) => v?.[step], data);
    return orEmpty ? value ?? [] : value;
  };
  return (client, ...args) => {
    const call = { endpoint: name, helperArgs: args };
    if (kind === 'pages') return client.paginate({ ...call, itemsKey, maxItems: args[options]?.maxItems });
    if (kind === 'download') return client.download(call);
    if (kind === 'upload') return uploadRow(client, call, file, args).then(read);
    return client.request(call).then(read);
  };
}

/** An upload row: the bytes go as the file (a stream read whole, as the catalog's uploads do), `null` in the arguments. */
async function uploadRow(client, call, [at, field, nameAt], args) {
  const blob = await blobOf(args[at]);
  const data = blob?.data ?? blob;
  const filename = nameAt === undefined ? blob?.filename : args[nameAt];
  const helperArgs = args.map((arg, i) => (i === at ? null : arg));
  return client.upload({ ...call, helperArgs, files: { [field]: filename === undefined ? data : { data, filename } } });
}

/** The helpers that are more than one table row: message inference, the card rules, the chunked upload. */
const SPECIAL = {
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
  },
  drive: {
    /** Uploads a file into a folder; above `chunkedAbove` (default: the core's 20 MB) in parts: prepare → parts → finish. */
    async uploadFile(client, folderToken, file, fileName, { chunkedAbove } = {}) {
      const bytes = await asBytes(file);
      const size = sizeOf(bytes);
      const meta = { file_name: fileName, parent_type: 'explorer', parent_node: folderToken, size };
      // The core's plan: undefined for one request; in parts, the lengths once the block size is known.
      if (!uploadPlan(size, chunkedAbove, undefined)) {
        return dataOf(await client.drive.v1.file.uploadAll({ data: { ...meta, file: { data: bytes, filename: fileName } } })).file_token;
      }
      const { upload_id: uploadId, block_size: blockSize } = dataOf(await client.drive.v1.file.uploadPrepare({ data: meta }));
      const parts = uploadPlan(size, chunkedAbove, blockSize);
      let offset = 0;
      for (let seq = 0; seq < parts.length; seq++) {
        const chunk = slice(bytes, offset, offset + parts[seq]);
        await client.drive.v1.file.uploadPart({ data: { upload_id: uploadId, seq, size: parts[seq], file: { data: chunk, filename: fileName } } });
        offset += parts[seq];
      }
      return dataOf(await client.drive.v1.file.uploadFinish({ data: { upload_id: uploadId, block_num: parts.length } })).file_token;
    },
  },
};

/** namespace → name → (client, ...args): the table's rows, then the special helpers. */
export const HELPERS = {};
for (const [ns, rows] of Object.entries(HELPER_ROWS)) {
  HELPERS[ns] = {};
  for (const [name, row] of Object.entries(rows)) HELPERS[ns][name] = rowHelper(`${ns}.${name}`, row);
}
for (const [ns, helpers] of Object.entries(SPECIAL)) Object.assign((HELPERS[ns] ??= {}), helpers);

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
      // With `store`, the core reads the user's open id with the new token and keeps the tokens under it.
      return core.oauthExchange(code, redirectUri, undefined, Boolean(store));
    },
    refresh(refreshToken) {
      return core.oauthExchange(undefined, undefined, refreshToken, false);
    },
    async userInfo(userAccessToken) {
      return (await client.authen.v1.userInfo.get({}, { userAccessToken })).data;
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
  // With a secret, the core signs it (adding `timestamp` and `sign`).
  return postBotWebhook(String(url), JSON.stringify(payload), Number(timeoutMs), fetchFn, secret ? String(secret) : undefined, Number(timestamp));
}
