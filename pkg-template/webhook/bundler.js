// feishu-edge/webhook for Deno and bundlers: events and card callbacks only.
import './wasm/feishu_edge.js';
import { installCrypto } from './wasm/feishu_edge_bg.js';
import { hostCrypto } from './crypto-web.js';

installCrypto(hostCrypto());

export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
