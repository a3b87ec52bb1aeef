// The synchronous low-level helpers, exported by the Node and Deno entries only: there the
// host crypto is node:crypto, always synchronous, so they return values and never throw for
// want of it. Every entry has the `…Async` names (webhook.js), which work in every runtime.
import { decryptEvent as decrypt } from './wasm/feishu_edge_bg.js';
import { signatureOf, verified, sealed, signing } from './helpers-core.js';

/** hex SHA-256(timestamp + nonce + key + body); `algorithm: 'sha1'` for legacy card callbacks. */
export function computeSignature(input) {
  return signatureOf(input, false);
}

/** Checks `signature` against the body in constant time. */
export function verifySignature(input) {
  return verified(input, false);
}

/** Decrypts an `encrypt` value; throws FeishuError (kind 'webhook', with `reason`). */
export function decryptEvent(encrypt, encryptKey) {
  return decrypt(encrypt, encryptKey, false);
}

/** Encrypts a payload (object, string or bytes) the way the platform does (random IV unless given). */
export function encryptEvent(payload, encryptKey, iv) {
  return sealed(payload, encryptKey, iv, false);
}

/**
 * Builds the body and headers the platform would send: encrypted and SHA-256-signed with an
 * encrypt key; plain (and SHA-1-signed with `legacyCard`) otherwise.
 */
export function signEvent(payload, options = {}) {
  const steps = signing(payload, options);
  let step = steps.next();
  while (!step.done) step = steps.next(step.value.call(false));
  return step.value;
}

/**
 * The official SDK's `AESCipher`: `new AESCipher(encryptKey).decrypt(encrypted)` → the
 * plaintext (synchronous, as the official one); `decryptAsync` too.
 */
export class AESCipher {
  #key;
  constructor(key) {
    this.#key = String(key);
  }
  decrypt(encrypted) {
    return decryptEvent(encrypted, this.#key);
  }
  decryptAsync(encrypted) {
    return Promise.resolve().then(() => decrypt(encrypted, this.#key, true));
  }
}
