//! De-duplication's driver: carries out the store calls of the core's claim, commit and release
//! machines ([`Claiming`], [`Settling`]) on the [`Dedupe`]'s store, each within the time limit
//! the machine gives it.

use crate::error::Result;
use crate::runtime::{within, BoxFuture};
use crate::webhook::{Budget, Claim, ClaimStep, Dedupe, Lease, StoreOp, StoreOutcome, StoreStep};

/// Makes one store call within its limit (`Some(0)`: only an answer already there counts).
pub(crate) async fn store_call(dedupe: &Dedupe, step: StoreStep<'_>) -> StoreOutcome {
    let store = dedupe.store();
    match step.op {
        StoreOp::Get { key } => match timed(dedupe, step.within_ms, store.get(key)).await {
            Some(Ok(value)) => StoreOutcome::Value(value),
            other => failed(other),
        },
        StoreOp::PutIfAbsent {
            key,
            value,
            ttl_secs,
        } => match timed(
            dedupe,
            step.within_ms,
            store.put_if_absent(key, value, ttl_secs),
        )
        .await
        {
            Some(Ok(wrote)) => StoreOutcome::Written(wrote),
            other => failed(other),
        },
        StoreOp::Put {
            key,
            value,
            ttl_secs,
        } => done(timed(dedupe, step.within_ms, store.put(key, value, ttl_secs)).await),
        StoreOp::Delete { key } => done(timed(dedupe, step.within_ms, store.delete(key)).await),
    }
}

/// The call's answer within `within_ms` (`None`: none in time).
async fn timed<T>(
    dedupe: &Dedupe,
    within_ms: Option<u64>,
    call: BoxFuture<'_, Result<T>>,
) -> Option<Result<T>> {
    match within_ms {
        None => Some(call.await),
        Some(0) => futures_util::FutureExt::now_or_never(call),
        Some(ms) => within(dedupe.runtime(), ms, call).await,
    }
}

fn done(answer: Option<Result<()>>) -> StoreOutcome {
    match answer {
        Some(Ok(())) => StoreOutcome::Done,
        other => failed(other),
    }
}

fn failed<T>(answer: Option<Result<T>>) -> StoreOutcome {
    match answer {
        Some(Err(e)) => StoreOutcome::Failed(e),
        Some(Ok(_)) | None => StoreOutcome::TimedOut,
    }
}

impl Dedupe {
    /// Claims the event stored under `key` (see [`Dedupe::key`]) for this delivery, its store
    /// calls charged to `budget`.
    pub async fn claim(&self, key: &str, budget: &Budget) -> Claim {
        let left = match budget.unlimited {
            true => u64::MAX,
            false => budget.left_ms(),
        };
        let mut claiming = self.claiming(key, left);
        let mut outcome = None;
        let claim = loop {
            let now = self.runtime().now_ms();
            outcome = match claiming.step(outcome, now, self.log()) {
                ClaimStep::Store(call) => Some(store_call(self, call).await),
                ClaimStep::Done(claim) => break claim,
            };
        };
        if !budget.unlimited {
            budget.set_left_ms(claiming.left_ms());
        }
        claim
    }

    /// Records the event as handled for `done_secs`.
    pub async fn commit(&self, lease: &Lease) {
        self.settle(lease.clone(), true).await;
    }

    /// Gives the claim up after a failure, so the next delivery handles the event. Only this
    /// delivery's own claim is removed (best effort: read, compare, delete).
    pub async fn release(&self, lease: &Lease) {
        self.settle(lease.clone(), false).await;
    }

    /// Runs a commit (`true`) or a release.
    pub(crate) async fn settle(&self, lease: Lease, commit: bool) {
        let mut settling = self.settling(lease, commit);
        let mut outcome = None;
        while let Some(call) = settling.step(outcome, self.log()) {
            outcome = Some(store_call(self, call).await);
        }
    }
}
