//! From raw request bytes to a verified, decrypted, normalized [`Inbound`].
//!
//! Order: size and content-type → with an encrypt key, the signature over the raw bytes
//! (timestamp tolerance first; unsigned bodies larger than a challenge refused) → UTF-8 → depth
//! → outer JSON → the check the body's shape needs → decryption → token → event shape. Every failure is a
//! [`Reason`]; nothing here panics on any input.

use super::crypto::{
    hex_digest, plaintext_of, raw_ciphertext, secure_eq, signature_matches, signature_parts,
};
use super::{Flow, Headers, Reason, WebhookConfig};

/// [`Parsing`] run over a host's crypto (a driver file).
mod host;
use crate::crypto::{CryptoOp, CryptoOutcome};
use crate::json::{quote, Nested, ObjectWriter, Refusal};
pub use host::parse;

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

/// What [`Parsing::step`] asks for next.
///
/// ```
/// use feishu_edge::webhook::{Flow, Headers, ParseStep, Parsing, Reason, WebhookConfig};
/// let config = WebhookConfig::new().verification_token("vt");
/// let headers = Headers::default();
/// let mut parsing = Parsing::begin(&config, b"  ", &headers, 0, Flow::Event);
/// assert!(matches!(parsing.step(None), ParseStep::Done(Err(Reason::EmptyBody))));
/// ```
#[derive(Debug)]
pub enum ParseStep<'s> {
    /// Compute this primitive and pass its outcome to the next [`Parsing::step`].
    Crypto(CryptoOp<'s>),
    /// The verified request, or the refusal.
    Done(Result<Inbound, Reason>),
}

/// Where a [`Parsing`] waits.
#[derive(Debug)]
enum Waiting<'a> {
    /// Nothing asked yet.
    Start,
    /// The SHA-256 event signature over the raw bytes.
    KeySignature {
        ts: &'a str,
        nonce: &'a str,
        given: &'a str,
    },
    /// The SHA-1 legacy card signature, checked before parsing (an encrypt key is set).
    EarlyTokenSignature { given: &'a str },
    /// The SHA-1 legacy card signature, checked after parsing (no encrypt key).
    TokenSignature {
        outer: Nested<'a>,
        legacy_card: bool,
        given: &'a str,
    },
    /// SHA-256 of the encrypt key (the AES key), not derived before.
    AesKey {
        signed: bool,
        legacy_card: bool,
        cipher: String,
    },
    /// The AES-256-CBC decryption of the body's `encrypt`.
    Decrypt { signed: bool, legacy_card: bool },
    /// Finished (a step now is the driver's mistake: refused).
    Done,
}

/// What a transition decided: a primitive to ask for (its operands are in the machine), or the
/// end.
#[derive(Debug)]
enum Next {
    Sha256,
    Sha1,
    Decrypt,
    Done(Result<Inbound, Reason>),
}

/// Verifying and parsing one webhook request, sans-IO: [`Parsing::step`] returns the hash or
/// cipher it needs ([`ParseStep::Crypto`]), the driver computes it (the host's crypto, or
/// RustCrypto) and steps again with the outcome, until [`ParseStep::Done`].
///
/// Order: size and content-type → with an encrypt key, the signature over the raw bytes
/// (timestamp tolerance first; unsigned bodies larger than a challenge refused) → UTF-8 →
/// depth → outer JSON → the check the body's shape needs → decryption → token → event shape.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::RustCrypto;
/// use feishu_edge::webhook::{Flow, Headers, Inbound, ParseStep, Parsing, WebhookConfig};
/// let config = WebhookConfig::new().verification_token("vt");
/// let body = br#"{"challenge":"c1","token":"vt","type":"url_verification"}"#;
/// let headers = Headers::default();
/// let mut parsing = Parsing::begin(&config, body, &headers, 1_700_000_000, Flow::Event);
/// let mut answer = None;
/// let parsed = loop {
///     answer = match parsing.step(answer) {
///         ParseStep::Crypto(op) => Some(RustCrypto.compute(&op)),
///         ParseStep::Done(parsed) => break parsed,
///     };
/// };
/// assert!(matches!(parsed, Ok(Inbound::Challenge { challenge }) if challenge == "c1"));
/// # }
/// ```
#[derive(Debug)]
pub struct Parsing<'a> {
    config: &'a WebhookConfig,
    body: &'a [u8],
    headers: &'a Headers,
    now_secs: u64,
    flow: Flow,
    waiting: Waiting<'a>,
    /// What is asked for.
    asking: Next,
    /// The parts of the hash asked for.
    parts: [&'a [u8]; 4],
    nparts: usize,
    /// The cipher's operands.
    aes_key: [u8; 32],
    /// The decoded `encrypt` value: the IV, then the blocks.
    cipher: Vec<u8>,
}

impl<'a> Parsing<'a> {
    /// Starts verifying `body` with `headers` received at `now_secs` on `flow`'s endpoint.
    pub fn begin(
        config: &'a WebhookConfig,
        body: &'a [u8],
        headers: &'a Headers,
        now_secs: u64,
        flow: Flow,
    ) -> Parsing<'a> {
        Parsing {
            config,
            body,
            headers,
            now_secs,
            flow,
            waiting: Waiting::Start,
            asking: Next::Sha256,
            parts: [&[]; 4],
            nparts: 0,
            aes_key: [0; 32],
            cipher: Vec::new(),
        }
    }

    /// Advances with the outcome of the primitive the previous step asked for (`None` on the
    /// first step). A missing or mis-sized outcome is [`Reason::CryptoFailed`]: never a pass.
    pub fn step(&mut self, answer: Option<CryptoOutcome>) -> ParseStep<'_> {
        match self.advance(answer) {
            Some(parsed) => ParseStep::Done(parsed),
            None => ParseStep::Crypto(self.pending()),
        }
    }

    /// [`Parsing::step`] in two: the outcome (`Some`: finished), or `None` when
    /// [`Parsing::pending`] says what to compute.
    pub fn advance(&mut self, answer: Option<CryptoOutcome>) -> Option<Result<Inbound, Reason>> {
        let waiting = std::mem::replace(&mut self.waiting, Waiting::Done);
        let next = match (waiting, answer) {
            (Waiting::Start, None) => self.start(),
            (Waiting::KeySignature { ts, nonce, given }, Some(a)) => {
                self.after_key_signature(a, ts, nonce, given)
            }
            (Waiting::EarlyTokenSignature { given }, Some(a)) => match hex_digest(a, 20) {
                Ok(expected) if signature_matches(&expected, given) => {
                    self.after_signer(Some(Signer::Token))
                }
                Ok(_) => Next::Done(Err(Reason::SignatureMismatch)),
                Err(r) => Next::Done(Err(r)),
            },
            (
                Waiting::TokenSignature {
                    outer,
                    legacy_card,
                    given,
                },
                Some(a),
            ) => match hex_digest(a, 20) {
                Ok(expected) if signature_matches(&expected, given) => {
                    self.classify(outer, legacy_card, true)
                }
                Ok(_) => Next::Done(Err(Reason::SignatureMismatch)),
                Err(r) => Next::Done(Err(r)),
            },
            (
                Waiting::AesKey {
                    signed,
                    legacy_card,
                    cipher,
                },
                Some(a),
            ) => {
                let derived: Option<[u8; 32]> = a.ok().and_then(|k| k.try_into().ok());
                match (derived, &self.config.encrypt_key) {
                    (Some(k), Some(key)) => {
                        self.aes_key = *key.derived().get_or_init(|| k);
                        self.decrypt(&cipher, signed, legacy_card)
                    }
                    _ => finish(self.config, Err(Reason::CryptoFailed), signed, true),
                }
            }
            (
                Waiting::Decrypt {
                    signed,
                    legacy_card,
                },
                Some(a),
            ) => self.after_decrypt(a, signed, legacy_card),
            _ => Next::Done(Err(Reason::CryptoFailed)),
        };
        self.asking = match next {
            Next::Done(parsed) => return Some(parsed),
            ask => ask,
        };
        None
    }

    /// The primitive the machine waits for (after [`Parsing::advance`] returned `None`).
    pub fn pending(&self) -> CryptoOp<'_> {
        match self.asking {
            Next::Sha1 => CryptoOp::Sha1(&self.parts[..self.nparts]),
            Next::Decrypt => CryptoOp::Aes256CbcDecrypt {
                key: &self.aes_key,
                iv: self.cipher.first_chunk().unwrap_or(&[0; 16]),
                data: self.cipher.get(16..).unwrap_or_default(),
            },
            _ => CryptoOp::Sha256(&self.parts[..self.nparts]),
        }
    }

    /// Asks for a hash of `parts`.
    fn hash(&mut self, parts: &[&'a [u8]], waiting: Waiting<'a>, next: Next) -> Next {
        self.parts[..parts.len()].copy_from_slice(parts);
        self.nparts = parts.len();
        self.waiting = waiting;
        next
    }

    /// The refusals that need no parsing, then, with an encrypt key, the signature over the
    /// raw bytes first: an unauthenticated body costs one hash (or nothing, when unsigned and
    /// larger than a challenge) and is never parsed or decrypted.
    fn start(&mut self) -> Next {
        let (config, body) = (self.config, self.body);
        if let Err(r) = precheck(config, body, self.headers) {
            return Next::Done(Err(r));
        }
        let Some(key) = &config.encrypt_key else {
            return self.read(None);
        };
        match signature_headers(self.headers, self.now_secs, config.tolerance_secs) {
            Err(r) => Next::Done(Err(r)),
            Ok(None) => self.after_signer(None),
            Ok(Some((ts, nonce, given))) => self.hash(
                &signature_parts(ts, nonce, key.expose(), body),
                Waiting::KeySignature { ts, nonce, given },
                Next::Sha256,
            ),
        }
    }

    /// Who signed the raw bytes: the encrypt key, or (a card request URL also takes legacy
    /// callbacks) the verification token; neither is a mismatch.
    fn after_key_signature(
        &mut self,
        answer: CryptoOutcome,
        ts: &'a str,
        nonce: &'a str,
        given: &'a str,
    ) -> Next {
        match hex_digest(answer, 32) {
            Ok(expected) if signature_matches(&expected, given) => {
                return self.after_signer(Some(Signer::Key))
            }
            Ok(_) => {}
            Err(r) => return Next::Done(Err(r)),
        }
        let config = self.config;
        match (self.flow, &config.verification_token) {
            (Flow::Card, Some(token)) => self.hash(
                &signature_parts(ts, nonce, token.expose(), self.body),
                Waiting::EarlyTokenSignature { given },
                Next::Sha1,
            ),
            _ => Next::Done(Err(Reason::SignatureMismatch)),
        }
    }

    /// Unsigned bodies larger than a challenge are refused unread.
    fn after_signer(&mut self, signer: Option<Signer>) -> Next {
        if signer.is_none() && self.body.len() > MAX_UNSIGNED_BYTES {
            return Next::Done(Err(Reason::MissingSignature));
        }
        self.read(Some(signer))
    }

    /// The body read, then what vouches for it (`early`: who signed the raw bytes, when an
    /// encrypt key is set), under the trust model: the strongest configured mechanism must
    /// vouch for it.
    /// - Legacy card callbacks (plain, no schema) are signed with SHA-1 over the verification
    ///   token: without a token they cannot be verified, whatever else is configured.
    /// - Everything else is signed with SHA-256 over the encrypt key when one is set; only a
    ///   URL challenge may come unsigned.
    /// - With only a verification token, the token in the body is the check (no replay
    ///   protection); with nothing configured, construction required `allow_unverified`.
    fn read(&mut self, early: Option<Option<Signer>>) -> Next {
        let (config, body) = (self.config, self.body);
        let Ok(text) = std::str::from_utf8(body) else {
            return Next::Done(Err(Reason::InvalidUtf8));
        };
        let outer = match object_within(text, config.max_depth, Reason::InvalidJson) {
            Ok(outer) => outer,
            Err(r) => return Next::Done(Err(r)),
        };
        let encrypted = outer.fields.get("encrypt").is_some();
        let legacy_card =
            self.flow == Flow::Card && !encrypted && outer.fields.get("schema").is_none();
        if let Some(signer) = early {
            let needed = match (legacy_card, &config.verification_token) {
                (false, _) => Signer::Key,
                (true, Some(_)) => Signer::Token,
                (true, None) => return Next::Done(Err(Reason::UnverifiableRequest)),
            };
            return match signer {
                None => self.classify(outer, legacy_card, false),
                Some(s) if s == needed => self.classify(outer, legacy_card, true),
                Some(_) => Next::Done(Err(Reason::SignatureMismatch)),
            };
        }
        match (legacy_card, &config.verification_token) {
            (true, Some(token)) => {
                match signature_headers(self.headers, self.now_secs, config.tolerance_secs) {
                    Err(r) => Next::Done(Err(r)),
                    Ok(None) => self.classify(outer, legacy_card, false),
                    Ok(Some((ts, nonce, given))) => self.hash(
                        &signature_parts(ts, nonce, token.expose(), body),
                        Waiting::TokenSignature {
                            outer,
                            legacy_card,
                            given,
                        },
                        Next::Sha1,
                    ),
                }
            }
            _ if config.allow_unverified || config.verification_token.is_some() => {
                self.classify(outer, legacy_card, true)
            }
            _ => Next::Done(Err(Reason::UnverifiableRequest)),
        }
    }

    /// Decrypts (when `encrypt` is present) and recognises the request's shape; `signed`:
    /// whether it is vouched for (otherwise only a proven challenge survives).
    fn classify(&mut self, outer: Nested<'a>, legacy_card: bool, signed: bool) -> Next {
        let config = self.config;
        if outer.fields.get("encrypt").is_none() {
            return finish(
                config,
                shape(config, outer, legacy_card, true),
                signed,
                false,
            );
        }
        let Some(key) = &config.encrypt_key else {
            return finish(config, Err(Reason::EncryptedButNoKey), signed, true);
        };
        let Some(cipher) = outer.fields.str("encrypt") else {
            return finish(config, Err(Reason::InvalidJson), signed, true);
        };
        match key.derived().get() {
            Some(k) => {
                self.aes_key = *k;
                self.decrypt(&cipher, signed, legacy_card)
            }
            None => self.hash(
                &[key.expose().as_bytes()],
                Waiting::AesKey {
                    signed,
                    legacy_card,
                    cipher,
                },
                Next::Sha256,
            ),
        }
    }

    /// Asks for the decryption of `cipher` (base64 of the IV and the blocks).
    fn decrypt(&mut self, cipher: &str, signed: bool, legacy_card: bool) -> Next {
        match raw_ciphertext(cipher) {
            Ok(raw) => {
                self.cipher = raw;
                self.waiting = Waiting::Decrypt {
                    signed,
                    legacy_card,
                };
                Next::Decrypt
            }
            Err(r) => finish(self.config, Err(r), signed, true),
        }
    }

    /// Only the decrypted plaintext says what the request is. The platform puts nothing
    /// beside `encrypt`; fields there are whatever the sender chose, so they are dropped (the
    /// official SDK lets them override the decrypted ones).
    fn after_decrypt(&mut self, answer: CryptoOutcome, signed: bool, legacy_card: bool) -> Next {
        let config = self.config;
        let inbound = plaintext_of(answer, self.cipher.len().saturating_sub(16))
            .and_then(|p| String::from_utf8(p).map_err(|_| Reason::InvalidPlaintext))
            .and_then(|plaintext| {
                let body = object_within(&plaintext, config.max_depth, Reason::InvalidPlaintext)?;
                shape(config, body, legacy_card, true)
            });
        finish(config, inbound, signed, true)
    }
}

/// The parse's outcome. Unsigned while a key is configured: only a URL challenge is answered
/// (the platform may send it without signature headers), and only one that proves itself: the
/// right verification token, or, with no token configured, a body that decrypted with the key
/// to a `url_verification` (fields beside `encrypt` are never read). Every other outcome,
/// decryption failures included, gets one answer, so unsigned requests cannot be used as a
/// padding oracle.
fn finish(
    config: &WebhookConfig,
    inbound: Result<Inbound, Reason>,
    signed: bool,
    encrypted: bool,
) -> Next {
    if signed {
        return Next::Done(inbound);
    }
    let proven = config.verification_token.is_some() || encrypted;
    Next::Done(match inbound {
        Ok(challenge @ Inbound::Challenge { .. }) if proven => Ok(challenge),
        _ => Err(Reason::MissingSignature),
    })
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
