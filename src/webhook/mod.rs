//! Webhooks: event subscriptions and card callbacks, verified over the raw request bytes,
//! decrypted, normalized, de-duplicated and dispatched.
//!
//! ```
//! use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
//! let config = WebhookConfig::new().verification_token("vt");
//! let body = br#"{"challenge":"c1","token":"vt","type":"url_verification"}"#;
//! let inbound = parse(&config, body, &Headers::default(), 1_700_000_000, Flow::Event).unwrap();
//! assert!(matches!(inbound, Inbound::Challenge { challenge } if challenge == "c1"));
//! ```

pub mod crypto;
pub mod dispatch;
mod parse;

pub use dispatch::{Dispatcher, EventHandler, HandlerResult, Reply};
pub use parse::{parse, Event, Inbound, Schema};

use crate::config::Secret;

/// Which endpoint received the request: the event URL, or the card request URL (which also
/// accepts the legacy, unencrypted card callback signed with SHA-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Event subscriptions (and v2 `card.action.trigger`).
    Event,
    /// A card request URL.
    Card,
}

/// Why a request was refused. Each has a stable machine-readable name and an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Not a POST.
    MethodNotAllowed,
    /// Body over the size limit.
    BodyTooLarge,
    /// A `Content-Type` that is not JSON.
    UnsupportedContentType,
    /// No body.
    EmptyBody,
    /// The body is not UTF-8.
    InvalidUtf8,
    /// The body is not a JSON object.
    InvalidJson,
    /// JSON nested deeper than the limit.
    JsonTooDeep,
    /// Signature headers missing while a key is configured.
    MissingSignature,
    /// `X-Lark-Request-Timestamp` is not a number.
    InvalidTimestamp,
    /// The timestamp is outside the tolerance.
    StaleTimestamp,
    /// The signature does not match.
    SignatureMismatch,
    /// An encrypted body but no encrypt key configured.
    EncryptedButNoKey,
    /// `encrypt` is not base64.
    InvalidBase64,
    /// The ciphertext has an impossible length.
    InvalidCiphertext,
    /// Decryption failed (bad padding: most likely a wrong key).
    DecryptionFailed,
    /// The decrypted text is not a UTF-8 JSON object.
    InvalidPlaintext,
    /// No verification token in the body while one is configured.
    MissingToken,
    /// The body's verification token does not match.
    TokenMismatch,
    /// Neither a challenge, a schema 2.0 event, a schema 1.0 event nor a card callback.
    UnknownEventShape,
    /// The handler threw.
    HandlerFailed,
}

impl Reason {
    /// The stable name, as sent in the error body's `error` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MethodNotAllowed => "method_not_allowed",
            Reason::BodyTooLarge => "body_too_large",
            Reason::UnsupportedContentType => "unsupported_content_type",
            Reason::EmptyBody => "empty_body",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::InvalidJson => "invalid_json",
            Reason::JsonTooDeep => "json_too_deep",
            Reason::MissingSignature => "missing_signature",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::StaleTimestamp => "stale_timestamp",
            Reason::SignatureMismatch => "signature_mismatch",
            Reason::EncryptedButNoKey => "encrypted_but_no_key",
            Reason::InvalidBase64 => "invalid_base64",
            Reason::InvalidCiphertext => "invalid_ciphertext",
            Reason::DecryptionFailed => "decryption_failed",
            Reason::InvalidPlaintext => "invalid_plaintext",
            Reason::MissingToken => "missing_token",
            Reason::TokenMismatch => "token_mismatch",
            Reason::UnknownEventShape => "unknown_event_shape",
            Reason::HandlerFailed => "handler_failed",
        }
    }
    /// The HTTP status to answer with.
    pub fn status(self) -> u16 {
        match self {
            Reason::MethodNotAllowed => 405,
            Reason::BodyTooLarge => 413,
            Reason::UnsupportedContentType => 415,
            Reason::MissingSignature
            | Reason::StaleTimestamp
            | Reason::SignatureMismatch
            | Reason::MissingToken
            | Reason::TokenMismatch => 401,
            Reason::HandlerFailed => 500,
            _ => 400,
        }
    }
    /// A sentence for people.
    pub fn message(self) -> &'static str {
        match self {
            Reason::MethodNotAllowed => "webhooks are POST requests",
            Reason::BodyTooLarge => "the body is larger than the configured limit",
            Reason::UnsupportedContentType => "the body must be JSON",
            Reason::EmptyBody => "the body is empty",
            Reason::InvalidUtf8 => "the body is not UTF-8",
            Reason::InvalidJson => "the body is not a JSON object",
            Reason::JsonTooDeep => "the JSON is nested too deeply",
            Reason::MissingSignature => {
                "X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required"
            }
            Reason::InvalidTimestamp => "X-Lark-Request-Timestamp is not a number of seconds",
            Reason::StaleTimestamp => "X-Lark-Request-Timestamp is outside the allowed tolerance",
            Reason::SignatureMismatch => "X-Lark-Signature does not match the body",
            Reason::EncryptedButNoKey => "the body is encrypted but no encryptKey is configured",
            Reason::InvalidBase64 => "`encrypt` is not valid base64",
            Reason::InvalidCiphertext => "`encrypt` has an invalid length",
            Reason::DecryptionFailed => "`encrypt` could not be decrypted with the configured key",
            Reason::InvalidPlaintext => "the decrypted payload is not a UTF-8 JSON object",
            Reason::MissingToken => "the verification token is missing from the body",
            Reason::TokenMismatch => "the verification token does not match",
            Reason::UnknownEventShape => "the body is not a recognised event or callback",
            Reason::HandlerFailed => "the handler failed",
        }
    }
    /// The JSON error body: `{"error": name, "message": sentence}`.
    pub fn body(self) -> String {
        format!(
            r#"{{"error":"{}","message":"{}"}}"#,
            self.as_str(),
            self.message().replace('`', "'")
        )
    }
}

/// Verification settings shared by event and card endpoints.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The app's encrypt key: bodies are encrypted and signed with it.
    pub encrypt_key: Option<Secret>,
    /// The app's verification token, carried in the body.
    pub verification_token: Option<Secret>,
    /// Accepted clock skew for `X-Lark-Request-Timestamp` (default 300 s).
    pub tolerance_secs: u64,
    /// Largest accepted body (default 1 MiB).
    pub max_body_bytes: usize,
    /// Deepest accepted JSON nesting (default 64).
    pub max_depth: usize,
    /// How long an event id is remembered for de-duplication (default 3600 s).
    pub dedupe_ttl_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            encrypt_key: None,
            verification_token: None,
            tolerance_secs: 300,
            max_body_bytes: 1 << 20,
            max_depth: 64,
            dedupe_ttl_secs: 3600,
        }
    }
}

impl WebhookConfig {
    /// Defaults with neither key nor token (accepts unauthenticated requests: set at least one).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the encrypt key (empty strings count as none).
    pub fn encrypt_key(mut self, key: &str) -> Self {
        self.encrypt_key = (!key.is_empty()).then(|| Secret::new(key));
        self
    }
    /// Sets the verification token (empty strings count as none).
    pub fn verification_token(mut self, token: &str) -> Self {
        self.verification_token = (!token.is_empty()).then(|| Secret::new(token));
        self
    }
}

/// The request headers verification reads.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    /// `X-Lark-Request-Timestamp`.
    pub timestamp: Option<String>,
    /// `X-Lark-Request-Nonce`.
    pub nonce: Option<String>,
    /// `X-Lark-Signature`.
    pub signature: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
}

/// The JSON-able webhook options of the JS API (`encryptKey`, `verificationToken`,
/// `toleranceSeconds`, `maxBodyBytes`, `maxDepth`, `dedupeTtlSeconds`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOptions {
    /// See [`WebhookConfig::encrypt_key`].
    #[serde(default)]
    pub encrypt_key: Option<String>,
    /// See [`WebhookConfig::verification_token`].
    #[serde(default)]
    pub verification_token: Option<String>,
    /// See [`WebhookConfig::tolerance_secs`].
    #[serde(default)]
    pub tolerance_seconds: Option<u64>,
    /// See [`WebhookConfig::max_body_bytes`].
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// See [`WebhookConfig::max_depth`].
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// See [`WebhookConfig::dedupe_ttl_secs`].
    #[serde(default)]
    pub dedupe_ttl_seconds: Option<u64>,
}

impl WebhookOptions {
    /// Parses the options' JSON into a [`WebhookConfig`].
    ///
    /// ```
    /// let c = feishu_edge::webhook::WebhookOptions::config_from_json(r#"{"encryptKey":"k","toleranceSeconds":60}"#).unwrap();
    /// assert_eq!(c.tolerance_secs, 60);
    /// ```
    pub fn config_from_json(json: &str) -> crate::Result<WebhookConfig> {
        let o: WebhookOptions = serde_json::from_str(json)
            .map_err(|e| crate::Error::Config(format!("bad webhook options: {e}")))?;
        let d = WebhookConfig::default();
        Ok(WebhookConfig {
            tolerance_secs: o.tolerance_seconds.unwrap_or(d.tolerance_secs),
            max_body_bytes: o.max_body_bytes.unwrap_or(d.max_body_bytes),
            max_depth: o.max_depth.unwrap_or(d.max_depth).clamp(2, 128),
            dedupe_ttl_secs: o.dedupe_ttl_seconds.unwrap_or(d.dedupe_ttl_secs),
            ..d
        }
        .encrypt_key(o.encrypt_key.as_deref().unwrap_or(""))
        .verification_token(o.verification_token.as_deref().unwrap_or("")))
    }
}
