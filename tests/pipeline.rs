#![cfg(not(target_arch = "wasm32"))]
//! Native tests of the request pipeline against a scripted transport and a virtual clock.

use feishu_edge::request::PageOptions;
use feishu_edge::{
    ApiRequest, AppType, Auth, BoxFuture, Client, Config, Error, HttpRequest, HttpResponse, Level,
    Logger, MemoryStore, Runtime, TokenStore, Transport, TransportError,
};
use futures_executor::block_on;
use futures_util::future::join_all;
use std::future::IntoFuture;
mod support;
use std::sync::Arc;
#[allow(unused_imports)]
use support::{Locked, Slot};

/// A clock that only moves when someone sleeps.
#[derive(Default)]
struct VirtualClock {
    now: Slot<u64>,
}
impl Runtime for VirtualClock {
    fn now_ms(&self) -> u64 {
        1_700_000_000_000 + self.now.get()
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        self.now.set(self.now.get() + ms);
        Box::pin(std::future::ready(()))
    }
    fn jitter(&self) -> f64 {
        0.5
    }
}

type Handler =
    Box<dyn Fn(&HttpRequest, usize) -> Result<HttpResponse, TransportError> + Send + Sync>;

/// Records every request; answers with `handler(request, index among non-token calls)`.
struct Scripted {
    seen: Locked<Vec<HttpRequest>>,
    token_calls: Slot<usize>,
    api_calls: Slot<usize>,
    handler: Handler,
    token: Locked<String>,
}

/// Yields once, so that concurrent callers really overlap.
struct YieldOnce(bool);
impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

fn json(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-tt-logid".into(), "LOG-42".into()),
        ],
        body: body.as_bytes().to_vec(),
        stream: None,
    }
}

impl Transport for Scripted {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            YieldOnce(false).await;
            self.seen.borrow_mut().push(req.clone());
            if req.url.contains("/auth/v3/") {
                let n = self.token_calls.get() + 1;
                self.token_calls.set(n);
                *self.token.borrow_mut() = format!("t-{n}");
                let field = if req.url.contains("app_access_token") {
                    "app_access_token"
                } else {
                    "tenant_access_token"
                };
                return Ok(json(
                    200,
                    &format!(r#"{{"code":0,"msg":"ok","{field}":"t-{n}","expire":7200}}"#),
                ));
            }
            let i = self.api_calls.get();
            self.api_calls.set(i + 1);
            (self.handler)(&req, i)
        })
    }
}

fn setup(handler: Handler) -> (Client, Arc<Scripted>, Arc<VirtualClock>) {
    setup_with(Config::new("cli_test", "app-secret-XYZ"), handler)
}

fn setup_with(config: Config, handler: Handler) -> (Client, Arc<Scripted>, Arc<VirtualClock>) {
    let t = Arc::new(Scripted {
        seen: Locked::default(),
        token_calls: Slot::new(0),
        api_calls: Slot::new(0),
        handler,
        token: Locked::default(),
    });
    let clock = Arc::new(VirtualClock::default());
    let client = Client::builder(config.base_url("http://emu.test").unwrap())
        .transport(t.clone())
        .runtime(clock.clone())
        .build()
        .unwrap();
    (client, t, clock)
}

/// A client with `client`'s configuration and transport, on another clock and token store.
fn sibling(
    client: &Client,
    transport: &Arc<Scripted>,
    runtime: Arc<dyn Runtime>,
    store: Arc<dyn TokenStore>,
) -> Client {
    Client::builder(client.config().clone())
        .transport(transport.clone())
        .runtime(runtime)
        .store(store)
        .build()
        .unwrap()
}

fn ok() -> Result<HttpResponse, TransportError> {
    Ok(json(
        200,
        r#"{"code":0,"msg":"success","data":{"ok":true}}"#,
    ))
}

#[test]
fn concurrent_cold_calls_fetch_one_token() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    let calls = (0..100).map(|_| client.request(ApiRequest::get("im/v1/chats")));
    let results = block_on(join_all(calls));
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(t.token_calls.get(), 1);
    assert_eq!(t.api_calls.get(), 100);
    let auth: Vec<_> = t
        .seen
        .borrow()
        .iter()
        .filter(|r| !r.url.contains("auth/v3"))
        .map(|r| r.headers.clone())
        .collect();
    assert!(auth
        .iter()
        .all(|h| h.contains(&("Authorization".into(), "Bearer t-1".into()))));
}

#[test]
fn revoked_token_is_replaced_once() {
    let (client, t, _) = setup(Box::new(|req, _| {
        if req.headers.iter().any(|(_, v)| v == "Bearer t-1") {
            Ok(json(
                400,
                r#"{"code":99991663,"msg":"invalid tenant token"}"#,
            ))
        } else {
            ok()
        }
    }));
    block_on(client.request(ApiRequest::get("a"))).unwrap();
    assert_eq!(t.token_calls.get(), 2);
    // A token that stays invalid is reported after one refresh, not retried forever.
    let (client, t, _) = setup(Box::new(|_, _| {
        Ok(json(400, r#"{"code":99991663,"msg":"invalid"}"#))
    }));
    let err = block_on(client.request(ApiRequest::get("a"))).unwrap_err();
    assert_eq!(err.code(), Some(99991663));
    assert_eq!((t.token_calls.get(), t.api_calls.get()), (2, 2));
}

#[test]
fn rate_limit_waits_for_reset() {
    let (client, t, clock) = setup(Box::new(|_, i| {
        if i == 0 {
            let mut r = json(429, r#"{"code":99991400,"msg":"too many requests"}"#);
            r.headers.push(("x-ogw-ratelimit-reset".into(), "2".into()));
            Ok(r)
        } else {
            ok()
        }
    }));
    block_on(client.request(ApiRequest::post("im/v1/messages").json_str("{}"))).unwrap();
    assert_eq!(t.api_calls.get(), 2);
    assert_eq!(clock.now.get(), 2000);
}

#[test]
fn post_is_not_retried_after_5xx_but_get_is() {
    let (client, t, _) = setup(Box::new(|_, _| Ok(json(503, "<html>busy</html>"))));
    let err =
        block_on(client.request(ApiRequest::post("im/v1/messages").json_str("{}"))).unwrap_err();
    assert!(
        matches!(err.cause(), Error::Http(ref e) if e.http_status == 503),
        "{err:?}"
    );
    assert!(
        !err.retryable(),
        "a failed POST may have been processed: not safe to repeat"
    );
    assert_eq!(
        (err.kind(), err.api().map(|a| a.http_status)),
        ("http", Some(503))
    );
    assert_eq!(t.api_calls.get(), 1);
    let err = block_on(client.request(ApiRequest::get("im/v1/chats"))).unwrap_err();
    assert!(err.retryable());
    assert_eq!(t.api_calls.get(), 4, "1 + 3 attempts");
    let (client, t, _) = setup(Box::new(
        |_, i| if i == 0 { Ok(json(500, "")) } else { ok() },
    ));
    block_on(client.request(ApiRequest::post("x").idempotent(true))).unwrap();
    assert_eq!(t.api_calls.get(), 2, "a POST marked idempotent is retried");
}

#[test]
fn timeouts_and_network_errors_are_typed() {
    let (client, _, _) = setup(Box::new(|_, _| Err(TransportError::Timeout(50))));
    let err = block_on(client.request(ApiRequest::post("x"))).unwrap_err();
    assert_eq!(err.cause(), &Error::Timeout { ms: 50 });
    assert!(!err.retryable(), "a timed-out POST may have been processed");
    let err = block_on(client.request(ApiRequest::get("x"))).unwrap_err();
    assert_eq!((err,), (Error::Timeout { ms: 50 },));
    let (client, t, _) = setup(Box::new(|_, _| {
        Err(TransportError::Network("refused".into()))
    }));
    assert!(matches!(
        block_on(client.request(ApiRequest::get("x"))),
        Err(Error::Network(_))
    ));
    assert_eq!(t.api_calls.get(), 3);
}

#[test]
fn errors_carry_code_msg_log_id() {
    let (client, _, _) = setup(Box::new(|_, _| {
        Ok(json(400, r#"{"code":230001,"msg":"bad receive_id"}"#))
    }));
    match block_on(client.request(ApiRequest::get("x"))) {
        Err(Error::Api(e)) => {
            assert_eq!(
                (e.code, e.msg.as_str(), e.log_id.as_deref(), e.http_status),
                (Some(230001), "bad receive_id", Some("LOG-42"), 400)
            )
        }
        other => panic!("{other:?}"),
    }
    let (client, _, _) = setup(Box::new(|_, _| Ok(json(200, r#"{"code":0,"data":{"x":"#))));
    assert!(matches!(
        block_on(client.request(ApiRequest::get("x"))),
        Err(Error::InvalidResponse(_))
    ));
}

#[test]
fn shared_store_serves_second_client() {
    let clock: Arc<dyn Runtime> = Arc::new(VirtualClock::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(clock.clone()));
    let (a, ta, _) = setup(Box::new(|_, _| ok()));
    let a = sibling(&a, &ta, clock.clone(), store.clone());
    block_on(a.request(ApiRequest::get("x"))).unwrap();
    let b = sibling(&a, &ta, clock, store.clone());
    block_on(b.request(ApiRequest::get("x"))).unwrap();
    assert_eq!(ta.token_calls.get(), 1);
    let stored = block_on(store.get("feishu-edge:cli_test:tenant_access_token"))
        .unwrap()
        .unwrap();
    assert!(
        stored.contains("\"token\":\"t-1\"") && stored.contains("expiresAt"),
        "{stored}"
    );
}

#[test]
fn tokens_refresh_before_expiry() {
    let (client, t, clock) = setup(Box::new(|_, _| ok()));
    block_on(client.request(ApiRequest::get("x"))).unwrap();
    clock.now.set((7200 - 181) * 1000);
    block_on(client.request(ApiRequest::get("x"))).unwrap();
    assert_eq!(t.token_calls.get(), 1);
    clock.now.set((7200 - 179) * 1000);
    block_on(client.request(ApiRequest::get("x"))).unwrap();
    assert_eq!(t.token_calls.get(), 2, "refreshed within the 180 s margin");
}

#[test]
fn user_and_explicit_tokens() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    let me = client.as_user("u-token");
    block_on(me.request(ApiRequest::get("x"))).unwrap();
    block_on(client.request(ApiRequest::get("x").auth(Auth::Token("explicit".into())))).unwrap();
    block_on(client.request(ApiRequest::get("x").auth(Auth::None))).unwrap();
    let seen = t.seen.borrow();
    assert!(seen[0]
        .headers
        .contains(&("Authorization".into(), "Bearer u-token".into())));
    assert!(seen[1]
        .headers
        .contains(&("Authorization".into(), "Bearer explicit".into())));
    assert!(!seen[2].headers.iter().any(|(k, _)| k == "Authorization"));
    assert_eq!(t.token_calls.get(), 0);
}

#[test]
fn marketplace_flow() {
    let config = Config::new("cli_isv", "s").app_type(AppType::Marketplace);
    let (client, t, _) = setup_with(config, Box::new(|_, _| ok()));
    let err = block_on(client.request(ApiRequest::get("x").auth(Auth::TenantKey("tk1".into()))))
        .unwrap_err();
    assert_eq!(err, Error::AppTicketMissing);
    assert!(t
        .seen
        .borrow()
        .iter()
        .any(|r| r.url.ends_with("auth/v3/app_ticket/resend")));
    block_on(client.store_app_ticket("ticket-1")).unwrap();
    block_on(client.request(ApiRequest::get("x").auth(Auth::TenantKey("tk1".into())))).unwrap();
    let seen = t.seen.borrow();
    let urls: Vec<&str> = seen.iter().map(|r| r.url.as_str()).collect();
    assert!(
        urls.contains(&"http://emu.test/open-apis/auth/v3/app_access_token"),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"http://emu.test/open-apis/auth/v3/tenant_access_token"),
        "{urls:?}"
    );
    let body = format!(
        "{:?}",
        seen.iter()
            .find(|r| r.url.ends_with("auth/v3/tenant_access_token"))
            .unwrap()
            .body
    );
    assert!(body.contains("tk1"));
    assert!(matches!(
        block_on(client.request(ApiRequest::get("x"))),
        Err(Error::InvalidRequest(_))
    ));
}

#[test]
fn pagination_walks_pages_and_honours_max_items() {
    let (client, t, _) = setup(Box::new(|req, _| {
        let page = if req.url.contains("page_token=p2") {
            2
        } else if req.url.contains("page_token=p3") {
            3
        } else {
            1
        };
        let next = match page {
            1 => r#""has_more":true,"page_token":"p2""#,
            2 => r#""has_more":true,"page_token":"p3""#,
            _ => r#""has_more":false"#,
        };
        Ok(json(
            200,
            &format!(
                r#"{{"code":0,"data":{{{next},"items":[{p}1,{p}2]}}}}"#,
                p = page * 10
            ),
        ))
    }));
    let all: Vec<u32> = block_on(
        client
            .paginate(
                ApiRequest::get("x").query("page_size", "99"),
                PageOptions {
                    page_size: Some(2),
                    ..Default::default()
                },
            )
            .collect_all(),
    )
    .unwrap();
    assert_eq!(all, vec![101, 102, 201, 202, 301, 302]);
    assert!(t
        .seen
        .borrow()
        .iter()
        .filter(|r| !r.url.contains("auth"))
        .all(|r| r.url.matches("page_size=").count() == 1));
    let some: Vec<u32> = block_on(
        client
            .paginate(
                ApiRequest::get("x"),
                PageOptions {
                    max_items: Some(3),
                    ..Default::default()
                },
            )
            .collect_all(),
    )
    .unwrap();
    assert_eq!(some, vec![101, 102, 201]);
}

#[test]
fn downloads_return_bytes_or_typed_errors() {
    let (client, _, _) = setup(Box::new(|req, _| {
        if req.url.contains("missing") {
            Ok(json(404, r#"{"code":234003,"msg":"not found"}"#))
        } else {
            Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "image/png".into())],
                body: vec![0x89, b'P', b'N', b'G'],
                stream: None,
            })
        }
    }));
    assert_eq!(
        block_on(client.download(ApiRequest::get("img")))
            .unwrap()
            .bytes,
        vec![0x89, b'P', b'N', b'G']
    );
    assert_eq!(
        block_on(client.download(ApiRequest::get("missing")))
            .unwrap_err()
            .code(),
        Some(234003)
    );
}

struct Capture(Locked<String>);
impl Logger for Capture {
    fn enabled(&self, _: Level) -> bool {
        true
    }
    fn log(&self, level: Level, message: &str) {
        self.0
            .borrow_mut()
            .push_str(&format!("{level:?} {message}\n"));
    }
}

#[test]
fn secrets_never_reach_logs() {
    let log = Arc::new(Capture(Locked::default()));
    let (c, t, _) = setup(Box::new(|req, i| {
        if i == 0 && req.headers.iter().any(|(_, v)| v == "Bearer t-1") {
            Ok(json(400, r#"{"code":99991663,"msg":"invalid"}"#))
        } else {
            ok()
        }
    }));
    let client = Client::builder(c.config().clone())
        .transport(t.clone())
        .logger(log.clone())
        .build()
        .unwrap();
    block_on(client.request(ApiRequest::get("x"))).unwrap();
    block_on(
        client
            .as_user("u-secret-token")
            .request(ApiRequest::get("x")),
    )
    .unwrap();
    let text = log.0.borrow();
    assert!(text.contains("fetched a new tenant_access_token"), "{text}");
    for secret in ["app-secret-XYZ", "t-1", "t-2", "u-secret-token"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn im_helpers_build_the_right_requests() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    block_on(
        feishu_edge::api::helpers::send_message(
            &client,
            "ou_9",
            r#"{"image_key":"img_1"}"#,
            Some("u-1"),
        )
        .into_future(),
    )
    .unwrap();
    block_on(
        feishu_edge::api::helpers::reply_message(&client, "om_1", r#""thanks""#, true)
            .into_future(),
    )
    .unwrap();
    let seen = t.seen.borrow();
    let api: Vec<&HttpRequest> = seen.iter().filter(|r| !r.url.contains("auth/v3")).collect();
    assert_eq!(
        api[0].url,
        "http://emu.test/open-apis/im/v1/messages?receive_id_type=open_id"
    );
    assert!(
        matches!(&api[0].body, feishu_edge::Body::Json(b) if b.contains(r#""msg_type":"image""#) && b.contains(r#""uuid":"u-1""#)),
        "{:?}",
        api[0].body
    );
    assert_eq!(
        api[1].url,
        "http://emu.test/open-apis/im/v1/messages/om_1/reply"
    );
    assert!(
        matches!(&api[1].body, feishu_edge::Body::Json(b) if b.contains(r#""reply_in_thread":true"#) && b.contains(r#"\"text\":\"thanks\""#)),
        "{:?}",
        api[1].body
    );
}

/// A store whose `delete` does nothing (no delete method, or an eventually consistent one).
struct Sticky(MemoryStore);
impl TokenStore for Sticky {
    fn get(&self, key: &str) -> BoxFuture<'_, feishu_edge::Result<Option<String>>> {
        self.0.get(key)
    }
    fn put(&self, k: &str, v: &str, t: Option<u64>) -> BoxFuture<'_, feishu_edge::Result<()>> {
        self.0.put(k, v, t)
    }
    fn delete(&self, _: &str) -> BoxFuture<'_, feishu_edge::Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[test]
fn a_revoked_token_is_replaced_even_when_the_store_keeps_serving_it() {
    let clock: Arc<dyn Runtime> = Arc::new(VirtualClock::default());
    let store: Arc<dyn TokenStore> = Arc::new(Sticky(MemoryStore::new(clock.clone())));
    let (c, t, _) = setup(Box::new(|req, _| {
        if req.headers.iter().any(|(_, v)| v == "Bearer t-1") {
            Ok(json(
                400,
                r#"{"code":99991663,"msg":"invalid tenant token"}"#,
            ))
        } else {
            ok()
        }
    }));
    let client = sibling(&c, &t, clock, store.clone());
    block_on(client.request(ApiRequest::get("a"))).unwrap();
    block_on(client.request(ApiRequest::get("b"))).unwrap();
    assert_eq!(
        t.token_calls.get(),
        2,
        "one fetch for t-1, one for its replacement"
    );
    let stored = block_on(store.get("feishu-edge:cli_test:tenant_access_token")).unwrap();
    assert!(
        stored.unwrap().contains("t-2"),
        "the fresh token was written back"
    );
    // A second client reading the same store gets the fresh token, not the revoked one.
    let other = sibling(&client, &t, Arc::new(VirtualClock::default()), store);
    block_on(other.request(ApiRequest::get("c"))).unwrap();
    assert_eq!(t.token_calls.get(), 2);
}

#[test]
fn app_tokens_never_go_to_another_origin() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    block_on(client.request(ApiRequest::get("https://other.example/x"))).unwrap();
    block_on(client.request(ApiRequest::get("http://emu.test.evil/x"))).unwrap();
    block_on(
        client
            .as_user("u-secret")
            .request(ApiRequest::get("https://other.example/y")),
    )
    .unwrap();
    block_on(
        client.request(
            ApiRequest::get("https://other.example/z").auth(Auth::Token("explicit".into())),
        ),
    )
    .unwrap();
    block_on(client.request(ApiRequest::get("http://emu.test/open-apis/same"))).unwrap();
    let seen = t.seen.borrow();
    let auth_of = |needle: &str| {
        seen.iter().find(|r| r.url.ends_with(needle)).and_then(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "Authorization")
                .map(|(_, v)| v.clone())
        })
    };
    assert_eq!(auth_of("/x"), None);
    assert_eq!(auth_of("/y"), None);
    assert_eq!(auth_of("/z").as_deref(), Some("Bearer explicit"));
    assert_eq!(auth_of("/same").as_deref(), Some("Bearer t-1"));
    assert_eq!(
        t.token_calls.get(),
        1,
        "no token was fetched for the foreign calls"
    );
}

#[test]
fn dot_path_parameters_are_refused() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    for bad in ["..", ".", ""] {
        let err =
            block_on(client.request(
                ApiRequest::get("im/v1/messages/{message_id}").path_param("message_id", bad),
            ))
            .unwrap_err();
        assert_eq!(err.kind(), "invalid_request", "{bad:?}");
    }
    assert_eq!(t.api_calls.get(), 0);
}

#[test]
fn ten_concurrent_user_token_reads_refresh_once() {
    use feishu_edge::api::oauth::{save, user_access_token, UserToken};
    let (client, t, clock) = setup(Box::new(|req, _| {
        if req.url.contains("oauth/token") {
            Ok(json(
                200,
                r#"{"code":0,"access_token":"u-new","refresh_token":"r-new","expires_in":7200,"refresh_token_expires_in":86400}"#,
            ))
        } else {
            ok()
        }
    }));
    let now = clock.now_ms() / 1000;
    let expiring = UserToken {
        access_token: "u-old".into(),
        refresh_token: Some("r-old".into()),
        expires_at: now + 10,
        refresh_expires_at: Some(now + 86_400),
        scope: None,
    };
    block_on(save(&client, "ou_1", &expiring).into_future()).unwrap();
    let tokens = block_on(join_all(
        (0..10).map(|_| user_access_token(&client, "ou_1").into_future()),
    ));
    assert!(tokens
        .iter()
        .all(|r| r.as_ref().unwrap().as_deref() == Some("u-new")));
    let refreshes = t
        .seen
        .borrow()
        .iter()
        .filter(|r| r.url.contains("oauth/token"))
        .count();
    assert_eq!(refreshes, 1);
}

#[test]
fn thirty_thousand_tenants_stay_bounded_and_fast() {
    let clock: Arc<dyn Runtime> = Arc::new(VirtualClock::default());
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let (c, t, _) = setup_with(
        Config::new("cli_isv", "s").app_type(AppType::Marketplace),
        Box::new(|_, _| ok()),
    );
    let client = sibling(&c, &t, clock, store.clone());
    block_on(client.store_app_ticket("ticket-1")).unwrap();
    let started = std::time::Instant::now();
    for i in 0..30_000 {
        block_on(client.request(ApiRequest::get("x").auth(Auth::TenantKey(format!("tk{i}")))))
            .unwrap();
    }
    // The last tenants are served from memory: no new token fetch.
    let fetched = t.token_calls.get();
    block_on(client.request(ApiRequest::get("x").auth(Auth::TenantKey("tk29999".into())))).unwrap();
    assert_eq!(t.token_calls.get(), fetched);
    assert!(
        store.len() <= feishu_edge::token::MEMORY_STORE_CAPACITY,
        "{}",
        store.len()
    );
    // Linear lookups made this quadratic (minutes); hashing keeps it to seconds in a debug build.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// A store whose writes fail while `broken` is set.
struct Flaky {
    inner: MemoryStore,
    broken: Arc<Slot<bool>>,
}
impl TokenStore for Flaky {
    fn get(&self, key: &str) -> BoxFuture<'_, feishu_edge::Result<Option<String>>> {
        self.inner.get(key)
    }
    fn put(&self, k: &str, v: &str, t: Option<u64>) -> BoxFuture<'_, feishu_edge::Result<()>> {
        if self.broken.get() {
            return Box::pin(std::future::ready(Err(feishu_edge::Error::Store(
                "write refused".into(),
            ))));
        }
        self.inner.put(k, v, t)
    }
    fn delete(&self, key: &str) -> BoxFuture<'_, feishu_edge::Result<()>> {
        self.inner.delete(key)
    }
}

/// Issue 15, N2: refresh tokens are single use; a failed save after a refresh must not lose
/// the new one.
#[test]
fn a_refreshed_user_token_survives_a_failing_store() {
    use feishu_edge::api::oauth::{save, user_access_token, UserToken};
    let (c, t, _) = setup(Box::new(|req, _| {
        if req.url.contains("oauth/token") {
            // Only the latest refresh token is accepted, like the platform.
            let body = match &req.body {
                feishu_edge::Body::Json(b) => b.to_string(),
                _ => String::new(),
            };
            if !body.contains("\"r-old\"") {
                return Ok(json(400, r#"{"code":20064,"msg":"refresh token revoked"}"#));
            }
            Ok(json(
                200,
                r#"{"code":0,"access_token":"u-new","refresh_token":"r-new","expires_in":7200,"refresh_token_expires_in":86400}"#,
            ))
        } else {
            ok()
        }
    }));
    let clock = Arc::new(VirtualClock::default());
    let broken = Arc::new(Slot::new(false));
    let store = Arc::new(Flaky {
        inner: MemoryStore::new(clock.clone()),
        broken: broken.clone(),
    });
    let client = sibling(&c, &t, clock.clone(), store.clone());
    let now = clock.now_ms() / 1000;
    let expiring = UserToken {
        access_token: "u-old".into(),
        refresh_token: Some("r-old".into()),
        expires_at: now + 10,
        refresh_expires_at: Some(now + 86_400),
        scope: None,
    };
    block_on(save(&client, "ou_1", &expiring).into_future()).unwrap();
    broken.set(true);
    // The refresh succeeds and the save fails: the caller still gets the new token.
    let first = block_on(user_access_token(&client, "ou_1").into_future()).unwrap();
    assert_eq!(first.as_deref(), Some("u-new"));
    // The next call is served by the in-memory copy, not the store's stale entry (whose
    // refresh token the platform has revoked): no second refresh.
    let second = block_on(user_access_token(&client, "ou_1").into_future()).unwrap();
    assert_eq!(second.as_deref(), Some("u-new"));
    let refreshes = || {
        t.seen
            .borrow()
            .iter()
            .filter(|r| r.url.contains("oauth/token"))
            .count()
    };
    assert_eq!(refreshes(), 1);
    // Once the store works again, a later call saves the copy.
    broken.set(false);
    block_on(user_access_token(&client, "ou_1").into_future()).unwrap();
    let stored = block_on(store.get("feishu-edge:cli_test:user:ou_1"))
        .unwrap()
        .unwrap();
    assert!(stored.contains("r-new"), "{stored}");
}

/// Issue 15, N12: a header fetch would refuse is a typed, non-retryable error, never a
/// `network` error retried with backoff.
#[test]
fn a_header_with_a_line_break_is_invalid_request_and_never_sent() {
    let (client, t, _) = setup(Box::new(|_, _| ok()));
    for (name, value) in [
        ("X-Note", "a\r\nInjected: 1"),
        ("X-Note", "ok\0"),
        ("Bad Name", "v"),
        ("X-Name", "名字"),
    ] {
        let err = block_on(client.request(ApiRequest::get("im/v1/chats").header(name, value)))
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.retryable()),
            ("invalid_request", false),
            "{name}: {err}"
        );
        assert!(!err.to_string().contains("Injected"), "{err}");
    }
    assert_eq!(t.api_calls.get(), 0);
}

/// Issue 15, N3: a redirect is never followed with the managed token; the call fails typed.
#[test]
fn redirects_are_refused_not_followed() {
    let (client, t, _) = setup(Box::new(|req, _| {
        if req.url.contains("redirected") {
            Ok(HttpResponse {
                status: 302,
                headers: vec![(
                    "location".into(),
                    "https://u:pw@evil.example/steal?x=1".into(),
                )],
                ..Default::default()
            })
        } else {
            ok()
        }
    }));
    let err = block_on(client.request(ApiRequest::get("redirected"))).unwrap_err();
    assert_eq!((err.kind(), err.retryable()), ("http", false));
    let msg = err.to_string();
    assert!(
        msg.contains("https://evil.example") && !msg.contains("pw") && !msg.contains("steal"),
        "{msg}"
    );
    assert_eq!(t.api_calls.get(), 1, "one call, no follow-up");
}
