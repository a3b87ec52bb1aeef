// Prints the package's raw and gzip sizes and writes them to pkg/size.json.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = process.argv[2] ?? 'pkg';
const rows = [];
const walk = (d) => {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(js|wasm)$/.test(name)) {
      const buf = readFileSync(p);
      rows.push({ file: relative(dir, p), raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
    }
  }
};
walk(dir);
// The main entry's wasm; feishu-edge/webhook's is beside it under webhook/, the long
// connection's (loaded by the first WSClient, or imported by feishu-edge/ws) under wasm-ws/.
const wasm = rows.filter((r) => r.file === 'wasm/feishu_edge_bg.wasm');
const webhookWasm = rows.filter((r) => r.file === 'webhook/wasm/feishu_edge_bg.wasm');
const wsWasm = rows.filter((r) => r.file === 'wasm-ws/feishu_edge_bg.wasm');
// What one runtime loads: the wasm, the glue, the wrapper and one entry.
// The Node entry is one bundled file (glue, helper and wrapper inside) plus the wasm.
const loaded = rows.filter((r) => r.file === 'wasm/feishu_edge_bg.wasm' || r.file === 'node.js');
const sum = (rs, k) => rs.reduce((a, r) => a + r[k], 0);
const result = { files: rows, wasm: { raw: sum(wasm, 'raw'), gzip: sum(wasm, 'gzip') }, webhookWasm: { raw: sum(webhookWasm, 'raw'), gzip: sum(webhookWasm, 'gzip') }, wsWasm: { raw: sum(wsWasm, 'raw'), gzip: sum(wsWasm, 'gzip') }, loadedByNode: { raw: sum(loaded, 'raw'), gzip: sum(loaded, 'gzip') } };
for (const r of rows) console.log(`${r.file.padEnd(30)} ${String(r.raw).padStart(8)} B  ${String(r.gzip).padStart(7)} B gzip`);
console.log(`${'loaded by one runtime'.padEnd(30)} ${String(result.loadedByNode.raw).padStart(8)} B  ${String(result.loadedByNode.gzip).padStart(7)} B gzip`);
if (dir.endsWith('pkg')) writeFileSync(join(dir, 'size.json'), JSON.stringify(result, null, 2));
