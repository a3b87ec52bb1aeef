// Runs every benchmark in one process tree, prints a table, writes benches/results.json.
// Usage: node benches/run.mjs  (after scripts/build)
import { readFileSync, writeFileSync } from 'node:fs';
import { ROOT } from './lib.mjs';
import { overhead } from './overhead.mjs';
import { coldStart } from './cold-start.mjs';
import { tokenConcurrency } from './tokens.mjs';
import { size } from './size.mjs';
import { webhookThroughput } from './webhook.mjs';
import { cardBuild } from './card.mjs';
import { bundleSizes } from './bundle.mjs';
import { workerdWebhook } from './workerd-webhook.mjs';
import { memory } from './memory.mjs';
import { workerdStart } from './workerd-start.mjs';
import { typeCheck } from './types.mjs';

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
// `--table-only` rewrites the README table from benches/results.json without measuring again;
// `--only=size,bundle,coldStart` measures those parts again and keeps the others' figures.
const measures = { size, coldStart, overhead, tokens: tokenConcurrency, webhook: webhookThroughput, card: cardBuild, bundle: bundleSizes, memory, workerd: workerdStart, workerdWebhook, types: typeCheck };
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
for (const k of only ?? []) if (!(k in measures)) throw new Error(`--only: unknown part ${k}; known: ${Object.keys(measures).join(', ')}`);
const saved = () => JSON.parse(readFileSync(`${ROOT}/benches/results.json`, 'utf8'));
let results;
if (process.argv.includes('--table-only')) results = saved();
else if (only) {
  results = saved();
  for (const k of only) results[k] = await measures[k]();
  results.remeasured = { date: new Date().toISOString(), node: process.version, parts: only };
} else {
  results = { date: new Date().toISOString(), node: process.version };
  for (const [k, measure] of Object.entries(measures)) results[k] = await measure();
}
if (!process.argv.includes('--table-only')) writeFileSync(`${ROOT}/benches/results.json`, JSON.stringify(results, null, 2) + '\n');
const { size: s, coldStart: c, overhead: o, tokens: t, webhook: w, card: k, bundle: b, memory: m, workerd: wd, workerdWebhook: ww, types: ty } = results;
const table = `| measure | feishu-edge | official SDK | ratio |
|---|---|---|---|
| bot bundle, minified: the example Worker (wrangler, workerd) vs the same bot with the official SDK (esbuild, Node) | ${kb(b.edgeWorker.gzip)} gzip (${kb(b.edgeWorker.raw)} raw) | ${kb(b.officialNodeBundle.gzip)} gzip (${kb(b.officialNodeBundle.raw)} raw) | ${b.ratio.toFixed(2)}× gzip, ${(b.edgeWorker.raw / b.officialNodeBundle.raw).toFixed(2)}× raw |
| a Worker that only verifies events and card callbacks, on \`feishu-edge/webhook\` (wrangler, minified) | ${kb(b.webhookOnlyWorker.gzip)} gzip (${kb(b.webhookOnlyWorker.raw)} raw) | cannot run in workerd | |
| package JS+wasm the Node entry loads (gzip) | ${kb(s.edge.gzip)} | ${kb(s.officialLibJs.gzip)} (lib/*.js, not bundled) | ${(s.edge.gzip / s.officialLibJs.gzip).toFixed(2)}× |
| cold start: import + instantiate + new client (median of ${c.runs}) | ${c.edgeMs.toFixed(1)} ms | ${c.officialMs.toFixed(1)} ms | ${c.speedup.toFixed(1)}× faster |
| per call on loopback, ratio to a bare fetch loop (median of ${o.rounds} rounds × ${o.callsPerRound}) | ${o.ratioToFetch['feishu-edge'].toFixed(3)}× (${o.ratioToFetch['feishu-edge (timeoutMs: 0)'].toFixed(3)}× with timeoutMs: 0) | ${o.ratioToFetch.official.toFixed(3)}× | bare fetch: ${o.perCallMicros.fetch.toFixed(0)} µs/call |
| startup in workerd: first response of a fresh instance, minus a hello-world Worker's (median of ${wd.runs}) | +${wd.addedMs.toFixed(0)} ms | cannot run in workerd | |
| peak RSS after ${m.events} encrypted events in Node (empty process: ${m.emptyNodeMb.toFixed(0)} MB) | ${m.edgeMb.toFixed(0)} MB | ${m.officialMb.toFixed(0)} MB | ${(m.edgeMb / m.officialMb).toFixed(2)}× |
| token requests for ${t.concurrent} concurrent cold calls | ${t.edgeTokenRequests} | ${t.officialTokenRequests} | |
| webhook: encrypted signed ${w.plaintextBytes}-byte event verified + decrypted + dispatched (median of ${w.rounds}×${w.eventsPerRound}) | ${Math.round(w.eventsPerSecond['feishu-edge'])}/s (${Math.round(w.eventsPerSecond['feishu-edge + dedupe'])}/s with claim → commit de-duplication in an atomic memory store: ${w.dedupeRatio.toFixed(2)}×) | ${Math.round(w.eventsPerSecond.official)}/s | ${w.ratio.toFixed(2)}× |
| webhook in workerd: the same event, per event (median of ${ww.rounds}×${ww.events}), vs hand-rolled WebCrypto${ww.vsBaseline ? ' and a previous build' : ''} | ${ww.perEventMicros['feishu-edge'].toFixed(0)} µs (${ww.perEventMicros['feishu-edge, nodejs_compat'].toFixed(0)} µs with nodejs_compat) | cannot run in workerd; by hand: ${ww.perEventMicros['webcrypto by hand'].toFixed(0)} µs${ww.vsBaseline ? `; previous build: ${ww.perEventMicros.baseline.toFixed(0)} µs (${ww.perEventMicros['baseline, nodejs_compat'].toFixed(0)} µs with nodejs_compat)` : ''} | speed: ${ww.vsWebCrypto.toFixed(2)}× the hand-rolled version's${ww.vsBaseline ? `, ${ww.vsBaseline.toFixed(2)}× the previous build's (${ww.nodejsCompatVsBaseline.toFixed(2)}× its speed with nodejs_compat, both with it)` : ''} |
| type declarations: total size / \`tsc --strict\` on a consumer calling one method in each of ${ty.namespaces} namespaces (median of ${ty.runs}) | ${(ty.declarationBytes.edge / 1e6).toFixed(2)} MB / ${(ty.checkMs.edge / 1000).toFixed(2)} s | ${(ty.declarationBytes.official / 1e6).toFixed(2)} MB / ${(ty.checkMs.official / 1000).toFixed(2)} s | ${(ty.declarationBytes.edge / ty.declarationBytes.official).toFixed(2)}× / ${ty.ratio.toFixed(2)}× |
| card: build + serialize ${k.elements} elements (${k.bytes} bytes), validated in wasm / unvalidated, vs an object literal + JSON.stringify | ${k.perCardMicros.builder.toFixed(0)} µs / ${k.perCardMicros.unchecked.toFixed(0)} µs | literal: ${k.perCardMicros.literal.toFixed(0)} µs | ${k.ratio.toFixed(2)}× / ${k.uncheckedRatio.toFixed(2)}× |`;
console.log(table);
// The README's benchmark table is this run's, between the markers.
const readme = `${ROOT}/README.md`;
const text = readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->', end = '<!-- bench:end -->';
if (text.includes(start) && text.includes(end)) {
  const again = results.remeasured ? ` The rows of ${results.remeasured.parts.join(', ')} measured again ${results.remeasured.date.slice(0, 10)} on Node ${results.remeasured.node}, by \`node benches/run.mjs --only=${results.remeasured.parts.join(',')}\`.` : '';
  const note = `Measured ${results.date.slice(0, 10)} on Node ${results.node}, by \`node benches/run.mjs\` (raw numbers: \`benches/results.json\`).${again}`;
  writeFileSync(readme, text.slice(0, text.indexOf(start) + start.length) + `\n${note}\n\n${table}\n` + text.slice(text.indexOf(end)));
}
