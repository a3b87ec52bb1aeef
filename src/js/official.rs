//! The core of the official SDK's `registerApp` for the package's `official.js`: every URL,
//! form, default and judgment comes from [`crate::api::registration`]; JS sends, waits, gzips.

use super::error::to_js;
use crate::api::registration::{self as reg, Poll};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

fn set(o: &Object, k: &str, v: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

/// The device flow's endpoint URL for a `domain` option (a host, or an origin with its scheme);
/// `lark`: the Lark default host.
#[wasm_bindgen(js_name = registrationEndpoint)]
pub fn registration_endpoint(domain: Option<String>, lark: bool) -> String {
    reg::endpoint_url(domain.as_deref(), lark)
}

/// The bounds of each `begin` / `poll` request: `{ timeoutMs, maxBytes }` (abandoned after
/// `timeoutMs`, a reply over `maxBytes` refused).
#[wasm_bindgen(js_name = registrationLimits)]
pub fn registration_limits() -> JsValue {
    let out = Object::new();
    set(
        &out,
        "timeoutMs",
        JsValue::from_f64(reg::REQUEST_TIMEOUT_MS as f64),
    );
    set(
        &out,
        "maxBytes",
        JsValue::from_f64(reg::MAX_REPLY_BYTES as f64),
    );
    out.into()
}

/// The `begin` form body.
#[wasm_bindgen(js_name = registrationBeginForm)]
pub fn registration_begin_form() -> String {
    reg::begin_form()
}

/// A `poll` form body.
#[wasm_bindgen(js_name = registrationPollForm)]
pub fn registration_poll_form(device_code: &str) -> String {
    reg::poll_form(device_code)
}

/// Checks the URL-shaping options (`appId`, `appPreset`, `source`, `createOnly`,
/// `encodedAddons`); throws FeishuError (kind `invalid_request`) as the official throws.
#[wasm_bindgen(js_name = registrationCheck)]
pub fn registration_check(options_json: &str) -> Result<(), JsValue> {
    reg::url_options(options_json)
        .map(|_| ())
        .map_err(|e| to_js(&e))
}

/// Reads `begin`'s reply: `{ deviceCode, url, intervalMs, expireMs, expireIn }`.
#[wasm_bindgen(js_name = registrationBegun)]
pub fn registration_begun(reply: &str, options_json: &str) -> Result<JsValue, JsValue> {
    let run = || -> crate::Result<JsValue> {
        let o = reg::url_options(options_json)?;
        let b = reg::begun(reply, &o)?;
        let out = Object::new();
        set(&out, "deviceCode", b.device_code.into());
        set(&out, "url", b.url.into());
        set(&out, "intervalMs", JsValue::from_f64(b.interval_ms as f64));
        set(&out, "expireMs", JsValue::from_f64(b.expire_ms as f64));
        set(&out, "expireIn", JsValue::from_f64(b.expire_secs as f64));
        Ok(out.into())
    };
    run().map_err(|e| to_js(&e))
}

/// Judges a poll reply: `{ kind: 'switch' | 'success' | 'pending' | 'slow_down' | 'fail', … }`
/// (`report` for pending, `intervalMs` for slow_down, `clientId`/`clientSecret`/`userInfo`
/// JSON for success, `code`/`description` for fail).
#[wasm_bindgen(js_name = registrationJudge)]
pub fn registration_judge(reply: &str, switched: bool, interval_ms: f64) -> JsValue {
    let out = Object::new();
    let interval = if interval_ms.is_finite() && interval_ms > 0.0 {
        interval_ms as u64
    } else {
        0
    };
    match reg::judge_poll(reply, switched, interval) {
        Poll::SwitchDomain => set(&out, "kind", "switch".into()),
        Poll::Success {
            client_id,
            client_secret,
            user_info,
        } => {
            set(&out, "kind", "success".into());
            set(&out, "clientId", client_id.into());
            set(&out, "clientSecret", client_secret.into());
            if let Some(u) = user_info {
                set(&out, "userInfo", u.into());
            }
        }
        Poll::Pending { report } => {
            set(&out, "kind", "pending".into());
            set(&out, "report", report.into());
        }
        Poll::SlowDown(ms) => {
            set(&out, "kind", "slow_down".into());
            set(&out, "intervalMs", JsValue::from_f64(ms as f64));
        }
        Poll::Fail { code, description } => {
            set(&out, "kind", "fail".into());
            set(&out, "code", code.into());
            set(&out, "description", description.into());
        }
    }
    out.into()
}

/// `addons` checked and rebuilt from its known fields: the JSON to gzip.
#[wasm_bindgen(js_name = registrationAddons)]
pub fn registration_addons(json: &str) -> Result<String, JsValue> {
    reg::normalize_addons(json).map_err(|e| to_js(&e))
}
