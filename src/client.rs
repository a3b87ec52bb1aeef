//! The client: its settings, seams and token cache, assembled by [`ClientBuilder`]. Every
//! API call, page, upload and download goes through one pipeline: the core's machines
//! ([`crate::request`]'s call, [`crate::token`]'s managed token and fetch) decide, and the async
//! driver (`src/drive/client.rs`: [`Client::request`] and the rest) or the npm package's JS
//! driver carries their steps out.

use crate::config::Config;
use std::sync::Arc;

/// The host objects and their builder (a driver file).
mod host;
pub use host::ClientBuilder;
pub(crate) use host::Inner;

/// How long a call of the caller's token store may take before it counts as failed (the token
/// is then fetched from the platform; a write is skipped with a warning).
pub const STORE_TIMEOUT_MS: u64 = 2_000;

/// A Feishu / Lark Open Platform client. Cloning is cheap and clones share tokens.
///
/// ```no_run
/// # async fn demo(transport: std::sync::Arc<dyn feishu_edge::Transport>) -> feishu_edge::Result<()> {
/// use feishu_edge::{ApiRequest, Client, Config};
/// let client = Client::builder(Config::new("cli_a", "secret")).transport(transport).build()?;
/// let reply = client.request(ApiRequest::get("im/v1/chats").query("page_size", "20")).await?;
/// let data: serde_json::Value = reply.data()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    pub(crate) user_token: Option<Arc<str>>,
}

impl Client {
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A client whose calls default to `user_access_token` (calls naming another token keep it).
    pub fn as_user(&self, user_access_token: impl Into<Arc<str>>) -> Client {
        Client {
            inner: self.inner.clone(),
            user_token: Some(user_access_token.into()),
        }
    }

    /// The `as_user` token its calls carry by default.
    pub(crate) fn user_token(&self) -> Option<&str> {
        self.user_token.as_deref()
    }

    /// Which client this is, for the drivers' tables of shared work (its clones and views are
    /// the same one). Stable while any clone lives.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }
}
