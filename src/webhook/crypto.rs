//! The platform's webhook formulas: SHA-256 event signatures, SHA-1 legacy card signatures,
//! AES-256-CBC event encryption. Plain hashes over the raw bytes, compared in constant time; the
//! primitives come from a [`Crypto`] (the host's on wasm), the formulas and checks are here.

use base64::Engine;
use subtle::ConstantTimeEq;

use super::Reason;

/// The formulas run over a [`Crypto`] (a driver file: they await its primitives).
mod host;
use crate::crypto::{CryptoError, CryptoOp, CryptoOutcome};
pub use host::{aes_key, card_signature, decrypt, decrypt_with_key, encrypt, event_signature};

/// Standard base64 (the ciphertext is public: no need for constant-time decoding).
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

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

/// The ciphertext of an `encrypt` value: its IV and the whole blocks after it (base64 and
/// length refusals as [`decrypt`] makes them).
///
/// ```
/// use feishu_edge::webhook::crypto::ciphertext;
/// let (iv, data) = ciphertext("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=").unwrap();
/// assert_eq!((iv.len(), data.len()), (16, 16));
/// assert!(ciphertext("not base64!!").is_err());
/// ```
pub fn ciphertext(encrypted: &str) -> Result<([u8; 16], Vec<u8>), Reason> {
    let raw = raw_ciphertext(encrypted)?;
    let (iv, data) = raw
        .split_first_chunk::<16>()
        .ok_or(Reason::InvalidCiphertext)?;
    Ok((*iv, data.to_vec()))
}

/// The decoded `encrypt` value, IV first, once its length is whole blocks after the IV.
pub(crate) fn raw_ciphertext(encrypted: &str) -> Result<Vec<u8>, Reason> {
    let raw = B64
        .decode(encrypted.trim())
        .map_err(|_| Reason::InvalidBase64)?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return Err(Reason::InvalidCiphertext);
    }
    Ok(raw)
}

/// The plaintext of a host's AES-256-CBC answer for `len` bytes of ciphertext: a failed or
/// mis-sized answer is [`Reason::CryptoFailed`], a bad padding [`Reason::DecryptionFailed`].
pub(crate) fn plaintext_of(answer: CryptoOutcome, len: usize) -> Result<Vec<u8>, Reason> {
    let padded = answer
        .ok()
        .filter(|p| p.len() == len)
        .ok_or(Reason::CryptoFailed)?;
    unpad(padded).ok_or(Reason::DecryptionFailed)
}

/// Lowercase hex of a host's digest of `len` bytes (anything else: [`Reason::CryptoFailed`]).
pub(crate) fn hex_digest(answer: CryptoOutcome, len: usize) -> Result<String, Reason> {
    match answer {
        Ok(d) if d.len() == len => Ok(base16ct::lower::encode_string(&d)),
        _ => Err(Reason::CryptoFailed),
    }
}

/// The parts an event or legacy card signature hashes, in order: timestamp, nonce, the secret
/// (encrypt key or verification token), the raw body.
pub(crate) fn signature_parts<'a>(
    timestamp: &'a str,
    nonce: &'a str,
    secret: &'a str,
    body: &'a [u8],
) -> [&'a [u8]; 4] {
    [
        timestamp.as_bytes(),
        nonce.as_bytes(),
        secret.as_bytes(),
        body,
    ]
}

/// `plaintext` with PKCS#7 padding to whole blocks.
fn padded(plaintext: &[u8]) -> Vec<u8> {
    let pad = 16 - plaintext.len() % 16;
    let mut padded = Vec::with_capacity(plaintext.len() + pad);
    padded.extend_from_slice(plaintext);
    padded.resize(plaintext.len() + pad, pad as u8);
    padded
}

/// The platform's `encrypt` value: base64 of the IV and the ciphertext.
fn sealed(iv: &[u8; 16], ciphertext: &[u8]) -> String {
    let mut out = iv.to_vec();
    out.extend_from_slice(ciphertext);
    B64.encode(out)
}

/// Why a [`Formula`] has no result.
///
/// ```
/// use feishu_edge::webhook::{crypto::FormulaFailure, Reason};
/// let f = FormulaFailure::Refused(Reason::InvalidBase64);
/// assert!(matches!(f, FormulaFailure::Refused(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormulaFailure {
    /// A primitive failed in the host (or answered the wrong length).
    Crypto(CryptoError),
    /// The input was refused (decryption: base64, length, padding).
    Refused(Reason),
}

/// What a [`Formula`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Sha256Hex,
    Sha1Hex,
    Decrypt,
    Encrypt,
}

/// What [`Formula::step`] asks for next.
///
/// ```
/// use feishu_edge::webhook::crypto::{Formula, FormulaStep};
/// let mut f = Formula::signature("1", "n", "key", b"{}", false);
/// assert!(matches!(f.step(None), FormulaStep::Crypto(_)));
/// ```
#[derive(Debug)]
pub enum FormulaStep<'s> {
    /// Compute this primitive and pass its outcome to the next step.
    Crypto(CryptoOp<'s>),
    /// The result: a signature's lowercase hex, a decryption's plaintext, an encryption's
    /// base64 (as bytes).
    Done(Result<Vec<u8>, FormulaFailure>),
}

/// One of the platform's formulas (a signature, a decryption, an encryption) over a host's
/// primitives, sans-IO, for the low-level helpers: [`Formula::step`] returns the primitive to
/// compute, the driver hands its outcome back.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::RustCrypto;
/// use feishu_edge::webhook::crypto::{Formula, FormulaStep};
/// let mut f = Formula::decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key");
/// let mut answer = None;
/// let plain = loop {
///     answer = match f.step(answer) {
///         FormulaStep::Crypto(op) => Some(RustCrypto.compute(&op)),
///         FormulaStep::Done(result) => break result.unwrap(),
///     };
/// };
/// assert_eq!(plain, b"hello world");
/// # }
/// ```
#[derive(Debug)]
pub struct Formula<'a> {
    work: Work,
    parts: [&'a [u8]; 4],
    nparts: usize,
    input: &'a [u8],
    key: [u8; 32],
    iv: [u8; 16],
    data: Vec<u8>,
    /// 0: not started, 1: the hash (or the AES key) asked, 2: the cipher asked, 3: done.
    stage: u8,
}

impl<'a> Formula<'a> {
    fn new(work: Work, parts: &[&'a [u8]], input: &'a [u8], iv: [u8; 16]) -> Formula<'a> {
        let mut all: [&'a [u8]; 4] = [&[]; 4];
        all[..parts.len()].copy_from_slice(parts);
        Formula {
            work,
            parts: all,
            nparts: parts.len(),
            input,
            key: [0; 32],
            iv,
            data: Vec::new(),
            stage: 0,
        }
    }

    /// `hex(SHA-256(timestamp + nonce + encrypt_key + body))` (see [`event_signature`]), or
    /// with `sha1` the legacy card's SHA-1 over the verification token ([`card_signature`]).
    pub fn signature(
        timestamp: &'a str,
        nonce: &'a str,
        secret: &'a str,
        body: &'a [u8],
        sha1: bool,
    ) -> Formula<'a> {
        let work = if sha1 { Work::Sha1Hex } else { Work::Sha256Hex };
        Formula::new(
            work,
            &signature_parts(timestamp, nonce, secret, body),
            &[],
            [0; 16],
        )
    }

    /// The plaintext of an `encrypt` value (see [`decrypt`]).
    pub fn decrypt(encrypted: &'a str, encrypt_key: &'a str) -> Formula<'a> {
        Formula::new(
            Work::Decrypt,
            &[encrypt_key.as_bytes()],
            encrypted.as_bytes(),
            [0; 16],
        )
    }

    /// The platform's encryption of `plaintext` (see [`encrypt`]).
    pub fn encrypt(plaintext: &'a [u8], encrypt_key: &'a str, iv: [u8; 16]) -> Formula<'a> {
        Formula::new(Work::Encrypt, &[encrypt_key.as_bytes()], plaintext, iv)
    }

    /// Advances with the outcome of the primitive the previous step asked for (`None` first).
    pub fn step(&mut self, answer: Option<CryptoOutcome>) -> FormulaStep<'_> {
        match self.advance(answer) {
            Some(done) => FormulaStep::Done(done),
            None => FormulaStep::Crypto(self.pending()),
        }
    }

    fn advance(
        &mut self,
        answer: Option<CryptoOutcome>,
    ) -> Option<Result<Vec<u8>, FormulaFailure>> {
        let stage = std::mem::replace(&mut self.stage, 3);
        let answer = match (stage, answer) {
            (0, None) => {
                self.stage = 1;
                return None;
            }
            (1 | 2, Some(answer)) => answer,
            _ => return Some(Err(FormulaFailure::Refused(Reason::CryptoFailed))),
        };
        let wrong = |what: &str| {
            FormulaFailure::Crypto(CryptoError(format!(
                "the host returned {what} of the wrong length"
            )))
        };
        match (self.work, stage) {
            (Work::Sha256Hex | Work::Sha1Hex, _) => {
                let len = if self.work == Work::Sha1Hex { 20 } else { 32 };
                Some(match answer {
                    Ok(d) if d.len() == len => Ok(base16ct::lower::encode_string(&d).into_bytes()),
                    Ok(_) => Err(wrong("a digest")),
                    Err(e) => Err(FormulaFailure::Crypto(e)),
                })
            }
            (Work::Decrypt, 1) => {
                let Some(key) = answer.ok().and_then(|k| <[u8; 32]>::try_from(k).ok()) else {
                    return Some(Err(FormulaFailure::Refused(Reason::CryptoFailed)));
                };
                let text = std::str::from_utf8(self.input).unwrap_or_default();
                match ciphertext(text) {
                    Ok((iv, data)) => {
                        (self.key, self.iv, self.data) = (key, iv, data);
                        self.stage = 2;
                        None
                    }
                    Err(r) => Some(Err(FormulaFailure::Refused(r))),
                }
            }
            (Work::Decrypt, _) => {
                Some(plaintext_of(answer, self.data.len()).map_err(FormulaFailure::Refused))
            }
            (Work::Encrypt, 1) => match answer {
                Ok(k) => match <[u8; 32]>::try_from(k) {
                    Ok(key) => {
                        (self.key, self.data) = (key, padded(self.input));
                        self.stage = 2;
                        None
                    }
                    Err(_) => Some(Err(wrong("a digest"))),
                },
                Err(e) => Some(Err(FormulaFailure::Crypto(e))),
            },
            (Work::Encrypt, _) => Some(match answer {
                Ok(out) if out.len() == self.data.len() => Ok(sealed(&self.iv, &out).into_bytes()),
                Ok(_) => Err(FormulaFailure::Crypto(CryptoError(
                    "the host's AES-CBC returned the wrong length".into(),
                ))),
                Err(e) => Err(FormulaFailure::Crypto(e)),
            }),
        }
    }

    /// The primitive the formula waits for.
    fn pending(&self) -> CryptoOp<'_> {
        match (self.work, self.stage) {
            (Work::Sha1Hex, _) => CryptoOp::Sha1(&self.parts[..self.nparts]),
            (Work::Decrypt, 2) => CryptoOp::Aes256CbcDecrypt {
                key: &self.key,
                iv: &self.iv,
                data: &self.data,
            },
            (Work::Encrypt, 2) => CryptoOp::Aes256CbcEncrypt {
                key: &self.key,
                iv: &self.iv,
                data: &self.data,
            },
            _ => CryptoOp::Sha256(&self.parts[..self.nparts]),
        }
    }
}

/// Removes PKCS#7 padding, looking at the whole last block whatever its value says.
fn unpad(mut data: Vec<u8>) -> Option<Vec<u8>> {
    let n = *data.last()?;
    let mut bad = u8::from(n == 0 || n > 16 || data.len() < 16);
    for (i, b) in data.iter().rev().take(16).enumerate() {
        bad |= u8::from(i < usize::from(n)) & u8::from(*b != n);
    }
    if bad != 0 {
        return None;
    }
    data.truncate(data.len() - usize::from(n));
    Some(data)
}

#[cfg(test)]
#[cfg(feature = "rustcrypto")]
mod tests {
    use super::*;
    use crate::crypto::{now, RustCrypto};

    fn dec(e: &str, k: &str) -> Result<Vec<u8>, Reason> {
        now(decrypt(&RustCrypto, e, k)).unwrap()
    }
    fn enc(p: &[u8], k: &str, iv: [u8; 16]) -> String {
        now(encrypt(&RustCrypto, p, k, iv)).unwrap().unwrap()
    }
    fn esig(t: &str, n: &str, k: &str, b: &[u8]) -> String {
        now(event_signature(&RustCrypto, t, n, k, b))
            .unwrap()
            .unwrap()
    }
    fn csig(t: &str, n: &str, k: &str, b: &[u8]) -> String {
        now(card_signature(&RustCrypto, t, n, k, b))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn protocol_vectors() {
        assert_eq!(
            dec("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key").unwrap(),
            b"hello world"
        );
        let v2 = "tT1xP+ovuc0T3b/rnZX3ax76exqAn0ANQ6/U45GcciC0mgNBc8JtvqOJGNAPMKpgRs2dVU1NYk9VDeqS8T4SYtU0hzNU54aS84WnxvZ3VFfDcy/RyABlNqlUiGyLDzFI0yxdCMT4KR/YEQXlt6nZi50KwRlZ+A75r645KesZuLMljezYyY8VeeXEVjPw35+e";
        assert_eq!(
            String::from_utf8(dec(v2, "mazhe.nerd").unwrap()).unwrap(),
            r#"{"challenge":"5634b122-c042-4634-bc7f-b07a3c3e77ad","token":"iRdCP2WwXNBXRM3mGLqhrgch3cn0gbT6","type":"url_verification"}"#
        );
        assert_eq!(
            esig(
                "1700000000",
                "test_nonce",
                "ek_secret",
                br#"{"type": "event"}"#
            ),
            "33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66"
        );
        assert_eq!(
            csig(
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
        assert_eq!(dec("not base64!!", "k"), Err(Reason::InvalidBase64));
        assert_eq!(
            dec(&B64.encode([0u8; 20]), "k"),
            Err(Reason::InvalidCiphertext)
        );
        assert_eq!(
            dec(&B64.encode([0u8; 16]), "k"),
            Err(Reason::InvalidCiphertext)
        );
        let e = enc(b"hello", "right", [1; 16]);
        assert_eq!(dec(&e, "wrong"), Err(Reason::DecryptionFailed));
    }

    #[test]
    fn signatures_compare_in_constant_time_and_ignore_hex_case() {
        let s = esig("1", "n", "k", b"{}");
        assert!(signature_matches(&s, &s.to_ascii_uppercase()));
        assert!(!signature_matches(&s, &s[..10]));
        assert!(!signature_matches(&s, ""));
    }

    #[test]
    fn padding_is_checked_here() {
        assert_eq!(unpad(vec![3; 16]), Some(vec![3; 13]));
        assert_eq!(unpad(vec![16; 16]), Some(vec![]));
        assert_eq!(unpad(vec![0; 16]), None);
        assert_eq!(unpad(vec![17; 16]), None);
        let mut v = vec![4; 16];
        v[13] = 9;
        assert_eq!(unpad(v), None);
        assert_eq!(unpad(vec![]), None);
        assert_eq!(unpad(vec![1; 3]), None);
    }

    fn formula(mut f: Formula<'_>) -> Result<Vec<u8>, FormulaFailure> {
        let mut answer = None;
        loop {
            answer = match f.step(answer) {
                FormulaStep::Crypto(op) => Some(RustCrypto.compute(&op)),
                FormulaStep::Done(done) => return done,
            };
        }
    }

    #[test]
    fn formulas_agree_with_the_helpers() {
        let sig = formula(Formula::signature(
            "1700000000",
            "test_nonce",
            "ek_secret",
            br#"{"type": "event"}"#,
            false,
        ));
        assert_eq!(
            sig.unwrap(),
            esig(
                "1700000000",
                "test_nonce",
                "ek_secret",
                br#"{"type": "event"}"#
            )
            .into_bytes()
        );
        let sig = formula(Formula::signature("1", "n", "vt", b"{}", true));
        assert_eq!(sig.unwrap(), csig("1", "n", "vt", b"{}").into_bytes());
        let sealed = formula(Formula::encrypt(b"hello", "k", [9; 16])).unwrap();
        let sealed = String::from_utf8(sealed).unwrap();
        assert_eq!(sealed, enc(b"hello", "k", [9; 16]));
        assert_eq!(formula(Formula::decrypt(&sealed, "k")).unwrap(), b"hello");
        assert_eq!(
            formula(Formula::decrypt(&sealed, "wrong")),
            Err(FormulaFailure::Refused(Reason::DecryptionFailed))
        );
        assert_eq!(
            formula(Formula::decrypt("not base64!!", "k")),
            Err(FormulaFailure::Refused(Reason::InvalidBase64))
        );
        // A host answering the wrong length fails, never passes.
        let mut f = Formula::signature("1", "n", "k", b"{}", false);
        f.step(None);
        assert!(matches!(
            f.step(Some(Ok(vec![0; 31]))),
            FormulaStep::Done(Err(FormulaFailure::Crypto(_)))
        ));
    }
}
