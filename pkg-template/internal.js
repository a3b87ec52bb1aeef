// Package-internal helpers shared by the public modules, and FeishuError (exported by the
// entries through client.js and webhook.js).
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

/**
 * A Node built-in module without an import (an import would load it, or break bundling, in
 * every runtime): `process.getBuiltinModule` (Node 20.16+, Deno), else the Node entry's
 * `require` (Node 18 and older 20s). Undefined where neither exists (workerd, browsers).
 */
let entryRequire = null;
export function nodeBuiltin(name) {
  try {
    return globalThis.process?.getBuiltinModule?.(name) ?? entryRequire?.(name) ?? undefined;
  } catch {
    return undefined;
  }
}
/** @internal The Node entry hands its `require` over (used only on first need). */
export const setNodeRequire = (require) => { entryRequire = require; };

/** Fills `bytes` with random values: the runtime's WebCrypto, or node:crypto (Node 18). */
export function randomFill(bytes) {
  if (globalThis.crypto?.getRandomValues) return globalThis.crypto.getRandomValues(bytes);
  const nc = nodeBuiltin('node:crypto');
  if (!nc) throw new FeishuError({ kind: 'config', message: 'this runtime has no random source (globalThis.crypto or node:crypto)' });
  return nc.randomFillSync(bytes);
}

/** The wasm core behind a FeishuClient. */
export const coreOf = (client) => cores.get(client);
export const setCore = (client, core) => cores.set(client, core);

/**
 * A reply's body as bytes, reading at most `max` of them (a larger body is an error, its
 * stream cancelled): a Response, or what a custom `fetch` returns that has `arrayBuffer` or
 * `text`.
 */
export async function readLimited(res, max, signal) {
  if (!res || typeof res !== 'object') throw new Error('fetch returned no response');
  const reader = res.body?.getReader?.();
  if (reader) {
    // The deadline (or close()) wins a race with this read: cancel the stream then.
    const cancel = () => reader.cancel().catch(() => {});
    if (signal?.aborted) { cancel(); throw new Error('aborted'); }
    signal?.addEventListener('abort', cancel, { once: true });
    const chunks = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > max) throw new Error(`the reply is larger than ${max} bytes`);
        chunks.push(value);
      }
    } catch (e) {
      cancel();
      throw e;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.byteLength; }
    return out;
  }
  const bytes = typeof res.arrayBuffer === 'function' ? new Uint8Array(await res.arrayBuffer()) : new TextEncoder().encode(String(await res.text?.() ?? ''));
  if (bytes.byteLength > max) throw new Error(`the reply is larger than ${max} bytes`);
  return bytes;
}
