// Instantiates the wasm core from a compiled WebAssembly.Module and wires it to the glue.
// Every runtime entry (node.js, workerd.js, browser.js) goes through here.
import * as glue from './wasm/feishu_edge_bg.js';
import { imports } from './wasm/imports.js';
import { FeishuError } from './internal.js';

/**
 * Synchronous start from an already compiled module (Node, workerd), with the host's crypto
 * (installed with the FeishuError class the core throws).
 */
export function start(module, crypto) {
  finish(new WebAssembly.Instance(module, imports), crypto);
}

/** Asynchronous start from a fetch() Response (browsers without a bundler). */
export async function startStreaming(response, crypto) {
  const source = await response;
  const { instance } = typeof WebAssembly.instantiateStreaming === 'function'
    ? await WebAssembly.instantiateStreaming(source, imports)
    : await WebAssembly.instantiate(await source.arrayBuffer(), imports);
  finish(instance, crypto);
}

function finish(instance, crypto) {
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  glue.install(FeishuError, crypto);
}
