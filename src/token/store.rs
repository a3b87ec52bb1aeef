//! KV-shaped storage for tokens, user tokens and webhook de-duplication: values are strings,
//! keys are namespaced (`feishu-edge:<app_id>:…`, `feishu-edge:event:…`).

use std::collections::HashMap;

/// One operation on a [`TokenStore`](super::TokenStore), as a step a core machine returns: the machine decides
/// what to read, write or drop, a driver carries it out (on the client's store) and steps the
/// machine with the [`StoreOutcome`]. The token fetch uses it; so can de-duplication.
///
/// ```
/// use feishu_edge::token::{MemoryStore, StoreOp, StoreOutcome};
/// let store = MemoryStore::new(std::sync::Arc::new(feishu_edge::runtime::StdRuntime));
/// let put = StoreOp::Put { key: "k".into(), value: "v".into(), ttl_secs: Some(60) };
/// assert_eq!(store.apply(&put).unwrap(), StoreOutcome::Done);
/// let get = StoreOp::Get { key: "k".into() };
/// assert_eq!(store.apply(&get).unwrap(), StoreOutcome::Value(Some("v".into())));
/// assert_eq!(get.name(), "get");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// The value under `key` ([`StoreOutcome::Value`]).
    Get {
        /// The key.
        key: String,
    },
    /// Stores `value`, to expire after `ttl_secs` when given ([`StoreOutcome::Done`]).
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Seconds until it expires (none: never).
        ttl_secs: Option<u64>,
    },
    /// Stores `value` only when `key` holds nothing ([`StoreOutcome::Written`]).
    PutIfAbsent {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Seconds until it expires (none: never).
        ttl_secs: Option<u64>,
    },
    /// Removes `key` ([`StoreOutcome::Done`]).
    Delete {
        /// The key.
        key: String,
    },
}

impl StoreOp {
    /// The store method it calls (`get`, `put`, `putIfAbsent`, `delete`), for errors.
    pub fn name(&self) -> &'static str {
        match self {
            StoreOp::Get { .. } => "get",
            StoreOp::Put { .. } => "put",
            StoreOp::PutIfAbsent { .. } => "putIfAbsent",
            StoreOp::Delete { .. } => "delete",
        }
    }

    /// The key it reads or writes.
    pub fn key(&self) -> &str {
        match self {
            StoreOp::Get { key }
            | StoreOp::Put { key, .. }
            | StoreOp::PutIfAbsent { key, .. }
            | StoreOp::Delete { key } => key,
        }
    }
}

/// What a [`StoreOp`] gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// A `get`'s value (`None`: absent or expired).
    Value(Option<String>),
    /// A `put` or `delete` was done.
    Done,
    /// A `putIfAbsent`: `true` when this call wrote the value.
    Written(bool),
}

/// How the value of a de-duplication claim (an event whose handler is running) begins: a
/// [`MemoryStore`](super::MemoryStore) never evicts one to make room.
pub const CLAIM_PREFIX: &str = "claim:";

/// How the keys of event ids (de-duplication) begin.
pub(crate) const EVENT_PREFIX: &str = "feishu-edge:event:";

/// Makes room in a map bounded at `capacity`: drops the entries that expired by `now`, and if
/// it is still full, the eighth that expire first (entries without expiry last). So a flood of
/// short-lived keys (tenant tokens, claims) goes before what lives longer (an `app_ticket`).
pub(crate) fn make_room<V>(
    map: &mut HashMap<String, V>,
    capacity: usize,
    now: u64,
    expires: impl Fn(&V) -> Option<u64>,
) {
    if map.len() < capacity {
        return;
    }
    map.retain(|_, v| expires(v).is_none_or(|e| e > now));
    if map.len() < capacity {
        return;
    }
    let mut order: Vec<(u64, String)> = map
        .iter()
        .map(|(k, v)| (expires(v).unwrap_or(u64::MAX), k.clone()))
        .collect();
    let count = (capacity / 8).clamp(1, order.len());
    if count < order.len() {
        order.select_nth_unstable(count - 1);
    }
    for (_, key) in order.into_iter().take(count) {
        map.remove(&key);
    }
}
