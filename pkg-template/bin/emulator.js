// `feishu-edge emulator`: the loopback Open Platform emulator of feishu-edge/testing as a
// process, for a Rust program, a Worker under `wrangler dev`, the dev bridge or a manual run.
// The first line of its output is JSON ({ url, appId, appSecret }); the rest says how to point
// a client at it. The app secret it prints is the emulator's own test credential, not a secret.
// Started by bin/feishu-edge.js (`feishu-edge emulator`).
import { startEmulator, DEFAULT_APP_ID } from '../testing/emulator.js';

const DEFAULT_SECRET = 'emu_secret_value';
const USAGE = `usage: feishu-edge emulator [--port <n>] [--app-id <id>] [--app-secret <s>] [--verbose]

  Runs a loopback (127.0.0.1) emulator of the Open Platform: tokens, every method of the
  schema, messages listed back, uploads downloaded, CardKit, and the long connection. The
  first line it prints is JSON: {"url", "appId", "appSecret"} (a test credential).

  --port <n>          the port (default 0: any free port)
  --app-id <id>       the app id it accepts (default ${DEFAULT_APP_ID}; the official
                      WSClient only accepts cli_ followed by 16 hex digits)
  --app-secret <s>    the app secret it accepts (default ${DEFAULT_SECRET})
  --verbose           print one line per request

  Control routes (JSON over HTTP, on the same URL): see the README, "The emulator as a process".
    POST /__emu/ws/message {"chat_id","text"}   a user's message, pushed to connected clients
    POST /__emu/ws/card {"value":{…}}            a card button click, pushed; answers the ack
    POST /__emu/ws/event {"event_type","event"}  any event type, pushed
    POST /__emu/faults {"rules":[{"kind":"rate_limit","match":"im/v1","count":1}]}
    GET  /__emu/log, POST /__emu/reset
  Ctrl-C stops it.`;

const args = process.argv.slice(3);
if (args.includes('--help') || args.includes('-h')) { console.log(USAGE); process.exit(0); }
const usage = (why) => { console.error(`feishu-edge emulator: ${why}\n\n${USAGE}`); process.exit(2); };
const options = { port: 0, appId: DEFAULT_APP_ID, appSecret: DEFAULT_SECRET, verbose: false };
for (let i = 0; i < args.length; i++) {
  const name = args[i];
  if (name === '--verbose') { options.verbose = true; continue; }
  const value = args[++i];
  if (!['--port', '--app-id', '--app-secret'].includes(name)) usage(`unknown option ${JSON.stringify(String(name).slice(0, 40))}`);
  if (value === undefined || value === '' || value.startsWith('--')) usage(`${name} needs a value`);
  if (value.length > 256) usage(`${name} is longer than 256 characters`);
  if (name === '--port') {
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) usage(`--port needs a port number (0 to 65535), got ${JSON.stringify(value)}`);
    options.port = Number(value);
  } else if (name === '--app-id') options.appId = value;
  else options.appSecret = value;
}

const { appId, appSecret, port } = options;
const onRequest = options.verbose ? ({ method, path, status, ms }) => console.log(`${new Date().toISOString().slice(11, 23)} ${method} ${path} ${status} ${ms} ms`) : undefined;
let emu;
try {
  emu = await startEmulator({ appId, appSecret, port, onRequest });
} catch (e) {
  console.error(`feishu-edge emulator: could not listen on 127.0.0.1:${port}: ${e?.code ?? e?.message ?? e}`);
  process.exit(1);
}
const { url } = emu;
console.log(JSON.stringify({ url, appId, appSecret, note: 'a test credential of this emulator, not a secret' }));
const lines = [
  `feishu-edge emulator listening on ${url} (loopback only)`,
  `  FeishuClient:   new FeishuClient({ appId: '${appId}', appSecret: '${appSecret}', baseUrl: '${url}' })`,
  `  official SDK:   new lark.Client({ appId: '${appId}', appSecret: '${appSecret}', domain: '${url}' })  (WSClient too)`,
  `  environment:    FEISHU_APP_ID=${appId} FEISHU_APP_SECRET=${appSecret} FEISHU_BASE_URL=${url}`,
  '                  (a Worker\'s .dev.vars, `feishu-edge dev`, a Rust program)',
  `  push a message: curl -s -X POST ${url}/__emu/ws/message -d '{"chat_id":"oc_emu_chat","text":"hi"}'`,
  `  history:        curl -s '${url}/__emu/messages?chat_id=oc_emu_chat'`,
  'Ctrl-C stops it.',
];
if (!/^cli_[0-9a-fA-F]{16}$/.test(appId)) lines.push(`note: the official WSClient refuses app id ${JSON.stringify(appId)} before connecting (it wants cli_ and 16 hex digits)`);
console.log(lines.join('\n'));

const stop = async () => { await emu.close(); process.exit(0); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
