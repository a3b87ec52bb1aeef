// Package size: what one runtime loads from pkg/ (wasm + glue + wrapper + entry), raw and gzip,
// beside the official SDK's JavaScript as installed (its lib/ CommonJS build, not a bundle).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './lib.mjs';

function jsUnder(dir) {
  let raw = 0, gzip = 0;
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.js')) { const b = readFileSync(p); raw += b.length; gzip += gzipSync(b, { level: 9 }).length; }
    }
  };
  walk(dir);
  return { raw, gzip };
}

export function size() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'pkg/size.json'), 'utf8'));
  const official = jsUnder(join(ROOT, 'node_modules/@larksuiteoapi/node-sdk/lib'));
  return { edge: pkg.loadedByNode, edgeWasm: pkg.wasm, officialLibJs: official, budgetGzip: 80 * 1024 };
}
