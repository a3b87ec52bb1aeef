//! The exported `WasmClient` / `WasmPaginator` classes. The package's `client.js` wraps them as
//! `FeishuClient`; options arrive as JSON strings (one `JSON.stringify` on the JS side, one
//! parse here), files and functions as JS values, and replies leave through `JSON.parse`.

use super::error::to_js;
use super::fetch::FetchTransport;
use super::logger::JsLogger;
use super::store::JsKvStore;
use crate::config::ClientOptions;
use crate::error::Error;
use crate::options::OptionReader;
use crate::request::options::RequestOptions;
use crate::request::page::{PageOptions, Paginator};
use crate::transport::{FileData, Part};
use crate::Client;
use js_sys::{Array, Function, Promise, Uint8Array};
use std::cell::RefCell;
use std::future::Future;
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
}

/// One call of the core's sans-IO pipeline ([`crate::client::Call`]), driven from JS by the
/// package's `drive`: `fetch` is awaited in JS, not inside a wasm future; every decision (what
/// to send, what a reply means, whether to wait and retry, when to refresh the token) is the
/// core's [`Client::step`].
#[wasm_bindgen]
pub struct WasmCall {
    client: Client,
    call: crate::client::Call,
    reading: Reading,
    /// The error contract ([`crate::request::envelope::settle`]).
    reject: bool,
    /// The last reply as `fetchOnce` gave it (an error's `response.headers` come from it).
    reply: JsValue,
    /// Whether the last step asked for more (a send, a wait, a token) rather than ending.
    pending: bool,
}

#[wasm_bindgen]
impl WasmCall {
    /// The next step after `input`: `fetchOnce`'s reply array (with its status, body and kept
    /// header bytes and their lengths passed beside it, so none is read back across the
    /// boundary), a token string (after a token promise), `undefined` (after a wait), or, with
    /// `status` -1, what `fetch` threw (a timeout or a network failure). Returns a `Send`, a
    /// wait in ms, a token promise, a `Failure`, or the result.
    pub fn act(
        &mut self,
        input: JsValue,
        status: f64,
        body: JsValue,
        body_len: f64,
        kept: JsValue,
        kept_len: f64,
    ) -> JsValue {
        if status < 0.0 {
            let failure = super::fetch::failure(&input, self.call.url(), self.call.timeout_ms());
            return self.settle(Some(Err(failure)));
        }
        let outcome = if Array::is_array(&input) {
            let resp = super::fetch::read_sized(status, &body, body_len, &kept, kept_len);
            self.reply = input;
            Some(Ok(resp))
        } else {
            if let Some(token) = input.as_string() {
                self.call.set_token(token);
            }
            None
        };
        self.settle(outcome)
    }

    /// The reply size limit of this call: the client's, none for a download.
    fn max_reply(&self) -> u64 {
        match self.reading {
            Reading::Envelope => self.client.config().max_reply_bytes,
            Reading::Bytes => 0,
        }
    }
}

impl WasmCall {
    /// The next step as `drive` reads it (an error becomes a `Failure`: returning a value,
    /// not throwing, keeps the crossing to one call).
    fn settle(
        &mut self,
        outcome: Option<Result<crate::transport::HttpResponse, crate::transport::TransportError>>,
    ) -> JsValue {
        let step = match self.next(outcome) {
            Ok(step) => step,
            Err(error) => super::fetch::failed_step(error),
        };
        if !self.pending {
            // The call is over: its reply (body, headers) is let go now, not when the wrapper is
            // finalized (Workers without `enable_weak_ref` have no finalizers; `drive` frees
            // the call there).
            self.reply = JsValue::UNDEFINED;
        }
        step
    }

    fn next(
        &mut self,
        outcome: Option<Result<crate::transport::HttpResponse, crate::transport::TransportError>>,
    ) -> Result<JsValue, JsValue> {
        use crate::client::Step;
        use crate::request::envelope;
        self.pending = false;
        let result = match self.client.step(&mut self.call, outcome) {
            Step::Send(http) => match super::fetch::request_line(&http, self.max_reply()) {
                Ok((line, body)) => {
                    self.pending = true;
                    Ok(super::fetch::send_step(&line, body))
                }
                // Not sendable as built (a header fetch refuses): an attempt that failed.
                Err(e) => return self.next(Some(Err(e))),
            },
            Step::Token(work) => {
                self.pending = true;
                let client = self.client.clone();
                Ok(promise(async move { client.obtain(work).await.map(JsValue::from) }).into())
            }
            Step::Wait(ms) => {
                self.pending = true;
                Ok(JsValue::from_f64(ms as f64))
            }
            // ---- The error contract (issue 24): the core's verdict under this client's contract;
            // a failure on a reply carries it as `response` (status, data, headers). ----
            Step::Reply(resp) => match self.reading {
                Reading::Envelope => match envelope::verdict(&resp, self.reject) {
                    Ok(()) => parse_body(&resp.body),
                    Err(e) => return Err(super::response::rejected(&e, &resp, &self.reply)),
                },
                Reading::Bytes => {
                    let file = envelope::is_file_reply(resp.status, resp.header("content-type"));
                    let kept = (!file).then(|| resp.clone());
                    match (envelope::check_binary(resp), kept) {
                        (Ok(d), _) => Ok(super::response::downloaded(&d.bytes, &self.reply)),
                        (Err(e), Some(resp)) => {
                            return Err(super::response::rejected(&e, &resp, &self.reply))
                        }
                        (Err(e), None) => Err(e),
                    }
                }
            },
            Step::Rejected(error, resp) => {
                return Err(super::response::rejected(&error, &resp, &self.reply))
            }
            // ---- end of the error contract ----
            Step::Fail(error) => Err(error),
        };
        result.map_err(|e| to_js(&e))
    }
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
        if !stream {
            let req = catalog_call(options_json)
                .and_then(|json| RequestOptions::parse(&json)?.into_request());
            return self.drive(req, Reading::Bytes);
        }
        let client = self.client.clone();
        promise(async move {
            let options_json = catalog_call(options_json)?;
            let req = RequestOptions::parse(&options_json)?.into_request()?;
            Ok(match client.download_stream(req).await? {
                (_, Some(stream)) => stream.0,
                (d, None) => Uint8Array::from(&d.bytes[..]).into(),
            })
        })
    }

    /// Starts a call driven from JS (`drive`): a request that cannot be built or sent rejects.
    fn drive(&self, req: Result<crate::ApiRequest, Error>, reading: Reading) -> Promise {
        match req.and_then(|req| self.client.begin(req, false)) {
            Ok(call) => {
                let client = self.client.clone();
                let call = WasmCall {
                    client,
                    call,
                    reading,
                    reject: self.reject,
                    reply: JsValue::UNDEFINED,
                    pending: true,
                };
                let mut call = call;
                // The first step is taken here: one crossing fewer per call.
                let first = call.settle(None);
                super::fetch::drive(call.into(), first, &self.fetch)
            }
            Err(e) => Promise::reject(&to_js(&e)),
        }
    }

    /// A page walker; `paging_json` holds `itemsKey`, `pageSize`, `maxItems`.
    pub fn paginator(
        &self,
        options_json: &str,
        paging_json: &str,
    ) -> Result<WasmPaginator, JsValue> {
        let make = || -> Result<Paginator, Error> {
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
            Ok(self.client.paginate(req, options))
        };
        make()
            .map(|p| WasmPaginator {
                state: Arc::new(RefCell::new(Some(p))),
            })
            .map_err(|e| to_js(&e))
    }

    /// A valid access token: the app's (`app` true), else the tenant's (of `tenant_key` for a
    /// marketplace app).
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(&self, app: bool, tenant_key: Option<String>) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let token = if app {
                client.app_access_token().await
            } else {
                client.tenant_access_token(tenant_key.as_deref()).await
            };
            token.map(|t| JsValue::from_str(&t))
        })
    }

    /// Stores a marketplace `app_ticket`.
    #[wasm_bindgen(js_name = storeAppTicket)]
    pub fn store_app_ticket(&self, ticket: String) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .store_app_ticket(&ticket)
                .await
                .map(|_| JsValue::UNDEFINED)
        })
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
                reject: self.reject,
            },
            None => WasmClient {
                client: self.client.clone(),
                fetch: self.fetch.clone(),
                reject: true,
            },
        }
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
/// `keepData` its whole `data` without paging fields), then to `undefined` at the end.
#[wasm_bindgen]
pub struct WasmPaginator {
    state: Arc<RefCell<Option<Paginator>>>,
}

#[wasm_bindgen]
impl WasmPaginator {
    /// The next page: its items, or with `keepData` its whole `data` without paging fields.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        promise(async move {
            // Taken out while a page is in flight, so overlapping calls get an error, not a panic.
            let mut p = state.borrow_mut().take().ok_or_else(|| {
                Error::InvalidRequest("the previous page is still loading".into())
            })?;
            let result = p.next_page().await;
            let data = p.page_data();
            *state.borrow_mut() = Some(p);
            match result? {
                None => Ok(JsValue::UNDEFINED),
                Some(_) if data.is_some() => Ok(data
                    .and_then(|d| js_sys::JSON::parse(&d).ok())
                    .unwrap_or(JsValue::UNDEFINED)),
                Some(items) => {
                    let mut json =
                        String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
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
            }
        })
    }
}
