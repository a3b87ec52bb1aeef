//! The webhook pipeline: parse and verify, answer challenges, store `app_ticket`s, then claim →
//! handle → commit (now, deferred with `waitUntil`, or through a queue), and turn the outcome
//! into a reply.

use super::dedupe::{Budget, Claim, Dedupe, Lease};
use super::parse::{parse, Event, Inbound, Schema};
use super::{Flow, Headers, Reason, WebhookConfig};
use crate::crypto::{default_crypto, Crypto};
use crate::error::Result;
use crate::json::{quote, ObjectWriter, RawFields};
use crate::log::{log_at, Level, Logger, NoLogger};
use crate::runtime::BoxFuture;
use crate::runtime::{within, Runtime};
use crate::token::TokenStore;
use std::sync::Arc;

/// What a handler returns: the reply body as JSON (`None` → `{}`; only card callbacks' replies
/// are sent, an event's reply is always `{}`), or why there is no reply.
pub type HandlerResult = Result<Option<String>, HandlerFailure>;

/// Tells the user's error callback (`onError`) about a failure. The dispatcher calls it once
/// the event's claim is released or committed. The future it returns is awaited, for at most
/// [`REPORT_TIMEOUT_MS`], only where no reply waits (deferred and queued work); an inline
/// reply never waits for it (the future is dropped unpolled, so start the work in the closure).
#[cfg(not(target_arch = "wasm32"))]
pub type Report = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;
/// Tells the user's error callback (wasm32: need not be `Send`).
#[cfg(target_arch = "wasm32")]
pub type Report = Box<dyn FnOnce() -> BoxFuture<'static, ()>>;

/// How long an awaited error report may take.
pub const REPORT_TIMEOUT_MS: u64 = 2_000;

/// Why a handler produced no reply.
///
/// ```
/// use feishu_edge::webhook::HandlerFailure;
/// let f = HandlerFailure::failed("TypeError: boom");
/// assert!(!f.completed);
/// ```
pub struct HandlerFailure {
    /// What went wrong, for the log.
    pub message: String,
    /// True when the handler ran to completion (its side effects happened) but its reply
    /// cannot be sent: the event is committed, not handled again.
    pub completed: bool,
    /// Tells the user's error callback, if there is one.
    pub report: Option<Report>,
}

impl HandlerFailure {
    /// A handler that threw or rejected: the claim is released so the retry is handled.
    pub fn failed(message: impl Into<String>) -> HandlerFailure {
        HandlerFailure {
            message: message.into(),
            completed: false,
            report: None,
        }
    }
    /// A handler that finished, whose reply cannot be sent.
    pub fn unsendable_reply(message: impl Into<String>) -> HandlerFailure {
        HandlerFailure {
            completed: true,
            ..HandlerFailure::failed(message)
        }
    }
    /// Adds the report to the error callback.
    pub fn report(mut self, report: Report) -> HandlerFailure {
        self.report = Some(report);
        self
    }
}

impl std::fmt::Debug for HandlerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerFailure")
            .field("message", &self.message)
            .field("completed", &self.completed)
            .finish_non_exhaustive()
    }
}

/// The user's handlers, as the dispatcher sees them.
pub trait EventHandler: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// Whether some handler takes this event.
    fn handles(&self, event: &Event) -> bool;
    /// Runs the handler. The future owns what it needs so it can outlive the request.
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult>;
}

/// Where pushed `app_ticket`s go: the token manager of the marketplace app they are for.
/// [`crate::Client`] is one; the dispatcher needs nothing else from a client.
pub trait AppTicketSink: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// The app the tickets are for (tickets for other apps are ignored).
    fn app_id(&self) -> &str;
    /// Stores a fresh ticket.
    fn store_app_ticket<'a>(&'a self, ticket: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// The HTTP answer to a webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// The event's type, when one was recognised.
    pub event_type: Option<String>,
    /// Why the request was refused (or the handler failed).
    pub reason: Option<Reason>,
    /// True when the event id was seen before and the handler was not run again.
    pub duplicate: bool,
}

impl Reply {
    fn ok(body: String, event_type: Option<String>) -> Reply {
        Reply {
            status: 200,
            body,
            event_type,
            reason: None,
            duplicate: false,
        }
    }
    fn refused(reason: Reason, event_type: Option<String>) -> Reply {
        Reply {
            status: reason.status(),
            body: reason.body(),
            event_type,
            reason: Some(reason),
            duplicate: false,
        }
    }
}

/// Runs deferred work past the reply (Workers' `ctx.waitUntil`). `Sync` natively, so a
/// [`Delivery`] (and the future of [`Dispatcher::invoke`]) is `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub type Defer<'a> = &'a (dyn Fn(BoxFuture<'static, ()>) + Sync);
/// Runs deferred work past the reply (wasm32: need not be `Sync`).
#[cfg(target_arch = "wasm32")]
pub type Defer<'a> = &'a dyn Fn(BoxFuture<'static, ()>);

/// A producer of a queue of verified events (Cloudflare Queues, or anything with `send`).
pub trait EventQueue: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// Enqueues one message (a JSON object as text); fails when the queue did not take it.
    fn send(&self, message: String) -> BoxFuture<'static, Result<(), String>>;
}

/// What [`Dispatcher::begin_now`] decided.
#[derive(Debug)]
pub enum Begun {
    /// The answer; no handler runs (a challenge, a refusal, an event no handler takes).
    Reply(Reply),
    /// A verified event for its handler: settle the outcome with [`Dispatcher::finish_now`].
    Handle(Event),
}

/// What happens to a verified event after the checks.
#[derive(Clone, Copy)]
pub enum Delivery<'a> {
    /// Run the handler now and answer with its outcome.
    Reply,
    /// Acknowledge now and run the handler in the deferred work (card callbacks still reply).
    Defer(Defer<'a>),
    /// Put the event on a queue and acknowledge once it is there (card callbacks still reply).
    Enqueue(&'a dyn EventQueue),
}

/// What to do with a queue message after [`Dispatcher::consume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumed {
    /// Handled now, or before: acknowledge it.
    Ack,
    /// The handler failed, or another delivery holds the event: deliver it again later.
    Retry,
}

/// Verifies, de-duplicates and dispatches webhook requests.
///
/// ```
/// use feishu_edge::webhook::{Delivery, Dispatcher, Flow, Headers, WebhookConfig};
/// use feishu_edge::webhook::dispatch::NoHandlers;
/// let d = Dispatcher::new(WebhookConfig::new().verification_token("vt"), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
/// let body = br#"{"challenge":"c","token":"vt","type":"url_verification"}"#;
/// let reply = futures_executor::block_on(d.invoke(body, &Headers::default(), &NoHandlers, Delivery::Reply));
/// assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"challenge":"c"}"#));
/// ```
pub struct Dispatcher {
    config: WebhookConfig,
    flow: Flow,
    runtime: Arc<dyn Runtime>,
    crypto: Arc<dyn Crypto>,
    dedupe: Option<Arc<Dedupe>>,
    app_tickets: Option<Arc<dyn AppTicketSink>>,
    logger: Arc<dyn Logger>,
}

/// A handler set with no handlers (every event is acknowledged, nothing runs).
pub struct NoHandlers;

impl EventHandler for NoHandlers {
    fn handles(&self, _: &Event) -> bool {
        false
    }
    fn call(&self, _: &Event) -> BoxFuture<'static, HandlerResult> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

impl Dispatcher {
    /// A dispatcher for one endpoint; refuses a configuration that authenticates nothing
    /// (see [`WebhookConfig::validate`]). Its crypto is [`default_crypto`] until
    /// [`Dispatcher::crypto`] sets another.
    ///
    /// An event dispatcher with neither key is allowed: it serves the long connection (whose
    /// socket is the authentication) and answers every HTTP request 500 `no_keys`. A card
    /// request URL is HTTP only, so there neither key is refused here.
    pub fn new(config: WebhookConfig, flow: Flow, runtime: Arc<dyn Runtime>) -> Result<Dispatcher> {
        match flow {
            Flow::Card => config.validate()?,
            Flow::Event => config.validate_settings()?,
        }
        Ok(Dispatcher {
            config,
            flow,
            runtime,
            crypto: default_crypto()?,
            dedupe: None,
            app_tickets: None,
            logger: Arc::new(NoLogger),
        })
    }
    /// De-duplicates event ids in `store` (claim → handle → commit, see [`Dedupe`]).
    pub fn dedupe(mut self, store: Arc<dyn TokenStore>) -> Self {
        let c = &self.config;
        self.dedupe = Some(Arc::new(
            Dedupe::new(
                store,
                self.runtime.clone(),
                c.dedupe_lease_secs,
                c.dedupe_ttl_secs,
                c.store_timeout_ms,
            )
            .logger(self.logger.clone()),
        ));
        self
    }
    /// Computes signatures and decrypts with `crypto` (the host's, on wasm).
    pub fn crypto(mut self, crypto: Arc<dyn Crypto>) -> Self {
        self.crypto = crypto;
        self
    }
    /// Writes pushed `app_ticket`s into this client's token store (any [`AppTicketSink`]).
    pub fn client(mut self, client: impl AppTicketSink + 'static) -> Self {
        self.app_tickets = Some(Arc::new(client));
        self
    }
    /// Logs rejections, duplicates and handler failures (never bodies or secrets), and now,
    /// once, a configuration warning (an encrypt key given blank). Set it before
    /// [`Dispatcher::dedupe`] for the store's warnings to use it too.
    pub fn logger(mut self, logger: Arc<dyn Logger>) -> Self {
        if let Some(warning) = self.config.blank_key_warning() {
            logger.log(Level::Warn, warning);
        }
        self.logger = logger;
        self
    }
    /// Sets (or replaces) the client that stores `app_ticket`s.
    pub fn set_client(&mut self, client: impl AppTicketSink + 'static) {
        self.app_tickets = Some(Arc::new(client));
    }
    /// Logs a warning when `event_type` is no event the schema knows (a misspelled name would
    /// register a handler that never runs), naming the closest known one; true when known.
    ///
    /// ```
    /// use feishu_edge::webhook::EVENT_TYPES;
    /// assert!(EVENT_TYPES.contains(&"im.message.receive_v1") && EVENT_TYPES.contains(&"app_ticket"));
    /// ```
    pub fn check_event_type(&self, event_type: &str) -> bool {
        if super::EVENT_TYPES.contains(&event_type) {
            return true;
        }
        let hint = crate::options::closest(event_type, super::EVENT_TYPES)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        log_at!(
            self.logger,
            Level::Warn,
            "register: `{event_type}` is no event type the platform sends{hint}; its handler would never run"
        );
        false
    }

    /// The verification settings.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }
    /// True when de-duplication is configured and its store claims atomically.
    pub fn exactly_once(&self) -> bool {
        self.dedupe.as_ref().is_some_and(|d| d.exact())
    }

    /// Handles one request's raw body and headers.
    pub async fn invoke(
        &self,
        body: &[u8],
        headers: &Headers,
        handler: &dyn EventHandler,
        delivery: Delivery<'_>,
    ) -> Reply {
        if !self.config.verifies_http() {
            return self.no_keys();
        }
        let now = self.runtime.now_ms() / 1000;
        let parsed = parse(&self.config, &*self.crypto, body, headers, now, self.flow).await;
        let event = match self.admit(parsed) {
            Ok(event) => event,
            Err(reply) => return reply,
        };
        let event_type = event_type_of(&event);
        if event.event_type == "app_ticket" {
            self.store_app_ticket(&event).await;
        }
        if !handler.handles(&event) {
            return self.unhandled(&event);
        }
        let is_card = event.is_card_callback();
        if let (Delivery::Enqueue(queue), false) = (delivery, is_card) {
            return self.enqueue(queue, &event, event_type).await;
        }
        let lease = match self
            .claim_or_reply(self.dedupe.as_deref(), &event, &event_type)
            .await
        {
            Ok(lease) => lease,
            Err(reply) => return reply,
        };
        let run = handler.call(&event);
        match delivery {
            Delivery::Defer(defer) if !is_card => {
                let finish = self.finish();
                let name = event.event_type.clone();
                defer(Box::pin(async move {
                    // Past the reply: the report is waited for.
                    let _ = finish.run(run.await, &name, lease.as_ref(), true).await;
                }));
                Reply::ok("{}".into(), event_type)
            }
            _ => {
                let outcome = run.await;
                let settled = self
                    .finish()
                    .run(outcome, &event.event_type, lease.as_ref(), false)
                    .await;
                reply_of(settled, is_card, event_type)
            }
        }
    }

    /// The synchronous path of [`Dispatcher::invoke`] with [`Delivery::Reply`], sans-IO: when
    /// the crypto is synchronous and there is no de-duplication store, the request is verified,
    /// decrypted, checked and shaped in this call. [`Begun::Handle`] hands the event to the
    /// caller, who runs the handler and gives its outcome to [`Dispatcher::finish_now`]; the
    /// reply is the same as `invoke`'s. `None`: the work needs the asynchronous path (a store,
    /// an asynchronous host crypto, an `app_ticket` for a client).
    ///
    /// ```
    /// # #[cfg(feature = "rustcrypto")] {
    /// use feishu_edge::webhook::{Begun, Dispatcher, Flow, Headers, WebhookConfig};
    /// use feishu_edge::webhook::{EventHandler, HandlerResult};
    /// struct Everything;
    /// impl EventHandler for Everything {
    ///     fn handles(&self, _: &feishu_edge::webhook::Event) -> bool { true }
    ///     fn call(&self, _: &feishu_edge::webhook::Event) -> feishu_edge::BoxFuture<'static, HandlerResult> { Box::pin(async { Ok(None) }) }
    /// }
    /// let config = WebhookConfig::new().verification_token("t");
    /// let d = Dispatcher::new(config, Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
    /// let body = br#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1","token":"t"},"event":{}}"#;
    /// let Some(Begun::Handle(event)) = d.begin_now(body, &Headers::default(), &Everything) else { panic!() };
    /// assert_eq!(d.finish_now(&event, Ok(None)).status, 200);
    /// # }
    /// ```
    pub fn begin_now(
        &self,
        body: &[u8],
        headers: &Headers,
        handler: &dyn EventHandler,
    ) -> Option<Begun> {
        if !self.may_begin_now() {
            return None;
        }
        if !self.config.verifies_http() {
            return Some(Begun::Reply(self.no_keys()));
        }
        let now = self.runtime.now_ms() / 1000;
        let parsed = crate::crypto::now(parse(
            &self.config,
            &*self.crypto,
            body,
            headers,
            now,
            self.flow,
        ))?;
        let event = match self.admit(parsed) {
            Ok(event) => event,
            Err(reply) => return Some(Begun::Reply(reply)),
        };
        if event.event_type == "app_ticket" {
            crate::crypto::now(self.store_app_ticket(&event))?;
        }
        if !handler.handles(&event) {
            return Some(Begun::Reply(self.unhandled(&event)));
        }
        Some(Begun::Handle(event))
    }

    /// Whether [`Dispatcher::begin_now`] can answer here at all: not with a de-duplication
    /// store (its claims wait on the store). The crypto may still make it decline.
    pub fn may_begin_now(&self) -> bool {
        self.dedupe.is_none()
    }

    /// The reply to an event [`Dispatcher::begin_now`] handed over, from its handler's
    /// outcome: as [`Dispatcher::invoke`] answers inline (failures logged, then reported).
    pub fn finish_now(&self, event: &Event, outcome: HandlerResult) -> Reply {
        // Without a store nothing in the settling waits: it is ready in one poll.
        let settled =
            crate::crypto::now(
                self.finish_with(None)
                    .run(outcome, &event.event_type, None, false),
            )
            .unwrap_or(Err(Reason::HandlerFailed));
        reply_of(settled, event.is_card_callback(), event_type_of(event))
    }

    /// A request an endpoint without keys refuses (only the long connection may use it).
    fn no_keys(&self) -> Reply {
        log_at!(
            self.logger,
            Level::Error,
            "an HTTP request reached an EventDispatcher with neither encryptKey nor verificationToken; refused: feishu-edge does not accept unsigned events (the official SDK does). Fix: new EventDispatcher({{ encryptKey }}) with the Encrypt Key of the app's Events and Callbacks page (or verificationToken); a keyless dispatcher serves the long connection only"
        );
        Reply::refused(Reason::NoKeys, None)
    }

    /// The verified event, or the reply that ends the request: a challenge's answer or a
    /// refusal (logged).
    fn admit(
        &self,
        parsed: std::result::Result<Inbound, Reason>,
    ) -> std::result::Result<Event, Reply> {
        match parsed {
            Ok(Inbound::Challenge { challenge }) => Err(Reply::ok(
                format!("{{\"challenge\":{}}}", quote(&challenge)),
                None,
            )),
            Ok(Inbound::Event(e)) => Ok(e),
            Err(reason) => {
                log_at!(
                    self.logger,
                    Level::Warn,
                    "webhook refused: {}",
                    reason.as_str()
                );
                Err(Reply::refused(reason, None))
            }
        }
    }

    /// An event no handler takes: acknowledged.
    fn unhandled(&self, event: &Event) -> Reply {
        log_at!(
            self.logger,
            Level::Debug,
            "no handler for {}: acknowledged without dispatch",
            event.event_type
        );
        Reply::ok("{}".into(), event_type_of(event))
    }

    /// Puts a verified event on the queue, within the store deadline: a queue that neither
    /// takes nor refuses it in time gets 503 `queue_failed`, so the platform sends it again.
    async fn enqueue(
        &self,
        queue: &dyn EventQueue,
        event: &Event,
        event_type: Option<String>,
    ) -> Reply {
        let ms = self.config.store_timeout_ms;
        let sent = within(&*self.runtime, ms, queue.send(queued_message(event))).await;
        let error = match sent {
            Some(Ok(())) => return Reply::ok("{}".into(), event_type),
            Some(Err(e)) => e,
            None => format!("the queue did not answer within {ms} ms"),
        };
        log_at!(
            self.logger,
            Level::Error,
            "could not queue {}: {error}",
            event.event_type
        );
        Reply::refused(Reason::QueueFailed, event_type)
    }

    /// Handles one message that [`Delivery::Enqueue`] put on a queue: the same claim → handle →
    /// commit as a request. A message that is not ours is retried (so a dead-letter queue
    /// keeps it), never dropped.
    pub async fn consume(&self, message: &str, handler: &dyn EventHandler) -> Consumed {
        let Some(event) = unqueued_event(message) else {
            log_at!(
                self.logger,
                Level::Error,
                "a queue message that is not a feishu-edge event was left for retry"
            );
            return Consumed::Retry;
        };
        if !handler.handles(&event) {
            return Consumed::Ack;
        }
        let lease = match self
            .claim_or_reply(self.dedupe.as_deref(), &event, &None)
            .await
        {
            Ok(lease) => lease,
            // Handled before: ack; another delivery holds it: deliver it again later.
            Err(reply) if reply.duplicate => return Consumed::Ack,
            Err(_) => return Consumed::Retry,
        };
        let outcome = handler.call(&event).await;
        let finish = self.finish();
        match finish
            .run(outcome, &event.event_type, lease.as_ref(), true)
            .await
        {
            Ok(_) | Err(Reason::ReplyNotSerializable) => Consumed::Ack,
            Err(_) => Consumed::Retry,
        }
    }

    /// What settles a handler's outcome (owned, so deferred work can carry it).
    fn finish(&self) -> Finish {
        self.finish_with(self.dedupe.clone())
    }

    fn finish_with(&self, dedupe: Option<Arc<Dedupe>>) -> Finish {
        Finish {
            logger: self.logger.clone(),
            runtime: self.runtime.clone(),
            dedupe,
        }
    }

    /// Handles one event that arrived over an authenticated channel (the long connection):
    /// no signature, encryption or token to check, then the same shape, handler data, claim →
    /// handle → commit and reply as [`Dispatcher::invoke`] inline. `fallback` de-duplicates
    /// when the dispatcher has no store of its own (the long connection's per-process
    /// memory). The reply's status is 200 (handled, or a duplicate), 500 (the handler failed:
    /// the platform pushes again) or 503 (another delivery holds the event).
    pub async fn deliver(
        &self,
        payload: &[u8],
        handler: &dyn EventHandler,
        fallback: Option<Arc<Dedupe>>,
    ) -> Reply {
        let event = match super::parse::parse_trusted(&self.config, payload) {
            Ok(Inbound::Event(e)) => e,
            Ok(Inbound::Challenge { .. }) => return Reply::ok("{}".into(), None),
            // Refused for its size: 500, so the platform pushes it again (never acked 200
            // unhandled).
            Err(Reason::BodyTooLarge) => {
                log_at!(
                    self.logger,
                    Level::Error,
                    "long connection: refused an event of {} bytes (at most {}); acked 500",
                    payload.len(),
                    super::MAX_TRUSTED_EVENT_BYTES
                );
                return Reply {
                    status: 500,
                    ..Reply::refused(Reason::BodyTooLarge, None)
                };
            }
            Err(reason) => {
                log_at!(
                    self.logger,
                    Level::Warn,
                    "long connection: dropped a payload that is not an event ({})",
                    reason.as_str()
                );
                return Reply::refused(reason, None);
            }
        };
        let event_type = Some(event.event_type.clone()).filter(|t| !t.is_empty());
        if !handler.handles(&event) {
            log_at!(
                self.logger,
                Level::Debug,
                "no handler for {}: acknowledged without dispatch",
                event.event_type
            );
            return Reply::ok("{}".into(), event_type);
        }
        let dedupe = self.dedupe.clone().or(fallback);
        let lease = match self
            .claim_or_reply(dedupe.as_deref(), &event, &event_type)
            .await
        {
            Ok(lease) => lease,
            Err(reply) => return reply,
        };
        let outcome = handler.call(&event).await;
        let settled = self
            .finish_with(dedupe)
            .run(outcome, &event.event_type, lease.as_ref(), false)
            .await;
        reply_of(settled, event.is_card_callback(), event_type)
    }

    /// Claims `event` in `dedupe` (with a fresh budget): the lease to settle, or the reply that
    /// ends the delivery here (200 duplicate, or 503 while another delivery holds it).
    async fn claim_or_reply(
        &self,
        dedupe: Option<&Dedupe>,
        event: &Event,
        event_type: &Option<String>,
    ) -> std::result::Result<Option<Lease>, Reply> {
        let budget = dedupe.map_or_else(|| Budget::new(0), Dedupe::budget);
        match self.claim(dedupe, event, &budget).await {
            Ok(lease) => Ok(lease),
            Err(Claim::Duplicate) => Err(Reply {
                duplicate: true,
                ..Reply::ok("{}".into(), event_type.clone())
            }),
            Err(_) => Err(Reply::refused(Reason::EventInProgress, event_type.clone())),
        }
    }

    /// `Ok(lease)` when the handler may run (`None`: unguarded); `Err` with the reason not to.
    async fn claim(
        &self,
        dedupe: Option<&Dedupe>,
        event: &Event,
        budget: &Budget,
    ) -> std::result::Result<Option<Lease>, Claim> {
        let (Some(dedupe), Some(id)) = (dedupe, &event.event_id) else {
            return Ok(None);
        };
        let app = event
            .app_id
            .as_deref()
            .or(self.config.app_id.as_deref())
            .or(self.app_tickets.as_ref().map(|c| c.app_id()));
        let key = Dedupe::key(app, event.schema.as_str(), id);
        match dedupe.claim(&key, budget).await {
            Claim::Owned(lease) => Ok(Some(lease)),
            Claim::Unguarded => Ok(None),
            Claim::Duplicate => {
                log_at!(
                    self.logger,
                    Level::Info,
                    "duplicate event {id} acknowledged"
                );
                Err(Claim::Duplicate)
            }
            Claim::InProgress => {
                log_at!(
                    self.logger,
                    Level::Info,
                    "event {id} is being handled by another delivery: asking for a retry"
                );
                Err(Claim::InProgress)
            }
        }
    }

    async fn store_app_ticket(&self, event: &Event) {
        let ticket = RawFields::parse(&event.payload).and_then(|f| f.str("app_ticket"));
        match (&self.app_tickets, ticket) {
            (Some(client), Some(ticket)) => {
                if event
                    .app_id
                    .as_deref()
                    .is_some_and(|id| id != client.app_id())
                {
                    log_at!(
                        self.logger,
                        Level::Warn,
                        "app_ticket for another app ignored"
                    );
                } else if let Err(e) = client.store_app_ticket(&ticket).await {
                    log_at!(
                        self.logger,
                        Level::Error,
                        "could not store the app_ticket: {e}"
                    );
                } else {
                    log_at!(self.logger, Level::Info, "stored a new app_ticket");
                }
            }
            (None, _) => log_at!(
                self.logger,
                Level::Warn,
                "app_ticket event received but no client is configured to store it"
            ),
            (_, None) => log_at!(
                self.logger,
                Level::Warn,
                "app_ticket event without an app_ticket field"
            ),
        }
    }
}

/// The reply to an inline delivery once settled: a card callback's reply is its handler's, an
/// event's is `{}`, a failure its refusal.
/// The event type a reply names (none for legacy card callbacks, which carry none).
fn event_type_of(event: &Event) -> Option<String> {
    Some(event.event_type.clone()).filter(|t| !t.is_empty())
}

fn reply_of(
    settled: std::result::Result<Option<String>, Reason>,
    is_card: bool,
    event_type: Option<String>,
) -> Reply {
    match settled {
        Ok(body) if is_card => Reply::ok(body.unwrap_or_else(|| "{}".into()), event_type),
        Ok(_) => Reply::ok("{}".into(), event_type),
        Err(reason) => Reply::refused(reason, event_type),
    }
}

/// Settles a handler's outcome: commits its claim on success (or when it finished but its reply
/// cannot be sent), releases it on failure so the retry is handled, logs failures, and only
/// then tells the error callback.
struct Finish {
    logger: Arc<dyn Logger>,
    runtime: Arc<dyn Runtime>,
    dedupe: Option<Arc<Dedupe>>,
}

impl Finish {
    /// The reply body, or the refusal to answer with. `wait_for_report`: await the error
    /// callback (within [`REPORT_TIMEOUT_MS`]); otherwise it runs on its own.
    async fn run(
        &self,
        outcome: HandlerResult,
        event_type: &str,
        lease: Option<&Lease>,
        wait_for_report: bool,
    ) -> std::result::Result<Option<String>, Reason> {
        let dedupe = self.dedupe.as_deref().zip(lease);
        let failure = match outcome {
            Ok(body) => {
                if let Some((d, l)) = dedupe {
                    d.commit(l).await;
                }
                return Ok(body);
            }
            Err(failure) => failure,
        };
        let logger = &self.logger;
        let reason = if failure.completed {
            log_at!(
                logger,
                Level::Error,
                "handler for {event_type} finished, but its reply cannot be sent: {}",
                failure.message
            );
            if let Some((d, l)) = dedupe {
                d.commit(l).await;
            }
            Reason::ReplyNotSerializable
        } else {
            log_at!(
                logger,
                Level::Error,
                "handler for {event_type} failed: {}",
                failure.message
            );
            if let Some((d, l)) = dedupe {
                d.release(l).await;
            }
            Reason::HandlerFailed
        };
        if let Some(report) = failure.report {
            let reporting = report();
            if wait_for_report
                && within(&*self.runtime, REPORT_TIMEOUT_MS, reporting)
                    .await
                    .is_none()
            {
                log_at!(
                    logger,
                    Level::Warn,
                    "onError did not finish within {REPORT_TIMEOUT_MS} ms; not waiting for it"
                );
            }
        }
        Err(reason)
    }
}

/// A verified event as a queue message: a JSON object with the event's fields and its payload
/// embedded as is (`{"feishuEdge":1,"schema","eventType","eventId","tenantKey","appId","payload"}`).
fn queued_message(event: &Event) -> String {
    let optional = |v: &Option<String>| crate::json::quote_or_null(v.as_deref());
    let mut w = ObjectWriter::default();
    w.field("feishuEdge", "1");
    w.field("schema", &quote(event.schema.as_str()));
    w.field("eventType", &quote(&event.event_type));
    w.field("eventId", &optional(&event.event_id));
    w.field("tenantKey", &optional(&event.tenant_key));
    w.field("appId", &optional(&event.app_id));
    w.field("payload", &event.payload);
    w.finish()
}

/// The event a queue message carries, or `None` when it is not one of ours.
fn unqueued_event(message: &str) -> Option<Event> {
    let q = RawFields::parse(message)?;
    if q.get("feishuEdge")? != "1" {
        return None;
    }
    let schema = match q.str("schema")?.as_str() {
        "1.0" => Schema::V1,
        "2.0" => Schema::V2,
        "card" => Schema::LegacyCard,
        _ => return None,
    };
    let payload = q.get("payload")?;
    RawFields::parse(payload)?;
    Some(Event {
        schema,
        event_type: q.str("eventType")?,
        event_id: q.str("eventId"),
        tenant_key: q.str("tenantKey"),
        app_id: q.str("appId"),
        payload: payload.to_string(),
    })
}
