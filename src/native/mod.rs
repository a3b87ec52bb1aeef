//! The native drivers: the core's machines with tokio doing the waiting (the `ws-tokio`
//! feature). [`WsClient`] hosts the long connection's sans-IO [`crate::ws::Connection`]: the
//! endpoint request, the socket, the timers and the handler tasks are here; every decision is
//! the machine's.

pub mod ws;

pub use ws::{Notice, WsClient, WsClientBuilder};
