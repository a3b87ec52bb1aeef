//! Exactly-once handling on top of at-least-once delivery: claim → handle → commit.
//!
//! An event id is *claimed* with a short lease before its handler runs, *committed* (kept for
//! `dedupe_ttl_secs`) when the handler succeeds, and *released* when it fails, so the
//! platform's retry is handled. A delivery that finds a live claim is told the event is in
//! progress (the endpoint answers 503 and the platform retries later).
//!
//! With a store whose `put_if_absent` is atomic (memory, Durable Objects, Deno KV, Redis) two
//! deliveries can never both claim an event. With any other store (Workers KV) the claim is a
//! get-then-put: best effort. Every store call has a deadline; a store that misses it or fails
//! lets the event through (fail open, logged): handling twice is better than never.

use crate::error::Error;
use crate::log::{log_at, Level, Logger};
use crate::runtime::Runtime;
use crate::token::{Deadline, TokenStore};
use std::rc::Rc;

/// The value a committed event id holds.
const DONE: &str = "done";

/// The store key of an event id.
fn key_of(event_id: &str) -> String {
    format!("feishu-edge:event:{event_id}")
}

/// The outcome of claiming an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery owns the event: run the handler, then commit or release the lease.
    Owned(Lease),
    /// The event was handled before.
    Duplicate,
    /// Another delivery holds a live claim.
    InProgress,
    /// No de-duplication applies (no id, or the store failed: fail open).
    Unguarded,
}

/// A claim this delivery holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    key: String,
    value: String,
}

/// Claims, commits and releases event ids in a store, each call under a deadline.
///
/// ```
/// use feishu_edge::webhook::{Claim, Dedupe};
/// use feishu_edge::{MemoryStore, runtime::StdRuntime};
/// use std::rc::Rc;
/// let rt = Rc::new(StdRuntime);
/// let d = Dedupe::new(Rc::new(MemoryStore::new(rt.clone())), rt, 120, 28_800, 2_000);
/// futures_executor::block_on(async {
///     let Claim::Owned(lease) = d.claim("ev_1").await else { panic!() };
///     assert_eq!(d.claim("ev_1").await, Claim::InProgress);
///     d.commit(&lease).await;
///     assert_eq!(d.claim("ev_1").await, Claim::Duplicate);
/// });
/// ```
pub struct Dedupe {
    store: Rc<dyn TokenStore>,
    runtime: Rc<dyn Runtime>,
    logger: Rc<dyn Logger>,
    lease_secs: u64,
    done_secs: u64,
}

impl Dedupe {
    /// De-duplication in `store`: claims last `lease_secs`, handled ids `done_secs`, each store
    /// call at most `timeout_ms`.
    pub fn new(
        store: Rc<dyn TokenStore>,
        runtime: Rc<dyn Runtime>,
        lease_secs: u64,
        done_secs: u64,
        timeout_ms: u64,
    ) -> Dedupe {
        Dedupe {
            store: Rc::new(Deadline::new(store, runtime.clone(), timeout_ms)),
            runtime,
            logger: Rc::new(crate::log::NoLogger),
            lease_secs: lease_secs.max(1),
            done_secs: done_secs.max(lease_secs),
        }
    }

    /// Logs store failures here.
    pub fn logger(mut self, logger: Rc<dyn Logger>) -> Self {
        self.logger = logger;
        self
    }

    /// True when claims are atomic (the store says so).
    pub fn exact(&self) -> bool {
        self.store.atomic()
    }

    fn fail_open(&self, step: &str, e: &Error) -> Claim {
        log_at!(
            self.logger,
            Level::Warn,
            "de-duplication store {step} failed, handling the event unguarded: {e}"
        );
        Claim::Unguarded
    }

    /// Claims `event_id` for this delivery.
    pub async fn claim(&self, event_id: &str) -> Claim {
        let key = key_of(event_id);
        // Unique per claim: time and randomness across isolates, a counter within one.
        static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let value = format!(
            "claim:{}:{}:{}",
            self.runtime.now_ms(),
            (self.runtime.jitter() * 1e9) as u64,
            CLAIMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let lease = Lease { key, value };
        let store = &*self.store;
        let wrote = if store.atomic() {
            store
                .put_if_absent(&lease.key, &lease.value, Some(self.lease_secs))
                .await
        } else {
            // Best effort: read first so a committed id is recognised, then write the claim.
            match store.get(&lease.key).await {
                Ok(Some(v)) => return held(&v),
                Ok(None) => store
                    .put(&lease.key, &lease.value, Some(self.lease_secs))
                    .await
                    .map(|()| true),
                Err(e) => return self.fail_open("read", &e),
            }
        };
        match wrote {
            Ok(true) => Claim::Owned(lease),
            Ok(false) => match store.get(&lease.key).await {
                Ok(Some(v)) => held(&v),
                // Released or expired in between: that delivery gave up; one more try.
                Ok(None) => match store
                    .put_if_absent(&lease.key, &lease.value, Some(self.lease_secs))
                    .await
                {
                    Ok(true) => Claim::Owned(lease),
                    Ok(false) => Claim::InProgress,
                    Err(e) => self.fail_open("claim", &e),
                },
                Err(e) => self.fail_open("read", &e),
            },
            Err(e) => self.fail_open("claim", &e),
        }
    }

    /// Records the event as handled for `done_secs`.
    pub async fn commit(&self, lease: &Lease) {
        let call = self.store.put(&lease.key, DONE, Some(self.done_secs));
        if let Err(e) = call.await {
            log_at!(
                self.logger,
                Level::Warn,
                "could not record a handled event (a later delivery may run it again): {e}"
            );
        }
    }

    /// Gives the claim up after a failure, so the next delivery handles the event. Only this
    /// delivery's own claim is removed (best effort: read, compare, delete).
    pub async fn release(&self, lease: &Lease) {
        let result = match self.store.get(&lease.key).await {
            Ok(Some(v)) if v == lease.value => self.store.delete(&lease.key).await,
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            log_at!(
                self.logger,
                Level::Warn,
                "could not release a failed event's claim (the retry waits for the lease to end): {e}"
            );
        }
    }
}

/// What a value found under an event's key means.
fn held(value: &str) -> Claim {
    if value == DONE {
        Claim::Duplicate
    } else {
        Claim::InProgress
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::runtime::ManualClock;
    use crate::token::MemoryStore;
    use crate::LocalBoxFuture;
    use std::cell::Cell;

    /// A store that never answers.
    struct Hanging;
    impl TokenStore for Hanging {
        fn get(&self, _: &str) -> LocalBoxFuture<'_, Result<Option<String>>> {
            Box::pin(std::future::pending())
        }
        fn put(&self, _: &str, _: &str, _: Option<u64>) -> LocalBoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }
        fn delete(&self, _: &str) -> LocalBoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        futures_executor::block_on(f)
    }

    #[test]
    fn claim_release_claim_commit_duplicate() {
        let clock = Rc::new(ManualClock(Cell::new(1_000)));
        let d = Dedupe::new(
            Rc::new(MemoryStore::new(clock.clone())),
            clock.clone(),
            120,
            28_800,
            0,
        );
        let Claim::Owned(first) = run(d.claim("e")) else {
            panic!("first claim")
        };
        assert_eq!(run(d.claim("e")), Claim::InProgress);
        run(d.release(&first));
        let Claim::Owned(second) = run(d.claim("e")) else {
            panic!("claim after release")
        };
        // A stale owner cannot release someone else's claim.
        run(d.release(&first));
        assert_eq!(run(d.claim("e")), Claim::InProgress);
        run(d.commit(&second));
        assert_eq!(run(d.claim("e")), Claim::Duplicate);
        // A lease that runs out lets the next delivery take over.
        let Claim::Owned(_) = run(d.claim("f")) else {
            panic!()
        };
        clock.0.set(1_000 + 121_000);
        assert!(matches!(run(d.claim("f")), Claim::Owned(_)));
        // A committed id outlives the platform's retry window (7.1 h).
        clock.0.set(1_000 + 121_000 + 7 * 3600 * 1000);
        assert_eq!(run(d.claim("e")), Claim::Duplicate);
    }

    #[test]
    fn a_hanging_store_fails_open_within_the_deadline() {
        let rt = Rc::new(crate::runtime::StdRuntime);
        let d = Dedupe::new(Rc::new(Hanging), rt, 120, 28_800, 50);
        let started = std::time::Instant::now();
        assert_eq!(run(d.claim("e")), Claim::Unguarded);
        run(d.commit(&Lease {
            key: "k".into(),
            value: "v".into(),
        }));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
