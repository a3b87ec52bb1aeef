//! One error type for the whole SDK. Every failure is a value: nothing from the network, a
//! webhook or a caller can make the SDK panic.

mod card;
mod refusal;

pub use card::{CardError, CardErrorKind};
pub use refusal::Reason;

use std::fmt;

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the platform (or whatever answered in its place) said about a failed call.
///
/// ```
/// let e = feishu_edge::ApiError { code: Some(99991663), msg: "invalid token".into(),
///     log_id: Some("202611".into()), http_status: 400, rate_limit_reset_secs: None };
/// assert!(e.is_token_invalid());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The envelope's `code`, when there was an envelope.
    pub code: Option<i64>,
    /// The envelope's `msg`, or a short description of an unusable body.
    pub msg: String,
    /// `X-Tt-Logid`: quote it when asking the platform's support about a call.
    pub log_id: Option<String>,
    /// HTTP status of the reply.
    pub http_status: u16,
    /// `x-ogw-ratelimit-reset`: seconds until the rate-limit window resets.
    pub rate_limit_reset_secs: Option<u64>,
}

/// Body codes meaning "this access token is no longer valid: fetch a new one and retry once".
pub const TOKEN_INVALID_CODES: [i64; 4] = [99991663, 99991664, 99991671, 99991668];
/// Body code of a rate-limited call.
pub const RATE_LIMITED_CODE: i64 = 99991400;
/// Body code of an invalid `app_ticket` (marketplace apps).
pub const APP_TICKET_INVALID_CODE: i64 = 10012;

impl ApiError {
    /// True for the codes that mean the access token must be replaced.
    pub fn is_token_invalid(&self) -> bool {
        self.code.is_some_and(|c| TOKEN_INVALID_CODES.contains(&c))
    }
    /// True for HTTP 429 or body code 99991400.
    pub fn is_rate_limited(&self) -> bool {
        self.http_status == 429 || self.code == Some(RATE_LIMITED_CODE)
    }
}

/// Every way a call can fail.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The platform answered with an envelope whose `code` is not 0.
    Api(Box<ApiError>),
    /// A non-2xx reply without a usable envelope (a gateway's HTML page, an empty 502...).
    Http(Box<ApiError>),
    /// A 2xx reply whose body is not a valid envelope (empty, truncated, not JSON).
    InvalidResponse(Box<ApiError>),
    /// No reply within the configured timeout; the request was cancelled.
    Timeout {
        /// The timeout that expired, in milliseconds.
        ms: u64,
    },
    /// The request never got a reply (connection refused, DNS, TLS, a `fetch` that threw).
    Network(String),
    /// The client is configured wrongly (missing app id, bad base URL...).
    Config(String),
    /// The call itself is malformed (missing path parameter, bad option...).
    InvalidRequest(String),
    /// The token store failed.
    Store(String),
    /// A marketplace app has no `app_ticket` yet; a resend was requested.
    AppTicketMissing,
    /// A webhook request or payload was refused.
    Webhook(Reason),
    /// A card failed validation.
    Card(Box<CardError>),
    /// A streamed card's text source failed (the card was closed with a note).
    Stream(String),
    /// A call that is not idempotent failed in a way that does not say whether the platform
    /// processed it (a timeout, a network error, a 5xx): the inner error, never retryable,
    /// because sending it again could do it twice. `kind`, `code` and the rest are the inner's.
    Unconfirmed(Box<Error>),
    /// Keyless authentication failed (the official `ClientAssertionError`): the provider, or
    /// the OAuth exchange of its assertion. `code` is the official one (7100–7104) or the
    /// exchange reply's (0 when it had none).
    ClientAssertion {
        /// The code.
        code: i64,
        /// What went wrong (never the assertion).
        msg: String,
    },
}

impl Error {
    /// A 2xx reply that could not be used (`code` is reported as 0: the envelope said success).
    ///
    /// ```
    /// let e = feishu_edge::Error::invalid_response("no card_id", Some("L1".into()), 200);
    /// assert_eq!((e.kind(), e.code()), ("invalid_response", Some(0)));
    /// ```
    pub fn invalid_response(
        msg: impl Into<String>,
        log_id: Option<String>,
        http_status: u16,
    ) -> Error {
        Error::InvalidResponse(Box::new(ApiError {
            code: Some(0),
            msg: msg.into(),
            log_id,
            http_status,
            rate_limit_reset_secs: None,
        }))
    }

    /// Marks a failure of a non-idempotent call: when it could have been processed (timeout,
    /// network, 5xx), it becomes [`Error::Unconfirmed`]; a rate limit or a 4xx stays as it is.
    ///
    /// ```
    /// let e = feishu_edge::Error::Timeout { ms: 5 }.unconfirmed();
    /// assert_eq!((e.kind(), e.retryable()), ("timeout", false));
    /// ```
    pub fn unconfirmed(self) -> Error {
        let maybe_processed = match &self {
            Error::Timeout { .. } | Error::Network(_) => true,
            Error::Api(e) | Error::Http(e) | Error::InvalidResponse(e) => {
                e.http_status >= 500 && !e.is_rate_limited()
            }
            _ => false,
        };
        if maybe_processed {
            Error::Unconfirmed(Box::new(self))
        } else {
            self
        }
    }

    /// The platform's code, when there was one.
    pub fn code(&self) -> Option<i64> {
        if let Error::ClientAssertion { code, .. } = self.cause() {
            return Some(*code);
        }
        self.api().and_then(|e| e.code)
    }
    /// The failed reply's details, for the three kinds that had a reply.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::Http(e) | Error::InvalidResponse(e) => Some(e),
            Error::Unconfirmed(inner) => inner.api(),
            _ => None,
        }
    }
    /// Whether trying the same call again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Api(e) | Error::Http(e) | Error::InvalidResponse(e) => {
                e.is_rate_limited() || e.http_status >= 500
            }
            Error::Timeout { .. } | Error::Network(_) => true,
            _ => false,
        }
    }
    /// The error itself, or the one an [`Error::Unconfirmed`] wraps.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Unconfirmed(inner) => inner.cause(),
            other => other,
        }
    }
    /// A stable machine-readable name of the kind, as JS sees it in `FeishuError.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api(_) => "api",
            Error::Http(_) => "http",
            Error::InvalidResponse(_) => "invalid_response",
            Error::Timeout { .. } => "timeout",
            Error::Network(_) => "network",
            Error::Config(_) => "config",
            Error::InvalidRequest(_) => "invalid_request",
            Error::Store(_) => "store",
            Error::AppTicketMissing => "app_ticket_missing",
            Error::Webhook(_) => "webhook",
            Error::Card(_) => "invalid_card",
            Error::Stream(_) => "stream",
            Error::ClientAssertion { .. } => "client_assertion",
            Error::Unconfirmed(inner) => inner.kind(),
        }
    }
    /// True when the reply said the access token is invalid.
    pub fn is_token_invalid(&self) -> bool {
        matches!(self, Error::Api(e) if e.is_token_invalid())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_log = |f: &mut fmt::Formatter<'_>, e: &ApiError| match &e.log_id {
            Some(id) => write!(f, " (HTTP {}, log id {id})", e.http_status),
            None => write!(f, " (HTTP {})", e.http_status),
        };
        match self {
            Error::Api(e) => {
                write!(f, "Feishu API error {}: {}", e.code.unwrap_or(0), e.msg)?;
                with_log(f, e)
            }
            Error::Http(e) => {
                write!(f, "HTTP error without a Feishu envelope: {}", e.msg)?;
                with_log(f, e)
            }
            Error::InvalidResponse(e) => {
                write!(f, "invalid response body: {}", e.msg)?;
                with_log(f, e)
            }
            Error::Timeout { ms } => write!(f, "request timed out after {ms} ms"),
            Error::Network(m) => write!(f, "network error: {m}"),
            Error::Config(m) => write!(f, "configuration error: {m}"),
            Error::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Error::Store(m) => write!(f, "token store error: {m}"),
            Error::Webhook(r) => write!(f, "webhook refused ({}): {}", r.as_str(), r.message()),
            Error::Card(e) => write!(f, "invalid card ({}): {}", e.kind.as_str(), e.message),
            Error::Stream(m) => write!(f, "the streamed text source failed: {m}"),
            Error::ClientAssertion { code, msg } => {
                write!(f, "client assertion error {code}: {msg}")
            }
            Error::Unconfirmed(inner) => write!(
                f,
                "{inner} (the call is not idempotent and may have been processed: not retried)"
            ),
            Error::AppTicketMissing => write!(
                f,
                "no app_ticket stored for this marketplace app yet; a resend was requested, retry after the app_ticket event arrives"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: Option<i64>, status: u16) -> ApiError {
        ApiError {
            code,
            msg: "m".into(),
            log_id: Some("L1".into()),
            http_status: status,
            rate_limit_reset_secs: None,
        }
    }

    #[test]
    fn retryable_kinds() {
        assert!(Error::Api(Box::new(api(Some(99991400), 200))).retryable());
        assert!(Error::Http(Box::new(api(None, 429))).retryable());
        assert!(Error::Http(Box::new(api(None, 502))).retryable());
        assert!(!Error::Api(Box::new(api(Some(1), 400))).retryable());
        assert!(Error::Timeout { ms: 1 }.retryable());
        assert!(!Error::Config("x".into()).retryable());
    }

    #[test]
    fn display_names_code_and_log_id() {
        let s = Error::Api(Box::new(api(Some(230001), 400))).to_string();
        assert!(
            s.contains("230001") && s.contains("L1") && s.contains("HTTP 400"),
            "{s}"
        );
    }
}
