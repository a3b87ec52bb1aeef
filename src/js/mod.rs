//! The wasm-bindgen skin: JS-backed implementations of the core's seams (global `fetch`,
//! Workers-KV-shaped stores, console-like loggers, `Date.now`/`setTimeout`) and the exported
//! classes the package's `client.js` wraps. Nothing here holds logic the core could own.

// `js-base` alone (the long connection's own wasm) takes the seams (errors, loggers, the
// clock, the keyless provider) and `ws`; `js` adds the webhook side's exports, `client` the
// client's.
#[cfg(any(all(feature = "js", feature = "client"), feature = "ws"))]
pub mod assertion;
#[cfg(feature = "js")]
pub mod card;
#[cfg(all(feature = "js", feature = "client"))]
pub mod client;
#[cfg(feature = "js")]
pub mod crypto;
pub mod error;
#[cfg(all(feature = "js", feature = "client"))]
pub mod fetch;
#[cfg(all(feature = "js", feature = "client"))]
pub mod helpers;
pub mod logger;
#[cfg(all(feature = "js", feature = "client"))]
pub mod official;
#[cfg(all(feature = "js", feature = "client"))]
pub mod response;
pub mod runtime;
#[cfg(feature = "js")]
pub mod store;
#[cfg(all(feature = "js", feature = "client"))]
pub mod stream;
#[cfg(feature = "js")]
pub mod webhook;
#[cfg(feature = "ws")]
pub mod ws;
#[cfg(all(feature = "js", feature = "client"))]
pub mod ws_dedupe;

use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
// Copies a Uint8Array whose length the caller knows into `out` (a view of wasm memory):
// one crossing, where reading its length and copying it would take several.
export function copyBytes(src, out) {
  if (!(src instanceof Uint8Array) || src.length !== out.length) throw new RangeError('length');
  out.set(src);
}
"#)]
extern "C" {
    /// Copies `src`, a `Uint8Array` of exactly `out.len()` bytes, into `out` in one crossing;
    /// anything else is an error (never a partial copy).
    #[wasm_bindgen(catch, js_name = copyBytes)]
    pub(crate) fn copy_bytes(src: &JsValue, out: &mut [u8]) -> Result<(), JsValue>;
}

/// Reads a property, `undefined` when missing or when the getter throws.
pub(crate) fn prop(target: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A property that is a function, if it is one.
pub(crate) fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    prop(target, name).dyn_into::<js_sys::Function>().ok()
}

/// Every exported async function's promise goes through this one `future_to_promise`: each
/// generic instantiation would copy a whole state machine into its own closure.
pub(crate) fn to_promise(
    future: crate::runtime::BoxFuture<'static, Result<JsValue, JsValue>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(future)
}

/// Awaits a value that may or may not be a promise (`await x` in JS).
pub(crate) async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&value)).await
}

/// A readable description of a thrown JS value.
pub(crate) fn describe(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        let name: String = e.name().into();
        let msg: String = e.message().into();
        return format!("{name}: {msg}");
    }
    err.as_string()
        .unwrap_or_else(|| "a non-Error value was thrown".to_string())
}

/// The npm build's allocator (feature `talc-allocator`): smaller than the default dlmalloc at
/// the same speed on the webhook and request paths (measured).
#[cfg(feature = "talc-allocator")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
