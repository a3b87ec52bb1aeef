//! From raw request bytes to a verified, decrypted, normalized [`Inbound`].
//!
//! Order: size and content-type → UTF-8 → depth → outer JSON → signature over the raw bytes
//! (timestamp tolerance first) → decryption → token → event shape. Every failure is a
//! [`Reason`]; nothing here panics on any input.

use super::crypto::{
    aes_key, card_signature, decrypt_with_key, event_signature, secure_eq, signature_matches,
};
use super::{Flow, Headers, Reason, WebhookConfig};
use crate::crypto::Crypto;
use crate::json::{quote, too_deep, ObjectWriter, RawFields};

/// The event's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Schema 1.0 (`{"uuid","token","ts","type":"event_callback","event":{...}}`).
    V1,
    /// Schema 2.0 (`{"schema":"2.0","header":{...},"event":{...}}`).
    V2,
    /// A legacy card request URL callback (no schema, not encrypted, SHA-1 signed).
    LegacyCard,
}

impl Schema {
    /// Its name, as handlers see it in `ctx.schema`: `1.0`, `2.0` or `card`.
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::V1 => "1.0",
            Schema::V2 => "2.0",
            Schema::LegacyCard => "card",
        }
    }
}

/// A verified event or callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its schema.
    pub schema: Schema,
    /// `header.event_type` (2.0), `event.type` (1.0), empty for legacy card callbacks.
    pub event_type: String,
    /// `header.event_id` (2.0) or `uuid` (1.0): the de-duplication key.
    pub event_id: Option<String>,
    /// The tenant the event belongs to.
    pub tenant_key: Option<String>,
    /// The app the event is for.
    pub app_id: Option<String>,
    /// The object `@larksuiteoapi/node-sdk` hands its handlers: 2.0 → `{event_type, ...rest,
    /// ...header, ...event}`, 1.0 → `{event_type, ...event, ...rest}`, as JSON.
    pub payload: String,
}

/// What a verified request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A URL verification: answer `{"challenge": ...}`.
    Challenge {
        /// The value to echo.
        challenge: String,
    },
    /// An event or card callback to dispatch.
    Event(Event),
}

/// Verifies and parses one webhook request. `now_secs` is the current Unix time; the
/// primitives come from `crypto`.
pub async fn parse(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    body: &[u8],
    headers: &Headers,
    now_secs: u64,
    flow: Flow,
) -> Result<Inbound, Reason> {
    if body.len() > config.max_body_bytes {
        return Err(Reason::BodyTooLarge);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reason::EmptyBody);
    }
    if let Some(ct) = &headers.content_type {
        if !ct.to_ascii_lowercase().contains("json") {
            return Err(Reason::UnsupportedContentType);
        }
    }
    let text = std::str::from_utf8(body).map_err(|_| Reason::InvalidUtf8)?;
    if too_deep(text, config.max_depth) {
        return Err(Reason::JsonTooDeep);
    }
    let outer = RawFields::parse(text).ok_or(Reason::InvalidJson)?;
    let encrypted = outer.get("encrypt");
    let legacy_card = flow == Flow::Card && encrypted.is_none() && outer.get("schema").is_none();

    // Trust model: the strongest configured mechanism must vouch for the request.
    // - Legacy card callbacks (plain, no schema) are signed with SHA-1 over the verification
    //   token: without a token they cannot be verified, whatever else is configured.
    // - Everything else is signed with SHA-256 over the encrypt key when one is set; only a
    //   URL challenge may come unsigned (see below).
    // - With only a verification token, the token in the body is the check (no replay
    //   protection); with nothing configured, construction required `allow_unverified`.
    let signing_secret = match legacy_card {
        false => config.encrypt_key.as_ref().map(|k| (k.expose(), false)),
        true => match (&config.verification_token, &config.encrypt_key) {
            (Some(t), _) => Some((t.expose(), true)),
            (None, Some(_)) => return Err(Reason::UnverifiableRequest),
            (None, None) => None,
        },
    };
    let signed = match signing_secret {
        Some((secret, sha1)) => {
            match signature_headers(headers, now_secs, config.tolerance_secs)? {
                None => false,
                Some((ts, nonce, given)) => {
                    let expected = match sha1 {
                        true => card_signature(crypto, ts, nonce, secret, body).await,
                        false => event_signature(crypto, ts, nonce, secret, body).await,
                    }
                    .map_err(|_| Reason::CryptoFailed)?;
                    if !signature_matches(&expected, given) {
                        return Err(Reason::SignatureMismatch);
                    }
                    true
                }
            }
        }
        None if config.allow_unverified || config.verification_token.is_some() => true,
        None => return Err(Reason::UnverifiableRequest),
    };
    let inbound = classify(config, crypto, outer, encrypted.is_some(), legacy_card).await;
    if signed {
        return inbound;
    }
    // Unsigned while a key is configured: only a URL challenge is answered (the platform may
    // send it without signature headers), and only one that proves itself: the right
    // verification token, or, with no token configured, a body that decrypted with the key.
    // Every other outcome, decryption failures included, gets one answer, so unsigned
    // requests cannot be used as a padding oracle.
    let proven = config.verification_token.is_some() || encrypted.is_some();
    match inbound {
        Ok(challenge @ Inbound::Challenge { .. }) if proven => Ok(challenge),
        _ => Err(Reason::MissingSignature),
    }
}

/// Decrypts (when `encrypt` is present) and recognises the request's shape.
async fn classify(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    outer: RawFields<'_>,
    encrypted: bool,
    legacy_card: bool,
) -> Result<Inbound, Reason> {
    let plaintext;
    let mut fields = RawFields::default();
    if let Some(raw) = outer.get("encrypt").filter(|_| encrypted) {
        let key = config
            .encrypt_key
            .as_ref()
            .ok_or(Reason::EncryptedButNoKey)?;
        let cipher = crate::json::unquote(raw).ok_or(Reason::InvalidJson)?;
        let aes_key = match key.derived().get() {
            Some(k) => *k,
            None => {
                let k = aes_key(crypto, key.expose())
                    .await
                    .map_err(|_| Reason::CryptoFailed)?;
                *key.derived().get_or_init(|| k)
            }
        };
        plaintext = String::from_utf8(decrypt_with_key(crypto, &cipher, &aes_key).await?)
            .map_err(|_| Reason::InvalidPlaintext)?;
        if too_deep(&plaintext, config.max_depth) {
            return Err(Reason::JsonTooDeep);
        }
        fields = RawFields::parse(&plaintext).ok_or(Reason::InvalidPlaintext)?;
    }
    // Like the official SDK: the decrypted fields, then the body's other fields.
    fields
        .0
        .extend(outer.0.into_iter().filter(|(k, _)| k != "encrypt"));

    if fields.str("type").as_deref() == Some("url_verification") {
        check_token(config, fields.str("token").as_deref())?;
        let challenge = fields.str("challenge").ok_or(Reason::UnknownEventShape)?;
        return Ok(Inbound::Challenge { challenge });
    }
    let object = |key: &str| fields.get(key).and_then(RawFields::parse);

    if fields.get("schema").is_some() {
        let header = object("header").ok_or(Reason::UnknownEventShape)?;
        let event_type = header.str("event_type").ok_or(Reason::UnknownEventShape)?;
        check_token(config, header.str("token").as_deref())?;
        let mut payload = ObjectWriter::default();
        payload.field("event_type", &quote(&event_type));
        payload.fields(&fields, &["header", "event"]);
        payload.fields(&header, &[]);
        if let Some(event) = object("event") {
            payload.fields(&event, &[]);
        }
        return Ok(Inbound::Event(Event {
            schema: Schema::V2,
            event_id: header.str("event_id"),
            tenant_key: header.str("tenant_key"),
            app_id: header.str("app_id"),
            event_type,
            payload: payload.finish(),
        }));
    }
    if let Some(event) = object("event") {
        let event_type = event.str("type").ok_or(Reason::UnknownEventShape)?;
        check_token(config, fields.str("token").as_deref())?;
        let mut payload = ObjectWriter::default();
        payload.field("event_type", &quote(&event_type));
        payload.fields(&event, &[]);
        payload.fields(&fields, &["event"]);
        return Ok(Inbound::Event(Event {
            schema: Schema::V1,
            event_id: fields.str("uuid"),
            tenant_key: event.str("tenant_key"),
            app_id: event.str("app_id"),
            event_type,
            payload: payload.finish(),
        }));
    }
    if legacy_card {
        let mut payload = ObjectWriter::default();
        payload.fields(&fields, &[]);
        return Ok(Inbound::Event(Event {
            schema: Schema::LegacyCard,
            event_type: String::new(),
            event_id: None,
            tenant_key: fields.str("tenant_key"),
            app_id: None,
            payload: payload.finish(),
        }));
    }
    Err(Reason::UnknownEventShape)
}

/// The signature headers, once the timestamp is within the tolerance: `None` when all three
/// are absent.
fn signature_headers(
    headers: &Headers,
    now_secs: u64,
    tolerance: u64,
) -> Result<Option<(&str, &str, &str)>, Reason> {
    let (ts, nonce, sig) = match (&headers.timestamp, &headers.nonce, &headers.signature) {
        (None, None, None) => return Ok(None),
        (Some(t), Some(n), Some(s)) => (t.as_str(), n.as_str(), s.as_str()),
        _ => return Err(Reason::MissingSignature),
    };
    let when: u64 = ts.trim().parse().map_err(|_| Reason::InvalidTimestamp)?;
    if when.abs_diff(now_secs) > tolerance {
        return Err(Reason::StaleTimestamp);
    }
    Ok(Some((ts, nonce, sig)))
}

fn check_token(config: &WebhookConfig, found: Option<&str>) -> Result<(), Reason> {
    match (&config.verification_token, found) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(Reason::MissingToken),
        (Some(expected), Some(found))
            if secure_eq(expected.expose().as_bytes(), found.as_bytes()) =>
        {
            Ok(())
        }
        (Some(_), Some(_)) => Err(Reason::TokenMismatch),
    }
}
