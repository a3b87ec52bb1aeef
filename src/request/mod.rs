//! Describing a call ([`ApiRequest`]), reading its reply ([`ApiResponse`]), and the pure
//! decisions around it: envelope checks, retries and paging.

pub(crate) mod call;
/// The [`Caller`] seam (a driver file: the core never calls it).
mod host;
pub use host::Caller;
pub mod envelope;
pub mod options;
pub mod page;
pub mod retry;
mod url;

pub use envelope::{ApiResponse, Download};
pub use page::{PageOptions, Paginator};
pub(crate) use url::encode as url_encode;
pub(crate) use url::same_origin;
// A failed request and a refused redirect are named by their origin.
pub(crate) use url::origin_of;

use crate::error::{Error, Result};
use crate::transport::{Body, Method, Part};
use serde_json::Value;
use std::sync::Arc;

/// Which access token a call carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header (token endpoints, public endpoints).
    None,
    /// The tenant access token; marketplace apps name the tenant.
    #[default]
    Tenant,
    /// The tenant access token of a given tenant (marketplace apps).
    TenantKey(String),
    /// The app access token.
    App,
    /// A user access token obtained through OAuth.
    User(String),
    /// An explicit token, used as is.
    Token(String),
}

/// One Open API call, before tokens and retries.
///
/// ```
/// use feishu_edge::ApiRequest;
/// let req = ApiRequest::post("im/v1/messages/{message_id}/reply")
///     .path_param("message_id", "om_1")
///     .query("uuid", "u-1")
///     .json_str(r#"{"msg_type":"text","content":"{\"text\":\"hi\"}"}"#);
/// assert_eq!(req.url("https://open.feishu.cn/open-apis/").unwrap(),
///     "https://open.feishu.cn/open-apis/im/v1/messages/om_1/reply?uuid=u-1");
/// ```
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: Method,
    /// Path under `/open-apis/` (`im/v1/messages`), with `{param}` or `:param` placeholders; an
    /// absolute `http(s)://` URL is used as is.
    pub path: String,
    /// Values for the path's placeholders; percent-encoded when substituted.
    pub path_params: Vec<(String, String)>,
    /// Query pairs in order; a key may repeat.
    pub query: Vec<(String, String)>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// Token to carry.
    pub auth: Auth,
    /// Overrides whether a 5xx or network failure may be retried (default: by method).
    pub idempotent: Option<bool>,
    /// Overrides the client's timeout for this call.
    pub timeout_ms: Option<u64>,
    /// Carries the client's help desk credential (`withHelpDeskCredential()`).
    pub helpdesk: bool,
}

impl ApiRequest {
    /// A request with the tenant token and no body.
    pub fn new(method: Method, path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method,
            path: path.into(),
            path_params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            auth: Auth::Tenant,
            idempotent: None,
            timeout_ms: None,
            helpdesk: false,
        }
    }
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> ApiRequest {
        Self::new(Method::Get, path)
    }
    /// `POST path`.
    pub fn post(path: impl Into<String>) -> ApiRequest {
        Self::new(Method::Post, path)
    }
    /// Sets a path placeholder's value.
    pub fn path_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.path_params.push((name.into(), value.into()));
        self
    }
    /// Appends one query pair.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }
    /// Appends a JSON value as query pairs: arrays repeat the key, `null`s are dropped, strings
    /// are sent as is, numbers and booleans in JSON form.
    ///
    /// ```
    /// let req = feishu_edge::ApiRequest::get("x").query_value("ids", &serde_json::json!(["a", null, "b"]));
    /// assert_eq!(req.query, vec![("ids".to_string(), "a".to_string()), ("ids".to_string(), "b".to_string())]);
    /// ```
    pub fn query_value(mut self, name: &str, value: &Value) -> Self {
        push_query_value(&mut self.query, name, value);
        self
    }
    /// Appends every field of a JSON object as query pairs (see [`ApiRequest::query_value`]).
    pub fn query_object(mut self, params: &serde_json::Map<String, Value>) -> Self {
        for (k, v) in params {
            push_query_value(&mut self.query, k, v);
        }
        self
    }
    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Sends an already serialized JSON body.
    pub fn json_str(mut self, json: impl Into<Arc<str>>) -> Self {
        self.body = Body::Json(json.into());
        self
    }
    /// Serializes `value` as the JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self> {
        let s = serde_json::to_string(value)
            .map_err(|e| Error::InvalidRequest(format!("body is not serializable: {e}")))?;
        Ok(self.json_str(s))
    }
    /// Sends a multipart form.
    pub fn multipart(mut self, parts: Vec<Part>) -> Self {
        self.body = Body::Multipart(parts.into());
        self
    }
    /// Chooses the token.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    /// Marks the call safe (or unsafe) to repeat after a 5xx or network failure.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = Some(yes);
        self
    }
    /// Whether a 5xx or network failure may be retried.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
            .unwrap_or_else(|| self.method.is_idempotent())
    }
    /// The absolute URL: placeholders substituted and encoded, query appended.
    pub fn url(&self, api_base: &str) -> Result<String> {
        url::build(api_base, &self.path, &self.path_params, &self.query)
    }
}

fn push_query_value(out: &mut Vec<(String, String)>, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                if !item.is_array() {
                    push_query_value(out, name, item);
                }
            }
        }
        Value::String(s) => out.push((name.to_string(), s.clone())),
        other => out.push((name.to_string(), other.to_string())),
    }
}
