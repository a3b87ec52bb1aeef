// Bundle size: the example Worker as wrangler bundles it for workerd, vs the same bot with the
// official SDK bundled by esbuild for Node (both minified), gzip -9.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdirSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ROOT } from './lib.mjs';

const gz = (paths) => paths.reduce((acc, p) => { const b = readFileSync(p); return { raw: acc.raw + b.length, gzip: acc.gzip + gzipSync(b, { level: 9 }).length }; }, { raw: 0, gzip: 0 });
const bin = (name) => `${ROOT}/node_modules/.bin/${name}`;

/** What `wrangler deploy --dry-run --minify` bundles for the Worker in `dir` (js and wasm, gzip -9). */
function workerBundle(dir, out) {
  rmSync(out, { recursive: true, force: true });
  execFileSync(bin('wrangler'), ['deploy', '--dry-run', '--minify', '--outdir', out], { cwd: dir, stdio: 'ignore', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } });
  return gz(readdirSync(out).filter((f) => /\.(js|wasm)$/.test(f)).map((f) => `${out}/${f}`));
}

export function bundleSizes() {
  const edge = workerBundle(`${ROOT}/worker-example`, `${ROOT}/target/bench-worker`);
  // A Worker that only verifies events and card callbacks, on feishu-edge/webhook.
  const webhookOnly = workerBundle(`${ROOT}/benches/webhook-worker`, `${ROOT}/target/bench-webhook-worker`);
  // A Durable Object holding the long connection, on feishu-edge/ws (the main wasm and the long connection's).
  const longConnection = workerBundle(`${ROOT}/benches/ws-worker`, `${ROOT}/target/bench-ws-worker`);
  const officialOut = `${ROOT}/target/bench-official`;
  mkdirSync(officialOut, { recursive: true });
  execFileSync(bin('esbuild'), [`${ROOT}/benches/official-bot/index.js`, '--bundle', '--minify', '--platform=node', '--format=esm', '--log-level=error', `--outfile=${officialOut}/index.js`]);
  const official = gz([`${officialOut}/index.js`]);
  return { edgeWorker: edge, webhookOnlyWorker: webhookOnly, longConnectionWorker: longConnection, officialNodeBundle: official, ratio: edge.gzip / official.gzip };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(bundleSizes());
