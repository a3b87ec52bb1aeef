//! The exported `WasmClient` / `WasmPaginator` classes. The package's `client.js` wraps them as
//! `FeishuClient`; options arrive as JSON strings (one `JSON.stringify` on the JS side, one
//! parse here), files and functions as JS values, and replies leave through `JSON.parse`.

use super::error::to_js;
use super::fetch::FetchTransport;
use super::logger::JsLogger;
use super::store::JsKvStore;
use crate::card::stream::CardStream;
use crate::config::ClientOptions;
use crate::error::Error;
use crate::options::OptionReader;
use crate::request::options::RequestOptions;
use crate::request::page::{PageOptions, PagePlan};
use crate::token::{ApiCall, CachedToken, Fetch, Input, Step, StoreOp, StoreOutcome, TokenKind};
use crate::transport::{FileData, Part, ResponseStream};
use crate::Client;
use js_sys::{Array, Function, Promise};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

pub(crate) fn promise<F>(fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    // A failure on a reply the core read itself (a token request, a page) carries what it kept
    // of it as `response` (issue 24's error contract).
    super::to_promise(Box::pin(async move {
        fut.await.map_err(|e| super::response::rebuilt(&e))
    }))
}

/// Parses a UTF-8 JSON body into a JS value with the engine's own `JSON.parse`.
pub(crate) fn parse_body(body: &[u8]) -> Result<JsValue, Error> {
    let text = std::str::from_utf8(body).map_err(|_| invalid("reply is not UTF-8"))?;
    js_sys::JSON::parse(text).map_err(|_| invalid("reply is not JSON"))
}

fn invalid(msg: &str) -> Error {
    Error::invalid_response(msg, None, 200)
}

/// The core client behind `FeishuClient`.
#[wasm_bindgen]
pub struct WasmClient {
    client: Client,
    /// The transport's `fetch`, for the calls JS drives ([`WasmCall`]).
    fetch: Function,
    /// The caller's token store (`undefined`: the client's memory store, stepped in wasm).
    store: JsValue,
    /// The error contract of this view's calls (see [`crate::Config::reject_on_api_error`]).
    reject: bool,
}

/// How a driven call's reply becomes its result.
#[derive(Clone, Copy)]
enum Reading {
    /// The `{code, msg, data}` envelope, checked and parsed.
    Envelope,
    /// A binary download's bytes (a JSON reply is the error).
    Bytes,
    /// A binary download whose file reply is handed over unread, as its `ReadableStream`
    /// (`downloadStream`); any other reply is read whole and judged as for [`Reading::Bytes`].
    Stream,
    /// One page of a walk ([`PagePlan`], held by the call meanwhile): its items, or its whole
    /// `data`. Every failure is the strict envelope's, its `response` rebuilt (as the async
    /// driver gave it).
    Page,
    /// The strict envelope's outcome, kept as the core's value for a caller in Rust
    /// ([`Driven`]); `drive`'s promise resolves to `undefined` either way.
    Raw,
}

/// Where a [`Reading::Raw`] call leaves its outcome.
type Outcome = Rc<RefCell<Option<crate::Result<crate::request::ApiResponse>>>>;
/// Where a token fetch (or an exchange) leaves its error, for the calls that waited for it and
/// need it as the core's value, not as the JS error its promise rejected with.
type Failed = Rc<RefCell<Option<Error>>>;

/// A walk's page plan while its page is in flight, and where it goes back to once the page
/// has ended (whatever the outcome: nothing advances before a page is read).
struct PageSlot {
    plan: PagePlan,
    home: Rc<RefCell<Option<PagePlan>>>,
}

/// The core machine a [`WasmCall`] steps.
enum Machine {
    /// An API call and its managed token ([`ApiCall`]).
    Api(ApiCall),
    /// One token fetched ([`Fetch`]); its promise is shared by every call waiting for it.
    Token(Fetch),
    /// One store call (`storeAppTicket`), until it is handed to `drive`.
    Store(Option<StoreOp>),
    /// A streamed card ([`CardDrive`]).
    Card(Box<CardDrive>),
}

/// A streamed card: the core's [`CardStream`] plan, and the API call it asked for while that
/// is in flight (stepped like any other call: `drive` sends, waits, gets tokens).
pub(crate) struct CardDrive {
    plan: CardStream,
    api: Option<ApiCall>,
}

/// The provider's answer to a keyless exchange, once its future has it.
type Answer = Rc<RefCell<Option<crate::Result<crate::token::assertion::AssertionToken>>>>;

/// A keyless token fetch's assertion exchange (`token::assertion_exchange`): the audience the
/// provider was asked for, its answer, then the exchange's call while it is in flight.
struct Exchange {
    /// The client, whose calls are `drive`'s (never the async driver's, which then has no
    /// user left in the wasm).
    host: Driven,
    kind: TokenKind,
    aud: String,
    answer: Answer,
    api: Option<ApiCall>,
}

impl Exchange {
    /// The exchange's call's next step (`Ok`), or its outcome as the core read it (`Err`): the
    /// call is begun once the provider has answered, from the request the core builds.
    fn advance(&mut self, mut input: Input) -> Result<Step, crate::Result<CachedToken>> {
        let client = &self.host.client;
        use crate::token::assertion_exchange::Fetch as Plan;
        let now = || client.runtime().now_ms();
        if self.api.is_none() {
            let answer = self.answer.borrow_mut().take();
            let token = answer
                .unwrap_or_else(|| Err(Error::InvalidRequest("the provider gave no answer".into())))
                .map_err(Err)?;
            let Some(provider) = client.config().client_assertion.clone() else {
                return Err(Err(Error::InvalidRequest(
                    "an exchange without a provider".into(),
                )));
            };
            let req = crate::token::exchange(&self.host, &self.kind, &provider)
                .request(&self.aud, &token)
                .map_err(Err)?;
            crate::log::log_at!(
                crate::token::TokenHost::logger(client),
                crate::log::Level::Debug,
                "request token (client assertion)"
            );
            let user = client.user_token();
            match client.with_env(|env, _| ApiCall::begin(env, user, req, false)) {
                Ok(api) => self.api = Some(api),
                Err(e) => return Err(Plan::read(Err(e), now())),
            }
            input = Input::Next;
        }
        let Some(api) = self.api.as_mut() else {
            // Begun just above unless it failed, which returned: unreachable, answered as an
            // error rather than a panic (a panic would abort the isolate).
            return Err(Plan::read(
                Err(Error::InvalidRequest(
                    "the page's call was not begun".into(),
                )),
                now(),
            ));
        };
        match client.with_env(|env, tokens| api.step(env, tokens, input)) {
            Step::Reply(resp) => Err(Plan::read(crate::request::envelope::check(resp), now())),
            Step::Fail(error) | Step::Rejected(error, _) => Err(Plan::read(Err(error), now())),
            step => Ok(step),
        }
    }
}

/// What a [`CardDrive`] needs next: a step of its call, one of its own for `drive` (pull a
/// chunk, read it, sleep), or its end.
enum Advance {
    Call(Step),
    Js(JsValue),
    Done(crate::Result<String>),
}

impl CardDrive {
    /// Steps the call in flight with `input`, then the plan, up to what needs `drive`.
    fn advance(&mut self, client: &Client, mut input: Input) -> Advance {
        use crate::card::stream::StreamStep;
        loop {
            if let Some(api) = &mut self.api {
                let step = client.with_env(|env, tokens| api.step(env, tokens, input));
                let reply = match step {
                    Step::Reply(resp) => crate::request::envelope::check(resp),
                    Step::Fail(error) | Step::Rejected(error, _) => Err(error),
                    step => return Advance::Call(step),
                };
                self.api = None;
                if let Some(outcome) = self.plan.on_reply(reply, client.runtime().now_ms()) {
                    return Advance::Done(outcome);
                }
            }
            input = Input::Next;
            match self.plan.step(client.runtime().now_ms()) {
                StreamStep::Call(req) => {
                    let user = client.user_token();
                    match client.with_env(|env, _| ApiCall::begin(env, user, req, false)) {
                        Ok(api) => self.api = Some(api),
                        Err(error) => {
                            let now = client.runtime().now_ms();
                            if let Some(outcome) = self.plan.on_reply(Err(error), now) {
                                return Advance::Done(outcome);
                            }
                        }
                    }
                }
                StreamStep::Pull => return Advance::Js(super::fetch::pull_step()),
                StreamStep::Read { within_ms } => {
                    let within = within_ms.map_or(-1.0, |ms| ms as f64);
                    return Advance::Js(super::fetch::read_chunk_step(within));
                }
                StreamStep::Sleep(ms) => return Advance::Js(JsValue::from_f64(ms as f64)),
                StreamStep::Done(outcome) => return Advance::Done(outcome),
            }
        }
    }
}

/// One of the core's sans-IO machines (an API call, [`crate::token::ApiCall`], or a token
/// fetch, [`crate::token::Fetch`]), driven from JS by the package's `drive`: `fetch` and the
/// token store are awaited in JS, not inside a wasm future; every decision (what to send, what
/// a reply means, whether to wait and retry, which token to carry, what to read from and
/// write to the store) is the core's.
#[wasm_bindgen]
pub struct WasmCall {
    client: Client,
    machine: Machine,
    reading: Reading,
    /// The error contract ([`crate::request::envelope::settle`]).
    reject: bool,
    /// The last reply as `fetchOnce` gave it (an error's `response.headers` come from it).
    reply: JsValue,
    /// Whether the last step asked for more (a send, a wait, a token, a store call) rather
    /// than ending.
    pending: bool,
    /// The `fetch` and the token store a token fetch this call starts is driven with.
    fetch: Function,
    store: JsValue,
    /// The store call `drive` is carrying out.
    op: Option<StoreOp>,
    /// A keyless client's assertion exchange this token fetch is making ([`Exchange`]).
    exchange: Option<Exchange>,
    /// A page's plan ([`Reading::Page`]).
    page: Option<PageSlot>,
    /// A [`Reading::Raw`] call's outcome.
    outcome: Option<Outcome>,
    /// A token fetch's error, for its waiters ([`Failed`]).
    failed: Option<Failed>,
    /// The error cell of the token (or exchange) this call waits for.
    awaited: Option<Failed>,
}

/// `act`'s `status` for what is not a reply: `fetch` threw, the store answered, it threw.
const FETCH_THREW: f64 = -1.0;
const STORE_ANSWERED: f64 = -2.0;
const STORE_THREW: f64 = -3.0;
/// `act`'s `status` when the promise `drive` awaited (a token, an exchange) rejected.
const AWAITED_FAILED: f64 = -4.0;
/// `act`'s `status` for a streamed card's source: a chunk (or `null`: the end), what it
/// threw, and a chunk not there within the time (still pending in `drive`).
const CHUNK: f64 = -5.0;
const CHUNK_THREW: f64 = -6.0;
const CHUNK_LATE: f64 = -7.0;
/// `act`'s `body_len` for a streamed reply whose body is still unread (-1: the size past the
/// limit, a number).
const BODY_UNREAD: f64 = -2.0;

#[wasm_bindgen]
impl WasmCall {
    /// The next step after `input`: `fetchOnce`'s reply array (with its status, body and kept
    /// header bytes and their lengths passed beside it, so none is read back across the
    /// boundary; `body_len` -2: a streamed reply, its body unread), a token string (after a
    /// token promise), `undefined` (after a wait), with `status` -1 what `fetch` threw (a
    /// timeout or a network failure), -2 what the token store answered, -3 what it threw, -4
    /// what the awaited promise rejected with. Returns a `Send`, a `Read`, a wait in ms, a
    /// `StoreCall`, a token promise, a `Failure`, or the result.
    pub fn act(
        &mut self,
        input: JsValue,
        status: f64,
        body: JsValue,
        body_len: f64,
        kept: JsValue,
        kept_len: f64,
    ) -> JsValue {
        if status == CHUNK || status == CHUNK_THREW || status == CHUNK_LATE {
            if let Machine::Card(card) = &mut self.machine {
                if status == CHUNK {
                    let end = input.is_null() || input.is_undefined();
                    card.plan
                        .on_chunk((!end).then(|| Ok(input.as_string().unwrap_or_default())));
                } else if status == CHUNK_THREW {
                    card.plan.on_chunk(Some(Err(super::describe(&input))));
                }
            }
            return self.settle(Input::Next);
        }
        if status == AWAITED_FAILED {
            // The token (or exchange) this machine waited for failed: so does the machine,
            // with the same error.
            let error = self.awaited.take().and_then(|e| e.borrow().clone());
            if let Machine::Card(card) = &mut self.machine {
                // A card's call failed (its token): the plan decides what that means.
                let error = error.unwrap_or_else(|| Error::Network(super::describe(&input)));
                card.api = None;
                let now = self.client.runtime().now_ms();
                return match card.plan.on_reply(Err(error), now) {
                    Some(outcome) => {
                        self.pending = false;
                        self.over();
                        match outcome {
                            Ok(id) => JsValue::from_str(&id),
                            Err(e) => super::fetch::failed_step(to_js(&e)),
                        }
                    }
                    None => self.settle(Input::Next),
                };
            }
            self.pending = false;
            if let (Some(cell), Some(error)) = (&self.failed, &error) {
                *cell.borrow_mut() = Some(error.clone());
            }
            if let Some(outcome) = &self.outcome {
                let error = error.unwrap_or_else(|| Error::Network(super::describe(&input)));
                *outcome.borrow_mut() = Some(Err(error));
                self.over();
                return JsValue::UNDEFINED;
            }
            self.over();
            return super::fetch::failed_step(input);
        }
        let input = if status == FETCH_THREW {
            let exchange = self.exchange.as_ref().and_then(|x| x.api.as_ref());
            let call = match &self.machine {
                _ if exchange.is_some() => exchange.map(|api| api.call()),
                Machine::Api(api) => Some(api.call()),
                Machine::Token(fetch) => fetch.call(),
                Machine::Store(_) => None,
                Machine::Card(card) => card.api.as_ref().map(|api| api.call()),
            };
            let (url, timeout) = call.map_or(("", 0), |c| (c.url(), c.timeout_ms()));
            Input::Sent(Err(super::fetch::failure(&input, url, timeout)))
        } else if status == STORE_ANSWERED || status == STORE_THREW {
            Input::Stored(self.stored(&input, status == STORE_ANSWERED))
        } else if body_len == BODY_UNREAD {
            // A streamed reply, its body unread: the core's rule says whether it is the file
            // (handed over as a stream once the call ends on it) or a reply to read whole first.
            let mut resp = super::fetch::read_sized(status, &body, 0.0, &kept, kept_len);
            self.reply = input;
            if !crate::request::envelope::is_file_reply(resp.status, resp.header("content-type")) {
                return super::fetch::read_step(true);
            }
            resp.stream = Some(ResponseStream(JsValue::NULL));
            Input::Sent(Ok(resp))
        } else if Array::is_array(&input) {
            let resp = super::fetch::read_sized(status, &body, body_len, &kept, kept_len);
            self.reply = input;
            Input::Sent(Ok(resp))
        } else if let Some(text) = input.as_string() {
            Input::Token(text)
        } else {
            Input::Next
        };
        self.settle(input)
    }

    /// The reply size limit of this call: the client's, none for a download read whole (a
    /// streamed one reads only a reply that is not the file, under the client's limit).
    fn max_reply(&self) -> u64 {
        match self.reading {
            Reading::Envelope | Reading::Stream | Reading::Page | Reading::Raw => {
                self.client.config().max_reply_bytes
            }
            Reading::Bytes => 0,
        }
    }
}

impl WasmCall {
    fn new(
        client: Client,
        machine: Machine,
        reading: Reading,
        reject: bool,
        fetch: &Function,
        store: &JsValue,
    ) -> WasmCall {
        WasmCall {
            client,
            machine,
            reading,
            reject,
            reply: JsValue::UNDEFINED,
            pending: true,
            fetch: fetch.clone(),
            store: store.clone(),
            op: None,
            exchange: None,
            page: None,
            outcome: None,
            failed: None,
            awaited: None,
        }
    }

    /// What the token store's answer (or what it threw) means for the store call `drive`
    /// carried out.
    fn stored(&mut self, value: &JsValue, answered: bool) -> crate::error::Result<StoreOutcome> {
        let Some(op) = self.op.take() else {
            return Err(Error::Store("a store answer nobody asked for".into()));
        };
        if !answered {
            return Err(match super::fetch::is_timed_out(value) {
                true => Error::Store(format!(
                    "no answer within {} ms",
                    crate::client::STORE_TIMEOUT_MS
                )),
                false => Error::Store(format!("{}: {}", op.name(), super::describe(value))),
            });
        }
        Ok(match op {
            StoreOp::Get { .. } => StoreOutcome::Value(super::store::string_value(value)?),
            StoreOp::PutIfAbsent { .. } => StoreOutcome::Written(value.is_truthy()),
            StoreOp::Put { .. } | StoreOp::Delete { .. } => StoreOutcome::Done,
        })
    }

    /// The next step as `drive` reads it (an error becomes a `Failure`: returning a value,
    /// not throwing, keeps the crossing to one call).
    fn settle(&mut self, input: Input) -> JsValue {
        let step = match self.next(input) {
            Ok(step) => step,
            Err(error) => super::fetch::failed_step(error),
        };
        if !self.pending {
            self.over();
        }
        step
    }

    /// The machine is over: its reply (body, headers) is let go now, not when the wrapper is
    /// finalized (Workers without `enable_weak_ref` have no finalizers; `drive` frees the call
    /// there), and a token fetch leaves the table of fetches in flight: callers from now on
    /// find the token in memory or start a fetch of their own.
    fn over(&mut self) {
        self.reply = JsValue::UNDEFINED;
        if let Some(slot) = self.page.take() {
            *slot.home.borrow_mut() = Some(slot.plan);
        }
        if let Machine::Token(fetch) = &self.machine {
            let key = (self.client.id(), fetch.key().to_string());
            FETCHES.with(|f| f.borrow_mut().remove(&key));
        }
    }

    fn next(&mut self, mut input: Input) -> Result<JsValue, JsValue> {
        use crate::request::envelope;
        self.pending = false;
        loop {
            let machine = &mut self.machine;
            let step = match machine {
                // A keyless token fetch's exchange: its call is stepped until the core has read
                // its outcome, which goes to the fetch.
                Machine::Token(_) if self.exchange.is_some() => {
                    // The guard checked it; a missing one is an error, not a panic.
                    match self
                        .exchange
                        .as_mut()
                        .map(|exchange| exchange.advance(input))
                    {
                        Some(Ok(step)) => step,
                        Some(Err(exchanged)) => {
                            self.exchange = None;
                            input = Input::Exchanged(exchanged);
                            continue;
                        }
                        None => Step::Fail(Error::Store("a step nobody asked for".into())),
                    }
                }
                // One store call: asked for, then its outcome is the result.
                Machine::Store(op) => match (op.take(), input) {
                    (Some(op), _) => Step::Store(op),
                    (None, Input::Stored(Ok(_))) => return Ok(JsValue::UNDEFINED),
                    (None, Input::Stored(Err(error))) => Step::Fail(error),
                    (None, _) => Step::Fail(Error::Store("a step nobody asked for".into())),
                },
                Machine::Card(card) => match card.advance(&self.client, input) {
                    Advance::Call(step) => step,
                    Advance::Js(step) => {
                        self.pending = true;
                        return Ok(step);
                    }
                    Advance::Done(Ok(card_id)) => return Ok(JsValue::from_str(&card_id)),
                    Advance::Done(Err(error)) => return Err(to_js(&error)),
                },
                _ => self.client.with_env(|env, tokens| match machine {
                    Machine::Api(api) => api.step(env, tokens, input),
                    Machine::Token(fetch) => fetch.step(env, tokens, input),
                    // Answered above; a step nobody asked for, not a panic.
                    Machine::Store(_) | Machine::Card(_) => {
                        Step::Fail(Error::Store("a step nobody asked for".into()))
                    }
                }),
            };
            let result = match step {
                Step::Send(http) => match super::fetch::request_line(&http, self.max_reply()) {
                    Ok((line, body)) => {
                        self.pending = true;
                        Ok(super::fetch::send_step(&line, body))
                    }
                    // Not sendable as built (a header fetch refuses): an attempt that failed.
                    Err(e) => {
                        input = Input::Sent(Err(e));
                        continue;
                    }
                },
                Step::Wait(ms) => {
                    self.pending = true;
                    Ok(JsValue::from_f64(ms as f64))
                }
                Step::Store(op) => match &self.client.inner.memory {
                    // The memory store answers at once: no crossing.
                    Some(memory) => {
                        input = Input::Stored(memory.apply(&op));
                        continue;
                    }
                    None => {
                        self.pending = true;
                        let js = store_call(&op);
                        self.op = Some(op);
                        Ok(js)
                    }
                },
                Step::Token(kind) => match obtain(&self.client, kind, &self.fetch, &self.store) {
                    Ok(token) => {
                        input = Input::Token(token);
                        continue;
                    }
                    Err((shared, failed)) => {
                        self.pending = true;
                        self.awaited = Some(failed);
                        Ok(shared.into())
                    }
                },
                // A keyless client's exchange: the provider (the caller's function, not a fetch)
                // is asked in a wasm future within the time the core allows; the exchange's call
                // is then stepped here like any other ([`Exchange`]).
                Step::Exchange(kind) => {
                    let Some(provider) = self.client.config().client_assertion.clone() else {
                        let e = Error::InvalidRequest(
                            "an assertion exchange without a provider".into(),
                        );
                        input = Input::Exchanged(Err(e));
                        continue;
                    };
                    let host = Driven::new(&self.client, &self.fetch, &self.store);
                    let asked = {
                        let plan = crate::token::exchange(&host, &kind, &provider);
                        plan.audience().map(|aud| (aud, plan.provider_timeout_ms()))
                    };
                    let (aud, timeout) = match asked {
                        Ok(asked) => asked,
                        Err(e) => {
                            input = Input::Exchanged(Err(e));
                            continue;
                        }
                    };
                    let answer: Answer = Rc::default();
                    self.exchange = Some(Exchange {
                        host,
                        kind,
                        aud: aud.clone(),
                        answer: answer.clone(),
                        api: None,
                    });
                    self.pending = true;
                    let runtime = self.client.runtime().clone();
                    Ok(promise(async move {
                        let token = crate::token::assertion::retrieve_within(
                            &provider, &aud, &*runtime, timeout,
                        )
                        .await;
                        *answer.borrow_mut() = Some(token);
                        Ok(JsValue::UNDEFINED)
                    })
                    .into())
                }
                Step::Done(token) => Ok(JsValue::from_str(&token)),
                // ---- The error contract (issue 24): the core's verdict under this client's
                // contract; a failure on a reply carries it as `response` (status, data,
                // headers). ----
                Step::Reply(resp) => match self.reading {
                    Reading::Raw => {
                        let outcome = envelope::check(resp);
                        if let Some(cell) = &self.outcome {
                            *cell.borrow_mut() = Some(outcome);
                        }
                        return Ok(JsValue::UNDEFINED);
                    }
                    Reading::Envelope => match envelope::verdict(&resp, self.reject) {
                        Ok(()) => parse_body(&resp.body),
                        Err(e) => return Err(super::response::rejected(&e, &resp, &self.reply)),
                    },
                    Reading::Page => {
                        let page = self.page.as_mut().map(|slot| &mut slot.plan);
                        return read_page(page, resp).map_err(|e| super::response::rebuilt(&e));
                    }
                    Reading::Bytes | Reading::Stream => {
                        let file =
                            envelope::is_file_reply(resp.status, resp.header("content-type"));
                        let kept = (!file).then(|| resp.clone());
                        let unread = resp.stream.is_some();
                        match (envelope::check_binary(resp), kept) {
                            // The file, unread: `drive` hands its stream over.
                            (Ok(_), _) if unread => Ok(super::fetch::read_step(false)),
                            (Ok(d), _) => Ok(super::response::downloaded(&d.bytes, &self.reply)),
                            (Err(e), Some(resp)) => {
                                return Err(super::response::rejected(&e, &resp, &self.reply))
                            }
                            (Err(e), None) => Err(e),
                        }
                    }
                },
                // A page's failures, as the async driver gave them.
                Step::Rejected(error, _) | Step::Fail(error)
                    if matches!(self.reading, Reading::Page) =>
                {
                    return Err(super::response::rebuilt(&error))
                }
                // A Rust caller's: its value.
                Step::Rejected(error, _) | Step::Fail(error)
                    if matches!(self.reading, Reading::Raw) =>
                {
                    if let Some(cell) = &self.outcome {
                        *cell.borrow_mut() = Some(Err(error));
                    }
                    return Ok(JsValue::UNDEFINED);
                }
                Step::Rejected(error, resp) => {
                    return Err(super::response::rejected(&error, &resp, &self.reply))
                }
                // ---- end of the error contract ----
                // A token fetch's failure carries what it kept of the reply it read.
                Step::Fail(error) if matches!(self.machine, Machine::Token(_)) => {
                    if let Some(cell) = &self.failed {
                        *cell.borrow_mut() = Some(error.clone());
                    }
                    return Err(super::response::rebuilt(&error));
                }
                Step::Fail(error) => Err(error),
            };
            return result.map_err(|e| to_js(&e));
        }
    }
}

thread_local! {
    /// The token fetches `drive` is running, by client ([`Client::id`]) and store key: every
    /// caller of the same token meanwhile waits for the same promise (single flight).
    static FETCHES: RefCell<HashMap<(usize, String), (Promise, Failed)>> = RefCell::new(HashMap::new());
}

/// A token of `kind`: the one in memory when fresh (`Ok`), else the promise of the fetch in
/// flight for it, or of a new one `drive` runs, and where that fetch leaves its error (`Err`).
fn obtain(
    client: &Client,
    kind: TokenKind,
    fetch: &Function,
    store: &JsValue,
) -> Result<String, (Promise, Failed)> {
    let (cached, fetcher) = client.with_env(|env, tokens| {
        (
            crate::token::cached(env, tokens, &kind),
            Fetch::new(env, kind),
        )
    });
    if let Some(token) = cached {
        return Ok(token);
    }
    let key = (client.id(), fetcher.key().to_string());
    if let Some(running) = FETCHES.with(|f| f.borrow().get(&key).cloned()) {
        return Err(running);
    }
    let machine = Machine::Token(fetcher);
    let mut call = WasmCall::new(
        client.clone(),
        machine,
        Reading::Envelope,
        true,
        fetch,
        store,
    );
    let failed: Failed = Rc::default();
    call.failed = Some(failed.clone());
    let first = call.settle(Input::Next);
    let running = call.pending;
    let shared = super::fetch::drive(call.into(), first, fetch, store, &JsValue::UNDEFINED);
    if running {
        FETCHES.with(|f| f.borrow_mut().insert(key, (shared.clone(), failed.clone())));
    }
    Err((shared, failed))
}

/// The client as the core's [`crate::token::TokenHost`] for the work still orchestrated in a
/// wasm future (the keyless exchange, OAuth): each of its calls is a [`WasmCall`] `drive` runs
/// (`fetch` awaited in JS, tokens through the one single flight), its outcome handed back as
/// the core's value.
#[derive(Clone)]
pub(crate) struct Driven {
    client: Client,
    fetch: Function,
    store: JsValue,
}

impl Driven {
    fn new(client: &Client, fetch: &Function, store: &JsValue) -> Driven {
        Driven {
            client: client.clone(),
            fetch: fetch.clone(),
            store: store.clone(),
        }
    }

    /// This caller with the calls made as the user of `user_access_token`.
    pub(crate) fn as_user(&self, user_access_token: &str) -> Driven {
        Driven {
            client: self.client.as_user(user_access_token),
            ..self.clone()
        }
    }

    /// [`crate::Client::request`], driven by `drive`.
    pub(crate) async fn request(
        &self,
        req: crate::ApiRequest,
    ) -> crate::Result<crate::request::ApiResponse> {
        let user = self.client.user_token();
        let call = self
            .client
            .with_env(|env, _| ApiCall::begin(env, user, req, false))?;
        let outcome: Outcome = Rc::default();
        let mut call = WasmCall::new(
            self.client.clone(),
            Machine::Api(call),
            Reading::Raw,
            true,
            &self.fetch,
            &self.store,
        );
        call.outcome = Some(outcome.clone());
        let first = call.settle(Input::Next);
        let done = super::fetch::drive(
            call.into(),
            first,
            &self.fetch,
            &self.store,
            &JsValue::UNDEFINED,
        );
        let ended = wasm_bindgen_futures::JsFuture::from(done).await;
        let taken = outcome.borrow_mut().take();
        match (taken, ended) {
            (Some(outcome), _) => outcome,
            (None, Err(e)) => Err(Error::Network(super::describe(&e))),
            (None, Ok(_)) => Err(Error::InvalidRequest(
                "a call ended without an outcome (a bug in feishu-edge's driver)".into(),
            )),
        }
    }
}

impl crate::token::TokenHost for Driven {
    fn config(&self) -> &crate::Config {
        self.client.config()
    }
    fn store(&self) -> &Arc<dyn crate::TokenStore> {
        crate::token::TokenHost::store(&self.client)
    }
    fn runtime(&self) -> &Arc<dyn crate::Runtime> {
        crate::token::TokenHost::runtime(&self.client)
    }
    fn logger(&self) -> &Arc<dyn crate::Logger> {
        crate::token::TokenHost::logger(&self.client)
    }
    fn tokens(&self) -> &crate::token::TokenCache {
        crate::token::TokenHost::tokens(&self.client)
    }
    fn call(
        &self,
        req: crate::ApiRequest,
    ) -> crate::runtime::BoxFuture<'_, crate::Result<crate::request::ApiResponse>> {
        Box::pin(self.request(req))
    }
    #[allow(clippy::arc_with_non_send_sync)]
    fn handle(&self) -> Arc<dyn crate::token::TokenHost> {
        Arc::new(self.clone())
    }
}

/// A page's reply read by its plan: the items as an array, or with `keepData` the page's whole
/// `data` (without paging fields). The strict envelope: a non-zero `code` fails.
fn read_page(
    plan: Option<&mut PagePlan>,
    resp: crate::transport::HttpResponse,
) -> Result<JsValue, Error> {
    let plan = plan.ok_or_else(|| Error::InvalidRequest("a page without its plan".into()))?;
    let reply = crate::request::envelope::check(resp)?;
    let items = plan.on_reply(&reply)?;
    if let Some(data) = plan.page_data() {
        return Ok(js_sys::JSON::parse(&data).unwrap_or(JsValue::UNDEFINED));
    }
    let mut json = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    json.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(item);
    }
    json.push(']');
    parse_body(json.as_bytes())
}

/// A store call as `drive` reads it: the method, the key, the value, the TTL (-1: none), and
/// how long the store may take ([`crate::client::STORE_TIMEOUT_MS`]).
fn store_call(op: &StoreOp) -> JsValue {
    let (value, ttl) = match op {
        StoreOp::Put {
            value, ttl_secs, ..
        }
        | StoreOp::PutIfAbsent {
            value, ttl_secs, ..
        } => (
            JsValue::from_str(value),
            ttl_secs.map_or(-1.0, |t| t as f64),
        ),
        StoreOp::Get { .. } | StoreOp::Delete { .. } => (JsValue::UNDEFINED, -1.0),
    };
    super::fetch::store_step(
        op.name(),
        op.key(),
        &value,
        ttl,
        crate::client::STORE_TIMEOUT_MS as f64,
    )
}

/// Request options as the JS side wrote them, or, for a catalog method (`{"endpoint": name,
/// "payload", "options"}`), the request the core builds from its table ([`crate::api::call`]).
fn catalog_call(options_json: String) -> Result<String, Error> {
    if !options_json.contains("\"endpoint\"") {
        return Ok(options_json);
    }
    Ok(crate::api::call::request_options(&options_json)?.unwrap_or(options_json))
}

#[wasm_bindgen]
impl WasmClient {
    /// `options_json`: the JSON-able client options; `fetch`, `token_store`, `logger` as given.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options_json: &str,
        fetch: Option<Function>,
        token_store: JsValue,
        logger: JsValue,
        log_level: Option<String>,
        client_assertion_provider: JsValue,
    ) -> Result<WasmClient, JsValue> {
        let store = token_store.clone();
        let build = || -> Result<(Client, Function), Error> {
            let assertion = if client_assertion_provider.is_null()
                || client_assertion_provider.is_undefined()
            {
                None
            } else {
                Some(crate::token::assertion::ClientAssertion(Arc::new(
                    super::assertion::JsAssertionProvider::new(client_assertion_provider)?,
                )))
            };
            let config = ClientOptions::from_json(options_json)?.into_config_with(assertion)?;
            let transport = match fetch {
                Some(f) => FetchTransport::with_function(f),
                None => FetchTransport::global()?,
            }
            .max_reply_bytes(config.max_reply_bytes);
            let fetch = transport.function();
            let mut builder = Client::builder(config)
                .logger(Arc::new(JsLogger::from_options(
                    logger,
                    log_level.as_deref(),
                )))
                .runtime(Arc::new(super::runtime::JsRuntime))
                .transport(Arc::new(transport));
            if !token_store.is_null() && !token_store.is_undefined() {
                builder = builder.store(Arc::new(JsKvStore::new(token_store, "tokenStore")?));
            }
            Ok((builder.build()?, fetch))
        };
        build()
            .map(|(client, fetch)| WasmClient {
                reject: client.config().reject_on_api_error,
                // Without one of the caller's, the client's memory store answers in wasm.
                store: match client.inner.memory {
                    Some(_) => JsValue::UNDEFINED,
                    None => store,
                },
                client,
                fetch,
            })
            .map_err(|e| to_js(&e))
    }

    /// `client.request(options)`: resolves to the parsed envelope.
    pub fn request(&self, options_json: String) -> Promise {
        let req = catalog_call(options_json)
            .and_then(|json| RequestOptions::parse(&json)?.into_request());
        self.drive(req, Reading::Envelope)
    }

    /// `im.send` / `im.reply`: `target` is `{receiveId, receiveIdType?}` or `{replyTo,
    /// inThread?}`, `content` any message content as JSON; resolves to the reply envelope.
    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(
        &self,
        target_json: String,
        content_json: String,
        uuid: Option<String>,
    ) -> Promise {
        use crate::api::helpers::{message_request, MessageTarget};
        use crate::card::checked_message_body as message_body;
        let req = (|| {
            let t = OptionReader::parse("message target", &target_json)?;
            let target = match (t.string("replyTo")?, t.string("receiveId")?) {
                (Some(message_id), None) => MessageTarget::ReplyTo {
                    message_id,
                    in_thread: t.boolean("inThread")?.unwrap_or(false),
                },
                (None, Some(receive_id)) => MessageTarget::To {
                    receive_id,
                    receive_id_type: t.string("receiveIdType")?,
                },
                _ => {
                    return Err(Error::InvalidRequest(
                        "a message needs exactly one of receiveId and replyTo".into(),
                    ))
                }
            };
            t.finish(&["replyTo", "inThread", "receiveId", "receiveIdType"])?;
            Ok(message_request(
                &target,
                &message_body(&content_json)?,
                uuid.as_deref(),
            ))
        })();
        self.drive(req, Reading::Envelope)
    }

    /// `client.upload(options)`: `files` is an array of `[field, data, filename, contentType]`.
    pub fn upload(&self, options_json: String, files: Array) -> Promise {
        let req = (|| {
            let options_json = catalog_call(options_json)?;
            let opts = RequestOptions::parse(&options_json)?;
            let mut parts: Vec<Part> = opts
                .text_fields()?
                .into_iter()
                .map(|(name, value)| Part::Text { name, value })
                .collect();
            for entry in files.iter() {
                let entry: Array = entry
                    .dyn_into()
                    .map_err(|_| Error::InvalidRequest("files entries must be arrays".into()))?;
                let name = entry.get(0).as_string().ok_or_else(|| {
                    Error::InvalidRequest("file field name must be a string".into())
                })?;
                if entry.get(1).is_string() {
                    return Err(Error::InvalidRequest(format!(
                        "`{name}` must be the file's bytes (Blob, Uint8Array, ArrayBuffer or {{ data, filename }}), not a string: read the file first"
                    )));
                }
                let filename = entry.get(2).as_string().unwrap_or_else(|| name.clone());
                parts.push(Part::File {
                    name,
                    filename,
                    content_type: entry.get(3).as_string(),
                    data: FileData::Js(entry.get(1)),
                });
            }
            Ok(opts.into_request()?.multipart(parts))
        })();
        self.drive(req, Reading::Envelope)
    }

    /// `client.download(options)` (`stream` false): resolves to a `Uint8Array`;
    /// `client.downloadStream(options)` (`stream` true): resolves to the reply's
    /// `ReadableStream` (or, when the body was read whole, a `Uint8Array`), through the same
    /// pipeline with the same errors.
    pub fn download(&self, options_json: String, stream: bool) -> Promise {
        let req = catalog_call(options_json)
            .and_then(|json| RequestOptions::parse(&json)?.into_request());
        self.drive(
            req,
            if stream {
                Reading::Stream
            } else {
                Reading::Bytes
            },
        )
    }

    /// Starts a call driven from JS (`drive`): a request that cannot be built or sent rejects.
    fn drive(&self, req: Result<crate::ApiRequest, Error>, reading: Reading) -> Promise {
        let begun = req.and_then(|req| {
            let user = self.client.user_token();
            let stream = matches!(reading, Reading::Stream);
            self.client
                .with_env(|env, _| ApiCall::begin(env, user, req, stream))
        });
        match begun {
            Ok(call) => self.run(Machine::Api(call), reading, None),
            Err(e) => Promise::reject(&to_js(&e)),
        }
    }

    /// Streams a card from JS (`drive`): `plan` decides, `source` (`next()`: a promise of the
    /// next chunk, or of `null` at the end) is pulled by `drive`.
    pub(crate) fn run_card(&self, plan: CardStream, source: &Function) -> Promise {
        let machine = Machine::Card(Box::new(CardDrive { plan, api: None }));
        let mut call = WasmCall::new(
            self.client.clone(),
            machine,
            Reading::Envelope,
            true,
            &self.fetch,
            &self.store,
        );
        let first = call.settle(Input::Next);
        super::fetch::drive(call.into(), first, &self.fetch, &self.store, source)
    }

    /// Runs `machine` from JS (`drive`), from its first step.
    fn run(&self, machine: Machine, reading: Reading, page: Option<PageSlot>) -> Promise {
        let mut call = WasmCall::new(
            self.client.clone(),
            machine,
            reading,
            self.reject,
            &self.fetch,
            &self.store,
        );
        call.page = page;
        // The first step is taken here: one crossing fewer per call.
        let first = call.settle(Input::Next);
        super::fetch::drive(
            call.into(),
            first,
            &self.fetch,
            &self.store,
            &JsValue::UNDEFINED,
        )
    }

    /// A page walker; `paging_json` holds `itemsKey`, `pageSize`, `maxItems`.
    pub fn paginator(
        &self,
        options_json: &str,
        paging_json: &str,
    ) -> Result<WasmPaginator, JsValue> {
        let make = || -> Result<PagePlan, Error> {
            let options_json = catalog_call(options_json.to_string())?;
            let req = RequestOptions::parse(&options_json)?.into_request()?;
            let p = OptionReader::parse("paging options", paging_json)?;
            let options = PageOptions {
                items_key: p.string("itemsKey")?,
                page_size: p
                    .whole("pageSize", "items")?
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                max_items: p.whole("maxItems", "items")?,
                keep_data: p.boolean("keepData")?.unwrap_or(false),
            };
            p.finish(&["itemsKey", "pageSize", "maxItems", "keepData"])?;
            Ok(PagePlan::new(req, options))
        };
        make()
            .map(|plan| WasmPaginator {
                client: self.view_with(self.reject),
                plan: Rc::new(RefCell::new(Some(plan))),
            })
            .map_err(|e| to_js(&e))
    }

    /// A valid access token: the app's (`app` true), else the tenant's (of `tenant_key` for a
    /// marketplace app).
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(&self, app: bool, tenant_key: Option<String>) -> Promise {
        let kind = match app {
            true => TokenKind::App,
            false => TokenKind::Tenant(tenant_key),
        };
        // Stepped by `drive` like a call's token: no fetch awaited inside wasm.
        match obtain(&self.client, kind, &self.fetch, &self.store) {
            Ok(token) => Promise::resolve(&JsValue::from_str(&token)),
            Err((shared, _)) => shared,
        }
    }

    /// Stores a marketplace `app_ticket`.
    #[wasm_bindgen(js_name = storeAppTicket)]
    pub fn store_app_ticket(&self, ticket: String) -> Promise {
        // One store call, made by `drive` (the memory store answers in wasm).
        let op = crate::token::app_ticket_op(&self.client.config().app_id, &ticket);
        self.run(Machine::Store(Some(op)), Reading::Envelope, None)
    }

    /// A view of this client (the same tokens and transport): with `user_access_token`, one
    /// whose calls default to that user token (the error contract kept); without, this client
    /// with `FeishuClient`'s contract, a 2xx reply whose code is not 0 rejecting (the
    /// package's own helpers, `client.im.send`, …, call through it).
    pub fn view(&self, user_access_token: Option<String>) -> WasmClient {
        match user_access_token {
            Some(token) => WasmClient {
                client: self.client.as_user(token.as_str()),
                fetch: self.fetch.clone(),
                store: self.store.clone(),
                reject: self.reject,
            },
            None => WasmClient {
                client: self.client.clone(),
                fetch: self.fetch.clone(),
                store: self.store.clone(),
                reject: true,
            },
        }
    }

    /// This client, with the error contract `reject`.
    fn view_with(&self, reject: bool) -> WasmClient {
        WasmClient {
            client: self.client.clone(),
            fetch: self.fetch.clone(),
            store: self.store.clone(),
            reject,
        }
    }

    /// This client as a Rust caller whose calls `drive` runs ([`Driven`]).
    pub(crate) fn driven(&self) -> Driven {
        Driven::new(&self.client, &self.fetch, &self.store)
    }

    /// The core client (for the webhook layer).
    pub(crate) fn core(&self) -> Client {
        self.client.clone()
    }

    /// The app id (for diagnostics; the secret is never readable back).
    #[wasm_bindgen(getter, js_name = appId)]
    pub fn app_id(&self) -> String {
        self.client.config().app_id.clone()
    }
}

/// One paginated walk; `next()` resolves to each page (an array of its items, or with
/// `keepData` its whole `data` without paging fields), then to `undefined` at the end. Each
/// page is an API call `drive` runs ([`Reading::Page`]): its token comes through the same
/// single flight as every other call's.
#[wasm_bindgen]
pub struct WasmPaginator {
    client: WasmClient,
    /// The page plan; `None` while a page is in flight.
    plan: Rc<RefCell<Option<PagePlan>>>,
}

#[wasm_bindgen]
impl WasmPaginator {
    /// The next page: its items, or with `keepData` its whole `data` without paging fields.
    pub fn next(&self) -> Promise {
        // Taken out while a page is in flight, so overlapping calls get an error, not a panic.
        let Some(mut plan) = self.plan.borrow_mut().take() else {
            let e = Error::InvalidRequest("the previous page is still loading".into());
            return Promise::reject(&to_js(&e));
        };
        let Some(req) = plan.next_request() else {
            *self.plan.borrow_mut() = Some(plan);
            return Promise::resolve(&JsValue::UNDEFINED);
        };
        let client = &self.client.client;
        let user = client.user_token();
        match client.with_env(|env, _| ApiCall::begin(env, user, req, false)) {
            Ok(call) => {
                let home = self.plan.clone();
                let page = Some(PageSlot { plan, home });
                self.client.run(Machine::Api(call), Reading::Page, page)
            }
            Err(e) => {
                *self.plan.borrow_mut() = Some(plan);
                Promise::reject(&super::response::rebuilt(&e))
            }
        }
    }
}

impl Drop for WasmCall {
    /// A page's plan goes home even if its call is let go before it ended.
    fn drop(&mut self) {
        if let Some(slot) = self.page.take() {
            *slot.home.borrow_mut() = Some(slot.plan);
        }
    }
}
