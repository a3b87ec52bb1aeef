//! `Date.now()`, `setTimeout` (gloo-timers) and `Math.random()`.

use crate::runtime::BoxFuture;
use crate::runtime::Runtime;

/// The JS runtime's clock and timers; works in Workers, Deno, Node and browsers.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsRuntime;

impl Runtime for JsRuntime {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        let ms = u32::try_from(ms).unwrap_or(u32::MAX);
        Box::pin(gloo_timers::future::TimeoutFuture::new(ms))
    }
    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}
