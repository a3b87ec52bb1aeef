// A Worker that runs one JS test per request against the built package's workerd entry.
// GET /count → number of tests; GET /run?i=N → that test's result. env.TOKENS is a real KV namespace.
import * as main from '../../pkg/workerd.js';
// WSClient comes through `feishu-edge/ws` (the long connection's wasm, which the main entry leaves out).
import * as ws from '../../pkg/ws-workerd.js';
const pkg = { ...main, ...ws };
import * as hook from '../../pkg/webhook/workerd.js';
import { runTests } from './harness.mjs';
import { selectTests, parseCatalog } from './suites.mjs';


export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const tests = selectTests((env.SUITES ?? '').split(',').filter(Boolean));
    if (url.pathname === '/count') return Response.json({ count: tests.length });
    const test = tests[Number(url.searchParams.get('i'))];
    const result = await runTests('workerd', [test], { hook, ...pkg, emuUrl: env.EMU_URL, runtime: 'workerd', kv: env.TOKENS, catalogRows: parseCatalog(env.CATALOG_TSV).filter((_, i) => i % 25 === 0) });
    return Response.json(result);
  },
};
