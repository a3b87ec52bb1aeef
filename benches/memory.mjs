// Peak RSS of a fresh Node process that verifies, decrypts and dispatches 10,000 encrypted,
// signed events, feishu-edge vs the official EventDispatcher (and an empty process for scale).
import { ROOT, nodeChild } from './lib.mjs';

const EVENTS = 10000;
const setup = `
import { signEvent } from ${JSON.stringify(`${ROOT}/pkg/node.js`)};
import { benchEvent } from ${JSON.stringify(`${ROOT}/benches/webhook.mjs`)};
const KEY = 'bench_encrypt_key', TOKEN = 'bench_verification_token';
const { body, headers } = signEvent(benchEvent(), { encryptKey: KEY, timestamp: Math.floor(Date.now() / 1000) });
let handled = 0;`;
const EDGE = `${setup}
const { EventDispatcher } = await import(${JSON.stringify(`${ROOT}/pkg/node.js`)});
const d = new EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, logLevel: 'none' }).register({ 'im.message.receive_v1': async () => { handled++; } });
for (let i = 0; i < ${EVENTS}; i++) await d.invoke(body, headers);
console.log(JSON.stringify({ handled, maxRssKb: process.resourceUsage().maxRSS }));`;
const OFFICIAL = `${setup}
import { createRequire } from 'node:module';
const lark = createRequire(${JSON.stringify(`${ROOT}/package.json`)})('@larksuiteoapi/node-sdk');
const d = new lark.EventDispatcher({ encryptKey: KEY, verificationToken: TOKEN, loggerLevel: lark.LoggerLevel.error }).register({ 'im.message.receive_v1': async () => { handled++; } });
for (let i = 0; i < ${EVENTS}; i++) await d.invoke(Object.assign(Object.create({ headers }), JSON.parse(body)));
console.log(JSON.stringify({ handled, maxRssKb: process.resourceUsage().maxRSS }));`;
const EMPTY = `console.log(JSON.stringify({ handled: 0, maxRssKb: process.resourceUsage().maxRSS }));`;

export function memory() {
  const edge = nodeChild(EDGE);
  const official = nodeChild(OFFICIAL);
  const empty = nodeChild(EMPTY);
  if (edge.handled !== EVENTS || official.handled !== EVENTS) throw new Error('not every event was dispatched');
  return { events: EVENTS, edgeMb: edge.maxRssKb / 1024, officialMb: official.maxRssKb / 1024, emptyNodeMb: empty.maxRssKb / 1024 };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(memory());
