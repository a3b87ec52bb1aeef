//! KV-shaped token storage: values are JSON strings, keys are namespaced by app id.

use crate::error::Result;
use crate::runtime::Runtime;
use crate::LocalBoxFuture;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where tokens and app tickets live. Shaped like Workers KV so a KV namespace, a Deno KV wrapper
/// or a Redis adapter can share tokens across isolates.
pub trait TokenStore {
    /// The value under `key`, if present and not expired.
    fn get(&self, key: &str) -> LocalBoxFuture<'_, Result<Option<String>>>;
    /// Stores `value`, to expire after `ttl_secs` when given.
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> LocalBoxFuture<'_, Result<()>>;
    /// Removes `key`.
    fn delete(&self, key: &str) -> LocalBoxFuture<'_, Result<()>>;
}

/// The default store: a map in this isolate's memory, honouring TTLs.
///
/// ```
/// use feishu_edge::{MemoryStore, TokenStore};
/// use std::rc::Rc;
/// let store = MemoryStore::new(Rc::new(feishu_edge::runtime::StdRuntime));
/// futures_executor::block_on(async {
///     store.put("k", "v", Some(60)).await.unwrap();
///     assert_eq!(store.get("k").await.unwrap().as_deref(), Some("v"));
/// });
/// ```
pub struct MemoryStore {
    runtime: Rc<dyn Runtime>,
    entries: RefCell<BTreeMap<String, (String, Option<u64>)>>,
}

impl MemoryStore {
    /// An empty store reading expiry from `runtime`'s clock.
    pub fn new(runtime: Rc<dyn Runtime>) -> MemoryStore {
        MemoryStore {
            runtime,
            entries: RefCell::new(BTreeMap::new()),
        }
    }
}

impl TokenStore for MemoryStore {
    fn get(&self, key: &str) -> LocalBoxFuture<'_, Result<Option<String>>> {
        let now = self.runtime.now_ms();
        let mut entries = self.entries.borrow_mut();
        let value = match entries.get(key) {
            Some((_, Some(expires))) if *expires <= now => {
                entries.remove(key);
                None
            }
            Some((v, _)) => Some(v.clone()),
            None => None,
        };
        Box::pin(std::future::ready(Ok(value)))
    }
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> LocalBoxFuture<'_, Result<()>> {
        let expires =
            ttl_secs.map(|t| self.runtime.now_ms().saturating_add(t.saturating_mul(1000)));
        self.entries
            .borrow_mut()
            .insert(key.to_string(), (value.to_string(), expires));
        Box::pin(std::future::ready(Ok(())))
    }
    fn delete(&self, key: &str) -> LocalBoxFuture<'_, Result<()>> {
        self.entries.borrow_mut().remove(key);
        Box::pin(std::future::ready(Ok(())))
    }
}
