//! Fetching, caching and refreshing tenant and app access tokens.
//!
//! Lookup order: this isolate's memory, then the [`super::TokenStore`] (possibly shared between
//! isolates), then the platform. Concurrent callers of the same key share one fetch
//! (single-flight). Expiry is absolute epoch time; tokens are refreshed `refresh_margin_secs`
//! before they expire.

use crate::config::AppType;
use crate::error::{Error, Result, APP_TICKET_INVALID_CODE};
use crate::json::{quote, ObjectWriter, RawFields};
use crate::log::{log_at, Level};
use crate::request::{ApiRequest, ApiResponse, Auth};
use crate::runtime::BoxFuture;
use futures_util::future::{FutureExt, Shared};

use std::collections::{HashMap, HashSet};

/// Which token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `app_access_token`.
    App,
    /// `tenant_access_token`, per tenant for marketplace apps.
    Tenant(Option<String>),
}

/// A token as cached in memory and in the store (JSON: `{"token","expiresAt"}`, epoch seconds).
/// Its one codec is [`CachedToken::to_json`] / [`CachedToken::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    /// The token.
    pub token: String,
    /// Epoch seconds at which the platform stops accepting it.
    pub expires_at: u64,
}

impl CachedToken {
    /// The stored form, `{"token":"...","expiresAt":N}`.
    ///
    /// ```
    /// use feishu_edge::token::CachedToken;
    /// let t = CachedToken { token: "t-1".into(), expires_at: 9 };
    /// assert_eq!(t.to_json(), r#"{"token":"t-1","expiresAt":9}"#);
    /// assert_eq!(CachedToken::from_json(&t.to_json()), Some(t));
    /// ```
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"token":{},"expiresAt":{}}}"#,
            quote(&self.token),
            self.expires_at
        )
    }
    /// Reads the stored form; `None` when it is not one.
    pub fn from_json(json: &str) -> Option<CachedToken> {
        let f = RawFields::parse(json)?;
        Some(CachedToken {
            token: f.str("token")?,
            expires_at: f.get("expiresAt")?.parse().ok()?,
        })
    }
    fn fresh(&self, now_secs: u64, margin: u64) -> bool {
        now_secs.saturating_add(margin) < self.expires_at
    }
}

type TokenFuture = Shared<BoxFuture<'static, Result<CachedToken>>>;
/// A user-token refresh in flight, shared by everyone asking for that user meanwhile.
pub(crate) type UserTokenFuture = Shared<BoxFuture<'static, Result<Option<String>>>>;

/// Runs `work` once per user `key` at a time: callers asking for the same user while it runs
/// share its result (a refresh token is sent once, not once per caller).
pub(crate) async fn one_refresh_per_user(
    host: &dyn TokenHost,
    key: &str,
    work: impl FnOnce(std::sync::Arc<dyn TokenHost>) -> BoxFuture<'static, Result<Option<String>>>,
) -> Result<Option<String>> {
    use futures_util::future::FutureExt;
    let tokens = host.tokens();
    let existing = tokens.user_inflight.borrow().get(key).cloned();
    let shared = match existing {
        Some(f) => f,
        None => {
            let owner = host.handle();
            let run = work(owner.clone());
            let k = key.to_string();
            let f: BoxFuture<'static, Result<Option<String>>> = Box::pin(async move {
                let result = run.await;
                owner.tokens().user_inflight.borrow_mut().remove(&k);
                result
            });
            let shared = f.shared();
            tokens
                .user_inflight
                .borrow_mut()
                .insert(key.to_string(), shared.clone());
            shared
        }
    };
    shared.await
}

/// What the token manager needs from its client: settings, seams, its cache, and one way to
/// send a call. [`crate::Client`] is one; the manager knows nothing else of it.
pub(crate) trait TokenHost: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    fn config(&self) -> &crate::Config;
    fn store(&self) -> &std::sync::Arc<dyn super::TokenStore>;
    fn runtime(&self) -> &std::sync::Arc<dyn crate::Runtime>;
    fn logger(&self) -> &std::sync::Arc<dyn crate::Logger>;
    fn tokens(&self) -> &TokenCache;
    /// Sends a call through the client's pipeline (envelope checked).
    fn call(&self, req: ApiRequest) -> BoxFuture<'_, Result<ApiResponse>>;
    /// An owned handle, for work that outlives the caller (a shared fetch).
    fn handle(&self) -> std::sync::Arc<dyn TokenHost>;
}

/// The most tokens one client keeps in memory (one per tenant for marketplace apps).
const LOCAL_CAPACITY: usize = 10_000;

/// Per-client memory cache, in-flight fetches, and keys whose store entry must not be trusted.
#[derive(Default)]
pub(crate) struct TokenCache {
    local: crate::runtime::Lock<HashMap<String, CachedToken>>,
    inflight: crate::runtime::Lock<HashMap<String, TokenFuture>>,
    /// Keys the platform said were invalid: the next load skips the store (which may still
    /// serve the revoked token: no `delete`, or an eventually consistent one).
    distrust_store: crate::runtime::Lock<HashSet<String>>,
    /// OAuth refreshes in flight, by user.
    user_inflight: crate::runtime::Lock<HashMap<String, UserTokenFuture>>,
    /// Refreshed user tokens the store did not take, by store key: `(stored form, expiry,
    /// failed saves)`. Refresh tokens are single use, so this may be the only copy: it serves
    /// the next calls, and each of them tries the save again (a bounded number of times).
    unsaved_users: crate::runtime::Lock<HashMap<String, (String, u64, u32)>>,
}

impl TokenCache {
    /// The user token kept after failed saves under `key`: `(stored form, failed saves)`.
    pub(crate) fn unsaved(&self, key: &str) -> Option<(String, u32)> {
        let unsaved = self.unsaved_users.borrow();
        unsaved
            .get(key)
            .map(|(json, _, failures)| (json.clone(), *failures))
    }
    /// Forgets the kept copy under `key` (the store has the latest now).
    pub(crate) fn forget_unsaved(&self, key: &str) {
        self.unsaved_users.borrow_mut().remove(key);
    }
    /// Keeps a user token the store would not take (bounded like the token cache).
    pub(crate) fn keep_unsaved(
        &self,
        key: String,
        json: String,
        expires: u64,
        failures: u32,
        now: u64,
    ) {
        let mut unsaved = self.unsaved_users.borrow_mut();
        if !unsaved.contains_key(&key) {
            super::store::make_room(&mut unsaved, LOCAL_CAPACITY, now, |e| Some(e.1));
        }
        unsaved.insert(key, (json, expires, failures));
    }

    fn remember(&self, key: String, token: CachedToken, now: u64) {
        let mut local = self.local.borrow_mut();
        if !local.contains_key(&key) {
            super::store::make_room(&mut local, LOCAL_CAPACITY, now, |t| Some(t.expires_at));
        }
        local.insert(key, token);
    }
}

/// The store key of a token kind: `feishu-edge:<app_id>:tenant[:<tenant_key>]` or `:app`.
pub(crate) fn store_key(app_id: &str, kind: &TokenKind) -> String {
    match kind {
        TokenKind::App => format!("feishu-edge:{app_id}:app_access_token"),
        TokenKind::Tenant(None) => format!("feishu-edge:{app_id}:tenant_access_token"),
        TokenKind::Tenant(Some(t)) => format!("feishu-edge:{app_id}:tenant_access_token:{t}"),
    }
}

/// The store key of the marketplace app's pushed `app_ticket`.
pub(crate) fn ticket_key(app_id: &str) -> String {
    format!("feishu-edge:{app_id}:app_ticket")
}

/// The token of `kind` this client holds in memory, if it is still fresh: no store, no wait.
pub(crate) fn cached(host: &dyn TokenHost, kind: &TokenKind) -> Option<String> {
    let key = store_key(&host.config().app_id, kind);
    let now = host.runtime().now_ms() / 1000;
    let local = host.tokens().local.borrow();
    let t = local.get(&key)?;
    t.fresh(now, host.config().refresh_margin_secs)
        .then(|| t.token.clone())
}

/// Returns a valid token of `kind`, fetching it at most once however many callers ask at once.
/// Boxed with its type spelled out: a tenant token's fetch asks for the app token (recursion),
/// and only a named future type lets the compiler prove the whole chain `Send`.
pub(crate) fn get(host: &dyn TokenHost, kind: TokenKind) -> BoxFuture<'_, Result<String>> {
    Box::pin(get_inner(host, kind))
}

async fn get_inner(host: &dyn TokenHost, kind: TokenKind) -> Result<String> {
    if let Some(t) = cached(host, &kind) {
        return Ok(t);
    }
    let inner = host;
    let key = store_key(&inner.config().app_id, &kind);
    let existing = inner.tokens().inflight.borrow().get(&key).cloned();
    let fut = match existing {
        Some(f) => f,
        None => {
            let owner = host.handle();
            let k = key.clone();
            let f: BoxFuture<'static, Result<CachedToken>> = Box::pin(async move {
                let result = load_or_fetch(&*owner, &kind, &k).await;
                let inner = &*owner;
                inner.tokens().inflight.borrow_mut().remove(&k);
                if let Ok(t) = &result {
                    let now = inner.runtime().now_ms() / 1000;
                    inner.tokens().remember(k, t.clone(), now);
                }
                result
            });
            let shared = f.shared();
            inner
                .tokens()
                .inflight
                .borrow_mut()
                .insert(key, shared.clone());
            shared
        }
    };
    fut.await.map(|t| t.token)
}

/// Forgets a token everywhere (after the platform said it is invalid).
pub(crate) async fn invalidate(host: &dyn TokenHost, kind: &TokenKind) {
    let inner = host;
    let key = store_key(&inner.config().app_id, kind);
    inner.tokens().local.borrow_mut().remove(&key);
    inner
        .tokens()
        .distrust_store
        .borrow_mut()
        .insert(key.clone());
    if let Err(e) = inner.store().delete(&key).await {
        log_at!(
            inner.logger(),
            Level::Warn,
            "could not delete an invalid token from the store: {e}"
        );
    }
}

async fn load_or_fetch(host: &dyn TokenHost, kind: &TokenKind, key: &str) -> Result<CachedToken> {
    let inner = host;
    let margin = inner.config().refresh_margin_secs;
    let distrusted = inner.tokens().distrust_store.borrow().contains(key);
    let stored = if distrusted {
        log_at!(
            inner.logger(),
            Level::Debug,
            "{} was rejected: fetching from the platform, not the store",
            kind_name(kind)
        );
        Ok(None)
    } else {
        inner.store().get(key).await
    };
    match stored {
        Ok(Some(json)) => match CachedToken::from_json(&json).ok_or(()) {
            Ok(t) if t.fresh(inner.runtime().now_ms() / 1000, margin) => {
                log_at!(
                    inner.logger(),
                    Level::Debug,
                    "{} served from the token store",
                    kind_name(kind)
                );
                return Ok(t);
            }
            Ok(_) => {}
            Err(_) => log_at!(
                inner.logger(),
                Level::Warn,
                "ignoring an unreadable token store entry for {}",
                kind_name(kind)
            ),
        },
        Ok(None) => {}
        Err(e) => log_at!(
            inner.logger(),
            Level::Warn,
            "token store read failed, fetching a new token: {e}"
        ),
    }
    let token = fetch(host, kind).await?;
    // Trusted again once a fresh token is written over the rejected one.
    inner.tokens().distrust_store.borrow_mut().remove(key);
    let ttl = token
        .expires_at
        .saturating_sub(inner.runtime().now_ms() / 1000)
        .saturating_sub(margin)
        .max(60);
    if let Err(e) = inner.store().put(key, &token.to_json(), Some(ttl)).await {
        log_at!(inner.logger(), Level::Warn, "token store write failed: {e}");
    }
    Ok(token)
}

fn kind_name(kind: &TokenKind) -> &'static str {
    match kind {
        TokenKind::App => "app_access_token",
        TokenKind::Tenant(_) => "tenant_access_token",
    }
}

/// Body of the token endpoints (fields absent when `None`).
#[derive(Default)]
struct TokenBody<'a> {
    app_id: Option<&'a str>,
    app_secret: Option<&'a str>,
    app_ticket: Option<&'a str>,
    app_access_token: Option<&'a str>,
    tenant_key: Option<&'a str>,
}

impl<'a> TokenBody<'a> {
    fn to_json(&self) -> String {
        let mut w = ObjectWriter::default();
        let fields = [
            ("app_id", self.app_id),
            ("app_secret", self.app_secret),
            ("app_ticket", self.app_ticket),
            ("app_access_token", self.app_access_token),
            ("tenant_key", self.tenant_key),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                w.field(name, &quote(v));
            }
        }
        w.finish()
    }
    fn credentials(cfg: &'a crate::Config) -> TokenBody<'a> {
        TokenBody {
            app_id: Some(&cfg.app_id),
            app_secret: Some(cfg.app_secret.expose()),
            ..Default::default()
        }
    }
}

/// Fetches a token of `kind` from the platform: the request its app type needs, sent, its
/// reply read.
async fn fetch(host: &dyn TokenHost, kind: &TokenKind) -> Result<CachedToken> {
    let now;
    let token = match host.config().client_assertion.clone() {
        // Keyless: the provider's assertion exchanged at the OAuth token endpoint.
        Some(provider) => {
            let token = super::assertion_exchange::fetch(host, kind, &provider).await?;
            now = host.runtime().now_ms() / 1000;
            token
        }
        None => {
            let req = token_request(host, kind).await?;
            let resp = send_token_request(host, req).await?;
            now = host.runtime().now_ms() / 1000;
            read_token_reply(&resp, kind, now)?
        }
    };
    log_at!(
        host.logger(),
        Level::Info,
        "fetched a new {} (expires in {} s)",
        kind_name(kind),
        token.expires_at.saturating_sub(now)
    );
    Ok(token)
}

/// The token endpoint and body for `kind`: self-built apps send their credentials; a
/// marketplace app's app token needs the pushed `app_ticket` (a resend is asked for when there
/// is none), and its tenant tokens the app token and the tenant key.
async fn token_request(host: &dyn TokenHost, kind: &TokenKind) -> Result<ApiRequest> {
    let cfg = host.config();
    let ticket;
    let app_token;
    let (path, body) = match (cfg.app_type, kind) {
        (AppType::SelfBuilt, TokenKind::Tenant(_)) => (
            "auth/v3/tenant_access_token/internal",
            TokenBody::credentials(cfg),
        ),
        (AppType::SelfBuilt, TokenKind::App) => (
            "auth/v3/app_access_token/internal",
            TokenBody::credentials(cfg),
        ),
        (AppType::Marketplace, TokenKind::App) => {
            ticket = match host.store().get(&ticket_key(&cfg.app_id)).await? {
                Some(t) if !t.is_empty() => t,
                _ => {
                    resend_app_ticket(host).await;
                    return Err(Error::AppTicketMissing);
                }
            };
            (
                "auth/v3/app_access_token",
                TokenBody {
                    app_ticket: Some(&ticket),
                    ..TokenBody::credentials(cfg)
                },
            )
        }
        (AppType::Marketplace, TokenKind::Tenant(tenant_key)) => {
            let tenant_key = tenant_key.as_deref().ok_or_else(|| {
                Error::InvalidRequest("marketplace apps need a tenantKey for tenant tokens".into())
            })?;
            app_token = get(host, TokenKind::App).await?;
            (
                "auth/v3/tenant_access_token",
                TokenBody {
                    app_access_token: Some(&app_token),
                    tenant_key: Some(tenant_key),
                    ..Default::default()
                },
            )
        }
    };
    Ok(ApiRequest::post(path)
        .auth(Auth::None)
        .idempotent(true)
        .json_str(body.to_json()))
}

/// Sends a token request. A rejected `app_ticket` (10012) is dropped from the store and a new
/// one asked for before the error goes back.
async fn send_token_request(host: &dyn TokenHost, req: ApiRequest) -> Result<ApiResponse> {
    match Box::pin(host.call(req)).await {
        Err(e) if e.code() == Some(APP_TICKET_INVALID_CODE) => {
            log_at!(
                host.logger(),
                Level::Warn,
                "app_ticket rejected (10012); dropping it and asking for a resend"
            );
            let _ = host
                .store()
                .delete(&ticket_key(&host.config().app_id))
                .await;
            resend_app_ticket(host).await;
            Err(e)
        }
        other => other,
    }
}

/// The token in a token endpoint's reply, expiring `expire` seconds (default 7200) after
/// `now_secs`; an error naming the field when there is none.
fn read_token_reply(resp: &ApiResponse, kind: &TokenKind, now_secs: u64) -> Result<CachedToken> {
    let reply = std::str::from_utf8(&resp.body)
        .ok()
        .and_then(RawFields::parse)
        .unwrap_or_default();
    let token = reply
        .str(kind_name(kind))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::invalid_response(
                format!("token reply has no {}", kind_name(kind)),
                resp.log_id.clone(),
                resp.status,
            )
        })?;
    let expire = reply
        .get("expire")
        .and_then(|r| r.parse().ok())
        .unwrap_or(7200);
    Ok(CachedToken {
        token,
        expires_at: now_secs.saturating_add(expire),
    })
}

/// Asks the platform to push a new `app_ticket` event. Failures are logged, not raised: the
/// caller already reports the missing ticket.
pub(crate) async fn resend_app_ticket(host: &dyn TokenHost) {
    let inner = host;
    let cfg = &inner.config();
    let req = ApiRequest::post("auth/v3/app_ticket/resend")
        .auth(Auth::None)
        .idempotent(true)
        .json_str(TokenBody::credentials(cfg).to_json());
    let result = Box::pin(host.call(req)).await.map(|_| ());
    match result {
        Ok(()) => log_at!(
            inner.logger(),
            Level::Info,
            "requested an app_ticket resend"
        ),
        Err(e) => log_at!(inner.logger(), Level::Warn, "app_ticket resend failed: {e}"),
    }
}
