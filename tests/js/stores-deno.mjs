// denoKvStore on a real Deno KV (a fresh SQLite-backed database in a temp dir): the store
// contract, then the chaos run. Run with --unstable-kv.
import { runTests } from './harness.mjs';
import { chaosRun, storeContract, expectExact } from './chaos.mjs';

const pkg = await import('../../pkg/deno.js');
const emuUrl = Deno.env.get('EMU_URL');
if (!emuUrl) throw new Error('EMU_URL must point at a running emulator (scripts/test starts one)');
const dir = await Deno.makeTempDir({ prefix: 'feishu-edge-kv-' });
const kv = await Deno.openKv(`${dir}/state.sqlite`);
const ctx = { ...pkg, emuUrl, runtime: 'deno' };
const figures = [];
const tests = [
  { name: 'denoKvStore honours the store contract on Deno KV', fn: () => storeContract(ctx, pkg.denoKvStore(kv)) },
  {
    name: 'denoKvStore keeps its keys under the prefix',
    async fn() {
      const store = pkg.denoKvStore(kv, { prefix: ['app-x'] });
      await store.put('k', 'v', { expirationTtl: 60 });
      const raw = await kv.get(['app-x', 'k']);
      if (raw.value?.value !== 'v') throw new Error(JSON.stringify(raw));
    },
  },
  {
    name: 'chaos: 1,000 events × 1–5 concurrent deliveries, failing handlers, 0–100 ms latency, 3 dispatchers on denoKvStore → each handled exactly once',
    // Deno KV's SQLite file waits on fsync: on a machine busy with disk writes (a parallel
    // cargo build) its calls took seconds, past the 2 s claim budget, which then fails open
    // by design (handled twice rather than never: tested in src/webhook/dedupe.rs). This run
    // checks claim → handle → commit, so it gives the store a budget a busy disk cannot miss.
    async fn() { figures.push(expectExact('Deno KV', await chaosRun(ctx, pkg.denoKvStore(kv), { prefix: 'denokv', dispatcherOptions: { storeTimeoutMs: 15_000 } }))); },
  },
];
const result = await runTests('stores-deno', tests, ctx);
kv.close();
await Deno.remove(dir, { recursive: true });
console.log(result.lines.join('\n'));
for (const f of figures) console.log(`figure - ${f}`);
Deno.exit(result.failed ? 1 : 0);
