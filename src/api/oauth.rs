//! OAuth for user access tokens: authorization code → token, refresh, and (when asked) tokens
//! kept per user in the client's token store and refreshed before they expire.

//!
//! The work goes through the client's narrow interface (`TokenHost`: settings, store, clock,
//! the pipeline), like the token manager; the token manager owns the in-flight refreshes and
//! the copies kept after failed saves. The public functions take a [`Client`] and return what
//! to do ([`Exchange`], [`Save`], [`UserAccessToken`]); everything decided is here, sync, and
//! the async driver does the waiting when they are awaited.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::json::{quote, ObjectWriter, RawFields};
use crate::request::{ApiRequest, ApiResponse, Auth};
use crate::token::TokenHost;

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

/// Exchanges a grant at the accounts host (`authen/v2/oauth/token`). Awaiting the returned
/// [`Exchange`] sends it through the client.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// use feishu_edge::api::oauth::{exchange, Grant};
/// let token = exchange(&client, Grant::Code { code: "the-code", redirect_uri: Some("https://app/cb") }).await?;
/// # Ok(()) }
/// ```
pub fn exchange<'a>(client: &'a Client, grant: Grant<'_>) -> Exchange<'a> {
    Exchange {
        request: exchange_request(client, grant),
        client,
    }
}

/// A grant exchange ([`exchange`]): the token request, sent through the client when awaited.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// let refresh = feishu_edge::api::oauth::exchange(&client, feishu_edge::api::oauth::Grant::Refresh("r-1"));
/// let token = refresh.await?;
/// # Ok(()) }
/// ```
#[must_use = "the grant is exchanged when awaited"]
pub struct Exchange<'a> {
    pub(crate) client: &'a Client,
    pub(crate) request: ApiRequest,
}

/// The token request for a grant: the app's credentials and the grant, to the accounts host.
pub(crate) fn exchange_request(host: &dyn TokenHost, grant: Grant<'_>) -> ApiRequest {
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
    ApiRequest::post(url)
        .auth(Auth::None)
        .json_str(body.finish())
}

/// Reads the token reply, its lifetimes counted from `now_ms`: no `access_token` fails.
pub(crate) fn read_exchange(resp: &ApiResponse, now_ms: u64) -> Result<UserToken> {
    let reply = std::str::from_utf8(&resp.body)
        .ok()
        .and_then(RawFields::parse)
        .unwrap_or_default();
    let seconds = |k: &str| reply.get(k).and_then(|r| r.parse::<u64>().ok());
    let now = now_ms / 1000;
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

pub(crate) fn key(host: &dyn TokenHost, open_id: &str) -> String {
    format!("feishu-edge:{}:user:{open_id}", host.config().app_id)
}

/// Keeps a user's tokens in the client's token store. Awaiting the returned [`Save`] writes
/// them.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client, token: feishu_edge::api::oauth::UserToken) -> feishu_edge::Result<()> {
/// feishu_edge::api::oauth::save(&client, "ou_1", &token).await?;
/// # Ok(()) }
/// ```
pub fn save<'a>(client: &'a Client, open_id: &str, token: &UserToken) -> Save<'a> {
    Save {
        write: StoreWrite::new(client, open_id, token),
        client,
    }
}

/// A save of a user's tokens ([`save`]): the store write, done when awaited.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client, token: feishu_edge::api::oauth::UserToken) -> feishu_edge::Result<()> {
/// let write = feishu_edge::api::oauth::save(&client, "ou_1", &token);
/// write.await?;
/// # Ok(()) }
/// ```
#[must_use = "the tokens are saved when awaited"]
pub struct Save<'a> {
    pub(crate) client: &'a Client,
    pub(crate) write: StoreWrite,
}

/// What saving a user's tokens writes: the key, the stored form, and a TTL that keeps it until
/// the refresh token (else the access token) expires, at least a minute.
pub(crate) struct StoreWrite {
    pub(crate) key: String,
    pub(crate) json: String,
    pub(crate) ttl: u64,
}

impl StoreWrite {
    pub(crate) fn new(host: &dyn TokenHost, open_id: &str, token: &UserToken) -> StoreWrite {
        let now = host.runtime().now_ms() / 1000;
        let ttl = token
            .refresh_expires_at
            .unwrap_or(token.expires_at)
            .saturating_sub(now)
            .max(60);
        StoreWrite {
            key: key(host, open_id),
            json: token.to_json(),
            ttl,
        }
    }

    /// After the store took it: an older copy kept after a failed save is obsolete.
    pub(crate) fn saved(&self, host: &dyn TokenHost) {
        host.tokens().forget_unsaved(&self.key);
    }
}

/// A valid access token for a stored user: refreshed (and stored again) when it expires within
/// the refresh margin; `None` when nothing usable is stored. Concurrent callers for the same
/// user share one refresh: a refresh token is sent once, not once per caller. Awaiting the
/// returned [`UserAccessToken`] does the work.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// if let Some(token) = feishu_edge::api::oauth::user_access_token(&client, "ou_1").await? {
///     let me = client.as_user(token);
/// }
/// # Ok(()) }
/// ```
pub fn user_access_token<'a>(client: &'a Client, open_id: &str) -> UserAccessToken<'a> {
    UserAccessToken {
        client,
        open_id: open_id.to_string(),
    }
}

/// A stored user's access token to get ([`user_access_token`]), loaded (and refreshed when
/// due) when awaited.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// let lookup = feishu_edge::api::oauth::user_access_token(&client, "ou_1");
/// let token: Option<String> = lookup.await?;
/// # Ok(()) }
/// ```
#[must_use = "the token is looked up when awaited"]
pub struct UserAccessToken<'a> {
    pub(crate) client: &'a Client,
    pub(crate) open_id: String,
}

/// How many times a refreshed user token's save is tried (once at the refresh, then once per
/// later call) before it is only kept in memory.
const MAX_SAVE_ATTEMPTS: u32 = 4;

/// Where a user's tokens come from this time: a copy kept in memory after failed saves (the
/// store does not have the latest refresh token; `retry_save` when its save is to be tried
/// again), or the store.
pub(crate) enum Source {
    /// The copy kept in memory, and whether (and after how many failures) to save it again.
    Unsaved {
        json: String,
        retry_save: Option<(UserToken, u32)>,
    },
    /// Read the store at the key.
    Store,
}

/// Where to read a user's tokens from (see [`Source`]).
pub(crate) fn source(host: &dyn TokenHost, open_id: &str) -> Source {
    match host.tokens().unsaved(&key(host, open_id)) {
        Some((json, failures)) => {
            let retry_save = (failures < MAX_SAVE_ATTEMPTS)
                .then(|| UserToken::from_json(&json).map(|t| (t, failures)))
                .flatten();
            Source::Unsaved { json, retry_save }
        }
        None => Source::Store,
    }
}

/// What a stored user's tokens allow now.
pub(crate) enum Verdict {
    /// The access token is valid beyond the refresh margin.
    Use(String),
    /// Refresh with this refresh token.
    Refresh(String),
    /// Nothing usable (unreadable, or both tokens expired).
    Nothing,
}

/// Judges a user's stored tokens (`json`) at `now` (epoch seconds).
pub(crate) fn verdict(host: &dyn TokenHost, json: &str, now: u64) -> Verdict {
    let Some(token) = UserToken::from_json(json) else {
        return Verdict::Nothing;
    };
    if now + host.config().refresh_margin_secs < token.expires_at {
        return Verdict::Use(token.access_token);
    }
    match token
        .refresh_token
        .filter(|_| token.refresh_expires_at.is_none_or(|t| now < t))
    {
        Some(refresh) => Verdict::Refresh(refresh),
        None => Verdict::Nothing,
    }
}

/// A refreshed token's save failed (its `failures`-th): the caller gets the token whatever the
/// store does, since the platform has already invalidated the old refresh token; the new one
/// is kept in memory (serving the next calls, which try the save again) and the failure is
/// logged as an error.
pub(crate) fn save_failed(
    host: &dyn TokenHost,
    open_id: &str,
    token: &UserToken,
    failures: u32,
    e: &Error,
) {
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
