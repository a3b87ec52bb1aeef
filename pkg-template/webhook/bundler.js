// feishu-edge/webhook for Deno and bundlers: events and card callbacks only.
import './wasm/feishu_edge.js';
import { install } from './wasm/feishu_edge_bg.js';
import { FeishuError } from './internal.js';
import { hostCrypto } from './crypto-web.js';

install(FeishuError, hostCrypto());

export * from './webhook.js';
export * from './card.js';
export { FeishuStateObject, durableObjectStore, denoKvStore, redisStore } from './stores.js';
