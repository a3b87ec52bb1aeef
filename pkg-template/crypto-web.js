// The core's crypto primitives over WebCrypto (workerd without nodejs_compat, browsers):
// asynchronous. Only primitives live here; what is hashed, compared and refused, and the
// padding check, are the Rust core's.
//
// The arguments are views of wasm memory: each primitive copies them before its first await.
// WebCrypto's AES-CBC always pads, so: encryption drops the padding block it appends (the core
// padded already); decryption appends one block that decrypts to a full padding block (the
// encryption of an empty message with the last ciphertext block as IV), so WebCrypto strips
// only that and the core sees, and checks, the message's own padding.
import { builtinNodeCrypto, nodeCryptoHost } from './crypto-node.js';

const subtle = () => globalThis.crypto.subtle;

function join(a, b, c, d) {
  const out = new Uint8Array(a.length + b.length + c.length + d.length);
  out.set(a);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  out.set(d, a.length + b.length + c.length);
  return out;
}

// The AES key is the same for every event of an app: imported once, reused while it stays.
let lastKey = null;
function aesKey(raw) {
  if (!lastKey || lastKey.raw.length !== raw.length || lastKey.raw.some((b, i) => b !== raw[i])) {
    lastKey = { raw: raw.slice(), key: subtle().importKey('raw', raw, 'AES-CBC', false, ['encrypt', 'decrypt']) };
  }
  return lastKey.key;
}

export const webCryptoHost = {
  sha256: (a, b, c, d) => subtle().digest('SHA-256', join(a, b, c, d)),
  sha1: (a, b, c, d) => subtle().digest('SHA-1', join(a, b, c, d)),
  async hmacSha256(key, data) {
    const message = data.slice();
    const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return subtle().sign('HMAC', k, message);
  },
  async aesCbcDecrypt(raw, iv, data) {
    const key = aesKey(raw);
    const first = iv.slice();
    // `data` is a view of wasm memory: after an await it may be detached (the memory grew
    // while other work ran), so its length is read before.
    const n = data.length;
    const blocks = new Uint8Array(n + 16);
    blocks.set(data);
    const k = await key;
    const padding = await subtle().encrypt({ name: 'AES-CBC', iv: blocks.subarray(n - 16, n) }, k, new Uint8Array(0));
    blocks.set(new Uint8Array(padding), n);
    return subtle().decrypt({ name: 'AES-CBC', iv: first }, k, blocks);
  },
  async aesCbcEncrypt(raw, iv, data) {
    const key = aesKey(raw);
    const [first, blocks] = [iv.slice(), data.slice()];
    const out = await subtle().encrypt({ name: 'AES-CBC', iv: first }, await key, blocks);
    return new Uint8Array(out, 0, out.byteLength - 16);
  },
};

/** node:crypto when the runtime has it built in (synchronous, faster), WebCrypto otherwise. */
export function hostCrypto() {
  const nc = builtinNodeCrypto();
  return nc ? nodeCryptoHost(nc) : webCryptoHost;
}
