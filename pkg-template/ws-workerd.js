// `feishu-edge/ws` on Cloudflare Workers / workerd: WSClient with the long connection's wasm,
// which the main entry leaves out (a Worker that never imports this does not carry it).
// The main entry is imported too: the dispatcher and the de-duplication live in its wasm.
import wsModule from './wasm-ws/feishu_edge_bg.wasm';
import './workerd.js';
import { setWsLoader, startWs } from './ws.js';

// Instantiated by the first WSClient.
setWsLoader(() => startWs(wsModule));

export { WSClient } from './ws.js';
export { FeishuError } from './internal.js';
