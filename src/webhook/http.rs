//! [`EventDispatcher`]: the webhook endpoint for Rust servers (the `http` feature). An
//! `http::Request<Bytes>` in, an `http::Response<Bytes>` out, handlers as async closures; the
//! verification, decryption, de-duplication and replies are the core [`Dispatcher`]'s, as in
//! the npm package's `EventDispatcher`.
//!
//! ```
//! # async fn serve() -> feishu_edge::Result<()> {
//! use feishu_edge::webhook::{self, EventDispatcher, WebhookConfig};
//! use feishu_edge::Error;
//! let dispatcher = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek").verification_token("vt"))?
//!     .on("im.message.receive_v1", |event: webhook::Event| async move {
//!         println!("{}: {}", event.event_type, event.payload);
//!         Ok::<(), Error>(())
//!     });
//! // In a server: `dispatcher.handle(request).await` for each POST to the event URL.
//! # let _ = dispatcher; Ok(()) }
//! ```

use super::dispatch::{AppTicketSink, HandlerFailure, HandlerResult};
use super::WebhookConfig;
use super::{Delivery, Dispatcher, Event, EventHandler, Flow, Headers, Reason, Reply};
use crate::crypto::RustCrypto;
use crate::log::{Level, Logger};
use crate::runtime::{BoxFuture, StdRuntime};
use crate::token::{MemoryStore, TokenStore};
use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A registered handler: the event in, the reply's JSON (`None`: `{}`) or the failure out.
type Handler = Arc<dyn Fn(Event) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// The handlers by event type (`""`: legacy card callbacks, which name none).
#[derive(Default, Clone)]
struct Handlers(HashMap<String, Handler>);

impl EventHandler for Handlers {
    fn handles(&self, event: &Event) -> bool {
        self.0.contains_key(&event.event_type)
    }
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult> {
        let Some(handler) = self.0.get(&event.event_type).cloned() else {
            return Box::pin(std::future::ready(Ok(None)));
        };
        let event = event.clone();
        // A panicking handler is a failed one: its claim is released and the platform's retry
        // is handled, instead of the request's task going down with it.
        Box::pin(async move {
            let run = AssertUnwindSafe(async move { handler(event).await });
            match run.catch_unwind().await {
                Ok(outcome) => outcome,
                Err(panic) => Err(HandlerFailure::failed(format!(
                    "the handler panicked: {}",
                    panic_message(&*panic)
                ))),
            }
        })
    }
}

/// The text a panic carried, when it is one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Writes log lines at or above its level to standard error, as `[feishu-edge] warn: …`: the
/// default logger of an [`EventDispatcher`] (level [`Level::Warn`], as the npm package's
/// console logger). Replace it with [`EventDispatcher::logger`] (e.g. a `tracing` bridge, or
/// [`crate::log::NoLogger`]).
///
/// ```
/// use feishu_edge::{Level, Logger, webhook::StderrLogger};
/// let logger = StderrLogger::new(Level::Warn);
/// assert!(logger.enabled(Level::Error) && !logger.enabled(Level::Info));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StderrLogger {
    level: Level,
}

impl StderrLogger {
    /// A logger of `level` and above.
    pub fn new(level: Level) -> StderrLogger {
        StderrLogger { level }
    }
}

impl Default for StderrLogger {
    fn default() -> Self {
        StderrLogger::new(Level::Warn)
    }
}

impl Logger for StderrLogger {
    fn enabled(&self, level: Level) -> bool {
        level >= self.level
    }
    fn log(&self, level: Level, message: &str) {
        eprintln!("[feishu-edge] {}: {message}", level.as_str());
    }
}

/// The webhook endpoint of a Rust server: verifies (signature, timestamp, token), decrypts,
/// answers URL challenges, de-duplicates by event id, runs the handler registered for the
/// event's type and answers as the platform expects. `Send + Sync`: share it in an `Arc` (axum
/// state); [`EventDispatcher::handle`]'s future is `Send`, so it runs on multi-thread runtimes.
///
/// Fail closed: a request that is not authenticated is refused (401, the core's refusal body
/// `{"error":"missing_signature",…}`) and no handler runs. A handler that fails (an `Err`, or a
/// panic) is answered 500 `handler_failed` and its claim released, so the platform's retry is
/// handled; a delivery while another is still being handled gets 503, one already handled 200.
///
/// De-duplication is in process memory by default ([`MemoryStore`]: one server process); give
/// a shared store with [`EventDispatcher::store`] when several processes serve the URL.
///
/// ```
/// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
/// let d = EventDispatcher::new(WebhookConfig::new().verification_token("vt")).unwrap();
/// let body = r#"{"challenge":"c1","token":"vt","type":"url_verification"}"#;
/// let request = http::Request::post("/webhook/event").body(bytes::Bytes::from(body)).unwrap();
/// let response = futures_executor::block_on(d.handle(request));
/// assert_eq!((response.status().as_u16(), &response.body()[..]), (200, &br#"{"challenge":"c1"}"#[..]));
/// ```
pub struct EventDispatcher {
    core: Dispatcher,
    flow: Flow,
    store: Arc<dyn TokenStore>,
    handlers: Handlers,
}

impl std::fmt::Debug for EventDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut types: Vec<&str> = self.handlers.0.keys().map(String::as_str).collect();
        types.sort_unstable();
        f.debug_struct("EventDispatcher")
            .field("flow", &self.flow)
            .field("handlers", &types)
            .finish_non_exhaustive()
    }
}

impl EventDispatcher {
    /// The endpoint of the app's event URL (events, and `card.action.trigger` callbacks
    /// configured there). Refuses a configuration with neither encrypt key nor verification
    /// token (see [`WebhookConfig::validate`]); crypto is [`RustCrypto`], the clock the
    /// system's, de-duplication in memory, the logger [`StderrLogger`].
    ///
    /// ```
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// assert!(EventDispatcher::new(WebhookConfig::new()).is_err());
    /// assert!(EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).is_ok());
    /// ```
    pub fn new(config: WebhookConfig) -> crate::Result<EventDispatcher> {
        Self::with_flow(config, Flow::Event)
    }

    /// The endpoint of a card request URL: also accepts the legacy, unencrypted card callbacks
    /// signed with SHA-1 over the verification token (handled by
    /// [`EventDispatcher::on_card_action`]).
    ///
    /// ```
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// let d = EventDispatcher::for_card_url(WebhookConfig::new().verification_token("vt")).unwrap();
    /// # let _ = d;
    /// ```
    pub fn for_card_url(config: WebhookConfig) -> crate::Result<EventDispatcher> {
        Self::with_flow(config, Flow::Card)
    }

    /// The dispatcher of the long connection alone ([`crate::WsClient`], the `ws-tokio`
    /// feature): no encrypt key or verification token is needed, since the socket is the
    /// authentication (events arrive decrypted). Over HTTP it would answer every request 500
    /// `no_keys`; a dispatcher made with [`EventDispatcher::new`] serves both.
    ///
    /// ```
    /// use feishu_edge::webhook::{self, EventDispatcher, WebhookConfig};
    /// let d = EventDispatcher::for_long_connection(WebhookConfig::new())
    ///     .unwrap()
    ///     .on("im.message.receive_v1", |_event: webhook::Event| async { Ok::<(), feishu_edge::Error>(()) });
    /// # let _ = d;
    /// ```
    #[cfg(feature = "ws-tokio")]
    pub fn for_long_connection(config: WebhookConfig) -> crate::Result<EventDispatcher> {
        Self::unchecked(config, Flow::Event)
    }

    /// The long connection's delivery (the `ws-tokio` feature's `WsClient`): one event that
    /// arrived over the authenticated socket, through [`Dispatcher::deliver`] with these
    /// handlers and this dispatcher's de-duplication store.
    #[cfg(feature = "ws-tokio")]
    pub(crate) async fn deliver_trusted(&self, payload: &[u8]) -> Reply {
        self.core.deliver(payload, &self.handlers, None).await
    }

    fn with_flow(config: WebhookConfig, flow: Flow) -> crate::Result<EventDispatcher> {
        // HTTP only: an endpoint that could authenticate nothing is refused here, not per request.
        config.validate()?;
        Self::unchecked(config, flow)
    }

    fn unchecked(config: WebhookConfig, flow: Flow) -> crate::Result<EventDispatcher> {
        let runtime = Arc::new(StdRuntime);
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(runtime.clone()));
        let core = Dispatcher::new(config, flow, runtime)?
            .crypto(Arc::new(RustCrypto))
            .logger(Arc::new(StderrLogger::default()))
            .dedupe(store.clone());
        Ok(EventDispatcher {
            core,
            flow,
            store,
            handlers: Handlers::default(),
        })
    }

    /// Registers (or replaces) the handler of `event_type`, and returns the dispatcher, so
    /// calls chain. The handler gets the verified, decrypted [`Event`] (its `payload` is the
    /// official SDK's handler data, as JSON) and its future must be `Send`; the event is
    /// answered `{}` when it succeeds. `Err(e)` (any `Display` error, such as
    /// [`crate::Error`]) is logged and answered 500, so the platform delivers the event again.
    /// A name the platform never sends is logged as a warning, with the closest known one.
    ///
    /// ```
    /// use feishu_edge::webhook::{self, EventDispatcher, WebhookConfig};
    /// use feishu_edge::Error;
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek"))
    ///     .unwrap()
    ///     .on("im.message.receive_v1", |event: webhook::Event| async move {
    ///         assert_eq!(event.event_type, "im.message.receive_v1");
    ///         Ok::<(), Error>(())
    ///     })
    ///     .on("im.chat.member.bot.added_v1", |_event| async { Ok::<(), String>(()) });
    /// # let _ = d;
    /// ```
    pub fn on<F, Fut, E>(mut self, event_type: &str, handler: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + 'static,
    {
        self.core.check_event_type(event_type);
        let handler: Handler = Arc::new(move |event| {
            let run = handler(event);
            Box::pin(async move {
                run.await
                    .map(|()| None)
                    .map_err(|e| HandlerFailure::failed(e.to_string()))
            })
        });
        self.handlers.0.insert(event_type.to_string(), handler);
        self
    }

    /// Registers the handler of card button clicks and form submissions: `card.action.trigger`
    /// (schema 2.0) and, on a card request URL, the legacy callbacks. Its `Ok` is the reply the
    /// platform shows: the JSON text of a toast and/or a card (`{"toast":{…},"card":{…}}`), or
    /// `None` for `{}`. A reply that is not a JSON object is logged and answered 500
    /// `reply_not_serializable` (the click counts as handled: it is not delivered again).
    ///
    /// ```
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek"))
    ///     .unwrap()
    ///     .on_card_action(|_click| async {
    ///         Ok::<_, feishu_edge::Error>(Some(r#"{"toast":{"type":"success","content":"Saved"}}"#.to_string()))
    ///     });
    /// # let _ = d;
    /// ```
    pub fn on_card_action<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<String>, E>> + Send + 'static,
        E: Display + 'static,
    {
        let handler: Handler = Arc::new(move |event| {
            let run = handler(event);
            Box::pin(async move {
                match run.await {
                    Ok(Some(reply)) if crate::json::RawFields::parse(&reply).is_none() => {
                        Err(HandlerFailure::unsendable_reply(
                            "the card action handler's reply is not a JSON object",
                        ))
                    }
                    Ok(reply) => Ok(reply),
                    Err(e) => Err(HandlerFailure::failed(e.to_string())),
                }
            })
        });
        // Legacy callbacks name no event type.
        for event_type in ["card.action.trigger", ""] {
            self.handlers
                .0
                .insert(event_type.to_string(), handler.clone());
        }
        self
    }

    /// De-duplicates event ids in `store` instead of this process's memory: a store shared by
    /// every process that serves the URL (exactly once when it claims atomically, see
    /// [`TokenStore::put_if_absent`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use feishu_edge::{MemoryStore, runtime::StdRuntime, webhook::{EventDispatcher, WebhookConfig}};
    /// let shared = Arc::new(MemoryStore::new(Arc::new(StdRuntime)));
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap().store(shared);
    /// # let _ = d;
    /// ```
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self.core = self.core.dedupe(self.store.clone());
        self
    }

    /// Logs through `logger` instead of [`StderrLogger`]: refusals, duplicates, handler
    /// failures, unknown event types (never bodies or secrets).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use feishu_edge::{log::NoLogger, webhook::{EventDispatcher, WebhookConfig}};
    /// let quiet = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap().logger(Arc::new(NoLogger));
    /// # let _ = quiet;
    /// ```
    pub fn logger(mut self, logger: Arc<dyn Logger>) -> Self {
        // The de-duplication store's warnings go to the new logger too.
        self.core = self.core.logger(logger).dedupe(self.store.clone());
        self
    }

    /// Stores pushed `app_ticket` events through `client` (a marketplace app's
    /// [`crate::Client`], or any [`AppTicketSink`]); the event is acknowledged, and also goes
    /// to an `app_ticket` handler if one is registered.
    ///
    /// ```
    /// use feishu_edge::webhook::{dispatch::AppTicketSink, EventDispatcher, WebhookConfig};
    /// use feishu_edge::BoxFuture;
    /// struct Tickets; // a marketplace app's `feishu_edge::Client` is one
    /// impl AppTicketSink for Tickets {
    ///     fn app_id(&self) -> &str { "cli_a" }
    ///     fn store_app_ticket<'a>(&'a self, _ticket: &'a str) -> BoxFuture<'a, feishu_edge::Result<()>> {
    ///         Box::pin(async { Ok(()) })
    ///     }
    /// }
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap().client(Tickets);
    /// # let _ = d;
    /// ```
    pub fn client(mut self, client: impl AppTicketSink + 'static) -> Self {
        self.core = self.core.client(client);
        self
    }

    /// The largest body accepted ([`WebhookConfig::max_body_bytes`], default 1 MiB): larger
    /// ones are answered 413 unread. Servers that read bodies themselves can stop at it (axum's
    /// `Bytes` extractor stops at 2 MB by default).
    ///
    /// ```
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap();
    /// assert_eq!(d.max_body_bytes(), 1 << 20);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.core.config().max_body_bytes
    }

    /// The core dispatcher (its settings, [`Dispatcher::exactly_once`]).
    ///
    /// ```
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap();
    /// assert!(d.dispatcher().exactly_once()); // the memory store claims atomically
    /// ```
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.core
    }

    /// Handles one request to the endpoint: a POST whose body is the platform's JSON, with its
    /// `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce`, `X-Lark-Signature` and
    /// `Content-Type` headers. The response is JSON (`application/json; charset=utf-8`):
    /// 200 `{}` for a handled (or already handled) event, `{"challenge":…}` for a URL
    /// verification, a card action handler's reply, or a refusal
    /// `{"error": reason, "message": …}` with its status (401 unauthenticated, 405 not a POST,
    /// 413 too large, 500 the handler failed, 503 another delivery holds the event). The core's
    /// [`Reply`] rides along in the response's extensions (its `reason`, `duplicate` flag and
    /// event type, for logs and middleware). The handler runs before the reply: keep it within
    /// the platform's 3 s, or spawn longer work.
    ///
    /// ```
    /// use feishu_edge::crypto::{now, RustCrypto};
    /// use feishu_edge::webhook::{crypto, EventDispatcher, Reply, WebhookConfig};
    /// # let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap()
    ///     .on("im.message.receive_v1", |_event| async { Ok::<(), feishu_edge::Error>(()) });
    /// // What the platform sends: the event encrypted with the key, the body signed with it.
    /// let event = r#"{"schema":"2.0","header":{"event_id":"ev_1","event_type":"im.message.receive_v1"},"event":{}}"#;
    /// let sealed = now(crypto::encrypt(&RustCrypto, event.as_bytes(), "ek", [7; 16])).unwrap().unwrap();
    /// let body = format!(r#"{{"encrypt":"{sealed}"}}"#);
    /// let ts = seconds.to_string();
    /// let signature = now(crypto::event_signature(&RustCrypto, &ts, "n1", "ek", body.as_bytes())).unwrap().unwrap();
    /// let request = http::Request::post("/webhook/event")
    ///     .header("content-type", "application/json")
    ///     .header("x-lark-request-timestamp", ts)
    ///     .header("x-lark-request-nonce", "n1")
    ///     .header("x-lark-signature", signature)
    ///     .body(bytes::Bytes::from(body))
    ///     .unwrap();
    /// let response = futures_executor::block_on(d.handle(request.clone()));
    /// assert_eq!((response.status().as_u16(), &response.body()[..]), (200, &b"{}"[..]));
    /// // The same delivery again: acknowledged, the handler not run twice.
    /// let again = futures_executor::block_on(d.handle(request));
    /// assert!(again.extensions().get::<Reply>().unwrap().duplicate);
    /// // Unsigned: refused.
    /// let forged = http::Request::post("/").body(bytes::Bytes::from(event)).unwrap();
    /// assert_eq!(futures_executor::block_on(d.handle(forged)).status().as_u16(), 401);
    /// ```
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        if parts.method != Method::POST {
            let mut response = response_of(refusal(Reason::MethodNotAllowed));
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        // Measured before a byte of it is parsed (the core's rule, checked here first).
        if body.len() > self.max_body_bytes() {
            return response_of(refusal(Reason::BodyTooLarge));
        }
        let headers = headers_of(&parts.headers);
        let reply = self
            .core
            .invoke(&body, &headers, &self.handlers, Delivery::Reply)
            .await;
        response_of(reply)
    }
}

/// The reply to a request refused before the core saw it.
fn refusal(reason: Reason) -> Reply {
    Reply {
        status: reason.status(),
        body: reason.body(),
        event_type: None,
        reason: Some(reason),
        duplicate: false,
    }
}

/// The headers verification reads (a value that is not visible ASCII counts as absent).
fn headers_of(map: &HeaderMap) -> Headers {
    let get = |name: &str| {
        map.get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Headers {
        timestamp: get(super::TIMESTAMP_HEADER),
        nonce: get(super::NONCE_HEADER),
        signature: get(super::SIGNATURE_HEADER),
        content_type: get("content-type"),
    }
}

fn response_of(reply: Reply) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(reply.body.clone()));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response.extensions_mut().insert(reply);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send_sync_static<T: Send + Sync + 'static>() {}
    fn is_send<T: Send>(_: &T) {}

    /// Compile-time: the dispatcher can sit in axum state and its futures run on `tokio::spawn`.
    #[test]
    fn the_dispatcher_and_its_futures_cross_threads() {
        is_send_sync_static::<EventDispatcher>();
        is_send_sync_static::<crate::Error>();
        let d = EventDispatcher::new(WebhookConfig::new().encrypt_key("ek")).unwrap();
        let handling = d.handle(Request::new(Bytes::new()));
        is_send(&handling);
        let response = futures_executor::block_on(handling);
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "POST");
    }

    #[test]
    fn bodies_over_the_limit_are_refused_unread() {
        let mut config = WebhookConfig::new().encrypt_key("ek");
        config.max_body_bytes = 10;
        let d = EventDispatcher::new(config).unwrap();
        let request = Request::post("/")
            .body(Bytes::from_static(b"not json at all"))
            .unwrap();
        let response = futures_executor::block_on(d.handle(request));
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            response.extensions().get::<Reply>().unwrap().reason,
            Some(Reason::BodyTooLarge)
        );
    }

    #[test]
    fn a_panicking_handler_fails_the_event() {
        let handlers = Handlers::default();
        let mut handlers = handlers;
        handlers
            .0
            .insert("x".into(), Arc::new(|_| Box::pin(async { panic!("boom") })));
        let event = Event {
            schema: super::super::Schema::V2,
            event_type: "x".into(),
            event_id: None,
            tenant_key: None,
            app_id: None,
            payload: "{}".into(),
        };
        let failure = futures_executor::block_on(handlers.call(&event)).unwrap_err();
        assert_eq!(failure.message, "the handler panicked: boom");
    }
}
