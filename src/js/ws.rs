//! The exported `WasmWsClient` behind `WSClient`: the long connection's state machine
//! ([`crate::ws::Connection`]) with the JS seams attached. It is the whole of the npm
//! package's long-connection wasm (features `js-base,ws`); payloads go to the main wasm's
//! dispatcher (`deliverTrusted`, with its `WasmWsDedupe`). JS owns the socket and the one timer
//! and performs the actions this returns, the endpoint request included (so `close()` can
//! abort it and its timeout holds whether or not a custom `fetch` honours the abort signal:
//! the core gives the request, its deadline and the reply's size bound, and reads the reply);
//! logs go to the logger here. Actions cross as small objects:
//! `{type: 'fetch' | 'connect' | 'send' | 'close' | 'deliver' | 'ready' | 'reconnecting' |
//! 'reconnected' | 'error' | 'failed', …}`.

use super::error::to_js;
use super::logger::JsLogger;
use super::runtime::JsRuntime;
use crate::error::Error;
use crate::log::Logger;
use crate::runtime::Runtime;
use crate::ws::{Action, Connection};
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// The long connection's core, for `WSClient`.
#[wasm_bindgen]
pub struct WasmWsClient {
    conn: Arc<RefCell<Connection>>,
    logger: Arc<JsLogger>,
    /// Joined payloads awaiting their handler, by delivery id, until JS takes each (for the
    /// dispatcher, or a `deliver` callback).
    payloads: Arc<Payloads>,
    /// The keyless provider's failure, by endpoint attempt, until JS reports it with
    /// `keylessFailed` (or drops it: a stale attempt's failure changes nothing).
    keyless_error: Arc<RefCell<Option<(u64, Error)>>>,
}

type Payloads = RefCell<std::collections::HashMap<u64, Vec<u8>>>;

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn now() -> u64 {
    JsRuntime.now_ms()
}

impl WasmWsClient {
    /// The actions as JS objects; log lines are written here.
    fn to_js(&self, actions: Vec<Action>) -> Array {
        actions_to_js(&*self.logger, &self.payloads, actions)
    }
}

fn actions_to_js(logger: &dyn Logger, payloads: &Payloads, actions: Vec<Action>) -> Array {
    let out = Array::new();
    for action in actions {
        let o = Object::new();
        let kind = match action {
            Action::Log(level, line) => {
                if logger.enabled(level) {
                    logger.log(level, &line);
                }
                continue;
            }
            Action::FetchEndpoint => "fetch",
            Action::Connect { url, generation } => {
                set(&o, "url", &JsValue::from_str(&url));
                set(&o, "generation", &JsValue::from_f64(generation as f64));
                "connect"
            }
            Action::Send(bytes) => {
                set(&o, "bytes", &Uint8Array::from(&bytes[..]).into());
                "send"
            }
            Action::CloseSocket { generation } => {
                set(&o, "generation", &JsValue::from_f64(generation as f64));
                "close"
            }
            Action::Deliver { id, payload } => {
                payloads.borrow_mut().insert(id, payload);
                set(&o, "id", &JsValue::from_f64(id as f64));
                "deliver"
            }
            Action::Ready => "ready",
            Action::Reconnecting => "reconnecting",
            Action::Reconnected => "reconnected",
            Action::Error(e) => {
                set(&o, "error", &to_js(&e));
                "error"
            }
            Action::Failed(e) => {
                set(&o, "error", &to_js(&e));
                "failed"
            }
        };
        set(&o, "type", &JsValue::from_str(kind));
        out.push(&o);
    }
    out
}

#[wasm_bindgen]
impl WasmWsClient {
    /// `options_json`: the JSON-able `WSClient` options; `seed` spreads reconnect jitter.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options_json: &str,
        logger: JsValue,
        log_level: Option<String>,
        seed: f64,
    ) -> Result<WasmWsClient, JsValue> {
        let build = || -> Result<WasmWsClient, Error> {
            let mut options = crate::ws::options_from_json(options_json)?;
            options.seed = seed.to_bits() ^ now();
            let logger = Arc::new(JsLogger::from_options(logger, log_level.as_deref()));
            Ok(WasmWsClient {
                conn: Arc::new(RefCell::new(Connection::new(options))),
                logger,
                payloads: Default::default(),
                keyless_error: Default::default(),
            })
        };
        build().map_err(|e| to_js(&e))
    }

    /// Starts connecting.
    pub fn start(&self) -> Array {
        let actions = self.conn.borrow_mut().start(now());
        self.to_js(actions)
    }

    /// The endpoint request: `{attempt, url, body, timeoutMs, maxBytes}` (POST, JSON, header
    /// `locale: zh`). The body holds the app secret: send it, never log it. The whole call, the
    /// reply's body included, must end within `timeoutMs`; a reply over `maxBytes` is a
    /// failed attempt. `attempt` goes with the outcome (`endpointReply`, `endpointFailed`,
    /// `keylessFailed`): an attempt no longer in flight (closed, or started again since) is
    /// ignored; it is 0 when none is in flight.
    #[wasm_bindgen(js_name = endpointRequest)]
    pub fn endpoint_request(&self) -> JsValue {
        let conn = self.conn.borrow();
        let (url, body) = conn.endpoint_request();
        let (timeout_ms, max_bytes) = conn.endpoint_limits();
        let o = Object::new();
        let attempt = conn.endpoint_attempt().unwrap_or(0);
        set(&o, "attempt", &JsValue::from_f64(attempt as f64));
        set(&o, "url", &JsValue::from_str(&url));
        set(&o, "body", &JsValue::from_str(&body));
        set(&o, "timeoutMs", &JsValue::from_f64(timeout_ms as f64));
        set(&o, "maxBytes", &JsValue::from_f64(max_bytes as f64));
        o.into()
    }

    /// Whether `attempt` is the endpoint attempt in flight.
    fn live(&self, attempt: f64) -> bool {
        self.conn
            .borrow()
            .endpoint_attempt()
            .is_some_and(|a| a as f64 == attempt)
    }

    /// Endpoint attempt `attempt` answered: its status, its `x-ogw-ratelimit-reset` header
    /// (seconds, when present) and its body (at most `maxBytes`). A status that is not an HTTP
    /// status (an integer 0..=999: a custom `fetch` may return anything) is a failed attempt.
    #[wasm_bindgen(js_name = endpointReply)]
    pub fn endpoint_reply(
        &self,
        attempt: f64,
        status: f64,
        reset: Option<String>,
        body: &[u8],
    ) -> Array {
        if !self.live(attempt) {
            return Array::new();
        }
        if !(status.fract() == 0.0 && (0.0..=999.0).contains(&status)) {
            let error = Error::Network(format!(
                "the long-connection endpoint request failed: the fetch returned a response whose status is not an HTTP status ({})",
                // JS's number text: Rust's float formatting would cost this wasm 10 KB gzip
                String::from(js_sys::Number::from(status).to_string_with_radix(10).unwrap_or_default())
            ));
            let actions = self.conn.borrow_mut().endpoint_failed(now(), error);
            return self.to_js(actions);
        }
        let reset_secs = reset.and_then(|r| r.trim().parse::<u64>().ok());
        let actions =
            self.conn
                .borrow_mut()
                .endpoint_reply_with(now(), status as u16, reset_secs, body);
        self.to_js(actions)
    }

    /// Endpoint attempt `attempt` failed: it ran out of time (`timed_out`), or the network or
    /// the `fetch` failed (`message`).
    #[wasm_bindgen(js_name = endpointFailed)]
    pub fn endpoint_failed(&self, attempt: f64, timed_out: bool, message: String) -> Array {
        if !self.live(attempt) {
            return Array::new();
        }
        let error = match timed_out {
            true => Error::Timeout {
                ms: self.conn.borrow().endpoint_limits().0,
            },
            false => Error::Network(format!(
                "the long-connection endpoint request failed: {message}"
            )),
        };
        let actions = self.conn.borrow_mut().endpoint_failed(now(), error);
        self.to_js(actions)
    }

    /// The most bytes a socket message may have: a larger one goes to `oversized`, not
    /// `message` or `text`, and is never copied in.
    #[wasm_bindgen(getter, js_name = maxFrameBytes)]
    pub fn max_frame_bytes(&self) -> f64 {
        self.conn.borrow().max_frame_bytes() as f64
    }

    /// A message of `len` bytes over `maxFrameBytes` arrived: dropped unread, logged.
    pub fn oversized(&self, generation: f64, len: f64) -> Array {
        let actions =
            self.conn
                .borrow_mut()
                .oversized(generation as u64, now(), len.max(0.0) as u64);
        self.to_js(actions)
    }

    /// After how long (ms) a handler still running is acked 200 anyway (it keeps running).
    #[wasm_bindgen(getter, js_name = ackAfterMs)]
    pub fn ack_after_ms(&self) -> f64 {
        crate::ws::ACK_AFTER_MS as f64
    }

    /// How long `close()` waits for handlers still running (ms).
    #[wasm_bindgen(getter, js_name = closeWaitMs)]
    pub fn close_wait_ms(&self) -> f64 {
        crate::ws::CLOSE_WAIT_MS as f64
    }

    /// The error a `start()` still pending when `close()` runs rejects with.
    #[wasm_bindgen(js_name = closedError)]
    pub fn closed_error(&self) -> JsValue {
        to_js(&Error::Network(
            "the WSClient was closed before it connected".into(),
        ))
    }

    /// Keyless (`clientAssertionProvider`): asks the provider for an assertion bound to the
    /// Open API host and resolves to the endpoint request carrying it instead of the secret,
    /// `{url, body, header}` (`header`: the GDPR proxy's `[name, value]`, or undefined); when
    /// the provider fails, resolves to `{failed: true}` and keeps the error for
    /// `keylessFailed(attempt)` (the connection is not touched here: JS may have closed or
    /// started again meanwhile).
    #[wasm_bindgen(js_name = keylessEndpoint)]
    pub fn keyless_endpoint(&self, attempt: f64, provider: JsValue, app_id: String) -> Promise {
        let (url, _) = self.conn.borrow().endpoint_request();
        let kept = self.keyless_error.clone();
        super::to_promise(Box::pin(async move {
            match super::assertion::ws_keyless(provider, &app_id, &url).await {
                Ok((url, body, header)) => {
                    let o = Object::new();
                    set(&o, "url", &JsValue::from_str(&url));
                    set(&o, "body", &JsValue::from_str(&body));
                    if let Some((name, value)) = header {
                        let pair =
                            Array::of2(&JsValue::from_str(&name), &JsValue::from_str(&value));
                        set(&o, "header", &pair);
                    }
                    Ok(o.into())
                }
                Err(e) => {
                    *kept.borrow_mut() = Some((attempt as u64, e));
                    let o = Object::new();
                    set(&o, "failed", &JsValue::TRUE);
                    Ok(o.into())
                }
            }
        }))
    }

    /// The keyless provider failed for endpoint attempt `attempt` (`keylessEndpoint` resolved
    /// to `{failed: true}`): its error, as the attempt's failure, when still in flight.
    #[wasm_bindgen(js_name = keylessFailed)]
    pub fn keyless_failed(&self, attempt: f64) -> Array {
        let kept = self.keyless_error.borrow_mut().take();
        match kept {
            Some((a, error)) if a as f64 == attempt && self.live(attempt) => {
                // A provider that is not one (7100) or no credential at all (7104) never
                // gets better by retrying: the client stops and `start()` rejects.
                let mut conn = self.conn.borrow_mut();
                let actions = match crate::token::assertion::is_permanent(&error) {
                    true => conn.endpoint_impossible(error),
                    false => conn.endpoint_failed(now(), error),
                };
                drop(conn);
                self.to_js(actions)
            }
            _ => Array::new(),
        }
    }

    /// The socket of `generation` opened.
    pub fn opened(&self, generation: f64) -> Array {
        let actions = self.conn.borrow_mut().opened(generation as u64, now());
        self.to_js(actions)
    }

    /// The handshake was refused (where the runtime shows it).
    pub fn refused(
        &self,
        generation: f64,
        status: u16,
        auth_code: Option<f64>,
        msg: String,
    ) -> Array {
        let code = auth_code.map(|c| c as i64);
        let actions = self
            .conn
            .borrow_mut()
            .refused(generation as u64, now(), status, code, &msg);
        self.to_js(actions)
    }

    /// The socket of `generation` closed or failed.
    pub fn closed(&self, generation: f64, why: String) -> Array {
        let actions = self
            .conn
            .borrow_mut()
            .closed(generation as u64, now(), &why);
        self.to_js(actions)
    }

    /// A binary message arrived.
    pub fn message(&self, generation: f64, bytes: &[u8]) -> Array {
        let actions = self
            .conn
            .borrow_mut()
            .message(generation as u64, now(), bytes);
        self.to_js(actions)
    }

    /// A text message arrived.
    pub fn text(&self, generation: f64) -> Array {
        let actions = self.conn.borrow_mut().text(generation as u64, now());
        self.to_js(actions)
    }

    /// The timer fired.
    pub fn tick(&self) -> Array {
        let actions = self.conn.borrow_mut().tick(now());
        self.to_js(actions)
    }

    /// When to call `tick` next (epoch ms), if ever.
    #[wasm_bindgen(js_name = nextDeadline)]
    pub fn next_deadline(&self) -> Option<f64> {
        self.conn.borrow().next_deadline().map(|t| t as f64)
    }

    /// The ack frame of delivery `id` (`reply`: the card callback's JSON reply), or
    /// `undefined` when its socket is gone.
    pub fn ack(
        &self,
        id: f64,
        code: u16,
        biz_rt_ms: f64,
        reply: Option<String>,
    ) -> Option<Uint8Array> {
        let bytes = self.conn.borrow_mut().ack(
            id as u64,
            code,
            biz_rt_ms.max(0.0) as u64,
            reply.as_deref().map(str::as_bytes),
        )?;
        Some(Uint8Array::from(&bytes[..]))
    }

    /// Delivery `id`'s payload, taken out (once): for the dispatcher, or a `deliver`
    /// callback.
    #[wasm_bindgen(js_name = takePayload)]
    pub fn take_payload(&self, id: f64) -> Option<Uint8Array> {
        let payload = self.payloads.borrow_mut().remove(&(id as u64))?;
        Some(Uint8Array::from(&payload[..]))
    }

    /// Closes for good.
    pub fn close(&self) -> Array {
        self.payloads.borrow_mut().clear();
        let actions = self.conn.borrow_mut().close();
        self.to_js(actions)
    }

    /// `{state, lastConnectTime, nextConnectTime, reconnectAttempts, lastFrameTime}`.
    pub fn status(&self) -> JsValue {
        let s = self.conn.borrow().status();
        let o = Object::new();
        let time = |t: Option<u64>| t.map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
        set(&o, "state", &JsValue::from_str(s.state.as_str()));
        set(&o, "lastConnectTime", &time(s.last_connect_ms));
        set(&o, "nextConnectTime", &time(s.next_connect_ms));
        set(
            &o,
            "reconnectAttempts",
            &JsValue::from_f64(f64::from(s.reconnect_attempts)),
        );
        set(&o, "lastFrameTime", &time(s.last_frame_ms));
        o.into()
    }
}
