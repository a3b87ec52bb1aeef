//! The [`Crypto`] trait (a driver file: the core asks for primitives as [`CryptoOp`] steps and
//! never awaits one: `super::CryptoOp`), its boxed futures, the provider installed as the default, and
//! [`RustCrypto`]'s implementation of it.

#[cfg(feature = "rustcrypto")]
use super::whole_blocks;
use super::CryptoError;
#[cfg(feature = "rustcrypto")]
use super::RustCrypto;
use crate::runtime::BoxFuture;
use std::sync::Arc;

/// A primitive's future.
pub type CryptoFuture<'a, T> = BoxFuture<'a, Result<T, CryptoError>>;

/// The primitives. Hashes take their input in parts (hashed as if concatenated), so the core
/// never copies a body to prepend a timestamp.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::{now, Crypto, RustCrypto};
/// let digest = now(RustCrypto.sha256(&[b"a", b"bc"])).unwrap().unwrap();
/// assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]); // SHA-256("abc")
/// # }
/// ```
pub trait Crypto: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// SHA-256 of the parts' concatenation.
    fn sha256<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 32]>;
    /// SHA-1 of the parts' concatenation (legacy card callbacks only).
    fn sha1<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 20]>;
    /// HMAC-SHA256 of `data` under `key`.
    fn hmac_sha256<'a>(&'a self, key: &'a [u8], data: &'a [u8]) -> CryptoFuture<'a, [u8; 32]>;
    /// AES-256-CBC decryption without padding removal: `data.len()` is a non-zero multiple of
    /// 16 and the result has the same length (the caller checks the padding).
    fn aes256_cbc_decrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>>;
    /// AES-256-CBC encryption without padding: `data` is already padded to a multiple of 16.
    fn aes256_cbc_encrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>>;
}

/// The result of a future that is ready when polled once (a synchronous provider's), or `None`.
///
/// ```
/// assert_eq!(feishu_edge::crypto::now(async { 7 }), Some(7));
/// ```
pub fn now<F: std::future::Future>(future: F) -> Option<F::Output> {
    use futures_util::FutureExt;
    future.now_or_never()
}

thread_local! {
    static INSTALLED: std::cell::RefCell<Option<Arc<dyn Crypto>>> = const { std::cell::RefCell::new(None) };
}

/// Makes `crypto` the default provider (the npm package's runtime entries install the host's).
pub fn install(crypto: Arc<dyn Crypto>) {
    INSTALLED.with(|i| *i.borrow_mut() = Some(crypto));
}

/// The provider a dispatcher or client uses when none is given: the installed one (the host's,
/// in the npm package), else RustCrypto with the `rustcrypto` feature; with neither, a `config`
/// error that says what to do.
pub fn default_crypto() -> crate::Result<Arc<dyn Crypto>> {
    if let Some(installed) = INSTALLED.with(|i| i.borrow().clone()) {
        return Ok(installed);
    }
    #[cfg(feature = "rustcrypto")]
    return Ok(Arc::new(RustCrypto));
    #[cfg(not(feature = "rustcrypto"))]
    Err(crate::Error::Config(
        "no crypto provider: enable the `rustcrypto` feature or pass an implementation of feishu_edge::crypto::Crypto".into(),
    ))
}

#[cfg(feature = "rustcrypto")]
impl Crypto for RustCrypto {
    fn sha256<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 32]> {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        parts.iter().for_each(|p| h.update(p));
        Box::pin(std::future::ready(Ok(h.finalize().into())))
    }
    fn sha1<'a>(&'a self, parts: &'a [&'a [u8]]) -> CryptoFuture<'a, [u8; 20]> {
        use sha1::Digest;
        let mut h = sha1::Sha1::new();
        parts.iter().for_each(|p| h.update(p));
        Box::pin(std::future::ready(Ok(h.finalize().into())))
    }
    fn hmac_sha256<'a>(&'a self, key: &'a [u8], data: &'a [u8]) -> CryptoFuture<'a, [u8; 32]> {
        use hmac::{KeyInit, Mac};
        let out = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
            .map(|mac| mac.chain_update(data).finalize().into_bytes().into())
            .map_err(|_| CryptoError("HMAC key refused".into()));
        Box::pin(std::future::ready(out))
    }
    fn aes256_cbc_decrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>> {
        use aes::cipher::{block_padding::NoPadding, BlockModeDecrypt, KeyIvInit};
        let out = whole_blocks(data).and_then(|()| {
            cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
                .decrypt_padded_vec::<NoPadding>(data)
                .map_err(|_| CryptoError("AES-CBC decryption refused its input".into()))
        });
        Box::pin(std::future::ready(out))
    }
    fn aes256_cbc_encrypt<'a>(
        &'a self,
        key: &'a [u8; 32],
        iv: &'a [u8; 16],
        data: &'a [u8],
    ) -> CryptoFuture<'a, Vec<u8>> {
        use aes::cipher::{block_padding::NoPadding, BlockModeEncrypt, KeyIvInit};
        // NoPadding panics on a partial block: whole_blocks rules that out first.
        let out = whole_blocks(data).map(|()| {
            cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
                .encrypt_padded_vec::<NoPadding>(data)
        });
        Box::pin(std::future::ready(out))
    }
}
