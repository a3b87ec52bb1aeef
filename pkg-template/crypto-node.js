// The core's crypto primitives over node:crypto (Node; Deno and workerd with nodejs_compat
// offer it too). Synchronous: a signature or decryption needs no promise. Only primitives live
// here; what is hashed, compared and refused is the Rust core's.

/** The provider over a `node:crypto` module object, or a function returning it on first use. */
export function nodeCryptoHost(module) {
  let loaded = typeof module === 'function' ? null : module;
  const nc = () => (loaded ??= module());
  // One part (the core joins them): node:crypto's one-shot `hash` where it has one (Node 20.12+).
  const hash = (algorithm) => (a, b, c, d) => (b.length + c.length + d.length === 0 && typeof nc().hash === 'function'
    ? nc().hash(algorithm, a, 'buffer')
    : nc().createHash(algorithm).update(a).update(b).update(c).update(d).digest());
  // Whole blocks, no padding (the core pads and checks): update() returns every block.
  const cbc = (decrypt) => (key, iv, data) => {
    const cipher = (decrypt ? nc().createDecipheriv : nc().createCipheriv)('aes-256-cbc', key, iv).setAutoPadding(false);
    const out = cipher.update(data);
    cipher.final();
    return out;
  };
  // One ECB decipher kept for the last key (an app's events share it): it has no state
  // between blocks, so it serves every event; the core does the CBC chaining and the padding.
  let kept = null;
  const empty = new Uint8Array(0);
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const ecbDecrypt = (key, data) => {
    if (!kept || !same(kept.key, key)) {
      const copy = key.slice(); // `key` is a view of wasm memory
      kept = { key: copy, decipher: nc().createDecipheriv('aes-256-ecb', copy, new Uint8Array(0)).setAutoPadding(false) }; // an empty IV: workerd's node:crypto refuses null
    }
    return kept.decipher.update(data);
  };
  const sha256 = hash('sha256');
  return {
    aesEcbDecrypt: ecbDecrypt,
    // The same, written into `out` (a view of wasm memory): one crossing, nothing handed back.
    aesEcbDecryptInto: (key, data, out) => {
      const blocks = ecbDecrypt(key, data);
      if (blocks.length !== out.length) throw new RangeError('AES-ECB returned the wrong length');
      out.set(blocks);
    },
    sha256Into: (data, out) => out.set(sha256(data, empty, empty, empty)),
    sha256,
    sha1: hash('sha1'),
    hmacSha256: (key, data) => nc().createHmac('sha256', key).update(data).digest(),
    aesCbcDecrypt: cbc(true),
    aesCbcEncrypt: cbc(false),
  };
}

/** node:crypto where the runtime offers it synchronously (`process.getBuiltinModule`), else null. */
export function builtinNodeCrypto() {
  try {
    return globalThis.process?.getBuiltinModule?.('node:crypto') ?? null;
  } catch {
    return null;
  }
}
