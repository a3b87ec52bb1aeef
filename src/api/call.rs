//! The official SDK's call shape as request options: `client.im.v1.message.create(payload,
//! options)` names a method with its HTTP method and path (from the generated table), the
//! payload carries `path`, `params`, `data` and `headers`, and the second argument is our call
//! options or the official helpers' shapes (`{ headers: { Authorization: 'Bearer …' } }`,
//! `{ lark: { user_access_token, tenant_key } }`). The JS catalog holds the table (generated
//! data) and decides nothing: how the call becomes a request is decided here.

use crate::error::{Error, Result};
use crate::json::{quote, ObjectWriter, RawFields};

/// Keys of a catalog call that are not request options of their own.
const CALL_KEYS: [&str; 6] = [
    "endpoint",
    "method",
    "path",
    "payload",
    "options",
    "helperArgs",
];

/// The request options (`client.request`'s JSON shape) for a catalog call written as
/// `{ "endpoint": name, "method", "path", "payload": {...}, "options": {...}, ...more }`: the
/// method and path of the table, the payload's parts, the call options normalized. Other keys
/// pass through (`fields` of an upload, say). `None` when `call_json` names no endpoint.
///
/// A task-level helper's call is `{ "endpoint": "contact.getUser", "helperArgs": [...] }`: the
/// helper's row (see [`crate::api::helpers::HELPERS`]) gives the method, the path and the
/// payload, from the arguments as the JS helper takes them.
///
/// ```
/// let json = r#"{"endpoint":"im.v1.message.reply","method":"POST","path":"im/v1/messages/{message_id}/reply","payload":{"path":{"message_id":"om_1"},"data":{"msg_type":"text"}},"options":{"headers":{"Authorization":"Bearer t-1","X-A":"b"}}}"#;
/// let options = feishu_edge::api::call::request_options(json).unwrap().unwrap();
/// assert_eq!(options, r#"{"method":"POST","path":"im/v1/messages/{message_id}/reply","pathParams":{"message_id":"om_1"},"data":{"msg_type":"text"},"headers":{"X-A":"b"},"accessToken":"t-1"}"#);
/// ```
pub fn request_options(call_json: &str) -> Result<Option<String>> {
    let call = RawFields::parse(call_json)
        .ok_or_else(|| Error::InvalidRequest("request options must be a JSON object".into()))?;
    let Some(name) = call.str("endpoint") else {
        return Ok(None);
    };
    if let Some(args) = call.get("helperArgs") {
        let helper = crate::api::helpers::find_helper(&name)
            .ok_or_else(|| Error::InvalidRequest(format!("no helper named {name}")))?;
        let (payload, fields) = helper.payload(args)?;
        let payload = RawFields::parse(&payload).ok_or_else(|| {
            Error::InvalidRequest(format!("{name}: the payload is not an object"))
        })?;
        let options = object(&call, "options", "the call options")?;
        let endpoint = helper.endpoint;
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if helper.idempotent {
            extra.push(("idempotent", "true"));
        }
        if let Some(fields) = &fields {
            extra.push(("fields", fields));
        }
        return Ok(Some(write(
            endpoint.method.as_str(),
            endpoint.path,
            &call,
            &payload,
            &options,
            &extra,
        )?));
    }
    let (Some(method), Some(path)) = (call.str("method"), call.str("path")) else {
        return Err(Error::InvalidRequest(format!(
            "the catalog call {name} has no method and path"
        )));
    };
    let payload = object(&call, "payload", "the payload")?;
    let options = object(&call, "options", "the call options")?;
    Ok(Some(write(&method, &path, &call, &payload, &options, &[])?))
}

/// Member `key` as an object's fields: empty when absent or null, an error naming `what` when
/// it is something else.
fn object<'a>(fields: &RawFields<'a>, key: &str, what: &str) -> Result<RawFields<'a>> {
    match fields.get(key) {
        None | Some("null") => Ok(RawFields::default()),
        Some(raw) => RawFields::parse(raw)
            .ok_or_else(|| Error::InvalidRequest(format!("{what} must be an object"))),
    }
}

fn write(
    method: &str,
    path: &str,
    call: &RawFields<'_>,
    payload: &RawFields<'_>,
    options: &RawFields<'_>,
    extra: &[(&str, &str)],
) -> Result<String> {
    let mut out = ObjectWriter::default();
    out.field("method", &quote(method));
    out.field("path", &quote(path));
    for (from, to) in [
        ("path", "pathParams"),
        ("params", "params"),
        ("data", "data"),
    ] {
        if let Some(raw) = payload.get(from).filter(|r| *r != "null") {
            out.field(to, raw);
        }
    }
    let (headers, bearer) = headers_of(payload, options)?;
    if let Some(headers) = headers {
        out.field("headers", &headers);
    }
    let (user, tenant) = lark_tokens(options)?;
    // Named tokens the options do not already give in our shape.
    for (key, value) in [
        ("accessToken", bearer),
        ("userAccessToken", user),
        ("tenantKey", tenant),
    ] {
        if let (None, Some(v)) = (options.get(key), value) {
            out.field(key, &quote(&v));
        }
    }
    for (key, raw) in &options.0 {
        if !matches!(key.as_ref(), "headers" | "lark") {
            out.field(key, raw);
        }
    }
    for (key, raw) in &call.0 {
        if !CALL_KEYS.contains(&key.as_ref()) {
            out.field(key, raw);
        }
    }
    for (key, raw) in extra {
        if call.get(key).is_none() && options.get(key).is_none() {
            out.field(key, raw);
        }
    }
    Ok(out.finish())
}

/// The payload's headers, then the call options' (`None` when there are none), and the token of
/// an `Authorization: Bearer …` header among them: the official helpers' way of naming a token,
/// which becomes `accessToken`.
fn headers_of(
    payload: &RawFields<'_>,
    options: &RawFields<'_>,
) -> Result<(Option<String>, Option<String>)> {
    let mut headers = ObjectWriter::default();
    let (mut count, mut bearer) = (0, None);
    for source in [
        &object(payload, "headers", "headers")?,
        &object(options, "headers", "headers")?,
    ] {
        for (name, raw) in &source.0 {
            if name.eq_ignore_ascii_case("authorization") {
                let value = crate::json::unquote(raw).unwrap_or_default();
                if let Some(token) = value.strip_prefix("Bearer ") {
                    bearer = Some(token.to_string());
                    continue;
                }
            }
            headers.field(name, raw);
            count += 1;
        }
    }
    Ok(((count > 0).then(|| headers.finish()), bearer))
}

/// The user access token and tenant key of the official `{ lark: { user_access_token,
/// tenant_key } }` option (key names matched loosely, as the official helpers write them).
fn lark_tokens(options: &RawFields<'_>) -> Result<(Option<String>, Option<String>)> {
    let lark = object(options, "lark", "`lark`")?;
    let value = |wanted: &[&str]| {
        lark.0
            .iter()
            .find(|(k, _)| {
                let k = k.to_ascii_lowercase();
                wanted.iter().all(|w| k.contains(w))
            })
            .and_then(|(_, raw)| crate::json::unquote(raw))
    };
    Ok((
        value(&["user", "access", "token"]),
        value(&["tenant", "key"]),
    ))
}

#[cfg(test)]
mod tests {
    use super::request_options;
    use crate::request::options::RequestOptions;

    fn request(call: &str) -> crate::request::ApiRequest {
        let options = request_options(call).unwrap().unwrap();
        RequestOptions::parse(&options)
            .unwrap()
            .into_request()
            .unwrap()
    }

    #[test]
    fn catalog_calls_become_requests() {
        let req = request(
            r#"{"endpoint":"im.v1.message.create","method":"POST","path":"im/v1/messages","payload":{"params":{"receive_id_type":"chat_id"},"data":{"receive_id":"oc_1"}}}"#,
        );
        assert_eq!(
            req.url("https://h/open-apis/").unwrap(),
            "https://h/open-apis/im/v1/messages?receive_id_type=chat_id"
        );
        assert_eq!(req.method, crate::Method::Post);
        // The official `lark` option and our own: ours win when both are given.
        let json = request_options(
            r#"{"endpoint":"contact.v3.user.get","method":"GET","path":"contact/v3/users/{user_id}","payload":{"path":{"user_id":"ou_1"}},"options":{"lark":{"user_access_token":"u-1","tenant_key":"tk"},"tenantKey":"mine"}}"#,
        )
        .unwrap()
        .unwrap();
        assert!(json.contains(r#""userAccessToken":"u-1""#), "{json}");
        assert!(
            json.contains(r#""tenantKey":"mine""#) && !json.contains(r#""tenantKey":"tk""#),
            "{json}"
        );
        assert_eq!(request_options(r#"{"path":"x"}"#).unwrap(), None);
        assert!(request_options(r#"{"endpoint":"no.method.or.path"}"#).is_err());
        assert!(request_options(
            r#"{"endpoint":"im.v1.message.create","method":"POST","path":"im/v1/messages","payload":[1]}"#
        )
        .is_err());
    }
}
