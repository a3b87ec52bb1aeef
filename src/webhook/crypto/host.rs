//! The formulas of [`super`] run over a [`Crypto`] (a driver file: each awaits the host's
//! primitives; what is hashed, the padding and every refusal are the core's: `signature_parts`,
//! `ciphertext`, `unpad`, `padded`, `sealed`).

use super::super::Reason;
use super::{ciphertext, padded, sealed, signature_parts, unpad};
use crate::crypto::{Crypto, CryptoError};

/// `lowercase hex(SHA-256(timestamp + nonce + encrypt_key + body))`.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::{crypto::{now, RustCrypto}, webhook::crypto::event_signature};
/// let sig = now(event_signature(&RustCrypto, "1700000000", "test_nonce", "ek_secret", br#"{"type": "event"}"#));
/// assert_eq!(sig.unwrap().unwrap(), "33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66");
/// # }
/// ```
pub async fn event_signature(
    crypto: &dyn Crypto,
    timestamp: &str,
    nonce: &str,
    encrypt_key: &str,
    body: &[u8],
) -> Result<String, CryptoError> {
    let parts = signature_parts(timestamp, nonce, encrypt_key, body);
    Ok(base16ct::lower::encode_string(
        &crypto.sha256(&parts).await?,
    ))
}

/// `lowercase hex(SHA-1(timestamp + nonce + verification_token + body))`: the legacy card URL.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::{crypto::{now, RustCrypto}, webhook::crypto::card_signature};
/// let sig = now(card_signature(&RustCrypto, "1700000000", "test_nonce", "vt_secret",
///     br#"{"open_id":"ou_x","action":{"tag":"button","value":{"k":"v"}}}"#));
/// assert_eq!(sig.unwrap().unwrap(), "dd1184544f82c2ac404037d6cbc77fcb6aa72dda");
/// # }
/// ```
pub async fn card_signature(
    crypto: &dyn Crypto,
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    body: &[u8],
) -> Result<String, CryptoError> {
    let parts = signature_parts(timestamp, nonce, verification_token, body);
    Ok(base16ct::lower::encode_string(&crypto.sha1(&parts).await?))
}

/// The AES key: SHA-256 of the encrypt key.
pub async fn aes_key(crypto: &dyn Crypto, encrypt_key: &str) -> Result<[u8; 32], CryptoError> {
    crypto.sha256(&[encrypt_key.as_bytes()]).await
}

/// Decrypts an `{"encrypt": "..."}` payload: base64 → IV (16 bytes) + AES-256-CBC, key
/// SHA-256(encrypt key), PKCS#7 checked here (in constant time over the last block).
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::{crypto::{now, RustCrypto}, webhook::crypto::decrypt};
/// let plain = now(decrypt(&RustCrypto, "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key")).unwrap();
/// assert_eq!(plain.unwrap(), b"hello world");
/// # }
/// ```
pub async fn decrypt(
    crypto: &dyn Crypto,
    encrypted: &str,
    encrypt_key: &str,
) -> Result<Vec<u8>, Reason> {
    let key = aes_key(crypto, encrypt_key)
        .await
        .map_err(|_| Reason::CryptoFailed)?;
    decrypt_with_key(crypto, encrypted, &key).await
}

/// [`decrypt`] with the AES key already derived (a dispatcher derives it once).
pub async fn decrypt_with_key(
    crypto: &dyn Crypto,
    encrypted: &str,
    aes_key: &[u8; 32],
) -> Result<Vec<u8>, Reason> {
    let (iv, data) = ciphertext(encrypted)?;
    let padded = crypto
        .aes256_cbc_decrypt(aes_key, &iv, &data)
        .await
        .map_err(|_| Reason::CryptoFailed)?;
    unpad(padded).ok_or(Reason::DecryptionFailed)
}

/// Encrypts like the platform does (for tests and users' own test suites): base64(IV +
/// AES-256-CBC(PKCS#7-padded plaintext)).
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::{crypto::{now, RustCrypto}, webhook::crypto::{decrypt, encrypt}};
/// let e = now(encrypt(&RustCrypto, b"{\"a\":1}", "k", [7; 16])).unwrap().unwrap();
/// assert_eq!(now(decrypt(&RustCrypto, &e, "k")).unwrap().unwrap(), b"{\"a\":1}");
/// # }
/// ```
pub async fn encrypt(
    crypto: &dyn Crypto,
    plaintext: &[u8],
    encrypt_key: &str,
    iv: [u8; 16],
) -> Result<String, CryptoError> {
    let key = aes_key(crypto, encrypt_key).await?;
    let padded = padded(plaintext);
    let out = crypto.aes256_cbc_encrypt(&key, &iv, &padded).await?;
    Ok(sealed(&iv, &out))
}
