//! # feishu-edge
//!
//! A Feishu / Lark Open Platform SDK with one target-agnostic Rust core that also compiles to
//! WebAssembly (Cloudflare Workers, Deno, Node, browsers).
//!
//! The core never touches a network, a clock or a cipher directly: it talks to a [`Transport`],
//! a [`TokenStore`], a [`Runtime`] (clock + sleep) and a [`crypto::Crypto`], so the same code runs natively under test and
//! in wasm on the global `fetch`.
//!
//! ```
//! use feishu_edge::{ApiRequest, Config, Region};
//! let config = Config::new("cli_a1", "secret").region(Region::Lark);
//! assert_eq!(config.base_url_str(), "https://open.larksuite.com/open-apis/");
//! let req = ApiRequest::get("im/v1/messages/{message_id}").path_param("message_id", "om_1");
//! assert_eq!(req.method, feishu_edge::Method::Get);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "client")]
pub mod api;
pub mod card;
#[cfg(feature = "client")]
pub mod client;
pub mod config;
pub mod crypto;
/// The async Rust driver over the core's machines (see the module docs).
pub(crate) mod drive;
pub mod error;
#[cfg(feature = "internals")]
pub mod json;
#[cfg(not(feature = "internals"))]
pub(crate) mod json;
pub mod log;
#[cfg(feature = "internals")]
pub mod options;
#[cfg(not(feature = "internals"))]
pub(crate) mod options;
/// The README's Rust examples as doctests (compiled only by `cargo test --doc` with the
/// features they use).
#[cfg(all(doctest, feature = "reqwest", feature = "http", feature = "ws-tokio"))]
pub mod readme;
#[cfg(feature = "client")]
pub mod request;
pub mod runtime;
pub mod token;
#[cfg(feature = "client")]
pub mod transport;
pub mod webhook;
#[cfg(feature = "ws")]
pub mod ws;

/// The native drivers on tokio, behind the `ws-tokio` feature: [`WsClient`], the long
/// connection (events and card callbacks over a socket the app opens; no public URL).
#[cfg(all(feature = "ws-tokio", not(target_arch = "wasm32")))]
pub mod native;

/// The wasm-bindgen skin (the npm package's exports), behind the default `js` feature: a Rust
/// program on wasm32 (a workers-rs Worker) can take the core alone with
/// `default-features = false`.
#[cfg(all(target_arch = "wasm32", feature = "js-base"))]
pub mod js;

#[cfg(feature = "client")]
pub use client::Client;
pub use config::{AppType, Config, Region, RetryPolicy};
pub use error::{ApiError, Error, Result};
pub use log::{Level, Logger};
#[cfg(all(feature = "ws-tokio", not(target_arch = "wasm32")))]
pub use native::{Notice, WsClient, WsClientBuilder};
#[cfg(feature = "client")]
pub use request::{ApiRequest, ApiResponse, Auth, Download, Paginator};
pub use runtime::Runtime;
pub use token::{MemoryStore, TokenStore};
#[cfg(feature = "client")]
pub use transport::{
    Body, FileData, HttpRequest, HttpResponse, Method, Part, ResponseStream, Transport,
    TransportError,
};

pub use runtime::{BoxFuture, LocalBoxFuture};
