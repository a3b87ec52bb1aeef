#!/usr/bin/env node
// `feishu-edge dev --forward <url>`: holds the long connection with your app's credentials and
// forwards every event and card callback to a local URL as the platform would POST it
// (encrypted and signed with FEISHU_ENCRYPT_KEY, carrying FEISHU_VERIFICATION_TOKEN, when
// set); the local reply becomes the ack. A Worker under `wrangler dev` gets real events from a
// real app, unchanged, with no tunnel. Only a 200 within LOCAL_DEADLINE_MS is acked 200; a
// late, missing, redirected or failed answer is acked 500 (the platform pushes the event
// again), and the console line says the ack that was sent. Redirects are never followed.
import { WSClient, signEvent } from '../node.js';

const USAGE = `usage: feishu-edge dev --forward <url>

  Receives your app's events over the long connection and POSTs each to <url> as the
  platform would send it over HTTP; the reply is the acknowledgement: a 200 within 2 s
  acks the event, anything else (an error, no answer in time, a redirect, which is never
  followed) acks 500 and the platform pushes the event again.

  environment:
    FEISHU_APP_ID, FEISHU_APP_SECRET   the app (self-built)
    FEISHU_BASE_URL or FEISHU_REGION   another host (an emulator) or 'lark'
    FEISHU_ENCRYPT_KEY                 encrypt and sign each request, as the platform does
    FEISHU_VERIFICATION_TOKEN          put this token in each request's header`;

const args = process.argv.slice(2);
const at = args.indexOf('--forward');
const target = at >= 0 ? args[at + 1] : undefined;
if (args[0] !== 'dev' || !target || args.includes('--help') || args.includes('-h')) {
  console.error(USAGE);
  process.exit(args.includes('--help') || args.includes('-h') ? 0 : 2);
}
try { new URL(target); } catch { console.error(`--forward needs a URL, got ${JSON.stringify(target)}\n\n${USAGE}`); process.exit(2); }

const env = process.env;
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
 * How long the local server's answer is waited for. The long connection acks a handler still
 * running at 2.4 s with 200 (ws.js, before the platform's 3 s): the bridge gives up first and
 * acks 500, so a late answer is never acked as a success.
 */
const LOCAL_DEADLINE_MS = 2000;

/** One event: POSTed as the platform would; resolves to the ack (500 makes the platform push it again). */
async function forward(payload) {
  const started = Date.now();
  const text = new TextDecoder().decode(payload);
  let event;
  try { event = JSON.parse(text); } catch { event = {}; }
  const type = event.header?.event_type ?? event.event?.type ?? '?';
  const id = event.header?.event_id ?? event.uuid ?? '?';
  if (token) {
    if (event.header) event.header.token = token; else event.token = token;
  }
  const { body, headers } = signEvent(token || encryptKey ? event : text, { encryptKey });
  // `local`: what the local server did; `why`: said when the ack is not 200.
  let local = 'unreachable', reply, why = '';
  const signal = AbortSignal.timeout(LOCAL_DEADLINE_MS);
  try {
    const res = await fetch(target, { method: 'POST', body, headers, redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400) {
      res.body?.cancel().catch(() => {});
      local = res.status;
      why = `a redirect to ${res.headers.get('location') ?? '(no Location)'}, not followed: the bridge POSTs only to ${target}`;
    } else {
      reply = await res.text();
      local = res.status;
      if (local !== 200) why = reply.slice(0, 120);
    }
  } catch (e) {
    if (signal.aborted) {
      local = 'late';
      why = `the local server at ${target} did not answer within ${LOCAL_DEADLINE_MS} ms; the long connection acks within 3 s`;
    } else {
      why = `the local server at ${target} did not answer: ${e?.cause?.code ?? e?.message ?? e}`;
    }
  }
  const code = local === 200 ? 200 : 500;
  console.log(`${stamp()} ${type} ${id} ${local} ${Date.now() - started} ms: acked ${code}${code === 200 ? '' : `, so the platform pushes it again (${why})`}`);
  return { code, reply: code === 200 && reply && reply !== '{}' ? reply : undefined };
}

const ws = new WSClient({
  WebSocket,
  region: env.FEISHU_REGION || undefined,
  logLevel: env.FEISHU_LOG_LEVEL || 'warn',
  onReady: () => console.log(`${stamp()} connected: forwarding events to ${target}${encryptKey ? ' (encrypted and signed)' : ''}; Ctrl-C to stop`),
  onReconnecting: () => console.log(`${stamp()} connection lost; reconnecting`),
  onReconnected: () => console.log(`${stamp()} reconnected`),
  onError: (e) => console.error(`${stamp()} ${e.message}`),
});
const stop = async () => { await ws.close(); console.log(`${stamp()} closed`); process.exit(0); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
try {
  await ws.start({ deliver: forward });
} catch (e) {
  console.error(`${stamp()} the platform refused the connection: ${e.message}`);
  process.exit(1);
}
