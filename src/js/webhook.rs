//! The exported `WasmDispatcher` (behind `EventDispatcher` / `CardActionHandler`) and the
//! low-level webhook functions. Handlers are JS functions called with the official SDK's data
//! shape (one `JSON.parse`) and a context object.

#[cfg(feature = "client")]
use super::client::WasmClient;
use super::crypto::run_formula;
use super::error::to_js;
use super::logger::JsLogger;
use super::runtime::JsRuntime;
use super::store::JsKvStore;
use super::{describe, method, settle};
use crate::error::Error;
use crate::json::push_quoted;
use crate::runtime::BoxFuture;
use crate::webhook::crypto::{self, Formula, FormulaFailure};
use crate::webhook::dispatch::{HandlerFailure, HandlerResult, Report};
use crate::webhook::{
    Consumed, Delivery, Dispatcher, Event, EventHandler, EventQueue, FinishStep, Finished,
    Finishing, Flow, Handoff, Headers, Intake, Mode, Outcome, Reason, Step, WebhookOptions,
};
use js_sys::{Function, Promise, Uint8Array};
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A JS object from the JSON text the core wrote (the boundary's one encoding for data).
fn object(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

/// Appends `"key":` and the quoted value (or `null`) to a JSON text being written.
fn push_member(out: &mut String, key: &str, value: Option<&str>) {
    out.push_str(key);
    match value {
        Some(v) => push_quoted(out, v),
        None => out.push_str("null"),
    }
}

/// The handler's data and context `{eventType, eventId, tenantKey, appId, schema}`, read by
/// one `JSON.parse`.
fn handler_arguments(event: &Event) -> (JsValue, JsValue) {
    match object(&handler_text(event)).dyn_into::<js_sys::Array>() {
        Ok(both) => (both.get(0), both.get(1)),
        Err(_) => (JsValue::NULL, JsValue::NULL),
    }
}

/// `[payload, context]` as JSON text: the handler's two arguments.
fn handler_text(event: &Event) -> String {
    let mut text = String::with_capacity(event.payload.len() + 160);
    text.push('[');
    text.push_str(&event.payload);
    push_member(&mut text, r#",{"eventType":"#, Some(&event.event_type));
    push_member(&mut text, r#","eventId":"#, event.event_id.as_deref());
    push_member(&mut text, r#","tenantKey":"#, event.tenant_key.as_deref());
    push_member(&mut text, r#","appId":"#, event.app_id.as_deref());
    push_member(&mut text, r#","schema":"#, Some(event.schema.as_str()));
    text.push_str("}]");
    text
}

/// Registered JS handlers: by event type, or one for everything (card callbacks), and the
/// `onError(error, event)` callback every handler failure is reported to.
#[derive(Default)]
struct JsHandlers {
    by_type: RefCell<Vec<(String, Function)>>,
    catch_all: RefCell<Option<Function>>,
    on_error: Option<Function>,
}

impl JsHandlers {
    fn find(&self, event_type: &str) -> Option<Function> {
        if let Some(f) = self.catch_all.borrow().as_ref() {
            return Some(f.clone());
        }
        self.by_type
            .borrow()
            .iter()
            .find(|(t, _)| t == event_type)
            .map(|(_, f)| f.clone())
    }
}

#[wasm_bindgen(inline_js = r#"
// Calls onError(error, event) so that neither a throw nor a rejection escapes: resolves when
// the callback settles, whichever way.
export function reportSafely(onError, error, data) {
  try { return Promise.resolve(onError(error, data)).then(() => {}, () => {}); } catch { return Promise.resolve(); }
}
// The result object of invoke, from the core's values.
// Parses `[data, context]` and calls the handler with them: one crossing per event.
export function callHandler(f, text) {
  const [data, context] = JSON.parse(text);
  return f(data, context);
}
// Whether a handler's return value is to be awaited (any thenable, as `await` would).
export function isThenable(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  // A then getter that throws: awaited all the same, so the rejection settles it (a 500).
  try { return typeof v.then === 'function'; } catch { return true; }
}
export function resultObject(status, body, eventType, reason, duplicate) {
  return { status, body, eventType: eventType ?? null, reason: reason ?? null, duplicate };
}
"#)]
extern "C" {
    /// `{status, body, eventType, reason, duplicate}`, built by the JS literal: one call, no JSON.
    #[wasm_bindgen(catch, js_name = callHandler)]
    fn call_handler(f: &Function, text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = isThenable)]
    fn is_thenable(value: &JsValue) -> bool;
    #[wasm_bindgen(js_name = resultObject)]
    fn webhook_result(
        status: u16,
        body: &str,
        event_type: Option<&str>,
        reason: Option<&str>,
        duplicate: bool,
    ) -> JsValue;
    #[wasm_bindgen(js_name = reportSafely)]
    fn report_safely(on_error: &Function, error: &JsValue, data: &JsValue) -> Promise;
}

/// The report of a failure to `onError(error, event)`: started when the dispatcher calls it
/// (after the claim is settled), awaited only where no reply waits.
fn reporter(on_error: Option<Function>, error: JsValue, data: JsValue) -> Option<Report> {
    let on_error = on_error?;
    Some(Box::new(move || {
        let settled = report_safely(&on_error, &error, &data);
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(settled).await;
        })
    }))
}

impl JsHandlers {
    /// Calls the event's handler with its data and context: what it returned (or threw), and
    /// the data object (for the error report).
    /// Calls the event's handler with its data and context, parsed and called in one crossing
    /// (the data is rebuilt only if a failure is reported): what it returned or threw.
    fn start_now(&self, event: &Event) -> Result<JsValue, JsValue> {
        let Some(f) = self.find(&event.event_type) else {
            return Err(JsValue::from_str("no handler"));
        };
        call_handler(&f, &handler_text(event))
    }

    fn start(&self, event: &Event) -> (Result<JsValue, JsValue>, JsValue) {
        let Some(f) = self.find(&event.event_type) else {
            return (Err(JsValue::from_str("no handler")), JsValue::NULL);
        };
        let (data, context) = handler_arguments(event);
        let started = f.call2(&JsValue::UNDEFINED, &data, &context);
        (started, data)
    }

    /// The outcome of a settled handler: an event's reply is always `{}` (what its handler
    /// returns is never read: an ORM's BigInt or a cyclic object must not turn a finished
    /// handler into a failure); a card callback's is its value as JSON.
    fn outcome(
        &self,
        card: bool,
        settled: Result<JsValue, JsValue>,
        data: JsValue,
    ) -> HandlerResult {
        let value = match settled {
            Ok(v) => v,
            Err(e) => {
                let failure = HandlerFailure::failed(describe(&e));
                return Err(match reporter(self.on_error.clone(), e, data) {
                    Some(report) => failure.report(report),
                    None => failure,
                });
            }
        };
        if !card || value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match js_sys::JSON::stringify(&value) {
            Ok(json) => Ok(json.as_string()),
            Err(e) => {
                let detail = format!(
                    "the card handler's reply cannot be serialized as JSON ({})",
                    describe(&e)
                );
                let error = to_js(&Error::Webhook(Reason::ReplyNotSerializable));
                let _ = js_sys::Reflect::set(
                    &error,
                    &JsValue::from_str("message"),
                    &JsValue::from_str(&detail),
                );
                let failure = HandlerFailure::unsendable_reply(detail);
                Err(match reporter(self.on_error.clone(), error, data) {
                    Some(report) => failure.report(report),
                    None => failure,
                })
            }
        }
    }
}

impl EventHandler for Arc<JsHandlers> {
    fn handles(&self, event: &Event) -> bool {
        self.find(&event.event_type).is_some()
    }
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult> {
        let (started, data) = self.start(event);
        let (handlers, card) = (self.clone(), event.is_card_callback());
        Box::pin(async move {
            let settled = match started {
                Ok(value) => settle(value).await,
                Err(e) => Err(e),
            };
            handlers.outcome(card, settled, data)
        })
    }
}

/// A queue producer: any object with `send(body)` (Cloudflare Queues' binding).
struct JsQueue(JsValue);

impl EventQueue for JsQueue {
    fn send(&self, message: String) -> BoxFuture<'static, Result<(), String>> {
        let sent = match method(&self.0, "send") {
            Some(f) => f.call1(&self.0, &JsValue::from_str(&message)),
            None => Err(JsValue::from_str("options.queue has no send(body) method")),
        };
        Box::pin(async move {
            match sent {
                Ok(p) => settle(p).await.map(|_| ()).map_err(|e| describe(&e)),
                Err(e) => Err(describe(&e)),
            }
        })
    }
}

/// The dispatcher behind `EventDispatcher` and `CardActionHandler`.
#[wasm_bindgen]
pub struct WasmDispatcher {
    dispatcher: Arc<Dispatcher>,
    handlers: Arc<JsHandlers>,
    /// Events of `invokeNow` whose handlers returned a thenable, by the glue's slot number,
    /// until `finishNow` settles them.
    pending: RefCell<Vec<(f64, Handoff)>>,
}

fn bytes_of(body: &JsValue) -> Result<Vec<u8>, Error> {
    if let Some(s) = body.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(b) = body.dyn_ref::<Uint8Array>() {
        return Ok(b.to_vec());
    }
    if body.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(body).to_vec());
    }
    Err(Error::InvalidRequest(
        "the body must be a string, Uint8Array or ArrayBuffer".into(),
    ))
}

/// The result object of a refusal.
fn refused(reason: Reason) -> JsValue {
    webhook_result(
        reason.status(),
        &reason.body(),
        None,
        Some(reason.as_str()),
        false,
    )
}

fn result_of(reply: &crate::webhook::Reply) -> JsValue {
    webhook_result(
        reply.status,
        &reply.body,
        reply.event_type.as_deref(),
        reply.reason.map(|r| r.as_str()),
        reply.duplicate,
    )
}

#[wasm_bindgen]
impl WasmDispatcher {
    /// `card`: a card request URL (accepts the legacy SHA-1 flow) rather than the event URL.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options_json: &str,
        card: bool,
        dedupe_store: JsValue,
        logger: JsValue,
        log_level: Option<String>,
        on_error: Option<Function>,
    ) -> Result<WasmDispatcher, JsValue> {
        let build = || -> Result<Dispatcher, Error> {
            let config = WebhookOptions::config_from_json(options_json)?;
            let flow = if card { Flow::Card } else { Flow::Event };
            let mut d = Dispatcher::new(config, flow, Arc::new(JsRuntime))?.logger(Arc::new(
                JsLogger::from_options(logger, log_level.as_deref()),
            ));
            if !dedupe_store.is_null() && !dedupe_store.is_undefined() {
                d = d.dedupe(Arc::new(JsKvStore::with_delete(
                    dedupe_store,
                    "dedupeStore",
                )?));
            }
            Ok(d)
        };
        let dispatcher = build().map_err(|e| to_js(&e))?;
        Ok(WasmDispatcher {
            dispatcher: Arc::new(dispatcher),
            handlers: Arc::new(JsHandlers {
                on_error,
                ..Default::default()
            }),
            pending: RefCell::default(),
        })
    }

    /// Stores pushed `app_ticket`s through this client (call before the first `invoke`).
    #[cfg(feature = "client")]
    #[wasm_bindgen(js_name = setClient)]
    pub fn set_client(&mut self, client: &WasmClient) -> Result<(), JsValue> {
        let d = Arc::get_mut(&mut self.dispatcher).ok_or_else(|| {
            to_js(&Error::InvalidRequest(
                "set the client before handling requests".into(),
            ))
        })?;
        d.set_client(client.core());
        Ok(())
    }

    /// Registers (or replaces) the handler of one event type (in the main build, a name the
    /// schema does not know is logged as a warning, with the closest known one; the
    /// webhook-only build leaves the list of event types out, 2.6 KB gzip); with no event type
    /// (`null`), the handler every event and callback goes to (card request URLs).
    pub fn register(&self, event_type: Option<String>, handler: Function) {
        let Some(event_type) = event_type else {
            *self.handlers.catch_all.borrow_mut() = Some(handler);
            return;
        };
        #[cfg(feature = "client")]
        self.dispatcher.check_event_type(&event_type);
        let mut map = self.handlers.by_type.borrow_mut();
        map.retain(|(t, _)| *t != event_type);
        map.push((event_type, handler));
    }

    /// Removes the handler of one event type (the official `unregister`).
    pub fn unregister(&self, event_type: String) {
        self.handlers
            .by_type
            .borrow_mut()
            .retain(|(t, _)| *t != event_type);
    }

    /// The result object of a refusal the glue detected before the body reached wasm
    /// (`method_not_allowed`, `body_timeout`, `body_too_large`: a body measured against
    /// `settings.maxBodyBytes` is refused without crossing, and `handler_failed`,
    /// an adapter's dispatch that threw). A name it does not know is the glue's mistake: 500.
    pub fn refusal(&self, reason: &str) -> JsValue {
        refused(Reason::from_name(reason).unwrap_or(Reason::HandlerFailed))
    }

    /// The dispatcher's settings, in one crossing (the glue reads them once): `{ maxBodyBytes`
    /// (the largest body accepted; the glue stops reading past it), `bodyTimeoutMs` (how long
    /// reading a body may take, 0: no deadline), `exactlyOnce` (de-duplication is exact: a
    /// store with an atomic `putIfAbsent`), `synchronous` (`invokeNow` can answer at all: the
    /// host crypto is synchronous and there is no de-duplication store, so the glue encodes a
    /// body once, for the path that will take it), `memoryBytes` (the size of this isolate's
    /// wasm memory now; it never shrinks: tests check that a refused body did not grow it) }`.
    #[wasm_bindgen(getter)]
    pub fn settings(&self) -> JsValue {
        let config = self.dispatcher.config();
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        set(
            "maxBodyBytes",
            JsValue::from_f64(config.max_body_bytes as f64),
        );
        set(
            "bodyTimeoutMs",
            JsValue::from_f64(config.body_timeout_ms as f64),
        );
        set(
            "exactlyOnce",
            JsValue::from_bool(self.dispatcher.exactly_once()),
        );
        set(
            "synchronous",
            JsValue::from_bool(
                !self.dispatcher.deduplicates() && super::crypto::host_is_synchronous(),
            ),
        );
        set(
            "memoryBytes",
            JsValue::from_f64((core::arch::wasm32::memory_size::<0>() as f64) * 65536.0),
        );
        o.into()
    }

    /// Handles one request: resolves to `{status, body, eventType, reason, duplicate}`. With a
    /// `queue`, verified events are enqueued (card callbacks still run and reply); with
    /// `wait_until`, events are handled after the reply.
    #[allow(clippy::too_many_arguments)]
    pub fn invoke(
        &self,
        body: JsValue,
        timestamp: Option<String>,
        nonce: Option<String>,
        signature: Option<String>,
        content_type: Option<String>,
        wait_until: Option<Function>,
        queue: JsValue,
    ) -> Promise {
        let (dispatcher, handlers) = (self.dispatcher.clone(), self.handlers.clone());
        let headers = Headers {
            timestamp,
            nonce,
            signature,
            content_type,
        };
        super::to_promise(Box::pin(async move {
            let bytes = bytes_of(&body).map_err(|e| to_js(&e))?;
            let defer = wait_until.map(|wait| {
                move |work: BoxFuture<'static, ()>| {
                    let promise = super::to_promise(Box::pin(async move {
                        work.await;
                        Ok(JsValue::UNDEFINED)
                    }));
                    // waitUntil throwing (called outside a request) must not lose the work: it already runs.
                    let _ = wait.call1(&JsValue::UNDEFINED, &promise);
                }
            });
            let queue = (!queue.is_undefined() && !queue.is_null()).then(|| JsQueue(queue));
            let delivery = match (&queue, &defer) {
                (Some(q), _) => Delivery::Enqueue(q),
                (None, Some(f)) => Delivery::Defer(f),
                (None, None) => Delivery::Reply,
            };
            let reply = dispatcher
                .invoke(&bytes, &headers, &handlers, delivery)
                .await;
            Ok(result_of(&reply))
        }))
    }

    /// The synchronous path of `invoke` (no `waitUntil`, no queue), where the host crypto is
    /// synchronous and there is no de-duplication store: verifies, decrypts, checks, runs the
    /// handler and shapes in this call, so one request crosses into wasm once (twice when its
    /// handler returns a promise).
    ///
    /// `packed` holds the body, then the timestamp, nonce, signature and content-type headers'
    /// UTF-8 bytes, back to back; `lengths` their byte lengths (-1: the header is absent).
    /// Returns the result object when the request is answered; the handler's thenable when it
    /// returned one (pass its outcome to `finishNow(slot, …)`); `undefined` when `invoke` must
    /// run instead.
    #[wasm_bindgen(js_name = invokeNow)]
    #[allow(clippy::too_many_arguments)]
    pub fn invoke_now(
        &self,
        slot: f64,
        packed: Uint8Array,
        body: i32,
        timestamp: i32,
        nonce: i32,
        signature: i32,
        content_type: i32,
    ) -> JsValue {
        if !super::crypto::host_is_synchronous() {
            return JsValue::UNDEFINED;
        }
        // The glue measured the body against the limit; the lengths must add up to the view.
        // Numbers cross for free; a list would be copied in through the allocator.
        let sizes =
            [body, timestamp, nonce, signature, content_type].map(|n| usize::try_from(n).ok());
        let total: usize = sizes.iter().map(|n| n.unwrap_or(0)).sum();
        let mut bytes = vec![0u8; total];
        if sizes[0].is_none() || super::copy_bytes(&packed, &mut bytes).is_err() {
            // Not what the glue sends: the general path checks it all.
            return JsValue::UNDEFINED;
        }
        let mut at = 0;
        let mut fields = sizes.iter().map(|n| {
            let n = (*n)?;
            let field = &bytes[at..at + n];
            at += n;
            Some(field)
        });
        let body = fields.next().flatten().unwrap_or_default();
        let mut text = || {
            fields
                .next()
                .flatten()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let headers = Headers {
            timestamp: text(),
            nonce: text(),
            signature: text(),
            content_type: text(),
        };
        // The intake, stepped here: the host's synchronous crypto answers in this crossing.
        // Anything that would wait (a store, an `app_ticket` for a client, a host promise)
        // comes before any store call is made: declined, `invoke` runs the request instead.
        let now = crate::runtime::Runtime::now_ms(&*self.dispatcher.runtime);
        let handlers: &dyn EventHandler = &self.handlers;
        let mut intake =
            Intake::request(&self.dispatcher, body, &headers, handlers, Mode::Reply, now);
        let mut outcome = Outcome::Start;
        let handoff = loop {
            outcome = match intake.step(outcome) {
                Step::Crypto(op) => match super::crypto::compute_now(&op) {
                    Some(answer) => Outcome::Crypto(answer),
                    None => return JsValue::UNDEFINED,
                },
                Step::Reply(reply) => return result_of(&reply),
                Step::Handle(handoff) => break handoff,
                Step::Store(_) | Step::Ticket(_) | Step::Queue { .. } | Step::Consumed(_) => {
                    return JsValue::UNDEFINED
                }
            };
        };
        match self.handlers.start_now(&handoff.event) {
            Ok(returned) if is_thenable(&returned) => {
                self.pending.borrow_mut().push((slot, handoff));
                returned
            }
            Ok(returned) => self.settle_now(handoff, Ok(returned)),
            // It threw before returning: settled now.
            Err(e) => self.settle_now(handoff, Err(e)),
        }
    }

    /// Settles `slot` of `invokeNow` with its handler's outcome (`ok`: the value it resolved
    /// to; otherwise what it rejected with): the result object.
    #[wasm_bindgen(js_name = finishNow)]
    pub fn finish_now(&self, slot: f64, ok: bool, value: JsValue) -> JsValue {
        let taken = {
            let mut pending = self.pending.borrow_mut();
            let at = pending.iter().position(|(i, _)| *i == slot);
            at.map(|at| pending.swap_remove(at))
        };
        match taken {
            Some((_, handoff)) => self.settle_now(handoff, if ok { Ok(value) } else { Err(value) }),
            None => refused(Reason::HandlerFailed),
        }
    }

    /// Settles a handler's outcome: no store here (the synchronous path has none), the error
    /// report started and not waited for.
    fn settle_now(&self, handoff: Handoff, settled: Result<JsValue, JsValue>) -> JsValue {
        // The handler's data object again, for `onError`, only when a failure is reported.
        let event = &handoff.event;
        let data = match (&settled, &self.handlers.on_error) {
            (Err(_), Some(_)) => handler_arguments(event).0,
            _ => JsValue::UNDEFINED,
        };
        let outcome = self
            .handlers
            .outcome(event.is_card_callback(), settled, data);
        let mut finishing = Finishing::begin(handoff, outcome);
        let mut step = Outcome::Start;
        loop {
            step = match finishing.step(step, &*self.dispatcher.logger) {
                FinishStep::Report { report, .. } => {
                    drop(report());
                    Outcome::Reported(true)
                }
                FinishStep::Done(Finished::Reply(reply)) => return result_of(&reply),
                FinishStep::Store(_) | FinishStep::Done(_) => {
                    return refused(Reason::HandlerFailed)
                }
            };
        }
    }

    /// Handles a payload of the long connection (which has a wasm of its own): resolves to
    /// the reply's status (a number), or to a card callback's reply (a JSON string, status
    /// 200); de-duplicated by this dispatcher's store, or else by the connection's (`ws`).
    #[cfg(feature = "client")]
    #[wasm_bindgen(js_name = deliverTrusted)]
    pub fn deliver_trusted(
        &self,
        ws: &super::ws_dedupe::WasmWsDedupe,
        payload: Vec<u8>,
    ) -> Promise {
        let (dispatcher, handlers) = (self.dispatcher.clone(), self.handlers.clone());
        let fallback = ws.dedupe();
        super::to_promise(Box::pin(async move {
            let reply = dispatcher
                .deliver(&payload, &handlers, Some(fallback))
                .await;
            Ok(match reply.status == 200 && reply.body != "{}" {
                true => JsValue::from_str(&reply.body),
                false => JsValue::from_f64(f64::from(reply.status)),
            })
        }))
    }

    /// Handles one queue message body (as enqueued by `invoke` with a queue): resolves to
    /// `"ack"` or `"retry"`.
    pub fn consume(&self, message: JsValue) -> Promise {
        let (dispatcher, handlers) = (self.dispatcher.clone(), self.handlers.clone());
        super::to_promise(Box::pin(async move {
            let text = message.as_string().unwrap_or_default();
            let outcome = dispatcher.consume(&text, &handlers).await;
            Ok(JsValue::from_str(match outcome {
                Consumed::Ack => "ack",
                Consumed::Retry => "retry",
            }))
        }))
    }
}

/// The `config` error of a failed primitive (what the low-level helpers throw).
fn formula_error(failure: FormulaFailure) -> JsValue {
    match failure {
        FormulaFailure::Crypto(e) => to_js(&Error::Config(e.to_string())),
        FormulaFailure::Refused(r) => to_js(&Error::Webhook(r)),
    }
}

/// The UTF-8 text a formula wrote (hex or base64).
fn text_of(bytes: Vec<u8>) -> JsValue {
    JsValue::from_str(&String::from_utf8_lossy(&bytes))
}

/// `hex(SHA-256(timestamp + nonce + key + body))`, or the legacy card's SHA-1 with
/// `algorithm = "sha1"`; with `given`, whether it matches (compared in constant time). A value,
/// or with `wait` and an asynchronous host a promise of one.
#[wasm_bindgen(js_name = computeSignature)]
#[allow(clippy::too_many_arguments)]
pub fn compute_signature(
    timestamp: String,
    nonce: String,
    key: String,
    body: JsValue,
    algorithm: Option<String>,
    given: Option<String>,
    wait: bool,
) -> Result<JsValue, JsValue> {
    let bytes = bytes_of(&body).map_err(|e| to_js(&e))?;
    let name = match given {
        Some(_) => "verifySignature",
        None => "computeSignature",
    };
    let sha1 = algorithm.as_deref() == Some("sha1");
    run_formula(
        name,
        wait,
        (timestamp, nonce, key, bytes, sha1, given),
        |(ts, nonce, key, bytes, sha1, _)| Formula::signature(ts, nonce, key, bytes, *sha1),
        |(.., given), result| {
            let expected = String::from_utf8(result.map_err(formula_error)?).unwrap_or_default();
            Ok(match given {
                Some(given) => JsValue::from_bool(crypto::signature_matches(&expected, given)),
                None => JsValue::from_str(&expected),
            })
        },
    )
}

/// Decrypts an `encrypt` value to its UTF-8 text (or with `wait` a promise of it).
#[wasm_bindgen(js_name = decryptEvent)]
pub fn decrypt_event(
    encrypted: String,
    encrypt_key: String,
    wait: bool,
) -> Result<JsValue, JsValue> {
    run_formula(
        "decryptEvent",
        wait,
        (encrypted, encrypt_key),
        |(encrypted, key)| Formula::decrypt(encrypted, key),
        |_, result| {
            let plain = result.map_err(formula_error)?;
            let text = String::from_utf8(plain)
                .map_err(|_| to_js(&Error::Webhook(Reason::InvalidPlaintext)))?;
            Ok(JsValue::from_str(&text))
        },
    )
}

/// Encrypts text or bytes like the platform does; `iv` must be 16 bytes.
#[wasm_bindgen(js_name = encryptEventRaw)]
pub fn encrypt_event(
    plaintext: JsValue,
    encrypt_key: String,
    iv: &[u8],
    wait: bool,
) -> Result<JsValue, JsValue> {
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| to_js(&Error::InvalidRequest("iv must be 16 bytes".into())))?;
    let bytes = bytes_of(&plaintext).map_err(|e| to_js(&e))?;
    run_formula(
        "encryptEvent",
        wait,
        (bytes, encrypt_key, iv),
        |(bytes, key, iv)| Formula::encrypt(bytes, key, *iv),
        |_, result| result.map(text_of).map_err(formula_error),
    )
}
