//! The tenant token of a keyless client: the provider's assertion for the OAuth host, exchanged
//! at `/oauth/v3/token` through the client's pipeline (retries on 5xx and network failures),
//! the reply judged as the official SDK does.

use super::assertion::{self, codes, ClientAssertion};
use super::manager::{CachedToken, TokenHost, TokenKind};
use crate::config::AppType;
use crate::error::{Error, Result};
use crate::json::RawFields;
use crate::request::{ApiRequest, Auth};

/// Fetches a tenant access token by exchanging an assertion.
pub(crate) async fn fetch(
    host: &dyn TokenHost,
    kind: &TokenKind,
    provider: &ClientAssertion,
) -> Result<CachedToken> {
    let cfg = host.config();
    if cfg.app_type == AppType::Marketplace {
        return Err(assertion::error(
            codes::NOT_CONFIGURED,
            "ClientAssertion mode is not supported for ISV apps",
        ));
    }
    if *kind == TokenKind::App {
        return Err(assertion::error(
            codes::NOT_CONFIGURED,
            "ClientAssertion mode has no app_access_token: calls use the tenant access token (or a user access token)",
        ));
    }
    let accounts = cfg.accounts_base();
    let aud = assertion::audience(accounts)?;
    let token = assertion::retrieve(provider, &aud).await?;
    let (url, header) = assertion::exchange_target(accounts, &aud, &token)?;
    let mut req = ApiRequest::post(url)
        .auth(Auth::None)
        .idempotent(true)
        .json_str(assertion::exchange_body(&cfg.app_id, &token.value));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    crate::log::log_at!(
        host.logger(),
        crate::log::Level::Debug,
        "request token (client assertion)"
    );
    let resp = match Box::pin(host.call(req)).await {
        Ok(resp) => resp,
        Err(e) => return Err(exchange_failure(e)),
    };
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
    let expires_in: u64 = reply
        .get("expires_in")
        .and_then(|r| r.trim_matches('"').parse().ok())
        .unwrap_or(0);
    let now = host.runtime().now_ms() / 1000;
    Ok(CachedToken {
        token: access_token,
        expires_at: now + expires_in,
    })
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
