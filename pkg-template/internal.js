// Package-internal helpers shared by the public modules, and FeishuError (exported by the
// entries through client.js and webhook.js).
import { registerErrorClass } from './wasm/feishu_edge_bg.js';

const cores = new WeakMap();

/** Every failure the SDK reports. `kind` says which: see index.d.ts. */
export class FeishuError extends Error {
  constructor(info) {
    super(info.message);
    this.name = 'FeishuError';
    this.kind = info.kind;
    this.code = info.code ?? null;
    this.msg = info.msg ?? info.message;
    this.logId = info.logId ?? null;
    this.httpStatus = info.httpStatus ?? null;
    this.retryable = Boolean(info.retryable);
    if (info.rateLimitResetSeconds != null) this.rateLimitResetSeconds = info.rateLimitResetSeconds;
    if (info.reason != null) this.reason = info.reason;
    if (info.path != null) this.path = info.path;
  }
}


/** The wasm dispatcher behind an EventDispatcher (the long connection hands it events). */
const dispatchers = new WeakMap();
export const dispatcherCoreOf = (dispatcher) => dispatchers.get(dispatcher);
export const setDispatcherCore = (dispatcher, core) => dispatchers.set(dispatcher, core);

/** Reads an environment variable where the runtime has one (Node, Deno with --allow-env). */
export function env(name) {
  try {
    const value = globalThis.process?.env?.[name];
    if (value) return value;
  } catch { /* no process */ }
  try {
    return globalThis.Deno?.env?.get(name) || undefined;
  } catch { /* Deno without --allow-env */ }
  return undefined;
}

/** The wasm core behind a FeishuClient. */
export const coreOf = (client) => cores.get(client);
export const setCore = (client, core) => cores.set(client, core);

/** Registers the FeishuError class with the wasm side once (lazily: wasm must be ready). */
export function ready() {
  if (!ready.done) {
    registerErrorClass(FeishuError);
    ready.done = true;
  }
}
