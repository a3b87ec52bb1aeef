//! Access tokens: the KV-shaped [`TokenStore`], the [`StoreOp`] steps on it, and the token
//! machines (an API call's managed token, one token fetched) a driver carries out.

pub mod assertion;
#[cfg(feature = "client")]
pub(crate) mod assertion_exchange;
/// The store seam and the token driver's host (a driver file).
mod host;
#[cfg(feature = "client")]
mod manager;
/// The in-memory store (a driver file: a host store).
mod memory;
mod store;

#[cfg(feature = "client")]
pub(crate) use host::{one_refresh_per_user, TokenHost};
pub use host::{put_if_absent_by_get_then_put, Deadline, TokenStore};
#[cfg(feature = "client")]
pub(crate) use manager::TokenCache;
#[cfg(feature = "client")]
pub use manager::{CachedToken, TokenKind};
pub use memory::{MemoryStore, MEMORY_STORE_CAPACITY};
pub use store::{StoreOp, StoreOutcome, CLAIM_PREFIX};

#[cfg(feature = "client")]
pub(crate) use assertion_exchange::fetch as exchange;
#[cfg(feature = "client")]
pub(crate) use manager::{app_ticket_op, cached, store_key, ApiCall, Fetch, Input, Step};
