//! The webhook pipeline: parse and verify, answer challenges, store `app_ticket`s, then claim →
//! handle → commit (now, deferred with `waitUntil`, or through a queue), and turn the outcome
//! into a reply.

use super::dedupe::{Claim, Claiming, Dedupe, Lease, Settling, StoreOutcome, StoreStep};
use super::parse::{Event, Inbound, Parsing, Schema};
use super::{Headers, Reason, WebhookConfig};
use crate::crypto::{CryptoOp, CryptoOutcome};
use crate::error::Result;
use crate::json::{quote, ObjectWriter, RawFields};
use crate::log::{log_at, Level, Logger};

/// The dispatcher's host objects, its builder and the seams it hands work to (a driver file).
mod host;
pub use host::{AppTicketSink, Defer, Dispatcher, EventHandler, EventQueue, NoHandlers, Report};

/// What a handler returns: the reply body as JSON (`None` → `{}`; only card callbacks' replies
/// are sent, an event's reply is always `{}`), or why there is no reply.
pub type HandlerResult = Result<Option<String>, HandlerFailure>;

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
    pub(crate) fn ok(body: String, event_type: Option<String>) -> Reply {
        Reply {
            status: 200,
            body,
            event_type,
            reason: None,
            duplicate: false,
        }
    }
    pub(crate) fn refused(reason: Reason, event_type: Option<String>) -> Reply {
        Reply {
            status: reason.status(),
            body: reason.body(),
            event_type,
            reason: Some(reason),
            duplicate: false,
        }
    }
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

impl Dispatcher {
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

    /// The store key `event` is claimed under (scoped by its app, or this dispatcher's, or its
    /// client's).
    fn dedupe_key(&self, event: &Event, id: &str) -> String {
        let app = event
            .app_id
            .as_deref()
            .or(self.config.app_id.as_deref())
            .or(self.app_tickets.as_ref().map(|c| c.app_id()));
        Dedupe::key(app, event.schema.as_str(), id)
    }

    /// True when de-duplication is configured (its claims wait on a store).
    ///
    /// ```
    /// use feishu_edge::webhook::{Dispatcher, Flow, WebhookConfig};
    /// let d = Dispatcher::new(WebhookConfig::new(), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
    /// assert!(!d.deduplicates());
    /// ```
    pub fn deduplicates(&self) -> bool {
        self.dedupe.is_some()
    }
}

/// The event type a reply names (none for legacy card callbacks, which carry none).
fn event_type_of(event: &Event) -> Option<String> {
    Some(event.event_type.clone()).filter(|t| !t.is_empty())
}

/// The reply to an inline delivery once settled: a card callback's reply is its handler's, an
/// event's is `{}`, a failure its refusal.
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

/// How a verified HTTP event is delivered (the machine's view of [`Delivery`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run the handler now and answer with its outcome.
    Reply,
    /// Acknowledge now, run the handler past the reply (card callbacks still reply).
    Defer,
    /// Put the event on a queue (card callbacks still reply).
    Enqueue,
}

impl Mode {
    /// The mode of a [`Delivery`].
    ///
    /// ```
    /// use feishu_edge::webhook::{dispatch::Mode, Delivery};
    /// assert_eq!(Mode::of(&Delivery::Reply), Mode::Reply);
    /// ```
    pub fn of(delivery: &Delivery<'_>) -> Mode {
        match delivery {
            Delivery::Reply => Mode::Reply,
            Delivery::Defer(_) => Mode::Defer,
            Delivery::Enqueue(_) => Mode::Enqueue,
        }
    }
}

/// What the driver hands back to [`Intake::step`] and [`Finishing::step`].
///
/// ```
/// use feishu_edge::webhook::{Outcome, StoreOutcome};
/// let answered = Outcome::Store(StoreOutcome::Written(true));
/// assert!(matches!(answered, Outcome::Store(_)));
/// ```
#[derive(Debug)]
pub enum Outcome {
    /// The first step.
    Start,
    /// A [`Step::Crypto`]'s outcome.
    Crypto(CryptoOutcome),
    /// A store call's outcome.
    Store(StoreOutcome),
    /// Whether [`Step::Ticket`]'s ticket was stored.
    Ticket(Result<()>),
    /// Whether the queue took [`Step::Queue`]'s message (`None`: no answer in time).
    Queued(Option<std::result::Result<(), String>>),
    /// A [`FinishStep::Report`] was made; `false` when it was waited for and did not finish in
    /// time.
    Reported(bool),
}

/// What [`Intake::step`] asks its driver to do (see [`Intake`] for a run).
///
/// ```
/// use feishu_edge::webhook::{Consumed, Step};
/// let end: Step<'_> = Step::Consumed(Consumed::Ack);
/// assert!(matches!(end, Step::Consumed(Consumed::Ack)));
/// ```
pub enum Step<'s> {
    /// Compute a primitive; step again with [`Outcome::Crypto`].
    Crypto(CryptoOp<'s>),
    /// Make a de-duplication store call within its limit; step again with
    /// [`Outcome::Store`].
    Store(StoreStep<'s>),
    /// Store a pushed `app_ticket` with the dispatcher's client; step again with
    /// [`Outcome::Ticket`].
    Ticket(&'s str),
    /// Send the message to the delivery's queue within `within_ms`; step again with
    /// [`Outcome::Queued`].
    Queue {
        /// The queue message (JSON text).
        message: String,
        /// The deadline of the send.
        within_ms: u64,
    },
    /// Start the handler of [`Handoff::event`], then settle its outcome with
    /// [`Finishing::begin`]. With [`Handoff::reply_now`], answer that at once and settle past
    /// the reply.
    Handle(Handoff),
    /// The answer: the intake is over.
    Reply(Reply),
    /// A queue message's fate: the intake is over.
    Consumed(Consumed),
}

impl std::fmt::Debug for Step<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Crypto(op) => f.debug_tuple("Crypto").field(op).finish(),
            Step::Store(call) => f.debug_tuple("Store").field(call).finish(),
            Step::Ticket(_) => f.write_str("Ticket"),
            Step::Queue { within_ms, .. } => f
                .debug_struct("Queue")
                .field("within_ms", within_ms)
                .finish_non_exhaustive(),
            Step::Handle(h) => f.debug_tuple("Handle").field(&h.event.event_type).finish(),
            Step::Reply(r) => f.debug_tuple("Reply").field(r).finish(),
            Step::Consumed(c) => f.debug_tuple("Consumed").field(c).finish(),
        }
    }
}

/// Where a handled event came from: what its settled outcome becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An HTTP request answered with the outcome.
    Inline,
    /// An HTTP request answered before the handler ran.
    Deferred,
    /// The long connection.
    Trusted,
    /// A queue message.
    Queued,
}

/// A verified, claimed event for its handler (what [`Step::Handle`] hands over): owned, so the
/// handler and its settling may outlive the request.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::RustCrypto;
/// use feishu_edge::webhook::dispatch::{Intake, Mode, Outcome, Step};
/// use feishu_edge::webhook::{Dispatcher, Event, EventHandler, Flow, Headers, HandlerResult, WebhookConfig};
/// struct All;
/// impl EventHandler for All {
///     fn handles(&self, _: &Event) -> bool { true }
///     fn call(&self, _: &Event) -> feishu_edge::BoxFuture<'static, HandlerResult> { Box::pin(async { Ok(None) }) }
/// }
/// let d = Dispatcher::new(WebhookConfig::new().verification_token("t"), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
/// let body = br#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1","token":"t"},"event":{}}"#;
/// let headers = Headers::default();
/// let mut intake = Intake::request(&d, body, &headers, &All, Mode::Reply, 0);
/// let Step::Handle(handoff) = intake.step(Outcome::Start) else { panic!() };
/// assert_eq!(handoff.event.event_id.as_deref(), Some("e1"));
/// assert!(handoff.reply_now.is_none()); // answered with the handler's outcome
/// # }
/// ```
pub struct Handoff {
    /// The event.
    pub event: Event,
    /// `Some`: answer this now, and settle the handler's outcome past the reply.
    pub reply_now: Option<Reply>,
    kind: Kind,
    reply_type: Option<String>,
    /// The claim to commit or release, with `(done_secs, budget_ms)`.
    lease: Option<(Lease, u64, u64)>,
}

/// Settling a handler's outcome, sans-IO: commits its claim on success (or when it finished but
/// its reply cannot be sent), releases it on failure so the retry is handled, logs failures,
/// and only then tells the error callback.
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::log::NoLogger;
/// use feishu_edge::webhook::dispatch::{FinishStep, Finished, Finishing, Intake, Mode, Outcome, Step};
/// use feishu_edge::webhook::{Dispatcher, Event, EventHandler, Flow, Headers, HandlerFailure, HandlerResult, WebhookConfig};
/// struct All;
/// impl EventHandler for All {
///     fn handles(&self, _: &Event) -> bool { true }
///     fn call(&self, _: &Event) -> feishu_edge::BoxFuture<'static, HandlerResult> { Box::pin(async { Ok(None) }) }
/// }
/// let d = Dispatcher::new(WebhookConfig::new().verification_token("t"), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
/// let body = br#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1","token":"t"},"event":{}}"#;
/// let headers = Headers::default();
/// let mut intake = Intake::request(&d, body, &headers, &All, Mode::Reply, 0);
/// let Step::Handle(handoff) = intake.step(Outcome::Start) else { panic!() };
/// let mut finishing = Finishing::begin(handoff, Err(HandlerFailure::failed("boom")));
/// let FinishStep::Done(Finished::Reply(reply)) = finishing.step(Outcome::Start, &NoLogger) else { panic!() };
/// assert_eq!(reply.status, 500);
/// # }
/// ```
pub struct Finishing {
    kind: Kind,
    card: bool,
    event_type: String,
    /// The handler's failure, logged on the first step.
    failure: Option<String>,
    reply_type: Option<String>,
    settled: std::result::Result<Option<String>, Reason>,
    settling: Option<Settling>,
    report: Option<Report>,
    reporting: bool,
}

/// What [`Finishing::step`] asks its driver to do (see [`Finishing`] for a run).
///
/// ```
/// use feishu_edge::webhook::{Consumed, FinishStep, Finished};
/// let done: FinishStep<'_> = FinishStep::Done(Finished::Consumed(Consumed::Retry));
/// assert!(matches!(done, FinishStep::Done(_)));
/// ```
pub enum FinishStep<'s> {
    /// Make a de-duplication store call within its limit; step again with
    /// [`Outcome::Store`].
    Store(StoreStep<'s>),
    /// Call the report (the user's error callback); with `wait_ms`, wait for it at most that
    /// long; step again with [`Outcome::Reported`].
    Report {
        /// The report to start.
        report: Report,
        /// How long to wait for it (`None`: start it and go on).
        wait_ms: Option<u64>,
    },
    /// Settled.
    Done(Finished),
}

/// What a settled handler's outcome becomes.
///
/// ```
/// use feishu_edge::webhook::Finished;
/// assert_ne!(Finished::Deferred, Finished::Consumed(feishu_edge::webhook::Consumed::Ack));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// The reply to send (inline requests, the long connection).
    Reply(Reply),
    /// The queue message's fate.
    Consumed(Consumed),
    /// Nothing waits (the reply went before the handler ran).
    Deferred,
}

impl Finishing {
    /// Starts settling `handoff`'s event with its handler's `outcome`.
    pub fn begin(handoff: Handoff, outcome: HandlerResult) -> Finishing {
        let (settled, commit, report) = match outcome {
            Ok(body) => (Ok(body), true, None),
            Err(failure) if failure.completed => (
                Err((Reason::ReplyNotSerializable, failure.message)),
                true,
                failure.report,
            ),
            Err(failure) => (
                Err((Reason::HandlerFailed, failure.message)),
                false,
                failure.report,
            ),
        };
        let event = handoff.event;
        let (settled, message) = match settled {
            Ok(body) => (Ok(body), None),
            Err((reason, message)) => (Err(reason), Some(message)),
        };
        let finishing = Finishing {
            kind: handoff.kind,
            card: event.is_card_callback(),
            reply_type: handoff.reply_type,
            settled,
            settling: handoff
                .lease
                .map(|(lease, done, budget)| Settling::new(lease, commit, done, budget)),
            report,
            reporting: false,
            event_type: event.event_type,
            failure: message,
        };
        finishing
    }

    /// Advances with the outcome of what the previous step asked for ([`Outcome::Start`]
    /// first); logs to `logger`.
    pub fn step(&mut self, outcome: Outcome, logger: &dyn Logger) -> FinishStep<'_> {
        if let Outcome::Start = outcome {
            if let Some(message) = self.failure.take() {
                let name = &self.event_type;
                match self.settled {
                    Err(Reason::ReplyNotSerializable) => log_at!(
                        logger,
                        Level::Error,
                        "handler for {name} finished, but its reply cannot be sent: {message}"
                    ),
                    _ => log_at!(logger, Level::Error, "handler for {name} failed: {message}"),
                }
            }
        }
        let store = match outcome {
            Outcome::Store(o) => Some(o),
            Outcome::Reported(in_time) => {
                if !in_time {
                    log_at!(
                        logger,
                        Level::Warn,
                        "onError did not finish within {REPORT_TIMEOUT_MS} ms; not waiting for it"
                    );
                }
                None
            }
            _ => None,
        };
        if !self.reporting {
            let settled = match &mut self.settling {
                Some(s) => s.advance(store, logger),
                None => true,
            };
            if !settled {
                return match &self.settling {
                    Some(s) => FinishStep::Store(s.pending()),
                    None => FinishStep::Done(Finished::Deferred),
                };
            }
            self.reporting = true;
            if let Some(report) = self.report.take() {
                let wait = matches!(self.kind, Kind::Deferred | Kind::Queued);
                return FinishStep::Report {
                    report,
                    wait_ms: wait.then_some(REPORT_TIMEOUT_MS),
                };
            }
        }
        let settled = std::mem::replace(&mut self.settled, Err(Reason::HandlerFailed));
        FinishStep::Done(match self.kind {
            Kind::Inline | Kind::Trusted => {
                Finished::Reply(reply_of(settled, self.card, self.reply_type.take()))
            }
            Kind::Deferred => Finished::Deferred,
            Kind::Queued => Finished::Consumed(match settled {
                Ok(_) | Err(Reason::ReplyNotSerializable) => Consumed::Ack,
                Err(_) => Consumed::Retry,
            }),
        })
    }
}

/// Where a request's bytes came from.
enum Source<'a> {
    /// An HTTP request.
    Request {
        body: &'a [u8],
        headers: &'a Headers,
        mode: Mode,
    },
    /// A payload of the long connection (the socket is the authentication).
    Trusted(&'a [u8]),
    /// A queue message [`Mode::Enqueue`] wrote.
    Queued(&'a str),
}

/// Where an [`Intake`] is.
enum Stage<'a> {
    Start,
    Parsing(Parsing<'a>),
    Ticket,
    Queue,
    Claiming(Claiming),
    Done,
}

/// One delivery from its bytes to its handler, sans-IO: parse and verify, answer challenges,
/// store `app_ticket`s, enqueue, claim. [`Intake::step`] returns what to compute, store, send
/// or run ([`Step`]); the driver does it and steps again with the [`Outcome`], until
/// [`Step::Reply`], [`Step::Consumed`] or [`Step::Handle`] (then [`Finishing`] settles the
/// handler's outcome).
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use feishu_edge::crypto::RustCrypto;
/// use feishu_edge::webhook::dispatch::{Intake, Mode, NoHandlers, Outcome, Step};
/// use feishu_edge::webhook::{Dispatcher, Flow, Headers, WebhookConfig};
/// let d = Dispatcher::new(WebhookConfig::new().verification_token("vt"), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
/// let body = br#"{"challenge":"c","token":"vt","type":"url_verification"}"#;
/// let headers = Headers::default();
/// let mut intake = Intake::request(&d, body, &headers, &NoHandlers, Mode::Reply, 1_700_000_000_000);
/// let mut outcome = Outcome::Start;
/// let reply = loop {
///     outcome = match intake.step(outcome) {
///         Step::Crypto(op) => Outcome::Crypto(RustCrypto.compute(&op)),
///         Step::Reply(reply) => break reply,
///         _ => unreachable!(),
///     };
/// };
/// assert_eq!(reply.body, r#"{"challenge":"c"}"#);
/// # }
/// ```
pub struct Intake<'a> {
    d: &'a Dispatcher,
    handler: &'a dyn EventHandler,
    dedupe: Option<&'a Dedupe>,
    source: Source<'a>,
    stage: Stage<'a>,
    now_ms: u64,
    event: Option<Event>,
    ticket: String,
}

impl<'a> Intake<'a> {
    /// An HTTP request's body and headers, received at `now_ms`.
    pub fn request(
        d: &'a Dispatcher,
        body: &'a [u8],
        headers: &'a Headers,
        handler: &'a dyn EventHandler,
        mode: Mode,
        now_ms: u64,
    ) -> Intake<'a> {
        Intake::new(
            d,
            handler,
            d.dedupe.as_deref(),
            Source::Request {
                body,
                headers,
                mode,
            },
            now_ms,
        )
    }

    /// A payload of the long connection: no signature, encryption or token to check, then
    /// the same shape, handler data, claim → handle → commit and reply as an inline request.
    /// `fallback` de-duplicates when the dispatcher has no store of its own.
    pub fn trusted(
        d: &'a Dispatcher,
        payload: &'a [u8],
        handler: &'a dyn EventHandler,
        fallback: Option<&'a Dedupe>,
    ) -> Intake<'a> {
        let dedupe = d.dedupe.as_deref().or(fallback);
        Intake::new(d, handler, dedupe, Source::Trusted(payload), 0)
    }

    /// A queue message [`Mode::Enqueue`] wrote. A message that is not ours is retried (so a
    /// dead-letter queue keeps it), never dropped.
    pub fn queued(
        d: &'a Dispatcher,
        message: &'a str,
        handler: &'a dyn EventHandler,
    ) -> Intake<'a> {
        Intake::new(d, handler, d.dedupe.as_deref(), Source::Queued(message), 0)
    }

    fn new(
        d: &'a Dispatcher,
        handler: &'a dyn EventHandler,
        dedupe: Option<&'a Dedupe>,
        source: Source<'a>,
        now_ms: u64,
    ) -> Intake<'a> {
        Intake {
            d,
            handler,
            dedupe,
            source,
            stage: Stage::Start,
            now_ms,
            event: None,
            ticket: String::new(),
        }
    }

    /// The de-duplication the driver makes [`Step::Store`] calls on.
    pub fn dedupe(&self) -> Option<&'a Dedupe> {
        self.dedupe
    }

    /// Advances with the outcome of what the previous step asked for ([`Outcome::Start`]
    /// first). An outcome of the wrong kind is the driver's mistake: refused, never a pass.
    pub fn step(&mut self, outcome: Outcome) -> Step<'_> {
        match self.advance(outcome) {
            Some(end) => end,
            None => self.pending(),
        }
    }

    /// The step the machine waits on (a crypto or store call).
    fn pending(&self) -> Step<'_> {
        match &self.stage {
            Stage::Parsing(p) => Step::Crypto(p.pending()),
            Stage::Claiming(c) => Step::Store(c.pending()),
            Stage::Ticket => Step::Ticket(&self.ticket),
            _ => Step::Reply(Reply::refused(Reason::HandlerFailed, None)),
        }
    }

    /// `Some(step)`: an owned step (the end, a queue message, the handoff); `None`: the
    /// machine waits on [`Intake::pending`].
    fn advance(&mut self, outcome: Outcome) -> Option<Step<'static>> {
        let d = self.d;
        let stage = std::mem::replace(&mut self.stage, Stage::Done);
        match (stage, outcome) {
            (Stage::Start, Outcome::Start) => self.start(),
            (Stage::Parsing(mut p), Outcome::Crypto(answer)) => {
                let parsed = p.advance(Some(answer));
                self.stage = Stage::Parsing(p);
                parsed.and_then(|parsed| self.parsed(parsed))
            }
            (Stage::Ticket, Outcome::Ticket(stored)) => {
                match stored {
                    Err(e) => log_at!(
                        d.logger,
                        Level::Error,
                        "could not store the app_ticket: {e}"
                    ),
                    Ok(()) => log_at!(d.logger, Level::Info, "stored a new app_ticket"),
                }
                self.route()
            }
            (Stage::Queue, Outcome::Queued(sent)) => {
                let event = self.event.take()?;
                let event_type = event_type_of(&event);
                let ms = d.config.store_timeout_ms;
                let error = match sent {
                    Some(Ok(())) => return Some(Step::Reply(Reply::ok("{}".into(), event_type))),
                    Some(Err(e)) => e,
                    None => format!("the queue did not answer within {ms} ms"),
                };
                log_at!(
                    d.logger,
                    Level::Error,
                    "could not queue {}: {error}",
                    event.event_type
                );
                Some(Step::Reply(Reply::refused(Reason::QueueFailed, event_type)))
            }
            (Stage::Claiming(mut c), Outcome::Store(answer)) => {
                let now = self.dedupe.map_or(0, |dd| dd.runtime().now_ms());
                let logger = self.dedupe.map_or(&*d.logger, |dd| dd.log());
                let claim = c.advance(Some(answer), now, logger);
                self.stage = Stage::Claiming(c);
                claim.map(|claim| self.claimed(claim))
            }
            // The driver's mistake: refused.
            _ => Some(Step::Reply(Reply::refused(Reason::HandlerFailed, None))),
        }
    }

    fn start(&mut self) -> Option<Step<'static>> {
        let d = self.d;
        match self.source {
            Source::Request { body, headers, .. } => {
                if !d.config.verifies_http() {
                    return Some(Step::Reply(d.no_keys()));
                }
                let mut p = Parsing::begin(&d.config, body, headers, self.now_ms / 1000, d.flow);
                let parsed = p.advance(None);
                self.stage = Stage::Parsing(p);
                parsed.and_then(|parsed| self.parsed(parsed))
            }
            Source::Trusted(payload) => {
                let event = match super::parse::parse_trusted(&d.config, payload) {
                    Ok(Inbound::Event(e)) => e,
                    Ok(Inbound::Challenge { .. }) => {
                        return Some(Step::Reply(Reply::ok("{}".into(), None)))
                    }
                    // Refused for its size: 500, so the platform pushes it again (never acked
                    // 200 unhandled).
                    Err(Reason::BodyTooLarge) => {
                        log_at!(
                            d.logger,
                            Level::Error,
                            "long connection: refused an event of {} bytes (at most {}); acked 500",
                            payload.len(),
                            super::MAX_TRUSTED_EVENT_BYTES
                        );
                        return Some(Step::Reply(Reply {
                            status: 500,
                            ..Reply::refused(Reason::BodyTooLarge, None)
                        }));
                    }
                    Err(reason) => {
                        log_at!(
                            d.logger,
                            Level::Warn,
                            "long connection: dropped a payload that is not an event ({})",
                            reason.as_str()
                        );
                        return Some(Step::Reply(Reply::refused(reason, None)));
                    }
                };
                if !self.handler.handles(&event) {
                    log_at!(
                        d.logger,
                        Level::Debug,
                        "no handler for {}: acknowledged without dispatch",
                        event.event_type
                    );
                    return Some(Step::Reply(Reply::ok("{}".into(), event_type_of(&event))));
                }
                self.claim(event)
            }
            Source::Queued(message) => {
                let Some(event) = unqueued_event(message) else {
                    log_at!(
                        d.logger,
                        Level::Error,
                        "a queue message that is not a feishu-edge event was left for retry"
                    );
                    return Some(Step::Consumed(Consumed::Retry));
                };
                if !self.handler.handles(&event) {
                    return Some(Step::Consumed(Consumed::Ack));
                }
                self.claim(event)
            }
        }
    }

    /// The parse's outcome: a challenge's answer or a refusal (logged), or the event on to
    /// its `app_ticket`, handler, queue and claim.
    fn parsed(&mut self, parsed: std::result::Result<Inbound, Reason>) -> Option<Step<'static>> {
        let d = self.d;
        self.stage = Stage::Done;
        let event = match d.admit(parsed) {
            Ok(event) => event,
            Err(reply) => return Some(Step::Reply(reply)),
        };
        if event.event_type == "app_ticket" {
            let ticket = RawFields::parse(&event.payload).and_then(|f| f.str("app_ticket"));
            match (&d.app_tickets, ticket) {
                (Some(client), Some(_))
                    if event
                        .app_id
                        .as_deref()
                        .is_some_and(|id| id != client.app_id()) =>
                {
                    log_at!(d.logger, Level::Warn, "app_ticket for another app ignored");
                }
                (Some(_), Some(ticket)) => {
                    self.ticket = ticket;
                    self.event = Some(event);
                    self.stage = Stage::Ticket;
                    return None;
                }
                (None, _) => log_at!(
                    d.logger,
                    Level::Warn,
                    "app_ticket event received but no client is configured to store it"
                ),
                (_, None) => log_at!(
                    d.logger,
                    Level::Warn,
                    "app_ticket event without an app_ticket field"
                ),
            }
        }
        self.event = Some(event);
        self.route()
    }

    /// A verified event: acknowledged when no handler takes it, else queued or claimed.
    fn route(&mut self) -> Option<Step<'static>> {
        let d = self.d;
        self.stage = Stage::Done;
        let event = self.event.take()?;
        if !self.handler.handles(&event) {
            return Some(Step::Reply(d.unhandled(&event)));
        }
        if let Source::Request {
            mode: Mode::Enqueue,
            ..
        } = self.source
        {
            if !event.is_card_callback() {
                let message = queued_message(&event);
                self.event = Some(event);
                self.stage = Stage::Queue;
                return Some(Step::Queue {
                    message,
                    within_ms: d.config.store_timeout_ms,
                });
            }
        }
        self.claim(event)
    }

    /// Claims the event (a fresh budget), or hands it over unguarded when there is no store or
    /// no id.
    fn claim(&mut self, event: Event) -> Option<Step<'static>> {
        let (Some(dedupe), Some(id)) = (self.dedupe, &event.event_id) else {
            self.event = Some(event);
            return Some(self.handoff(None));
        };
        let key = self.d.dedupe_key(&event, id);
        let budget = dedupe.budget();
        let left = match budget.unlimited {
            true => u64::MAX,
            false => budget.left_ms(),
        };
        let mut claiming = dedupe.claiming(&key, left);
        self.event = Some(event);
        let claim = claiming.advance(None, dedupe.runtime().now_ms(), dedupe.log());
        self.stage = Stage::Claiming(claiming);
        claim.map(|claim| self.claimed(claim))
    }

    /// The claim's outcome: the handoff, or the reply that ends the delivery here (200
    /// duplicate, or 503 while another delivery holds it).
    fn claimed(&mut self, claim: Claim) -> Step<'static> {
        let d = self.d;
        self.stage = Stage::Done;
        let id = self
            .event
            .as_ref()
            .and_then(|e| e.event_id.clone())
            .unwrap_or_default();
        let queued = matches!(self.source, Source::Queued(_));
        let reply_type = match queued {
            true => None,
            false => self.event.as_ref().and_then(event_type_of),
        };
        match claim {
            Claim::Owned(lease) => self.handoff(Some(lease)),
            Claim::Unguarded => self.handoff(None),
            Claim::Duplicate => {
                log_at!(d.logger, Level::Info, "duplicate event {id} acknowledged");
                match queued {
                    true => Step::Consumed(Consumed::Ack),
                    false => Step::Reply(Reply {
                        duplicate: true,
                        ..Reply::ok("{}".into(), reply_type)
                    }),
                }
            }
            Claim::InProgress => {
                log_at!(
                    d.logger,
                    Level::Info,
                    "event {id} is being handled by another delivery: asking for a retry"
                );
                match queued {
                    true => Step::Consumed(Consumed::Retry),
                    false => Step::Reply(Reply::refused(Reason::EventInProgress, reply_type)),
                }
            }
        }
    }

    /// The event for its handler.
    fn handoff(&mut self, lease: Option<Lease>) -> Step<'static> {
        let Some(event) = self.event.take() else {
            return Step::Reply(Reply::refused(Reason::HandlerFailed, None));
        };
        let card = event.is_card_callback();
        let kind = match self.source {
            Source::Request {
                mode: Mode::Defer, ..
            } if !card => Kind::Deferred,
            Source::Request { .. } => Kind::Inline,
            Source::Trusted(_) => Kind::Trusted,
            Source::Queued(_) => Kind::Queued,
        };
        let reply_type = event_type_of(&event);
        let terms = self.dedupe.map(Dedupe::settle_terms);
        Step::Handle(Handoff {
            reply_now: (kind == Kind::Deferred).then(|| Reply::ok("{}".into(), reply_type.clone())),
            kind,
            reply_type,
            lease: lease
                .zip(terms)
                .map(|(l, (done, budget))| (l, done, budget)),
            event,
        })
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

#[cfg(test)]
#[cfg(feature = "rustcrypto")]
mod tests {
    use super::*;
    use crate::crypto::RustCrypto;
    use crate::log::NoLogger;
    use crate::runtime::BoxFuture;
    use crate::token::MemoryStore;
    use crate::webhook::crypto::{encrypt, event_signature};
    use crate::webhook::Flow;
    use crate::webhook::StoreOp;
    use std::sync::Arc;

    struct All;
    impl EventHandler for All {
        fn handles(&self, _: &Event) -> bool {
            true
        }
        fn call(&self, _: &Event) -> BoxFuture<'static, HandlerResult> {
            Box::pin(std::future::ready(Ok(None)))
        }
    }

    const KEY: &str = "ek";

    fn dispatcher() -> Dispatcher {
        let rt = Arc::new(crate::runtime::StdRuntime);
        let d = Dispatcher::new(
            WebhookConfig::new().encrypt_key(KEY),
            Flow::Event,
            rt.clone(),
        )
        .unwrap();
        d.dedupe(Arc::new(MemoryStore::new(rt)))
    }

    /// A signed, encrypted event with id `id`, its headers and the time it was signed.
    fn signed(id: &str, forged: bool) -> (Vec<u8>, Headers, u64) {
        let plain = format!(
            r#"{{"schema":"2.0","header":{{"event_id":"{id}","event_type":"im.message.receive_v1"}},"event":{{}}}}"#
        );
        let sealed = crate::crypto::now(encrypt(&RustCrypto, plain.as_bytes(), KEY, [3; 16]))
            .unwrap()
            .unwrap();
        let body = format!(r#"{{"encrypt":"{sealed}"}}"#).into_bytes();
        let now = 1_700_000_000u64;
        let key = if forged { "not the key" } else { KEY };
        let sig = crate::crypto::now(event_signature(
            &RustCrypto,
            &now.to_string(),
            "n",
            key,
            &body,
        ))
        .unwrap()
        .unwrap();
        let headers = Headers {
            timestamp: Some(now.to_string()),
            nonce: Some("n".into()),
            signature: Some(sig),
            content_type: None,
        };
        (body, headers, now * 1000)
    }

    /// Steps an intake with RustCrypto and `store` answers until it ends; the store calls made.
    fn run(
        intake: &mut Intake<'_>,
        mut store: impl FnMut(StoreOp<'_>) -> StoreOutcome,
    ) -> (Step<'static>, Vec<String>) {
        let mut outcome = Outcome::Start;
        let mut calls = Vec::new();
        loop {
            outcome = match intake.step(outcome) {
                Step::Crypto(op) => Outcome::Crypto(RustCrypto.compute(&op)),
                Step::Store(call) => {
                    calls.push(
                        format!("{:?}", call.op)
                            .split([' ', '{'])
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    );
                    Outcome::Store(store(call.op))
                }
                Step::Handle(h) => return (Step::Handle(h), calls),
                Step::Reply(r) => return (Step::Reply(r), calls),
                Step::Consumed(c) => return (Step::Consumed(c), calls),
                other => panic!("unexpected {other:?}"),
            };
        }
    }

    #[test]
    fn a_verified_event_is_claimed_then_handed_over() {
        let d = dispatcher();
        let (body, headers, now) = signed("e1", false);
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Reply, now);
        let (end, calls) = run(&mut intake, |_| StoreOutcome::Written(true));
        let Step::Handle(h) = end else {
            panic!("{end:?}")
        };
        assert_eq!(
            (h.event.event_id.as_deref(), calls),
            (Some("e1"), vec!["PutIfAbsent".to_string()])
        );
        // Settled: the claim is committed, the reply is the event's `{}`.
        let mut finishing = Finishing::begin(h, Ok(None));
        let FinishStep::Store(call) = finishing.step(Outcome::Start, &NoLogger) else {
            panic!()
        };
        assert!(matches!(call.op, StoreOp::Put { value: "done", .. }));
        let FinishStep::Done(Finished::Reply(reply)) =
            finishing.step(Outcome::Store(StoreOutcome::Done), &NoLogger)
        else {
            panic!()
        };
        assert_eq!((reply.status, reply.body.as_str()), (200, "{}"));
    }

    #[test]
    fn a_forged_signature_never_reaches_a_store_or_a_handler() {
        let d = dispatcher();
        let (body, headers, now) = signed("e1", true);
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Reply, now);
        let (end, calls) = run(&mut intake, |_| StoreOutcome::Written(true));
        let Step::Reply(reply) = end else {
            panic!("{end:?}")
        };
        assert_eq!(
            (reply.reason, calls.len()),
            (Some(Reason::SignatureMismatch), 0)
        );
    }

    #[test]
    fn a_lost_claim_on_a_handled_event_is_a_duplicate() {
        let d = dispatcher();
        let (body, headers, now) = signed("e2", false);
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Reply, now);
        let (end, calls) = run(&mut intake, |op| match op {
            StoreOp::PutIfAbsent { .. } => StoreOutcome::Written(false),
            _ => StoreOutcome::Value(Some("done".into())),
        });
        let Step::Reply(reply) = end else {
            panic!("{end:?}")
        };
        assert!(reply.duplicate && reply.status == 200);
        assert_eq!(calls, ["PutIfAbsent", "Get"]);
    }

    #[test]
    fn a_driver_answering_the_wrong_thing_is_refused_never_passed() {
        let d = dispatcher();
        let (body, headers, now) = signed("e3", false);
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Reply, now);
        assert!(matches!(intake.step(Outcome::Start), Step::Crypto(_)));
        // A store answer where a digest was asked for.
        let Step::Reply(reply) = intake.step(Outcome::Store(StoreOutcome::Written(true))) else {
            panic!()
        };
        assert_eq!(reply.status, 500);
        // A failed host primitive: refused.
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Reply, now);
        intake.step(Outcome::Start);
        let failed = Outcome::Crypto(Err(crate::crypto::CryptoError("boom".into())));
        let Step::Reply(reply) = intake.step(failed) else {
            panic!()
        };
        assert_eq!(reply.reason, Some(Reason::CryptoFailed));
    }

    #[test]
    fn a_handler_failure_releases_the_claim_then_reports() {
        let d = dispatcher();
        let (body, headers, now) = signed("e4", false);
        let mut intake = Intake::request(&d, &body, &headers, &All, Mode::Defer, now);
        let (end, _) = run(&mut intake, |_| StoreOutcome::Written(true));
        let Step::Handle(h) = end else { panic!() };
        assert!(
            h.reply_now.is_some(),
            "deferred: acknowledged before the handler runs"
        );
        let failure = HandlerFailure::failed("boom").report(Box::new(|| Box::pin(async {})));
        let mut finishing = Finishing::begin(h, Err(failure));
        let FinishStep::Store(call) = finishing.step(Outcome::Start, &NoLogger) else {
            panic!()
        };
        assert!(matches!(call.op, StoreOp::Get { .. }));
        // Someone else's claim now: nothing deleted; then the report, waited for (deferred).
        let step = finishing.step(
            Outcome::Store(StoreOutcome::Value(Some("other".into()))),
            &NoLogger,
        );
        assert!(matches!(
            step,
            FinishStep::Report {
                wait_ms: Some(REPORT_TIMEOUT_MS),
                ..
            }
        ));
        assert!(matches!(
            finishing.step(Outcome::Reported(true), &NoLogger),
            FinishStep::Done(Finished::Deferred)
        ));
    }
}
