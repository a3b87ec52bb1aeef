//! The platform's webhook formulas: SHA-256 event signatures, SHA-1 legacy card signatures,
//! AES-256-CBC event encryption. Plain hashes over the raw bytes, compared in constant time.

use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Reason;

/// Standard base64 (the ciphertext is public: no need for constant-time decoding).
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `lowercase hex(SHA-256(timestamp + nonce + encrypt_key + body))`.
///
/// ```
/// let sig = feishu_edge::webhook::crypto::event_signature("1700000000", "test_nonce", "ek_secret", br#"{"type": "event"}"#);
/// assert_eq!(sig, "33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66");
/// ```
pub fn event_signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(encrypt_key)
        .chain_update(body)
        .finalize();
    base16ct::lower::encode_string(&digest)
}

/// `lowercase hex(SHA-1(timestamp + nonce + verification_token + body))`: the legacy card URL.
///
/// ```
/// let sig = feishu_edge::webhook::crypto::card_signature("1700000000", "test_nonce", "vt_secret",
///     br#"{"open_id":"ou_x","action":{"tag":"button","value":{"k":"v"}}}"#);
/// assert_eq!(sig, "dd1184544f82c2ac404037d6cbc77fcb6aa72dda");
/// ```
pub fn card_signature(
    timestamp: &str,
    nonce: &str,
    verification_token: &str,
    body: &[u8],
) -> String {
    let digest = Sha1::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(verification_token)
        .chain_update(body)
        .finalize();
    base16ct::lower::encode_string(&digest)
}

/// Constant-time equality of two secrets' bytes (the length is not secret).
pub fn secure_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Checks a hex signature header against the expected value, in constant time; upper-case hex
/// is accepted.
pub fn signature_matches(expected_lower_hex: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    secure_eq(expected_lower_hex.as_bytes(), given.as_bytes())
}

fn aes_key(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// Decrypts an `{"encrypt": "..."}` payload: base64 → IV (16 bytes) + AES-256-CBC, key
/// SHA-256(encrypt key), PKCS#7 checked.
///
/// ```
/// let plain = feishu_edge::webhook::crypto::decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key").unwrap();
/// assert_eq!(plain, b"hello world");
/// ```
pub fn decrypt(encrypted: &str, encrypt_key: &str) -> Result<Vec<u8>, Reason> {
    let raw = B64
        .decode(encrypted.trim())
        .map_err(|_| Reason::InvalidBase64)?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return Err(Reason::InvalidCiphertext);
    }
    let (iv, data) = raw.split_at(16);
    let key = aes_key(encrypt_key);
    let iv: [u8; 16] = iv.try_into().map_err(|_| Reason::InvalidCiphertext)?;
    cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into())
        .decrypt_padded_vec::<Pkcs7>(data)
        .map_err(|_| Reason::DecryptionFailed)
}

/// Encrypts like the platform does (for tests and users' own test suites): base64(IV + AES-256-CBC).
///
/// ```
/// use feishu_edge::webhook::crypto::{decrypt, encrypt};
/// let e = encrypt(b"{\"a\":1}", "k", [7; 16]);
/// assert_eq!(decrypt(&e, "k").unwrap(), b"{\"a\":1}");
/// ```
pub fn encrypt(plaintext: &[u8], encrypt_key: &str, iv: [u8; 16]) -> String {
    let key = aes_key(encrypt_key);
    let mut out = iv.to_vec();
    out.extend(
        cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into())
            .encrypt_padded_vec::<Pkcs7>(plaintext),
    );
    B64.encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_vectors() {
        assert_eq!(
            decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key").unwrap(),
            b"hello world"
        );
        let v2 = "tT1xP+ovuc0T3b/rnZX3ax76exqAn0ANQ6/U45GcciC0mgNBc8JtvqOJGNAPMKpgRs2dVU1NYk9VDeqS8T4SYtU0hzNU54aS84WnxvZ3VFfDcy/RyABlNqlUiGyLDzFI0yxdCMT4KR/YEQXlt6nZi50KwRlZ+A75r645KesZuLMljezYyY8VeeXEVjPw35+e";
        assert_eq!(
            String::from_utf8(decrypt(v2, "mazhe.nerd").unwrap()).unwrap(),
            r#"{"challenge":"5634b122-c042-4634-bc7f-b07a3c3e77ad","token":"iRdCP2WwXNBXRM3mGLqhrgch3cn0gbT6","type":"url_verification"}"#
        );
        assert_eq!(
            event_signature(
                "1700000000",
                "test_nonce",
                "ek_secret",
                br#"{"type": "event"}"#
            ),
            "33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66"
        );
        assert_eq!(
            card_signature(
                "1700000000",
                "test_nonce",
                "vt_secret",
                br#"{"open_id":"ou_x","action":{"tag":"button","value":{"k":"v"}}}"#
            ),
            "dd1184544f82c2ac404037d6cbc77fcb6aa72dda"
        );
    }

    #[test]
    fn decrypt_failures_are_reasons() {
        assert_eq!(decrypt("not base64!!", "k"), Err(Reason::InvalidBase64));
        assert_eq!(
            decrypt(&B64.encode([0u8; 20]), "k"),
            Err(Reason::InvalidCiphertext)
        );
        assert_eq!(
            decrypt(&B64.encode([0u8; 16]), "k"),
            Err(Reason::InvalidCiphertext)
        );
        let e = encrypt(b"hello", "right", [1; 16]);
        assert_eq!(decrypt(&e, "wrong"), Err(Reason::DecryptionFailed));
    }

    #[test]
    fn signatures_compare_in_constant_time_and_ignore_hex_case() {
        let s = event_signature("1", "n", "k", b"{}");
        assert!(signature_matches(&s, &s.to_ascii_uppercase()));
        assert!(!signature_matches(&s, &s[..10]));
        assert!(!signature_matches(&s, ""));
    }
}
