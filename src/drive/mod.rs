//! The async Rust driver: it waits so the core does not. Each file runs one of the core's
//! machines (a call, a token refresh, a page walk, a webhook intake) over the host seams the
//! user chose ([`crate::Transport`], [`crate::Runtime`], [`crate::TokenStore`],
//! [`crate::crypto::Crypto`]): natively on tokio (with `src/native/`), on workers-rs, and in
//! the wasm package for what its JS driver does not step itself.
//!
//! The core (every other module but `js` and `native`) decides; nothing here decides: a
//! driver only carries out the step it is given and hands the outcome back.

mod assertion;
#[cfg(feature = "client")]
pub(crate) mod client;
pub(crate) mod dedupe;
#[cfg(feature = "client")]
mod helpers;
#[cfg(feature = "client")]
pub(crate) mod oauth;
#[cfg(feature = "client")]
mod page;
#[cfg(feature = "client")]
mod stream;
#[cfg(feature = "client")]
pub(crate) mod token;
pub(crate) mod webhook;
