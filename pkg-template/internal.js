// Package-internal helpers shared by the public modules (not exported from the package).
import { registerErrorClass } from './wasm/feishu_edge_bg.js';

const cores = new WeakMap();
let errorClass;

/** The wasm core behind a FeishuClient. */
export const coreOf = (client) => cores.get(client);
export const setCore = (client, core) => cores.set(client, core);

/** Registers the FeishuError class with the wasm side once (lazily: wasm must be ready). */
export function ready(FeishuError) {
  if (FeishuError) errorClass = FeishuError;
  if (errorClass && !ready.done) {
    registerErrorClass(errorClass);
    ready.done = true;
  }
}
