// feishu-edge/webhook for Cloudflare Workers / workerd: events and card callbacks only.
import wasmModule from './wasm/feishu_edge_bg.wasm';
import { start } from './instantiate.js';
import { hostCrypto } from './crypto-web.js';

start(wasmModule, hostCrypto());

export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
