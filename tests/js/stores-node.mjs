// redisStore against a real redis-server started here on loopback (Debian's package, installed
// by scripts/setup), with both client libraries: the store contract, then the chaos run.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import Redis from 'ioredis';
import { startEmulator } from '../emulator/server.mjs';
import { runTests } from './harness.mjs';
import { chaosRun, storeContract, expectExact } from './chaos.mjs';

const pkg = await import(new URL('../../pkg/node.js', import.meta.url));
const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'feishu-edge-redis-'));
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stdout.on('data', (d) => { serverLog += d; });
server.stderr.on('data', (d) => { serverLog += d; });
const ready = await new Promise((resolve) => {
  const deadline = setTimeout(() => resolve(false), 10_000);
  const check = () => { if (serverLog.includes('Ready to accept connections')) { clearTimeout(deadline); resolve(true); } else setTimeout(check, 50); };
  server.on('exit', () => { clearTimeout(deadline); resolve(false); });
  check();
});
if (!ready) {
  console.log(`not ok - redis-server did not start: ${serverLog.slice(0, 500)}`);
  console.log('stores-node: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const nodeRedis = await createClient({ url: `redis://127.0.0.1:${port}` }).connect();
const ioredis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
await ioredis.connect();
const figures = [];
const ctx = { ...pkg, emuUrl: emu.url, runtime: 'node' };

const tests = [
  { name: 'redisStore (node-redis) honours the store contract against redis-server', fn: () => storeContract(ctx, pkg.redisStore(nodeRedis, { prefix: 'nr:' })) },
  { name: 'redisStore (ioredis) honours the store contract against redis-server', fn: () => storeContract(ctx, pkg.redisStore(ioredis, { prefix: 'io:' })) },
  {
    name: 'redisStore keys expire in redis itself (PX) and are prefixed',
    async fn() {
      const store = pkg.redisStore(nodeRedis, { prefix: 'px:' });
      await store.put('k', 'v', { expirationTtl: 120 });
      const ttl = await nodeRedis.pTTL('px:k');
      if (!(ttl > 110_000 && ttl <= 120_000)) throw new Error(`PTTL ${ttl}`);
    },
  },
  {
    name: 'chaos: 1,000 events × 1–5 concurrent deliveries, failing handlers, 0–100 ms latency, 3 dispatchers on redisStore → each handled exactly once',
    async fn() { figures.push(expectExact('redis (node-redis)', await chaosRun(ctx, pkg.redisStore(nodeRedis, { prefix: 'chaos:' }), { prefix: 'redis' }))); },
  },
];

const result = await runTests('stores-node', tests, ctx);
await nodeRedis.quit();
ioredis.disconnect();
server.kill();
rmSync(dir, { recursive: true, force: true });
await emu.close();
console.log(result.lines.join('\n'));
for (const f of figures) console.log(`figure - ${f}`);
if (process.env.CHAOS_FIGURES) writeFileSync(process.env.CHAOS_FIGURES, figures.map((f) => `${f}\n`).join(''), { flag: 'a' });
process.exit(result.failed ? 1 : 0);
