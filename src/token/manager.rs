//! Fetching, caching and refreshing tenant and app access tokens, as steps.
//!
//! Lookup order: this isolate's memory, then the [`super::TokenStore`] (possibly shared between
//! isolates), then the platform. Expiry is absolute epoch time; tokens are refreshed
//! `refresh_margin_secs` before they expire. Two sync machines decide everything: [`ApiCall`]
//! (an API call and the managed token it carries: the memory cache, forgetting a rejected
//! token) and [`Fetch`] (one token: the store, the token request as a `Send` of the same
//! [`Call`], the marketplace `app_ticket`, the store write). A driver carries their steps out;
//! the only thing it decides is who waits for whom: concurrent callers of the same key share
//! one [`Fetch`] (single flight).

use super::store::{StoreOp, StoreOutcome};
use crate::config::AppType;
use crate::error::{Error, Result, APP_TICKET_INVALID_CODE};
use crate::json::{quote, ObjectWriter, RawFields};
use crate::log::{log_at, Level};
use crate::request::call::{self, Call, Env};
use crate::request::{envelope, ApiRequest, ApiResponse, Auth};
use crate::transport::{HttpRequest, HttpResponse, TransportError};

use std::collections::{HashMap, HashSet};

pub use crate::request::call::TokenKind;

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

/// The most tokens one client keeps in memory (one per tenant for marketplace apps).
const LOCAL_CAPACITY: usize = 10_000;

/// Per-client memory cache, and keys whose store entry must not be trusted.
#[derive(Default)]
pub(crate) struct TokenCache {
    local: crate::runtime::Lock<HashMap<String, CachedToken>>,
    /// Keys the platform said were invalid: the next load skips the store (which may still
    /// serve the revoked token: no `delete`, or an eventually consistent one).
    distrust_store: crate::runtime::Lock<HashSet<String>>,
    /// OAuth refreshes in flight, by user.
    pub(super) user_refreshes: super::host::UserRefreshes,
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

/// How long a pushed `app_ticket` is kept (the platform pushes a new one every hour).
const APP_TICKET_TTL_SECS: u64 = 3 * 3600;

/// The store write that keeps a marketplace app's pushed `app_ticket` for its token requests.
pub(crate) fn app_ticket_op(app_id: &str, ticket: &str) -> StoreOp {
    StoreOp::Put {
        key: ticket_key(app_id),
        value: ticket.to_string(),
        ttl_secs: Some(APP_TICKET_TTL_SECS),
    }
}

/// The token of `kind` this client holds in memory, if it is still fresh: no store, no wait.
pub(crate) fn cached(env: &Env<'_>, tokens: &TokenCache, kind: &TokenKind) -> Option<String> {
    let key = store_key(&env.config.app_id, kind);
    let now = (env.now_ms)() / 1000;
    let local = tokens.local.borrow();
    let t = local.get(&key)?;
    t.fresh(now, env.config.refresh_margin_secs)
        .then(|| t.token.clone())
}

/// What a token machine ([`ApiCall`], [`Fetch`]) needs next. A driver carries it out and steps
/// the machine with the matching [`Input`].
pub(crate) enum Step {
    /// Send this ([`Input::Sent`]).
    Send(HttpRequest),
    /// Wait this many milliseconds ([`Input::Next`]).
    Wait(u64),
    /// Do this to the client's token store ([`Input::Stored`]).
    Store(StoreOp),
    /// A managed token of this kind ([`Input::Token`]): the one in memory if fresh (see
    /// [`cached`]), else the outcome of a [`Fetch`] of it, shared with every caller of the same
    /// key meanwhile. Its failure is the machine's failure.
    Token(TokenKind),
    /// A keyless client's token of this kind: the client assertion exchanged
    /// ([`Input::Exchanged`]; the driver hands it to the exchange, which sends its own call).
    Exchange(TokenKind),
    /// An [`ApiCall`]'s final reply, unchecked (see [`call::Step::Reply`]).
    Reply(HttpResponse),
    /// An [`ApiCall`] failed on this reply (see [`call::Step::Rejected`]).
    Rejected(
        Error,
        // Read by the wasm skin only (natively the error is the result).
        #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
        HttpResponse,
    ),
    /// A [`Fetch`]'s token (kept in memory already).
    Done(String),
    /// The machine failed.
    Fail(Error),
}

/// What the driver hands back to a token machine after a [`Step`].
pub(crate) enum Input {
    /// Nothing: the first step, or after a wait.
    Next,
    /// A [`Step::Send`]'s outcome.
    Sent(std::result::Result<HttpResponse, TransportError>),
    /// A [`Step::Store`]'s outcome.
    Stored(Result<StoreOutcome>),
    /// A [`Step::Token`]'s token.
    Token(String),
    /// A [`Step::Exchange`]'s token.
    Exchanged(Result<CachedToken>),
}

/// An API call and the managed token it carries: the request's [`Call`], with the token
/// found in memory, or asked for ([`Step::Token`]), or, after the platform rejected it,
/// forgotten everywhere ([`Step::Store`] of a delete) and asked for anew.
pub(crate) struct ApiCall {
    call: Call,
    /// A rejected token being deleted from the store: looked up again once it is.
    forgetting: Option<TokenKind>,
}

impl ApiCall {
    /// Starts a call (see [`call::begin`]): nothing is sent; drive it with [`ApiCall::step`].
    pub(crate) fn begin(
        env: &Env<'_>,
        user_token: Option<&str>,
        req: ApiRequest,
        stream: bool,
    ) -> Result<ApiCall> {
        Ok(ApiCall {
            call: call::begin(env, user_token, req, stream)?,
            forgetting: None,
        })
    }

    /// The request's call (its URL and timeout, for a transport failure's error).
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) fn call(&self) -> &Call {
        &self.call
    }

    /// The next step after `input`.
    pub(crate) fn step(&mut self, env: &Env<'_>, tokens: &TokenCache, input: Input) -> Step {
        let mut outcome = None;
        match input {
            Input::Next | Input::Exchanged(_) => {}
            Input::Sent(sent) => outcome = Some(sent),
            Input::Token(token) => self.call.set_token(token),
            Input::Stored(stored) => {
                if let Err(e) = stored {
                    log_at!(
                        env.logger,
                        Level::Warn,
                        "could not delete an invalid token from the store: {e}"
                    );
                }
                if let Some(kind) = self.forgetting.take() {
                    match cached(env, tokens, &kind) {
                        Some(token) => self.call.set_token(token),
                        None => return Step::Token(kind),
                    }
                }
            }
        }
        loop {
            return match call::step(env, &mut self.call, outcome.take()) {
                call::Step::Send(http) => Step::Send(http),
                call::Step::Wait(ms) => Step::Wait(ms),
                call::Step::Reply(resp) => Step::Reply(resp),
                call::Step::Rejected(error, resp) => Step::Rejected(error, resp),
                call::Step::Fail(error) => Step::Fail(error),
                call::Step::Token(work) => {
                    if work.refresh {
                        let op = forget(env, tokens, &work.kind);
                        self.forgetting = Some(work.kind);
                        return Step::Store(op);
                    }
                    match cached(env, tokens, &work.kind) {
                        Some(token) => {
                            self.call.set_token(token);
                            continue;
                        }
                        None => Step::Token(work.kind),
                    }
                }
            };
        }
    }
}

/// Forgets a token the platform said is invalid: out of memory, the store distrusted until a
/// new one is written over it, and the store's copy deleted (the step returned).
fn forget(env: &Env<'_>, tokens: &TokenCache, kind: &TokenKind) -> StoreOp {
    let key = store_key(&env.config.app_id, kind);
    tokens.local.borrow_mut().remove(&key);
    tokens.distrust_store.borrow_mut().insert(key.clone());
    StoreOp::Delete { key }
}

/// Where a [`Fetch`] is.
enum Stage {
    /// Not started.
    Start,
    /// Reading the store's copy.
    Load,
    /// Reading the marketplace `app_ticket`.
    Ticket,
    /// Waiting for the app token (a marketplace tenant token is asked for with it).
    AppToken(String),
    /// Waiting for the keyless exchange.
    Exchange,
    /// The token request in flight.
    Request(Box<Call>),
    /// Deleting a rejected `app_ticket`; then a resend is asked for and this error returned.
    DropTicket(Error),
    /// Asking for an `app_ticket` resend; then this error is returned.
    Resend(Box<Call>, Error),
    /// Writing the new token to the store.
    Save(CachedToken),
    /// Over.
    Over,
}

/// One token fetched, sans-IO: the store's copy if fresh (unless the platform rejected it),
/// else the token request (its app type's: self-built credentials; a marketplace app's
/// `app_ticket`, or its app token for a tenant token; a keyless client's exchange), the reply
/// read, written to the store and kept in memory. A rejected `app_ticket` (10012) is dropped
/// from the store and a new one asked for before the error goes back.
pub(crate) struct Fetch {
    kind: TokenKind,
    key: String,
    stage: Stage,
}

impl Fetch {
    /// A fetch of `kind`; drive it with [`Fetch::step`] from [`Input::Next`].
    pub(crate) fn new(env: &Env<'_>, kind: TokenKind) -> Fetch {
        Fetch {
            key: store_key(&env.config.app_id, &kind),
            kind,
            stage: Stage::Start,
        }
    }

    /// The key it fetches (the store key): callers of the same key share one fetch.
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The token request (or the `app_ticket` resend) in flight, if one is: its URL and
    /// timeout name a transport failure.
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) fn call(&self) -> Option<&Call> {
        match &self.stage {
            Stage::Request(call) | Stage::Resend(call, _) => Some(call),
            _ => None,
        }
    }

    /// The next step after `input`.
    pub(crate) fn step(&mut self, env: &Env<'_>, tokens: &TokenCache, input: Input) -> Step {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        match (stage, input) {
            (Stage::Start, _) => {
                if tokens.distrust_store.borrow().contains(&self.key) {
                    log_at!(
                        env.logger,
                        Level::Debug,
                        "{} was rejected: fetching from the platform, not the store",
                        kind_name(&self.kind)
                    );
                    return self.fetch(env, tokens);
                }
                self.stage = Stage::Load;
                Step::Store(StoreOp::Get {
                    key: self.key.clone(),
                })
            }
            (Stage::Load, Input::Stored(stored)) => {
                match stored {
                    Ok(StoreOutcome::Value(Some(json))) => match CachedToken::from_json(&json) {
                        Some(t)
                            if t.fresh((env.now_ms)() / 1000, env.config.refresh_margin_secs) =>
                        {
                            log_at!(
                                env.logger,
                                Level::Debug,
                                "{} served from the token store",
                                kind_name(&self.kind)
                            );
                            return self.finish(env, tokens, t);
                        }
                        Some(_) => {}
                        None => log_at!(
                            env.logger,
                            Level::Warn,
                            "ignoring an unreadable token store entry for {}",
                            kind_name(&self.kind)
                        ),
                    },
                    Ok(_) => {}
                    Err(e) => log_at!(
                        env.logger,
                        Level::Warn,
                        "token store read failed, fetching a new token: {e}"
                    ),
                }
                self.fetch(env, tokens)
            }
            (Stage::Ticket, Input::Stored(stored)) => match stored {
                Err(e) => Step::Fail(e),
                Ok(StoreOutcome::Value(Some(ticket))) if !ticket.is_empty() => {
                    let cfg = env.config;
                    let body = TokenBody {
                        app_ticket: Some(&ticket),
                        ..TokenBody::credentials(cfg)
                    };
                    self.request(env, tokens, "auth/v3/app_access_token", body.to_json())
                }
                Ok(_) => self.resend(env, tokens, Error::AppTicketMissing),
            },
            (Stage::AppToken(tenant_key), Input::Token(app_token)) => {
                let body = TokenBody {
                    app_access_token: Some(&app_token),
                    tenant_key: Some(&tenant_key),
                    ..Default::default()
                };
                self.request(env, tokens, "auth/v3/tenant_access_token", body.to_json())
            }
            (Stage::Exchange, Input::Exchanged(exchanged)) => match exchanged {
                Ok(token) => {
                    let now = (env.now_ms)() / 1000;
                    self.fetched(env, token, now)
                }
                Err(e) => Step::Fail(e),
            },
            (Stage::Request(mut call), input) => {
                let Some(outcome) = sent(input) else {
                    return self.out_of_order();
                };
                let result = match call::step(env, &mut call, outcome) {
                    call::Step::Send(http) => {
                        self.stage = Stage::Request(call);
                        return Step::Send(http);
                    }
                    call::Step::Wait(ms) => {
                        self.stage = Stage::Request(call);
                        return Step::Wait(ms);
                    }
                    call::Step::Reply(resp) => envelope::check(resp),
                    call::Step::Rejected(e, _) | call::Step::Fail(e) => Err(e),
                    call::Step::Token(_) => return self.out_of_order(),
                };
                match result {
                    Ok(resp) => {
                        let now = (env.now_ms)() / 1000;
                        match read_token_reply(&resp, &self.kind, now) {
                            Ok(token) => self.fetched(env, token, now),
                            Err(e) => Step::Fail(e),
                        }
                    }
                    Err(e) if e.code() == Some(APP_TICKET_INVALID_CODE) => {
                        log_at!(
                            env.logger,
                            Level::Warn,
                            "app_ticket rejected (10012); dropping it and asking for a resend"
                        );
                        self.stage = Stage::DropTicket(e);
                        Step::Store(StoreOp::Delete {
                            key: ticket_key(&env.config.app_id),
                        })
                    }
                    Err(e) => Step::Fail(e),
                }
            }
            // Whether the ticket was deleted or not, a resend is asked for.
            (Stage::DropTicket(error), Input::Stored(_)) => self.resend(env, tokens, error),
            (Stage::Resend(mut call, error), input) => {
                let Some(outcome) = sent(input) else {
                    return self.out_of_order();
                };
                let result = match call::step(env, &mut call, outcome) {
                    call::Step::Send(http) => {
                        self.stage = Stage::Resend(call, error);
                        return Step::Send(http);
                    }
                    call::Step::Wait(ms) => {
                        self.stage = Stage::Resend(call, error);
                        return Step::Wait(ms);
                    }
                    call::Step::Reply(resp) => envelope::check(resp).map(|_| ()),
                    call::Step::Rejected(e, _) | call::Step::Fail(e) => Err(e),
                    call::Step::Token(_) => return self.out_of_order(),
                };
                // Failures are logged, not raised: the error already says what is missing.
                match result {
                    Ok(()) => log_at!(env.logger, Level::Info, "requested an app_ticket resend"),
                    Err(e) => log_at!(env.logger, Level::Warn, "app_ticket resend failed: {e}"),
                }
                Step::Fail(error)
            }
            (Stage::Save(token), Input::Stored(stored)) => {
                if let Err(e) = stored {
                    log_at!(env.logger, Level::Warn, "token store write failed: {e}");
                }
                self.finish(env, tokens, token)
            }
            _ => self.out_of_order(),
        }
    }

    /// Fetches from the platform: the request its app type needs.
    fn fetch(&mut self, env: &Env<'_>, tokens: &TokenCache) -> Step {
        let cfg = env.config;
        if cfg.client_assertion.is_some() {
            self.stage = Stage::Exchange;
            return Step::Exchange(self.kind.clone());
        }
        match (cfg.app_type, &self.kind) {
            (AppType::SelfBuilt, TokenKind::Tenant(_)) => self.request(
                env,
                tokens,
                "auth/v3/tenant_access_token/internal",
                TokenBody::credentials(cfg).to_json(),
            ),
            (AppType::SelfBuilt, TokenKind::App) => self.request(
                env,
                tokens,
                "auth/v3/app_access_token/internal",
                TokenBody::credentials(cfg).to_json(),
            ),
            (AppType::Marketplace, TokenKind::App) => {
                self.stage = Stage::Ticket;
                Step::Store(StoreOp::Get {
                    key: ticket_key(&cfg.app_id),
                })
            }
            (AppType::Marketplace, TokenKind::Tenant(tenant_key)) => match tenant_key {
                Some(tenant_key) => {
                    self.stage = Stage::AppToken(tenant_key.clone());
                    Step::Token(TokenKind::App)
                }
                None => Step::Fail(Error::InvalidRequest(
                    "marketplace apps need a tenantKey for tenant tokens".into(),
                )),
            },
        }
    }

    /// Sends the token request: a call of its own (no token, idempotent), retried like any.
    fn request(&mut self, env: &Env<'_>, tokens: &TokenCache, path: &str, body: String) -> Step {
        let req = ApiRequest::post(path)
            .auth(Auth::None)
            .idempotent(true)
            .json_str(body);
        match call::begin(env, None, req, false) {
            Ok(call) => {
                self.stage = Stage::Request(Box::new(call));
                self.step(env, tokens, Input::Next)
            }
            Err(e) => Step::Fail(e),
        }
    }

    /// Asks the platform to push a new `app_ticket` event, then fails with `error`.
    fn resend(&mut self, env: &Env<'_>, tokens: &TokenCache, error: Error) -> Step {
        let req = ApiRequest::post("auth/v3/app_ticket/resend")
            .auth(Auth::None)
            .idempotent(true)
            .json_str(TokenBody::credentials(env.config).to_json());
        match call::begin(env, None, req, false) {
            Ok(call) => {
                self.stage = Stage::Resend(Box::new(call), error);
                self.step(env, tokens, Input::Next)
            }
            Err(e) => {
                log_at!(env.logger, Level::Warn, "app_ticket resend failed: {e}");
                Step::Fail(error)
            }
        }
    }

    /// A token from the platform: logged, the store trusted again, written to it.
    fn fetched(&mut self, env: &Env<'_>, token: CachedToken, now: u64) -> Step {
        log_at!(
            env.logger,
            Level::Info,
            "fetched a new {} (expires in {} s)",
            kind_name(&self.kind),
            token.expires_at.saturating_sub(now)
        );
        let ttl = token
            .expires_at
            .saturating_sub((env.now_ms)() / 1000)
            .saturating_sub(env.config.refresh_margin_secs)
            .max(60);
        let op = StoreOp::Put {
            key: self.key.clone(),
            value: token.to_json(),
            ttl_secs: Some(ttl),
        };
        self.stage = Stage::Save(token);
        Step::Store(op)
    }

    /// The fetch's token, kept in memory.
    fn finish(&mut self, env: &Env<'_>, tokens: &TokenCache, token: CachedToken) -> Step {
        // Trusted again once a fresh token is written over the rejected one.
        tokens.distrust_store.borrow_mut().remove(&self.key);
        let now = (env.now_ms)() / 1000;
        let value = token.token.clone();
        tokens.remember(self.key.clone(), token, now);
        self.stage = Stage::Over;
        Step::Done(value)
    }

    fn out_of_order(&mut self) -> Step {
        self.stage = Stage::Over;
        Step::Fail(Error::InvalidRequest(format!(
            "the {} fetch was stepped with an input it did not ask for (a driver bug)",
            kind_name(&self.kind)
        )))
    }
}

/// A sub-call's outcome: `Some(None)` to step it afresh, `None` for an input it cannot take.
#[allow(clippy::type_complexity)]
fn sent(input: Input) -> Option<Option<std::result::Result<HttpResponse, TransportError>>> {
    match input {
        Input::Next => Some(None),
        Input::Sent(outcome) => Some(Some(outcome)),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::log::NoLogger;

    fn reply(body: &str) -> Input {
        Input::Sent(Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            stream: None,
        }))
    }

    /// Steps `f` at a clock standing at 1,000 s, with no logger.
    fn with_env<R>(config: &Config, f: impl FnOnce(&Env<'_>) -> R) -> R {
        let env = Env {
            config,
            logger: &NoLogger,
            now_ms: &|| 1_000_000,
            jitter: &|| 0.5,
        };
        f(&env)
    }

    fn sent_to(step: &Step) -> &str {
        match step {
            Step::Send(http) => &http.url,
            _ => panic!("expected a request"),
        }
    }

    /// A self-built app's tenant token: the store first, then the platform, then the store
    /// written and the token kept in memory. Nothing is sent or awaited: the steps say it all.
    #[test]
    fn a_fetch_reads_the_store_then_asks_the_platform_then_writes_and_remembers() {
        let config = Config::new("cli_a", "secret");
        let tokens = TokenCache::default();
        with_env(&config, |env| {
            let kind = TokenKind::Tenant(None);
            let mut fetch = Fetch::new(env, kind.clone());
            let key = "feishu-edge:cli_a:tenant_access_token".to_string();
            assert!(
                matches!(fetch.step(env, &tokens, Input::Next), Step::Store(StoreOp::Get { key: k }) if k == key)
            );
            let step = fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(None))));
            assert!(sent_to(&step).ends_with("auth/v3/tenant_access_token/internal"));
            let step = fetch.step(
                env,
                &tokens,
                reply(r#"{"code":0,"tenant_access_token":"t-1","expire":7200}"#),
            );
            match step {
                Step::Store(StoreOp::Put {
                    key: k,
                    value,
                    ttl_secs,
                }) => {
                    assert_eq!(k, key);
                    assert_eq!(value, r#"{"token":"t-1","expiresAt":8200}"#);
                    assert_eq!(ttl_secs, Some(7200 - config.refresh_margin_secs));
                }
                _ => panic!("expected the store write"),
            }
            assert!(cached(env, &tokens, &kind).is_none(), "kept only once done");
            assert!(
                matches!(fetch.step(env, &tokens, Input::Stored(Err(Error::Store("down".into())))), Step::Done(t) if t == "t-1"),
                "a failed store write is logged, not the fetch's failure"
            );
            assert_eq!(cached(env, &tokens, &kind).as_deref(), Some("t-1"));
            // A fresh copy in the store is served without a request.
            let mut fetch = Fetch::new(env, TokenKind::App);
            fetch.step(env, &tokens, Input::Next);
            let stored = r#"{"token":"a-1","expiresAt":9000}"#.to_string();
            assert!(matches!(
                fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(Some(stored))))),
                Step::Done(t) if t == "a-1"
            ));
        });
    }

    /// A marketplace app: no `app_ticket` → a resend is asked for and the call fails typed;
    /// a ticket the platform rejects (10012) is dropped from the store, a resend asked for,
    /// and the platform's error returned.
    #[test]
    fn a_marketplace_fetch_asks_for_a_ticket_resend_when_it_has_none_or_a_rejected_one() {
        let mut config = Config::new("cli_a", "secret");
        config.app_type = AppType::Marketplace;
        let tokens = TokenCache::default();
        with_env(&config, |env| {
            let mut fetch = Fetch::new(env, TokenKind::App);
            fetch.step(env, &tokens, Input::Next);
            let ticket = fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(None))));
            assert!(
                matches!(&ticket, Step::Store(StoreOp::Get { key }) if key == "feishu-edge:cli_a:app_ticket")
            );
            let resend = fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(None))));
            assert!(sent_to(&resend).ends_with("auth/v3/app_ticket/resend"));
            assert!(matches!(
                fetch.step(env, &tokens, reply(r#"{"code":0}"#)),
                Step::Fail(Error::AppTicketMissing)
            ));

            let mut fetch = Fetch::new(env, TokenKind::App);
            fetch.step(env, &tokens, Input::Next);
            fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(None))));
            let request = fetch.step(
                env,
                &tokens,
                Input::Stored(Ok(StoreOutcome::Value(Some("tk".into())))),
            );
            match &request {
                Step::Send(http) => {
                    assert!(http.url.ends_with("auth/v3/app_access_token"));
                    assert!(
                        matches!(&http.body, crate::transport::Body::Json(b) if b.contains(r#""app_ticket":"tk""#))
                    );
                }
                _ => panic!("expected the token request"),
            }
            let drop = fetch.step(env, &tokens, reply(r#"{"code":10012,"msg":"bad ticket"}"#));
            assert!(
                matches!(&drop, Step::Store(StoreOp::Delete { key }) if key == "feishu-edge:cli_a:app_ticket")
            );
            let resend = fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Done)));
            assert!(sent_to(&resend).ends_with("auth/v3/app_ticket/resend"));
            assert!(matches!(
                fetch.step(env, &tokens, reply(r#"{"code":0}"#)),
                Step::Fail(e) if e.code() == Some(APP_TICKET_INVALID_CODE)
            ));
            // A tenant token is asked for with the app token, which the driver gets first.
            let mut fetch = Fetch::new(env, TokenKind::Tenant(Some("t-1".into())));
            fetch.step(env, &tokens, Input::Next);
            assert!(matches!(
                fetch.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Value(None)))),
                Step::Token(TokenKind::App)
            ));
            match fetch.step(env, &tokens, Input::Token("a-1".into())) {
                Step::Send(http) => assert!(
                    matches!(&http.body, crate::transport::Body::Json(b) if b.contains(r#""tenant_key":"t-1""#) && b.contains(r#""app_access_token":"a-1""#))
                ),
                _ => panic!("expected the token request"),
            }
        });
    }

    /// A token the platform rejects is forgotten everywhere (memory, the store's copy deleted
    /// and distrusted), and the next fetch goes to the platform, not the store.
    #[test]
    fn a_rejected_token_is_forgotten_and_fetched_from_the_platform() {
        let config = Config::new("cli_a", "secret");
        let tokens = TokenCache::default();
        with_env(&config, |env| {
            let key = store_key("cli_a", &TokenKind::Tenant(None));
            tokens.remember(
                key.clone(),
                CachedToken {
                    token: "t-old".into(),
                    expires_at: 9_000,
                },
                1_000,
            );
            let mut call =
                ApiCall::begin(env, None, ApiRequest::get("im/v1/chats"), false).unwrap();
            match call.step(env, &tokens, Input::Next) {
                Step::Send(http) => assert!(http.headers.iter().any(|(_, v)| v == "Bearer t-old")),
                _ => panic!("the token in memory is used at once"),
            }
            let rejected = reply(r#"{"code":99991663,"msg":"invalid token"}"#);
            assert!(
                matches!(call.step(env, &tokens, rejected), Step::Store(StoreOp::Delete { key: k }) if k == key)
            );
            assert!(cached(env, &tokens, &TokenKind::Tenant(None)).is_none());
            assert!(matches!(
                call.step(env, &tokens, Input::Stored(Ok(StoreOutcome::Done))),
                Step::Token(TokenKind::Tenant(None))
            ));
            let mut fetch = Fetch::new(env, TokenKind::Tenant(None));
            let step = fetch.step(env, &tokens, Input::Next);
            assert!(
                sent_to(&step).ends_with("tenant_access_token/internal"),
                "the store is skipped"
            );
            match call.step(env, &tokens, Input::Token("t-new".into())) {
                Step::Send(http) => assert!(http.headers.iter().any(|(_, v)| v == "Bearer t-new")),
                _ => panic!("expected the resend"),
            }
        });
    }
}
