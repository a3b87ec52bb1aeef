//! The long connection: events and card callbacks over a WebSocket the app opens to the
//! platform, so no public URL is needed (self-built apps).
//!
//! Everything here is sans-IO and target-agnostic: [`frame`] encodes and decodes the `pbbp2`
//! frames, [`reassembly`] joins split messages within bounds, and [`Connection`] decides what
//! an endpoint reply means, when to ping, when a silent socket is dead, when to try again and
//! what an ack holds. The host (the JS `WSClient`, or a Rust program) performs the I/O: the
//! endpoint request, the socket, the timers, and the handler call, which goes through the
//! same [`crate::webhook::Dispatcher`] as HTTP (`Dispatcher::deliver`).
//!
//! A host's loop, in outline:
//!
//! ```
//! use feishu_edge::ws::{Action, Connection, ConnectionOptions};
//! let mut conn = Connection::new(ConnectionOptions::new("cli_a", "secret", "https://open.feishu.cn/"));
//! let mut todo = conn.start(0);
//! while let Some(action) = todo.pop() {
//!     match action {
//!         Action::FetchEndpoint => {
//!             let (_url, _body) = conn.endpoint_request(); // POST it with a timeout, then:
//!             todo.extend(conn.endpoint_reply(1, 200, br#"{"code":1000040343,"msg":"busy"}"#));
//!         }
//!         Action::Error(e) => assert_eq!(e.code(), Some(1000040343)), // onError; retried later
//!         _ => {}
//!     }
//! }
//! assert!(conn.next_deadline().is_some()); // call conn.tick(now) then
//! ```

mod conn;
pub mod frame;
pub mod reassembly;

pub use conn::{
    Action, ClientConfig, Connection, ConnectionOptions, State, Status, ESTABLISHED_AFTER_MS,
    FIRST_RETRY_MS, LIVENESS_PINGS, MAX_ENDPOINT_REPLY_BYTES, MAX_RATE_LIMIT_WAIT_MS,
    MIN_RETRY_CEILING_MS, RATE_LIMITED, RETRYABLE_ENDPOINT_CODES, TOO_MANY_CONNECTIONS,
};

/// After this long a handler still running is acknowledged anyway (code 200) and keeps
/// running: the platform pushes again anything not acknowledged within 3 s. The JS host checks
/// every 100 ms, so the early ack goes out between 2.4 s and 2.5 s (`WSClient`'s
/// `ackDeadlineMs`; the dev bridge's local deadline is derived from it).
pub const ACK_AFTER_MS: u64 = 2_400;

/// `close()` waits at most this long for handlers still running (their acks are not sent:
/// the socket is closed first), then resolves; nothing of the client's keeps a process alive
/// afterwards.
pub const CLOSE_WAIT_MS: u64 = 1_000;

/// Every `WSClient` option, the ones the JS layer keeps (functions, constructors, stores)
/// included, so an unknown one can be matched against them all.
pub const WS_OPTION_NAMES: [&str; 22] = [
    "appId",
    "clientAssertion",
    "clientAssertionProvider",
    "timeoutMs",
    "appSecret",
    "region",
    "baseUrl",
    "domain",
    "handshakeTimeoutMs",
    "autoReconnect",
    "logger",
    "logLevel",
    "loggerLevel",
    "WebSocket",
    "agent",
    "fetch",
    "dedupeStore",
    "onReady",
    "onError",
    "onReconnecting",
    "onReconnected",
    "appType",
];

/// Reads the JSON-able `WSClient` options (`appId`, `appSecret`, `region` or `baseUrl` /
/// `domain`, `handshakeTimeoutMs`, `timeoutMs` (the endpoint request's), `autoReconnect`) into [`ConnectionOptions`], naming any
/// mistake. The long connection serves self-built apps only.
///
/// ```
/// let o = feishu_edge::ws::options_from_json(r#"{"appId":"cli_a","appSecret":"s","region":"lark"}"#).unwrap();
/// assert_eq!(o.origin, "https://open.larksuite.com/");
/// let e = feishu_edge::ws::options_from_json(r#"{"appId":"cli_a"}"#).unwrap_err();
/// assert_eq!(e.kind(), "config");
/// ```
pub fn options_from_json(json: &str) -> crate::Result<ConnectionOptions> {
    use crate::config::{AppType, Config};
    let r = crate::options::OptionReader::parse("WSClient options", json)?;
    let app_id = r.string("appId")?.unwrap_or_default();
    let app_secret = r.string("appSecret")?.unwrap_or_default();
    let (region, base_url) = crate::config::host_options(&r)?;
    let handshake = r.whole("handshakeTimeoutMs", "milliseconds")?;
    let endpoint_timeout = r.whole("timeoutMs", "milliseconds")?;
    let auto_reconnect = r.boolean("autoReconnect")?;
    // Keyless (`clientAssertionProvider`): the endpoint request carries an assertion instead
    // of the secret (see `token::assertion`), so no secret is required.
    let keyless = r.boolean("clientAssertion")?.unwrap_or(false);
    let app_type = match r.raw("appType") {
        Some("0") => None,
        Some("1") => Some("marketplace".to_string()),
        _ => r.string("appType")?,
    };
    r.finish(&WS_OPTION_NAMES)?;
    let mut config = Config::new(app_id.clone(), app_secret.clone());
    if let Some(region) = region {
        config = config.region(region);
    }
    if let Some(url) = base_url {
        config = config.base_url(&url)?;
    }
    if let Some(t) = app_type {
        if AppType::parse(&t)? == AppType::Marketplace {
            return Err(crate::Error::Config(
                "the long connection serves self-built apps only; marketplace apps receive events over HTTP".into(),
            ));
        }
    }
    match config.validate() {
        Err(_) if keyless && !app_id.trim().is_empty() => {}
        checked => checked?,
    }
    // The endpoint lives on the Open API host, beside `/open-apis/`.
    let api = config.base_url_str();
    let origin = api.strip_suffix("open-apis/").unwrap_or(api);
    let mut options = ConnectionOptions::new(&app_id, &app_secret, origin);
    if let Some(ms) = handshake {
        options.handshake_timeout_ms = ms.max(1);
    }
    if let Some(ms) = endpoint_timeout {
        options.endpoint_timeout_ms = ms.clamp(1, 600_000);
    }
    if let Some(auto) = auto_reconnect {
        options.auto_reconnect = auto;
    }
    Ok(options)
}
