//! The tenant token of a keyless client: the provider's assertion for the OAuth host, exchanged
//! at `/oauth/v3/token` through the client's pipeline (retries on 5xx and network failures),
//! the reply judged as the official SDK does.

use super::assertion::{self, codes, AssertionToken, ClientAssertion};
use super::host::TokenHost;
use super::manager::{CachedToken, TokenKind};
use crate::config::AppType;
use crate::error::{Error, Result};
use crate::json::RawFields;
use crate::request::{ApiRequest, ApiResponse, Auth};

/// Fetches a tenant access token by exchanging an assertion: what the async driver runs when
/// this is awaited (the provider asked within the request timeout, the exchange sent through
/// the pipeline), every judgment here ([`Fetch::audience`], [`Fetch::request`], [`Fetch::read`]).
pub(crate) fn fetch<'a>(
    host: &'a dyn TokenHost,
    kind: &'a TokenKind,
    provider: &'a ClientAssertion,
) -> Fetch<'a> {
    Fetch {
        host,
        kind,
        provider,
    }
}

/// A keyless tenant token fetch ([`fetch`]), run when awaited.
#[must_use = "the token is fetched when awaited"]
pub(crate) struct Fetch<'a> {
    pub(crate) host: &'a dyn TokenHost,
    pub(crate) kind: &'a TokenKind,
    pub(crate) provider: &'a ClientAssertion,
}

impl Fetch<'_> {
    /// The audience the provider signs for, after refusing what has no assertion path: a
    /// marketplace app, the app access token.
    pub(crate) fn audience(&self) -> Result<String> {
        let cfg = self.host.config();
        if cfg.app_type == AppType::Marketplace {
            return Err(assertion::error(
                codes::NOT_CONFIGURED,
                "ClientAssertion mode is not supported for ISV apps",
            ));
        }
        if *self.kind == TokenKind::App {
            return Err(assertion::error(
                codes::NOT_CONFIGURED,
                "ClientAssertion mode has no app_access_token: calls use the tenant access token (or a user access token)",
            ));
        }
        assertion::audience(cfg.accounts_base())
    }

    /// How long the provider may take: it is asked inside the single-flight token fetch, and
    /// one that hangs would hold up every call, so it gets the client's request timeout.
    pub(crate) fn provider_timeout_ms(&self) -> u64 {
        self.host.config().timeout_ms.unwrap_or(0)
    }

    /// The exchange: the accounts host's token endpoint (or the proxy the provider named, with
    /// `X-Target-Service`), retried like any idempotent call.
    pub(crate) fn request(&self, aud: &str, token: &AssertionToken) -> Result<ApiRequest> {
        let cfg = self.host.config();
        let (url, header) = assertion::exchange_target(cfg.accounts_base(), aud, token)?;
        let mut req = ApiRequest::post(url)
            .auth(Auth::None)
            .idempotent(true)
            .json_str(assertion::exchange_body(&cfg.app_id, &token.value));
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        Ok(req)
    }

    /// Reads the exchange's outcome, judged as the official SDK does, at `now_ms`.
    pub(crate) fn read(sent: Result<ApiResponse>, now_ms: u64) -> Result<CachedToken> {
        let resp = sent.map_err(exchange_failure)?;
        let reply = std::str::from_utf8(&resp.body)
            .ok()
            .and_then(RawFields::parse)
            .unwrap_or_default();
        let Some(access_token) = reply.str("access_token").filter(|t| !t.is_empty()) else {
            let code = reply.get("code").and_then(|c| c.parse().ok()).unwrap_or(0);
            let msg = reply
                .str("error_description")
                .filter(|m| !m.is_empty())
                .or_else(|| reply.str("error").filter(|m| !m.is_empty()))
                .unwrap_or_else(|| "oauth token response missing access token".into());
            return Err(assertion::error(code, msg));
        };
        let now = now_ms / 1000;
        Ok(CachedToken {
            token: access_token,
            expires_at: now.saturating_add(lifetime(reply.get("expires_in"))),
        })
    }
}

/// The default lifetime (seconds) of an exchanged token whose reply has no usable
/// `expires_in`: the tenant token's (`expire`, 7200 s by default in the token manager).
pub(crate) const DEFAULT_EXPIRES_SECS: u64 = 7200;
/// The longest lifetime (seconds) believed from a reply: a day.
pub(crate) const MAX_EXPIRES_SECS: u64 = 24 * 3600;

/// A token's lifetime from the reply's raw `expires_in` (a number, or a numeric string): a
/// missing, zero or unreadable value is [`DEFAULT_EXPIRES_SECS`], as the tenant token's missing
/// `expire` is (a zero would make the token always stale, repeating the exchange on every call);
/// at most [`MAX_EXPIRES_SECS`].
fn lifetime(raw: Option<&str>) -> u64 {
    raw.and_then(|r| r.trim_matches('"').parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_EXPIRES_SECS)
        .min(MAX_EXPIRES_SECS)
}

/// A refused exchange as the official `ClientAssertionError` (the reply's code, or 0); a
/// timeout or a network failure stays what it is (retryable, with its cause).
fn exchange_failure(e: Error) -> Error {
    if matches!(e.cause(), Error::ClientAssertion { .. }) {
        return e;
    }
    match e.api() {
        Some(api) => assertion::error(
            api.code.unwrap_or(0),
            if api.msg.is_empty() {
                format!(
                    "client assertion token exchange failed (HTTP {})",
                    api.http_status
                )
            } else {
                format!("client assertion token exchange failed: {}", api.msg)
            },
        ),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_bounded() {
        assert_eq!(lifetime(Some("3600")), 3600);
        assert_eq!(lifetime(Some("\"3600\"")), 3600);
        assert_eq!(lifetime(None), DEFAULT_EXPIRES_SECS);
        assert_eq!(lifetime(Some("0")), DEFAULT_EXPIRES_SECS);
        assert_eq!(lifetime(Some("-5")), DEFAULT_EXPIRES_SECS);
        assert_eq!(lifetime(Some("null")), DEFAULT_EXPIRES_SECS);
        assert_eq!(lifetime(Some("18446744073709551615")), MAX_EXPIRES_SECS);
        assert_eq!(
            lifetime(Some("99999999999999999999999")),
            DEFAULT_EXPIRES_SECS
        );
        assert_eq!(
            u64::MAX.saturating_add(lifetime(Some("18446744073709551615"))),
            u64::MAX
        );
    }
}
