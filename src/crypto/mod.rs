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

/// The seam itself (a driver file): the trait, its futures, the installed default.
mod host;
pub use host::{default_crypto, install, now, Crypto, CryptoFuture};

/// A primitive failed in the host (an exception from `node:crypto` or WebCrypto).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoError(pub String);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "crypto: {}", self.0)
    }
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
