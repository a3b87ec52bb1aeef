//! The [`Transport`] trait: what a driver sends through (a driver file; the core only builds
//! [`HttpRequest`]s and judges [`HttpResponse`]s).

use super::{HttpRequest, HttpResponse, TransportError};
use crate::runtime::BoxFuture;

/// Sends one HTTP request. `Send + Sync` natively (a client is shared across threads); nothing
/// more on wasm32, which is single-threaded and whose JS values are not `Send`.
///
/// The contract the pipeline relies on:
/// - **Every reply is `Ok(HttpResponse)`, whatever its status.** A 400 or a 500 carries the
///   platform's `{code, msg}` envelope, which the pipeline reads to type the error, refresh a
///   token or retry. A transport that turns non-2xx replies into `Err` (an HTTP client's
///   `error_for_status`, say) makes every API error a `network` error.
/// - `Err` only when no reply arrived: [`TransportError::Timeout`] after cancelling at
///   `req.timeout_ms`, [`TransportError::Network`] otherwise.
/// - **Redirects are not followed**: return the 3xx as it is. The pipeline refuses them with a
///   typed error, so a managed access token never follows a redirect to another host.
///
/// A native transport, sketched on a blocking client (`ureq`-like, the shape of most):
///
/// ```
/// use feishu_edge::{HttpRequest, HttpResponse, BoxFuture, Transport, TransportError};
/// # mod http { pub struct Reply { pub status: u16, pub body: Vec<u8> }
/// #   pub enum Failure { Status(Reply), Io(String) }
/// #   pub fn send(_: &str, _: &str) -> Result<Reply, Failure> {
/// #       Err(Failure::Status(Reply { status: 400, body: br#"{"code":99991663,"msg":"invalid token"}"#.to_vec() })) } }
/// struct Native;
/// impl Transport for Native {
///     fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
///         Box::pin(async move {
///             let reply = match http::send(req.method.as_str(), &req.url) {
///                 Ok(reply) => reply,
///                 // A 4xx/5xx the client reports as an error is still a reply: hand it over.
///                 Err(http::Failure::Status(reply)) => reply,
///                 Err(http::Failure::Io(e)) => return Err(TransportError::Network(e)),
///             };
///             Ok(HttpResponse { status: reply.status, body: reply.body, ..Default::default() })
///         })
///     }
/// }
/// # let req = HttpRequest { method: feishu_edge::Method::Get, url: "https://x/".into(), headers: vec![], body: Default::default(), timeout_ms: None, stream: false };
/// let reply = futures_executor::block_on(Native.send(req)).unwrap();
/// assert_eq!(reply.status, 400);
/// ```
pub trait Transport: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// Sends `req`, honouring `req.timeout_ms` by cancelling the request.
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}
