//! The `reqwest` feature's native driver: [`ReqwestTransport`] and [`TokioRuntime`], the
//! defaults of [`crate::Client::builder`] natively when the feature is on.
//!
//! The transport is reqwest over rustls, keeping the contract the pipeline relies on. Every
//! reply is `Ok` whatever its status; redirects are handed back, never followed; `timeout_ms`
//! cancels the request (until the reply's headers for a streamed file, to the last byte
//! otherwise) as [`TransportError::Timeout`]; a failure with no reply is
//! [`TransportError::Network`], naming the origin but never the path or the query. A JSON or
//! error reply is read only up to [`crate::Config::max_reply_bytes`]: past it the rest is not
//! read and the call fails with a typed error. File replies (2xx, not JSON: what
//! [`crate::Client::download`] fetches) are read whole. Multipart bodies are written as
//! `fetch`'s `FormData` writes them, from shared buffers (a retry copies no file).

use crate::runtime::{BoxFuture, Runtime, StdRuntime};
use crate::transport::{
    is_file_reply, Body, FileData, HttpRequest, HttpResponse, Method, Part, Transport,
    TransportError, OVERSIZED_REPLY,
};
use ::reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A [`Transport`] on [`reqwest`] (rustls, HTTP/1.1, no redirects): what
/// [`crate::Client::builder`] uses natively when the `reqwest` feature is on and no transport
/// is given. It needs a tokio runtime (with its timers: `#[tokio::main]` has them) to send.
///
/// ```no_run
/// # async fn demo() -> feishu_edge::Result<()> {
/// use feishu_edge::transport::reqwest::ReqwestTransport;
/// use feishu_edge::{ApiRequest, Client, Config};
/// use std::sync::Arc;
/// // The default client does this itself; build one to set the reply size limit, or to share
/// // one transport (one connection pool) between clients.
/// let transport = Arc::new(ReqwestTransport::new()?.max_reply_bytes(4 << 20));
/// let client = Client::builder(Config::new("cli_a", "secret")).transport(transport).build()?;
/// let reply = client.request(ApiRequest::get("im/v1/chats")).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: ::reqwest::Client,
    /// The largest JSON or error reply read (0: no limit).
    max_reply: u64,
}

/// The reply size limit of a transport built alone: [`crate::config::DEFAULT_MAX_REPLY_BYTES`]
/// (the client's default), restated here because `config` is not below `transport`; a test
/// holds them equal.
const DEFAULT_MAX_REPLY_BYTES: u64 = 16 << 20;

impl ReqwestTransport {
    /// A transport on a new `reqwest::Client`: rustls with the platform's root certificates
    /// (the process's default rustls provider if one is installed, aws-lc-rs otherwise),
    /// HTTP/1.1, redirects not followed, the proxy environment variables honoured; replies limited to
    /// [`crate::config::DEFAULT_MAX_REPLY_BYTES`]. An [`crate::Error::Config`] when the TLS
    /// configuration cannot be built (no root certificates found).
    ///
    /// ```
    /// let transport = feishu_edge::transport::reqwest::ReqwestTransport::new().unwrap();
    /// # let _ = transport;
    /// ```
    pub fn new() -> crate::Result<ReqwestTransport> {
        let client = ::reqwest::Client::builder()
            .redirect(::reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                crate::Error::Config(format!(
                    "the built-in reqwest transport could not be built: {e}"
                ))
            })?;
        Ok(ReqwestTransport::from_client(client))
    }

    /// A transport on a `reqwest::Client` of the caller's (its pool, proxy, TLS and
    /// timeouts). Build it with `.redirect(reqwest::redirect::Policy::none())`: the pipeline
    /// refuses redirects so that a token never follows one, and a reply that arrives through a
    /// redirect the client followed anyway is refused here as a network error. Replies are
    /// limited to [`crate::config::DEFAULT_MAX_REPLY_BYTES`] ([`Self::max_reply_bytes`]).
    ///
    /// ```
    /// use feishu_edge::transport::reqwest::ReqwestTransport;
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()
    ///     .unwrap();
    /// let transport = ReqwestTransport::from_client(http);
    /// # let _ = transport;
    /// ```
    pub fn from_client(client: ::reqwest::Client) -> ReqwestTransport {
        ReqwestTransport {
            client,
            max_reply: DEFAULT_MAX_REPLY_BYTES,
        }
    }

    /// Reads JSON and error replies only up to `bytes` (0: no limit); see
    /// [`crate::Config::max_reply_bytes`], which the default client's transport takes. File
    /// replies (2xx, not JSON) are read whole.
    ///
    /// ```
    /// use feishu_edge::transport::reqwest::ReqwestTransport;
    /// let transport = ReqwestTransport::from_client(reqwest::Client::new()).max_reply_bytes(1 << 20);
    /// # let _ = transport;
    /// ```
    pub fn max_reply_bytes(mut self, bytes: u64) -> ReqwestTransport {
        self.max_reply = bytes;
        self
    }

    /// The `reqwest::Client` requests go through.
    ///
    /// ```
    /// use feishu_edge::transport::reqwest::ReqwestTransport;
    /// let transport = ReqwestTransport::from_client(reqwest::Client::new());
    /// let same: reqwest::Client = transport.client().clone();
    /// # let _ = same;
    /// ```
    pub fn client(&self) -> &::reqwest::Client {
        &self.client
    }

    /// The reqwest request for `req`: its method, URL, headers and body.
    fn build(&self, req: &HttpRequest) -> Result<::reqwest::Request, TransportError> {
        let mut headers = HeaderMap::with_capacity(req.headers.len() + 2);
        // As with `fetch`, the caller's headers may replace a JSON body's content type.
        if matches!(req.body, Body::Json(_)) {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
        for (name, value) in &req.headers {
            let bad = |what: &str| {
                TransportError::Network(format!(
                    "the header `{}` has an invalid {what} (the value is not shown)",
                    name.chars().take(40).collect::<String>()
                ))
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("name"))?;
            headers.insert(name, latin1_value(value).ok_or_else(|| bad("value"))?);
        }
        let body = match &req.body {
            Body::Empty => None,
            Body::Json(json) => Some(::reqwest::Body::from(Bytes::from_owner(Text(json.clone())))),
            Body::Multipart(parts) => {
                let form = Form::new(parts);
                // The boundary must be the body's: set last, whatever the caller's headers say.
                let content_type = format!("multipart/form-data; boundary={}", form.boundary);
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_str(&content_type).map_err(|_| {
                        TransportError::Network("a multipart boundary is not a header value".into())
                    })?,
                );
                headers.insert(CONTENT_LENGTH, HeaderValue::from(form.length));
                Some(::reqwest::Body::wrap(form.into_body()))
            }
        };
        let mut builder = self
            .client
            .request(method(req.method), req.url.as_str())
            .headers(headers);
        if let Some(body) = body {
            builder = builder.body(body);
        }
        builder
            .build()
            .map_err(|e| TransportError::Network(describe(e, &req.url)))
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let timeout_ms = req.timeout_ms.filter(|ms| *ms > 0);
            let deadline = timeout_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
            let timed_out = || TransportError::Timeout(timeout_ms.unwrap_or(0));
            let failed = |e: ::reqwest::Error| match e.is_timeout() {
                // The timeout of a reqwest::Client of the caller's.
                true => TransportError::Timeout(timeout_ms.unwrap_or(0)),
                false => TransportError::Network(describe(e, &req.url)),
            };
            let request = self.build(&req)?;
            let sent_to = request.url().clone();
            let mut resp = within(deadline, self.client.execute(request))
                .await
                .ok_or_else(timed_out)?
                .map_err(failed)?;
            if resp.url() != &sent_to {
                return Err(TransportError::Network(format!(
                    "{} answered through a redirect the reqwest::Client followed; build it with .redirect(reqwest::redirect::Policy::none()) (an access token never follows a redirect)",
                    origin(&req.url)
                )));
            }
            let status = resp.status().as_u16();
            let mut headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                // The mark of an oversized reply is the transport's, never the server's.
                .filter(|(name, _)| name.as_str() != OVERSIZED_REPLY)
                .map(|(name, value)| (name.as_str().to_string(), latin1_text(value.as_bytes())))
                .collect();
            let file = is_file_reply(
                status,
                resp.headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
            );
            let limit = if file { 0 } else { self.max_reply };
            // A streamed file's timer stops at the headers (as `fetch`'s); any other body is
            // read under it.
            let deadline = if req.stream && file { None } else { deadline };
            let body = match within(deadline, read_body(&mut resp, limit))
                .await
                .ok_or_else(timed_out)?
                .map_err(failed)?
            {
                Ok(body) => body,
                Err(seen) => {
                    headers.push((OVERSIZED_REPLY.to_string(), seen.to_string()));
                    Vec::new()
                }
            };
            Ok(HttpResponse {
                status,
                headers,
                body,
                stream: None,
            })
        })
    }
}

/// The clock and timers on tokio (the `reqwest` feature): the system clock,
/// `tokio::time::sleep` (a timer of the runtime, no thread per sleep), clock-noise jitter. The
/// default runtime of [`crate::Client::builder`] when the feature is on. Inside a tokio runtime
/// it needs the runtime's timers (`#[tokio::main]` has them; a hand-built runtime,
/// `enable_time`); outside one its sleeps fall back to [`StdRuntime`]'s, so a client driven by
/// another executor still works.
///
/// ```
/// use feishu_edge::{transport::reqwest::TokioRuntime, Runtime};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let rt = TokioRuntime;
/// let before = rt.now_ms();
/// rt.sleep(5).await;
/// assert!(rt.now_ms() >= before + 5 && (0.0..1.0).contains(&rt.jitter()));
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioRuntime;

impl Runtime for TokioRuntime {
    fn now_ms(&self) -> u64 {
        StdRuntime.now_ms()
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        match tokio::runtime::Handle::try_current() {
            Ok(_) => Box::pin(tokio::time::sleep(Duration::from_millis(ms))),
            Err(_) => StdRuntime.sleep(ms),
        }
    }
    fn jitter(&self) -> f64 {
        StdRuntime.jitter()
    }
}

/// `work`, unless `deadline` passes first (`None`).
async fn within<F: std::future::Future>(deadline: Option<Instant>, work: F) -> Option<F::Output> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, work).await.ok(),
        None => Some(work.await),
    }
}

/// The body, read whole but never past `limit` bytes (0: no limit): `Err(size)` with the size
/// declared or read when it passed the limit (a declared size over it is not read at all).
async fn read_body(
    resp: &mut ::reqwest::Response,
    limit: u64,
) -> Result<Result<Vec<u8>, u64>, ::reqwest::Error> {
    let declared = resp.content_length();
    if let Some(size) = declared.filter(|size| limit > 0 && *size > limit) {
        return Ok(Err(size));
    }
    // A declared size sets the capacity, within the limit (or 1 MiB, unlimited: a server's
    // word is not an allocation).
    let cap = declared
        .unwrap_or(0)
        .min(if limit > 0 { limit } else { 1 << 20 });
    let mut body = Vec::with_capacity(cap as usize);
    while let Some(chunk) = resp.chunk().await? {
        let size = (body.len() + chunk.len()) as u64;
        if limit > 0 && size > limit {
            return Ok(Err(size));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}

fn method(m: Method) -> ::reqwest::Method {
    match m {
        Method::Get => ::reqwest::Method::GET,
        Method::Post => ::reqwest::Method::POST,
        Method::Put => ::reqwest::Method::PUT,
        Method::Patch => ::reqwest::Method::PATCH,
        Method::Delete => ::reqwest::Method::DELETE,
        Method::Head => ::reqwest::Method::HEAD,
    }
}

/// A header value as `fetch` sends it: each character one byte (up to U+00FF), `None` for a
/// character above that or a byte HTTP refuses (CR, LF, NUL).
fn latin1_value(value: &str) -> Option<HeaderValue> {
    let bytes = value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()?;
    HeaderValue::from_bytes(&bytes).ok()
}

/// A reply header's bytes as text, each byte one character (as `fetch`'s `Headers` reads them).
fn latin1_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.is_ascii() => text.to_string(),
        _ => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// The origin of `url` (scheme, host, port: no user info, path or query): what a network
/// failure names.
fn origin(url: &str) -> String {
    match ::reqwest::Url::parse(url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => "a URL that does not parse".to_string(),
    }
}

/// A reqwest failure as a sentence: the origin, what failed and its causes (the system error:
/// connection refused, DNS…), never the path or the query (they may hold secrets).
fn describe(e: ::reqwest::Error, url: &str) -> String {
    let e = e.without_url();
    let mut msg = format!("{} ({e}", origin(url));
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cause = c.source();
    }
    msg.push(')');
    msg
}

/// A JSON body's text as bytes, shared (a retry copies nothing).
struct Text(Arc<str>);

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A `multipart/form-data` body as `fetch` writes a `FormData`: each part's headers, then its
/// bytes (a file's are shared, not copied), then the closing boundary.
struct Form {
    boundary: String,
    chunks: VecDeque<Bytes>,
    length: u64,
}

impl Form {
    fn new(parts: &[Part]) -> Form {
        let boundary = boundary();
        let mut form = Form {
            chunks: VecDeque::with_capacity(parts.len() * 2 + 1),
            length: 0,
            boundary,
        };
        for part in parts {
            let (head, data) = match part {
                Part::Text { name, value } => (
                    format!(
                        "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        form.boundary,
                        escape(name)
                    ),
                    Bytes::copy_from_slice(value.as_bytes()),
                ),
                Part::File {
                    name,
                    filename,
                    content_type,
                    data,
                } => {
                    let FileData::Bytes(bytes) = data;
                    let content_type = content_type
                        .as_deref()
                        .unwrap_or("application/octet-stream")
                        .replace(['\r', '\n'], " ");
                    (
                        format!(
                            "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
                            form.boundary,
                            escape(name),
                            escape(filename)
                        ),
                        Bytes::from_owner(bytes.clone()),
                    )
                }
            };
            form.push(Bytes::from(head));
            form.push(data);
            form.push(Bytes::from_static(b"\r\n"));
        }
        let end = format!("--{}--\r\n", form.boundary);
        form.push(Bytes::from(end));
        form
    }

    fn push(&mut self, chunk: Bytes) {
        self.length += chunk.len() as u64;
        self.chunks.push_back(chunk);
    }

    fn into_body(self) -> Chunks {
        Chunks {
            left: self.length,
            chunks: self.chunks,
        }
    }
}

/// A field name or file name in a part's `Content-Disposition`, escaped as `fetch` escapes it.
fn escape(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A boundary no part is likely to contain: 128 random bits (std's per-process hash keys, a
/// counter and the time), as hex.
fn boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(count);
        h.write_u64(nanos);
        h.write_u64(salt);
        h.finish()
    };
    format!("----feishu-edge-{:016x}{:016x}", word(1), word(2))
}

/// A body of ready chunks with a known length (a `Content-Length`, not chunked).
struct Chunks {
    chunks: VecDeque<Bytes>,
    left: u64,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.left -= chunk.len() as u64;
        }
        std::task::Poll::Ready(next.map(|chunk| Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_alone_has_the_client_default_limit() {
        assert_eq!(
            DEFAULT_MAX_REPLY_BYTES,
            crate::config::DEFAULT_MAX_REPLY_BYTES
        );
        assert_eq!(
            origin("http://user:pw@127.0.0.1:8080/open-apis/x?secret=1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("https://open.feishu.cn/x"), "https://open.feishu.cn");
    }

    #[test]
    fn a_form_is_written_as_fetch_writes_form_data() {
        let parts = [
            Part::Text {
                name: "file_type".into(),
                value: "stream".into(),
            },
            Part::File {
                name: "file".into(),
                filename: "a\"b\r\n.txt".into(),
                content_type: None,
                data: FileData::Bytes(Arc::from(&b"hello"[..])),
            },
        ];
        let form = Form::new(&parts);
        let b = form.boundary.clone();
        let body: Vec<u8> = form.chunks.iter().flat_map(|c| c.to_vec()).collect();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file_type\"\r\n\r\nstream\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a%22b%0D%0A.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n\
             --{b}--\r\n"
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);
        assert_eq!(form.length, expected.len() as u64);
        assert_ne!(boundary(), boundary());
    }

    #[test]
    fn header_values_are_latin1_and_never_shown() {
        assert_eq!(latin1_value("é").unwrap().as_bytes(), &[0xE9]);
        assert!(latin1_value("中").is_none() && latin1_value("a\r\nb").is_none());
        assert_eq!(latin1_text(&[b'a', 0xE9]), "aé");
        let t = ReqwestTransport::from_client(::reqwest::Client::new());
        let req = HttpRequest {
            method: Method::Get,
            url: "https://open.feishu.cn/open-apis/x?secret=1".into(),
            headers: vec![("X-Note".into(), "s3cret\n".into())],
            body: Body::Empty,
            timeout_ms: None,
            stream: false,
        };
        let e = t.build(&req).unwrap_err();
        assert!(
            matches!(&e, TransportError::Network(m) if m.contains("X-Note") && !m.contains("s3cret")),
            "{e:?}"
        );
    }
}
