//! The HTTP seam. The core builds [`HttpRequest`]s and reads [`HttpResponse`]s; a [`Transport`]
//! moves them. wasm builds use the global `fetch` (see `js::fetch`); native builds with the
//! `reqwest` feature use `reqwest::ReqwestTransport`; tests use their own.

#[cfg(all(feature = "reqwest", not(target_arch = "wasm32")))]
pub mod reqwest;

/// The seam itself (a driver file: the core builds and judges, a driver sends).
mod host;
pub use host::Transport;

use std::sync::Arc;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
    /// Parses a method name (case-insensitive).
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            _ => return None,
        })
    }
    /// GET, HEAD, PUT and DELETE may be repeated safely after a 5xx or a network error.
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Put | Method::Delete
        )
    }
}

/// A file's bytes: owned, or (in wasm) a JS `Blob` / `Uint8Array` / `ArrayBuffer` that is never
/// copied into wasm memory.
#[derive(Debug, Clone)]
pub enum FileData {
    /// Bytes held by Rust.
    Bytes(Arc<[u8]>),
    /// A JS value usable as a `FormData` entry (wasm with the `js` feature only).
    #[cfg(all(target_arch = "wasm32", feature = "js"))]
    Js(wasm_bindgen::JsValue),
}

/// One multipart field.
#[derive(Debug, Clone)]
pub enum Part {
    /// A text field.
    Text {
        /// Field name.
        name: String,
        /// Field value.
        value: String,
    },
    /// A file field.
    File {
        /// Field name.
        name: String,
        /// File name sent in `Content-Disposition`.
        filename: String,
        /// MIME type, `application/octet-stream` when unknown.
        content_type: Option<String>,
        /// The bytes.
        data: FileData,
    },
}

/// A request body. Cloning is cheap (shared buffers), so retries never copy payloads.
#[derive(Debug, Clone, Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// `application/json; charset=utf-8`.
    Json(Arc<str>),
    /// `multipart/form-data`; the transport writes the boundary.
    Multipart(Arc<[Part]>),
}

/// What the core asks a transport to send.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, query included.
    pub url: String,
    /// Header pairs (`Authorization` among them when a token is used).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// Cancel the request after this long (until the reply's headers, for a streamed body).
    pub timeout_ms: Option<u64>,
    /// A file reply (2xx, not JSON) may be left unread and handed over as
    /// [`HttpResponse::stream`]; error replies are still read whole.
    pub stream: bool,
}

/// A reply body the transport left unread for the caller: on wasm, the `fetch` Response's
/// `ReadableStream`; natively there is none (transports read bodies whole).
#[derive(Debug, Clone)]
pub struct ResponseStream(
    /// The JS `ReadableStream`.
    #[cfg(all(target_arch = "wasm32", feature = "js"))]
    pub wasm_bindgen::JsValue,
);

/// What a transport hands back.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header pairs, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The whole body (empty when it was left in [`HttpResponse::stream`]).
    pub body: Vec<u8>,
    /// The unread body of a file reply to a `stream` request, when the transport streams.
    pub stream: Option<ResponseStream>,
}

impl HttpResponse {
    /// A header's value by (case-insensitive) name.
    ///
    /// ```
    /// let r = feishu_edge::HttpResponse { status: 200, headers: vec![("x-tt-logid".into(), "L".into())], ..Default::default() };
    /// assert_eq!(r.header("X-Tt-Logid"), Some("L"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The header a transport adds to a reply whose body it stopped reading at the limit
/// ([`crate::Config::max_reply_bytes`]): its value is the size declared or read so far. Not a
/// header a server can send: transports drop it from what they copy. (Also named
/// `request::envelope::OVERSIZED_REPLY`, where the core makes it the call's error.)
pub const OVERSIZED_REPLY: &str = "feishu-edge-oversized-reply";

/// Whether a reply is a file (2xx and not JSON), not an envelope: the one rule, used by
/// `request::envelope::check_binary` and by transports deciding whether to stream a body or
/// hold it to the reply size limit. (Also named `request::envelope::is_file_reply`.)
///
/// ```
/// use feishu_edge::request::envelope::is_file_reply;
/// assert!(is_file_reply(200, Some("image/png")) && is_file_reply(200, None));
/// assert!(!is_file_reply(200, Some("application/json; charset=utf-8")) && !is_file_reply(404, Some("image/png")));
/// assert!(feishu_edge::transport::is_file_reply(200, None));
/// ```
pub fn is_file_reply(status: u16, content_type: Option<&str>) -> bool {
    (200..300).contains(&status) && !content_type.is_some_and(|c| c.contains("json"))
}

/// Failures below HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The timeout expired and the request was aborted.
    Timeout(u64),
    /// Anything else: refused connection, DNS, a `fetch` that threw.
    Network(String),
}

/// Refuses a header `fetch` would refuse locally (a name that is not an HTTP token; a value
/// with CR, LF or NUL, or a character above U+00FF), naming the header but never its value
/// (it may be a credential). Such a call can never succeed, so it is not retried.
///
/// ```
/// use feishu_edge::transport::check_header;
/// assert!(check_header("X-Request-Id", "abc").is_ok());
/// let e = check_header("X-Note", "a\r\nInjected: 1").unwrap_err();
/// assert_eq!((e.kind(), e.retryable()), ("invalid_request", false));
/// assert!(check_header("Bad Name", "v").is_err());
/// ```
pub fn check_header(name: &str, value: &str) -> crate::Result<()> {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={} \t";
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !SEPARATORS.contains(&b));
    if !name_ok {
        return Err(crate::Error::InvalidRequest(format!(
            "the header name {:?} is not a valid HTTP header name",
            name.chars().take(40).collect::<String>()
        )));
    }
    if value
        .chars()
        .any(|c| matches!(c, '\r' | '\n' | '\0') || c as u32 > 0xFF)
    {
        return Err(crate::Error::InvalidRequest(format!(
            "the value of header `{name}` contains a line break, a NUL or a character above U+00FF, which fetch refuses (the value is not shown)"
        )));
    }
    Ok(())
}
