//! Access tokens: the KV-shaped [`TokenStore`] and the single-flight manager.

pub mod assertion;
#[cfg(feature = "client")]
pub(crate) mod assertion_exchange;
#[cfg(feature = "client")]
mod manager;
mod store;

#[cfg(feature = "client")]
pub use manager::{CachedToken, TokenKind};
#[cfg(feature = "client")]
pub(crate) use manager::{TokenCache, TokenHost};
pub use store::{
    put_if_absent_by_get_then_put, Deadline, MemoryStore, TokenStore, CLAIM_PREFIX,
    MEMORY_STORE_CAPACITY,
};

#[cfg(feature = "client")]
pub(crate) use manager::{
    cached, get as manager_get, invalidate as manager_invalidate, one_refresh_per_user,
    ticket_key as ticket_key_of,
};
