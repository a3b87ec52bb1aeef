//! OAuth for user access tokens: authorization code → token, refresh, and (when asked) tokens
//! kept per user in the client's token store and refreshed before they expire.

//!
//! The work goes through the client's narrow interface (`TokenHost`: settings, store, clock,
//! the pipeline), like the token manager; the token manager owns the in-flight refreshes and
//! the copies kept after failed saves. The public functions take a [`Client`].

use crate::client::Client;
use crate::error::{Error, Result};
use crate::json::{quote, ObjectWriter, RawFields};
use crate::request::{ApiRequest, Auth};
use crate::token::TokenHost;
use std::sync::Arc;

/// A user's tokens, as kept in the store (`feishu-edge:<app_id>:user:<open_id>`). Its one
/// codec is [`UserToken::to_json`] / [`UserToken::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    /// The user access token.
    pub access_token: String,
    /// The refresh token, when the app has `offline_access`.
    pub refresh_token: Option<String>,
    /// Epoch seconds at which the access token expires.
    pub expires_at: u64,
    /// Epoch seconds at which the refresh token expires.
    pub refresh_expires_at: Option<u64>,
    /// Granted scopes.
    pub scope: Option<String>,
}

/// How to get a token.
pub enum Grant<'a> {
    /// The `code` from the redirect, and the redirect URI used.
    Code {
        /// The authorization code.
        code: &'a str,
        /// The redirect URI of the authorization request.
        redirect_uri: Option<&'a str>,
    },
    /// A refresh token.
    Refresh(&'a str),
}

impl UserToken {
    /// The stored form: `{"access_token","refresh_token"?,"expiresAt","refreshExpiresAt"?,"scope"?}`.
    ///
    /// ```
    /// use feishu_edge::api::oauth::UserToken;
    /// let t = UserToken { access_token: "u-1".into(), refresh_token: None, expires_at: 9, refresh_expires_at: None, scope: None };
    /// assert_eq!(t.to_json(), r#"{"access_token":"u-1","expiresAt":9}"#);
    /// assert_eq!(UserToken::from_json(&t.to_json()), Some(t));
    /// ```
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::default();
        w.field("access_token", &quote(&self.access_token));
        if let Some(r) = &self.refresh_token {
            w.field("refresh_token", &quote(r));
        }
        w.field("expiresAt", &self.expires_at.to_string());
        if let Some(t) = self.refresh_expires_at {
            w.field("refreshExpiresAt", &t.to_string());
        }
        if let Some(s) = &self.scope {
            w.field("scope", &quote(s));
        }
        w.finish()
    }
    /// Reads the stored form; `None` when it is not one.
    pub fn from_json(json: &str) -> Option<UserToken> {
        let f = RawFields::parse(json)?;
        let number = |k: &str| {
            f.get(k)
                .filter(|r| *r != "null")
                .map(|r| r.parse::<u64>().ok())
        };
        Some(UserToken {
            access_token: f.str("access_token")?,
            refresh_token: f.str("refresh_token"),
            expires_at: number("expiresAt")??,
            refresh_expires_at: match number("refreshExpiresAt") {
                None => None,
                Some(n) => Some(n?),
            },
            scope: f.str("scope"),
        })
    }
}

/// Exchanges a grant at the accounts host (`authen/v2/oauth/token`).
pub async fn exchange(client: &Client, grant: Grant<'_>) -> Result<UserToken> {
    exchange_with(client, grant).await
}

async fn exchange_with(host: &dyn TokenHost, grant: Grant<'_>) -> Result<UserToken> {
    let cfg = host.config();
    let (grant_type, code, redirect_uri, refresh_token) = match grant {
        Grant::Code { code, redirect_uri } => {
            ("authorization_code", Some(code), redirect_uri, None)
        }
        Grant::Refresh(token) => ("refresh_token", None, None, Some(token)),
    };
    let mut body = ObjectWriter::default();
    body.field("grant_type", &quote(grant_type));
    body.field("client_id", &quote(&cfg.app_id));
    body.field("client_secret", &quote(cfg.app_secret.expose()));
    for (name, value) in [
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("refresh_token", refresh_token),
    ] {
        if let Some(v) = value {
            body.field(name, &quote(v));
        }
    }
    let url = format!("{}open-apis/authen/v2/oauth/token", cfg.accounts_base());
    let resp = host
        .call(
            ApiRequest::post(url)
                .auth(Auth::None)
                .json_str(body.finish()),
        )
        .await?;
    let reply = std::str::from_utf8(&resp.body)
        .ok()
        .and_then(RawFields::parse)
        .unwrap_or_default();
    let seconds = |k: &str| reply.get(k).and_then(|r| r.parse::<u64>().ok());
    let now = host.runtime().now_ms() / 1000;
    let access_token = reply
        .str("access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::invalid_response(
                "the token reply has no access_token",
                resp.log_id.clone(),
                resp.status,
            )
        })?;
    Ok(UserToken {
        access_token,
        refresh_token: reply.str("refresh_token").filter(|t| !t.is_empty()),
        expires_at: now + seconds("expires_in").unwrap_or(7200),
        refresh_expires_at: seconds("refresh_token_expires_in").map(|s| now + s),
        scope: reply.str("scope"),
    })
}

fn key(host: &dyn TokenHost, open_id: &str) -> String {
    format!("feishu-edge:{}:user:{open_id}", host.config().app_id)
}

/// Keeps a user's tokens in the client's token store.
pub async fn save(client: &Client, open_id: &str, token: &UserToken) -> Result<()> {
    save_with(client, open_id, token).await
}

async fn save_with(host: &dyn TokenHost, open_id: &str, token: &UserToken) -> Result<()> {
    let json = token.to_json();
    let now = host.runtime().now_ms() / 1000;
    let ttl = token
        .refresh_expires_at
        .unwrap_or(token.expires_at)
        .saturating_sub(now)
        .max(60);
    let key = key(host, open_id);
    host.store().put(&key, &json, Some(ttl)).await?;
    // The store has the latest now: an older copy kept after a failed save is obsolete.
    host.tokens().forget_unsaved(&key);
    Ok(())
}

/// A valid access token for a stored user: refreshed (and stored again) when it expires within
/// the refresh margin; `None` when nothing usable is stored. Concurrent callers for the same
/// user share one refresh: a refresh token is sent once, not once per caller.
pub async fn user_access_token(client: &Client, open_id: &str) -> Result<Option<String>> {
    let key = key(client, open_id);
    let id = open_id.to_string();
    crate::token::one_refresh_per_user(client, &key, move |owner| {
        Box::pin(async move { load_or_refresh(owner, &id).await })
    })
    .await
}

/// How many times a refreshed user token's save is tried (once at the refresh, then once per
/// later call) before it is only kept in memory.
const MAX_SAVE_ATTEMPTS: u32 = 4;

async fn load_or_refresh(host: Arc<dyn TokenHost>, open_id: &str) -> Result<Option<String>> {
    let host = &*host;
    let key = key(host, open_id);
    let now = host.runtime().now_ms() / 1000;
    let json = match host.tokens().unsaved(&key) {
        // The store does not have the latest refresh token: this copy is the only one.
        Some((json, failures)) => {
            if failures < MAX_SAVE_ATTEMPTS {
                if let Some(token) = UserToken::from_json(&json) {
                    persist(host, open_id, &token, failures).await;
                }
            }
            json
        }
        None => match host.store().get(&key).await? {
            Some(json) => json,
            None => return Ok(None),
        },
    };
    let Some(token) = UserToken::from_json(&json) else {
        return Ok(None);
    };
    if now + host.config().refresh_margin_secs < token.expires_at {
        return Ok(Some(token.access_token));
    }
    let Some(refresh) = token
        .refresh_token
        .as_deref()
        .filter(|_| token.refresh_expires_at.is_none_or(|t| now < t))
    else {
        return Ok(None);
    };
    let fresh = exchange_with(host, Grant::Refresh(refresh)).await?;
    persist(host, open_id, &fresh, 0).await;
    Ok(Some(fresh.access_token))
}

/// Saves a refreshed token, which the caller gets whatever the store does: the platform has
/// already invalidated the old refresh token, so a failed save keeps the new one in memory
/// (serving the next calls, which try the save again) and is logged as an error.
async fn persist(host: &dyn TokenHost, open_id: &str, token: &UserToken, failures: u32) {
    let Err(e) = save_with(host, open_id, token).await else {
        return;
    };
    let failures = failures + 1;
    let logger = host.logger();
    if failures < MAX_SAVE_ATTEMPTS {
        crate::log::log_at!(
            logger,
            crate::log::Level::Error,
            "could not save a refreshed user token (attempt {failures} of {MAX_SAVE_ATTEMPTS}); it is kept in memory and the next call tries again: {e}"
        );
    } else {
        crate::log::log_at!(
            logger,
            crate::log::Level::Error,
            "could not save a refreshed user token after {failures} attempts; only this process has it, and the user must authorize again if it restarts: {e}"
        );
    }
    let now = host.runtime().now_ms() / 1000;
    let expires = token.refresh_expires_at.unwrap_or(token.expires_at);
    host.tokens()
        .keep_unsaved(key(host, open_id), token.to_json(), expires, failures, now);
}
