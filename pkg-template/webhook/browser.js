// feishu-edge/webhook in browsers without a bundler: events and card callbacks only.
import { startStreaming } from './instantiate.js';
import { webCryptoHost } from './crypto-web.js';

await startStreaming(fetch(new URL('./wasm/feishu_edge_bg.wasm', import.meta.url)), webCryptoHost);

export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
