// `feishu-edge/ws` for Deno and bundlers: WSClient with the long connection's wasm, imported
// as an ES module (instantiated by wasm-bindgen's entry), which the main entry leaves out.
// The main entry is imported too: the dispatcher and the de-duplication live in its wasm.
import './bundler.js';
import './wasm-ws/feishu_edge.js';
import { setWsLoader } from './ws.js';

setWsLoader(() => {});

export { WSClient } from './ws.js';
export { FeishuError } from './internal.js';
