// Deno and bundlers (webpack asyncWebAssembly, Vite with a wasm plugin): the wasm is imported
// as an ES module (WebAssembly/ES module integration), instantiated by wasm-bindgen's entry.
import './wasm/feishu_edge.js';
import { install } from './wasm/feishu_edge_bg.js';
import { FeishuError } from './internal.js';
import { hostCrypto } from './crypto-web.js';

// Deno has node:crypto built in (synchronous); bundled for browsers, WebCrypto.
install(FeishuError, hostCrypto());

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
import * as lark from './bundler.js';
export default lark;
