//! The crypto seam: the hash, MAC and block-cipher primitives the platform's formulas need,
//! computed by whoever does it best: the host on wasm (`node:crypto` in Node and Deno, WebCrypto
//! in workerd and browsers, installed by the npm package's entries), RustCrypto natively (the
//! `rustcrypto` feature).
//!
//! A [`Crypto`] only computes. What is hashed and in what order, the constant-time comparisons,
//! the padding checks and every refusal live in the core (`webhook::crypto`,
//! `api::helpers::bot_sign`), whoever computes.
//!
//! The futures of a synchronous provider (RustCrypto, `node:crypto`) are ready when created, so
//! a caller may take their result at once ([`now`]); WebCrypto's resolve later.

use crate::runtime::BoxFuture;
use std::sync::Arc;

/// A primitive's future.
pub type CryptoFuture<'a, T> = BoxFuture<'a, Result<T, CryptoError>>;

/// A primitive failed in the host (an exception from `node:crypto` or WebCrypto).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoError(pub String);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "crypto: {}", self.0)
    }
}

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

/// One primitive a core machine asks its driver to compute (a `Crypto` step): the driver hands
/// the bytes to the host (or RustCrypto) and gives the result back as a [`CryptoOutcome`].
/// What is hashed, in what order, and what the result means stay in the machine.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::{CryptoOp, RustCrypto};
/// let digest = RustCrypto.compute(&CryptoOp::Sha256(&[b"a", b"bc"])).unwrap();
/// assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]); // SHA-256("abc")
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoOp<'s> {
    /// SHA-256 of the parts' concatenation (32 bytes back).
    Sha256(&'s [&'s [u8]]),
    /// SHA-1 of the parts' concatenation (20 bytes back).
    Sha1(&'s [&'s [u8]]),
    /// AES-256-CBC decryption of whole blocks without padding removal (as long as `data`).
    Aes256CbcDecrypt {
        /// The key.
        key: &'s [u8; 32],
        /// The initialization vector.
        iv: &'s [u8; 16],
        /// The ciphertext: a non-empty whole number of 16-byte blocks.
        data: &'s [u8],
    },
    /// AES-256-CBC encryption of already padded data (as long as `data`).
    Aes256CbcEncrypt {
        /// The key.
        key: &'s [u8; 32],
        /// The initialization vector.
        iv: &'s [u8; 16],
        /// The padded plaintext: a non-empty whole number of 16-byte blocks.
        data: &'s [u8],
    },
}

impl CryptoOp<'_> {
    /// How many bytes a correct answer has: a machine refuses any other length.
    ///
    /// ```
    /// use feishu_edge::crypto::CryptoOp;
    /// assert_eq!(CryptoOp::Sha1(&[b"x"]).answer_len(), 20);
    /// ```
    pub fn answer_len(&self) -> usize {
        match self {
            CryptoOp::Sha256(_) => 32,
            CryptoOp::Sha1(_) => 20,
            CryptoOp::Aes256CbcDecrypt { data, .. } | CryptoOp::Aes256CbcEncrypt { data, .. } => {
                data.len()
            }
        }
    }
}

/// What a driver hands back for a [`CryptoOp`]: the bytes, or the host's failure.
///
/// ```
/// use feishu_edge::crypto::{CryptoError, CryptoOutcome};
/// let failed: CryptoOutcome = Err(CryptoError("the host threw".into()));
/// assert!(failed.is_err());
/// ```
pub type CryptoOutcome = Result<Vec<u8>, CryptoError>;

/// The cipher primitives' precondition, checked by every provider before it calls its cipher:
/// a non-empty whole number of 16-byte blocks.
///
/// ```
/// assert!(feishu_edge::crypto::whole_blocks(&[0; 32]).is_ok());
/// assert!(feishu_edge::crypto::whole_blocks(&[0; 15]).is_err());
/// ```
pub fn whole_blocks(data: &[u8]) -> Result<(), CryptoError> {
    match !data.is_empty() && data.len().is_multiple_of(16) {
        true => Ok(()),
        false => Err(CryptoError("AES-CBC input is not whole blocks".into())),
    }
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

/// RustCrypto (sha2, sha1, hmac, aes, cbc): pure Rust, synchronous.
#[cfg(feature = "rustcrypto")]
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCrypto;

#[cfg(feature = "rustcrypto")]
impl RustCrypto {
    /// Computes one [`CryptoOp`] at once (RustCrypto is synchronous).
    ///
    /// ```
    /// use feishu_edge::crypto::{CryptoOp, RustCrypto};
    /// assert_eq!(RustCrypto.compute(&CryptoOp::Sha1(&[b"abc"])).unwrap()[..2], [0xa9, 0x99]);
    /// ```
    pub fn compute(&self, op: &CryptoOp<'_>) -> CryptoOutcome {
        match *op {
            CryptoOp::Sha256(parts) => {
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                Ok(h.finalize().to_vec())
            }
            CryptoOp::Sha1(parts) => {
                use sha1::Digest;
                let mut h = sha1::Sha1::new();
                parts.iter().for_each(|p| h.update(p));
                Ok(h.finalize().to_vec())
            }
            CryptoOp::Aes256CbcDecrypt { key, iv, data } => {
                use aes::cipher::{block_padding::NoPadding, BlockModeDecrypt, KeyIvInit};
                whole_blocks(data).and_then(|()| {
                    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
                        .decrypt_padded_vec::<NoPadding>(data)
                        .map_err(|_| CryptoError("AES-CBC decryption refused its input".into()))
                })
            }
            CryptoOp::Aes256CbcEncrypt { key, iv, data } => {
                use aes::cipher::{block_padding::NoPadding, BlockModeEncrypt, KeyIvInit};
                // NoPadding panics on a partial block: whole_blocks rules that out first.
                whole_blocks(data).map(|()| {
                    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
                        .encrypt_padded_vec::<NoPadding>(data)
                })
            }
        }
    }
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
