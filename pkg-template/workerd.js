// Cloudflare Workers / workerd entry: wrangler and Miniflare import .wasm as a compiled module.
import wasmModule from './wasm/feishu_edge_bg.wasm';
import { start } from './instantiate.js';
import { hostCrypto } from './crypto-web.js';

// node:crypto with the nodejs_compat flag (synchronous), WebCrypto without it.
start(wasmModule, hostCrypto());

export * from './client.js';
export * from './webhook.js';
export { WSClient } from './ws.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
export { withTenantToken, withUserAccessToken, withTenantKey, withHelpDeskCredential, withAll } from './catalog.js';
export { sendWebhook, messageBody, messageCard } from './helpers.js';
// The official node-sdk's other runtime names (official.js).
export * from './official.js';
// `import lark from 'feishu-edge'` (code written against the CommonJS node-sdk): every name.
import * as lark from './workerd.js';
export default lark;
