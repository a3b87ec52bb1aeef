//! What a [`Dedupe`] holds (a driver file: the core's [`super::Claiming`] and
//! [`super::Settling`] decide, as store steps, and never await the store): the store, the
//! clock, the logger, and its terms.

use crate::log::Logger;
use crate::runtime::Runtime;
use crate::token::TokenStore;
use std::sync::Arc;

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
    pub(super) store: Arc<dyn TokenStore>,
    pub(super) runtime: Arc<dyn Runtime>,
    pub(super) logger: Arc<dyn Logger>,
    pub(super) lease_secs: u64,
    pub(super) done_secs: u64,
    pub(super) budget_ms: u64,
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

    /// Logs store failures here.
    pub fn logger(mut self, logger: Arc<dyn Logger>) -> Self {
        self.logger = logger;
        self
    }

    /// True when claims are atomic (the store says so).
    pub fn exact(&self) -> bool {
        self.store.atomic()
    }

    /// The store (the driver carries out the machines' [`StoreOp`]s on it).
    pub(crate) fn store(&self) -> &dyn TokenStore {
        &*self.store
    }

    /// The clock the driver measures store calls with.
    pub(crate) fn runtime(&self) -> &dyn Runtime {
        &*self.runtime
    }

    /// Where the machines log.
    pub(crate) fn log(&self) -> &dyn Logger {
        &*self.logger
    }
}
