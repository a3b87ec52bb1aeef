//! A console-like JS object (`debug`/`info`/`warn`/`error` methods) as a [`Logger`].

use super::method;
use crate::log::{Level, Logger};
use wasm_bindgen::JsValue;

/// Writes to `target[level](message)`, falling back to `target.log`.
pub struct JsLogger {
    target: JsValue,
    threshold: Option<Level>,
}

impl JsLogger {
    /// `target` defaults to `console`; `threshold` `None` silences everything.
    pub fn new(target: JsValue, threshold: Option<Level>) -> JsLogger {
        let target = if target.is_object() {
            target
        } else {
            super::prop(&js_sys::global(), "console")
        };
        JsLogger { target, threshold }
    }
}

impl JsLogger {
    /// From the JS options `logger` and `logLevel` (default `warn`; `none` silences).
    pub fn from_options(logger: JsValue, log_level: Option<&str>) -> JsLogger {
        let threshold = match log_level {
            None => Some(Level::Warn),
            Some(l) => Level::parse(l),
        };
        JsLogger::new(logger, threshold)
    }
}

impl Logger for JsLogger {
    fn enabled(&self, level: Level) -> bool {
        self.threshold.is_some_and(|t| level >= t)
    }
    fn log(&self, level: Level, message: &str) {
        if let Some(f) =
            method(&self.target, level.as_str()).or_else(|| method(&self.target, "log"))
        {
            let line = JsValue::from_str(&format!("[feishu-edge] {message}"));
            // A throwing logger must not take the call down with it.
            let _ = f.call1(&self.target, &line);
        }
    }
}
