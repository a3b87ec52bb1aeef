// Node 18+ entry: reads the wasm next to this file and compiles it synchronously (no top-level await).
import { readFileSync } from 'node:fs';
import * as nodeCrypto from 'node:crypto';
import { start } from './instantiate.js';
import { nodeCryptoHost } from './crypto-node.js';

start(new WebAssembly.Module(readFileSync(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url))), nodeCryptoHost(nodeCrypto));

export * from './client.js';
export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
export { withTenantToken, withUserAccessToken, withTenantKey, withAll } from './catalog.js';
export { sendWebhook, messageBody } from './helpers.js';
