//! `registerApp`: creating or updating an app through the platform's device flow (RFC 8628
//! style, as the official node-sdk does it). The flow: `begin` at the accounts host's
//! `/oauth/v1/app/registration` gives a device code and a verification URL (shown as a QR
//! code); then `poll` every `interval` seconds until the user confirms (the credentials), denies,
//! or the code expires. `slow_down` adds 5 s to the interval; a Lark tenant moves the polling to
//! the Lark accounts host once.
//!
//! This module holds every decision (URLs, form fields, defaults, the QR URL's parameters, the
//! judgment of each poll reply, the `addons` rules); the package's `registerApp` only sends,
//! waits and compresses.

use crate::error::{Error, Result};
use crate::json::{Json, ObjectWriter, RawFields};

/// The Feishu accounts host.
pub const DEFAULT_FEISHU_DOMAIN: &str = "accounts.feishu.cn";
/// The Lark accounts host (after a `tenant_brand: lark` reply).
pub const DEFAULT_LARK_DOMAIN: &str = "accounts.larksuite.com";
/// The device flow's endpoint path.
pub const ENDPOINT: &str = "/oauth/v1/app/registration";
/// The SDK name the QR URL carries (`source=node-sdk[/<source>]`), the official one's: the
/// landing page knows it.
pub const SDK_NAME: &str = "node-sdk";
/// At most this many avatar URLs.
pub const AVATAR_MAX_COUNT: usize = 6;
/// The default poll interval (seconds) and code lifetime (seconds).
pub const DEFAULT_INTERVAL_SECS: u64 = 5;
/// See [`DEFAULT_INTERVAL_SECS`].
pub const DEFAULT_EXPIRES_SECS: u64 = 600;
/// What `slow_down` adds to the interval, in ms.
pub const SLOW_DOWN_STEP_MS: u64 = 5000;
/// The shortest poll interval believed from a reply (seconds): `interval: 0` must not poll in
/// a tight loop.
pub const MIN_INTERVAL_SECS: u64 = 1;
/// The longest poll interval (seconds), `slow_down` included.
pub const MAX_INTERVAL_SECS: u64 = 60;
/// The longest code lifetime believed from a reply (seconds): 30 minutes (a larger
/// `expires_in` would also overflow a JS timer, ending the flow at once).
pub const MAX_EXPIRES_SECS: u64 = 30 * 60;
/// How long one `begin` or `poll` request may take (ms) before it is abandoned.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// The largest `begin` or `poll` reply read (bytes); a larger one fails the flow.
pub const MAX_REPLY_BYTES: u64 = 64 * 1024;

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidRequest(msg.into())
}

/// The endpoint URL for a `domain` option: a host (`https://` is added, as the official SDK
/// does), or a whole origin with its scheme (a loopback emulator).
///
/// ```
/// use feishu_edge::api::registration::endpoint_url;
/// assert_eq!(endpoint_url(None, false), "https://accounts.feishu.cn/oauth/v1/app/registration");
/// assert_eq!(endpoint_url(Some("http://127.0.0.1:9/"), true), "http://127.0.0.1:9/oauth/v1/app/registration");
/// assert_eq!(endpoint_url(None, true), "https://accounts.larksuite.com/oauth/v1/app/registration");
/// ```
pub fn endpoint_url(domain: Option<&str>, lark: bool) -> String {
    let default = if lark {
        DEFAULT_LARK_DOMAIN
    } else {
        DEFAULT_FEISHU_DOMAIN
    };
    let d = domain.filter(|d| !d.is_empty()).unwrap_or(default);
    let origin = if d.contains("://") {
        d.trim_end_matches('/').to_string()
    } else {
        format!("https://{}", d.trim_end_matches('/'))
    };
    format!("{origin}{ENDPOINT}")
}

fn form(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const FORM: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, FORM),
                utf8_percent_encode(v, FORM)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The `begin` form body (`application/x-www-form-urlencoded`).
///
/// ```
/// assert_eq!(feishu_edge::api::registration::begin_form(), "action=begin&archetype=PersonalAgent&auth_method=client_secret&request_user_info=open_id");
/// ```
pub fn begin_form() -> String {
    form(&[
        ("action", "begin"),
        ("archetype", "PersonalAgent"),
        ("auth_method", "client_secret"),
        ("request_user_info", "open_id"),
    ])
}

/// The `poll` form body.
pub fn poll_form(device_code: &str) -> String {
    form(&[("action", "poll"), ("device_code", device_code)])
}

/// What `begin` answered: the device code, the URL to show, the poll interval and lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begun {
    /// The device code, sent with each poll.
    pub device_code: String,
    /// The QR code's URL with the SDK's parameters.
    pub url: String,
    /// Poll interval, ms.
    pub interval_ms: u64,
    /// Lifetime of the code, ms.
    pub expire_ms: u64,
    /// Lifetime of the code, seconds (the `onQRCodeReady` value).
    pub expire_secs: u64,
}

/// The options of `registerApp` that shape the QR URL (the JSON-able part).
#[derive(Debug, Default)]
pub struct UrlOptions {
    /// `source`: `node-sdk/<source>`.
    pub source: Option<String>,
    /// `appPreset.avatar` (one or up to six URLs), `name`, `desc`.
    pub avatars: Option<Vec<String>>,
    /// `appPreset.name`.
    pub name: Option<String>,
    /// `appPreset.desc`.
    pub desc: Option<String>,
    /// The encoded `addons` (see [`normalize_addons`]).
    pub addons: Option<String>,
    /// `createOnly === true`.
    pub create_only: bool,
    /// `appId` of an app to update.
    pub app_id: Option<String>,
}

/// Reads the options of `registerApp` that shape the URL, checking them as the official SDK
/// does (`appId` a non-empty string, at most six avatar URLs, each a non-empty string).
pub fn url_options(json: &str) -> Result<UrlOptions> {
    let v = Json::parse(json).ok_or_else(|| invalid("registerApp options are not JSON"))?;
    let get = |k: &str| v.get(k).filter(|x| !x.is_null());
    let string = |x: Option<&Json<'_>>| x.and_then(Json::as_str).map(|s| s.into_owned());
    let app_id = match get("appId") {
        None => None,
        Some(x) => match x.as_str() {
            Some(s) if !s.is_empty() => Some(s.into_owned()),
            _ => return Err(invalid("appId must be a non-empty string")),
        },
    };
    let preset = get("appPreset");
    let avatars = match preset
        .and_then(|p| p.get("avatar"))
        .filter(|x| !x.is_null())
    {
        None => None,
        Some(a) => {
            let list: Vec<&Json<'_>> = match a.as_array() {
                Some(items) => items.iter().collect(),
                None => vec![a],
            };
            if list.is_empty() {
                return Err(invalid("appPreset.avatar must contain at least 1 URL"));
            }
            if list.len() > AVATAR_MAX_COUNT {
                return Err(invalid(format!(
                    "appPreset.avatar supports at most {AVATAR_MAX_COUNT} URLs, got {}",
                    list.len()
                )));
            }
            let mut out = Vec::with_capacity(list.len());
            for (i, item) in list.iter().enumerate() {
                match item.as_str() {
                    Some(s) if !s.is_empty() => out.push(s.into_owned()),
                    _ => {
                        return Err(invalid(format!(
                            "appPreset.avatar[{i}] must be a non-empty string"
                        )))
                    }
                }
            }
            Some(out)
        }
    };
    Ok(UrlOptions {
        source: string(get("source")).filter(|s| !s.is_empty()),
        avatars,
        name: string(preset.and_then(|p| p.get("name"))),
        desc: string(preset.and_then(|p| p.get("desc"))),
        addons: string(get("encodedAddons")),
        create_only: get("createOnly").and_then(Json::as_bool) == Some(true),
        app_id,
    })
}

/// Reads `begin`'s reply and builds the QR URL (the interval bounded to
/// [`MIN_INTERVAL_SECS`]..=[`MAX_INTERVAL_SECS`], the lifetime to [`MAX_EXPIRES_SECS`], a
/// missing or zero one [`DEFAULT_EXPIRES_SECS`]): `from=sdk`, `source`, `tp=sdk`, the preset,
/// `addons`, `createOnly=true`, `clientID`.
pub fn begun(reply: &str, o: &UrlOptions) -> Result<Begun> {
    let f = RawFields::parse(reply)
        .ok_or_else(|| invalid("registration begin: the reply is not a JSON object"))?;
    let uri = f
        .str("verification_uri_complete")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            let why = f
                .str("error_description")
                .or_else(|| f.str("error"))
                .unwrap_or_default();
            invalid(format!(
                "registration begin: no verification_uri_complete in the reply {why}"
            ))
        })?;
    let device_code = f.str("device_code").unwrap_or_default();
    let seconds = |k: &str| {
        f.get(k)
            .filter(|r| *r != "null")
            .and_then(|r| r.parse::<u64>().ok())
    };
    let interval = seconds("interval")
        .unwrap_or(DEFAULT_INTERVAL_SECS)
        .clamp(MIN_INTERVAL_SECS, MAX_INTERVAL_SECS);
    let expires = seconds("expires_in")
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_EXPIRES_SECS)
        .min(MAX_EXPIRES_SECS);
    let source = match &o.source {
        Some(s) => format!("{SDK_NAME}/{s}"),
        None => SDK_NAME.to_string(),
    };
    // Set (replace) and append, as URLSearchParams does on the URL the platform gave.
    let (base, query) = match uri.split_once('?') {
        Some((b, q)) => (b.to_string(), q.to_string()),
        None => (uri.clone(), String::new()),
    };
    let (base, fragment) = match base.split_once('#') {
        Some((b, h)) => (b.to_string(), Some(h.to_string())),
        None => (base, None),
    };
    let (query, fragment) = match (query.split_once('#'), fragment) {
        (Some((q, h)), None) => (q.to_string(), Some(h.to_string())),
        (_, f) => (query, f),
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    set_param(&mut pairs, "from", "sdk");
    set_param(&mut pairs, "source", &source);
    set_param(&mut pairs, "tp", "sdk");
    if let Some(avatars) = &o.avatars {
        for a in avatars {
            pairs.push(("avatar".into(), a.clone()));
        }
    }
    if let Some(n) = &o.name {
        set_param(&mut pairs, "name", n);
    }
    if let Some(d) = &o.desc {
        set_param(&mut pairs, "desc", d);
    }
    if let Some(a) = &o.addons {
        set_param(&mut pairs, "addons", a);
    }
    if o.create_only {
        set_param(&mut pairs, "createOnly", "true");
    }
    if let Some(id) = &o.app_id {
        set_param(&mut pairs, "clientID", id);
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut url = format!("{base}?{}", form(&borrowed).replace("%20", "+"));
    if let Some(h) = fragment {
        url.push('#');
        url.push_str(&h);
    }
    Ok(Begun {
        device_code,
        url,
        interval_ms: interval.saturating_mul(1000),
        expire_ms: expires.saturating_mul(1000),
        expire_secs: expires,
    })
}

/// `URLSearchParams.set`: the first `k` takes the value and the others go; appended when absent.
fn set_param(pairs: &mut Vec<(String, String)>, k: &str, v: &str) {
    let mut first = true;
    pairs.retain_mut(|(n, value)| {
        if n != k {
            return true;
        }
        if first {
            first = false;
            *value = v.to_string();
            return true;
        }
        false
    });
    if first {
        pairs.push((k.to_string(), v.to_string()));
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// What one poll reply means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// A Lark tenant: poll the Lark accounts host now (once).
    SwitchDomain,
    /// Done: the credentials (and `user_info`, raw JSON, when sent).
    Success {
        /// The new app's id.
        client_id: String,
        /// Its secret.
        client_secret: String,
        /// `user_info` as sent.
        user_info: Option<String>,
    },
    /// Not yet (`authorization_pending`, or nothing said): poll again after the interval.
    Pending {
        /// Whether to report `{status: 'polling'}`.
        report: bool,
    },
    /// `slow_down`: the interval grows to this many ms.
    SlowDown(u64),
    /// The flow failed: `{code, description}`, as the official rejects.
    Fail {
        /// `access_denied`, `expired_token`, or the platform's error.
        code: String,
        /// Its description.
        description: String,
    },
}

/// Judges one poll reply (`switched`: the Lark switch happened already).
///
/// ```
/// use feishu_edge::api::registration::{judge_poll, Poll};
/// assert_eq!(judge_poll(r#"{"error":"slow_down"}"#, false, 5000), Poll::SlowDown(10000));
/// assert_eq!(judge_poll(r#"{"user_info":{"tenant_brand":"lark"}}"#, false, 5000), Poll::SwitchDomain);
/// assert!(matches!(judge_poll(r#"{"client_id":"cli_a","client_secret":"s"}"#, false, 5000), Poll::Success { .. }));
/// ```
pub fn judge_poll(reply: &str, switched: bool, interval_ms: u64) -> Poll {
    let Some(f) = RawFields::parse(reply) else {
        return Poll::Pending { report: false };
    };
    let user_info = f
        .get("user_info")
        .filter(|r| *r != "null")
        .map(str::to_string);
    let brand = user_info
        .as_deref()
        .and_then(RawFields::parse)
        .and_then(|u| u.str("tenant_brand"));
    if brand.as_deref() == Some("lark") && !switched {
        return Poll::SwitchDomain;
    }
    let id = f.str("client_id").filter(|s| !s.is_empty());
    let secret = f.str("client_secret").filter(|s| !s.is_empty());
    if let (Some(client_id), Some(client_secret)) = (id, secret) {
        return Poll::Success {
            client_id,
            client_secret,
            user_info,
        };
    }
    let description = || {
        f.str("error_description")
            .unwrap_or_else(|| "Unknown error".into())
    };
    match f.str("error").as_deref() {
        Some("authorization_pending") => Poll::Pending { report: true },
        Some("slow_down") => Poll::SlowDown(
            interval_ms
                .saturating_add(SLOW_DOWN_STEP_MS)
                .clamp(MIN_INTERVAL_SECS * 1000, MAX_INTERVAL_SECS * 1000),
        ),
        None | Some("") => Poll::Pending { report: false },
        Some(code) => Poll::Fail {
            code: code.to_string(),
            description: description(),
        },
    }
}

/// Checks `addons` and rebuilds it from its known fields only (`preset`, `scopes.{tenant,user}`,
/// `events.items.{tenant,user}`, `callbacks.items`), in the official order, as the official SDK
/// does; the result is the JSON that is gzipped and base64url-encoded into the `addons`
/// parameter.
///
/// ```
/// use feishu_edge::api::registration::normalize_addons;
/// assert_eq!(normalize_addons(r#"{"scopes":{"tenant":["im:message"]}}"#).unwrap(), r#"{"scopes":{"tenant":["im:message"]}}"#);
/// assert!(normalize_addons(r#"{"security":{}}"#).is_err());
/// assert!(normalize_addons(r#"{}"#).is_err());
/// assert_eq!(normalize_addons(r#"{"preset":false}"#).unwrap(), r#"{"preset":false}"#);
/// assert_eq!(normalize_addons(r#"{"callbacks":{"items":["c"]},"preset":true}"#).unwrap(), r#"{"preset":true,"callbacks":{"items":["c"]}}"#);
/// ```
pub fn normalize_addons(json: &str) -> Result<String> {
    let v = Json::parse(json).ok_or_else(|| invalid("addons is not JSON"))?;
    let mut count = 0usize;
    let mut out = ObjectWriter::default();
    check_object(&v, &["preset", "scopes", "events", "callbacks"], "addons")?;
    let preset = v.get("preset");
    if let Some(p) = preset {
        let b = p
            .as_bool()
            .ok_or_else(|| invalid("addons.preset must be a boolean"))?;
        out.field("preset", if b { "true" } else { "false" });
    }
    let pair = |o: &Json<'_>, path: &str, count: &mut usize| -> Result<String> {
        check_object(o, &["tenant", "user"], path)?;
        let mut w = ObjectWriter::default();
        for k in ["tenant", "user"] {
            if let Some(list) = strings(o.get(k), &format!("{path}.{k}"), count)? {
                w.field(k, &list);
            }
        }
        Ok(w.finish())
    };
    if let Some(scopes) = v.get("scopes") {
        out.field("scopes", &pair(scopes, "addons.scopes", &mut count)?);
    }
    if let Some(events) = v.get("events") {
        check_object(events, &["items"], "addons.events")?;
        if let Some(items) = events.get("items") {
            let mut w = ObjectWriter::default();
            w.field("items", &pair(items, "addons.events.items", &mut count)?);
            out.field("events", &w.finish());
        }
    }
    if let Some(callbacks) = v.get("callbacks") {
        check_object(callbacks, &["items"], "addons.callbacks")?;
        let mut w = ObjectWriter::default();
        if let Some(list) = strings(callbacks.get("items"), "addons.callbacks.items", &mut count)? {
            w.field("items", &list);
        }
        out.field("callbacks", &w.finish());
    }
    if count == 0 && preset.and_then(Json::as_bool) != Some(false) {
        return Err(invalid(
            "addons must contain at least one scope, event or callback",
        ));
    }
    Ok(out.finish())
}

/// An object whose keys are all in `allowed`.
fn check_object(v: &Json<'_>, allowed: &[&str], path: &str) -> Result<()> {
    let Json::Object(members) = v else {
        return Err(invalid(format!("{path} must be an object")));
    };
    for (raw_key, _) in members {
        let key = crate::json::unquote(&format!("\"{raw_key}\"")).unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(invalid(format!(
                "{path}.{key} is not allowed; allowed keys: {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// An optional array of non-empty strings, as JSON text; counts its items.
fn strings(v: Option<&Json<'_>>, path: &str, count: &mut usize) -> Result<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let items = v
        .as_array()
        .ok_or_else(|| invalid(format!("{path} must be an array of strings")))?;
    let mut texts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if !s.is_empty() => texts.push(s.into_owned()),
            _ => return Err(invalid(format!("{path}[{i}] must be a non-empty string"))),
        }
    }
    *count += texts.len();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    Ok(Some(crate::json::string_array(&refs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_url_carries_the_sdk_parameters() {
        let o = UrlOptions {
            source: Some("bot".into()),
            avatars: Some(vec!["https://a/1.png".into()]),
            name: Some("My bot".into()),
            create_only: true,
            app_id: Some("cli_x".into()),
            ..Default::default()
        };
        let b = begun(
            r#"{"device_code":"d1","verification_uri_complete":"https://accounts.feishu.cn/page?user_code=AB","interval":2}"#,
            &o,
        )
        .unwrap();
        assert_eq!(b.device_code, "d1");
        assert_eq!(
            (b.interval_ms, b.expire_ms, b.expire_secs),
            (2000, 600_000, 600)
        );
        assert_eq!(
            b.url,
            "https://accounts.feishu.cn/page?user_code=AB&from=sdk&source=node-sdk%2Fbot&tp=sdk&avatar=https%3A%2F%2Fa%2F1.png&name=My+bot&createOnly=true&clientID=cli_x"
        );
    }

    #[test]
    fn reply_timings_are_bounded() {
        let o = UrlOptions::default();
        let timing = |reply: &str| {
            let b = begun(reply, &o).unwrap();
            (b.interval_ms, b.expire_ms, b.expire_secs)
        };
        let uri = r#""verification_uri_complete":"https://a/p""#;
        assert_eq!(
            timing(&format!(r#"{{{uri},"interval":0,"expires_in":99999999}}"#)),
            (1000, 1_800_000, 1800)
        );
        assert_eq!(
            timing(&format!(r#"{{{uri},"interval":3600,"expires_in":0}}"#)),
            (60_000, 600_000, 600)
        );
        assert_eq!(
            timing(&format!(
                r#"{{{uri},"interval":18446744073709551615,"expires_in":18446744073709551615}}"#
            )),
            (60_000, 1_800_000, 1800)
        );
        assert_eq!(
            timing(&format!(r#"{{{uri},"interval":7,"expires_in":300}}"#)),
            (7000, 300_000, 300)
        );
        assert_eq!(
            judge_poll(r#"{"error":"slow_down"}"#, false, 58_000),
            Poll::SlowDown(60_000)
        );
        assert_eq!(
            judge_poll(r#"{"error":"slow_down"}"#, false, u64::MAX),
            Poll::SlowDown(60_000)
        );
        assert_eq!(
            judge_poll(r#"{"error":"slow_down"}"#, false, 0),
            Poll::SlowDown(5000)
        );
    }

    #[test]
    fn poll_judgments() {
        assert_eq!(
            judge_poll(r#"{"error":"authorization_pending"}"#, false, 5),
            Poll::Pending { report: true }
        );
        assert_eq!(
            judge_poll(
                r#"{"error":"access_denied","error_description":"no"}"#,
                false,
                5
            ),
            Poll::Fail {
                code: "access_denied".into(),
                description: "no".into()
            }
        );
        assert_eq!(
            judge_poll(r#"{"error":"weird"}"#, false, 5),
            Poll::Fail {
                code: "weird".into(),
                description: "Unknown error".into()
            }
        );
        assert_eq!(
            judge_poll(r#"{"user_info":{"tenant_brand":"lark"}}"#, true, 5),
            Poll::Pending { report: false }
        );
        assert!(url_options(r#"{"appId":""}"#).is_err());
        assert!(url_options(r#"{"appPreset":{"avatar":[]}}"#).is_err());
    }
}
