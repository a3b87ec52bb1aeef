//! The host's crypto behind [`Crypto`]: an object of five primitives installed by the runtime
//! entry (`pkg-template/crypto-node.js` over `node:crypto`, `crypto-web.js` over WebCrypto).
//! A primitive returns bytes (synchronous hosts: the core's future is ready at once) or a
//! promise of them (WebCrypto). Only bytes cross: what is hashed and checked stays in the core.

use crate::crypto::{whole_blocks, Crypto, CryptoError, CryptoFuture, CryptoOp, CryptoOutcome};
use crate::webhook::crypto::{Formula, FormulaFailure, FormulaStep};
use js_sys::{Promise, Uint8Array};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `{ sha256(a, b, c, d), sha1(a, b, c, d), hmacSha256(key, data), aesCbcDecrypt(key, iv,
    /// data), aesCbcEncrypt(key, iv, data) }`: hashes take four parts hashed as one (the core
    /// passes them joined in the first, the others empty), ciphers
    /// work on whole blocks without padding.
    pub type HostCrypto;
    #[wasm_bindgen(method, catch)]
    fn sha256(
        this: &HostCrypto,
        a: &[u8],
        b: &[u8],
        c: &[u8],
        d: &[u8],
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn sha1(this: &HostCrypto, a: &[u8], b: &[u8], c: &[u8], d: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = hmacSha256)]
    fn hmac_sha256(this: &HostCrypto, key: &[u8], data: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = aesCbcDecrypt)]
    fn aes_cbc_decrypt(
        this: &HostCrypto,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<JsValue, JsValue>;
    /// Optional (node:crypto): AES-256-ECB decryption of whole blocks with a decipher the host
    /// keeps per key; the core chains the blocks (CBC) itself.
    #[wasm_bindgen(method, catch, js_name = aesEcbDecrypt)]
    fn aes_ecb_decrypt(this: &HostCrypto, key: &[u8], data: &[u8]) -> Result<JsValue, JsValue>;
    /// Optional (synchronous hosts): SHA-256 of `data` written into `out` (32 bytes of wasm
    /// memory): one crossing, no value handed back.
    #[wasm_bindgen(method, catch, js_name = sha256Into)]
    fn sha256_into(this: &HostCrypto, data: &[u8], out: &mut [u8]) -> Result<(), JsValue>;
    /// Optional (synchronous hosts): `aesEcbDecrypt` written into `out` (as long as `data`).
    #[wasm_bindgen(method, catch, js_name = aesEcbDecryptInto)]
    fn aes_ecb_decrypt_into(
        this: &HostCrypto,
        key: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = aesCbcEncrypt)]
    fn aes_cbc_encrypt(
        this: &HostCrypto,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<JsValue, JsValue>;
}

/// The runtime entry's provider becomes the core's default ([`crate::crypto::install`]);
/// called by [`super::error::install`].
pub(crate) fn install_crypto(host: HostCrypto) {
    let has = |name: &str| js_sys::Reflect::has(&host, &JsValue::from_str(name)).unwrap_or(false);
    let (ecb, into) = (
        has("aesEcbDecrypt"),
        has("sha256Into") && has("aesEcbDecryptInto"),
    );
    let crypto = Arc::new(JsCrypto(host, std::cell::Cell::new(ecb), into));
    HOST.with(|h| *h.borrow_mut() = Some(crypto.clone()));
    crate::crypto::install(crypto);
}

thread_local! {
    static HOST: std::cell::RefCell<Option<Arc<JsCrypto>>> = const { std::cell::RefCell::new(None) };
}

/// A machine's [`CryptoOp`] computed by the installed host at once: `None` when there is no
/// host, or it answered with a promise (WebCrypto: the caller takes the asynchronous path).
pub(crate) fn compute_now(op: &CryptoOp<'_>) -> Option<CryptoOutcome> {
    HOST.with(|h| h.borrow().clone())?.compute_now(op)
}

/// [`Crypto`] over the installed host object; `true` while its `aesEcbDecrypt` is used (it is
/// given up for `aesCbcDecrypt` the first time it fails); `true` when the host writes digests
/// and deciphered blocks straight into wasm memory (`sha256Into`, `aesEcbDecryptInto`).
pub struct JsCrypto(HostCrypto, std::cell::Cell<bool>, bool);

/// A primitive started at the host: its answer now, or a promise of it.
enum Started {
    Now(Vec<u8>),
    Later(Promise),
}

/// The host's value as bytes (a view or a buffer).
fn bytes_of(value: JsValue) -> Vec<u8> {
    match value.dyn_into::<Uint8Array>() {
        Ok(view) => view.to_vec(),
        Err(buffer) => Uint8Array::new(&buffer).to_vec(),
    }
}

/// What the host returned: bytes, or a promise of them.
fn started(result: Result<JsValue, JsValue>) -> Result<Started, CryptoError> {
    let value = result.map_err(host_error)?;
    Ok(match value.dyn_into::<Promise>() {
        Ok(promise) => Started::Later(promise),
        Err(value) => Started::Now(bytes_of(value)),
    })
}

impl JsCrypto {
    /// Starts `op` at the host (digests and deciphered blocks written into wasm memory where
    /// it can); `true` with the answer when it is ECB-deciphered blocks to chain.
    fn start(&self, op: &CryptoOp<'_>) -> (Result<Started, CryptoError>, bool) {
        match *op {
            CryptoOp::Sha256(parts) if self.2 => {
                let mut out = [0u8; 32];
                let done = match parts {
                    [one] => self.0.sha256_into(one, &mut out),
                    _ => self.0.sha256_into(&parts.concat(), &mut out),
                };
                (
                    done.map(|()| Started::Now(out.to_vec()))
                        .map_err(host_error),
                    false,
                )
            }
            // One part crosses, the others empty: a host with a one-shot hash (node:crypto's
            // `hash`) takes it without a hash object and four updates.
            CryptoOp::Sha256(parts) => (
                started(joined(parts, |one| self.0.sha256(one, &[], &[], &[]))),
                false,
            ),
            CryptoOp::Sha1(parts) => (
                started(joined(parts, |one| self.0.sha1(one, &[], &[], &[]))),
                false,
            ),
            CryptoOp::Aes256CbcDecrypt { key, iv, data } => {
                if let Err(e) = whole_blocks(data) {
                    return (Err(e), false);
                }
                // The host deciphers the blocks (a kept ECB decipher), the chaining is done
                // here; a host whose ECB fails is not asked again.
                if self.1.get() && self.2 {
                    let mut out = vec![0u8; data.len()];
                    if self.0.aes_ecb_decrypt_into(key, data, &mut out).is_ok() {
                        return (Ok(Started::Now(out)), true);
                    }
                    self.1.set(false);
                } else if self.1.get() {
                    match self.0.aes_ecb_decrypt(key, data) {
                        Ok(value) => return (started(Ok(value)), true),
                        Err(_) => self.1.set(false),
                    }
                }
                (started(self.0.aes_cbc_decrypt(key, iv, data)), false)
            }
            CryptoOp::Aes256CbcEncrypt { key, iv, data } => match whole_blocks(data) {
                Ok(()) => (started(self.0.aes_cbc_encrypt(key, iv, data)), false),
                Err(e) => (Err(e), false),
            },
        }
    }

    /// The host's bytes for `op` as its answer: ECB blocks chained (CBC: each block XORed
    /// with the one before it, the IV for the first), a cipher's length checked.
    fn answer(op: &CryptoOp<'_>, mut out: Vec<u8>, chain: bool) -> CryptoOutcome {
        match *op {
            CryptoOp::Aes256CbcDecrypt { iv, data, .. }
            | CryptoOp::Aes256CbcEncrypt { iv, data, .. } => {
                if out.len() != data.len() {
                    return Err(CryptoError(
                        "the host's AES-CBC returned the wrong length".into(),
                    ));
                }
                if chain {
                    let (first, rest) = out.split_at_mut(16);
                    first.iter_mut().zip(iv).for_each(|(b, x)| *b ^= x);
                    rest.iter_mut().zip(data).for_each(|(b, x)| *b ^= x);
                }
                Ok(out)
            }
            _ => Ok(out),
        }
    }

    /// One [`CryptoOp`] at once; `None` when the host answered with a promise.
    fn compute_now(&self, op: &CryptoOp<'_>) -> Option<CryptoOutcome> {
        match self.start(op) {
            (Ok(Started::Now(out)), chain) => Some(Self::answer(op, out, chain)),
            (Ok(Started::Later(_)), _) => None,
            (Err(e), _) => Some(Err(e)),
        }
    }

    /// One [`CryptoOp`], waiting for the host's promise if it made one.
    async fn compute(&self, op: CryptoOp<'_>) -> CryptoOutcome {
        let (started, chain) = self.start(&op);
        let out = match started? {
            Started::Now(out) => out,
            Started::Later(promise) => bytes_of(JsFuture::from(promise).await.map_err(host_error)?),
        };
        Self::answer(&op, out, chain)
    }
}

/// A digest of the right length.
fn digest<const N: usize>(answer: CryptoOutcome) -> Result<[u8; N], CryptoError> {
    answer?
        .try_into()
        .map_err(|_| CryptoError("the host returned a digest of the wrong length".into()))
}

fn host_error(e: JsValue) -> CryptoError {
    CryptoError(super::describe(&e))
}

/// Calls a hash primitive with the parts joined into one (a host with a one-shot hash, like
/// node:crypto's `hash`, then needs no hash object and no updates).
fn joined(
    parts: &[&[u8]],
    hash: impl FnOnce(&[u8]) -> Result<JsValue, JsValue>,
) -> Result<JsValue, JsValue> {
    match parts {
        [one] => hash(one),
        _ => hash(&parts.concat()),
    }
}

impl Crypto for JsCrypto {
    fn sha256<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 32]> {
        Box::pin(async move { digest(self.compute(CryptoOp::Sha256(parts)).await) })
    }
    fn sha1<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 20]> {
        Box::pin(async move { digest(self.compute(CryptoOp::Sha1(parts)).await) })
    }
    fn hmac_sha256<'a>(&'a self, key: &'a [u8], data: &'a [u8]) -> CryptoFuture<'a, [u8; 32]> {
        let called = started(self.0.hmac_sha256(key, data));
        Box::pin(async move {
            digest(match called? {
                Started::Now(out) => Ok(out),
                Started::Later(p) => JsFuture::from(p).await.map(bytes_of).map_err(host_error),
            })
        })
    }
    fn aes256_cbc_decrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>> {
        Box::pin(self.compute(CryptoOp::Aes256CbcDecrypt { key, iv, data }))
    }
    fn aes256_cbc_encrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>> {
        Box::pin(self.compute(CryptoOp::Aes256CbcEncrypt { key, iv, data }))
    }
}

/// Runs a formula for a low-level export: its value at once when the host is synchronous
/// (each primitive answered in this call); otherwise a promise with `wait`, or, without, a
/// `config` error naming the async variant. `make` builds the formula over the inputs, `done`
/// turns its result into the export's value.
pub(crate) fn run_formula<I: 'static>(
    name: &str,
    wait: bool,
    inputs: I,
    make: for<'a> fn(&'a I) -> Formula<'a>,
    done: fn(&I, Result<Vec<u8>, FormulaFailure>) -> Result<JsValue, JsValue>,
) -> Result<JsValue, JsValue> {
    let crypto = provider()?;
    if host_is_synchronous() {
        let mut formula = make(&inputs);
        let mut answer = None;
        return loop {
            answer = match formula.step(answer) {
                FormulaStep::Crypto(op) => Some(compute_now(&op).unwrap_or_else(|| {
                    Err(CryptoError("the host answered with a promise".into()))
                })),
                FormulaStep::Done(result) => break done(&inputs, result),
            };
        };
    }
    if !wait {
        return Err(super::error::to_js(&crate::Error::Config(format!(
            "{name}() is synchronous and this runtime's crypto (WebCrypto) is not: use `await {name}Async(...)`"
        ))));
    }
    Ok(super::to_promise(Box::pin(async move {
        let mut formula = make(&inputs);
        let mut answer = None;
        loop {
            answer = match formula.step(answer) {
                FormulaStep::Crypto(op) => Some(crate::drive::webhook::compute(&*crypto, op).await),
                FormulaStep::Done(result) => return done(&inputs, result),
            };
        }
    }))
    .into())
}

thread_local! {
    static SYNCHRONOUS: std::cell::OnceCell<bool> = const { std::cell::OnceCell::new() };
}

/// Whether the installed host crypto answers at once (`node:crypto`), not with promises
/// (WebCrypto): the synchronous webhook path needs it. Asked once.
pub(crate) fn host_is_synchronous() -> bool {
    SYNCHRONOUS.with(|s| *s.get_or_init(|| compute_now(&CryptoOp::Sha256(&[b""])).is_some()))
}

/// The installed provider, or the `config` error that says none is.
pub(crate) fn provider() -> Result<Arc<dyn Crypto>, JsValue> {
    crate::crypto::default_crypto().map_err(|e| super::error::to_js(&e))
}
