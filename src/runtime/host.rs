//! The clock and timer seam (a driver file: the core never waits on it, it is handed the
//! time): the boxed future types the seams return, [`Runtime`], [`within`] and [`StdRuntime`].

use super::{MaybeSend, MaybeSync};

/// A boxed future that need not be `Send` (wasm is single-threaded): what the seams return.
///
/// ```
/// use feishu_edge::runtime::LocalBoxFuture;
/// let ready: LocalBoxFuture<'static, u32> = Box::pin(async { 7 });
/// # let _ = ready;
/// ```
pub type LocalBoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// A boxed future the seams return: `Send` natively, so a [`crate::Client`] works from
/// `tokio::spawn` on a multi-thread runtime; not `Send` on wasm32, where JS values live in one
/// thread and nothing needs it.
///
/// ```
/// use feishu_edge::runtime::BoxFuture;
/// let ready: BoxFuture<'static, u32> = Box::pin(async { 7 });
/// # fn is_send<T: Send>(_: &T) {}
/// # #[cfg(not(target_arch = "wasm32"))] is_send(&ready);
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
/// A boxed future the seams return (wasm32: not `Send`).
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = LocalBoxFuture<'a, T>;

/// Wall clock, sleeping and randomness for backoff jitter.
///
/// wasm builds use `Date.now()`, `setTimeout` (gloo-timers) and `Math.random()`; native builds
/// use [`StdRuntime`] (`transport::reqwest::TokioRuntime` with the `reqwest` feature); tests
/// plug in a virtual clock.
pub trait Runtime: MaybeSend + MaybeSync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// A future that resolves after `ms` milliseconds.
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()>;
    /// A number in `[0, 1)` used to spread retries apart.
    fn jitter(&self) -> f64;
}

/// Runs `work` for at most `ms` milliseconds (0: no limit): `None` when the time ran out. Work
/// that is ready at once needs no timer.
///
/// ```
/// use feishu_edge::runtime::{within, StdRuntime};
/// let never = Box::pin(std::future::pending::<()>());
/// assert_eq!(futures_executor::block_on(within(&StdRuntime, 10, never)), None);
/// let ready = Box::pin(std::future::ready(7));
/// assert_eq!(futures_executor::block_on(within(&StdRuntime, 10, ready)), Some(7));
/// ```
pub async fn within<T>(runtime: &dyn Runtime, ms: u64, work: BoxFuture<'_, T>) -> Option<T> {
    let mut work = work;
    if let Some(done) = futures_util::FutureExt::now_or_never(&mut work) {
        return Some(done);
    }
    if ms == 0 {
        return Some(work.await);
    }
    match futures_util::future::select(work, runtime.sleep(ms)).await {
        futures_util::future::Either::Left((done, _)) => Some(done),
        futures_util::future::Either::Right(_) => None,
    }
}

/// Native runtime: system clock, a thread per sleep (works under any executor).
///
/// ```
/// use feishu_edge::Runtime;
/// let rt = feishu_edge::runtime::StdRuntime;
/// assert!(rt.now_ms() > 1_600_000_000_000);
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct StdRuntime;

#[cfg(not(target_arch = "wasm32"))]
impl Runtime for StdRuntime {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        Box::pin(ThreadSleep {
            ms,
            shared: Default::default(),
            started: false,
        })
    }
    fn jitter(&self) -> f64 {
        // Sub-millisecond clock noise is plenty to de-synchronise retries.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        f64::from(nanos % 1000) / 1000.0
    }
}

/// A sleep that parks a helper thread and wakes the task: executor-agnostic.
#[cfg(not(target_arch = "wasm32"))]
struct ThreadSleep {
    ms: u64,
    shared: std::sync::Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>,
    started: bool,
}

#[cfg(not(target_arch = "wasm32"))]
impl std::future::Future for ThreadSleep {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        {
            let mut state = match self.shared.lock() {
                Ok(s) => s,
                Err(poisoned) => poisoned.into_inner(),
            };
            if state.0 {
                return std::task::Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
        }
        if !self.started {
            self.started = true;
            let (ms, shared) = (self.ms, self.shared.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(ms));
                let mut state = match shared.lock() {
                    Ok(s) => s,
                    Err(poisoned) => poisoned.into_inner(),
                };
                state.0 = true;
                if let Some(w) = state.1.take() {
                    w.wake();
                }
            });
        }
        std::task::Poll::Pending
    }
}

/// A clock tests set by hand. Its sleeps never end, so deadlines raced against it never fire.
#[cfg(test)]
pub(crate) struct ManualClock(pub(crate) TestMs);

/// A millisecond count tests read and set (`Cell`'s calls, `Sync`).
#[cfg(test)]
pub(crate) struct TestMs(std::sync::atomic::AtomicU64);

#[cfg(test)]
impl TestMs {
    pub(crate) fn new(ms: u64) -> Self {
        TestMs(std::sync::atomic::AtomicU64::new(ms))
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    pub(crate) fn set(&self, ms: u64) {
        self.0.store(ms, std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
impl Runtime for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
    fn sleep(&self, _: u64) -> BoxFuture<'static, ()> {
        Box::pin(std::future::pending())
    }
    fn jitter(&self) -> f64 {
        0.5
    }
}
