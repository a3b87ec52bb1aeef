//! [`WsClient`]: the long connection natively, on tokio. Events and card callbacks arrive over
//! a WebSocket the app opens to the platform, so no public URL is needed (self-built apps);
//! they are handled by the same [`EventDispatcher`] (and its handlers, and its de-duplication
//! store) that serves the app's webhook URL over HTTP.
//!
//! The host of the sans-IO [`Connection`]: one driver task performs its [`Action`]s (the
//! endpoint request with its deadline and size bound, the socket, the one timer, sends, the
//! handler tasks) and feeds it what happened; the machine decides the rest (what an endpoint
//! reply means, pings, liveness, back-off, frames, acks). The same flow as the npm package's
//! `WSClient`.
//!
//! ```no_run
//! use feishu_edge::webhook::{Event, EventDispatcher, WebhookConfig};
//! use feishu_edge::{Config, WsClient};
//!
//! #[tokio::main]
//! async fn main() -> feishu_edge::Result<()> {
//!     let dispatcher = EventDispatcher::for_long_connection(WebhookConfig::new())?
//!         .on("im.message.receive_v1", |event: Event| async move {
//!             println!("{}", event.payload);
//!             Ok::<(), feishu_edge::Error>(())
//!         });
//!     let ws = WsClient::new(Config::new("cli_a1b2c3d4e5f6a7b8", "app secret"))?;
//!     ws.start(dispatcher).await?; // returns once connected
//!     tokio::signal::ctrl_c().await.ok();
//!     ws.close().await;
//!     Ok(())
//! }
//! ```

use crate::config::{AppType, Config};
use crate::error::{Error, Result};
use crate::log::{Level, Logger};
use crate::runtime::{BoxFuture, Runtime, StdRuntime};
use crate::webhook::{EventDispatcher, Reply, StderrLogger};
use crate::ws::{
    Action, Connection, ConnectionOptions, State, Status, ACK_AFTER_MS, CLOSE_WAIT_MS,
};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// How many frames (acks, pings) may wait for a socket that does not take them: past that a
/// frame is dropped (an ack so dropped is pushed again by the platform; a socket that stalls
/// this long is found dead by the liveness check).
const SEND_QUEUE: usize = 1024;
/// How long a socket being closed may take to send its close frame.
const CLOSE_FRAME_MS: u64 = 250;

/// What the connection tells the program, as the npm `WSClient`'s `onReady`, `onReconnecting`,
/// `onReconnected` and `onError`: given to [`WsClientBuilder::on_notice`]. The machine's log
/// lines go to the logger as well.
///
/// ```
/// use feishu_edge::Notice;
/// let describe = |n: Notice<'_>| match n {
///     Notice::Ready | Notice::Reconnected => "receiving events".to_string(),
///     Notice::Reconnecting => "connection lost; reconnecting".to_string(),
///     Notice::Error(e) => format!("attempt failed, another follows: {e}"),
///     Notice::Failed(e) => format!("refused for good: {e}"),
///     _ => String::new(),
/// };
/// assert_eq!(describe(Notice::Ready), "receiving events");
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// The first connection is open: events flow.
    Ready,
    /// An open connection was lost; reconnecting (with the machine's back-off).
    Reconnecting,
    /// Connected again.
    Reconnected,
    /// An attempt failed; another follows.
    Error(&'a Error),
    /// Refused for good (bad credentials, too many connections, forbidden): no more attempts;
    /// a pending [`WsClient::start`] returns this error.
    Failed(&'a Error),
}

type NoticeFn = Arc<dyn Fn(Notice<'_>) + Send + Sync>;

/// Settings for a [`WsClient`] beyond its [`Config`]: from [`WsClient::builder`].
///
/// ```
/// use std::sync::Arc;
/// use feishu_edge::{log::NoLogger, Config, WsClient};
/// let ws = WsClient::builder(Config::new("cli_a", "secret"))
///     .handshake_timeout_ms(5_000)
///     .auto_reconnect(true)
///     .logger(Arc::new(NoLogger))
///     .on_notice(|notice| eprintln!("long connection: {notice:?}"))
///     .build()
///     .unwrap();
/// assert_eq!(ws.state(), feishu_edge::ws::State::Idle);
/// ```
pub struct WsClientBuilder {
    config: Config,
    logger: Option<Arc<dyn Logger>>,
    notice: Option<NoticeFn>,
    handshake_timeout_ms: Option<u64>,
    endpoint_timeout_ms: Option<u64>,
    auto_reconnect: bool,
}

impl fmt::Debug for WsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClientBuilder")
            .field("app_id", &self.config.app_id)
            .field("base_url", &self.config.base_url_str())
            .field("handshake_timeout_ms", &self.handshake_timeout_ms)
            .field("endpoint_timeout_ms", &self.endpoint_timeout_ms)
            .field("auto_reconnect", &self.auto_reconnect)
            .finish_non_exhaustive()
    }
}

impl WsClientBuilder {
    /// Logs through `logger` instead of [`StderrLogger`] at [`Level::Warn`]: attempts that
    /// failed, connections lost and regained (info), frames dropped. Never the app secret,
    /// never the socket URL (its ticket is a credential), never an event's content.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use feishu_edge::{webhook::StderrLogger, Config, Level, WsClient};
    /// let ws = WsClient::builder(Config::new("cli_a", "secret"))
    ///     .logger(Arc::new(StderrLogger::new(Level::Info)))
    ///     .build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn logger(mut self, logger: Arc<dyn Logger>) -> Self {
        self.logger = Some(logger);
        self
    }

    /// Calls `notice` when the connection opens, is lost, opens again, or an attempt fails
    /// (see [`Notice`]). It runs on the driver task: keep it short (a panic in it is caught
    /// and ignored).
    ///
    /// ```
    /// use feishu_edge::{Config, Notice, WsClient};
    /// let ws = WsClient::builder(Config::new("cli_a", "secret"))
    ///     .on_notice(|n| if let Notice::Failed(e) = n { eprintln!("giving up: {e}") })
    ///     .build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn on_notice(mut self, notice: impl Fn(Notice<'_>) + Send + Sync + 'static) -> Self {
        self.notice = Some(Arc::new(notice));
        self
    }

    /// How long the WebSocket handshake (TCP, TLS, upgrade) may take (default 10 s): a
    /// handshake over time is a failed attempt.
    ///
    /// ```
    /// let ws = feishu_edge::WsClient::builder(feishu_edge::Config::new("cli_a", "s")).handshake_timeout_ms(3_000).build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn handshake_timeout_ms(mut self, ms: u64) -> Self {
        self.handshake_timeout_ms = Some(ms.max(1));
        self
    }

    /// How long the endpoint request (`POST /callback/ws/endpoint`, its reply's body
    /// included) may take; default: the config's `timeout_ms` (10 s), clamped to 1 ms–600 s.
    ///
    /// ```
    /// let ws = feishu_edge::WsClient::builder(feishu_edge::Config::new("cli_a", "s")).endpoint_timeout_ms(5_000).build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn endpoint_timeout_ms(mut self, ms: u64) -> Self {
        self.endpoint_timeout_ms = Some(ms);
        self
    }

    /// Reconnect after a drop and retry failed attempts (default `true`, with the machine's
    /// back-off: 0.5 s doubling up to the platform's reconnect interval, jittered). `false`:
    /// the first failure ends the client ([`Notice::Failed`] before it ever opened, a lost
    /// connection's [`Notice::Error`] after).
    ///
    /// ```
    /// let ws = feishu_edge::WsClient::builder(feishu_edge::Config::new("cli_a", "s")).auto_reconnect(false).build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.auto_reconnect = on;
        self
    }

    /// The client. Refuses a config without app id or secret, a marketplace app (the long
    /// connection serves self-built apps only) and keyless authentication (not supported by
    /// the native client yet); fails when no HTTP client or TLS configuration can be made.
    ///
    /// ```
    /// use feishu_edge::{AppType, Config, WsClient};
    /// assert_eq!(WsClient::builder(Config::new("cli_a", "")).build().unwrap_err().kind(), "config");
    /// let isv = Config::new("cli_a", "s").app_type(AppType::Marketplace);
    /// assert!(WsClient::builder(isv).build().is_err());
    /// ```
    pub fn build(self) -> Result<WsClient> {
        let config = self.config;
        config.validate()?;
        if config.app_type == AppType::Marketplace {
            return Err(Error::Config(
                "the long connection serves self-built apps only; marketplace apps receive events over HTTP".into(),
            ));
        }
        if config.client_assertion.is_some() {
            return Err(Error::Config(
                "the native WsClient does not support keyless authentication (clientAssertion) yet: give the app secret".into(),
            ));
        }
        // The endpoint lives on the Open API host, beside `/open-apis/`.
        let api = config.base_url_str();
        let origin = api.strip_suffix("open-apis/").unwrap_or(api);
        let mut options =
            ConnectionOptions::new(&config.app_id, config.app_secret.expose(), origin);
        if let Some(ms) = self.handshake_timeout_ms {
            options.handshake_timeout_ms = ms;
        }
        options.endpoint_timeout_ms = self
            .endpoint_timeout_ms
            .or(config.timeout_ms)
            .unwrap_or(10_000)
            .clamp(1, 600_000);
        options.auto_reconnect = self.auto_reconnect;
        options.seed = seed();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::Config(format!(
                    "no HTTP client for the endpoint request: {}",
                    describe(&e)
                ))
            })?;
        let shared = Shared {
            conn: Mutex::new(Connection::new(options)),
            waiters: Mutex::new(Vec::new()),
            dispatcher: Mutex::new(None),
            logger: self
                .logger
                .unwrap_or_else(|| Arc::new(StderrLogger::default())),
            notice: self.notice,
            http,
            tls: tls_config()?,
        };
        Ok(WsClient {
            shared: Arc::new(shared),
            driver: Mutex::new(None),
        })
    }
}

/// The long connection of a self-built app: connects (`POST /callback/ws/endpoint`, then the
/// WebSocket it names), receives events and card callbacks, hands each to an
/// [`EventDispatcher`]'s handlers and acknowledges it, pings, notices a silent socket, and
/// reconnects with back-off, until [`WsClient::close`]. The decisions are the sans-IO
/// [`Connection`]'s, as in the npm package's `WSClient`.
///
/// - **Handlers** are the dispatcher's ([`EventDispatcher::on`],
///   [`EventDispatcher::on_card_action`]): register them once, serve both the webhook URL and
///   the long connection. Each event runs on its own tokio task. Its ack carries the outcome:
///   code 200 (a card action's reply in it), or 500 when the handler failed or panicked (the
///   platform pushes the event again). A handler still running after
///   [`crate::ws::ACK_AFTER_MS`] (2.4 s) is acknowledged 200 anyway and keeps running: the
///   platform pushes again anything not acknowledged within 3 s.
/// - **De-duplication** is the dispatcher's store: an event pushed twice runs its handler once.
/// - **Bounds**: a socket message over [`Connection::max_frame_bytes`] is refused by the
///   WebSocket layer before it is buffered (the socket is then closed and the connection made
///   again, since the stream cannot be read past it); the endpoint reply is read up to
///   [`crate::ws::MAX_ENDPOINT_REPLY_BYTES`] within its deadline.
/// - **Secrets**: the app secret goes only into the endpoint request's body; the socket URL
///   (a one-time ticket) is never logged.
///
/// `Send + Sync`: share it in an `Arc`; its futures are `Send`. It needs a tokio runtime (the
/// `rt` and `time` drivers, as `#[tokio::main]` has). Dropping it closes the connection too,
/// without waiting.
///
/// ```no_run
/// # async fn run() -> feishu_edge::Result<()> {
/// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
/// use feishu_edge::{Config, WsClient};
/// let dispatcher = EventDispatcher::for_long_connection(WebhookConfig::new())?
///     .on_card_action(|_click| async {
///         Ok::<_, feishu_edge::Error>(Some(r#"{"toast":{"type":"success","content":"Done"}}"#.to_string()))
///     });
/// let ws = WsClient::new(Config::new("cli_a1b2c3d4e5f6a7b8", "app secret"))?;
/// ws.start(dispatcher).await?;
/// println!("{:?}", ws.status());
/// ws.close().await;
/// # Ok(()) }
/// ```
pub struct WsClient {
    shared: Arc<Shared>,
    /// The running driver task (none before `start` and after `close`).
    driver: Mutex<Option<Driver>>,
}

impl fmt::Debug for WsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClient")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// What the client and its driver task share. Locks are held briefly, never across an await;
/// the order is `driver` (the client's), then `conn`, then `waiters`.
struct Shared {
    conn: Mutex<Connection>,
    /// `start` calls waiting to settle.
    waiters: Mutex<Vec<oneshot::Sender<Result<()>>>>,
    dispatcher: Mutex<Option<Arc<EventDispatcher>>>,
    logger: Arc<dyn Logger>,
    notice: Option<NoticeFn>,
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
}

struct Driver {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

enum Command {
    /// Perform these actions (a `start` while the driver runs).
    Run(Vec<Action>),
    /// Close, then say so.
    Close(oneshot::Sender<()>),
}

impl WsClient {
    /// A client of the app `config` names, with the defaults (see [`WsClient::builder`]): its
    /// app id and secret, its host (`Config::region`, or `Config::base_url` for a proxy or the
    /// emulator), its `timeout_ms` for the endpoint request.
    ///
    /// ```
    /// use feishu_edge::{Config, Region, WsClient};
    /// let lark = WsClient::new(Config::new("cli_a", "secret").region(Region::Lark)).unwrap();
    /// let local = WsClient::new(Config::new("cli_a", "secret").base_url("http://127.0.0.1:8080").unwrap());
    /// assert!(local.is_ok());
    /// # let _ = lark;
    /// ```
    pub fn new(config: Config) -> Result<WsClient> {
        WsClient::builder(config).build()
    }

    /// A builder, for a logger, notices, timeouts or no reconnecting.
    ///
    /// ```
    /// let ws = feishu_edge::WsClient::builder(feishu_edge::Config::new("cli_a", "secret")).build();
    /// assert!(ws.is_ok());
    /// ```
    pub fn builder(config: Config) -> WsClientBuilder {
        WsClientBuilder {
            config,
            logger: None,
            notice: None,
            handshake_timeout_ms: None,
            endpoint_timeout_ms: None,
            auto_reconnect: true,
        }
    }

    /// Connects and hands every event and card callback to `dispatcher` (an
    /// [`EventDispatcher`], or an `Arc` of one shared with an HTTP server). Returns once
    /// connected; `Err` when the platform refuses the app for good (bad credentials, too many
    /// connections: [`Notice::Failed`]), when [`WsClient::close`] runs first, or outside a
    /// tokio runtime. Failed attempts in between are retried with back-off ([`Notice::Error`]
    /// each), so a platform that stays unreachable keeps this waiting: bound it with
    /// `tokio::time::timeout` if need be (the client keeps trying; `close` stops it).
    ///
    /// Called again while running, it only replaces the dispatcher (and waits for the
    /// connection if it is not open); after `close` it starts afresh.
    ///
    /// ```no_run
    /// # async fn run(ws: feishu_edge::WsClient) -> feishu_edge::Result<()> {
    /// use feishu_edge::webhook::{EventDispatcher, WebhookConfig};
    /// let dispatcher = EventDispatcher::for_long_connection(WebhookConfig::new())?
    ///     .on("im.chat.member.bot.added_v1", |_event| async { Ok::<(), String>(()) });
    /// match tokio::time::timeout(std::time::Duration::from_secs(30), ws.start(dispatcher)).await {
    ///     Ok(started) => started?,
    ///     Err(_) => eprintln!("not connected yet; still trying"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn start(&self, dispatcher: impl Into<Arc<EventDispatcher>>) -> Result<()> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config(
                "WsClient::start runs on a tokio runtime (inside #[tokio::main], or Runtime::block_on)".into(),
            )
        })?;
        *lock(&self.shared.dispatcher) = Some(dispatcher.into());
        let (settled, started) = oneshot::channel();
        {
            let mut driver = lock(&self.driver);
            let mut conn = lock(&self.shared.conn);
            if conn.state() == State::Open {
                return Ok(());
            }
            lock(&self.shared.waiters).push(settled);
            let actions = conn.start(now());
            drop(conn);
            match driver.as_ref().filter(|d| !d.commands.is_closed()) {
                Some(running) => {
                    let _ = running.commands.send(Command::Run(actions));
                }
                None => {
                    let (commands, inbox) = mpsc::unbounded_channel();
                    let task = runtime.spawn(drive(self.shared.clone(), inbox, actions));
                    *driver = Some(Driver { commands, task });
                }
            }
        }
        started.await.unwrap_or_else(|_| Err(closed_error()))
    }

    /// Closes the connection: the endpoint request or handshake in flight is abandoned, the
    /// socket closed, no reconnect and no timer afterwards; a pending [`WsClient::start`]
    /// returns an error. Returns once the handlers still running have finished, or after
    /// [`crate::ws::CLOSE_WAIT_MS`] (1 s) at most: their acks are not sent (the platform
    /// pushes those events again), and they are left to finish on their tasks.
    ///
    /// ```no_run
    /// # async fn run(ws: feishu_edge::WsClient) {
    /// ws.close().await;
    /// assert_eq!(ws.state(), feishu_edge::ws::State::Closed);
    /// # }
    /// ```
    pub async fn close(&self) {
        let driver = lock(&self.driver).take();
        let Some(driver) = driver else {
            // Never started (or closed already): nothing runs, nothing to wait for.
            let _ = lock(&self.shared.conn).close();
            settle(&self.shared, Err(closed_error()));
            return;
        };
        let (done, closed) = oneshot::channel();
        if driver.commands.send(Command::Close(done)).is_err() {
            return;
        }
        // The driver bounds its own wait by CLOSE_WAIT_MS; this bound only guards against a
        // runtime that stopped polling it.
        match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                let most = Duration::from_millis(CLOSE_WAIT_MS + 500);
                if tokio::time::timeout(most, closed).await.is_err() {
                    driver.task.abort();
                    let _ = lock(&self.shared.conn).close();
                    settle(&self.shared, Err(closed_error()));
                }
            }
            Err(_) => {
                let _ = closed.await;
            }
        }
    }

    /// A snapshot: the state, when the last connection opened, when the next attempt is due,
    /// failed attempts since the last open connection, the last inbound frame (epoch ms), as
    /// the npm `getConnectionStatus()`.
    ///
    /// ```
    /// let ws = feishu_edge::WsClient::new(feishu_edge::Config::new("cli_a", "secret")).unwrap();
    /// let status = ws.status();
    /// assert_eq!((status.state.as_str(), status.reconnect_attempts), ("idle", 0));
    /// ```
    pub fn status(&self) -> Status {
        lock(&self.shared.conn).status()
    }

    /// The state: idle, connecting, open, reconnecting, closed or failed.
    ///
    /// ```
    /// use feishu_edge::{ws::State, Config, WsClient};
    /// assert_eq!(WsClient::new(Config::new("cli_a", "secret")).unwrap().state(), State::Idle);
    /// ```
    pub fn state(&self) -> State {
        lock(&self.shared.conn).state()
    }
}

/// A lock whose holder panicked is still usable: nothing here leaves the data half-changed.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now() -> u64 {
    StdRuntime.now_ms()
}

/// The reconnect jitter's seed: this process's random hasher keys and the clock.
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now());
    h.finish()
}

fn closed_error() -> Error {
    Error::Network("the WsClient was closed before it connected".into())
}

/// An error and its sources, on one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// The socket's TLS: the process's default rustls provider if one is installed, aws-lc-rs
/// otherwise, and the platform's certificate verifier (as reqwest's rustls).
fn tls_config() -> Result<Arc<rustls::ClientConfig>> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let tls = |e: rustls::Error| Error::Config(format!("no TLS configuration for the socket: {e}"));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_platform_verifier()
        .map_err(tls)?
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Settles every pending `start`.
fn settle(shared: &Shared, outcome: Result<()>) {
    let waiters = std::mem::take(&mut *lock(&shared.waiters));
    for w in waiters {
        let _ = w.send(outcome.clone());
    }
}

/// Writes a line through the program's logger; a logger that panics loses the line, never the
/// connection's driver (which `start` and `close` wait on).
fn log(shared: &Shared, level: Level, line: &str) {
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        if shared.logger.enabled(level) {
            shared.logger.log(level, line);
        }
    }));
}

fn notify(shared: &Shared, notice: Notice<'_>) {
    if let Some(f) = &shared.notice {
        // A callback that panics is not the connection's failure.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| f(notice)));
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the endpoint request came to.
enum Fetched {
    Reply {
        status: u16,
        reset_secs: Option<u64>,
        body: Vec<u8>,
    },
    TimedOut,
    Failed(String),
}

/// What a dial came to.
enum Dialed {
    Open(Box<Socket>),
    Refused {
        status: u16,
        auth_code: Option<i64>,
        msg: String,
    },
    Failed(String),
}

/// A delivery's outcome, for its ack.
struct Outcome {
    id: u64,
    code: u16,
    reply: Option<String>,
    biz_rt_ms: u64,
}

/// The open socket: its reading half here, its writing half on a task fed by `send`.
struct Open {
    generation: u64,
    reader: SplitStream<Socket>,
    send: mpsc::Sender<Vec<u8>>,
}

/// The driver's I/O in flight.
struct Io {
    endpoint: Option<(u64, BoxFuture<'static, Fetched>)>,
    dial: Option<(u64, BoxFuture<'static, Dialed>)>,
    open: Option<Open>,
    /// Handler and socket-writer tasks.
    tasks: JoinSet<()>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

/// The driver: performs the machine's actions and feeds it what happened, until closed (or the
/// client is dropped).
async fn drive(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    first: Vec<Action>,
) {
    let (outcomes, mut finished) = mpsc::unbounded_channel();
    let mut io = Io {
        endpoint: None,
        dial: None,
        open: None,
        tasks: JoinSet::new(),
        outcomes,
    };
    let mut todo = first;
    loop {
        for action in std::mem::take(&mut todo) {
            perform(&shared, &mut io, action);
        }
        let deadline = lock(&shared.conn).next_deadline();
        let timer = async {
            match deadline {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now()))).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Run(actions)) => todo = actions,
                Some(Command::Close(done)) => {
                    shut_down(&shared, io).await;
                    let _ = done.send(());
                    return;
                }
                // The client was dropped: close, without anyone waiting.
                None => {
                    shut_down(&shared, io).await;
                    return;
                }
            },
            Some(outcome) = finished.recv() => {
                let ack = lock(&shared.conn).ack(outcome.id, outcome.code, outcome.biz_rt_ms, outcome.reply.as_deref().map(str::as_bytes));
                if let Some(frame) = ack {
                    send(&shared, &mut io, frame);
                }
            }
            fetched = pending_or(io.endpoint.as_mut().map(|(_, f)| f)) => {
                let Some((attempt, _)) = io.endpoint.take() else { continue };
                let mut conn = lock(&shared.conn);
                if conn.endpoint_attempt() != Some(attempt) {
                    continue;
                }
                todo = match fetched {
                    Fetched::Reply { status, reset_secs, body } => conn.endpoint_reply_with(now(), status, reset_secs, &body),
                    Fetched::TimedOut => {
                        let ms = conn.endpoint_limits().0;
                        conn.endpoint_failed(now(), Error::Timeout { ms })
                    }
                    Fetched::Failed(why) => conn.endpoint_failed(now(), Error::Network(format!("the long-connection endpoint request failed: {why}"))),
                };
            }
            dialed = pending_or(io.dial.as_mut().map(|(_, f)| f)) => {
                let Some((generation, _)) = io.dial.take() else { continue };
                todo = match dialed {
                    Dialed::Open(socket) => {
                        let (sink, reader) = (*socket).split();
                        let (send, queue) = mpsc::channel(SEND_QUEUE);
                        io.tasks.spawn(write(sink, queue));
                        io.open = Some(Open { generation, reader, send });
                        lock(&shared.conn).opened(generation, now())
                    }
                    Dialed::Refused { status, auth_code, msg } => lock(&shared.conn).refused(generation, now(), status, auth_code, &msg),
                    Dialed::Failed(why) => lock(&shared.conn).closed(generation, now(), &why),
                };
            }
            received = next_message(io.open.as_mut()) => {
                let Some(generation) = io.open.as_ref().map(|o| o.generation) else { continue };
                let mut conn = lock(&shared.conn);
                todo = match received {
                    Some(Ok(Message::Binary(bytes))) => conn.message(generation, now(), &bytes),
                    Some(Ok(Message::Text(_))) => conn.text(generation, now()),
                    // WebSocket pings are answered by the socket layer; pongs and raw frames mean nothing here.
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Vec::new(),
                    Some(Ok(Message::Close(frame))) => {
                        io.open = None;
                        let why = frame.map_or_else(|| "closed without a code".to_string(), |f| format!("closed with code {}", u16::from(f.code)));
                        conn.closed(generation, now(), &why)
                    }
                    // Refused before it was buffered; the stream cannot be read past it.
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, .. }))) => {
                        io.open = None;
                        let mut out = conn.oversized(generation, now(), size as u64);
                        out.extend(conn.closed(generation, now(), "a message over the size limit arrived"));
                        out
                    }
                    Some(Err(e)) => {
                        io.open = None;
                        conn.closed(generation, now(), &describe(&e))
                    }
                    None => {
                        io.open = None;
                        conn.closed(generation, now(), "the socket ended")
                    }
                };
            }
            () = timer => todo = lock(&shared.conn).tick(now()),
            Some(_) = io.tasks.join_next(), if !io.tasks.is_empty() => {}
        }
    }
}

/// `future`'s output, or never when there is none.
async fn pending_or<T>(future: Option<&mut BoxFuture<'static, T>>) -> T {
    match future {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// The open socket's next message, or never when none is open.
async fn next_message(open: Option<&mut Open>) -> Option<std::result::Result<Message, WsError>> {
    match open {
        Some(o) => o.reader.next().await,
        None => std::future::pending().await,
    }
}

/// Performs one of the machine's actions.
fn perform(shared: &Arc<Shared>, io: &mut Io, action: Action) {
    match action {
        Action::FetchEndpoint => {
            let conn = lock(&shared.conn);
            let Some(attempt) = conn.endpoint_attempt() else {
                return;
            };
            let (url, body) = conn.endpoint_request();
            let (timeout_ms, max_bytes) = conn.endpoint_limits();
            drop(conn);
            let request = fetch(shared.http.clone(), url, body, timeout_ms, max_bytes);
            io.endpoint = Some((attempt, Box::pin(request)));
        }
        Action::Connect { url, generation } => {
            io.open = None;
            let max = lock(&shared.conn).max_frame_bytes();
            io.dial = Some((generation, Box::pin(dial(url, shared.tls.clone(), max))));
        }
        Action::Send(frame) => send(shared, io, frame),
        Action::CloseSocket { generation } => {
            if io.dial.as_ref().is_some_and(|(g, _)| *g == generation) {
                io.dial = None;
            }
            if io.open.as_ref().is_some_and(|o| o.generation == generation) {
                // Its writer sends a close frame (briefly) and ends.
                io.open = None;
            }
        }
        Action::Deliver { id, payload } => {
            let dispatcher = lock(&shared.dispatcher).clone();
            io.tasks
                .spawn(handle(dispatcher, id, payload, io.outcomes.clone()));
        }
        // Told before `start` returns, so a program sees `Ready` by the time it is connected.
        Action::Ready => {
            notify(shared, Notice::Ready);
            settle(shared, Ok(()));
        }
        Action::Reconnected => {
            notify(shared, Notice::Reconnected);
            settle(shared, Ok(()));
        }
        Action::Reconnecting => notify(shared, Notice::Reconnecting),
        Action::Error(e) => notify(shared, Notice::Error(&e)),
        Action::Failed(e) => {
            let line = format!("long connection refused for good, no more attempts: {e}");
            log(shared, Level::Error, &line);
            notify(shared, Notice::Failed(&e));
            settle(shared, Err(e.clone()));
        }
        Action::Log(level, line) => log(shared, level, &line),
    }
}

/// Queues `frame` for the open socket (dropped when none is open: the machine learns of the
/// loss from the socket).
fn send(shared: &Shared, io: &mut Io, frame: Vec<u8>) {
    let Some(open) = &io.open else { return };
    if let Err(mpsc::error::TrySendError::Full(_)) = open.send.try_send(frame) {
        log(
            shared,
            Level::Warn,
            "long connection: the socket takes no frames; one was dropped",
        );
    }
}

/// Closes for good: the machine closes, the I/O in flight is dropped, pending `start`s
/// return, and the tasks still running get [`CLOSE_WAIT_MS`] to finish.
async fn shut_down(shared: &Shared, io: Io) {
    let _ = lock(&shared.conn).close();
    let Io {
        endpoint,
        dial,
        open,
        mut tasks,
        outcomes,
    } = io;
    drop((endpoint, dial, open, outcomes));
    settle(shared, Err(closed_error()));
    let all = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_millis(CLOSE_WAIT_MS), all).await;
    // Handlers still running finish on their own (their acks are not sent).
    tasks.detach_all();
}

/// The endpoint request: POST with its deadline (reply body included) and size bound.
async fn fetch(
    client: reqwest::Client,
    url: String,
    body: String,
    timeout_ms: u64,
    max_bytes: usize,
) -> Fetched {
    let work = async {
        let mut res = client
            .post(&url)
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .header("locale", "zh")
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e.without_url()))?;
        let status = res.status().as_u16();
        let reset_secs = res
            .headers()
            .get(crate::config::RATE_LIMIT_RESET_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let too_large = || format!("the reply is larger than {max_bytes} bytes");
        if res.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| describe(&e.without_url()))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, reset_secs, body))
    };
    match tokio::time::timeout(Duration::from_millis(timeout_ms), work).await {
        Err(_) => Fetched::TimedOut,
        Ok(Err(why)) => Fetched::Failed(why),
        Ok(Ok((status, reset_secs, body))) => Fetched::Reply {
            status,
            reset_secs,
            body,
        },
    }
}

/// Dials the socket, its messages bounded by `max` bytes (refused before they are buffered).
/// The machine's handshake deadline drops this future when it is over.
async fn dial(url: String, tls: Arc<rustls::ClientConfig>, max: usize) -> Dialed {
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    let connector = match url.starts_with("wss://") {
        true => Connector::Rustls(tls),
        false => Connector::Plain,
    };
    let dialed = tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        Some(config),
        true,
        Some(connector),
    )
    .await;
    match dialed {
        Ok((socket, _)) => Dialed::Open(Box::new(socket)),
        Err(WsError::Http(response)) => {
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
            };
            Dialed::Refused {
                status: response.status().as_u16(),
                auth_code: header("handshake-autherrcode").and_then(|c| c.parse().ok()),
                msg: header("handshake-msg").unwrap_or_default().to_string(),
            }
        }
        // The machine redacts any URL a message quotes (the ticket is a credential).
        Err(e) => Dialed::Failed(describe(&e)),
    }
}

/// The socket's writing half: sends what is queued, in order; when the queue closes (the
/// socket is done with), a close frame, briefly.
async fn write(mut sink: SplitSink<Socket, Message>, mut queue: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = queue.recv().await {
        if sink.send(Message::Binary(frame.into())).await.is_err() {
            return;
        }
    }
    let _ = tokio::time::timeout(Duration::from_millis(CLOSE_FRAME_MS), sink.close()).await;
}

/// Runs delivery `id` through the dispatcher and reports its outcome for the ack: at once when
/// the handler is done within [`ACK_AFTER_MS`], else 200 then (the handler keeps running, its
/// outcome still settles the de-duplication store).
async fn handle(
    dispatcher: Option<Arc<EventDispatcher>>,
    id: u64,
    payload: Vec<u8>,
    outcomes: mpsc::UnboundedSender<Outcome>,
) {
    let started = tokio::time::Instant::now();
    let work = async move {
        match dispatcher {
            Some(d) => d.deliver_trusted(&payload).await,
            // Not reached: `start` always gives a dispatcher.
            None => Reply {
                status: 200,
                body: "{}".into(),
                event_type: None,
                reason: None,
                duplicate: false,
            },
        }
    };
    tokio::pin!(work);
    let early = tokio::time::sleep(Duration::from_millis(ACK_AFTER_MS));
    let elapsed = |started: tokio::time::Instant| started.elapsed().as_millis() as u64;
    tokio::select! {
        reply = &mut work => {
            // 500 (pushed again) when the handler failed or another delivery holds the event;
            // a payload that is not an event is acked 200 (no push will ever make it one).
            let code = if reply.status >= 500 { 500 } else { 200 };
            let reply = (reply.status == 200 && reply.body != "{}").then_some(reply.body);
            let _ = outcomes.send(Outcome { id, code, reply, biz_rt_ms: elapsed(started) });
        }
        () = early => {
            let _ = outcomes.send(Outcome { id, code: 200, reply: None, biz_rt_ms: elapsed(started) });
            let _ = work.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send_sync<T: Send + Sync + 'static>() {}
    fn is_send<T: Send>(_: &T) {}

    /// Compile-time: the client sits in an `Arc` across threads and its futures run on
    /// `tokio::spawn`.
    #[test]
    fn the_client_and_its_futures_cross_threads() {
        is_send_sync::<WsClient>();
        is_send_sync::<WsClientBuilder>();
        let ws = WsClient::new(Config::new("cli_a", "secret")).unwrap();
        let dispatcher =
            EventDispatcher::for_long_connection(crate::webhook::WebhookConfig::new()).unwrap();
        is_send(&ws.start(dispatcher));
        is_send(&ws.close());
        is_send(&drive(
            ws.shared.clone(),
            mpsc::unbounded_channel().1,
            Vec::new(),
        ));
    }

    #[test]
    fn start_outside_a_runtime_is_an_error_not_a_panic() {
        let ws = WsClient::new(Config::new("cli_a", "secret")).unwrap();
        let dispatcher =
            EventDispatcher::for_long_connection(crate::webhook::WebhookConfig::new()).unwrap();
        let e = futures_executor::block_on(ws.start(dispatcher)).unwrap_err();
        assert_eq!(e.kind(), "config");
        // Closing a client that never started is immediate.
        futures_executor::block_on(ws.close());
        assert_eq!(ws.state(), State::Closed);
    }

    #[test]
    fn keyless_and_marketplace_apps_are_refused() {
        let mut keyless = Config::new("cli_a", "");
        assert!(WsClient::new(keyless.clone()).is_err());
        keyless.app_secret = crate::config::Secret::new("s");
        let isv = keyless.app_type(AppType::Marketplace);
        let e = WsClient::new(isv).unwrap_err();
        assert!(e.to_string().contains("self-built"), "{e}");
    }
}
