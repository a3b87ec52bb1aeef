// feishu-edge/testing: an offline Open Platform for your tests, and webhook requests signed and
// encrypted the way the platform sends them. Not part of the main bundle.
import * as edge from 'feishu-edge';
import { signEventAsync, encryptEventAsync } from 'feishu-edge';
import { startEmulator, DEFAULT_APP_ID } from './emulator.js';
import { loadSchema, sample, deepMerge } from './schema.js';

export { encryptEventAsync };

/** The package's synchronous helper `name`: its Node and Deno entries have them, others not. */
function synchronous(name) {
  if (typeof edge[name] !== 'function') throw new TypeError(`${name} is synchronous and only the Node and Deno entries have it: use the Async variant here`);
  return edge[name];
}
/** `encryptEvent` (Node and Deno). */
export function encryptEvent(payload, encryptKey, iv) {
  return synchronous('encryptEvent')(payload, encryptKey, iv);
}

/**
 * Starts a loopback emulator of the Open Platform (Node, Deno): token endpoints, messages,
 * CardKit, uploads, an echo for every other method, request recording and fault switches.
 */
export async function createEmulator({ appId = DEFAULT_APP_ID, appSecret = 'emu_secret_value', port, ...config } = {}) {
  const emu = await startEmulator({ appId, appSecret, port, ...config });
  const control = async (path, body) => (await fetch(emu.url + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json();
  const pushControl = async (path, body) => {
    const res = await fetch(emu.url + path, { method: 'POST', body: JSON.stringify(body) });
    const out = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${out.error ?? JSON.stringify(out)}`);
    return out;
  };
  return {
    url: emu.url,
    appId,
    appSecret,
    /** Client options pointing at the emulator. */
    clientOptions: { appId, appSecret, baseUrl: emu.url },
    /** Every API call so far (token requests excluded unless `withAuth`). */
    async calls({ withAuth = false } = {}) {
      const { requests } = await control('/__emu/log');
      return withAuth ? requests : requests.filter((r) => !r.path.startsWith('auth/'));
    },
    /** Counters: tenantToken, appToken, ticketResend, oauthToken. */
    async counts() {
      return (await control('/__emu/log')).counts;
    },
    /** CardKit cards by id: { card, elements, streaming, sequences, updates, settingsCalls }. */
    cards: () => control('/__emu/cards'),
    /** Injects faults: { match, kind: 'rate_limit' | 'server_error' | 'html502' | 'truncated' | 'empty' | 'slow' | 'api_error' | 'redirect' (with `location`), count?, ... }. */
    faults: (...rules) => control('/__emu/faults', { rules }),
    /** Invalidates every issued token (the next call gets 99991663). */
    revokeTokens: () => control('/__emu/revoke', {}),
    reset: (overrides = {}) => control('/__emu/reset', { appId, appSecret, ...overrides }),
    /**
     * Pushes an event (any payload, e.g. `fixtures.messageReceive()`) over the long connection,
     * to one open connection as the platform does, split into `fragments` parts: resolves with
     * the decoded ack `{ code, data, headers, bizRt }` (`data`: the reply, parsed).
     */
    pushEvent: (payload, options) => emu.pushEvent(payload, options),
    /**
     * Long-connection faults: `'drop'` (close every socket), `'silent'` (keep sockets open,
     * answer nothing), `'refuse'` ({ status: 514, code: 1000040350 }: the next handshake),
     * `'endpoint'` ({ code: 1000040343 }: the next endpoint reply).
     */
    wsFault: (kind, options) => emu.wsFault(kind, options),
    /** `{ connections, pings, acks, handshakes, refused, endpoint }`. */
    wsStatus: () => emu.wsStatus(),
    /** The messages the emulator keeps (sent by the app, or pushed by pushMessage), of one chat or all, oldest first. */
    messages: async (chatId) => (await control(`/__emu/messages${chatId ? `?chat_id=${encodeURIComponent(chatId)}` : ''}`)).items,
    /**
     * A user's message in a chat, kept in its history and pushed over the long connection:
     * resolves with `{ event_id, message_id, ack }` (rejects when no client is connected or no ack comes).
     */
    pushMessage: (message = {}) => pushControl('/__emu/ws/message', message),
    /** A card button click (`card.action.trigger`) pushed over the long connection: `ack.data` is the handler's reply. */
    pushCard: (click = {}) => pushControl('/__emu/ws/card', click),
    close: () => emu.close(),
  };
}

/** A web Request as the platform would POST it: encrypted and signed with `encryptKey`, or plain (signed legacy card callbacks with `legacyCard`). */
export function signedRequest(url, body, options = {}) {
  const signed = synchronous('signEvent')(body, options);
  return new Request(url, { method: 'POST', headers: signed.headers, body: signed.body });
}

/** `signedRequest` in every runtime (a promise). */
export async function signedRequestAsync(url, body, options = {}) {
  const signed = await signEventAsync(body, options);
  return new Request(url, { method: 'POST', headers: signed.headers, body: signed.body });
}

// The envelope fields the official SDK merges into a handler's data: they live in `header`.
const ENVELOPE_KEYS = ['event_id', 'token', 'create_time', 'event_type', 'tenant_key', 'ts', 'uuid', 'type', 'app_id'];

let counter = 0;
const nextId = (prefix) => `${prefix}_${Date.now().toString(36)}_${(counter++).toString(36)}`;

/** Events and callbacks in the platform's shapes (schema 2.0 unless noted). */
export const fixtures = {
  /**
   * Any event type of the schema (catalog/schema.json) as the platform pushes it (schema 2.0),
   * every documented field filled with a plausible value; `overrides` are deep-merged into the
   * event body.
   */
  event(type, overrides = {}, { token, eventId = nextId('ev'), appId = DEFAULT_APP_ID, tenantKey = 'tk_test' } = {}) {
    const shape = loadSchema().events[type];
    const legacy = loadSchema().legacyEvents?.[type];
    if (shape === undefined && legacy !== undefined) {
      // A schema 1.0 type (app_ticket, add_bot, message…): the 1.0 envelope, every documented
      // field of `event` filled, `overrides` merged into `event`.
      const body = sample(legacy, 'event');
      for (const k of ENVELOPE_KEYS) delete body[k];
      return { uuid: eventId, token, ts: String(Date.now() / 1000), type: 'event_callback', event: deepMerge({ ...body, type, app_id: appId, tenant_key: tenantKey }, overrides) };
    }
    if (shape === undefined) throw new TypeError(`fixtures.event: no event type ${JSON.stringify(type)} in the schema (catalog/schema.json lists them)`);
    const body = sample(shape, 'event');
    for (const k of ENVELOPE_KEYS) delete body[k];
    if ('tenant_key' in body) body.tenant_key = tenantKey;
    return {
      schema: '2.0',
      header: { event_id: eventId, event_type: type, create_time: String(Date.now()), token, app_id: appId, tenant_key: tenantKey },
      event: deepMerge(body, overrides),
    };
  },
  messageReceive({ text = 'hello', chatId = 'oc_test_chat', messageId = nextId('om'), openId = 'ou_test_user', chatType = 'group', token, eventId = nextId('ev'), appId = DEFAULT_APP_ID, tenantKey = 'tk_test' } = {}) {
    const now = String(Date.now());
    return fixtures.event('im.message.receive_v1', {
      sender: { sender_id: { open_id: openId, union_id: `on_${openId.replace(/^ou_/, '')}`, user_id: `u_${openId.replace(/^ou_/, '')}` }, sender_type: 'user', tenant_key: tenantKey },
      message: { message_id: messageId, root_id: '', parent_id: '', thread_id: '', chat_id: chatId, chat_type: chatType, message_type: 'text', content: JSON.stringify({ text }), create_time: now, update_time: now, mentions: [] },
    }, { token, eventId, appId, tenantKey });
  },
  cardAction({ value = {}, openId = 'ou_test_user', messageId = 'om_card', chatId = 'oc_test_chat', token, eventId = nextId('ev'), tag = 'button', formValue, appId = DEFAULT_APP_ID, tenantKey = 'tk_test', action: extra = {} } = {}) {
    const action = { tag, value, ...extra };
    if (formValue) action.form_value = formValue;
    const id = openId.replace(/^ou_/, '');
    return {
      schema: '2.0',
      header: { event_id: eventId, event_type: 'card.action.trigger', create_time: String(Date.now()), token, app_id: appId, tenant_key: tenantKey },
      event: {
        operator: { tenant_key: tenantKey, user_id: `u_${id}`, open_id: openId, union_id: `on_${id}` },
        token: nextId('c'),
        action,
        host: 'im_message',
        delivery_type: 'url_preview',
        context: { url: '', preview_token: '', open_message_id: messageId, open_chat_id: chatId },
      },
    };
  },
  /** Schema 1.0, as the platform pushes it. */
  appTicket({ appId = DEFAULT_APP_ID, ticket = 'ticket-emu', token } = {}) {
    return { uuid: nextId('u'), token, ts: String(Date.now() / 1000), type: 'event_callback', event: { app_id: appId, app_ticket: ticket, type: 'app_ticket' } };
  },
  urlVerification({ challenge = nextId('challenge'), token } = {}) {
    return { challenge, token, type: 'url_verification' };
  },
};
