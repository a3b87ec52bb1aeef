// feishu-edge/webhook for Node: events and card callbacks only, on its own smaller wasm build
// without the client pipeline.
import { readFileSync } from 'node:fs';
import * as nodeCrypto from 'node:crypto';
import { start } from './instantiate.js';
import { nodeCryptoHost } from './crypto-node.js';

start(new WebAssembly.Module(readFileSync(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url))), nodeCryptoHost(nodeCrypto));

export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
