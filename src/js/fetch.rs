//! The [`Transport`] on `fetch`: the global one (no `window` needed: Workers, Deno, Node 18+)
//! or one passed in from JS. Timeouts abort the request through an `AbortController`.

use super::{describe, prop};
use crate::error::{Error, Result};
use crate::transport::{Body, FileData, HttpRequest, HttpResponse, Part, Transport, TransportError};
use crate::LocalBoxFuture;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, FormData, Headers, Response};

/// Response headers the core reads; others are not copied into wasm.
const WANTED_HEADERS: [&str; 5] = ["x-tt-logid", "x-request-id", "x-ogw-ratelimit-reset", "content-type", "content-disposition"];

/// `fetch`-backed transport.
pub struct FetchTransport {
    fetch: Function,
}

impl FetchTransport {
    /// Uses `globalThis.fetch`.
    pub fn global() -> Result<FetchTransport> {
        let f = prop(&js_sys::global(), "fetch")
            .dyn_into::<Function>()
            .map_err(|_| Error::Config("this runtime has no global fetch; pass `fetch` in the client options".into()))?;
        Ok(FetchTransport { fetch: f })
    }
    /// Uses the given `fetch`-compatible function.
    pub fn with_function(fetch: Function) -> FetchTransport {
        FetchTransport { fetch }
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Reflect.set on a plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
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
            Part::File { name, filename, content_type, data } => {
                form.append_with_blob_and_filename(name, &file_blob(data, content_type.as_deref())?, filename)?
            }
        }
    }
    Ok(form)
}

fn init_object(req: &HttpRequest, signal: Option<&web_sys::AbortSignal>) -> std::result::Result<Object, JsValue> {
    let init = Object::new();
    set(&init, "method", &JsValue::from_str(req.method.as_str()));
    let headers = Headers::new()?;
    for (k, v) in &req.headers {
        headers.append(k, v)?;
    }
    match &req.body {
        Body::Empty => {}
        Body::Json(json) => {
            headers.set("content-type", "application/json; charset=utf-8")?;
            set(&init, "body", &JsValue::from_str(json));
        }
        Body::Multipart(parts) => set(&init, "body", form_data(parts)?.as_ref()),
    }
    set(&init, "headers", headers.as_ref());
    if let Some(s) = signal {
        set(&init, "signal", s.as_ref());
    }
    Ok(init)
}

async fn read(resp: Response) -> std::result::Result<HttpResponse, JsValue> {
    let header_source = resp.headers();
    let mut headers = Vec::with_capacity(2);
    for name in WANTED_HEADERS {
        if let Some(v) = header_source.get(name)? {
            headers.push((name.to_string(), v));
        }
    }
    let buffer = JsFuture::from(resp.array_buffer()?).await?;
    Ok(HttpResponse { status: resp.status(), headers, body: Uint8Array::new(&buffer).to_vec() })
}

impl Transport for FetchTransport {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, std::result::Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let controller = match req.timeout_ms {
                Some(_) => Some(AbortController::new().map_err(|e| TransportError::Network(describe(&e)))?),
                None => None,
            };
            let fired = Rc::new(Cell::new(false));
            // Dropping the timer (on every path out of this block) cancels it.
            let _timer = match (req.timeout_ms, &controller) {
                (Some(ms), Some(c)) => {
                    let (c, fired) = (c.clone(), fired.clone());
                    let ms = u32::try_from(ms).unwrap_or(u32::MAX);
                    Some(gloo_timers::callback::Timeout::new(ms, move || {
                        fired.set(true);
                        c.abort();
                    }))
                }
                _ => None,
            };
            let map_err = |e: JsValue| match (fired.get(), req.timeout_ms) {
                (true, Some(ms)) => TransportError::Timeout(ms),
                _ => TransportError::Network(describe(&e)),
            };
            let init = init_object(&req, controller.as_ref().map(|c| c.signal()).as_ref()).map_err(map_err)?;
            let promise = self.fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(&req.url), &init).map_err(map_err)?;
            let resp = super::settle(promise).await.map_err(map_err)?;
            let resp: Response = resp.dyn_into().map_err(|v| TransportError::Network(format!("fetch resolved to a non-Response: {}", describe(&v))))?;
            read(resp).await.map_err(map_err)
        })
    }
}
