//! A failed call's reply on its error, where an axios error has it: `e.response.status`,
//! `e.response.data` (the parsed envelope, or the body's text when it is not JSON) and
//! `e.response.headers` (lower-case names), so catch blocks written for the official node-sdk
//! (`JSON.stringify(e.response.data)`) read it. Built only when a call fails on a reply.

use super::error::to_js;
use crate::error::Error;
use crate::request::envelope::OVERSIZED_REPLY;
use crate::transport::HttpResponse;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// A Headers object as a plain one (lower-case names), as axios gives them.
function plain(all) {
  const headers = {};
  all.forEach((value, name) => { headers[name] = value; });
  return headers;
}
// A download's bytes with the reply's headers beside them (the official result's `headers`).
export function withHeaders(bytes, reply) {
  const all = Array.isArray(reply) ? reply[3] : undefined;
  const headers = all && typeof all.forEach === 'function' ? plain(all) : {};
  Object.defineProperty(bytes, 'headers', { value: headers, enumerable: false, configurable: true, writable: true });
  return bytes;
}
export function withResponse(error, status, text, reply, keptJson) {
  let data = text;
  if (text !== '') {
    try { data = JSON.parse(text); } catch { /* not JSON: its text, as axios keeps it */ }
  }
  // fetchOnce's reply holds the Headers at [3]; without them, the headers the core kept.
  const all = Array.isArray(reply) ? reply[3] : undefined;
  const headers = all && typeof all.forEach === 'function' ? plain(all) : JSON.parse(keptJson);
  if (error !== null && typeof error === 'object') {
    Object.defineProperty(error, 'response', { value: { status, data, headers }, enumerable: true, configurable: true, writable: true });
  }
  return error;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = withHeaders)]
    fn with_headers(bytes: JsValue, reply: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = withResponse)]
    fn with_response(
        error: JsValue,
        status: u16,
        text: &str,
        reply: &JsValue,
        kept: &str,
    ) -> JsValue;
}

/// A download's bytes with `headers`: the reply's (`reply`: the array `fetchOnce` resolved to).
pub(crate) fn downloaded(bytes: &[u8], reply: &JsValue) -> JsValue {
    with_headers(js_sys::Uint8Array::from(bytes).into(), reply)
}

/// `error` as the JS error, with `response` from the reply it failed on (`reply`: the array
/// `fetchOnce` resolved to, or `undefined`).
pub(crate) fn rejected(error: &Error, resp: &HttpResponse, reply: &JsValue) -> JsValue {
    let text = String::from_utf8_lossy(&resp.body);
    let mut kept = crate::json::ObjectWriter::default();
    for (name, value) in resp.headers.iter().filter(|(n, _)| n != OVERSIZED_REPLY) {
        kept.field(name, &crate::json::quote(value));
    }
    with_response(to_js(error), resp.status, &text, reply, &kept.finish())
}

/// `error` as the JS error, with a `response` rebuilt from what the error kept when the reply
/// itself is gone (a token request or a page the core sent and read): the status, `{ code,
/// msg }` for an envelope (the text for anything else), the log id. None for an error without
/// a reply (a timeout, a network failure, a refusal before sending).
pub(crate) fn rebuilt(error: &Error) -> JsValue {
    let js = to_js(error);
    let Some(api) = error.api() else {
        return js;
    };
    let data = match (error.cause(), api.code) {
        (Error::Api(_), Some(code)) => {
            let mut w = crate::json::ObjectWriter::default();
            w.field("code", &code.to_string());
            w.field("msg", &crate::json::quote(&api.msg));
            w.finish()
        }
        _ => crate::json::quote(&api.msg),
    };
    let mut headers = crate::json::ObjectWriter::default();
    if let Some(id) = &api.log_id {
        headers.field("x-tt-logid", &crate::json::quote(id));
    }
    with_response(
        js,
        api.http_status,
        &data,
        &JsValue::UNDEFINED,
        &headers.finish(),
    )
}
