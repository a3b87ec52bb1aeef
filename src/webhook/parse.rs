//! From raw request bytes to a verified, decrypted, normalized [`Inbound`].
//!
//! Order: size and content-type → with an encrypt key, the signature over the raw bytes
//! (timestamp tolerance first; unsigned bodies larger than a challenge refused) → UTF-8 → depth
//! → outer JSON → the check the body's shape needs → decryption → token → event shape. Every failure is a
//! [`Reason`]; nothing here panics on any input.

use super::crypto::{
    aes_key, card_signature, decrypt_with_key, event_signature, secure_eq, signature_matches,
};
use super::{Flow, Headers, Reason, WebhookConfig};
use crate::crypto::Crypto;
use crate::json::{quote, Nested, ObjectWriter, Refusal};

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

impl Event {
    /// True for callbacks whose handler's return value is the reply the platform shows: legacy
    /// card callbacks, `card.action.trigger` and `url.preview.get`. Other events are answered
    /// `{}` whatever their handler returns.
    ///
    /// ```
    /// use feishu_edge::webhook::{Event, Schema};
    /// let e = Event { schema: Schema::V2, event_type: "card.action.trigger".into(), event_id: None, tenant_key: None, app_id: None, payload: "{}".into() };
    /// assert!(e.is_card_callback());
    /// ```
    pub fn is_card_callback(&self) -> bool {
        self.schema == Schema::LegacyCard
            || matches!(
                self.event_type.as_str(),
                "card.action.trigger" | "url.preview.get"
            )
    }
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

pub use crate::config::MAX_TRUSTED_EVENT_BYTES;

/// Parses an event that arrived over an authenticated channel (the long connection, where the
/// socket is the authentication): the same UTF-8, depth and shape checks and the same handler
/// data as [`parse`], no signature, decryption or token; its size limit is
/// [`MAX_TRUSTED_EVENT_BYTES`].
///
/// ```
/// use feishu_edge::webhook::{parse_trusted, Inbound, WebhookConfig};
/// let body = br#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1"},"event":{"x":1}}"#;
/// let Ok(Inbound::Event(e)) = parse_trusted(&WebhookConfig::new(), body) else { panic!() };
/// assert_eq!((e.event_type.as_str(), e.event_id.as_deref()), ("im.message.receive_v1", Some("e1")));
/// ```
pub fn parse_trusted(config: &WebhookConfig, body: &[u8]) -> Result<Inbound, Reason> {
    if body.len() > MAX_TRUSTED_EVENT_BYTES {
        return Err(Reason::BodyTooLarge);
    }
    let text = std::str::from_utf8(body).map_err(|_| Reason::InvalidUtf8)?;
    let body = object_within(text, config.max_depth, Reason::InvalidJson)?;
    if body.fields.get("encrypt").is_some() {
        return Err(Reason::UnknownEventShape);
    }
    shape(config, body, false, false)
}

/// The largest body accepted without a signature while an encrypt key is set. Only a URL
/// challenge may come unsigned then, and an encrypted challenge is a few hundred bytes: a
/// larger unsigned body is refused before a byte of it is parsed or decrypted.
pub const MAX_UNSIGNED_BYTES: usize = 4096;

/// Which secret a request's signature was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signer {
    /// SHA-256 over the encrypt key: events and schema 2.0 card callbacks.
    Key,
    /// SHA-1 over the verification token: legacy card callbacks.
    Token,
}

/// Verifies and parses one webhook request. `now_secs` is the current Unix time; the
/// primitives come from `crypto`. The steps: refusals that need no parsing, the signature over
/// the raw bytes (with an encrypt key), the body read, what vouches for it (`trusted`), then
/// decryption and shape (`classify`), and the rule for unsigned challenges.
pub async fn parse(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    body: &[u8],
    headers: &Headers,
    now_secs: u64,
    flow: Flow,
) -> Result<Inbound, Reason> {
    precheck(config, body, headers)?;
    // With an encrypt key, the signature over the raw bytes comes first: an unauthenticated
    // body costs one hash (or nothing, when unsigned and larger than a challenge) and is
    // never parsed or decrypted.
    let early = match &config.encrypt_key {
        Some(key) => {
            let signer =
                signer_of(config, crypto, key.expose(), body, headers, now_secs, flow).await?;
            if signer.is_none() && body.len() > MAX_UNSIGNED_BYTES {
                return Err(Reason::MissingSignature);
            }
            Some(signer)
        }
        None => None,
    };
    let text = std::str::from_utf8(body).map_err(|_| Reason::InvalidUtf8)?;
    let outer = object_within(text, config.max_depth, Reason::InvalidJson)?;
    let encrypted = outer.fields.get("encrypt").is_some();
    let legacy_card = flow == Flow::Card && !encrypted && outer.fields.get("schema").is_none();
    let signed = trusted(config, crypto, early, legacy_card, body, headers, now_secs).await?;
    let inbound = classify(config, crypto, outer, legacy_card).await;
    if signed {
        return inbound;
    }
    // Unsigned while a key is configured: only a URL challenge is answered (the platform may
    // send it without signature headers), and only one that proves itself: the right
    // verification token, or, with no token configured, a body that decrypted with the key
    // to a `url_verification` (fields beside `encrypt` are never read). Every other outcome,
    // decryption failures included, gets one answer, so unsigned requests cannot be used as
    // a padding oracle.
    let proven = config.verification_token.is_some() || encrypted;
    match inbound {
        Ok(challenge @ Inbound::Challenge { .. }) if proven => Ok(challenge),
        _ => Err(Reason::MissingSignature),
    }
}

/// The refusals that need no parsing: too large, empty, not JSON by its content type.
fn precheck(config: &WebhookConfig, body: &[u8], headers: &Headers) -> Result<(), Reason> {
    if body.len() > config.max_body_bytes {
        return Err(Reason::BodyTooLarge);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reason::EmptyBody);
    }
    match &headers.content_type {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => {
            Err(Reason::UnsupportedContentType)
        }
        _ => Ok(()),
    }
}

/// Whether the request is vouched for (`false`: unsigned, which only a proven challenge
/// survives), under the trust model: the strongest configured mechanism must vouch for it.
/// - Legacy card callbacks (plain, no schema) are signed with SHA-1 over the verification
///   token: without a token they cannot be verified, whatever else is configured.
/// - Everything else is signed with SHA-256 over the encrypt key when one is set (`early`:
///   who signed the raw bytes); only a URL challenge may come unsigned.
/// - With only a verification token, the token in the body is the check (no replay
///   protection); with nothing configured, construction required `allow_unverified`.
async fn trusted(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    early: Option<Option<Signer>>,
    legacy_card: bool,
    body: &[u8],
    headers: &Headers,
    now_secs: u64,
) -> Result<bool, Reason> {
    if let Some(signer) = early {
        let needed = match (legacy_card, &config.verification_token) {
            (false, _) => Signer::Key,
            (true, Some(_)) => Signer::Token,
            (true, None) => return Err(Reason::UnverifiableRequest),
        };
        return match signer {
            None => Ok(false),
            Some(s) if s == needed => Ok(true),
            Some(_) => Err(Reason::SignatureMismatch),
        };
    }
    match (legacy_card, &config.verification_token) {
        (true, Some(token)) => {
            let Some((ts, nonce, given)) =
                signature_headers(headers, now_secs, config.tolerance_secs)?
            else {
                return Ok(false);
            };
            let expected = card_signature(crypto, ts, nonce, token.expose(), body)
                .await
                .map_err(|_| Reason::CryptoFailed)?;
            match signature_matches(&expected, given) {
                true => Ok(true),
                false => Err(Reason::SignatureMismatch),
            }
        }
        _ if config.allow_unverified || config.verification_token.is_some() => Ok(true),
        _ => Err(Reason::UnverifiableRequest),
    }
}

/// Who signed the raw bytes, checked before any parsing: `None` when the request carries no
/// signature headers; an error when it carries a signature no configured secret made.
async fn signer_of(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    key: &str,
    body: &[u8],
    headers: &Headers,
    now_secs: u64,
    flow: Flow,
) -> Result<Option<Signer>, Reason> {
    let Some((ts, nonce, given)) = signature_headers(headers, now_secs, config.tolerance_secs)?
    else {
        return Ok(None);
    };
    let expected = event_signature(crypto, ts, nonce, key, body)
        .await
        .map_err(|_| Reason::CryptoFailed)?;
    if signature_matches(&expected, given) {
        return Ok(Some(Signer::Key));
    }
    // A card request URL also takes legacy callbacks, signed with SHA-1 over the token.
    if let (Flow::Card, Some(token)) = (flow, &config.verification_token) {
        let expected = card_signature(crypto, ts, nonce, token.expose(), body)
            .await
            .map_err(|_| Reason::CryptoFailed)?;
        if signature_matches(&expected, given) {
            return Ok(Some(Signer::Token));
        }
    }
    Err(Reason::SignatureMismatch)
}

/// A JSON object nested at most `max_depth` levels deep (checked while reading), `header` and
/// `event` read too, or the refusal:
/// [`Reason::JsonTooDeep`], or `invalid` for anything that is not an object.
fn object_within(text: &str, max_depth: usize, invalid: Reason) -> Result<Nested<'_>, Reason> {
    // The envelope's `header` and `event` are read in the same pass.
    Nested::parse_within(text, max_depth, &["header", "event"]).map_err(|r| match r {
        Refusal::TooDeep => Reason::JsonTooDeep,
        Refusal::Invalid => invalid,
    })
}

/// Decrypts (when `encrypt` is present) and recognises the request's shape.
async fn classify(
    config: &WebhookConfig,
    crypto: &dyn Crypto,
    outer: Nested<'_>,
    legacy_card: bool,
) -> Result<Inbound, Reason> {
    let plaintext;
    let body = match outer.fields.get("encrypt") {
        None => outer,
        Some(_) => {
            let key = config
                .encrypt_key
                .as_ref()
                .ok_or(Reason::EncryptedButNoKey)?;
            let cipher = outer.fields.str("encrypt").ok_or(Reason::InvalidJson)?;
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
            // Only the decrypted plaintext says what the request is. The platform puts nothing
            // beside `encrypt`; fields there are whatever the sender chose, so they are dropped
            // (the official SDK lets them override the decrypted ones).
            object_within(&plaintext, config.max_depth, Reason::InvalidPlaintext)?
        }
    };
    shape(config, body, legacy_card, true)
}

/// Recognises a (decrypted) body's shape and builds the handler data; checks the body's
/// verification token when `check_tokens`.
fn shape(
    config: &WebhookConfig,
    body: Nested<'_>,
    legacy_card: bool,
    check_tokens: bool,
) -> Result<Inbound, Reason> {
    let fields = &body.fields;
    let check_token = |config: &WebhookConfig, found: Option<&str>| match check_tokens {
        true => check_token(config, found),
        false => Ok(()),
    };

    if fields.str("type").as_deref() == Some("url_verification") {
        check_token(config, fields.str("token").as_deref())?;
        let challenge = fields.str("challenge").ok_or(Reason::UnknownEventShape)?;
        return Ok(Inbound::Challenge { challenge });
    }
    let object = |key: &str| body.object(key);

    if fields.get("schema").is_some() {
        let header = object("header").ok_or(Reason::UnknownEventShape)?;
        let event_type = header.str("event_type").ok_or(Reason::UnknownEventShape)?;
        check_token(config, header.str("token").as_deref())?;
        let mut payload = ObjectWriter::with_capacity(fields.written_len() + event_type.len() + 16);
        payload.field("event_type", &quote(&event_type));
        payload.fields(fields, &["header", "event"]);
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
        let mut payload = ObjectWriter::with_capacity(fields.written_len() + event_type.len() + 16);
        payload.field("event_type", &quote(&event_type));
        payload.fields(&event, &[]);
        payload.fields(fields, &["event"]);
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
        payload.fields(fields, &[]);
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
