//! What the core shares across threads natively ([`MaybeSend`], [`MaybeSync`], and a lock),
//! and, from `host` (a driver file: it may wait), the clock and timer seam the Rust driver
//! waits on: [`Runtime`], [`BoxFuture`], [`within`], [`StdRuntime`]. Token expiry is absolute
//! epoch time (the token cache may be shared between isolates), so the drivers read
//! wall-clock time and sleep through the runtime; the core is handed the time as a value.

mod host;

pub use host::*;

/// `Send` natively, nothing on wasm32: the bound the seams ([`crate::Transport`],
/// [`crate::TokenStore`], [`Runtime`], [`crate::Logger`], [`crate::crypto::Crypto`]) carry, so
/// they can be shared across threads natively and hold JS values on wasm.
///
/// ```
/// fn shareable<T: feishu_edge::runtime::MaybeSend>(_: T) {}
/// shareable(5u8);
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` natively, nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` natively, nothing on wasm32 (see [`MaybeSend`]).
///
/// ```
/// fn shareable<T: feishu_edge::runtime::MaybeSync>(_: &T) {}
/// shareable(&5u8);
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// `Sync` natively, nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// Interior mutability that is `Sync` natively (a `Mutex`) and costs nothing extra on wasm32:
/// the seams' shared state. `borrow`/`borrow_mut` lock; a guard is never held across an
/// `.await` (natively the compiler refuses it: the guard is not `Send`).
#[derive(Debug, Default)]
pub(crate) struct Lock<T>(std::sync::Mutex<T>);

impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock(std::sync::Mutex::new(value))
    }
    /// Reads (or writes) the value; a poisoned lock still gives it (no panic crosses here).
    pub(crate) fn borrow(&self) -> std::sync::MutexGuard<'_, T> {
        match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
    /// The same as [`Lock::borrow`], named for writers.
    pub(crate) fn borrow_mut(&self) -> std::sync::MutexGuard<'_, T> {
        self.borrow()
    }
}
