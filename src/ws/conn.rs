//! The long connection's state machine, sans-IO: the host feeds it what happened (an endpoint
//! reply, a socket opened or closed, a message, the clock) and performs the [`Action`]s it
//! returns (fetch the endpoint, dial, send, close, deliver an event, tell the user). It decides
//! everything else: what an endpoint reply means, when to ping, when a silent socket is dead,
//! how long to wait before the next attempt, what a frame is, and what an ack holds.
//!
//! ```
//! use feishu_edge::ws::{Action, Connection, ConnectionOptions, State};
//! let mut c = Connection::new(ConnectionOptions::new("cli_a", "secret", "https://open.feishu.cn/"));
//! assert!(matches!(c.start(0)[..], [Action::FetchEndpoint]));
//! let reply = br#"{"code":0,"data":{"URL":"wss://x/ws/v2?service_id=7","ClientConfig":{"PingInterval":90}}}"#;
//! let Action::Connect { generation, .. } = c.endpoint_reply(1, 200, reply).remove(0) else { panic!() };
//! let actions = c.opened(generation, 2);
//! assert!(matches!(actions[..], [Action::Send(_), Action::Log(..), Action::Ready]));
//! assert_eq!((c.state(), c.next_deadline()), (State::Open, Some(90_002)));
//! ```

use super::frame::{self, Frame, METHOD_CONTROL, METHOD_DATA};
use super::reassembly::{Dropped, Part, Reassembly, MAX_MESSAGE_BYTES};
use crate::config::Secret;
use crate::error::{ApiError, Error};
use crate::json::{quote, ObjectWriter, RawFields};
use crate::log::Level;
use std::collections::HashMap;

/// Endpoint codes worth retrying: 1 (system busy) and 1000040343 (internal error).
pub const RETRYABLE_ENDPOINT_CODES: [i64; 2] = [1, 1_000_040_343];
/// `Handshake-Autherrcode` of a refusal for too many connections (at most 50 per app).
pub const TOO_MANY_CONNECTIONS: i64 = 1_000_040_350;
/// Pings without any inbound frame after which a socket counts as dead.
pub const LIVENESS_PINGS: u64 = 3;
/// The wait after a first failed attempt; each further failure doubles it (plus up to half of
/// it in jitter), whatever the platform's `ClientConfig` says.
pub const FIRST_RETRY_MS: u64 = 500;
/// Failed attempts keep growing up to the platform's reconnect interval, but never stop
/// growing below this (a `ReconnectInterval` of 0 removes no floor).
pub const MIN_RETRY_CEILING_MS: u64 = 30_000;
/// A connection counts as established (its loss starts the back-off afresh) once an event
/// arrived on it or it stayed open this long; one that opens and drops sooner is a failed
/// attempt, so an accept-then-drop loop backs off like any other failure.
pub const ESTABLISHED_AFTER_MS: u64 = 10_000;
/// The endpoint's rate-limit code (HTTP 429, 400 or 200): retried, after the reset hint.
pub const RATE_LIMITED: i64 = 99_991_400;
/// The longest wait a rate limit's reset hint may impose.
pub const MAX_RATE_LIMIT_WAIT_MS: u64 = 600_000;
/// The most bytes of an endpoint reply that are read (a larger reply is a failed attempt).
pub const MAX_ENDPOINT_REPLY_BYTES: usize = 64 << 10;
/// The most deliveries awaiting an ack that are remembered.
const MAX_UNACKED: usize = 4096;

/// The timings the platform sends (`ClientConfig`, in the endpoint reply and in pongs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// How often to ping.
    pub ping_ms: u64,
    /// The longest wait between failed attempts (they back off from 0.5 s up to this).
    pub reconnect_interval_ms: u64,
    /// The first attempt after a drop waits a random time below this.
    pub reconnect_nonce_ms: u64,
    /// Attempts the platform suggests (−1: forever). Informational: this client retries
    /// until closed or refused for good.
    pub reconnect_count: i64,
}

impl Default for ClientConfig {
    /// The platform's defaults before a config arrives: ping 120 s, reconnect 120 s, jitter 30 s.
    fn default() -> Self {
        ClientConfig {
            ping_ms: 120_000,
            reconnect_interval_ms: 120_000,
            reconnect_nonce_ms: 30_000,
            reconnect_count: -1,
        }
    }
}

impl ClientConfig {
    /// This config updated by a `ClientConfig` JSON object (seconds; absent or invalid fields
    /// keep their value; values are clamped to sane bounds).
    ///
    /// ```
    /// use feishu_edge::ws::ClientConfig;
    /// let c = ClientConfig::default().updated(r#"{"PingInterval":30,"ReconnectNonce":-4,"ReconnectInterval":"x"}"#);
    /// assert_eq!((c.ping_ms, c.reconnect_nonce_ms, c.reconnect_interval_ms), (30_000, 0, 120_000));
    /// ```
    pub fn updated(mut self, json: &str) -> ClientConfig {
        let Some(f) = RawFields::parse(json) else {
            return self;
        };
        let ms = |k: &str, min: u64| f.get(k).and_then(millis).map(|v| v.clamp(min, 3_600_000));
        if let Some(v) = ms("PingInterval", 100) {
            self.ping_ms = v;
        }
        if let Some(v) = ms("ReconnectInterval", 0) {
            self.reconnect_interval_ms = v;
        }
        if let Some(v) = ms("ReconnectNonce", 0) {
            self.reconnect_nonce_ms = v;
        }
        if let Some(v) = f.get("ReconnectCount").and_then(|r| r.parse::<i64>().ok()) {
            self.reconnect_count = v;
        }
        self
    }
}

/// A JSON number of seconds as whole milliseconds (negative: 0; digits past the third decimal
/// dropped), without pulling float parsing into the wasm.
fn millis(raw: &str) -> Option<u64> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if negative {
        return Some(0);
    }
    let whole: u64 = whole
        .parse()
        .unwrap_or(u64::MAX / 2000)
        .min(u64::MAX / 2000);
    let frac = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |n, b| n * 10 + u64::from(b - b'0'));
    Some(whole * 1000 + frac)
}

/// Where the connection is, as `getConnectionStatus().state` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Idle,
    /// The first connection is being made.
    Connecting,
    /// Connected: events flow.
    Open,
    /// The connection was lost (or an attempt failed after one was open); trying again.
    Reconnecting,
    /// Closed by the user (or dropped with `autoReconnect: false`).
    Closed,
    /// Refused for good (bad credentials, too many connections, forbidden).
    Failed,
}

impl State {
    /// Its name: `idle`, `connecting`, `open`, `reconnecting`, `closed`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Open => "open",
            State::Reconnecting => "reconnecting",
            State::Closed => "closed",
            State::Failed => "failed",
        }
    }
}

/// What the host must do.
#[derive(Debug)]
pub enum Action {
    /// POST [`Connection::endpoint_request`] (with a timeout) and report the reply through
    /// [`Connection::endpoint_reply`] or [`Connection::endpoint_failed`].
    FetchEndpoint,
    /// Dial `url`; report `opened`, `refused`, `closed` and messages with `generation`.
    Connect {
        /// The `wss://` URL (a one-time ticket: never logged).
        url: String,
        /// Tags this socket's events.
        generation: u64,
    },
    /// Send this binary message on the open socket.
    Send(Vec<u8>),
    /// Close the socket of this generation.
    CloseSocket {
        /// Which socket.
        generation: u64,
    },
    /// Run the handler on this event's JSON, then send [`Connection::ack`] of `id`.
    Deliver {
        /// The delivery to acknowledge.
        id: u64,
        /// The joined payload (the event JSON, as a webhook body after decryption).
        payload: Vec<u8>,
    },
    /// The first connection is open (`onReady`).
    Ready,
    /// An open connection was lost; reconnecting (`onReconnecting`).
    Reconnecting,
    /// Connected again (`onReconnected`).
    Reconnected,
    /// An attempt failed; another follows (`onError`).
    Error(Error),
    /// Refused for good: no more attempts (`onError`, and `start()` rejects if pending).
    Failed(Error),
    /// A line for the logger.
    Log(Level, String),
}

/// What the connection needs to know up front.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// The app id.
    pub app_id: String,
    /// The app secret (sent only in the endpoint request body).
    pub app_secret: Secret,
    /// The platform origin, ending in `/` (`https://open.feishu.cn/`).
    pub origin: String,
    /// How long a handshake may take (default 10 s).
    pub handshake_timeout_ms: u64,
    /// How long the endpoint request may take, reply body included (default 10 s).
    pub endpoint_timeout_ms: u64,
    /// Reconnect after a drop (default true).
    pub auto_reconnect: bool,
    /// Seeds the jitter.
    pub seed: u64,
}

impl ConnectionOptions {
    /// Options with the defaults.
    pub fn new(app_id: &str, app_secret: &str, origin: &str) -> ConnectionOptions {
        ConnectionOptions {
            app_id: app_id.to_string(),
            app_secret: Secret::new(app_secret),
            origin: origin.to_string(),
            handshake_timeout_ms: 10_000,
            endpoint_timeout_ms: 10_000,
            auto_reconnect: true,
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Waiting {
        at: u64,
    },
    /// The endpoint request of attempt `attempt` is in flight.
    Fetching {
        attempt: u64,
    },
    Dialing {
        generation: u64,
        deadline: u64,
    },
    Open {
        generation: u64,
    },
}

/// A snapshot for `getConnectionStatus()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The state.
    pub state: State,
    /// When the last connection opened (epoch ms).
    pub last_connect_ms: Option<u64>,
    /// When the next attempt is due, while waiting (epoch ms).
    pub next_connect_ms: Option<u64>,
    /// Failed attempts since the last open connection.
    pub reconnect_attempts: u32,
    /// The last inbound frame (epoch ms), while open.
    pub last_frame_ms: Option<u64>,
}

/// One long connection's state.
pub struct Connection {
    opts: ConnectionOptions,
    config: ClientConfig,
    state: State,
    phase: Phase,
    generation: u64,
    /// The last endpoint attempt's number (see [`Connection::endpoint_attempt`]).
    endpoint_attempts: u64,
    service_id: i32,
    last_inbound: u64,
    next_ping: u64,
    attempts: u32,
    /// Failed attempts since the last established connection: the back-off's exponent.
    streak: u32,
    /// When the open socket opened, and whether an event arrived on it.
    opened_at: u64,
    delivered: bool,
    ever_open: bool,
    last_connect: Option<u64>,
    reassembly: Reassembly,
    unacked: HashMap<u64, (u64, Frame)>,
    next_delivery: u64,
    rng: u64,
}

impl Connection {
    /// A connection that has not started.
    pub fn new(opts: ConnectionOptions) -> Connection {
        let rng = opts.seed | 1;
        Connection {
            opts,
            config: ClientConfig::default(),
            state: State::Idle,
            phase: Phase::Idle,
            generation: 0,
            endpoint_attempts: 0,
            service_id: 0,
            last_inbound: 0,
            next_ping: 0,
            attempts: 0,
            streak: 0,
            opened_at: 0,
            delivered: false,
            ever_open: false,
            last_connect: None,
            reassembly: Reassembly::default(),
            unacked: HashMap::new(),
            next_delivery: 0,
            rng,
        }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The timings in force.
    pub fn client_config(&self) -> ClientConfig {
        self.config
    }

    /// A snapshot of the state.
    pub fn status(&self) -> Status {
        Status {
            state: self.state,
            last_connect_ms: self.last_connect,
            next_connect_ms: match self.phase {
                Phase::Waiting { at } => Some(at),
                _ => None,
            },
            reconnect_attempts: self.attempts,
            last_frame_ms: matches!(self.phase, Phase::Open { .. }).then_some(self.last_inbound),
        }
    }

    /// The URL and JSON body of the endpoint request (`locale: zh` header). The body holds the
    /// app secret: send it, never log it.
    pub fn endpoint_request(&self) -> (String, String) {
        let mut body = ObjectWriter::default();
        body.field("AppID", &quote(&self.opts.app_id));
        body.field("AppSecret", &quote(self.opts.app_secret.expose()));
        (
            format!("{}callback/ws/endpoint", self.opts.origin),
            body.finish(),
        )
    }

    /// Starts connecting (again, after a close).
    pub fn start(&mut self, _now: u64) -> Vec<Action> {
        if !matches!(self.state, State::Idle | State::Closed | State::Failed) {
            return Vec::new();
        }
        self.state = State::Connecting;
        self.ever_open = false;
        self.attempts = 0;
        self.streak = 0;
        self.phase = self.fetching();
        vec![Action::FetchEndpoint]
    }

    /// A new endpoint attempt's phase (its number one more than the last).
    fn fetching(&mut self) -> Phase {
        self.endpoint_attempts += 1;
        Phase::Fetching {
            attempt: self.endpoint_attempts,
        }
    }

    /// The endpoint attempt in flight (each [`Action::FetchEndpoint`] starts a new one), or
    /// `None` when none is. A host that performs the request asynchronously keeps the number
    /// with it and reports the outcome only while it is still the one in flight: a reply or
    /// failure of an attempt abandoned by [`Connection::close`] (and a `start` since) is stale.
    pub fn endpoint_attempt(&self) -> Option<u64> {
        match self.phase {
            Phase::Fetching { attempt } => Some(attempt),
            _ => None,
        }
    }

    /// How long the endpoint request may take (reply body included), and the most bytes of
    /// its reply to read.
    pub fn endpoint_limits(&self) -> (u64, usize) {
        (self.opts.endpoint_timeout_ms, MAX_ENDPOINT_REPLY_BYTES)
    }

    /// The endpoint answered (any HTTP status).
    pub fn endpoint_reply(&mut self, now: u64, status: u16, body: &[u8]) -> Vec<Action> {
        self.endpoint_reply_with(now, status, None, body)
    }

    /// The endpoint answered; `reset_secs` is its rate-limit reset hint
    /// (`x-ogw-ratelimit-reset`), when it sent one. A rate limit (HTTP 429, or code
    /// [`RATE_LIMITED`] with any status) is retried no sooner than the hint; bad credentials
    /// and the other refusals stop for good.
    pub fn endpoint_reply_with(
        &mut self,
        now: u64,
        status: u16,
        reset_secs: Option<u64>,
        body: &[u8],
    ) -> Vec<Action> {
        if self.endpoint_attempt().is_none() {
            return Vec::new();
        }
        let fields = std::str::from_utf8(body)
            .ok()
            .and_then(RawFields::parse)
            .filter(|f| f.get("code").is_some());
        let hint_ms = reset_secs.map_or(0, |s| s.saturating_mul(1000).min(MAX_RATE_LIMIT_WAIT_MS));
        let Some(fields) = fields else {
            let e = Error::Http(Box::new(ApiError {
                code: None,
                msg: "the long-connection endpoint answered without an envelope".into(),
                log_id: None,
                http_status: status,
                rate_limit_reset_secs: reset_secs,
            }));
            let hint = if status == 429 { hint_ms } else { 0 };
            return self.retry_after(now, e, hint);
        };
        let code = fields
            .get("code")
            .and_then(|c| c.parse::<i64>().ok())
            .unwrap_or(-1);
        let msg = fields.str("msg").unwrap_or_default();
        let data = fields.get("data").and_then(RawFields::parse);
        let url = data.as_ref().and_then(|d| d.str("URL"));
        let api = |msg: String| {
            Box::new(ApiError {
                code: Some(code),
                msg,
                log_id: None,
                http_status: status,
                rate_limit_reset_secs: reset_secs,
            })
        };
        match (code, url) {
            (0, Some(url)) if socket_url_ok(&url) => {
                if let Some(cfg) = data.as_ref().and_then(|d| d.get("ClientConfig")) {
                    self.config = self.config.updated(cfg);
                }
                self.service_id = query_param(&url, "service_id")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                self.generation += 1;
                let generation = self.generation;
                self.phase = Phase::Dialing {
                    generation,
                    deadline: now + self.opts.handshake_timeout_ms,
                };
                vec![Action::Connect { url, generation }]
            }
            // The URL is a one-time credential: the error names the fault, never the URL.
            (0, _) => self.retry(
                now,
                Error::InvalidResponse(api(
                    "the endpoint reply has no valid ws(s) URL (none, or one with spaces, controls or a fragment)".into(),
                )),
            ),
            (c, _) if c == RATE_LIMITED || status == 429 => {
                self.retry_after(now, Error::Api(api(msg)), hint_ms)
            }
            (c, _) if RETRYABLE_ENDPOINT_CODES.contains(&c) || status >= 500 => {
                self.retry(now, Error::Api(api(msg)))
            }
            _ => self.fail(Error::Api(api(format!(
                "the long-connection endpoint refused the app: {msg}"
            )))),
        }
    }

    /// The endpoint request failed (timeout, network).
    pub fn endpoint_failed(&mut self, now: u64, error: Error) -> Vec<Action> {
        if self.endpoint_attempt().is_none() {
            return Vec::new();
        }
        self.retry(now, error)
    }

    /// The endpoint request cannot succeed however often it is tried (a configuration error
    /// found while building it, such as a keyless provider without `retrieveToken`): the
    /// client stops, as for refused credentials.
    pub fn endpoint_impossible(&mut self, error: Error) -> Vec<Action> {
        if self.endpoint_attempt().is_none() {
            return Vec::new();
        }
        self.fail(error)
    }

    /// The socket of `generation` is open.
    pub fn opened(&mut self, generation: u64, now: u64) -> Vec<Action> {
        if !matches!(self.phase, Phase::Dialing { generation: g, .. } if g == generation) {
            return vec![Action::CloseSocket { generation }];
        }
        self.phase = Phase::Open { generation };
        self.state = State::Open;
        self.opened_at = now;
        self.delivered = false;
        self.last_inbound = now;
        self.next_ping = now + self.config.ping_ms;
        self.attempts = 0;
        self.last_connect = Some(now);
        self.reassembly.clear();
        self.unacked.retain(|_, (g, _)| *g == generation);
        let (hello, line) = if std::mem::replace(&mut self.ever_open, true) {
            (
                Action::Reconnected,
                "long connection open again: receiving events",
            )
        } else {
            (Action::Ready, "long connection open: receiving events")
        };
        // Said at info level: a bot that says nothing looks dead.
        vec![
            Action::Send(self.ping()),
            Action::Log(Level::Info, line.to_string()),
            hello,
        ]
    }

    /// The handshake of `generation` was refused with HTTP `status` (where the runtime shows
    /// it); `auth_code` is `Handshake-Autherrcode`, `msg` `Handshake-Msg`.
    pub fn refused(
        &mut self,
        generation: u64,
        now: u64,
        status: u16,
        auth_code: Option<i64>,
        msg: &str,
    ) -> Vec<Action> {
        if !matches!(self.phase, Phase::Dialing { generation: g, .. } if g == generation) {
            return Vec::new();
        }
        let error = Error::Http(Box::new(ApiError {
            code: auth_code,
            msg: format!("the long-connection handshake was refused: {msg}"),
            log_id: None,
            http_status: status,
            rate_limit_reset_secs: None,
        }));
        let fatal = status == 403 || (status == 514 && auth_code == Some(TOO_MANY_CONNECTIONS));
        match fatal {
            true => self.fail(error),
            false => self.retry(now, error),
        }
    }

    /// The socket of `generation` closed or failed (before or after opening).
    pub fn closed(&mut self, generation: u64, now: u64, why: &str) -> Vec<Action> {
        // A runtime's message may quote the URL, whose ticket is a credential.
        let why = &redact_urls(why);
        match self.phase {
            Phase::Dialing { generation: g, .. } if g == generation => self.retry(
                now,
                Error::Network(format!("the long connection could not be opened ({why})")),
            ),
            Phase::Open { generation: g } if g == generation => self.lost(now, why),
            _ => Vec::new(),
        }
    }

    /// A binary message arrived on the socket of `generation`.
    pub fn message(&mut self, generation: u64, now: u64, bytes: &[u8]) -> Vec<Action> {
        if self.phase != (Phase::Open { generation }) {
            return Vec::new();
        }
        self.last_inbound = now;
        let frame = match frame::decode(bytes) {
            Ok(f) => f,
            Err(e) => {
                return vec![Action::Log(
                    Level::Warn,
                    format!("long connection: dropped a frame that does not decode ({e})"),
                )]
            }
        };
        match (frame.method, frame.header("type")) {
            (METHOD_CONTROL, Some("pong")) => {
                if let Some(p) = frame.payload.as_deref().and_then(|p| std::str::from_utf8(p).ok()) {
                    let before = self.config.ping_ms;
                    self.config = self.config.updated(p);
                    if self.config.ping_ms != before {
                        self.next_ping = now + self.config.ping_ms;
                    }
                }
                Vec::new()
            }
            (METHOD_CONTROL, _) => Vec::new(),
            (METHOD_DATA, Some("event")) => self.data(generation, now, frame),
            (METHOD_DATA, Some("card")) => vec![Action::Log(
                Level::Debug,
                "long connection: a type=card frame (old message-card callback) is not served over the long connection; dropped".into(),
            )],
            (method, kind) => vec![Action::Log(
                Level::Debug,
                format!(
                    "long connection: ignored a frame of method {method}, type {}",
                    kind.unwrap_or("(none)")
                ),
            )],
        }
    }

    fn data(&mut self, generation: u64, now: u64, mut frame: Frame) -> Vec<Action> {
        let number = |k: &str, default: u64| {
            frame
                .header(k)
                .map_or(Some(default), |v| v.trim().parse::<u64>().ok())
        };
        let (Some(sum), Some(seq)) = (number("sum", 1), number("seq", 0)) else {
            return vec![Action::Log(
                Level::Warn,
                "long connection: dropped a part whose sum/seq is not a number".into(),
            )];
        };
        let id = frame.header("message_id").unwrap_or("").to_string();
        let payload = frame.payload.take().unwrap_or_default();
        let part = Part {
            message_id: &id,
            sum,
            seq,
            bytes: &payload,
        };
        let joined = match self.reassembly.add(part, now) {
            Ok(Some(joined)) => joined,
            Ok(None) => return Vec::new(),
            // Refused for its size: acked 500 (the platform pushes it again later), never
            // acked 200 unhandled.
            Err(e @ (Dropped::MessageTooLarge | Dropped::TooMuchPending)) => {
                return vec![
                    Action::Log(
                        Level::Error,
                        format!("long connection: refused message {id} ({e}, at most {MAX_MESSAGE_BYTES} bytes per event); acked 500"),
                    ),
                    Action::Send(ack_frame(frame, 500, 0, None)),
                ];
            }
            Err(e) => {
                return vec![Action::Log(
                    Level::Warn,
                    format!("long connection: dropped message {id}: {e}"),
                )]
            }
        };
        if self.unacked.len() >= MAX_UNACKED {
            return vec![Action::Log(
                Level::Error,
                format!("long connection: {MAX_UNACKED} deliveries await their ack; message {id} left for the platform to push again"),
            )];
        }
        self.delivered = true;
        self.next_delivery += 1;
        let delivery = self.next_delivery;
        self.unacked.insert(delivery, (generation, frame));
        vec![Action::Deliver {
            id: delivery,
            payload: joined,
        }]
    }

    /// The most bytes a socket message may have: the host checks a message's length against
    /// it before handing it over, and reports a larger one through [`Connection::oversized`]
    /// without copying it.
    pub fn max_frame_bytes(&self) -> usize {
        frame::MAX_FRAME_BYTES
    }

    /// A message of `len` bytes, over [`Connection::max_frame_bytes`], arrived (binary or
    /// text): dropped unread, as a frame that does not decode is (unacked, the platform pushes
    /// it again), and logged.
    pub fn oversized(&mut self, generation: u64, now: u64, len: u64) -> Vec<Action> {
        if self.phase != (Phase::Open { generation }) {
            return Vec::new();
        }
        self.last_inbound = now;
        vec![Action::Log(
            Level::Error,
            format!(
                "long connection: dropped a message of {len} bytes unread (at most {} bytes)",
                frame::MAX_FRAME_BYTES
            ),
        )]
    }

    /// A text message arrived (the platform sends none): ignored, logged.
    pub fn text(&mut self, generation: u64, now: u64) -> Vec<Action> {
        if self.phase != (Phase::Open { generation }) {
            return Vec::new();
        }
        self.last_inbound = now;
        vec![Action::Log(
            Level::Warn,
            "long connection: ignored a text message (frames are binary)".into(),
        )]
    }

    /// The ack of delivery `id`: the frame echoed with `biz_rt` and a payload
    /// `{"code", "data": base64(reply)}`. `None` when its socket is gone (the platform then
    /// pushes the message again) or it was acked before.
    pub fn ack(
        &mut self,
        id: u64,
        code: u16,
        biz_rt_ms: u64,
        reply: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        let (generation, frame) = self.unacked.remove(&id)?;
        if self.phase != (Phase::Open { generation }) {
            return None;
        }
        Some(ack_frame(frame, code, biz_rt_ms, reply))
    }

    /// Time passed: pings, liveness, retries, handshake and fragment deadlines.
    pub fn tick(&mut self, now: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let dropped = self.reassembly.expire(now);
        if dropped > 0 {
            out.push(Action::Log(
                Level::Warn,
                format!("long connection: dropped {dropped} message(s) whose parts did not all arrive within 10 s"),
            ));
        }
        match self.phase {
            Phase::Waiting { at } if now >= at => {
                self.phase = self.fetching();
                out.push(Action::FetchEndpoint);
            }
            Phase::Dialing {
                generation,
                deadline,
            } if now >= deadline => {
                out.push(Action::CloseSocket { generation });
                let ms = self.opts.handshake_timeout_ms;
                out.extend(self.retry(now, Error::Timeout { ms }));
            }
            Phase::Open { generation } => {
                let silent = now.saturating_sub(self.last_inbound);
                if silent >= LIVENESS_PINGS * self.config.ping_ms {
                    out.push(Action::CloseSocket { generation });
                    out.extend(self.lost(now, &format!("no frame for {} s", silent / 1000)));
                } else if now >= self.next_ping {
                    out.push(Action::Send(self.ping()));
                    self.next_ping = now + self.config.ping_ms;
                }
            }
            _ => {}
        }
        out
    }

    /// When [`Connection::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<u64> {
        let phase = match self.phase {
            Phase::Waiting { at } => Some(at),
            Phase::Dialing { deadline, .. } => Some(deadline),
            Phase::Open { .. } => Some(
                self.next_ping
                    .min(self.last_inbound + LIVENESS_PINGS * self.config.ping_ms),
            ),
            Phase::Idle | Phase::Fetching { .. } => None,
        };
        match (phase, self.reassembly.next_expiry()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Closes for good: no attempt and no timer afterwards.
    pub fn close(&mut self) -> Vec<Action> {
        let out = match self.phase {
            Phase::Dialing { generation, .. } | Phase::Open { generation } => {
                vec![Action::CloseSocket { generation }]
            }
            _ => Vec::new(),
        };
        self.state = State::Closed;
        self.phase = Phase::Idle;
        self.reassembly.clear();
        self.unacked.clear();
        out
    }

    fn ping(&self) -> Vec<u8> {
        frame::encode(&Frame::control(self.service_id, "ping"))
    }

    /// An open connection was lost.
    fn lost(&mut self, now: u64, why: &str) -> Vec<Action> {
        self.reassembly.clear();
        if !self.opts.auto_reconnect {
            self.state = State::Closed;
            self.phase = Phase::Idle;
            return vec![Action::Error(Error::Network(format!(
                "the long connection was lost ({why}); autoReconnect is off"
            )))];
        }
        self.attempts = 0;
        let mut out = vec![
            Action::Log(
                Level::Warn,
                format!("long connection lost ({why}); reconnecting"),
            ),
            Action::Reconnecting,
        ];
        self.state = State::Reconnecting;
        let established =
            self.delivered || now.saturating_sub(self.opened_at) >= ESTABLISHED_AFTER_MS;
        // An established connection's loss: a random wait below the platform's nonce, as the
        // official clients do. One that dropped at once was a failed attempt: it backs off.
        let first = if established {
            self.streak = 0;
            self.jitter(self.config.reconnect_nonce_ms)
        } else {
            self.streak = self.streak.saturating_add(1);
            self.backoff(0)
        };
        self.wait(now, first);
        out.push(Action::Log(
            Level::Info,
            format!("next attempt in {} ms", first),
        ));
        out
    }

    /// An attempt failed: wait and try again (forever, until closed), or stop when
    /// reconnecting is off.
    fn retry(&mut self, now: u64, error: Error) -> Vec<Action> {
        self.retry_after(now, error, 0)
    }

    /// The wait after the `streak`-th failure in a row: 0.5 s doubling up to the platform's
    /// interval (at least [`MIN_RETRY_CEILING_MS`]), never below `hint_ms`, plus up to half
    /// of it in jitter so a fleet does not retry in step.
    fn backoff(&mut self, hint_ms: u64) -> u64 {
        let ceiling = self.config.reconnect_interval_ms.max(MIN_RETRY_CEILING_MS);
        let step = FIRST_RETRY_MS
            .saturating_mul(1 << self.streak.saturating_sub(1).min(20))
            .min(ceiling)
            .max(hint_ms);
        step + self.jitter(step / 2)
    }

    /// [`Connection::retry`], no sooner than `hint_ms` (a rate limit's reset hint).
    fn retry_after(&mut self, now: u64, error: Error, hint_ms: u64) -> Vec<Action> {
        if !self.opts.auto_reconnect {
            self.state = if self.ever_open {
                State::Closed
            } else {
                State::Failed
            };
            self.phase = Phase::Idle;
            return vec![Action::Failed(error)];
        }
        self.attempts = self.attempts.saturating_add(1);
        self.streak = self.streak.saturating_add(1);
        // Failed attempts back off exponentially from 0.5 s (a busy endpoint at start-up is
        // retried in seconds, not after the 120 s default interval), whatever the config.
        let delay = self.backoff(hint_ms);
        self.state = if self.ever_open {
            State::Reconnecting
        } else {
            State::Connecting
        };
        self.wait(now, delay);
        vec![
            Action::Log(
                Level::Warn,
                format!(
                    "long connection attempt {} failed ({error}); next in {delay} ms",
                    self.attempts
                ),
            ),
            Action::Error(error),
        ]
    }

    fn wait(&mut self, now: u64, delay: u64) {
        self.phase = Phase::Waiting { at: now + delay };
    }

    fn fail(&mut self, error: Error) -> Vec<Action> {
        self.state = State::Failed;
        self.phase = Phase::Idle;
        vec![Action::Failed(error)]
    }

    /// A random duration below `max` (xorshift64*; the host seeds it).
    fn jitter(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % max
    }
}

/// The ack of `frame`: echoed with `biz_rt` and a payload `{"code", "data": base64(reply)}`.
fn ack_frame(mut frame: Frame, code: u16, biz_rt_ms: u64, reply: Option<&[u8]>) -> Vec<u8> {
    frame.headers.push(("biz_rt".into(), biz_rt_ms.to_string()));
    let mut payload = ObjectWriter::default();
    payload.field("code", &code.to_string());
    if let Some(reply) = reply {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(reply);
        payload.field("data", &quote(&encoded));
    }
    frame.payload = Some(payload.finish().into_bytes());
    frame::encode(&frame)
}

/// True for a URL a socket can be given: `ws://` or `wss://`, a host, and only visible ASCII
/// without a fragment (a space or a `#` makes WebSocket constructors throw).
fn socket_url_ok(url: &str) -> bool {
    let rest = url
        .strip_prefix("wss://")
        .or_else(|| url.strip_prefix("ws://"));
    let Some(rest) = rest else {
        return false;
    };
    let host_len = rest.find(['/', '?']).unwrap_or(rest.len());
    host_len > 0 && url.len() <= 8192 && url.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
}

/// `text` with every URL in it cut to its scheme and host (a socket URL carries a one-time
/// ticket, and runtimes quote the URL in their errors).
fn redact_urls(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|word| match word.split_once("://") {
            Some((scheme, rest)) => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
                match host.len() < rest.len() {
                    true => format!("{scheme}://{host}/…"),
                    false => word.to_string(),
                }
            }
            None => word.to_string(),
        })
        .collect();
    words.join(" ")
}

/// A query parameter's raw value.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}
