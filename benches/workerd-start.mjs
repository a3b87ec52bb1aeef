// Startup inside workerd: a fresh Miniflare instance until the first response, for the bundled
// example Worker (wasm instantiated at module load) and a hello-world Worker; median of 5 each.
import { Miniflare } from 'miniflare';
import { ROOT, median } from './lib.mjs';

async function firstResponseMs(options) {
  const t0 = performance.now();
  const mf = new Miniflare({ modules: true, compatibilityDate: '2025-01-01', ...options });
  const res = await mf.dispatchFetch('http://worker/');
  await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  return ms;
}

export async function workerdStart({ runs = 5 } = {}) {
  const edgeOptions = {
    scriptPath: `${ROOT}/worker-example/dist/index.js`, modulesRoot: `${ROOT}/worker-example/dist`,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    kvNamespaces: ['TOKENS'], bindings: { FEISHU_APP_ID: 'a', FEISHU_APP_SECRET: 'b', FEISHU_ENCRYPT_KEY: 'ek', FEISHU_VERIFICATION_TOKEN: 'vt' },
  };
  const hello = { script: 'export default { fetch() { return new Response("hi") } }' };
  const edge = [], base = [];
  for (let i = 0; i < runs; i++) {
    edge.push(await firstResponseMs(edgeOptions));
    base.push(await firstResponseMs(hello));
  }
  return { runs, edgeMs: median(edge), helloWorldMs: median(base), addedMs: median(edge) - median(base) };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await workerdStart());
