//! [`Caller`]: the narrow interface the Rust driver's conveniences send a call through (a
//! driver file: it is awaited, so the core never names it but to re-export it).

use super::{ApiRequest, ApiResponse};
use crate::error::Result;

/// The narrow interface the layers above a client (pagination, the token manager, OAuth, card
/// streaming) send calls through: one checked call. [`crate::Client`] implements it; tests and
/// other hosts can too.
///
/// ```
/// # async fn demo(caller: &dyn feishu_edge::request::Caller) -> feishu_edge::Result<()> {
/// let reply = caller.call(feishu_edge::ApiRequest::get("im/v1/chats")).await?;
/// # Ok(()) }
/// ```
pub trait Caller: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// Sends a JSON call through the whole pipeline and checks its envelope.
    fn call(&self, req: ApiRequest) -> crate::runtime::BoxFuture<'_, Result<ApiResponse>>;
}
