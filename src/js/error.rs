//! Turning [`Error`] into the package's `FeishuError` (a JS `Error` subclass the runtime
//! entry installs), with `kind`, `code`, `msg`, `logId`, `httpStatus` and `retryable`.

use crate::error::Error;
use js_sys::{Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called once by the runtime entry, right after instantiating, before anything else runs:
/// `errorClass`, the package's `FeishuError` class, is what the core throws; `crypto`, the
/// host's provider, becomes the core's default ([`crate::crypto::install`]) — the long
/// connection's own wasm (no feature `js`) takes none.
#[wasm_bindgen]
pub fn install(error_class: Function, crypto: Option<Object>) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(error_class));
    #[cfg(feature = "js")]
    if let Some(crypto) = crypto {
        super::crypto::install_crypto(wasm_bindgen::JsCast::unchecked_into(crypto));
    }
    #[cfg(not(feature = "js"))]
    let _ = crypto;
}

fn set(target: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value);
}

/// The JS error object for `err`.
pub fn to_js(err: &Error) -> JsValue {
    let info = Object::new();
    let message = err.to_string();
    set(&info, "kind", JsValue::from_str(err.kind()));
    set(&info, "message", JsValue::from_str(&message));
    set(&info, "retryable", JsValue::from_bool(err.retryable()));
    let api = err.api();
    set(
        &info,
        "code",
        api.and_then(|a| a.code)
            .map(|c| JsValue::from_f64(c as f64))
            .unwrap_or(JsValue::NULL),
    );
    set(
        &info,
        "msg",
        JsValue::from_str(api.map(|a| a.msg.as_str()).unwrap_or(message.as_str())),
    );
    set(
        &info,
        "logId",
        api.and_then(|a| a.log_id.as_deref())
            .map(JsValue::from_str)
            .unwrap_or(JsValue::NULL),
    );
    set(
        &info,
        "httpStatus",
        api.map(|a| JsValue::from_f64(f64::from(a.http_status)))
            .unwrap_or(JsValue::NULL),
    );
    match err.cause() {
        Error::ClientAssertion { code, msg } => {
            set(&info, "code", JsValue::from_f64(*code as f64));
            set(&info, "msg", JsValue::from_str(msg));
        }
        Error::Webhook(reason) => set(&info, "reason", JsValue::from_str(reason.as_str())),
        Error::Card(e) => {
            set(&info, "reason", JsValue::from_str(e.kind.as_str()));
            set(&info, "path", JsValue::from_str(&e.path));
        }
        _ => {}
    }
    if let Some(reset) = api.and_then(|a| a.rate_limit_reset_secs) {
        set(
            &info,
            "rateLimitResetSeconds",
            JsValue::from_f64(reset as f64),
        );
    }
    let class = ERROR_CLASS.with(|c| c.borrow().clone());
    if let Some(class) = class {
        if let Ok(e) = Reflect::construct(&class, &js_sys::Array::of1(&info)) {
            return e;
        }
    }
    let e = js_sys::Error::new(&message);
    e.set_name("FeishuError");
    let _ = Object::assign(&e, &info);
    e.into()
}
