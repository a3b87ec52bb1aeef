//! The host objects a [`Client`] drives with (a driver file: the core decides with the
//! client's settings and token cache, and never waits on these): the transport, the clock, the
//! token store and the logger, assembled by [`ClientBuilder`] with the defaults of each target.

use super::{Client, STORE_TIMEOUT_MS};
use crate::config::Config;
use crate::error::Result;
use crate::log::{Logger, NoLogger};
use crate::request::call::Env;
use crate::runtime::Runtime;
use crate::token::{Deadline, MemoryStore, TokenCache, TokenStore};
use crate::transport::Transport;
use std::sync::Arc;

/// What clones of a [`Client`] share.
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) store: Arc<dyn TokenStore>,
    /// The store when it is the default one in memory (its steps need no wait).
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
    pub(crate) memory: Option<Arc<MemoryStore>>,
    pub(crate) logger: Arc<dyn Logger>,
    pub(crate) tokens: TokenCache,
}

/// Assembles a [`Client`]. Natively with the `reqwest` feature nothing more is required (the
/// built-in transport and tokio's timers); without it, a transport; on wasm32, a transport and a
/// runtime.
///
/// ```no_run
/// # async fn demo(url: &str) -> feishu_edge::Result<()> {
/// // Cargo.toml: feishu-edge = { version = "…", features = ["reqwest"] }, on a tokio runtime
/// use feishu_edge::{ApiRequest, Client, Config};
/// let client = Client::builder(Config::new("cli_a", "secret").base_url(url)?).build()?;
/// let reply = client
///     .request(
///         ApiRequest::post("im/v1/messages")
///             .query("receive_id_type", "chat_id")
///             .json(&serde_json::json!({ "receive_id": "oc_1", "msg_type": "text", "content": "{\"text\":\"hi\"}" }))?,
///     )
///     .await?;
/// let message: serde_json::Value = reply.data()?;
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    config: Config,
    transport: Option<Arc<dyn Transport>>,
    runtime: Option<Arc<dyn Runtime>>,
    store: Option<Arc<dyn TokenStore>>,
    logger: Option<Arc<dyn Logger>>,
}

impl ClientBuilder {
    /// Sets the transport (default natively with the `reqwest` feature:
    /// `transport::reqwest::ReqwestTransport`; none otherwise).
    pub fn transport(mut self, t: Arc<dyn Transport>) -> Self {
        self.transport = Some(t);
        self
    }
    /// Sets the clock and timers (default natively: the OS's, tokio's timers with the `reqwest`
    /// feature; none on wasm32).
    pub fn runtime(mut self, r: Arc<dyn Runtime>) -> Self {
        self.runtime = Some(r);
        self
    }
    /// Sets the token store (default: [`MemoryStore`]).
    pub fn store(mut self, s: Arc<dyn TokenStore>) -> Self {
        self.store = Some(s);
        self
    }
    /// Sets the logger (default: none).
    pub fn logger(mut self, l: Arc<dyn Logger>) -> Self {
        self.logger = Some(l);
        self
    }
    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        self.config.validate()?;
        let runtime = match self.runtime {
            Some(r) => r,
            None => default_runtime()?,
        };
        let transport = match self.transport {
            Some(t) => t,
            None => default_transport(&self.config)?,
        };
        // A store of the caller's gets a deadline: one that hangs cannot hang a call.
        let (store, memory): (Arc<dyn TokenStore>, _) = match self.store {
            Some(s) => (
                Arc::new(Deadline::new(s, runtime.clone(), STORE_TIMEOUT_MS)),
                None,
            ),
            None => {
                let memory = Arc::new(MemoryStore::new(runtime.clone()));
                (memory.clone(), Some(memory))
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: self.config,
                transport,
                runtime,
                store,
                memory,
                logger: self.logger.unwrap_or_else(|| Arc::new(NoLogger)),
                tokens: TokenCache::default(),
            }),
            user_token: None,
        })
    }
}

// Natively, the OS clock (tokio's timers with the `reqwest` feature) and, with the `reqwest`
// feature, the built-in transport; on wasm32 the caller passes the clock and the transport (the
// npm package's skin passes `js::runtime::JsRuntime` and `js::fetch::FetchTransport`), so the
// core never reaches up into the skin. One function each, its body chosen by target and feature.
#[allow(clippy::needless_return)]
fn default_runtime() -> Result<Arc<dyn Runtime>> {
    #[cfg(all(not(target_arch = "wasm32"), feature = "reqwest"))]
    return Ok(Arc::new(crate::transport::reqwest::TokioRuntime));
    #[cfg(all(not(target_arch = "wasm32"), not(feature = "reqwest")))]
    return Ok(Arc::new(crate::runtime::StdRuntime));
    #[cfg(target_arch = "wasm32")]
    Err(crate::error::Error::Config(
        "no runtime: on wasm32, pass one to ClientBuilder::runtime (with the `js` feature: feishu_edge::js::runtime::JsRuntime)".into(),
    ))
}

#[allow(clippy::needless_return)]
#[cfg_attr(
    any(target_arch = "wasm32", not(feature = "reqwest")),
    allow(unused_variables)
)]
fn default_transport(config: &Config) -> Result<Arc<dyn Transport>> {
    #[cfg(all(not(target_arch = "wasm32"), feature = "reqwest"))]
    return Ok(Arc::new(
        crate::transport::reqwest::ReqwestTransport::new()?.max_reply_bytes(config.max_reply_bytes),
    ));
    #[cfg(all(not(target_arch = "wasm32"), not(feature = "reqwest")))]
    return Err(crate::error::Error::Config(
        "no transport: pass one to ClientBuilder::transport, or turn on the crate's `reqwest` feature for the built-in one (reqwest on tokio)".into(),
    ));
    #[cfg(target_arch = "wasm32")]
    Err(crate::error::Error::Config(
        "no transport: pass one to ClientBuilder::transport (with the `js` feature on wasm32: feishu_edge::js::fetch::FetchTransport)".into(),
    ))
}

impl Client {
    /// Starts building a client.
    ///
    /// ```
    /// use feishu_edge::{Client, Config};
    /// let builder = Client::builder(Config::new("cli_a", "secret"));
    /// # let _ = builder;
    /// ```
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder {
            config,
            transport: None,
            runtime: None,
            store: None,
            logger: None,
        }
    }

    /// The clock and timers.
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }

    /// The token store (the webhook layer writes `app_ticket`s into it).
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// Runs `f` with what the core's machines read from this client (settings, logger, clock,
    /// jitter) and its token cache.
    pub(crate) fn with_env<R>(&self, f: impl FnOnce(&Env<'_>, &TokenCache) -> R) -> R {
        let runtime = &*self.inner.runtime;
        let now_ms = || runtime.now_ms();
        let jitter = || runtime.jitter();
        let env = Env {
            config: &self.inner.config,
            logger: &*self.inner.logger,
            now_ms: &now_ms,
            jitter: &jitter,
        };
        f(&env, &self.inner.tokens)
    }
}
