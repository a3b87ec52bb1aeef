//! What a [`Dispatcher`] drives with (a driver file: the core's [`super::Intake`] decides and
//! never awaits these): the host objects it holds (clock, crypto, de-duplication store, the
//! client for `app_ticket`s, logger) and their builder, and the seams it hands work to:
//! handlers, error reports, `waitUntil`, queues.

use super::super::dedupe::Dedupe;
use super::super::parse::Event;
use super::super::{Flow, WebhookConfig};
use super::HandlerResult;
use crate::crypto::{default_crypto, Crypto};
use crate::error::Result;
use crate::log::{Level, Logger, NoLogger};
use crate::runtime::{BoxFuture, Runtime};
use crate::token::TokenStore;
use std::sync::Arc;

/// Tells the user's error callback (`onError`) about a failure. The dispatcher calls it once
/// the event's claim is released or committed. The future it returns is awaited, for at most
/// [`REPORT_TIMEOUT_MS`], only where no reply waits (deferred and queued work); an inline
/// reply never waits for it (the future is dropped unpolled, so start the work in the closure).
#[cfg(not(target_arch = "wasm32"))]
pub type Report = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// Tells the user's error callback (wasm32: need not be `Send`).
#[cfg(target_arch = "wasm32")]
pub type Report = Box<dyn FnOnce() -> BoxFuture<'static, ()>>;

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
    pub(crate) config: WebhookConfig,
    pub(crate) flow: Flow,
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) crypto: Arc<dyn Crypto>,
    pub(crate) dedupe: Option<Arc<Dedupe>>,
    pub(crate) app_tickets: Option<Arc<dyn AppTicketSink>>,
    pub(crate) logger: Arc<dyn Logger>,
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
}
