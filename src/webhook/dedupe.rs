//! Exactly-once handling on top of at-least-once delivery: claim → handle → commit.
//!
//! An event id is *claimed* with a short lease before its handler runs, *committed* (kept for
//! `dedupe_ttl_secs`) when the handler succeeds, and *released* when it fails, so the
//! platform's retry is handled. A delivery that finds a live claim is told the event is in
//! progress (the endpoint answers 503 and the platform retries later).
//!
//! With a store whose `put_if_absent` is atomic (memory, Durable Objects, Deno KV, Redis) two
//! deliveries can never both claim an event. With any other store (Workers KV) the claim is a
//! get-then-put: best effort. The store calls of one delivery's claim share one time
//! [`Budget`]; a store that fails or runs out of it before anyone holds the event lets the
//! event through (fail open, logged): handling twice is better than never. The commit and the
//! release each get a deadline of their own: skipping them would run a handler twice.

use crate::error::{Error, Result};
use crate::log::{log_at, Level, Logger};
use crate::runtime::BoxFuture;
use crate::runtime::Runtime;
use crate::token::TokenStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The value a committed event id holds.
const DONE: &str = "done";
use crate::token::CLAIM_PREFIX;

/// The time the store calls of one delivery's claim may take together (a lost `putIfAbsent`
/// and the read that tells "handled" from "in progress"), so a slow store cannot stretch a
/// duplicate delivery's reply to one deadline per call.
///
/// ```
/// let b = feishu_edge::webhook::Budget::new(2_000);
/// assert_eq!(b.left_ms(), 2_000);
/// ```
#[derive(Debug)]
pub struct Budget {
    left_ms: AtomicU64,
    unlimited: bool,
}

impl Budget {
    /// A budget of `ms` milliseconds (0: no limit).
    pub fn new(ms: u64) -> Budget {
        Budget {
            left_ms: AtomicU64::new(ms),
            unlimited: ms == 0,
        }
    }
    /// What is left, in milliseconds.
    pub fn left_ms(&self) -> u64 {
        self.left_ms.load(Ordering::Relaxed)
    }
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

/// Claims, commits and releases event ids in a store: a claim's calls share one [`Budget`],
/// a commit or a release has a deadline of the same length.
///
/// ```
/// use feishu_edge::webhook::{Claim, Dedupe};
/// use feishu_edge::{MemoryStore, runtime::StdRuntime};
/// use std::sync::Arc;
/// let rt = Arc::new(StdRuntime);
/// let d = Dedupe::new(Arc::new(MemoryStore::new(rt.clone())), rt, 120, 28_800, 2_000);
/// let key = Dedupe::key(Some("cli_a"), "2.0", "ev_1");
/// assert_eq!(key, "feishu-edge:event:cli_a:2.0:ev_1");
/// futures_executor::block_on(async {
///     let Claim::Owned(lease) = d.claim(&key, &d.budget()).await else { panic!() };
///     assert_eq!(d.claim(&key, &d.budget()).await, Claim::InProgress);
///     d.commit(&lease).await;
///     assert_eq!(d.claim(&key, &d.budget()).await, Claim::Duplicate);
/// });
/// ```
pub struct Dedupe {
    store: Arc<dyn TokenStore>,
    runtime: Arc<dyn Runtime>,
    logger: Arc<dyn Logger>,
    lease_secs: u64,
    done_secs: u64,
    budget_ms: u64,
}

impl Dedupe {
    /// De-duplication in `store`: claims last `lease_secs`, handled ids `done_secs`; a claim's
    /// store calls take at most `budget_ms` together, a commit or a release at most
    /// `budget_ms` (0: no limit).
    pub fn new(
        store: Arc<dyn TokenStore>,
        runtime: Arc<dyn Runtime>,
        lease_secs: u64,
        done_secs: u64,
        budget_ms: u64,
    ) -> Dedupe {
        Dedupe {
            store,
            runtime,
            logger: Arc::new(crate::log::NoLogger),
            lease_secs: lease_secs.max(1),
            done_secs: done_secs.max(lease_secs),
            budget_ms,
        }
    }

    /// The store key of an event: scoped by app (two apps sharing a store never suppress each
    /// other's events) and by schema (1.0 `uuid`s and 2.0 `event_id`s are different spaces).
    pub fn key(app_id: Option<&str>, schema: &str, event_id: &str) -> String {
        format!(
            "feishu-edge:event:{}:{schema}:{event_id}",
            app_id.filter(|a| !a.is_empty()).unwrap_or("-")
        )
    }

    /// A fresh budget for one delivery's claim.
    pub fn budget(&self) -> Budget {
        Budget::new(self.budget_ms)
    }

    /// One store call, charged to `budget`: fails when the budget is spent before it answers.
    async fn timed<'a, T>(&self, budget: &Budget, call: BoxFuture<'a, Result<T>>) -> Result<T> {
        if budget.unlimited {
            return call.await;
        }
        let left = budget.left_ms.load(Ordering::Relaxed);
        let started = self.runtime.now_ms();
        let outcome = match left {
            // Nothing left: only an answer that is already there counts.
            0 => futures_util::FutureExt::now_or_never(call),
            _ => crate::runtime::within(&*self.runtime, left, call).await,
        };
        let spent = self.runtime.now_ms().saturating_sub(started);
        budget
            .left_ms
            .store(left.saturating_sub(spent), Ordering::Relaxed);
        outcome.unwrap_or_else(|| {
            Err(Error::Store(format!(
                "no answer within this delivery's store budget ({} ms)",
                self.budget_ms
            )))
        })
    }

    /// Logs store failures here.
    pub fn logger(mut self, logger: Arc<dyn Logger>) -> Self {
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

    /// Claims the event stored under `key` (see [`Dedupe::key`]) for this delivery.
    pub async fn claim(&self, key: &str, budget: &Budget) -> Claim {
        // Unique per claim: time and randomness across isolates, a counter within one.
        static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let value = format!(
            "{CLAIM_PREFIX}{}:{}:{}",
            self.runtime.now_ms(),
            (self.runtime.jitter() * 1e9) as u64,
            CLAIMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let lease = Lease {
            key: key.to_string(),
            value,
        };
        let store = &*self.store;
        let ttl = Some(self.lease_secs);
        let wrote = if store.atomic() {
            let put = store.put_if_absent(&lease.key, &lease.value, ttl);
            self.timed(budget, put).await
        } else {
            // Best effort: read first so a committed id is recognised, then write the claim.
            match self.timed(budget, store.get(&lease.key)).await {
                Ok(Some(v)) => return held(&v),
                Ok(None) => {
                    let put = store.put(&lease.key, &lease.value, ttl);
                    self.timed(budget, put).await.map(|()| true)
                }
                Err(e) => return self.fail_open("read", &e),
            }
        };
        match wrote {
            Ok(true) => Claim::Owned(lease),
            Ok(false) => match self.timed(budget, store.get(&lease.key)).await {
                Ok(Some(v)) => held(&v),
                // Released or expired in between: that delivery gave up; one more try, but
                // only with time to wait for it. A write left behind by a call that ran out
                // of time may still land and hold the event for a whole lease, so once the
                // event is known to be contended no call is abandoned half-way and nothing
                // runs unguarded: the answer is "in progress", and the platform asks again.
                Ok(None) if budget.unlimited || budget.left_ms() * 2 >= self.budget_ms => {
                    let put = store.put_if_absent(&lease.key, &lease.value, ttl);
                    match self.timed(budget, put).await {
                        Ok(true) => Claim::Owned(lease),
                        Ok(false) => Claim::InProgress,
                        Err(e) => {
                            log_at!(
                                self.logger,
                                Level::Warn,
                                "de-duplication store claim failed on a contended event, asking for a retry: {e}"
                            );
                            Claim::InProgress
                        }
                    }
                }
                Ok(None) => Claim::InProgress,
                // Someone holds the key, handled or not: never run it unguarded; the
                // platform asks again later.
                Err(e) => {
                    log_at!(
                        self.logger,
                        Level::Warn,
                        "de-duplication store read failed after a lost claim, asking for a retry: {e}"
                    );
                    Claim::InProgress
                }
            },
            Err(e) => self.fail_open("claim", &e),
        }
    }

    /// Records the event as handled for `done_secs`.
    pub async fn commit(&self, lease: &Lease) {
        let call = self.store.put(&lease.key, DONE, Some(self.done_secs));
        if let Err(e) = self.timed(&self.budget(), call).await {
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
        let result = match self.timed(&self.budget(), self.store.get(&lease.key)).await {
            Ok(Some(v)) if v == lease.value => {
                self.timed(&self.budget(), self.store.delete(&lease.key))
                    .await
            }
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
    use crate::runtime::ManualClock;
    use crate::token::MemoryStore;

    /// A store that never answers.
    struct Hanging;
    impl TokenStore for Hanging {
        fn get(&self, _: &str) -> BoxFuture<'_, Result<Option<String>>> {
            Box::pin(std::future::pending())
        }
        fn put(&self, _: &str, _: &str, _: Option<u64>) -> BoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }
        fn delete(&self, _: &str) -> BoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        futures_executor::block_on(f)
    }

    #[test]
    fn claim_release_claim_commit_duplicate() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(1_000)));
        let d = Dedupe::new(
            Arc::new(MemoryStore::new(clock.clone())),
            clock.clone(),
            120,
            28_800,
            0,
        );
        let Claim::Owned(first) = run(d.claim("e", &d.budget())) else {
            panic!("first claim")
        };
        assert_eq!(run(d.claim("e", &d.budget())), Claim::InProgress);
        run(d.release(&first));
        let Claim::Owned(second) = run(d.claim("e", &d.budget())) else {
            panic!("claim after release")
        };
        // A stale owner cannot release someone else's claim.
        run(d.release(&first));
        assert_eq!(run(d.claim("e", &d.budget())), Claim::InProgress);
        run(d.commit(&second));
        assert_eq!(run(d.claim("e", &d.budget())), Claim::Duplicate);
        // A lease that runs out lets the next delivery take over.
        let Claim::Owned(_) = run(d.claim("f", &d.budget())) else {
            panic!()
        };
        clock.0.set(1_000 + 121_000);
        assert!(matches!(run(d.claim("f", &d.budget())), Claim::Owned(_)));
        // A committed id outlives the platform's retry window (7.1 h).
        clock.0.set(1_000 + 121_000 + 7 * 3600 * 1000);
        assert_eq!(run(d.claim("e", &d.budget())), Claim::Duplicate);
    }

    #[test]
    fn a_hanging_store_fails_open_within_the_deadline() {
        let rt = Arc::new(crate::runtime::StdRuntime);
        let d = Dedupe::new(Arc::new(Hanging), rt, 120, 28_800, 50);
        let started = std::time::Instant::now();
        assert_eq!(run(d.claim("e", &d.budget())), Claim::Unguarded);
        let lease = Lease {
            key: "k".into(),
            value: "v".into(),
        };
        run(d.commit(&lease));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    /// A store that answers every call after `ms`, holding one key that is already claimed.
    struct Slow {
        ms: u64,
        rt: Arc<crate::runtime::StdRuntime>,
    }
    impl TokenStore for Slow {
        fn get(&self, _: &str) -> BoxFuture<'_, Result<Option<String>>> {
            let sleep = self.rt.sleep(self.ms);
            Box::pin(async move {
                sleep.await;
                Ok(Some(DONE.to_string()))
            })
        }
        fn put(&self, _: &str, _: &str, _: Option<u64>) -> BoxFuture<'_, Result<()>> {
            let sleep = self.rt.sleep(self.ms);
            Box::pin(async move {
                sleep.await;
                Ok(())
            })
        }
        fn delete(&self, _: &str) -> BoxFuture<'_, Result<()>> {
            self.put("", "", None)
        }
        fn put_if_absent(&self, _: &str, _: &str, _: Option<u64>) -> BoxFuture<'_, Result<bool>> {
            let sleep = self.rt.sleep(self.ms);
            Box::pin(async move {
                sleep.await;
                Ok(false)
            })
        }
        fn atomic(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_slow_store_costs_a_duplicate_one_budget_not_one_deadline_per_call() {
        let rt = Arc::new(crate::runtime::StdRuntime);
        let store = Arc::new(Slow {
            ms: 150,
            rt: rt.clone(),
        });
        let d = Dedupe::new(store, rt, 120, 28_800, 200);
        let started = std::time::Instant::now();
        // The claim is lost after 150 ms; the read that would tell "done" from "in progress"
        // has 50 ms left and misses them: a retry is asked for, never an unguarded run.
        assert_eq!(run(d.claim("e", &d.budget())), Claim::InProgress);
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_millis(290),
            "took {took:?}: two calls of 150 ms were not cut at the 200 ms budget"
        );
        // With room for both calls, the duplicate is recognised.
        let d = Dedupe::new(
            Arc::new(Slow {
                ms: 20,
                rt: Arc::new(crate::runtime::StdRuntime),
            }),
            Arc::new(crate::runtime::StdRuntime),
            120,
            28_800,
            200,
        );
        assert_eq!(run(d.claim("e", &d.budget())), Claim::Duplicate);
    }

    #[test]
    fn a_memory_store_full_of_running_events_answers_in_progress_never_unguarded() {
        let clock = Arc::new(ManualClock(crate::runtime::TestMs::new(1_000)));
        let store = Arc::new(MemoryStore::with_capacity(clock.clone(), 8));
        let d = Dedupe::new(store, clock.clone(), 120, 28_800, 2_000);
        for i in 0..8 {
            assert!(matches!(
                run(d.claim(&format!("feishu-edge:event:a:2.0:e{i}"), &d.budget())),
                Claim::Owned(_)
            ));
        }
        let new = "feishu-edge:event:a:2.0:new";
        assert_eq!(run(d.claim(new, &d.budget())), Claim::InProgress);
    }
}
