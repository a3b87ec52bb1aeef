//! Test doubles' shared state. The seams are `Send + Sync` natively, so the doubles hold their
//! state in these instead of `RefCell`/`Cell` (same calls, a `Mutex` inside).
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

/// `RefCell`'s calls over a `Mutex`.
#[derive(Debug, Default)]
pub struct Locked<T>(Mutex<T>);

impl<T> Locked<T> {
    pub fn new(value: T) -> Self {
        Locked(Mutex::new(value))
    }
    pub fn borrow(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn borrow_mut(&self) -> MutexGuard<'_, T> {
        self.borrow()
    }
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(&mut *self.borrow(), value)
    }
    pub fn take(&self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut *self.borrow())
    }
}

/// `Cell`'s calls over a `Mutex`.
#[derive(Debug, Default)]
pub struct Slot<T>(Mutex<T>);

impl<T: Copy> Slot<T> {
    pub fn new(value: T) -> Self {
        Slot(Mutex::new(value))
    }
    pub fn get(&self) -> T {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn set(&self, value: T) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = value;
    }
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(
            &mut *self.0.lock().unwrap_or_else(|p| p.into_inner()),
            value,
        )
    }
}
