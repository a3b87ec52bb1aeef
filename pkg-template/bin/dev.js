// `feishu-edge dev --forward <url> [--card <url>]`: holds the long connection with your app's
// credentials and forwards every event to a local URL, and every card callback to the card
// URL (`--card`, default the same URL, with a warning), as the platform would POST them
// (encrypted and signed with FEISHU_ENCRYPT_KEY, carrying FEISHU_VERIFICATION_TOKEN, when
// set); the local reply becomes the ack. A Worker under `wrangler dev` gets real events from a
// real app, unchanged, with no tunnel. Only a 200 within localDeadlineMs is acked 200; a
// late, missing, redirected or failed answer is acked 500 (the platform pushes the event
// again), and the console line says the ack that was sent. Redirects are never followed.
// Started by bin/feishu-edge.js (`feishu-edge dev`).
import { Buffer } from 'node:buffer';
import { WSClient, signEvent } from '../node.js';

const USAGE = `usage: feishu-edge dev --forward <url> [--card <url>]

  Receives your app's events and card callbacks over the long connection and POSTs each
  to a local URL as the platform would send it over HTTP; the reply is the acknowledgement:
  a 200 within 2 s acks it, anything else (an error, no answer in time, a redirect, which is
  never followed) acks 500 and the platform pushes it again. A card callback's reply (a
  toast, an updated card) goes back to the platform with the ack.

  --forward <url>   where events go (the event URL, e.g. http://localhost:8787/webhook/event)
  --card <url>      where card callbacks (card.action.trigger) go (the card callback URL,
                    e.g. http://localhost:8787/webhook/card); default: --forward's URL

  environment:
    FEISHU_APP_ID, FEISHU_APP_SECRET   the app (self-built)
    FEISHU_BASE_URL or FEISHU_REGION   another host (an emulator: npx feishu-edge emulator) or 'lark'
    FEISHU_ENCRYPT_KEY                 encrypt and sign each request, as the platform does
    FEISHU_VERIFICATION_TOKEN          put this token in each request's header`;

const args = process.argv.slice(3);
if (args.includes('--help') || args.includes('-h')) { console.log(USAGE); process.exit(0); }
/** A usage error: one line and the usage, exit 2. */
const usage = (why) => { console.error(`feishu-edge dev: ${why}\n\n${USAGE}`); process.exit(2); };
const options = {};
for (let i = 0; i < args.length; i += 2) {
  const [name, value] = [args[i], args[i + 1]];
  if (name !== '--forward' && name !== '--card') usage(`unknown option ${JSON.stringify(String(name).slice(0, 40))}`);
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a URL`);
  options[name.slice(2)] = value;
}
if (!options.forward) usage('--forward <url> is required');
for (const name of ['forward', 'card']) {
  const value = options[name];
  if (value === undefined) continue;
  let url;
  try { url = new URL(value); } catch { usage(`--${name} needs a URL, got ${JSON.stringify(value.slice(0, 200))}`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') usage(`--${name} needs an http(s) URL, got ${JSON.stringify(value.slice(0, 200))}`);
}
const target = options.forward;
const cardTarget = options.card ?? target;

const env = process.env;
if (!env.FEISHU_APP_ID || !env.FEISHU_APP_SECRET) {
  console.error(`feishu-edge dev: set FEISHU_APP_ID and FEISHU_APP_SECRET (the app whose long connection the bridge holds; for the emulator, the ones \`npx feishu-edge emulator\` prints, with FEISHU_BASE_URL)`);
  process.exit(2);
}
const encryptKey = env.FEISHU_ENCRYPT_KEY || undefined;
const token = env.FEISHU_VERIFICATION_TOKEN || undefined;
let WebSocket = globalThis.WebSocket;
if (!WebSocket) {
  try { ({ default: WebSocket } = await import('ws')); } catch {
    console.error('this Node has no global WebSocket (before Node 22): run `npm install ws` beside your project, or use Node 22+');
    process.exit(1);
  }
}

const stamp = () => new Date().toISOString().slice(11, 23);
/**
 * How much sooner than the long connection's early ack the bridge gives up on the local server.
 * The long connection acks a handler still running at `ws.ackDeadlineMs` (2.4 s, before the
 * platform's 3 s) with 200: the bridge gives up first (at 2 s) and acks 500, so a late answer
 * is never acked as a success.
 */
const DEADLINE_MARGIN_MS = 400;
/** How long the local server's answer is waited for: set from the WSClient below (2 s). */
let localDeadlineMs;

/** A card callback (schema 2.0; the long connection carries no legacy card callbacks). */
const isCardCallback = (event) => event?.header?.event_type === 'card.action.trigger';

/** What a card callback's reply carries for the user ('a toast', 'a card'…), or '' when nothing. */
function cardReplyCarries(reply) {
  let data;
  try { data = JSON.parse(reply ?? ''); } catch { return ''; }
  if (data === null || typeof data !== 'object') return '';
  return ['toast', 'card'].filter((k) => data[k] !== undefined && data[k] !== null).map((k) => `a ${k}`).join(' and ');
}

/** One event: POSTed as the platform would; resolves to the ack (500 makes the platform push it again). */
async function forward(payload) {
  const started = Date.now();
  const text = new TextDecoder().decode(payload);
  let event;
  try { event = JSON.parse(text); } catch { event = {}; }
  const type = event.header?.event_type ?? event.event?.type ?? '?';
  const id = event.header?.event_id ?? event.uuid ?? '?';
  const card = isCardCallback(event);
  const url = card ? cardTarget : target;
  if (token) {
    if (event.header) event.header.token = token; else event.token = token;
  }
  const { body, headers } = signEvent(token || encryptKey ? event : text, { encryptKey });
  // `local`: what the local server did; `why`: said when the ack is not 200.
  let local = 'unreachable', reply, why = '';
  const signal = AbortSignal.timeout(localDeadlineMs);
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400) {
      res.body?.cancel().catch(() => {});
      local = res.status;
      why = `a redirect to ${res.headers.get('location') ?? '(no Location)'}, not followed: the bridge POSTs only to ${url}`;
    } else {
      reply = await readCapped(res, MAX_REPLY_BYTES);
      local = res.status;
      if (reply === null) { local = 'too-large'; why = `the local server's answer is larger than ${MAX_REPLY_BYTES} bytes`; } else if (local !== 200) why = reply.slice(0, 120);
    }
  } catch (e) {
    if (signal.aborted) {
      local = 'late';
      why = `the local server at ${url} did not answer within ${localDeadlineMs} ms; the long connection acks within 3 s`;
    } else {
      why = `the local server at ${url} did not answer: ${e?.cause?.code ?? e?.message ?? e}`;
    }
  }
  const code = local === 200 ? 200 : 500;
  const carries = card && code === 200 ? cardReplyCarries(reply) : '';
  console.log(`${stamp()} ${type} ${id} ${local} ${Date.now() - started} ms: acked ${code}${code === 200 ? '' : `, so the platform pushes it again (${why})`}${carries ? ` with ${carries}` : ''}${card && url !== target ? ` (card callback, sent to ${url})` : ''}`);
  if (card && code === 200 && !carries) {
    console.log(`${stamp()} warning: the card callback ${id} was answered 200 with no toast and no card: the user sees nothing change.${options.card ? ` Is ${url} your card handler?` : ` It went to ${url}, the event URL: if your card handler is elsewhere (worker-example: /webhook/card), pass --card <url>.`}`);
  }
  return { code, reply: code === 200 && reply && reply !== '{}' ? reply : undefined };
}

/** The largest local answer read (a card reply is small; the platform takes up to ~100 KB). */
const MAX_REPLY_BYTES = 1024 * 1024;

/** The response's text, or null past `limit` bytes (the rest is not read). */
async function readCapped(res, limit) {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) { reader.cancel().catch(() => {}); return null; }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

let ws;
try {
  ws = new WSClient({
    WebSocket,
    region: env.FEISHU_REGION || undefined,
    logLevel: env.FEISHU_LOG_LEVEL || 'warn',
    onReady: () => console.log(`${stamp()} connected: forwarding events to ${target}${options.card ? ` and card callbacks to ${cardTarget}` : ''}${encryptKey ? ' (encrypted and signed)' : ''}; Ctrl-C to stop`),
    onReconnecting: () => console.log(`${stamp()} connection lost; reconnecting`),
    onReconnected: () => console.log(`${stamp()} reconnected`),
    onError: (e) => console.error(`${stamp()} ${e.message}`),
  });
} catch (e) {
  // A configuration error (a bad region, base URL or credential): one line, no stack.
  console.error(`feishu-edge dev: ${e?.message ?? e}`);
  process.exit(2);
}
if (!options.card) {
  console.log(`${stamp()} note: card callbacks (card.action.trigger) go to ${target} too; if your card handler has its own URL (worker-example: /webhook/card), pass --card <url>`);
}
localDeadlineMs = ws.ackDeadlineMs - DEADLINE_MARGIN_MS;
// Ctrl-C while connecting rejects the pending start() ("closed before it connected"): that is
// the stop, not a refusal, and it exits 0.
let stopping = false;
const stop = async () => { stopping = true; await ws.close(); console.log(`${stamp()} closed`); process.exit(0); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
try {
  await ws.start({ deliver: forward });
} catch (e) {
  if (!stopping) {
    console.error(`${stamp()} the platform refused the connection: ${e.message}`);
    process.exit(1);
  }
}
