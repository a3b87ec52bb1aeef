//! Webhooks: event subscriptions and card callbacks, verified over the raw request bytes,
//! decrypted, normalized, de-duplicated and dispatched.
//!
//! ```
//! # #[cfg(feature = "rustcrypto")] {
//! use feishu_edge::crypto::{now, RustCrypto};
//! use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
//! let config = WebhookConfig::new().verification_token("vt");
//! let body = br#"{"challenge":"c1","token":"vt","type":"url_verification"}"#;
//! let headers = Headers::default();
//! let parsing = parse(&config, &RustCrypto, body, &headers, 1_700_000_000, Flow::Event);
//! let inbound = now(parsing).unwrap().unwrap();
//! assert!(matches!(inbound, Inbound::Challenge { challenge } if challenge == "c1"));
//! # }
//! ```

pub mod crypto;
mod dedupe;
pub mod dispatch;
#[path = "generated/event_types.rs"]
mod event_types;
#[cfg(all(feature = "http", not(target_arch = "wasm32")))]
pub mod http;
mod parse;

#[cfg(all(feature = "http", not(target_arch = "wasm32")))]
pub use self::http::{EventDispatcher, StderrLogger};
pub use dedupe::{
    Budget, Claim, ClaimStep, Claiming, Dedupe, Lease, Settling, StoreOp, StoreOutcome, StoreStep,
};
pub use dispatch::{
    Consumed, Delivery, Dispatcher, EventHandler, EventQueue, FinishStep, Finished, Finishing,
    HandlerFailure, HandlerResult, Handoff, Intake, Mode, Outcome, Reply, Report, Step,
};
pub use event_types::EVENT_TYPES;
pub use parse::{
    parse, parse_trusted, Event, Inbound, ParseStep, Parsing, Schema, MAX_TRUSTED_EVENT_BYTES,
    MAX_UNSIGNED_BYTES,
};

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

pub use crate::error::Reason;

/// Verification and delivery settings shared by event and card endpoints.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The app's encrypt key: bodies are encrypted and signed with it.
    pub encrypt_key: Option<Secret>,
    /// The app's verification token, carried in the body.
    pub verification_token: Option<Secret>,
    /// Accept requests with neither key configured (local development only).
    pub allow_unverified: bool,
    /// Accepted clock skew for `X-Lark-Request-Timestamp` (default 300 s).
    pub tolerance_secs: u64,
    /// Largest accepted body (default 1 MiB).
    pub max_body_bytes: usize,
    /// How long reading a body may take (default 10 s).
    pub body_timeout_ms: u64,
    /// Deepest accepted JSON nesting (default 64).
    pub max_depth: usize,
    /// How long a handled event id is remembered (default 8 h: past the platform's retries,
    /// which end about 7.1 h after the first delivery).
    pub dedupe_ttl_secs: u64,
    /// How long a claim on an event being handled lasts before another delivery may take it
    /// over (default 120 s).
    pub dedupe_lease_secs: u64,
    /// The time all de-duplication store calls of one delivery may take together before its
    /// reply (default 2 s), and the deadline of a queue's `send`. A claim that misses it lets
    /// the event through, with a warning.
    pub store_timeout_ms: u64,
    /// The app whose events these are: scopes de-duplication keys when an event does not name
    /// its app (schema 1.0 events mostly do not).
    pub app_id: Option<String>,
    /// True when an encrypt key was given but blank (an unset environment variable): the
    /// dispatcher warns once that requests are then checked by the token alone.
    pub encrypt_key_blank: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            encrypt_key: None,
            verification_token: None,
            allow_unverified: false,
            tolerance_secs: 300,
            max_body_bytes: 1 << 20,
            body_timeout_ms: 10_000,
            max_depth: 64,
            dedupe_ttl_secs: 8 * 3600,
            dedupe_lease_secs: 120,
            store_timeout_ms: 2_000,
            app_id: None,
            encrypt_key_blank: false,
        }
    }
}

impl WebhookConfig {
    /// Defaults with neither key nor token: [`WebhookConfig::validate`] refuses it until one
    /// is set (or [`WebhookConfig::allow_unverified`]).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the encrypt key (empty strings count as none, and are remembered as
    /// [`WebhookConfig::encrypt_key_blank`]).
    pub fn encrypt_key(mut self, key: &str) -> Self {
        self.encrypt_key = (!key.is_empty()).then(|| Secret::new(key));
        self.encrypt_key_blank = key.is_empty();
        self
    }
    /// Sets the app id de-duplication keys fall back to.
    pub fn app_id(mut self, app_id: &str) -> Self {
        self.app_id = (!app_id.is_empty()).then(|| app_id.to_string());
        self
    }
    /// The warning a blank encrypt key deserves: `Some` when a key was given but empty, so
    /// requests are verified by a weaker mechanism than the user meant.
    ///
    /// ```
    /// use feishu_edge::webhook::WebhookConfig;
    /// let c = WebhookConfig::new().encrypt_key("").verification_token("vt");
    /// assert!(c.blank_key_warning().unwrap().contains("verification token only"));
    /// assert!(WebhookConfig::new().encrypt_key("ek").blank_key_warning().is_none());
    /// ```
    pub fn blank_key_warning(&self) -> Option<&'static str> {
        if !self.encrypt_key_blank || self.encrypt_key.is_some() {
            return None;
        }
        Some(match (&self.verification_token, self.allow_unverified) {
            (Some(_), _) => "encryptKey was given but is empty (an unset environment variable?): requests are checked by the verification token only, with no signature, no replay protection and no encryption",
            (None, _) => "encryptKey was given but is empty (an unset environment variable?): requests are NOT verified (allowUnverified)",
        })
    }
    /// Sets the verification token (empty strings count as none).
    pub fn verification_token(mut self, token: &str) -> Self {
        self.verification_token = (!token.is_empty()).then(|| Secret::new(token));
        self
    }
    /// Accepts unauthenticated requests when neither key is set. For local development only:
    /// anyone who can reach the URL can then run your handlers.
    pub fn allow_unverified(mut self, allow: bool) -> Self {
        self.allow_unverified = allow;
        self
    }
    /// Refuses a configuration that would let unauthenticated requests through unasked.
    ///
    /// ```
    /// use feishu_edge::webhook::WebhookConfig;
    /// assert!(WebhookConfig::new().validate().is_err());
    /// assert!(WebhookConfig::new().allow_unverified(true).validate().is_ok());
    /// assert!(WebhookConfig::new().encrypt_key("ek").validate().is_ok());
    /// ```
    pub fn validate(&self) -> crate::Result<()> {
        if !self.verifies_http() {
            return Err(crate::Error::Config(
                "webhooks need an encryptKey or a verificationToken to authenticate requests (allowUnverified: true accepts anyone, for local development only)".into(),
            ));
        }
        self.validate_settings()
    }
    /// True when HTTP requests can be authenticated (a key or a token), or are accepted
    /// unverified on purpose. A dispatcher without may still serve the long connection, whose
    /// socket is the authentication; it refuses every HTTP request.
    pub fn verifies_http(&self) -> bool {
        self.encrypt_key.is_some() || self.verification_token.is_some() || self.allow_unverified
    }
    /// Checks the settings other than the keys.
    pub fn validate_settings(&self) -> crate::Result<()> {
        if self.dedupe_lease_secs == 0 || self.dedupe_ttl_secs < self.dedupe_lease_secs {
            return Err(crate::Error::Config(
                "dedupeLeaseSeconds must be at least 1 and at most dedupeTtlSeconds".into(),
            ));
        }
        Ok(())
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
/// `allowUnverified`, `toleranceSeconds`, `maxBodyBytes`, `bodyTimeoutMs`, `maxDepth`,
/// `dedupeTtlSeconds`, `dedupeLeaseSeconds`, `storeTimeoutMs`).
#[derive(Debug, Default)]
pub struct WebhookOptions {
    /// See [`WebhookConfig::encrypt_key`].
    pub encrypt_key: Option<String>,
    /// See [`WebhookConfig::verification_token`].
    pub verification_token: Option<String>,
    /// See [`WebhookConfig::allow_unverified`].
    pub allow_unverified: Option<bool>,
    /// See [`WebhookConfig::tolerance_secs`].
    pub tolerance_seconds: Option<u64>,
    /// See [`WebhookConfig::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`WebhookConfig::body_timeout_ms`].
    pub body_timeout_ms: Option<u64>,
    /// See [`WebhookConfig::max_depth`].
    pub max_depth: Option<usize>,
    /// See [`WebhookConfig::dedupe_ttl_secs`].
    pub dedupe_ttl_seconds: Option<u64>,
    /// See [`WebhookConfig::dedupe_lease_secs`].
    pub dedupe_lease_seconds: Option<u64>,
    /// See [`WebhookConfig::store_timeout_ms`].
    pub store_timeout_ms: Option<u64>,
}

/// The request header carrying an event's signing time (seconds): one of the three signature
/// headers the platform sends with an event or card request.
///
/// ```
/// assert_eq!(feishu_edge::webhook::TIMESTAMP_HEADER, "x-lark-request-timestamp");
/// ```
pub const TIMESTAMP_HEADER: &str = "x-lark-request-timestamp";
/// The request header carrying an event's nonce.
///
/// ```
/// assert_eq!(feishu_edge::webhook::NONCE_HEADER, "x-lark-request-nonce");
/// ```
pub const NONCE_HEADER: &str = "x-lark-request-nonce";
/// The request header carrying an event's signature (hex SHA-256 of timestamp, nonce, key and
/// body).
///
/// ```
/// assert_eq!(feishu_edge::webhook::SIGNATURE_HEADER, "x-lark-signature");
/// ```
pub const SIGNATURE_HEADER: &str = "x-lark-signature";

/// Every webhook option, the ones the JS layer keeps (functions, stores, the client) included.
pub const WEBHOOK_OPTION_NAMES: [&str; 16] = [
    "appId",
    "encryptKey",
    "verificationToken",
    "allowUnverified",
    "toleranceSeconds",
    "maxBodyBytes",
    "bodyTimeoutMs",
    "maxDepth",
    "dedupeTtlSeconds",
    "dedupeLeaseSeconds",
    "storeTimeoutMs",
    "dedupeStore",
    "client",
    "logger",
    "logLevel",
    "onError",
];

impl WebhookOptions {
    /// Parses the options' JSON into a [`WebhookConfig`] whose settings are valid (whether it
    /// can verify HTTP requests is [`WebhookConfig::verifies_http`]: the dispatcher decides).
    ///
    /// ```
    /// let c = feishu_edge::webhook::WebhookOptions::config_from_json(r#"{"encryptKey":"k","toleranceSeconds":60}"#).unwrap();
    /// assert_eq!(c.tolerance_secs, 60);
    /// let keyless = feishu_edge::webhook::WebhookOptions::config_from_json("{}").unwrap();
    /// assert!(!keyless.verifies_http());
    /// ```
    pub fn config_from_json(json: &str) -> crate::Result<WebhookConfig> {
        let r = crate::options::OptionReader::parse("webhook options", json)?;
        let size = |n: Option<u64>| n.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let o = WebhookOptions {
            encrypt_key: r.string("encryptKey")?,
            verification_token: r.string("verificationToken")?,
            allow_unverified: r.boolean("allowUnverified")?,
            tolerance_seconds: r.whole("toleranceSeconds", "seconds")?,
            max_body_bytes: size(r.whole("maxBodyBytes", "bytes")?),
            body_timeout_ms: r.whole("bodyTimeoutMs", "milliseconds")?,
            max_depth: size(r.whole("maxDepth", "levels")?),
            dedupe_ttl_seconds: r.whole("dedupeTtlSeconds", "seconds")?,
            dedupe_lease_seconds: r.whole("dedupeLeaseSeconds", "seconds")?,
            store_timeout_ms: r.whole("storeTimeoutMs", "milliseconds")?,
        };
        let app_id = r.string("appId")?;
        // `encryptKey: env.X` with X unset arrives as null (the glue keeps undefined as null).
        let key_given = r.present("encryptKey");
        r.finish(&WEBHOOK_OPTION_NAMES)?;
        let d = WebhookConfig::default();
        let config = WebhookConfig {
            allow_unverified: o.allow_unverified.unwrap_or(false),
            tolerance_secs: o.tolerance_seconds.unwrap_or(d.tolerance_secs),
            max_body_bytes: o.max_body_bytes.unwrap_or(d.max_body_bytes),
            body_timeout_ms: o.body_timeout_ms.unwrap_or(d.body_timeout_ms),
            max_depth: o.max_depth.unwrap_or(d.max_depth).clamp(2, 128),
            dedupe_ttl_secs: o.dedupe_ttl_seconds.unwrap_or(d.dedupe_ttl_secs),
            dedupe_lease_secs: o.dedupe_lease_seconds.unwrap_or(d.dedupe_lease_secs),
            store_timeout_ms: o.store_timeout_ms.unwrap_or(d.store_timeout_ms),
            ..d
        }
        .encrypt_key(o.encrypt_key.as_deref().unwrap_or(""))
        .verification_token(o.verification_token.as_deref().unwrap_or(""))
        .app_id(app_id.as_deref().unwrap_or(""));
        let config = WebhookConfig {
            encrypt_key_blank: key_given && config.encrypt_key.is_none(),
            ..config
        };
        config.validate_settings()?;
        Ok(config)
    }
}
