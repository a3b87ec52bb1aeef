//! The [`Transport`] on `fetch`: the global one (no `window` needed: Workers, Deno, Node 18+)
//! or one passed in from JS. A timeout aborts the request through an `AbortController` and
//! ends the call whether or not the `fetch` listens to the signal. A JSON reply is read only
//! up to the client's `maxReplyBytes`. The JS side of a request is one small function
//! (`fetchOnce`), so a call crosses the boundary once each way.

use super::{describe, prop};
use crate::error::{Error, Result};
use crate::json::quote;
use crate::request::envelope::{is_file_reply, OVERSIZED_REPLY};
use crate::runtime::BoxFuture;
use crate::transport::{
    Body, FileData, HttpRequest, HttpResponse, Part, ResponseStream, Transport, TransportError,
};
use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FormData};

/// Response headers the core reads; others are not copied into wasm. The one list: the JS
/// helper gets it from here.
const WANTED_HEADERS: [&str; 6] = [
    "location",
    "x-tt-logid",
    "x-request-id",
    crate::config::RATE_LIMIT_RESET_HEADER,
    "content-type",
    "content-disposition",
];

/// `fetch`-backed transport.
pub struct FetchTransport {
    fetch: Function,
    /// The largest reply body read whole (0: no limit); see [`crate::Config::max_reply_bytes`].
    max_reply: u64,
}

impl FetchTransport {
    /// Uses `globalThis.fetch`.
    pub fn global() -> Result<FetchTransport> {
        let f = prop(&js_sys::global(), "fetch")
            .dyn_into::<Function>()
            .map_err(|_| {
                Error::Config(
                    "this runtime has no global fetch; pass `fetch` in the client options".into(),
                )
            })?;
        announce_headers();
        Ok(FetchTransport {
            fetch: f,
            max_reply: crate::config::DEFAULT_MAX_REPLY_BYTES,
        })
    }
    /// The `fetch` function requests go through.
    pub fn function(&self) -> Function {
        self.fetch.clone()
    }
    /// Uses the given `fetch`-compatible function.
    pub fn with_function(fetch: Function) -> FetchTransport {
        announce_headers();
        FetchTransport {
            fetch,
            max_reply: crate::config::DEFAULT_MAX_REPLY_BYTES,
        }
    }
    /// Reads reply bodies (all but streamed files) only up to `bytes` (0: no limit).
    pub fn max_reply_bytes(mut self, bytes: u64) -> FetchTransport {
        self.max_reply = bytes;
        self
    }
}

fn file_blob(data: &FileData, content_type: Option<&str>) -> std::result::Result<Blob, JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    if let Some(ct) = content_type {
        options.set_type(ct);
    }
    match data {
        FileData::Bytes(bytes) => {
            let parts = Array::of1(&Uint8Array::from(&bytes[..]));
            Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        }
        FileData::Js(value) => match value.dyn_ref::<Blob>() {
            Some(b) if content_type.is_none() => Ok(b.clone()),
            _ => Blob::new_with_u8_array_sequence_and_options(&Array::of1(value), &options),
        },
    }
}

fn form_data(parts: &[Part]) -> std::result::Result<FormData, JsValue> {
    let form = FormData::new()?;
    for part in parts {
        match part {
            Part::Text { name, value } => form.append_with_str(name, value)?,
            Part::File {
                name,
                filename,
                content_type,
                data,
            } => form.append_with_blob_and_filename(
                name,
                &file_blob(data, content_type.as_deref())?,
                filename,
            )?,
        }
    }
    Ok(form)
}

#[wasm_bindgen(inline_js = r#"
// Data crosses as JSON text. The response headers to copy into wasm: named by the Rust side
// (WANTED_HEADERS), once.
let WANTED = [];
export function keepHeaders(namesJson) { WANTED = JSON.parse(namesJson); }
export const TIMED_OUT = { feishuEdgeTimeout: true };
const utf8 = new TextEncoder();
const ignore = () => {};
// Reads a body whole, but never past `limit` bytes (0: no limit): a declared Content-Length
// over it is not read at all, and a body that passes it is cancelled there. Resolves to the
// bytes, or to the number of bytes declared or read when the limit was passed.
async function readBody(res, limit) {
  if (!(limit > 0) || !res.body) return new Uint8Array(await res.arrayBuffer());
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) { res.body.cancel().catch(ignore); return declared; }
  const reader = res.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
    size += chunk.byteLength;
    if (size > limit) { reader.cancel().catch(ignore); return size; }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}
// One call per request: builds the init, arms the timer, reads the body (up to maxReply bytes).
// Resolves to [status, bytes (or the size past maxReply), the WANTED header values, one per
// line (an absent one empty), the Headers (read only for a failed call's e.response)]; rejects
// with TIMED_OUT on timeout. The timeout ends the call
// whether or not fetchFn honours the abort signal: the fetch and the body read race it, and
// what settles late is ignored. With `stream`, the body is left unread and a last slot ([4]) holds
// finish(read): the core decides whether the reply is a file, then finish(true) reads it whole
// (still under the timer) or finish(false) hands over its ReadableStream (the timer stops at
// the headers).
export async function fetchOnce(fetchFn, url, method, headersJson, body, timeoutMs, stream, maxReply) {
  // Redirects are handed to the core, which refuses them: workerd's fetch would resend the
  // Authorization header to another origin.
  const init = { method, headers: JSON.parse(headersJson), body, redirect: 'manual' };
  let timer, deadline, timedOut = false, handedOver = false;
  if (timeoutMs > 0) {
    const controller = new AbortController();
    init.signal = controller.signal;
    deadline = new Promise((_, reject) => {
      timer = setTimeout(() => { timedOut = true; reject(TIMED_OUT); controller.abort(); }, timeoutMs);
    });
    deadline.catch(ignore);
  }
  const stop = () => { if (timer !== undefined) clearTimeout(timer); };
  // A late rejection of what lost the race is handled here, not left unhandled.
  const within = (work) => { if (!deadline) return work; work.catch(ignore); return Promise.race([work, deadline]); };
  try {
    const res = await within((async () => fetchFn(url, init))());
    let kept = '';
    for (let i = 0; i < WANTED.length; i++) kept += (i ? '\n' : '') + (res.headers.get(WANTED[i]) ?? '');
    const out = [res.status, null, utf8.encode(kept), res.headers];
    if (stream) {
      handedOver = true;
      out.push(async (read) => {
        try { return read ? await within(readBody(res, maxReply)) : res.body; } catch (e) { throw timedOut ? TIMED_OUT : e; } finally { stop(); }
      });
    } else {
      out[1] = await within(readBody(res, maxReply));
    }
    return out;
  } catch (e) {
    throw timedOut ? TIMED_OUT : e;
  } finally {
    if (!handedOver) stop();
  }
}
export function isTimedOut(e) { return e === TIMED_OUT; }
// A request to send (`line`: "method\nurl\ntimeout ms\nbody (1 or 0)\nstream (1 or 0)\nmax reply
// bytes\nheaders as JSON", none holding a line break) and its body; and a failed call's error.
class Send { constructor(line, body) { this.line = line; this.body = body; } }
export function sendStep(line, body) { return new Send(line, body); }
// What to do with a streamed reply's unread body, as the core decided: read it whole (not a
// file: the core reads it next) or hand its ReadableStream over as the call's result (a file).
class Read { constructor(whole) { this.whole = whole; } }
export function readStep(whole) { return new Read(whole); }
// A streamed card's source: start pulling its next chunk (Pull), or wait for the chunk pulled
// at most `within` ms (-1: as long as it takes), leaving it pending when the time runs out.
class Pull {}
export function pullStep() { return new Pull(); }
class ReadChunk { constructor(within) { this.within = within; } }
export function readChunkStep(within) { return new ReadChunk(within); }
const LATE = {};
const pull = (source) => { const p = (async () => source())(); p.catch(ignore); return p; };
class Failure { constructor(error) { this.error = error; } }
export function failure(error) { return new Failure(error); }
// A call on the token store: its method (get, put, putIfAbsent, delete), key, value, TTL in s
// (-1: none) and how long it may take (0: no limit). A store without the method (no delete)
// answers undefined; what it throws, or its silence past the time, goes back to the core.
class StoreCall { constructor(op, key, value, ttl, timeoutMs) { this.op = op; this.key = key; this.value = value; this.ttl = ttl; this.timeoutMs = timeoutMs; } }
export function storeStep(op, key, value, ttl, timeoutMs) { return new StoreCall(op, key, value, ttl, timeoutMs); }
async function storeCall(store, s) {
  const f = store?.[s.op];
  if (typeof f !== 'function') return undefined;
  const args = s.op === 'get' || s.op === 'delete' ? [s.key] : [s.key, s.value, s.ttl >= 0 ? { expirationTtl: s.ttl } : {}];
  const work = (async () => f.apply(store, args))();
  if (!(s.timeoutMs > 0)) return await work;
  let timer;
  const deadline = new Promise((_, reject) => { timer = setTimeout(() => reject(TIMED_OUT), s.timeoutMs); });
  work.catch(ignore);
  try { return await Promise.race([work, deadline]); } finally { clearTimeout(timer); }
}
// Drives one of the core's sans-IO machines (WasmCall: an API call, a page, a download, a
// token fetch, a store call, a streamed card) from its first step: a Send is a request to send,
// a Read what to do with a streamed reply's body, a Pull / ReadChunk what to do with a streamed
// card's source (`source`, its next() function), a number a wait in ms, a StoreCall a call on the token
// store, a promise a token to wait for (a fetch another drive runs), a Failure the machine's
// error; anything else is the result. What a reply means is decided in the core; this
// performs the I/O, crossing into wasm once per reply (its parts as values, no strings).
// Where the runtime has no FinalizationRegistry (Workers without `enable_weak_ref`), nothing
// would ever free a call: `drive` frees it (one crossing more there, none elsewhere).
const FREE_CALLS = typeof FinalizationRegistry === 'undefined';
const sent = (call, reply) => {
  const [status, body, kept] = reply;
  return call.act(reply, status, body, typeof body === 'number' ? -1 : body === null ? -2 : body.byteLength, kept, kept.byteLength);
};
export async function drive(call, next, fetchFn, store, source) {
  let reply, pending;
  try {
    for (;;) {
      if (next instanceof Send) {
        const [method, url, timeoutMs, hasBody, stream, maxReply, headersJson] = next.line.split('\n');
        try {
          reply = await fetchOnce(fetchFn, url, method, headersJson, hasBody === '1' ? next.body : undefined, +timeoutMs, stream === '1', +maxReply);
        } catch (e) {
          next = call.act(e, -1, undefined, 0, undefined, 0);
          continue;
        }
        next = sent(call, reply);
      } else if (next instanceof Pull) {
        pending = pull(source);
        next = call.act(undefined, 0, undefined, 0, undefined, 0);
      } else if (next instanceof ReadChunk) {
        const chunk = pending ?? pull(source);
        pending = undefined;
        let timer, value, status = -5;
        const late = next.within >= 0 ? new Promise((resolve) => { timer = setTimeout(resolve, next.within, LATE); }) : undefined;
        try { value = await (late ? Promise.race([chunk, late]) : chunk); } catch (e) { value = e; status = -6; }
        clearTimeout(timer);
        if (value === LATE && status === -5) { pending = chunk; value = undefined; status = -7; }
        next = call.act(value, status, undefined, 0, undefined, 0);
      } else if (next instanceof Read) {
        // The file: its stream is the result (the timer stops at the headers).
        if (!next.whole) return await reply[4](false);
        try {
          reply[1] = await reply[4](true);
        } catch (e) {
          next = call.act(e, -1, undefined, 0, undefined, 0);
          continue;
        }
        next = sent(call, reply);
      } else if (typeof next === 'number') {
        await new Promise((resolve) => setTimeout(resolve, next));
        next = call.act(undefined, 0, undefined, 0, undefined, 0);
      } else if (next instanceof StoreCall) {
        let value, status = -2;
        try { value = await storeCall(store, next); } catch (e) { value = e; status = -3; }
        next = call.act(value, status, undefined, 0, undefined, 0);
      } else if (next instanceof Promise) {
        let value, status = 0;
        try { value = await next; } catch (e) { value = e; status = -4; }
        next = call.act(value, status, undefined, 0, undefined, 0);
      } else if (next instanceof Failure) {
        throw next.error;
      } else {
        return next;
      }
    }
  } finally {
    if (FREE_CALLS) call.free();
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = fetchOnce)]
    fn fetch_once(
        fetch: &Function,
        url: &str,
        method: &str,
        headers_json: &str,
        body: &JsValue,
        timeout_ms: f64,
        stream: bool,
        max_reply: f64,
    ) -> Promise;
    #[wasm_bindgen(js_name = isTimedOut)]
    pub(crate) fn is_timed_out(e: &JsValue) -> bool;
    #[wasm_bindgen(js_name = keepHeaders)]
    fn keep_headers(names: &str);
    /// Runs a [`super::client::WasmCall`] to its end from its first step, over `fetch` and
    /// the token `store` (`undefined`: the memory store, stepped in wasm), and for a streamed
    /// card its chunk `source`: the promise of its result.
    pub(crate) fn drive(
        call: JsValue,
        first: JsValue,
        fetch: &Function,
        store: &JsValue,
        source: &JsValue,
    ) -> Promise;
    /// A streamed card's source: start pulling its next chunk.
    #[wasm_bindgen(js_name = pullStep)]
    pub(crate) fn pull_step() -> JsValue;
    /// A streamed card's source: wait for the chunk pulled, at most `within` ms (-1: no limit).
    #[wasm_bindgen(js_name = readChunkStep)]
    pub(crate) fn read_chunk_step(within: f64) -> JsValue;
    /// A call on the token store, as `drive` reads it.
    #[wasm_bindgen(js_name = storeStep)]
    pub(crate) fn store_step(
        op: &str,
        key: &str,
        value: &JsValue,
        ttl: f64,
        timeout_ms: f64,
    ) -> JsValue;
    /// What `drive` does with a streamed reply's unread body: read it whole (`true`), or hand
    /// its stream over as the call's result.
    #[wasm_bindgen(js_name = readStep)]
    pub(crate) fn read_step(whole: bool) -> JsValue;
    /// A request to send and its body, as `drive` reads it.
    #[wasm_bindgen(js_name = sendStep)]
    pub(crate) fn send_step(line: &str, body: JsValue) -> JsValue;
    /// The call's error, as `drive` throws it.
    #[wasm_bindgen(js_name = failure)]
    pub(crate) fn failed_step(error: JsValue) -> JsValue;
}

/// Tells the JS side which response headers to read (once per isolate).
fn announce_headers() {
    thread_local! {
        static ANNOUNCED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    ANNOUNCED.with(|done| {
        if !done.replace(true) {
            keep_headers(&crate::json::string_array(&WANTED_HEADERS));
        }
    });
}

fn body_value(body: &Body) -> std::result::Result<JsValue, JsValue> {
    Ok(match body {
        Body::Empty => JsValue::UNDEFINED,
        Body::Json(json) => JsValue::from_str(json),
        Body::Multipart(parts) => form_data(parts)?.into(),
    })
}

/// The request headers as a JSON object (a JSON body adds its content type). Names and values
/// with line breaks are refused here, as `fetch` would.
fn headers_json(req: &HttpRequest) -> std::result::Result<String, JsValue> {
    let mut w = crate::json::ObjectWriter::default();
    let pairs = req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let json = matches!(req.body, Body::Json(_))
        .then_some(("content-type", "application/json; charset=utf-8"));
    for (k, v) in json.into_iter().chain(pairs) {
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            return Err(JsValue::from_str(
                "header names and values must not contain line breaks",
            ));
        }
        w.field(k, &quote(v));
    }
    Ok(w.finish())
}

pub(crate) fn read(reply: &Array) -> HttpResponse {
    read_parts(
        reply.get(0).as_f64().unwrap_or(0.0),
        &reply.get(1),
        &reply.get(2),
    )
}

/// A reply from `fetchOnce`'s parts: the status, the body (bytes, or the size past the limit)
/// and the kept header values as UTF-8 bytes, one per line. Bytes cross by copy, never as
/// strings (a string would cross back into the allocator).
pub(crate) fn read_parts(status: f64, body: &JsValue, kept: &JsValue) -> HttpResponse {
    let length = |v: &JsValue| {
        v.dyn_ref::<Uint8Array>()
            .map_or(-1.0, |b| f64::from(b.length()))
    };
    read_sized(status, body, length(body), kept, length(kept))
}

/// [`read_parts`] with the byte lengths given (-1: the body is the size past the limit, a
/// number): each part is copied in one crossing.
pub(crate) fn read_sized(
    status: f64,
    body: &JsValue,
    body_len: f64,
    kept: &JsValue,
    kept_len: f64,
) -> HttpResponse {
    let status = status as u16;
    // Header values cannot hold a line break (fetch refuses them), so one per line is exact.
    let kept = String::from_utf8_lossy(&copied(kept, kept_len)).into_owned();
    let mut headers: Vec<(String, String)> = WANTED_HEADERS
        .iter()
        .zip(kept.split('\n'))
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let body = if body_len < 0.0 {
        body_of(body, &mut headers)
    } else {
        copied(body, body_len)
    };
    HttpResponse {
        status,
        headers,
        body,
        stream: None,
    }
}

/// The bytes of a `Uint8Array` of `len` bytes (nothing when it is not one of that length).
fn copied(bytes: &JsValue, len: f64) -> Vec<u8> {
    if !(len >= 1.0) || len > f64::from(u32::MAX) {
        return Vec::new();
    }
    let mut out = vec![0u8; len as usize];
    match super::copy_bytes(bytes, &mut out) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// A body `fetchOnce` read: its bytes, or, when it passed the size limit, none and the
/// [`OVERSIZED_REPLY`] mark with the size seen (the core makes it the call's error).
fn body_of(value: &JsValue, headers: &mut Vec<(String, String)>) -> Vec<u8> {
    if let Some(seen) = value.as_f64() {
        // As a whole number: formatting an f64 would pull float printing into the wasm.
        let seen = if seen >= 0.0 { seen as u64 } else { 0 };
        headers.push((OVERSIZED_REPLY.to_string(), seen.to_string()));
        return Vec::new();
    }
    value
        .dyn_ref::<Uint8Array>()
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

/// A request as `drive` reads it: `method\nurl\ntimeout ms\n1 or 0 (a body)\n1 or 0 (the
/// body left unread, see [`read_step`])\nmax reply bytes (0: no limit)\nheaders as JSON` (a
/// URL and JSON text hold no raw line break), and its body as a JS value.
pub(crate) fn request_line(
    req: &HttpRequest,
    max_reply: u64,
) -> std::result::Result<(String, JsValue), TransportError> {
    let network = |e: JsValue| TransportError::Network(network_failure(&e, &req.url));
    let headers = headers_json(req).map_err(network)?;
    let body = body_value(&req.body).map_err(network)?;
    let method = req.method.as_str();
    let timeout = req.timeout_ms.unwrap_or(0).to_string();
    let max_reply = max_reply.to_string();
    let mut line = String::with_capacity(method.len() + req.url.len() + headers.len() + 48);
    let has_body = if matches!(req.body, Body::Empty) {
        "0"
    } else {
        "1"
    };
    let stream = if req.stream { "1" } else { "0" };
    for part in [
        method, &req.url, &timeout, has_body, stream, &max_reply, &headers,
    ] {
        if !line.is_empty() {
            line.push('\n');
        }
        line.push_str(part);
    }
    Ok((line, body))
}

/// What `fetchOnce` threw, as the transport's error: its timeout, or a network failure.
pub(crate) fn failure(e: &JsValue, url: &str, timeout_ms: u64) -> TransportError {
    match is_timed_out(e) {
        true => TransportError::Timeout(timeout_ms),
        false => TransportError::Network(network_failure(e, url)),
    }
}

/// A reply to a `stream` request: a file reply keeps its body unread (handed over as the
/// stream), any other is read whole, the core's rule ([`is_file_reply`]) deciding.
async fn finish(reply: &Array) -> std::result::Result<HttpResponse, JsValue> {
    let mut resp = read(reply);
    let finish: Function = reply.get(4).dyn_into()?;
    let file = is_file_reply(resp.status, resp.header("content-type"));
    let body = JsFuture::from(Promise::from(
        finish.call1(&JsValue::NULL, &JsValue::from_bool(!file))?,
    ))
    .await?;
    match file {
        true => resp.stream = Some(ResponseStream(body)),
        false => resp.body = body_of(&body, &mut resp.headers),
    }
    Ok(resp)
}

/// A failed fetch as a sentence: the origin it was for, what `fetch` threw, and its `cause`
/// (Node puts the system error there: `ECONNREFUSED`, `ENOTFOUND`…). Never the path or query.
fn network_failure(e: &JsValue, url: &str) -> String {
    let origin = crate::request::origin_of(url).unwrap_or("a URL without a scheme");
    let origin = crate::config::without_userinfo(origin);
    let mut msg = format!("{origin} ({})", describe(e));
    let cause = prop(e, "cause");
    if !cause.is_undefined() && !cause.is_null() {
        let code = prop(&cause, "code").as_string();
        let text = prop(&cause, "message")
            .as_string()
            .unwrap_or_else(|| describe(&cause));
        match code {
            Some(code) if !text.contains(&code) => {
                msg.push_str(&format!("; cause: {code}: {text}"))
            }
            _ => msg.push_str(&format!("; cause: {text}")),
        }
    }
    msg
}

impl Transport for FetchTransport {
    fn send(
        &self,
        req: HttpRequest,
    ) -> BoxFuture<'_, std::result::Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let network = |e: JsValue| TransportError::Network(network_failure(&e, &req.url));
            let headers = headers_json(&req).map_err(network)?;
            let body = body_value(&req.body).map_err(network)?;
            let timeout = req.timeout_ms.map(|ms| ms as f64).unwrap_or(0.0);
            let reply = JsFuture::from(fetch_once(
                &self.fetch,
                &req.url,
                req.method.as_str(),
                &headers,
                &body,
                timeout,
                req.stream,
                self.max_reply as f64,
            ))
            .await;
            let failed = |e: JsValue| failure(&e, &req.url, req.timeout_ms.unwrap_or(0));
            match reply {
                Ok(r) if req.stream => finish(&r.unchecked_into()).await.map_err(failed),
                Ok(r) => Ok(read(&r.unchecked_into())),
                Err(e) => Err(failed(e)),
            }
        })
    }
}
