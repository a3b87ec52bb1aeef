// `feishu-edge/ws`: the long connection with its wasm (see index.d.ts).
export { WSClient, FeishuError } from './index.js';
export type * from './index.js';
