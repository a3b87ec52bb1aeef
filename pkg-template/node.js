// Node 18+ entry: reads the wasm next to this file and compiles it synchronously (no top-level await).
// Built-ins come through require(): an ESM import of node:crypto costs milliseconds at start-up
// (Node loads it lazily), so it is loaded on the first signature or decryption instead.
import { createRequire } from 'node:module';
import { start } from './instantiate.js';
import { nodeCryptoHost } from './crypto-node.js';
import { setFallbackSocket, setWsLoader, startWs } from './ws.js';
import { setNodeRequire } from './internal.js';

const require = createRequire(import.meta.url);
const wasm = require('node:fs').readFileSync(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url));
start(new WebAssembly.Module(wasm), nodeCryptoHost(() => require('node:crypto')));
// Built-ins the facades load on first use (downloads' writeFile and streams, a random IV on Node 18).
setNodeRequire(require);
// WSClient on Node 18/20 (no global WebSocket): the project's `ws` package, loaded on first use.
setFallbackSocket(() => { try { return require('ws'); } catch { return null; } });
// The long connection's wasm, read and instantiated by the first WSClient only.
setWsLoader(() => startWs(new WebAssembly.Module(require('node:fs').readFileSync(new URL('./wasm-ws/feishu_edge_bg.wasm', import.meta.url)))));

export * from './client.js';
export * from './webhook.js';
export { WSClient } from './ws.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
export { withTenantToken, withUserAccessToken, withTenantKey, withHelpDeskCredential, withAll } from './catalog.js';
export { sendWebhook, messageBody, messageCard } from './helpers.js';
// The synchronous low-level helpers: node:crypto is always synchronous here.
export * from './sync-helpers.js';
// The official Node server adapters (Node only).
export { adaptDefault, adaptExpress, adaptKoa, adaptKoaRouter } from './adapters.js';
// The official node-sdk's other runtime names (official.js).
export * from './official.js';
// `import lark from 'feishu-edge'` (code written against the CommonJS node-sdk): every name.
import * as lark from './node.js';
export default lark;
