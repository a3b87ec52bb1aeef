//! One API call as a sans-IO state machine: [`begin`] refuses what cannot be sent and resolves
//! the URL, [`step`] says what comes next (send this, wait that long, get a managed token
//! first) given the last outcome, and how the call ends. Nothing here sends, waits or reads a
//! clock of its own: the time and the jitter come in through [`Env`], and a driver (the async
//! Rust one in `src/drive/`, the JS one in `src/js/`) carries the steps out.

use crate::config::{AppType, Config};
use crate::error::{Error, Result};
use crate::log::{log_at, Level, Logger};
use crate::request::envelope;
use crate::request::retry::{decide, RetryDecision};
use crate::request::{ApiRequest, Auth};
use crate::transport::{HttpRequest, HttpResponse, TransportError};

/// Which managed token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `app_access_token`.
    App,
    /// `tenant_access_token`, per tenant for marketplace apps.
    Tenant(Option<String>),
}

/// What a call's machine reads from its client: the settings, the logger, and the clock and
/// jitter (read only when needed: a success costs no clock read). Borrowed for one step.
pub(crate) struct Env<'a> {
    pub(crate) config: &'a Config,
    pub(crate) logger: &'a dyn Logger,
    /// Milliseconds since the Unix epoch.
    pub(crate) now_ms: &'a dyn Fn() -> u64,
    /// A number in [0, 1) for the backoff's jitter.
    pub(crate) jitter: &'a dyn Fn() -> f64,
}

/// One call in flight, sans-IO: the request, its URL, the token its next attempt carries and
/// its attempts so far. Made by [`begin`], advanced by [`step`].
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
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
    /// The last attempt's timeout (for a timeout's error).
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) fn timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(0)
    }
    /// `GET /open-apis/…` without the query, for logs.
    fn what(&self) -> String {
        let path = self.url.split('?').next().unwrap_or("");
        format!("{} {path}", self.req.method.as_str())
    }
}

/// What a call needs next; see [`step`].
pub(crate) enum Step {
    /// Send this, then step with its outcome.
    Send(HttpRequest),
    /// Get this managed token, hand it to [`Call::set_token`], then step.
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
    Rejected(Error, HttpResponse),
}

/// A managed token a call waits for; `refresh`: the platform rejected the last one.
pub(crate) struct TokenWork {
    pub(crate) kind: TokenKind,
    pub(crate) refresh: bool,
}

/// Starts a call: refuses what cannot be sent and resolves its URL. Nothing is sent; drive it
/// with [`step`]. `user_token`: the client's `as_user` token, which calls that name no other
/// token carry.
pub(crate) fn begin(
    env: &Env<'_>,
    user_token: Option<&str>,
    req: ApiRequest,
    stream: bool,
) -> Result<Call> {
    check_sendable(env.config, &req)?;
    let auth = match (user_token, &req.auth) {
        (Some(u), Auth::Tenant) => Auth::User(u.to_string()),
        (_, auth) => auth.clone(),
    };
    let url = req.url(env.config.base_url_str())?;
    let attempts = Attempts::new(req.is_idempotent(), (env.now_ms)());
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

/// The managed token an [`Auth`] names, if any.
fn managed_kind(auth: &Auth) -> Option<TokenKind> {
    match auth {
        Auth::Tenant => Some(TokenKind::Tenant(None)),
        Auth::TenantKey(k) => Some(TokenKind::Tenant(Some(k.clone()))),
        Auth::App => Some(TokenKind::App),
        _ => None,
    }
}

/// The token a call sends, if it is known without a managed token: `Ok(Err(kind))` when a
/// managed token must be got first. A URL outside the configured base URL's origin gets none
/// unless the call itself named one (`accessToken` / `userAccessToken`): the app's tenant, app
/// and `asUser` tokens never leave for another host.
fn token_now(
    config: &Config,
    req: &ApiRequest,
    auth: &Auth,
    url: &str,
) -> Result<std::result::Result<Option<String>, TokenKind>> {
    let explicit = matches!(req.auth, Auth::Token(_) | Auth::User(_));
    if !explicit && !crate::request::same_origin(url, config.base_url_str()) {
        return Ok(Ok(None));
    }
    Ok(match auth {
        Auth::None => Ok(None),
        Auth::User(t) | Auth::Token(t) => Ok(Some(t.clone())),
        Auth::Tenant if config.app_type == AppType::Marketplace => {
            return Err(Error::InvalidRequest(
                "marketplace apps must pass tenantKey for tenant-token calls".into(),
            ))
        }
        // disableTokenCache: no managed token; the call carries what it was given.
        _ if config.disable_token_cache => Ok(None),
        other => match managed_kind(other) {
            Some(kind) => Err(kind),
            None => Ok(None),
        },
    })
}

/// The call's next step, synchronously: given the last attempt's outcome (or `None` to start,
/// after a wait, or after a token was set), what to send, wait for or get, or how the call
/// ends. The decisions are [`Attempts::judge`]'s; this adds the token and the logs.
pub(crate) fn step(
    env: &Env<'_>,
    call: &mut Call,
    outcome: Option<std::result::Result<HttpResponse, TransportError>>,
) -> Step {
    if let Some(outcome) = outcome {
        if let (true, Ok(resp)) = (env.logger.enabled(Level::Debug), &outcome) {
            let elapsed = (env.now_ms)().saturating_sub(call.sent_at);
            let log_id = envelope::log_id(resp).unwrap_or_default();
            let what = call.what();
            env.logger.log(
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
            .and_then(|resp| envelope::oversized(resp, env.config.max_reply_bytes))
        {
            return Step::Fail(error);
        }
        let kind = managed_kind(&call.auth);
        let refreshable = matches!(call.token, Some(Some(_))) && kind.is_some();
        let policy = &env.config.retry;
        // The clock and the jitter are read only when a failure is judged.
        let clock = || ((env.now_ms)(), (env.jitter)());
        match call
            .attempts
            .judge(policy, outcome, &call.url, refreshable, clock)
        {
            Next::Reply(resp) => return Step::Reply(resp),
            Next::Refresh(error) => {
                log_at!(
                    env.logger,
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
                    env.logger,
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
                    env.logger,
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
        match token_now(env.config, &call.req, &call.auth, &call.url) {
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
    if env.logger.enabled(Level::Debug) {
        call.sent_at = (env.now_ms)();
    }
    let token = call.token.clone().flatten();
    let http = http_request(env.config, &call.req, call.url.clone(), token, call.stream);
    call.timeout_ms = http.timeout_ms;
    Step::Send(http)
}

/// Refuses, before anything is sent, a request `fetch` or the platform would: a GET or HEAD
/// with a body, a header `fetch` refuses, the help desk credential without its options.
fn check_sendable(config: &Config, req: &ApiRequest) -> Result<()> {
    if matches!(
        req.method,
        crate::transport::Method::Get | crate::transport::Method::Head
    ) && !matches!(req.body, crate::transport::Body::Empty)
    {
        return Err(Error::InvalidRequest(format!(
            "a {} request cannot carry a body (fetch refuses it)",
            req.method.as_str()
        )));
    }
    for (name, value) in &req.headers {
        crate::transport::check_header(name, value)?;
    }
    if req.helpdesk && config.helpdesk_credential.is_none() {
        return Err(Error::InvalidRequest(
            "withHelpDeskCredential() needs helpDeskId and helpDeskToken in the client options"
                .into(),
        ));
    }
    Ok(())
}

/// The HTTP request of one attempt: the call's headers, the help desk credential (on the API
/// origin only), the token, the timeout.
fn http_request(
    config: &Config,
    req: &ApiRequest,
    url: String,
    token: Option<String>,
    stream: bool,
) -> HttpRequest {
    let mut headers = req.headers.clone();
    // Like the managed tokens (`token_now`), the help desk credential is the client's, not the
    // call's: it never leaves the API origin.
    let base = config.base_url_str();
    if let Some(credential) = config
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
        timeout_ms: req.timeout_ms.or(config.timeout_ms),
        stream,
    }
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
    Error::Http(Box::new(crate::error::ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::NoLogger;

    fn reply(status: u16, body: &str) -> std::result::Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            stream: None,
        })
    }

    /// Steps `f` with a clock standing at 0 and no logger.
    fn with_env<R>(config: &Config, f: impl FnOnce(&Env<'_>) -> R) -> R {
        let env = Env {
            config,
            logger: &NoLogger,
            now_ms: &|| 0,
            jitter: &|| 0.5,
        };
        f(&env)
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
        let config = Config::new("cli_a", "secret");
        with_env(&config, |env| {
            let limited = || reply(200, r#"{"code":99991400,"msg":"rate limited"}"#);
            let mut call = begin(
                env,
                None,
                ApiRequest::get("im/v1/chats").auth(Auth::None),
                false,
            )
            .unwrap();
            assert!(matches!(step(env, &mut call, None), Step::Send(_)));
            let mut last = None;
            for _ in 0..10 {
                match step(env, &mut call, Some(limited())) {
                    Step::Wait(_) => assert!(matches!(step(env, &mut call, None), Step::Send(_))),
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
            let mut post = begin(
                env,
                None,
                ApiRequest::post("im/v1/messages").auth(Auth::None),
                false,
            )
            .unwrap();
            assert!(matches!(step(env, &mut post, None), Step::Send(_)));
            assert!(matches!(
                step(env, &mut post, Some(reply(503, r#"{"code":1,"msg":"busy"}"#))),
                Step::Rejected(Error::Unconfirmed(_), r) if r.status == 503
            ));
        });
    }

    /// The help desk credential, like a managed token, never leaves the API origin.
    #[test]
    fn the_help_desk_credential_stays_on_the_api_origin() {
        let mut config = Config::new("cli_a", "secret");
        config.helpdesk_credential = Some(crate::config::Secret::new("aGQ6dA=="));
        with_env(&config, |env| {
            let sent = |url: &str| {
                let req = crate::request::options::RequestOptions::parse(&format!(
                    r#"{{"url":"{url}","helpDeskCredential":true,"tokenType":"none"}}"#
                ))
                .unwrap()
                .into_request()
                .unwrap();
                let mut call = begin(env, None, req, false).unwrap();
                match step(env, &mut call, None) {
                    Step::Send(http) => http
                        .headers
                        .iter()
                        .any(|(k, _)| k == "X-Lark-Helpdesk-Authorization"),
                    _ => panic!("expected a request"),
                }
            };
            assert!(sent("https://open.feishu.cn/open-apis/helpdesk/v1/tickets"));
            assert!(!sent("https://other.example/helpdesk/v1/tickets"));
        });
    }

    /// The whole pipeline as a state machine, stepped by hand: no transport, no waits.
    #[test]
    fn a_call_steps_through_token_send_refresh_and_reply_without_io() {
        let config = Config::new("cli_a", "secret");
        with_env(&config, |env| {
            let mut call = begin(env, None, ApiRequest::get("im/v1/chats"), false).unwrap();
            // A managed token: the call asks for one before sending anything.
            assert!(matches!(
                step(env, &mut call, None),
                Step::Token(TokenWork { refresh: false, .. })
            ));
            call.set_token("t-1".into());
            let sent = match step(env, &mut call, None) {
                Step::Send(http) => http,
                _ => panic!("expected a request"),
            };
            assert!(sent
                .headers
                .contains(&("Authorization".into(), "Bearer t-1".into())));
            // The platform rejects the token: a new one is fetched (refresh), then it resends.
            let rejected = reply(200, r#"{"code":99991663,"msg":"invalid token"}"#);
            assert!(matches!(
                step(env, &mut call, Some(rejected)),
                Step::Token(TokenWork { refresh: true, .. })
            ));
            call.set_token("t-2".into());
            assert!(
                matches!(step(env, &mut call, None), Step::Send(h) if h.headers.iter().any(|(_, v)| v == "Bearer t-2"))
            );
            // A 503 on a GET: wait, then the token is asked for again; then the reply.
            assert!(matches!(
                step(env, &mut call, Some(reply(503, "busy"))),
                Step::Wait(_)
            ));
            assert!(matches!(step(env, &mut call, None), Step::Token(_)));
            call.set_token("t-2".into());
            assert!(matches!(step(env, &mut call, None), Step::Send(_)));
            assert!(
                matches!(step(env, &mut call, Some(reply(200, r#"{"code":0,"data":{}}"#))), Step::Reply(r) if r.status == 200)
            );
            // A timeout on a POST is not retried (it may have been applied): it fails.
            let mut post = begin(
                env,
                None,
                ApiRequest::post("im/v1/messages").auth(Auth::None),
                false,
            )
            .unwrap();
            assert!(matches!(step(env, &mut post, None), Step::Send(_)));
            assert!(matches!(
                step(env, &mut post, Some(Err(TransportError::Timeout(5)))),
                Step::Fail(_)
            ));
        });
    }
}
