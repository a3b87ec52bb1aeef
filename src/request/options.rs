//! The JS-facing call shape (`{ method, path, pathParams, params, data, headers, tokenType, ... }`)
//! parsed from JSON into an [`ApiRequest`]. Lives in the core so it is tested natively; the wasm
//! skin hands it the JSON the JS side produced with `JSON.stringify` (no value-by-value copying).

use super::{ApiRequest, Auth};
use crate::error::{Error, Result};
use crate::json::RawFields;
use crate::options::OptionReader;
use crate::transport::Method;

/// A scalar JSON value as text: strings unquoted, numbers and booleans verbatim; `None` for null.
fn scalar_text(name: &str, raw: &str) -> Result<Option<String>> {
    match raw.as_bytes().first() {
        Some(b'"') => crate::json::unquote(raw)
            .map(Some)
            .ok_or_else(|| bad_scalar(name)),
        Some(b'n') => Ok(None),
        Some(b'[' | b'{') | None => Err(bad_scalar(name)),
        Some(_) => Ok(Some(raw.to_string())),
    }
}

fn bad_scalar(name: &str) -> Error {
    Error::InvalidRequest(format!("`{name}` must be a string, number or boolean"))
}

/// Query values: scalars, or arrays of scalars repeating the key; nulls dropped.
fn push_query(out: &mut Vec<(String, String)>, name: &str, raw: &str) -> Result<()> {
    if raw.starts_with('[') {
        for item in crate::json::raw_items(raw).ok_or_else(|| bad_scalar(name))? {
            if let Some(v) = scalar_text(name, item)? {
                out.push((name.to_string(), v));
            }
        }
    } else if let Some(v) = scalar_text(name, raw)? {
        out.push((name.to_string(), v));
    }
    Ok(())
}

/// Options of `client.request(...)`, camelCase as in JS.
#[derive(Debug, Default)]
pub struct RequestOptions<'a> {
    /// HTTP method (default GET).
    pub method: Option<String>,
    /// Path template or absolute URL.
    pub path: String,
    /// Placeholder values (strings or numbers).
    pub path_params: Option<RawFields<'a>>,
    /// Query parameters: arrays repeat the key, `null`s are dropped.
    pub params: Option<RawFields<'a>>,
    /// JSON body, kept as written.
    pub data: Option<&'a str>,
    /// Extra headers.
    pub headers: Option<RawFields<'a>>,
    /// `tenant` (default), `app`, `user` or `none`.
    pub token_type: Option<String>,
    /// A user access token for this call.
    pub user_access_token: Option<String>,
    /// Any token, used as is.
    pub access_token: Option<String>,
    /// Tenant of a marketplace app.
    pub tenant_key: Option<String>,
    /// Whether the call may be repeated after a 5xx or network error.
    pub idempotent: Option<bool>,
    /// Per-call timeout.
    pub timeout_ms: Option<u64>,
    /// Multipart text fields (uploads only).
    pub fields: Option<RawFields<'a>>,
    /// Carry the client's help desk credential (`withHelpDeskCredential()`).
    pub help_desk_credential: Option<bool>,
}

/// Every key `RequestOptions::parse` takes (two snake_case aliases included).
const KNOWN: &[&str] = &[
    "method",
    "path",
    "pathParams",
    "path_params",
    "params",
    "query",
    "data",
    "headers",
    "tokenType",
    "userAccessToken",
    "accessToken",
    "tenantKey",
    "idempotent",
    "timeoutMs",
    "fields",
    "helpDeskCredential",
    "url",
];

fn scalar(name: &str, v: &str) -> Result<String> {
    scalar_text(name, v)?.ok_or_else(|| bad_scalar(name))
}

impl RequestOptions<'_> {
    /// Parses the JSON form of the options.
    ///
    /// ```
    /// use feishu_edge::request::options::RequestOptions;
    /// let json = r#"{"method":"POST","path":"im/v1/messages","params":{"receive_id_type":"chat_id"},"data":{"x":1}}"#;
    /// let req = RequestOptions::parse(json).unwrap().into_request().unwrap();
    /// assert_eq!(req.url("https://h/open-apis/").unwrap(), "https://h/open-apis/im/v1/messages?receive_id_type=chat_id");
    /// ```
    pub fn parse(json: &str) -> Result<RequestOptions<'_>> {
        Self::read(json).map_err(|e| match e {
            Error::Config(m) => Error::InvalidRequest(format!("bad {m}")),
            other => other,
        })
    }

    fn read(json: &str) -> Result<RequestOptions<'_>> {
        let r = OptionReader::parse("request options", json)?;
        let either = |a: &str, b: &str| -> Result<Option<RawFields<'_>>> {
            Ok(match r.fields(a)? {
                Some(f) => Some(f),
                None => r.fields(b)?,
            })
        };
        let options = RequestOptions {
            method: r.string("method")?,
            // `url` is the official SDK's name (`client.request({ method, url, data, params })`).
            path: match r.string("path")? {
                Some(path) => path,
                None => r.string("url")?.ok_or_else(|| {
                    Error::Config("request options: `path` (or `url`) is required".into())
                })?,
            },
            path_params: either("pathParams", "path_params")?,
            params: either("params", "query")?,
            data: r.raw("data"),
            headers: r.fields("headers")?,
            token_type: r.string("tokenType")?,
            user_access_token: r.string("userAccessToken")?,
            access_token: r.string("accessToken")?,
            tenant_key: r.string("tenantKey")?,
            idempotent: r.boolean("idempotent")?,
            timeout_ms: r.whole("timeoutMs", "milliseconds")?,
            fields: r.fields("fields")?,
            help_desk_credential: r.boolean("helpDeskCredential")?,
        };
        r.finish(KNOWN)?;
        Ok(options)
    }

    /// Builds the request.
    pub fn into_request(self) -> Result<ApiRequest> {
        let method = match self.method.as_deref() {
            None => Method::Get,
            Some(m) => Method::parse(m)
                .ok_or_else(|| Error::InvalidRequest(format!("unknown HTTP method {m:?}")))?,
        };
        if self.path.trim().is_empty() {
            return Err(Error::InvalidRequest("`path` is required".into()));
        }
        let mut req = ApiRequest::new(method, self.path);
        for (k, v) in self.path_params.iter().flat_map(|f| &f.0) {
            req.path_params.push((k.to_string(), scalar(k, v)?));
        }
        for (k, v) in self.params.iter().flat_map(|f| &f.0) {
            push_query(&mut req.query, k, v)?;
        }
        for (k, v) in self.headers.iter().flat_map(|f| &f.0) {
            req.headers.push((k.to_string(), scalar(k, v)?));
        }
        if let Some(data) = self.data {
            req = req.json_str(data);
        }
        req.auth = match (
            self.access_token,
            self.user_access_token,
            self.token_type.as_deref(),
            self.tenant_key,
        ) {
            (Some(t), _, _, _) => Auth::Token(t),
            (None, Some(u), _, _) => Auth::User(u),
            (None, None, Some("user"), _) => {
                return Err(Error::InvalidRequest(
                    "tokenType \"user\" needs userAccessToken (or client.asUser(token))".into(),
                ))
            }
            (None, None, Some("none"), _) => Auth::None,
            (None, None, Some("app"), _) => Auth::App,
            (None, None, Some("tenant") | None, Some(k)) => Auth::TenantKey(k),
            (None, None, Some("tenant") | None, None) => Auth::Tenant,
            (None, None, Some(other), _) => {
                return Err(Error::InvalidRequest(format!(
                    "unknown tokenType {other:?}: expected tenant, app, user or none"
                )))
            }
        };
        req.idempotent = self.idempotent;
        req.timeout_ms = self.timeout_ms;
        req.helpdesk = self.help_desk_credential.unwrap_or(false);
        Ok(req)
    }

    /// The upload's text fields, as multipart text parts.
    pub fn text_fields(&self) -> Result<Vec<(String, String)>> {
        self.fields
            .iter()
            .flat_map(|f| &f.0)
            .map(|(k, v)| Ok((k.to_string(), scalar(k, v)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Body;

    fn build(json: &str) -> Result<ApiRequest> {
        RequestOptions::parse(json)?.into_request()
    }

    #[test]
    fn full_options() {
        let req = build(r#"{"method":"patch","path":"/open-apis/x/{id}","pathParams":{"id":7},"params":{"a":[1,"b",null],"n":null,"t":true,"f":1.50},
            "data":{"k":"v"},"headers":{"X-A":"1"},"tenantKey":"tk","idempotent":true,"timeoutMs":50}"#).unwrap();
        assert_eq!(req.method, Method::Patch);
        assert_eq!(
            req.url("http://h/open-apis/").unwrap(),
            "http://h/open-apis/x/7?a=1&a=b&t=true&f=1.50"
        );
        assert!(matches!(req.body, Body::Json(ref s) if &**s == r#"{"k":"v"}"#));
        assert_eq!(req.auth, Auth::TenantKey("tk".into()));
        assert_eq!((req.idempotent, req.timeout_ms), (Some(true), Some(50)));
    }

    #[test]
    fn token_choices() {
        assert_eq!(
            build(r#"{"path":"x","tokenType":"app"}"#).unwrap().auth,
            Auth::App
        );
        assert_eq!(
            build(r#"{"path":"x","tokenType":"none"}"#).unwrap().auth,
            Auth::None
        );
        assert_eq!(
            build(r#"{"path":"x","userAccessToken":"u"}"#).unwrap().auth,
            Auth::User("u".into())
        );
        assert_eq!(
            build(r#"{"path":"x","accessToken":"a","tokenType":"app"}"#)
                .unwrap()
                .auth,
            Auth::Token("a".into())
        );
        assert!(build(r#"{"path":"x","tokenType":"user"}"#).is_err());
        assert!(build(r#"{"path":"x","tokenType":"root"}"#).is_err());
    }

    #[test]
    fn bad_options_are_errors() {
        for bad in [
            r#"{"path":""}"#,
            r#"{"method":"BREW","path":"x"}"#,
            r#"{"path":"x","pathParams":{"a":{}}}"#,
            r#"{"path":"x","params":{"a":[[1]]}}"#,
            r#"{"path":"x","headers":{"a":null}}"#,
            r#"{"pth":"x"}"#,
            "[",
            "null",
        ] {
            assert!(build(bad).is_err(), "{bad}");
        }
    }
}
