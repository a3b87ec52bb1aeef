// What the low-level helpers share, synchronous (`wait: false`) or asynchronous: the calls into
// the core. Not a public module: webhook.js exports the `…Async` helpers over it, and
// sync-helpers.js the synchronous ones (Node and Deno entries only).
import { computeSignature as sign, encryptEventRaw } from './wasm/feishu_edge_bg.js';
import { randomFill } from './internal.js';
import { HEADERS } from './generated/protocol.js';

export function signatureOf({ timestamp, nonce, key, body, algorithm }, wait) {
  return sign(String(timestamp), String(nonce), key, body, algorithm, undefined, wait);
}

export function verified({ timestamp, nonce, key, body, signature, algorithm }, wait) {
  return sign(String(timestamp), String(nonce), key, body, algorithm, String(signature ?? ''), wait);
}

export function sealed(payload, encryptKey, iv = randomFill(new Uint8Array(16)), wait) {
  const plain = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
  return encryptEventRaw(plain, encryptKey, iv, wait);
}

// The signing recipe once, for both: each crypto step is yielded and run synchronously or awaited.
export function* signing(payload, { encryptKey, verificationToken, timestamp = Math.floor(Date.now() / 1000), nonce = Math.random().toString(36).slice(2), legacyCard = false, iv } = {}) {
  const plain = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  let body = plain;
  if (encryptKey && !legacyCard) body = JSON.stringify({ encrypt: yield { call: (wait) => sealed(plain, encryptKey, iv, wait) } });
  const key = legacyCard ? verificationToken : encryptKey;
  if (key) {
    headers[HEADERS.timestamp] = String(timestamp);
    headers[HEADERS.nonce] = nonce;
    const input = { timestamp, nonce, key, body, algorithm: legacyCard ? 'sha1' : 'sha256' };
    headers[HEADERS.signature] = yield { call: (wait) => signatureOf(input, wait) };
  }
  return { body, headers };
}
