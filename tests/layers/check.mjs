// The layering rule, checked: no dependency cycle between the crate's top-level modules
// (src/<module>), counting every `crate::<module>` a module's non-test code names. Prints the
// graph; fails on a cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src', import.meta.url));
const graph = new Map();
// Names the crate root re-exports (src/lib.rs), by the module that defines them.
const ROOT = {
  Error: 'error', Result: 'error', ApiError: 'error', Config: 'config', Region: 'config', AppType: 'config',
  RetryPolicy: 'config', Client: 'client', ApiRequest: 'request', ApiResponse: 'request', Auth: 'request',
  Download: 'request', Paginator: 'request', Runtime: 'runtime', TokenStore: 'token', MemoryStore: 'token',
  Logger: 'log', Level: 'log', Body: 'transport', FileData: 'transport', HttpRequest: 'transport',
  HttpResponse: 'transport', Method: 'transport', Part: 'transport', ResponseStream: 'transport',
  Transport: 'transport', TransportError: 'transport',
};
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!name.endsWith('.rs')) continue;
    const top = relative(src, path).split('/')[0].replace(/\.rs$/, '');
    if (top === 'lib') continue;
    let code = readFileSync(path, 'utf8');
    const tests = code.indexOf('#[cfg(test)]');
    if (tests >= 0) code = code.slice(0, tests);
    code = code.replace(/\/\/[^\n]*/g, '');
    const deps = graph.get(top) ?? new Set();
    for (const [, name] of code.matchAll(/crate::([A-Za-z_]+)/g)) {
      const dep = ROOT[name] ?? name;
      if (dep !== top) deps.add(dep);
    }
    graph.set(top, deps);
  }
};
walk(src);
for (const [m, deps] of graph) for (const d of deps) if (!graph.has(d)) deps.delete(d);

// Tarjan's strongly connected components: any with more than one module is a cycle.
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set(), cycles = [];
const visit = (v) => {
  idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1) cycles.push(comp);
  }
};
for (const v of graph.keys()) if (!idx.has(v)) visit(v);

for (const [m, deps] of [...graph].sort()) console.log(`${m.padEnd(10)} -> ${[...deps].sort().join(', ') || '(none)'}`);
const ok = cycles.length === 0;
console.log(`${ok ? 'ok' : 'not ok'} - no dependency cycle between src/ modules${ok ? '' : `: ${cycles.map((c) => c.join(' ↔ ')).join('; ')}`}`);
console.log(`layers: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
process.exit(ok ? 0 : 1);
