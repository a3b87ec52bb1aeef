// Builds tests/core-wasm (feishu-edge with default-features = false) for wasm32 and checks that
// the module needs no imports (no JS glue, no host) and that its protocol checks all pass.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
execFileSync('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--quiet'], { cwd: dir, stdio: 'inherit' });
const bytes = readFileSync(`${dir}target/wasm32-unknown-unknown/release/feishu_edge_core_wasm.wasm`);
const module = new WebAssembly.Module(bytes);
let passed = 0, failed = 0;
const report = (ok, name) => { if (ok) passed++; else failed++; console.log(`${ok ? 'ok' : 'not ok'} - ${name}`); };
const imports = WebAssembly.Module.imports(module);
report(imports.length === 0, `the core alone on wasm32 imports nothing (${imports.map((i) => `${i.module}.${i.name}`).join(', ') || 'no imports'}; ${bytes.length} bytes)`);
const { exports } = new WebAssembly.Instance(module, {});
const bits = exports.check();
report(bits === 0b111111, `signatures, decryption, the trust model, parsing and cards run in it (checks passed: ${bits.toString(2).padStart(6, '0')})`);
console.log(`core-wasm: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
