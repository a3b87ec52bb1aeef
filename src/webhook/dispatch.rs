//! The webhook pipeline: parse and verify, answer challenges, de-duplicate, store `app_ticket`s,
//! dispatch to a handler (now, or deferred with `waitUntil`), and turn the outcome into a reply.

use super::parse::{parse, Event, Inbound, Schema};
use super::{Flow, Headers, Reason, WebhookConfig};
use crate::client::Client;
use crate::json::{quote, RawFields};
use crate::log::{log_at, Level, Logger, NoLogger};
use crate::runtime::Runtime;
use crate::token::TokenStore;
use crate::LocalBoxFuture;
use std::rc::Rc;

/// What a handler returns: the reply body as JSON (`None` → `{}`), or an error message.
pub type HandlerResult = Result<Option<String>, String>;

/// The user's handlers, as the dispatcher sees them.
pub trait EventHandler {
    /// Whether some handler takes this event.
    fn handles(&self, event: &Event) -> bool;
    /// Runs the handler. The future owns what it needs so it can outlive the request.
    fn call(&self, event: &Event) -> LocalBoxFuture<'static, HandlerResult>;
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

/// Runs deferred work past the reply (Workers' `ctx.waitUntil`).
pub type Defer<'a> = &'a dyn Fn(LocalBoxFuture<'static, ()>);

/// Verifies, de-duplicates and dispatches webhook requests.
///
/// ```
/// use feishu_edge::webhook::{Dispatcher, Flow, Headers, WebhookConfig};
/// use feishu_edge::webhook::dispatch::NoHandlers;
/// let d = Dispatcher::new(WebhookConfig::new().verification_token("vt"), Flow::Event, std::rc::Rc::new(feishu_edge::runtime::StdRuntime));
/// let body = br#"{"challenge":"c","token":"vt","type":"url_verification"}"#;
/// let reply = futures_executor::block_on(d.invoke(body, &Headers::default(), &NoHandlers, None));
/// assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"challenge":"c"}"#));
/// ```
pub struct Dispatcher {
    config: WebhookConfig,
    flow: Flow,
    runtime: Rc<dyn Runtime>,
    dedupe: Option<Rc<dyn TokenStore>>,
    client: Option<Client>,
    logger: Rc<dyn Logger>,
}

/// A handler set with no handlers (every event is acknowledged, nothing runs).
pub struct NoHandlers;

impl EventHandler for NoHandlers {
    fn handles(&self, _: &Event) -> bool {
        false
    }
    fn call(&self, _: &Event) -> LocalBoxFuture<'static, HandlerResult> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

impl Dispatcher {
    /// A dispatcher for one endpoint.
    pub fn new(config: WebhookConfig, flow: Flow, runtime: Rc<dyn Runtime>) -> Dispatcher {
        Dispatcher {
            config,
            flow,
            runtime,
            dedupe: None,
            client: None,
            logger: Rc::new(NoLogger),
        }
    }
    /// Remembers event ids in `store` for `config.dedupe_ttl_secs`.
    pub fn dedupe(mut self, store: Rc<dyn TokenStore>) -> Self {
        self.dedupe = Some(store);
        self
    }
    /// Writes pushed `app_ticket`s into this client's token store.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }
    /// Logs rejections, duplicates and handler failures (never bodies or secrets).
    pub fn logger(mut self, logger: Rc<dyn Logger>) -> Self {
        self.logger = logger;
        self
    }
    /// Sets (or replaces) the client that stores `app_ticket`s.
    pub fn set_client(&mut self, client: Client) {
        self.client = Some(client);
    }
    /// The verification settings.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Handles one request's raw body and headers. With `defer`, event handlers (not card
    /// callbacks, whose reply carries the handler's answer) run after the reply is sent.
    pub async fn invoke(
        &self,
        body: &[u8],
        headers: &Headers,
        handler: &dyn EventHandler,
        defer: Option<Defer<'_>>,
    ) -> Reply {
        let now = self.runtime.now_ms() / 1000;
        let event = match parse(&self.config, body, headers, now, self.flow) {
            Ok(Inbound::Challenge { challenge }) => {
                return Reply::ok(format!("{{\"challenge\":{}}}", quote(&challenge)), None)
            }
            Ok(Inbound::Event(e)) => e,
            Err(reason) => {
                log_at!(
                    self.logger,
                    Level::Warn,
                    "webhook refused: {}",
                    reason.as_str()
                );
                return Reply::refused(reason, None);
            }
        };
        let event_type = Some(event.event_type.clone()).filter(|t| !t.is_empty());
        if self.seen_before(&event).await {
            log_at!(
                self.logger,
                Level::Info,
                "duplicate event {} ignored",
                event.event_id.as_deref().unwrap_or("")
            );
            return Reply {
                duplicate: true,
                ..Reply::ok("{}".into(), event_type)
            };
        }
        if event.event_type == "app_ticket" {
            self.store_app_ticket(&event).await;
        }
        if !handler.handles(&event) {
            log_at!(
                self.logger,
                Level::Debug,
                "no handler for {}: acknowledged without dispatch",
                event.event_type
            );
            return Reply::ok("{}".into(), event_type);
        }
        let is_card =
            event.schema == Schema::LegacyCard || event.event_type == "card.action.trigger";
        let run = handler.call(&event);
        match defer {
            Some(defer) if !is_card => {
                let logger = self.logger.clone();
                let name = event.event_type.clone();
                defer(Box::pin(async move {
                    if let Err(e) = run.await {
                        log_at!(logger, Level::Error, "handler for {name} failed: {e}");
                    }
                }));
                Reply::ok("{}".into(), event_type)
            }
            _ => match run.await {
                Ok(body) => Reply::ok(body.unwrap_or_else(|| "{}".into()), event_type),
                Err(e) => {
                    log_at!(
                        self.logger,
                        Level::Error,
                        "handler for {} failed: {e}",
                        event.event_type
                    );
                    Reply::refused(Reason::HandlerFailed, event_type)
                }
            },
        }
    }

    /// Checks and records the event id. Store failures let the event through (logged).
    async fn seen_before(&self, event: &Event) -> bool {
        let (Some(store), Some(id)) = (&self.dedupe, &event.event_id) else {
            return false;
        };
        let key = format!("feishu-edge:event:{id}");
        match store.get(&key).await {
            Ok(Some(_)) => return true,
            Ok(None) => {}
            Err(e) => log_at!(
                self.logger,
                Level::Warn,
                "de-duplication store read failed: {e}"
            ),
        }
        if let Err(e) = store
            .put(&key, "1", Some(self.config.dedupe_ttl_secs.max(60)))
            .await
        {
            log_at!(
                self.logger,
                Level::Warn,
                "de-duplication store write failed: {e}"
            );
        }
        false
    }

    async fn store_app_ticket(&self, event: &Event) {
        let ticket = RawFields::parse(&event.payload).and_then(|f| f.str("app_ticket"));
        match (&self.client, ticket) {
            (Some(client), Some(ticket)) => {
                if event
                    .app_id
                    .as_deref()
                    .is_some_and(|id| id != client.config().app_id)
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
