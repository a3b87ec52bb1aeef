//! The store seam and the token driver's host (a driver file: the core asks for store
//! operations as [`StoreOp`] steps and never awaits a store): [`TokenStore`] and its async
//! implementations for [`MemoryStore`] and [`Deadline`], and the handle the Rust driver's token
//! code reaches a client through.

#[cfg(feature = "client")]
use super::TokenCache;
use crate::error::Result;
#[cfg(feature = "client")]
use crate::request::{ApiRequest, ApiResponse};
use crate::runtime::{BoxFuture, Runtime};
#[cfg(feature = "client")]
use futures_util::future::Shared;
#[cfg(feature = "client")]
use std::collections::HashMap;
use std::sync::Arc;

/// Where tokens, app tickets and event ids live. Shaped like Workers KV so a KV namespace, a
/// Durable Object, Deno KV or Redis can share them across isolates.
///
/// `put_if_absent` is the one operation that makes de-duplication exact: a store that can do it
/// atomically overrides it and returns `true` from [`TokenStore::atomic`]. The default is a
/// get-then-put, which two concurrent callers can both win (best effort).
pub trait TokenStore: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// The value under `key`, if present and not expired.
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>>;
    /// Stores `value`, to expire after `ttl_secs` when given.
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> BoxFuture<'_, Result<()>>;
    /// Removes `key`.
    fn delete(&self, key: &str) -> BoxFuture<'_, Result<()>>;
    /// Stores `value` only when `key` holds nothing; `Ok(true)` when this call wrote it.
    fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: Option<u64>,
    ) -> BoxFuture<'_, Result<bool>> {
        Box::pin(put_if_absent_by_get_then_put(
            self,
            key.to_string(),
            value.to_string(),
            ttl_secs,
        ))
    }
    /// True when [`TokenStore::put_if_absent`] is atomic (no two callers can both win).
    fn atomic(&self) -> bool {
        false
    }
}

/// `put_if_absent` for stores that cannot do it atomically: a get, then a put. Two concurrent
/// callers can both see nothing and both write (best effort).
pub async fn put_if_absent_by_get_then_put<S: TokenStore + ?Sized>(
    store: &S,
    key: String,
    value: String,
    ttl_secs: Option<u64>,
) -> Result<bool> {
    if store.get(&key).await?.is_some() {
        return Ok(false);
    }
    store.put(&key, &value, ttl_secs).await?;
    Ok(true)
}

/// A store whose every call must answer within `timeout_ms` (0: no limit), or fails with
/// [`crate::Error::Store`]: a store that hangs can slow a call or a webhook by that much, never
/// hang it. The client wraps the token store in one, de-duplication its store.
///
/// ```
/// use feishu_edge::token::{Deadline, MemoryStore, TokenStore};
/// use std::sync::Arc;
/// let rt = Arc::new(feishu_edge::runtime::StdRuntime);
/// let store = Deadline::new(Arc::new(MemoryStore::new(rt.clone())), rt, 2_000);
/// futures_executor::block_on(async { store.put("k", "v", None).await.unwrap() });
/// ```
pub struct Deadline {
    store: Arc<dyn TokenStore>,
    runtime: Arc<dyn Runtime>,
    timeout_ms: u64,
}

impl Deadline {
    /// Wraps `store`; `runtime` provides the timer.
    pub fn new(store: Arc<dyn TokenStore>, runtime: Arc<dyn Runtime>, timeout_ms: u64) -> Deadline {
        Deadline {
            store,
            runtime,
            timeout_ms,
        }
    }

    fn within<'a, T: 'a>(&'a self, call: BoxFuture<'a, Result<T>>) -> BoxFuture<'a, Result<T>> {
        if self.timeout_ms == 0 {
            return call;
        }
        let ms = self.timeout_ms;
        Box::pin(async move {
            crate::runtime::within(&*self.runtime, ms, call)
                .await
                .unwrap_or_else(|| Err(crate::Error::Store(format!("no answer within {ms} ms"))))
        })
    }
}

impl TokenStore for Deadline {
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>> {
        self.within(self.store.get(key))
    }
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> BoxFuture<'_, Result<()>> {
        self.within(self.store.put(key, value, ttl_secs))
    }
    fn delete(&self, key: &str) -> BoxFuture<'_, Result<()>> {
        self.within(self.store.delete(key))
    }
    fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: Option<u64>,
    ) -> BoxFuture<'_, Result<bool>> {
        self.within(self.store.put_if_absent(key, value, ttl_secs))
    }
    fn atomic(&self) -> bool {
        self.store.atomic()
    }
}

#[cfg(feature = "client")]
/// A user-token refresh in flight, shared by everyone asking for that user meanwhile.
type UserTokenFuture = Shared<BoxFuture<'static, Result<Option<String>>>>;

#[cfg(feature = "client")]
/// The user-token refreshes in flight, by user key: the driver's table, kept in the client's
/// [`TokenCache`] (the core holds it and never looks inside).
#[derive(Default)]
pub(crate) struct UserRefreshes(crate::runtime::Lock<HashMap<String, UserTokenFuture>>);

#[cfg(feature = "client")]
/// Runs `work` once per user `key` at a time: callers asking for the same user while it runs
/// share its result (a refresh token is sent once, not once per caller).
pub(crate) async fn one_refresh_per_user(
    host: &dyn TokenHost,
    key: &str,
    work: impl FnOnce(std::sync::Arc<dyn TokenHost>) -> BoxFuture<'static, Result<Option<String>>>,
) -> Result<Option<String>> {
    use futures_util::future::FutureExt;
    let tokens = host.tokens();
    let existing = tokens.user_refreshes.0.borrow().get(key).cloned();
    let shared = match existing {
        Some(f) => f,
        None => {
            let owner = host.handle();
            let run = work(owner.clone());
            let k = key.to_string();
            let f: BoxFuture<'static, Result<Option<String>>> = Box::pin(async move {
                let result = run.await;
                owner.tokens().user_refreshes.0.borrow_mut().remove(&k);
                result
            });
            let shared = f.shared();
            tokens
                .user_refreshes
                .0
                .borrow_mut()
                .insert(key.to_string(), shared.clone());
            shared
        }
    };
    shared.await
}

#[cfg(feature = "client")]
/// What OAuth and the keyless exchange need from their client: settings, seams, its cache,
/// and one way to send a call. [`crate::Client`] is one; they know nothing else of it.
pub(crate) trait TokenHost: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    fn config(&self) -> &crate::Config;
    fn store(&self) -> &std::sync::Arc<dyn super::TokenStore>;
    fn runtime(&self) -> &std::sync::Arc<dyn crate::Runtime>;
    fn logger(&self) -> &std::sync::Arc<dyn crate::Logger>;
    fn tokens(&self) -> &TokenCache;
    /// Sends a call through the client's pipeline (envelope checked).
    fn call(&self, req: ApiRequest) -> BoxFuture<'_, Result<ApiResponse>>;
    /// An owned handle, for work that outlives the caller (a shared fetch).
    fn handle(&self) -> std::sync::Arc<dyn TokenHost>;
}
