//! [`parse`]: the [`Parsing`] machine run over a [`Crypto`] (a driver file: it awaits the
//! primitives the machine asks for; every check and refusal is the machine's).

use super::super::{Flow, Headers, Reason, WebhookConfig};
use super::{Inbound, ParseStep, Parsing};
use crate::crypto::{Crypto, CryptoOp};

/// Verifies and parses one webhook request. `now_secs` is the current Unix time; the
/// primitives come from `crypto`. The steps are [`Parsing`]'s: this only computes the
/// primitives it asks for.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::{now, RustCrypto};
/// use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
/// let config = WebhookConfig::new().verification_token("vt");
/// let body = br#"{"challenge":"c1","token":"vt","type":"url_verification"}"#;
/// let parsed = now(parse(&config, &RustCrypto, body, &Headers::default(), 1_700_000_000, Flow::Event));
/// assert!(matches!(parsed, Some(Ok(Inbound::Challenge { .. }))));
/// # }
/// ```
pub async fn parse(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    body: &[u8],
    headers: &Headers,
    now_secs: u64,
    flow: Flow,
) -> Result<Inbound, Reason> {
    let mut parsing = Parsing::begin(config, body, headers, now_secs, flow);
    let mut answer = None;
    loop {
        answer = match parsing.step(answer) {
            ParseStep::Crypto(op) => Some(match op {
                CryptoOp::Sha256(parts) => crypto.sha256(parts).await.map(Vec::from),
                CryptoOp::Sha1(parts) => crypto.sha1(parts).await.map(Vec::from),
                CryptoOp::Aes256CbcDecrypt { key, iv, data } => {
                    crypto.aes256_cbc_decrypt(key, iv, data).await
                }
                CryptoOp::Aes256CbcEncrypt { key, iv, data } => {
                    crypto.aes256_cbc_encrypt(key, iv, data).await
                }
            }),
            ParseStep::Done(parsed) => return parsed,
        };
    }
}
