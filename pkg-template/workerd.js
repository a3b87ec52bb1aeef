// Cloudflare Workers / workerd entry: wrangler and Miniflare import .wasm as a compiled module.
import wasmModule from './wasm/feishu_edge_bg.wasm';
import { start } from './instantiate.js';

start(wasmModule);

export * from './client.js';
export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
export { withTenantToken, withUserAccessToken, withTenantKey, withAll } from './catalog.js';
export { sendWebhook, messageBody } from './helpers.js';
