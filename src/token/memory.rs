//! [`MemoryStore`]: the default store, in this isolate's memory (a driver file: a host store
//! like the Durable Object, Deno KV and Redis ones; the core asks for [`StoreOp`] steps and
//! never holds a store).

use super::host::TokenStore;
use super::store::{make_room, StoreOp, StoreOutcome, CLAIM_PREFIX, EVENT_PREFIX};
use crate::error::Result;
use crate::runtime::{BoxFuture, Runtime};
use std::collections::HashMap;
use std::sync::Arc;

/// The default number of entries a [`MemoryStore`] keeps.
pub const MEMORY_STORE_CAPACITY: usize = 10_000;

/// The default store: hash maps in this isolate's memory, honouring TTLs, bounded in size.
///
/// Lookups are constant time. App-level state (a marketplace `app_ticket`, app and tenant
/// tokens), event ids (de-duplication) and everything else (user tokens) are kept apart, each
/// bounded at `capacity`: a flood of users or events can never evict the `app_ticket` every
/// tenant call needs. When a part is full, its expired entries are dropped first, then the
/// eighth closest to expiry, so short-lived keys go before long-lived ones. Event ids differ:
/// a claim (an event whose handler is still running) is never evicted; the handled ids that
/// expire first go, and when only claims are left a new claim is refused (`put_if_absent`
/// answers `false`: the event reads as in progress and is pushed again later, never run
/// unguarded). A flood of more than `capacity` handled ids can forget the oldest: use a
/// shared store for exact de-duplication. `put_if_absent` is atomic (one isolate, one thread).
///
/// ```
/// use feishu_edge::{MemoryStore, TokenStore};
/// use std::sync::Arc;
/// let store = MemoryStore::new(Arc::new(feishu_edge::runtime::StdRuntime));
/// futures_executor::block_on(async {
///     store.put("k", "v", Some(60)).await.unwrap();
///     assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v"));
///     assert!(!store.put_if_absent("k", "w", Some(60)).await.unwrap());
/// });
/// ```
pub struct MemoryStore {
    runtime: Arc<dyn Runtime>,
    capacity: usize,
    /// App-level state: `app_ticket`, app and tenant tokens.
    app: crate::runtime::Lock<Entries>,
    /// Event ids: claims and handled ids (`feishu-edge:event:…`).
    events: crate::runtime::Lock<Entries>,
    /// Per-user entries and anything else.
    other: crate::runtime::Lock<Entries>,
}

type Entries = HashMap<String, (String, Option<u64>)>;

/// True for the keys of app-level state (`feishu-edge:<app_id>:app_ticket`,
/// `…:app_access_token`, `…:tenant_access_token[:<tenant_key>]`).
fn is_app_level(key: &str) -> bool {
    let Some(rest) = key.strip_prefix("feishu-edge:") else {
        return false;
    };
    let Some((_app, what)) = rest.split_once(':') else {
        return false;
    };
    what == "app_ticket" || what == "app_access_token" || what.starts_with("tenant_access_token")
}

impl MemoryStore {
    /// An empty store of [`MEMORY_STORE_CAPACITY`] entries reading expiry from `runtime`'s clock.
    pub fn new(runtime: Arc<dyn Runtime>) -> MemoryStore {
        Self::with_capacity(runtime, MEMORY_STORE_CAPACITY)
    }

    /// An empty store that keeps at most `capacity` app-level entries and `capacity` others
    /// (at least 8 each).
    pub fn with_capacity(runtime: Arc<dyn Runtime>, capacity: usize) -> MemoryStore {
        MemoryStore {
            runtime,
            capacity: capacity.max(8),
            app: crate::runtime::Lock::new(HashMap::new()),
            events: crate::runtime::Lock::new(HashMap::new()),
            other: crate::runtime::Lock::new(HashMap::new()),
        }
    }

    /// How many entries it holds (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.app.borrow().len() + self.events.borrow().len() + self.other.borrow().len()
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Carries out `op` at once (this store never waits): what a driver does with a
    /// [`StoreOp`] step when the client keeps its tokens in memory.
    pub fn apply(&self, op: &StoreOp) -> Result<StoreOutcome> {
        let now = self.runtime.now_ms();
        match op {
            StoreOp::Get { key } => Ok(StoreOutcome::Value(self.live(key, now))),
            StoreOp::Put {
                key,
                value,
                ttl_secs,
            } => match self.insert(key, value, *ttl_secs, now) {
                true => Ok(StoreOutcome::Done),
                false => Err(crate::Error::Store(
                    "the memory store's event ids are all events still being handled".into(),
                )),
            },
            StoreOp::PutIfAbsent {
                key,
                value,
                ttl_secs,
            } => {
                let wrote =
                    self.live(key, now).is_none() && self.insert(key, value, *ttl_secs, now);
                Ok(StoreOutcome::Written(wrote))
            }
            StoreOp::Delete { key } => {
                self.part(key).borrow_mut().remove(key);
                Ok(StoreOutcome::Done)
            }
        }
    }

    fn part(&self, key: &str) -> &crate::runtime::Lock<Entries> {
        if is_app_level(key) {
            &self.app
        } else if key.starts_with(EVENT_PREFIX) {
            &self.events
        } else {
            &self.other
        }
    }

    fn live(&self, key: &str, now: u64) -> Option<String> {
        let mut entries = self.part(key).borrow_mut();
        match entries.get(key) {
            Some((_, Some(expires))) if *expires <= now => {
                entries.remove(key);
                None
            }
            Some((v, _)) => Some(v.clone()),
            None => None,
        }
    }

    /// Stores the entry; `false` (nothing written) when the event part is full of claims.
    fn insert(&self, key: &str, value: &str, ttl_secs: Option<u64>, now: u64) -> bool {
        let expires = ttl_secs.map(|t| now.saturating_add(t.saturating_mul(1000)));
        let mut entries = self.part(key).borrow_mut();
        if !entries.contains_key(key) {
            if key.starts_with(EVENT_PREFIX) {
                if !make_room_for_event(&mut entries, self.capacity, now) {
                    return false;
                }
            } else {
                make_room(&mut entries, self.capacity, now, |(_, expires)| *expires);
            }
        }
        entries.insert(key.to_string(), (value.to_string(), expires));
        true
    }
}

/// Makes room for one more event id: drops expired entries, then the eighth of the handled ids
/// (not claims) that expire first. `false` when only claims are left: no claim is evicted.
fn make_room_for_event(map: &mut Entries, capacity: usize, now: u64) -> bool {
    if map.len() < capacity {
        return true;
    }
    map.retain(|_, (_, e)| e.is_none_or(|e| e > now));
    if map.len() < capacity {
        return true;
    }
    let claim = |v: &str| v.starts_with(CLAIM_PREFIX);
    let mut order: Vec<(u64, String)> = map
        .iter()
        .filter(|(_, (v, _))| !claim(v))
        .map(|(k, (_, e))| (e.unwrap_or(u64::MAX), k.clone()))
        .collect();
    if order.is_empty() {
        return false;
    }
    let count = (capacity / 8).clamp(1, order.len());
    if count < order.len() {
        order.select_nth_unstable(count - 1);
    }
    for (_, key) in order.into_iter().take(count) {
        map.remove(&key);
    }
    true
}

impl TokenStore for MemoryStore {
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>> {
        let op = StoreOp::Get { key: key.into() };
        let value = match self.apply(&op) {
            Ok(StoreOutcome::Value(v)) => Ok(v),
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        };
        Box::pin(std::future::ready(value))
    }
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> BoxFuture<'_, Result<()>> {
        let op = StoreOp::Put {
            key: key.into(),
            value: value.into(),
            ttl_secs,
        };
        Box::pin(std::future::ready(self.apply(&op).map(|_| ())))
    }
    fn delete(&self, key: &str) -> BoxFuture<'_, Result<()>> {
        let op = StoreOp::Delete { key: key.into() };
        Box::pin(std::future::ready(self.apply(&op).map(|_| ())))
    }
    fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: Option<u64>,
    ) -> BoxFuture<'_, Result<bool>> {
        let op = StoreOp::PutIfAbsent {
            key: key.into(),
            value: value.into(),
            ttl_secs,
        };
        let wrote = self
            .apply(&op)
            .map(|o| matches!(o, StoreOutcome::Written(true)));
        Box::pin(std::future::ready(wrote))
    }
    fn atomic(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ManualClock;
    use crate::token::TokenStore;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        futures_executor::block_on(f)
    }

    #[test]
    fn bounded_under_a_flood_of_keys() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(1_000)));
        let store = MemoryStore::with_capacity(clock.clone(), 1000);
        for i in 0..100_000u64 {
            run(store.put(&format!("user:{i}"), "t", Some(3600 + i))).unwrap();
            assert!(store.len() <= 1000);
        }
        // The latest-expiring entries survive; the earliest were evicted.
        assert!(run(store.get("user:99999")).unwrap().is_some());
        assert!(run(store.get("user:0")).unwrap().is_none());
    }

    #[test]
    fn a_flood_of_user_tokens_never_evicts_the_app_ticket() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(1_000)));
        let store = MemoryStore::with_capacity(clock.clone(), 1000);
        let ticket = "feishu-edge:cli_a:app_ticket";
        run(store.put(ticket, "t", Some(3 * 3600))).unwrap();
        run(store.put("feishu-edge:cli_a:tenant_access_token:tk", "x", Some(7200))).unwrap();
        for i in 0..10_000u64 {
            let key = format!("feishu-edge:cli_a:user:ou_{i}");
            run(store.put(&key, "u", Some(7 * 24 * 3600))).unwrap();
            run(store.put(
                &format!("feishu-edge:event:cli_a:2.0:ev_{i}"),
                "done",
                Some(28_800),
            ))
            .unwrap();
        }
        assert_eq!(run(store.get(ticket)).unwrap().as_deref(), Some("t"));
        assert!(run(store.get("feishu-edge:cli_a:tenant_access_token:tk"))
            .unwrap()
            .is_some());
        assert!(store.len() <= 2 * 1000 + 2, "each part bounded");
        assert!(is_app_level("feishu-edge:cli_a:app_access_token"));
        assert!(!is_app_level("feishu-edge:cli_a:user:ou_app_ticket"));
        assert!(!is_app_level("app_ticket"));
    }

    #[test]
    fn expired_entries_go_first_and_put_if_absent_respects_expiry() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(0)));
        let store = MemoryStore::with_capacity(clock.clone(), 8);
        run(store.put("keep", "v", None)).unwrap();
        for i in 0..7 {
            run(store.put(&format!("short:{i}"), "v", Some(1))).unwrap();
        }
        clock.0.set(2_000);
        run(store.put("new", "v", Some(60))).unwrap();
        assert_eq!(store.len(), 2, "the seven expired entries were swept");
        assert!(run(store.put_if_absent("lease", "a", Some(1))).unwrap());
        assert!(!run(store.put_if_absent("lease", "b", Some(1))).unwrap());
        clock.0.set(3_001);
        assert!(run(store.put_if_absent("lease", "c", Some(1))).unwrap());
        assert_eq!(run(store.get("lease")).unwrap().as_deref(), Some("c"));
    }

    #[test]
    fn a_flood_of_handled_events_never_evicts_a_running_one() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(1_000)));
        let store = MemoryStore::with_capacity(clock.clone(), 64);
        let key = |i: u64| format!("feishu-edge:event:cli_a:2.0:ev_{i}");
        // An event whose handler is running: a claim with a 120 s lease.
        assert!(run(store.put_if_absent(&key(0), "claim:1:2:3", Some(120))).unwrap());
        // Many more events, handled and committed for 8 h, each a fresh key.
        for i in 1..1_000 {
            assert!(run(store.put_if_absent(&key(i), "claim:x", Some(120))).unwrap());
            run(store.put(&key(i), "done", Some(28_800))).unwrap();
            assert!(store.len() <= 64);
        }
        // The running one is still claimed: a re-push is not run a second time.
        assert!(!run(store.put_if_absent(&key(0), "claim:again", Some(120))).unwrap());
        assert_eq!(
            run(store.get(&key(0))).unwrap().as_deref(),
            Some("claim:1:2:3")
        );
        // Only claims left: a new event is refused (it reads as in progress), none evicted.
        let full = MemoryStore::with_capacity(clock.clone(), 8);
        for i in 0..8 {
            assert!(run(full.put_if_absent(&key(i), "claim:r", Some(120))).unwrap());
        }
        assert!(!run(full.put_if_absent(&key(100), "claim:n", Some(120))).unwrap());
        assert!(run(full.put(&key(101), "done", Some(60))).is_err());
        assert_eq!(full.len(), 8);
        // Once the leases run out, room is made again.
        clock.0.set(1_000 + 121_000);
        assert!(run(full.put_if_absent(&key(100), "claim:n", Some(120))).unwrap());
    }
}
