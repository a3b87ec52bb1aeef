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

use crate::error::Error;
use crate::log::{log_at, Level, Logger};

/// The de-duplicator's host objects (a driver file).
mod host;
pub use host::Dedupe;
use std::sync::atomic::{AtomicU64, Ordering};

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
    pub(crate) unlimited: bool,
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
    /// Sets what is left (a claim's driver charges what its calls took).
    pub(crate) fn set_left_ms(&self, ms: u64) {
        self.left_ms.store(ms, Ordering::Relaxed);
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

impl Dedupe {
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

    /// Starts claiming the event stored under `key` (see [`Dedupe::key`]) with `left_ms` of
    /// this delivery's budget: a sans-IO [`Claiming`].
    pub fn claiming(&self, key: &str, left_ms: u64) -> Claiming {
        // Unique per claim: time and randomness across isolates, a counter within one.
        static CLAIMS: AtomicU64 = AtomicU64::new(0);
        let value = format!(
            "{CLAIM_PREFIX}{}:{}:{}",
            self.runtime.now_ms(),
            (self.runtime.jitter() * 1e9) as u64,
            CLAIMS.fetch_add(1, Ordering::Relaxed)
        );
        Claiming {
            lease: Lease {
                key: key.to_string(),
                value,
            },
            atomic: self.store.atomic(),
            lease_secs: self.lease_secs,
            budget_ms: self.budget_ms,
            left_ms,
            unlimited: self.budget_ms == 0 || left_ms == u64::MAX,
            issued_at: 0,
            waiting: ClaimWaiting::Start,
        }
    }

    /// Starts recording `lease`'s event as handled for `done_secs` (`commit: true`), or giving
    /// the claim up after a failure (only this delivery's own: read, compare, delete).
    pub fn settling(&self, lease: Lease, commit: bool) -> Settling {
        Settling::new(lease, commit, self.done_secs, self.budget_ms)
    }

    /// What settling a lease needs from this de-duplication: `(done_secs, budget_ms)`.
    pub(crate) fn settle_terms(&self) -> (u64, u64) {
        (self.done_secs, self.budget_ms)
    }
}

/// One store call a de-duplication machine asks its driver to make.
///
/// ```
/// use feishu_edge::webhook::StoreOp;
/// let op = StoreOp::Get { key: "feishu-edge:event:-:2.0:e1" };
/// assert!(matches!(op, StoreOp::Get { .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp<'s> {
    /// Read a key: answered with [`StoreOutcome::Value`].
    Get {
        /// The key.
        key: &'s str,
    },
    /// Write a key: answered with [`StoreOutcome::Done`].
    Put {
        /// The key.
        key: &'s str,
        /// The value.
        value: &'s str,
        /// How long it lives.
        ttl_secs: Option<u64>,
    },
    /// Write a key unless present: answered with [`StoreOutcome::Written`].
    PutIfAbsent {
        /// The key.
        key: &'s str,
        /// The value.
        value: &'s str,
        /// How long it lives.
        ttl_secs: Option<u64>,
    },
    /// Remove a key: answered with [`StoreOutcome::Done`].
    Delete {
        /// The key.
        key: &'s str,
    },
}

/// A store call to make within a time limit: `within_ms` `None` for no limit, `Some(0)` for
/// "only an answer that is already there counts".
///
/// ```
/// use feishu_edge::webhook::{StoreOp, StoreStep};
/// let call = StoreStep { op: StoreOp::Delete { key: "k" }, within_ms: Some(2_000) };
/// assert_eq!(call.within_ms, Some(2_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStep<'s> {
    /// The call.
    pub op: StoreOp<'s>,
    /// Its time limit, in milliseconds.
    pub within_ms: Option<u64>,
}

/// What a driver hands back for a [`StoreOp`].
///
/// ```
/// use feishu_edge::webhook::StoreOutcome;
/// let missed = StoreOutcome::TimedOut; // no answer within the step's `within_ms`
/// assert!(matches!(missed, StoreOutcome::TimedOut));
/// ```
#[derive(Debug)]
pub enum StoreOutcome {
    /// A `Get`'s value.
    Value(Option<String>),
    /// Whether a `PutIfAbsent` wrote.
    Written(bool),
    /// A `Put` or `Delete` finished.
    Done,
    /// The store failed.
    Failed(Error),
    /// No answer within the step's `within_ms`.
    TimedOut,
}

/// What [`Claiming::step`] asks for next (see [`Claiming`] for a run).
///
/// ```
/// use feishu_edge::webhook::{Claim, ClaimStep};
/// let done: ClaimStep<'_> = ClaimStep::Done(Claim::Unguarded);
/// assert!(matches!(done, ClaimStep::Done(_)));
/// ```
#[derive(Debug)]
pub enum ClaimStep<'s> {
    /// Make this store call and step again with its outcome.
    Store(StoreStep<'s>),
    /// The claim's outcome.
    Done(Claim),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimWaiting {
    Start,
    /// The atomic claim (`putIfAbsent`).
    Claim,
    /// Best effort: the read before the write.
    Read,
    /// Best effort: the write.
    Write,
    /// The read after a lost claim.
    LostRead,
    /// The one more try after a released claim.
    Retry,
    Done,
}

/// Claiming one event id, sans-IO: [`Claiming::step`] returns the store calls to make (each
/// within what is left of the delivery's budget) and finally the [`Claim`].
///
/// ```
/// use feishu_edge::webhook::{Claim, ClaimStep, Dedupe, StoreOp, StoreOutcome};
/// use feishu_edge::{MemoryStore, runtime::StdRuntime};
/// use std::sync::Arc;
/// let rt = Arc::new(StdRuntime);
/// let d = Dedupe::new(Arc::new(MemoryStore::new(rt.clone())), rt, 120, 28_800, 2_000);
/// let mut claiming = d.claiming("feishu-edge:event:-:2.0:e1", 2_000);
/// let ClaimStep::Store(call) = claiming.step(None, 0, &feishu_edge::log::NoLogger) else { panic!() };
/// assert!(matches!(call.op, StoreOp::PutIfAbsent { .. }));
/// let done = claiming.step(Some(StoreOutcome::Written(true)), 5, &feishu_edge::log::NoLogger);
/// assert!(matches!(done, ClaimStep::Done(Claim::Owned(_))));
/// ```
#[derive(Debug)]
pub struct Claiming {
    lease: Lease,
    atomic: bool,
    lease_secs: u64,
    budget_ms: u64,
    left_ms: u64,
    unlimited: bool,
    issued_at: u64,
    waiting: ClaimWaiting,
}

impl Claiming {
    /// What is left of the budget, in milliseconds.
    pub fn left_ms(&self) -> u64 {
        self.left_ms
    }

    /// Advances with the outcome of the call the previous step asked for (`None` first), at
    /// `now_ms` (what the call took is charged to the budget); logs to `logger`.
    pub fn step(
        &mut self,
        outcome: Option<StoreOutcome>,
        now_ms: u64,
        logger: &dyn Logger,
    ) -> ClaimStep<'_> {
        match self.advance(outcome, now_ms, logger) {
            Some(claim) => ClaimStep::Done(claim),
            None => ClaimStep::Store(self.pending()),
        }
    }

    /// [`Claiming::step`] in two: the claim (`Some`: finished), or `None` when
    /// [`Claiming::pending`] says what to call.
    pub fn advance(
        &mut self,
        outcome: Option<StoreOutcome>,
        now_ms: u64,
        logger: &dyn Logger,
    ) -> Option<Claim> {
        if !self.unlimited && self.waiting != ClaimWaiting::Start {
            let spent = now_ms.saturating_sub(self.issued_at);
            self.left_ms = self.left_ms.saturating_sub(spent);
        }
        let waiting = std::mem::replace(&mut self.waiting, ClaimWaiting::Done);
        let outcome = outcome.map(|o| self.checked(o));
        let next = match (waiting, outcome) {
            (ClaimWaiting::Start, _) if self.atomic => ClaimWaiting::Claim,
            (ClaimWaiting::Start, _) => ClaimWaiting::Read,
            (ClaimWaiting::Read, Some(Ok(StoreOutcome::Value(Some(v))))) => return Some(held(&v)),
            (ClaimWaiting::Read, Some(Ok(StoreOutcome::Value(None)))) => ClaimWaiting::Write,
            (ClaimWaiting::Read, Some(Err(e))) => return Some(fail_open(logger, "read", &e)),
            (ClaimWaiting::Claim, Some(Ok(StoreOutcome::Written(true))))
            | (ClaimWaiting::Write, Some(Ok(StoreOutcome::Done))) => {
                return Some(Claim::Owned(self.lease.clone()))
            }
            (ClaimWaiting::Claim, Some(Ok(StoreOutcome::Written(false)))) => ClaimWaiting::LostRead,
            (ClaimWaiting::Claim | ClaimWaiting::Write, Some(Err(e))) => {
                return Some(fail_open(logger, "claim", &e))
            }
            (ClaimWaiting::LostRead, Some(Ok(StoreOutcome::Value(Some(v))))) => {
                return Some(held(&v))
            }
            // Released or expired in between: that delivery gave up; one more try, but only
            // with time to wait for it. A write left behind by a call that ran out of time may
            // still land and hold the event for a whole lease, so once the event is known to
            // be contended no call is abandoned half-way and nothing runs unguarded: the
            // answer is "in progress", and the platform asks again.
            (ClaimWaiting::LostRead, Some(Ok(StoreOutcome::Value(None)))) => {
                if self.unlimited || self.left_ms * 2 >= self.budget_ms {
                    ClaimWaiting::Retry
                } else {
                    return Some(Claim::InProgress);
                }
            }
            // Someone holds the key, handled or not: never run it unguarded; the platform
            // asks again later.
            (ClaimWaiting::LostRead, Some(Err(e))) => {
                log_at!(
                    logger,
                    Level::Warn,
                    "de-duplication store read failed after a lost claim, asking for a retry: {e}"
                );
                return Some(Claim::InProgress);
            }
            (ClaimWaiting::Retry, Some(Ok(StoreOutcome::Written(true)))) => {
                return Some(Claim::Owned(self.lease.clone()))
            }
            (ClaimWaiting::Retry, Some(Ok(_))) => return Some(Claim::InProgress),
            (ClaimWaiting::Retry, Some(Err(e))) => {
                log_at!(
                    logger,
                    Level::Warn,
                    "de-duplication store claim failed on a contended event, asking for a retry: {e}"
                );
                return Some(Claim::InProgress);
            }
            // A driver's mistake (no outcome, or one of the wrong kind): never a pass.
            _ => return Some(Claim::InProgress),
        };
        self.waiting = next;
        self.issued_at = now_ms;
        None
    }

    /// The store call the machine waits for (after [`Claiming::advance`] returned `None`).
    pub fn pending(&self) -> StoreStep<'_> {
        let next = self.waiting;
        let (key, value, ttl_secs) = (&*self.lease.key, &*self.lease.value, Some(self.lease_secs));
        let op = match next {
            ClaimWaiting::Read | ClaimWaiting::LostRead => StoreOp::Get { key },
            ClaimWaiting::Write => StoreOp::Put {
                key,
                value,
                ttl_secs,
            },
            _ => StoreOp::PutIfAbsent {
                key,
                value,
                ttl_secs,
            },
        };
        let within_ms = (!self.unlimited).then_some(self.left_ms);
        StoreStep { op, within_ms }
    }

    /// A failure or a time-out as the error to log.
    fn checked(&self, outcome: StoreOutcome) -> std::result::Result<StoreOutcome, Error> {
        match outcome {
            StoreOutcome::Failed(e) => Err(e),
            StoreOutcome::TimedOut => Err(out_of_budget(self.budget_ms)),
            other => Ok(other),
        }
    }
}

/// The error of a store call that ran out of time.
fn out_of_budget(budget_ms: u64) -> Error {
    Error::Store(format!(
        "no answer within this delivery's store budget ({budget_ms} ms)"
    ))
}

fn fail_open(logger: &dyn Logger, step: &str, e: &Error) -> Claim {
    log_at!(
        logger,
        Level::Warn,
        "de-duplication store {step} failed, handling the event unguarded: {e}"
    );
    Claim::Unguarded
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettleWaiting {
    /// `true`: commit, `false`: release.
    Start(bool),
    Commit,
    ReleaseRead,
    ReleaseDelete,
    Done,
}

/// Committing or releasing a claim, sans-IO: [`Settling::step`] returns the store calls (each
/// with a deadline of the budget's length) until `None`.
///
/// ```
/// use feishu_edge::webhook::{Claim, ClaimStep, Dedupe, StoreOp, StoreOutcome};
/// use feishu_edge::{MemoryStore, runtime::StdRuntime, log::NoLogger};
/// use std::sync::Arc;
/// let rt = Arc::new(StdRuntime);
/// let d = Dedupe::new(Arc::new(MemoryStore::new(rt.clone())), rt, 120, 28_800, 2_000);
/// let mut claiming = d.claiming("k", 2_000);
/// claiming.step(None, 0, &NoLogger);
/// let ClaimStep::Done(Claim::Owned(lease)) = claiming.step(Some(StoreOutcome::Written(true)), 0, &NoLogger) else { panic!() };
/// let mut commit = d.settling(lease, true);
/// let call = commit.step(None, &NoLogger).unwrap();
/// assert!(matches!(call.op, StoreOp::Put { value: "done", .. }));
/// assert!(commit.step(Some(StoreOutcome::Done), &NoLogger).is_none());
/// ```
#[derive(Debug)]
pub struct Settling {
    lease: Lease,
    done_secs: u64,
    budget_ms: u64,
    waiting: SettleWaiting,
}

impl Settling {
    /// Commits (`true`) or releases `lease`, with the terms of [`Dedupe::settling`].
    pub(crate) fn new(lease: Lease, commit: bool, done_secs: u64, budget_ms: u64) -> Settling {
        Settling {
            lease,
            done_secs,
            budget_ms,
            waiting: SettleWaiting::Start(commit),
        }
    }

    /// Advances with the outcome of the call the previous step asked for (`None` first): the
    /// next call, or `None` when settled (failures logged to `logger`).
    pub fn step(
        &mut self,
        outcome: Option<StoreOutcome>,
        logger: &dyn Logger,
    ) -> Option<StoreStep<'_>> {
        match self.advance(outcome, logger) {
            true => None,
            false => Some(self.pending()),
        }
    }

    /// [`Settling::step`] in two: `true` when settled, otherwise [`Settling::pending`] says
    /// what to call.
    pub fn advance(&mut self, outcome: Option<StoreOutcome>, logger: &dyn Logger) -> bool {
        let waiting = std::mem::replace(&mut self.waiting, SettleWaiting::Done);
        let outcome = outcome.map(|o| match o {
            StoreOutcome::Failed(e) => Err(e),
            StoreOutcome::TimedOut => Err(out_of_budget(self.budget_ms)),
            other => Ok(other),
        });
        let next = match (waiting, outcome) {
            (SettleWaiting::Start(true), _) => SettleWaiting::Commit,
            (SettleWaiting::Start(false), _) => SettleWaiting::ReleaseRead,
            (SettleWaiting::Commit, Some(Err(e))) => {
                log_at!(
                    logger,
                    Level::Warn,
                    "could not record a handled event (a later delivery may run it again): {e}"
                );
                return true;
            }
            (SettleWaiting::ReleaseRead, Some(Ok(StoreOutcome::Value(Some(v)))))
                if v == self.lease.value =>
            {
                SettleWaiting::ReleaseDelete
            }
            (SettleWaiting::ReleaseRead | SettleWaiting::ReleaseDelete, Some(Err(e))) => {
                log_at!(
                    logger,
                    Level::Warn,
                    "could not release a failed event's claim (the retry waits for the lease to end): {e}"
                );
                return true;
            }
            _ => return true,
        };
        self.waiting = next;
        false
    }

    /// The store call the machine waits for (after [`Settling::advance`] returned `false`).
    pub fn pending(&self) -> StoreStep<'_> {
        let key = &*self.lease.key;
        let op = match self.waiting {
            SettleWaiting::Commit => StoreOp::Put {
                key,
                value: DONE,
                ttl_secs: Some(self.done_secs),
            },
            SettleWaiting::ReleaseRead => StoreOp::Get { key },
            _ => StoreOp::Delete { key },
        };
        let within_ms = (self.budget_ms != 0).then_some(self.budget_ms);
        StoreStep { op, within_ms }
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
    use crate::runtime::BoxFuture;
    use crate::runtime::ManualClock;
    use crate::runtime::Runtime;
    use crate::token::MemoryStore;
    use crate::token::TokenStore;
    use std::sync::Arc;

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
