// Browser entry without a bundler: fetches the wasm beside this file (top-level await).
import { startStreaming } from './instantiate.js';
import { webCryptoHost } from './crypto-web.js';

await startStreaming(fetch(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url)), webCryptoHost);

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
import * as lark from './browser.js';
export default lark;
