// feishu-edge/webhook for Node: events and card callbacks only, on its own smaller wasm build
// without the client pipeline.
import { createRequire } from 'node:module';
import { start } from './instantiate.js';
import { nodeCryptoHost } from './crypto-node.js';
import { setNodeRequire } from './internal.js';

// As the main entry: built-ins through require(), node:crypto on first use.
const require = createRequire(import.meta.url);
const wasm = require('node:fs').readFileSync(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url));
start(new WebAssembly.Module(wasm), nodeCryptoHost(() => require('node:crypto')));
setNodeRequire(require);

export * from './webhook.js';
export * from './sync-helpers.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
