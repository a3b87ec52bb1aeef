// The long connection, measured (issue 16), in Node, the emulator in its own process:
// - events acked per second over the long connection, ours vs the official node-sdk WSClient,
//   same emulator, same run (alternating rounds; the emulator pushes, 50 in flight);
// - reconnect time after a dropped socket and after a silent one, ours vs the official client
//   (the same ClientConfig for both: ping 1 s, interval 1 s, no jitter);
// - RSS while 100,000 events go through (one in five split in three, one in fifty garbage);
// - the chaos run (tests/js/ws-chaos.mjs): drops and silences at random, re-pushes, counts.
// Usage: node benches/ws.mjs   (after scripts/build); prints JSON, and is part of benches/run.mjs.
import WebSocket from 'ws';
import * as lark from '@larksuiteoapi/node-sdk';
import { ROOT, emulatorProcess, median } from './lib.mjs';

const APP_ID = 'cli_a1b2c3d4e5f60718';
const SECRET = 'emu_secret_value';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

async function clients(emuUrl) {
  const { WSClient, EventDispatcher } = await import(`${ROOT}/pkg/node.js`);
  return {
    'feishu-edge': async () => {
      const ws = new WSClient({ appId: APP_ID, appSecret: SECRET, baseUrl: emuUrl, WebSocket, logLevel: 'none' });
      await ws.start({ eventDispatcher: new EventDispatcher({ logLevel: 'none' }).register({ 'im.message.receive_v1': () => {} }) });
      return { close: () => ws.close() };
    },
    official: async () => {
      const ws = new lark.WSClient({ appId: APP_ID, appSecret: SECRET, domain: emuUrl, logger: quiet });
      await ws.start({ eventDispatcher: new lark.EventDispatcher({ logger: quiet }).register({ 'im.message.receive_v1': async () => {} }) });
      return { close: () => ws.close({ force: true }) };
    },
  };
}

async function connected(emu, count = 1) {
  for (let i = 0; i < 400; i++) {
    const s = await emu.control('/__emu/ws/status');
    if (s.connections >= count && s.silent === 0) return;
    await sleep(5);
  }
  throw new Error('no connection');
}

async function throughput(emu, make) {
  const rounds = { 'feishu-edge': [], official: [] };
  // The client's own CPU (this process: the emulator runs in another) per acked event, in µs.
  const cpuPerEvent = { 'feishu-edge': [], official: [] };
  for (let round = 0; round < 5; round++) {
    for (const name of Object.keys(rounds)) {
      const c = await make[name]();
      await connected(emu);
      await emu.control('/__emu/ws/burst', { count: 300, concurrency: 50 }); // warm-up
      const cpu = process.cpuUsage();
      const { count, ms } = await emu.control('/__emu/ws/burst', { count: 3000, concurrency: 50 });
      const used = process.cpuUsage(cpu);
      rounds[name].push((count / ms) * 1000);
      cpuPerEvent[name].push((used.user + used.system) / count);
      await c.close();
      await sleep(100);
    }
  }
  const ours = median(rounds['feishu-edge']), official = median(rounds.official);
  const cpu = { 'feishu-edge': median(cpuPerEvent['feishu-edge']), official: median(cpuPerEvent.official) };
  return { eventsPerSecond: { 'feishu-edge': ours, official }, rounds, ratio: ours / official, clientCpuMicrosPerEvent: cpu, cpuRatio: cpu.official / cpu['feishu-edge'] };
}

/** Time from a fault to the next acked push, capped at `capMs`. */
async function recovery(emu, make, name, fault, capMs) {
  await emu.control('/__emu/reset', { appId: APP_ID, appSecret: SECRET, wsClientConfig: { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 } });
  const c = await make[name]();
  await connected(emu);
  await sleep(1200); // a ping and its pong: the ClientConfig is in force
  const started = Date.now();
  await emu.control('/__emu/ws/fault', { kind: fault });
  let ms = null;
  while (Date.now() - started < capMs) {
    const s = await emu.control('/__emu/ws/status');
    if (s.connections - s.silent >= 1) {
      const r = await fetch(`${emu.url}/__emu/ws/push`, { method: 'POST', body: JSON.stringify({ payload: { schema: '2.0', header: { event_id: `rec_${Date.now()}`, event_type: 'im.message.receive_v1', app_id: APP_ID }, event: {} }, timeoutMs: 1000 }) });
      if (r.status === 200) { ms = Date.now() - started; break; }
    }
    await sleep(20);
  }
  await c.close();
  return ms;
}

async function memory(emu, make) {
  const c = await make['feishu-edge']();
  await connected(emu);
  const samples = [];
  const rss = () => Math.round(process.memoryUsage().rss / 1e5) / 10;
  for (let done = 0; done < 100_000; done += 5000) {
    await emu.control('/__emu/ws/burst', { count: 4000, concurrency: 50 });
    await emu.control('/__emu/ws/burst', { count: 900, concurrency: 50, fragments: 3 });
    for (let g = 0; g < 100; g++) await emu.control('/__emu/ws/raw', { base64: Buffer.from(`garbage ${g}`).toString('base64') });
    if ((done + 5000) % 25_000 === 0) { globalThis.gc?.(); samples.push({ events: done + 5000, rssMb: rss() }); }
  }
  await c.close();
  return samples;
}

export async function wsBench() {
  const emu = await emulatorProcess();
  try {
    await emu.control('/__emu/reset', { appId: APP_ID, appSecret: SECRET });
    const make = await clients(emu.url);
    const t = await throughput(emu, make);
    if (process.env.WS_BENCH_ONLY === 'throughput') return { throughput: t };
    const reconnect = {};
    for (const name of ['feishu-edge', 'official']) {
      reconnect[name] = { droppedMs: await recovery(emu, make, name, 'drop', 15_000), silentMs: await recovery(emu, make, name, 'silent', 15_000) };
    }
    await emu.control('/__emu/reset', { appId: APP_ID, appSecret: SECRET });
    const mem = await memory(emu, make);
    const { wsChaos, sharedStore } = await import(`${ROOT}/tests/js/ws-chaos.mjs`);
    const chaos = { oneClient: await wsChaos({ events: 1000 }), twoClientsSharedStore: await wsChaos({ events: 1000, clients: 2, store: sharedStore(), seed: 23 }) };
    return { throughput: t, reconnect, memory: mem, chaos };
  } finally {
    emu.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await wsBench(), null, 2));
  process.exit(0);
}
