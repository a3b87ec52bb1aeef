//! The client: one request pipeline (token → send → envelope → retry) that every API call,
//! page, upload and download goes through.

use crate::config::{AppType, Config};
use crate::error::{Error, Result};
use crate::log::{log_at, Level, Logger, NoLogger};
use crate::request::envelope::{self, ApiResponse, Download};
use crate::request::page::{PageOptions, Paginator};
use crate::request::retry::{decide, RetryDecision};
use crate::request::{ApiRequest, Auth};
use crate::runtime::Runtime;
use crate::token::{self, Deadline, MemoryStore, TokenCache, TokenKind, TokenStore};

/// How long a call of the caller's token store may take before it counts as failed (the token
/// is then fetched from the platform; a write is skipped with a warning).
pub const STORE_TIMEOUT_MS: u64 = 2_000;
use crate::transport::{HttpRequest, HttpResponse, ResponseStream, Transport, TransportError};
use std::sync::Arc;

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    runtime: Arc<dyn Runtime>,
    store: Arc<dyn TokenStore>,
    logger: Arc<dyn Logger>,
    tokens: TokenCache,
}

/// A Feishu / Lark Open Platform client. Cloning is cheap and clones share tokens.
///
/// ```no_run
/// # async fn demo(transport: std::sync::Arc<dyn feishu_edge::Transport>) -> feishu_edge::Result<()> {
/// use feishu_edge::{ApiRequest, Client, Config};
/// let client = Client::builder(Config::new("cli_a", "secret")).transport(transport).build()?;
/// let reply = client.request(ApiRequest::get("im/v1/chats").query("page_size", "20")).await?;
/// let data: serde_json::Value = reply.data()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    user_token: Option<Arc<str>>,
}

/// Assembles a [`Client`]. Natively with the `reqwest` feature nothing more is required (the
/// built-in transport and tokio's timers); without it, a transport; on wasm32, a transport and a
/// runtime.
///
/// ```no_run
/// # async fn demo(url: &str) -> feishu_edge::Result<()> {
/// // Cargo.toml: feishu-edge = { version = "…", features = ["reqwest"] }, on a tokio runtime
/// use feishu_edge::{ApiRequest, Client, Config};
/// let client = Client::builder(Config::new("cli_a", "secret").base_url(url)?).build()?;
/// let reply = client
///     .request(
///         ApiRequest::post("im/v1/messages")
///             .query("receive_id_type", "chat_id")
///             .json(&serde_json::json!({ "receive_id": "oc_1", "msg_type": "text", "content": "{\"text\":\"hi\"}" }))?,
///     )
///     .await?;
/// let message: serde_json::Value = reply.data()?;
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    config: Config,
    transport: Option<Arc<dyn Transport>>,
    runtime: Option<Arc<dyn Runtime>>,
    store: Option<Arc<dyn TokenStore>>,
    logger: Option<Arc<dyn Logger>>,
}

impl ClientBuilder {
    /// Sets the transport (default natively with the `reqwest` feature:
    /// `transport::reqwest::ReqwestTransport`; none otherwise).
    pub fn transport(mut self, t: Arc<dyn Transport>) -> Self {
        self.transport = Some(t);
        self
    }
    /// Sets the clock and timers (default natively: the OS's, tokio's timers with the `reqwest`
    /// feature; none on wasm32).
    pub fn runtime(mut self, r: Arc<dyn Runtime>) -> Self {
        self.runtime = Some(r);
        self
    }
    /// Sets the token store (default: [`MemoryStore`]).
    pub fn store(mut self, s: Arc<dyn TokenStore>) -> Self {
        self.store = Some(s);
        self
    }
    /// Sets the logger (default: none).
    pub fn logger(mut self, l: Arc<dyn Logger>) -> Self {
        self.logger = Some(l);
        self
    }
    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        self.config.validate()?;
        let runtime = match self.runtime {
            Some(r) => r,
            None => default_runtime()?,
        };
        let transport = match self.transport {
            Some(t) => t,
            None => default_transport(&self.config)?,
        };
        // A store of the caller's gets a deadline: one that hangs cannot hang a call.
        let store: Arc<dyn TokenStore> = match self.store {
            Some(s) => Arc::new(Deadline::new(s, runtime.clone(), STORE_TIMEOUT_MS)),
            None => Arc::new(MemoryStore::new(runtime.clone())),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: self.config,
                transport,
                runtime,
                store,
                logger: self.logger.unwrap_or_else(|| Arc::new(NoLogger)),
                tokens: TokenCache::default(),
            }),
            user_token: None,
        })
    }
}

// Natively, the OS clock (tokio's timers with the `reqwest` feature) and, with the `reqwest`
// feature, the built-in transport; on wasm32 the caller passes the clock and the transport (the
// npm package's skin passes `js::runtime::JsRuntime` and `js::fetch::FetchTransport`), so the
// core never reaches up into the skin. One function each, its body chosen by target and feature.
#[allow(clippy::needless_return)]
fn default_runtime() -> Result<Arc<dyn Runtime>> {
    #[cfg(all(not(target_arch = "wasm32"), feature = "reqwest"))]
    return Ok(Arc::new(crate::transport::reqwest::TokioRuntime));
    #[cfg(all(not(target_arch = "wasm32"), not(feature = "reqwest")))]
    return Ok(Arc::new(crate::runtime::StdRuntime));
    #[cfg(target_arch = "wasm32")]
    Err(Error::Config(
        "no runtime: on wasm32, pass one to ClientBuilder::runtime (with the `js` feature: feishu_edge::js::runtime::JsRuntime)".into(),
    ))
}
#[allow(clippy::needless_return)]
#[cfg_attr(
    any(target_arch = "wasm32", not(feature = "reqwest")),
    allow(unused_variables)
)]
fn default_transport(config: &Config) -> Result<Arc<dyn Transport>> {
    #[cfg(all(not(target_arch = "wasm32"), feature = "reqwest"))]
    return Ok(Arc::new(
        crate::transport::reqwest::ReqwestTransport::new()?.max_reply_bytes(config.max_reply_bytes),
    ));
    #[cfg(all(not(target_arch = "wasm32"), not(feature = "reqwest")))]
    return Err(Error::Config(
        "no transport: pass one to ClientBuilder::transport, or turn on the crate's `reqwest` feature for the built-in one (reqwest on tokio)".into(),
    ));
    #[cfg(target_arch = "wasm32")]
    Err(Error::Config(
        "no transport: pass one to ClientBuilder::transport (with the `js` feature on wasm32: feishu_edge::js::fetch::FetchTransport)".into(),
    ))
}

impl Client {
    /// Starts building a client.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder {
            config,
            transport: None,
            runtime: None,
            store: None,
            logger: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The clock and timers.
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }

    /// The token store (the webhook layer writes `app_ticket`s into it).
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// A client whose calls default to `user_access_token` (calls naming another token keep it).
    pub fn as_user(&self, user_access_token: impl Into<Arc<str>>) -> Client {
        Client {
            inner: self.inner.clone(),
            user_token: Some(user_access_token.into()),
        }
    }

    /// A valid tenant access token (per tenant for marketplace apps).
    pub async fn tenant_access_token(&self, tenant_key: Option<&str>) -> Result<String> {
        token::manager_get(self, TokenKind::Tenant(tenant_key.map(str::to_string))).await
    }

    /// A valid app access token.
    pub async fn app_access_token(&self) -> Result<String> {
        token::manager_get(self, TokenKind::App).await
    }

    /// Stores a marketplace app's `app_ticket` (from the `app_ticket` event) for token requests.
    pub async fn store_app_ticket(&self, ticket: &str) -> Result<()> {
        let key = crate::token::ticket_key_of(&self.inner.config.app_id);
        self.inner.store.put(&key, ticket, Some(3 * 3600)).await
    }

    /// Sends a JSON call and checks its envelope.
    pub async fn request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let resp = self.execute(req, false).await?;
        envelope::check(resp)
    }

    /// Sends a call whose success is raw bytes (on failure the JSON envelope becomes the error).
    pub async fn download(&self, req: ApiRequest) -> Result<Download> {
        let resp = self.execute(req, false).await?;
        envelope::check_binary(resp)
    }

    /// [`Client::download`], leaving a file reply's body unread where the transport streams
    /// (`fetch`): the same pipeline (token, timeout until the headers, token refresh and retries
    /// while the reply is an error), then the body as a stream. With a transport that reads
    /// bodies whole, the bytes are in the [`Download`] and the stream is `None`.
    pub async fn download_stream(
        &self,
        req: ApiRequest,
    ) -> Result<(Download, Option<ResponseStream>)> {
        let mut resp = self.execute(req, true).await?;
        let stream = resp.stream.take();
        Ok((envelope::check_binary(resp)?, stream))
    }

    /// Walks a paginated endpoint.
    pub fn paginate(&self, req: ApiRequest, options: PageOptions) -> Paginator {
        Paginator::new(Arc::new(self.clone()), req, options)
    }

    fn effective_auth(&self, auth: &Auth) -> Auth {
        match (&self.user_token, auth) {
            (Some(u), Auth::Tenant) => Auth::User(u.to_string()),
            _ => auth.clone(),
        }
    }

    fn managed_kind(&self, auth: &Auth) -> Option<TokenKind> {
        match auth {
            Auth::Tenant => Some(TokenKind::Tenant(None)),
            Auth::TenantKey(k) => Some(TokenKind::Tenant(Some(k.clone()))),
            Auth::App => Some(TokenKind::App),
            _ => None,
        }
    }

    /// The token a call sends, if it is known without waiting: `Ok(Err(kind))` when a managed
    /// token must be fetched (or read from the store) first. A URL outside the configured base
    /// URL's origin gets none unless the call itself named one (`accessToken` /
    /// `userAccessToken`): the app's tenant, app and `asUser` tokens never leave for another host.
    fn token_now(
        &self,
        req: &ApiRequest,
        auth: &Auth,
        url: &str,
    ) -> Result<std::result::Result<Option<String>, TokenKind>> {
        let explicit = matches!(req.auth, Auth::Token(_) | Auth::User(_));
        if !explicit && !crate::request::same_origin(url, self.inner.config.base_url_str()) {
            return Ok(Ok(None));
        }
        Ok(match auth {
            Auth::None => Ok(None),
            Auth::User(t) | Auth::Token(t) => Ok(Some(t.clone())),
            Auth::Tenant if self.inner.config.app_type == AppType::Marketplace => {
                return Err(Error::InvalidRequest(
                    "marketplace apps must pass tenantKey for tenant-token calls".into(),
                ))
            }
            // disableTokenCache: no managed token; the call carries what it was given.
            _ if self.inner.config.disable_token_cache => Ok(None),
            other => match self.managed_kind(other) {
                Some(kind) => match token::cached(self, &kind) {
                    Some(t) => Ok(Some(t)),
                    None => Err(kind),
                },
                None => Ok(None),
            },
        })
    }

    /// Carries out a call's [`Step::Token`]: a managed token, fetched anew after a rejection.
    pub(crate) async fn obtain(&self, work: TokenWork) -> Result<String> {
        if work.refresh {
            token::manager_invalidate(self, &work.kind).await;
        }
        token::manager_get(self, work.kind).await
    }

    fn http_request(
        &self,
        req: &ApiRequest,
        url: String,
        token: Option<String>,
        stream: bool,
    ) -> HttpRequest {
        let mut headers = req.headers.clone();
        // Like the managed tokens (`token_now`), the help desk credential is the client's, not
        // the call's: it never leaves the API origin.
        let base = self.inner.config.base_url_str();
        if let Some(credential) = self
            .inner
            .config
            .helpdesk_credential
            .as_ref()
            .filter(|_| req.helpdesk && crate::request::same_origin(&url, base))
        {
            headers.push((
                "X-Lark-Helpdesk-Authorization".into(),
                format!("Bearer {}", credential.expose()),
            ));
        }
        if let Some(t) = token {
            headers.push(("Authorization".into(), format!("Bearer {t}")));
        }
        HttpRequest {
            method: req.method,
            url,
            headers,
            body: req.body.clone(),
            timeout_ms: req.timeout_ms.or(self.inner.config.timeout_ms),
            stream,
        }
    }

    /// Runs the pipeline up to a reply that is not retried: the async driver of [`Call`] over
    /// the client's transport and clock. (The npm package drives the same state machine from
    /// JS, which performs the `fetch` and the waits itself.)
    async fn execute(&self, req: ApiRequest, stream: bool) -> Result<HttpResponse> {
        let mut call = self.begin(req, stream)?;
        let mut outcome = None;
        loop {
            match self.step(&mut call, outcome.take()) {
                Step::Send(http) => outcome = Some(self.inner.transport.send(http).await),
                Step::Token(work) => call.set_token(self.obtain(work).await?),
                Step::Wait(ms) => self.inner.runtime.sleep(ms).await,
                Step::Reply(resp) => return Ok(resp),
                Step::Fail(error) | Step::Rejected(error, _) => return Err(error),
            }
        }
    }

    /// Starts a call: refuses what cannot be sent and resolves its URL. Nothing is sent; drive
    /// it with [`Client::step`].
    pub(crate) fn begin(&self, req: ApiRequest, stream: bool) -> Result<Call> {
        self.check_sendable(&req)?;
        let auth = self.effective_auth(&req.auth);
        let url = req.url(self.inner.config.base_url_str())?;
        let attempts = Attempts::new(req.is_idempotent(), self.inner.runtime.now_ms());
        Ok(Call {
            req,
            auth,
            url,
            stream,
            attempts,
            token: None,
            sent_at: 0,
            timeout_ms: None,
        })
    }

    /// The call's next step, synchronously: given the last attempt's outcome (or `None` to
    /// start, after a wait, or after a token was set), what to send, wait for or fetch, or how
    /// the call ends. The decisions are [`Attempts::judge`]'s; this adds the token and the logs.
    pub(crate) fn step(
        &self,
        call: &mut Call,
        outcome: Option<std::result::Result<HttpResponse, TransportError>>,
    ) -> Step {
        let inner = &self.inner;
        if let Some(outcome) = outcome {
            if let (true, Ok(resp)) = (inner.logger.enabled(Level::Debug), &outcome) {
                let elapsed = inner.runtime.now_ms().saturating_sub(call.sent_at);
                let log_id = envelope::log_id(resp).unwrap_or_default();
                let what = call.what();
                inner.logger.log(
                    Level::Debug,
                    &format!(
                        "{what} -> {} in {elapsed} ms (log id {log_id})",
                        resp.status
                    ),
                );
            }
            // A reply the transport stopped reading at the size limit: refused, not retried.
            if let Some(error) = outcome
                .as_ref()
                .ok()
                .and_then(|resp| envelope::oversized(resp, inner.config.max_reply_bytes))
            {
                return Step::Fail(error);
            }
            let kind = self.managed_kind(&call.auth);
            let refreshable = matches!(call.token, Some(Some(_))) && kind.is_some();
            let policy = &inner.config.retry;
            // The clock and the jitter are read only when a failure is judged.
            let clock = || (inner.runtime.now_ms(), inner.runtime.jitter());
            match call
                .attempts
                .judge(policy, outcome, &call.url, refreshable, clock)
            {
                Next::Reply(resp) => return Step::Reply(resp),
                Next::Refresh(error) => {
                    log_at!(
                        inner.logger,
                        Level::Warn,
                        "{}: token rejected (code {}), fetching a new one",
                        call.what(),
                        error.code().unwrap_or(0)
                    );
                    call.token = None;
                    if let Some(kind) = kind {
                        return Step::Token(TokenWork {
                            kind,
                            refresh: true,
                        });
                    }
                }
                Next::RetryAfter(delay, error) => {
                    log_at!(
                        inner.logger,
                        Level::Warn,
                        "{}: {} (attempt {}); retrying in {delay} ms",
                        call.what(),
                        error.kind(),
                        call.attempts.count
                    );
                    call.token = None;
                    return Step::Wait(delay);
                }
                Next::Fail(error, reply) => {
                    log_at!(
                        inner.logger,
                        Level::Debug,
                        "{}: giving up after {} attempt(s): {error}",
                        call.what(),
                        call.attempts.count
                    );
                    return match reply {
                        // A 2xx envelope whose code is still not 0 (a rate limit or a rejected
                        // token at the end of its retries) is a final reply like any other: the
                        // caller's contract says what it means (`envelope::settle`).
                        Some(resp) if (200..300).contains(&resp.status) => Step::Reply(resp),
                        Some(resp) => Step::Rejected(error, resp),
                        None => Step::Fail(error),
                    };
                }
            }
        }
        if call.token.is_none() {
            match self.token_now(&call.req, &call.auth, &call.url) {
                Err(error) => return Step::Fail(error),
                Ok(Err(kind)) => {
                    return Step::Token(TokenWork {
                        kind,
                        refresh: false,
                    })
                }
                Ok(Ok(token)) => call.token = Some(token),
            }
        }
        if inner.logger.enabled(Level::Debug) {
            call.sent_at = inner.runtime.now_ms();
        }
        let token = call.token.clone().flatten();
        let http = self.http_request(&call.req, call.url.clone(), token, call.stream);
        call.timeout_ms = http.timeout_ms;
        Step::Send(http)
    }

    /// Refuses, before anything is sent, a request `fetch` or the platform would: a GET or HEAD
    /// with a body, a header `fetch` refuses, the help desk credential without its options.
    fn check_sendable(&self, req: &ApiRequest) -> Result<()> {
        if matches!(req.method, crate::Method::Get | crate::Method::Head)
            && !matches!(req.body, crate::Body::Empty)
        {
            return Err(Error::InvalidRequest(format!(
                "a {} request cannot carry a body (fetch refuses it)",
                req.method.as_str()
            )));
        }
        for (name, value) in &req.headers {
            crate::transport::check_header(name, value)?;
        }
        if req.helpdesk && self.inner.config.helpdesk_credential.is_none() {
            return Err(Error::InvalidRequest(
                "withHelpDeskCredential() needs helpDeskId and helpDeskToken in the client options"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// One call in flight, sans-IO: the request, its URL, the token its next attempt carries and
/// its attempts so far. Made by [`Client::begin`], advanced by [`Client::step`].
pub(crate) struct Call {
    req: ApiRequest,
    auth: Auth,
    url: String,
    stream: bool,
    attempts: Attempts,
    /// The token the next attempt carries (`Some(None)`: none); `None` until known.
    token: Option<Option<String>>,
    /// When the last attempt was sent (kept only for the debug log).
    sent_at: u64,
    /// The last attempt's timeout.
    timeout_ms: Option<u64>,
}

impl Call {
    /// The token a [`Step::Token`] asked for.
    pub(crate) fn set_token(&mut self, token: String) {
        self.token = Some(Some(token));
    }
    /// The URL the call is sent to (for a network failure's message: its origin).
    #[cfg(all(target_arch = "wasm32", feature = "js"))]
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
    /// The last attempt's timeout (for a timeout's error).
    #[cfg(all(target_arch = "wasm32", feature = "js"))]
    pub(crate) fn timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(0)
    }
    /// `GET /open-apis/…` without the query, for logs.
    fn what(&self) -> String {
        let path = self.url.split('?').next().unwrap_or("");
        format!("{} {path}", self.req.method.as_str())
    }
}

/// What a call needs next; see [`Client::step`].
pub(crate) enum Step {
    /// Send this, then step with its outcome.
    Send(HttpRequest),
    /// Get this token ([`Client::obtain`]), hand it to [`Call::set_token`], then step.
    Token(TokenWork),
    /// Wait this many milliseconds, then step.
    Wait(u64),
    /// The call's final reply, unchecked: the caller settles it under its contract
    /// ([`envelope::settle`], or [`envelope::check_binary`] for a download).
    Reply(HttpResponse),
    /// The call failed without a reply (a timeout, a network failure, a refusal).
    Fail(Error),
    /// The call failed on this reply (a non-2xx at the end of its retries): the error, and the
    /// reply for the caller to show (`e.response` in JS).
    Rejected(
        Error,
        // Read by the wasm skin only (natively the error is the result).
        #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
        HttpResponse,
    ),
}

/// A managed token a call waits for; `refresh`: the platform rejected the last one.
pub(crate) struct TokenWork {
    kind: TokenKind,
    refresh: bool,
}

/// What the pipeline does after an attempt.
#[derive(Debug)]
enum Next {
    /// Hand this reply to the caller (a success, or a failure that is not retried: the caller's
    /// envelope check makes it the error).
    Reply(HttpResponse),
    /// The managed token was rejected: fetch a new one and send again (once per call).
    Refresh(Error),
    /// Wait this many milliseconds, then send again.
    RetryAfter(u64, Error),
    /// Give up with this error (and the last reply, when the attempt had one).
    Fail(Error, Option<HttpResponse>),
}

/// One call's attempts, sans-IO: given each attempt's outcome and the time, says what comes
/// next. No sending, no waiting, no logging.
struct Attempts {
    idempotent: bool,
    started: u64,
    /// Attempts counted against the policy (a token refresh does not count).
    count: u32,
    refreshed_token: bool,
}

impl Attempts {
    fn new(idempotent: bool, now: u64) -> Self {
        Attempts {
            idempotent,
            started: now,
            count: 0,
            refreshed_token: false,
        }
    }

    /// Judges one attempt's outcome. `refreshable`: the attempt carried a managed token that
    /// can be fetched anew. `clock` gives the time and a jitter in [0, 1); it is read only to
    /// judge a failure (a success costs no clock read).
    fn judge(
        &mut self,
        policy: &crate::config::RetryPolicy,
        outcome: std::result::Result<HttpResponse, TransportError>,
        url: &str,
        refreshable: bool,
        clock: impl FnOnce() -> (u64, f64),
    ) -> Next {
        self.count += 1;
        let (error, reply) = match outcome {
            Ok(resp) => {
                if (300..400).contains(&resp.status) || resp.status == 0 {
                    return Next::Fail(redirect_refused(&resp, url), None);
                }
                let failed = !(200..300).contains(&resp.status) || looks_like_error_envelope(&resp);
                if !failed {
                    return Next::Reply(resp);
                }
                match envelope::verdict(&resp, true) {
                    Err(e) if e.is_token_invalid() || e.retryable() => (e, Some(resp)),
                    _ => return Next::Reply(resp),
                }
            }
            Err(TransportError::Timeout(ms)) => (Error::Timeout { ms }, None),
            Err(TransportError::Network(m)) => (Error::Network(m), None),
        };
        if error.is_token_invalid() && refreshable && !self.refreshed_token {
            self.refreshed_token = true;
            self.count -= 1;
            return Next::Refresh(error);
        }
        let (now, jitter) = clock();
        let waited = now.saturating_sub(self.started);
        match decide(policy, &error, self.count, waited, self.idempotent, jitter) {
            RetryDecision::RetryAfter(delay) => Next::RetryAfter(delay, error),
            RetryDecision::Stop if self.idempotent => Next::Fail(error, reply),
            RetryDecision::Stop => Next::Fail(error.unconfirmed(), reply),
        }
    }
}

/// A redirect is never followed: the call fails with a typed, non-retryable error naming where
/// it pointed (origin only), so a managed token cannot follow it to another host (workerd's
/// `fetch` resends `Authorization` across origins). Status 0 is a browser's opaque redirect.
fn redirect_refused(resp: &HttpResponse, url: &str) -> Error {
    let target = resp
        .header("location")
        .and_then(|l| match crate::request::origin_of(l) {
            Some(origin) => Some(crate::config::without_userinfo(origin).into_owned()),
            // A relative location stays on the request's origin.
            None => crate::request::origin_of(url).map(str::to_string),
        });
    let msg = match target {
        Some(t) => format!(
            "the server answered {} with a redirect to {t}; redirects are not followed (an access token never leaves for another host)",
            resp.status
        ),
        None => format!(
            "the server answered with a redirect (status {}); redirects are not followed (an access token never leaves for another host)",
            resp.status
        ),
    };
    Error::Http(Box::new(crate::ApiError {
        code: None,
        msg,
        log_id: envelope::log_id(resp),
        http_status: resp.status,
        rate_limit_reset_secs: None,
    }))
}

/// A 2xx reply may still carry `code != 0` (rate limits, invalid tokens): peek cheaply.
fn looks_like_error_envelope(resp: &HttpResponse) -> bool {
    let head = resp.body.get(..64).unwrap_or(&resp.body);
    let text = String::from_utf8_lossy(head);
    !(text.contains("\"code\":0,") || text.contains("\"code\":0}") || text.contains("\"code\": 0,"))
        && resp
            .header("content-type")
            .is_none_or(|c| c.contains("json"))
}

impl token::TokenHost for Client {
    fn config(&self) -> &Config {
        &self.inner.config
    }
    fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }
    fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }
    fn logger(&self) -> &Arc<dyn Logger> {
        &self.inner.logger
    }
    fn tokens(&self) -> &TokenCache {
        &self.inner.tokens
    }
    fn call(&self, req: ApiRequest) -> crate::runtime::BoxFuture<'_, Result<ApiResponse>> {
        Box::pin(self.request(req))
    }
    fn handle(&self) -> Arc<dyn token::TokenHost> {
        Arc::new(self.clone())
    }
}

impl crate::request::Caller for Client {
    fn call(&self, req: ApiRequest) -> crate::runtime::BoxFuture<'_, Result<ApiResponse>> {
        Box::pin(self.request(req))
    }
}

impl crate::webhook::dispatch::AppTicketSink for Client {
    fn app_id(&self) -> &str {
        &self.config().app_id
    }
    fn store_app_ticket<'a>(
        &'a self,
        ticket: &'a str,
    ) -> crate::runtime::BoxFuture<'a, Result<()>> {
        Box::pin(Client::store_app_ticket(self, ticket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> std::result::Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            stream: None,
        })
    }

    #[test]
    fn attempts_judge_each_outcome_without_io() {
        let policy = crate::config::RetryPolicy::default();
        let url = "https://open.feishu.cn/open-apis/im/v1/chats";
        let mut a = Attempts::new(true, 0);
        assert!(matches!(
            a.judge(&policy, reply(200, r#"{"code":0}"#), url, true, || (0, 0.5)),
            Next::Reply(_)
        ));
        // A rejected managed token: refreshed once, not counted; the second time it is an error.
        let mut a = Attempts::new(true, 0);
        let rejected = r#"{"code":99991663,"msg":"invalid token"}"#;
        assert!(matches!(
            a.judge(&policy, reply(400, rejected), url, true, || (0, 0.5)),
            Next::Refresh(_)
        ));
        assert_eq!(a.count, 0);
        assert!(matches!(
            a.judge(&policy, reply(400, rejected), url, true, || (0, 0.5)),
            Next::Fail(e, Some(_)) if e.is_token_invalid()
        ));
        // A 5xx on an idempotent call waits and retries until the policy's attempts are spent.
        let mut a = Attempts::new(true, 0);
        assert!(matches!(
            a.judge(&policy, reply(503, "busy"), url, false, || (0, 0.5)),
            Next::RetryAfter(..)
        ));
        assert!(matches!(
            a.judge(&policy, reply(503, "busy"), url, false, || (10, 0.5)),
            Next::RetryAfter(..)
        ));
        assert!(matches!(
            a.judge(&policy, reply(503, "busy"), url, false, || (20, 0.5)),
            Next::Fail(_, Some(_))
        ));
        // A redirect is refused at once, never followed.
        let mut a = Attempts::new(true, 0);
        assert!(matches!(
            a.judge(&policy, reply(302, ""), url, true, || (0, 0.5)),
            Next::Fail(e, None) if !e.retryable()
        ));
        assert_eq!(a.count, 1);
    }

    /// Only the final outcome reaches the caller's error contract: a 2xx envelope whose code is
    /// still not 0 after the retries is the call's reply (`envelope::settle` says what it
    /// means), a non-2xx at the end of its retries fails with that reply beside the error.
    #[test]
    fn a_final_reply_is_handed_over_after_the_retries() {
        let client = stepped_client();
        let limited = || reply(200, r#"{"code":99991400,"msg":"rate limited"}"#);
        let mut call = client
            .begin(ApiRequest::get("im/v1/chats").auth(Auth::None), false)
            .unwrap();
        assert!(matches!(client.step(&mut call, None), Step::Send(_)));
        let mut last = None;
        for _ in 0..10 {
            match client.step(&mut call, Some(limited())) {
                Step::Wait(_) => assert!(matches!(client.step(&mut call, None), Step::Send(_))),
                other => {
                    last = Some(other);
                    break;
                }
            }
        }
        let resp = match last {
            Some(Step::Reply(resp)) => resp,
            _ => panic!("expected the final reply"),
        };
        assert!(envelope::settle(resp.clone(), true).is_err_and(|e| e.code() == Some(99991400)));
        assert!(envelope::settle(resp, false).is_ok());
        // A 503 on a POST is not retried: the error (unconfirmed) and the reply.
        let mut post = client
            .begin(ApiRequest::post("im/v1/messages").auth(Auth::None), false)
            .unwrap();
        assert!(matches!(client.step(&mut post, None), Step::Send(_)));
        assert!(matches!(
            client.step(&mut post, Some(reply(503, r#"{"code":1,"msg":"busy"}"#))),
            Step::Rejected(Error::Unconfirmed(_), r) if r.status == 503
        ));
    }

    /// The help desk credential, like a managed token, never leaves the API origin.
    #[test]
    fn the_help_desk_credential_stays_on_the_api_origin() {
        let mut config = Config::new("cli_a", "secret");
        config.helpdesk_credential = Some(crate::config::Secret::new("aGQ6dA=="));
        let client = Client::builder(config)
            .transport(Arc::new(NoTransport))
            .runtime(Arc::new(crate::runtime::ManualClock(
                crate::runtime::TestMs::new(0),
            )))
            .build()
            .unwrap();
        let sent = |url: &str| {
            let req = crate::request::options::RequestOptions::parse(&format!(
                r#"{{"url":"{url}","helpDeskCredential":true,"tokenType":"none"}}"#
            ))
            .unwrap()
            .into_request()
            .unwrap();
            let mut call = client.begin(req, false).unwrap();
            match client.step(&mut call, None) {
                Step::Send(http) => http
                    .headers
                    .iter()
                    .any(|(k, _)| k == "X-Lark-Helpdesk-Authorization"),
                _ => panic!("expected a request"),
            }
        };
        assert!(sent("https://open.feishu.cn/open-apis/helpdesk/v1/tickets"));
        assert!(!sent("https://other.example/helpdesk/v1/tickets"));
    }

    /// A client that never sends and whose clock stands still: its calls are stepped by hand.
    fn stepped_client() -> Client {
        Client::builder(Config::new("cli_a", "secret"))
            .transport(Arc::new(NoTransport))
            .runtime(Arc::new(crate::runtime::ManualClock(
                crate::runtime::TestMs::new(0),
            )))
            .build()
            .unwrap()
    }

    struct NoTransport;
    impl Transport for NoTransport {
        fn send(
            &self,
            _: HttpRequest,
        ) -> crate::runtime::BoxFuture<'_, std::result::Result<HttpResponse, TransportError>>
        {
            Box::pin(std::future::pending())
        }
    }

    /// A tokio server shares one client across tasks: the client, its error and the futures
    /// of its calls are `Send` (checked by the compiler; the test only has to build).
    #[test]
    fn the_client_and_its_futures_are_send_and_sync() {
        fn send_sync<T: Send + Sync + 'static>(_: &T) {}
        fn send<T: Send>(_: T) {}
        let client = Client::builder(Config::new("cli_a", "secret"))
            .transport(Arc::new(NoTransport))
            .build()
            .unwrap();
        send_sync(&client);
        send_sync(&crate::Error::InvalidRequest(String::new()));
        send(client.request(ApiRequest::get("im/v1/chats")));
        send(client.tenant_access_token(None));
        send(client.download(ApiRequest::get("im/v1/files/f")));
        let pages = client.paginate(ApiRequest::get("im/v1/chats"), Default::default());
        send(pages.collect_all::<serde_json::Value>());
    }

    /// Natively a client needs a transport, or the `reqwest` feature, which brings one (and
    /// tokio's clock): the error without either says so.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn natively_the_reqwest_feature_is_the_default_transport() {
        let built = Client::builder(Config::new("cli_a", "secret")).build();
        #[cfg(feature = "reqwest")]
        assert!(built.is_ok());
        #[cfg(not(feature = "reqwest"))]
        assert!(
            matches!(&built, Err(Error::Config(m)) if m.contains("`reqwest` feature")),
            "{:?}",
            built.err()
        );
    }

    /// The whole pipeline as a state machine, stepped by hand: no transport, no waits.
    #[test]
    fn a_call_steps_through_token_send_refresh_and_reply_without_io() {
        let client = stepped_client();
        let mut call = client.begin(ApiRequest::get("im/v1/chats"), false).unwrap();
        // No token in memory: the call asks for one before sending anything.
        assert!(matches!(
            client.step(&mut call, None),
            Step::Token(TokenWork { refresh: false, .. })
        ));
        call.set_token("t-1".into());
        let sent = match client.step(&mut call, None) {
            Step::Send(http) => http,
            _ => panic!("expected a request"),
        };
        assert!(sent
            .headers
            .contains(&("Authorization".into(), "Bearer t-1".into())));
        // The platform rejects the token: a new one is fetched (refresh), then the call resends.
        let rejected = reply(200, r#"{"code":99991663,"msg":"invalid token"}"#);
        assert!(matches!(
            client.step(&mut call, Some(rejected)),
            Step::Token(TokenWork { refresh: true, .. })
        ));
        call.set_token("t-2".into());
        assert!(
            matches!(client.step(&mut call, None), Step::Send(h) if h.headers.iter().any(|(_, v)| v == "Bearer t-2"))
        );
        // A 503 on a GET: wait, then send again with the token still known; then the reply.
        assert!(matches!(
            client.step(&mut call, Some(reply(503, "busy"))),
            Step::Wait(_)
        ));
        assert!(
            matches!(client.step(&mut call, None), Step::Token(_)),
            "t-2 came from outside the cache, so it is asked for again"
        );
        call.set_token("t-2".into());
        assert!(matches!(client.step(&mut call, None), Step::Send(_)));
        assert!(
            matches!(client.step(&mut call, Some(reply(200, r#"{"code":0,"data":{}}"#))), Step::Reply(r) if r.status == 200)
        );
        // A timeout on a POST is not retried (it may have been applied): it fails, unconfirmed.
        let mut post = client
            .begin(ApiRequest::post("im/v1/messages").auth(Auth::None), false)
            .unwrap();
        assert!(matches!(client.step(&mut post, None), Step::Send(_)));
        assert!(matches!(
            client.step(&mut post, Some(Err(TransportError::Timeout(5)))),
            Step::Fail(_)
        ));
    }
}
