//! Access tokens: the KV-shaped [`TokenStore`], the [`StoreOp`] steps on it, and the token
//! machines (an API call's managed token, one token fetched) a driver carries out.

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
    put_if_absent_by_get_then_put, Deadline, MemoryStore, StoreOp, StoreOutcome, TokenStore,
    CLAIM_PREFIX, MEMORY_STORE_CAPACITY,
};

#[cfg(feature = "client")]
pub(crate) use assertion_exchange::fetch as exchange;
#[cfg(feature = "client")]
pub(crate) use manager::{
    app_ticket_op, cached, one_refresh_per_user, store_key, ApiCall, Fetch, Input, Step,
};
