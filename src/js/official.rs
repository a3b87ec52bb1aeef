//! The core of the official SDK's `registerApp` for the package's `official.js`, as a sans-IO
//! step machine: every URL, form, limit, default and judgment comes from
//! [`crate::api::registration`]; JS performs the actions it asks for (send, gzip, wait, report)
//! and hands the replies back.

use super::error::to_js;
use crate::api::registration::{self as reg, Poll};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

fn set(o: &Object, k: &str, v: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

/// `{ key: value }`.
fn one(k: &str, v: JsValue) -> JsValue {
    let o = Object::new();
    set(&o, k, v);
    o.into()
}

enum State {
    /// `addons` to gzip first (its checked JSON).
    Gzip(String),
    /// Send `begin`.
    Begin,
    /// Awaiting `begin`'s reply.
    Begun,
    /// Send a poll now.
    Poll,
    /// Awaiting a poll's reply.
    Polled,
    /// Wait the interval, then poll.
    Wait,
    /// Done (an action past the end is an error).
    Over,
}

/// The device flow of `registerApp`, one action at a time. `step(reply)` takes the reply of
/// the previous action (the text of a `send`, the encoding of a `gzip`; nothing otherwise) and
/// returns the next action, one of:
/// `{ gzip: text }` (gzip, then base64url without padding; the result is the next reply),
/// `{ send: { url, form, timeoutMs, maxBytes } }` (POST the form, the reply's text is the next
/// reply; abandoned after `timeoutMs`, a reply over `maxBytes` refused),
/// `{ ready: { url, expireIn, expireMs } }` (show the URL; the flow expires after `expireMs`),
/// `{ report: { status, interval? } }` (`onStatusChange`), `{ wait: ms }`,
/// `{ done: { client_id, client_secret, user_info } }` or `{ fail: { code, description } }`.
/// A malformed `begin` reply throws FeishuError.
#[wasm_bindgen]
pub struct WasmRegistration {
    options: reg::UrlOptions,
    url: String,
    lark_url: String,
    state: State,
    device_code: String,
    interval_ms: u64,
    switched: bool,
}

#[wasm_bindgen]
impl WasmRegistration {
    /// Checks the URL-shaping options (`{ appId, appPreset, source, createOnly }` as JSON) and
    /// `addons` (JSON, when given); throws FeishuError (kind `invalid_request`) as the official
    /// throws. `domain` / `larkDomain`: a host, or an origin with its scheme.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options_json: &str,
        addons_json: Option<String>,
        domain: Option<String>,
        lark_domain: Option<String>,
    ) -> Result<WasmRegistration, JsValue> {
        let options = reg::url_options(options_json).map_err(|e| to_js(&e))?;
        let state = match addons_json {
            Some(json) => State::Gzip(reg::normalize_addons(&json).map_err(|e| to_js(&e))?),
            None => State::Begin,
        };
        Ok(WasmRegistration {
            options,
            url: reg::endpoint_url(domain.as_deref(), false),
            lark_url: reg::endpoint_url(lark_domain.as_deref(), true),
            state,
            device_code: String::new(),
            interval_ms: 0,
            switched: false,
        })
    }

    /// The next action, given the previous one's reply.
    pub fn step(&mut self, reply: Option<String>) -> Result<JsValue, JsValue> {
        match std::mem::replace(&mut self.state, State::Over) {
            State::Gzip(json) => {
                self.state = State::Begin;
                Ok(one("gzip", json.into()))
            }
            State::Begin => {
                // After a `gzip`, its reply is the encoded `addons`.
                if let Some(encoded) = reply {
                    self.options.addons = Some(encoded);
                }
                self.state = State::Begun;
                Ok(self.send(reg::begin_form()))
            }
            State::Begun => {
                let b = reg::begun(reply.as_deref().unwrap_or(""), &self.options)
                    .map_err(|e| to_js(&e))?;
                self.device_code = b.device_code;
                self.interval_ms = b.interval_ms;
                self.state = State::Poll;
                let o = Object::new();
                set(&o, "url", b.url.into());
                set(&o, "expireIn", JsValue::from_f64(b.expire_secs as f64));
                set(&o, "expireMs", JsValue::from_f64(b.expire_ms as f64));
                Ok(one("ready", o.into()))
            }
            State::Poll => {
                self.state = State::Polled;
                Ok(self.send(reg::poll_form(&self.device_code)))
            }
            State::Wait => {
                self.state = State::Poll;
                Ok(one("wait", JsValue::from_f64(self.interval_ms as f64)))
            }
            State::Polled => Ok(self.judge(reply.as_deref().unwrap_or(""))),
            State::Over => Err(to_js(&crate::Error::InvalidRequest(
                "registration: the flow is over".into(),
            ))),
        }
    }
}

impl WasmRegistration {
    fn send(&self, form: String) -> JsValue {
        let url = if self.switched {
            &self.lark_url
        } else {
            &self.url
        };
        let o = Object::new();
        set(&o, "url", url.as_str().into());
        set(&o, "form", form.into());
        set(
            &o,
            "timeoutMs",
            JsValue::from_f64(reg::REQUEST_TIMEOUT_MS as f64),
        );
        set(
            &o,
            "maxBytes",
            JsValue::from_f64(reg::MAX_REPLY_BYTES as f64),
        );
        one("send", o.into())
    }

    fn report(status: &str, interval_secs: Option<f64>) -> JsValue {
        let o = Object::new();
        set(&o, "status", status.into());
        if let Some(s) = interval_secs {
            set(&o, "interval", JsValue::from_f64(s));
        }
        one("report", o.into())
    }

    fn judge(&mut self, reply: &str) -> JsValue {
        match reg::judge_poll(reply, self.switched, self.interval_ms) {
            Poll::SwitchDomain => {
                self.switched = true;
                self.state = State::Poll;
                Self::report("domain_switched", None)
            }
            Poll::Success {
                client_id,
                client_secret,
                user_info,
            } => {
                let o = Object::new();
                set(&o, "client_id", client_id.into());
                set(&o, "client_secret", client_secret.into());
                let user = user_info
                    .and_then(|u| js_sys::JSON::parse(&u).ok())
                    .unwrap_or(JsValue::UNDEFINED);
                set(&o, "user_info", user);
                one("done", o.into())
            }
            Poll::Pending { report } => {
                if report {
                    self.state = State::Wait;
                    Self::report("polling", None)
                } else {
                    self.state = State::Poll;
                    one("wait", JsValue::from_f64(self.interval_ms as f64))
                }
            }
            Poll::SlowDown(ms) => {
                self.interval_ms = ms;
                self.state = State::Wait;
                Self::report("slow_down", Some(ms as f64 / 1000.0))
            }
            Poll::Fail { code, description } => {
                let o = Object::new();
                set(&o, "code", code.into());
                set(&o, "description", description.into());
                one("fail", o.into())
            }
        }
    }
}
