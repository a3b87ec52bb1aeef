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
