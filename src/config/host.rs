//! [`AssertionProvider`]: the keyless provider the token driver awaits, and the handle a
//! [`crate::Config`] keeps to it (a driver file: the core never calls the provider).

use super::assertion::AssertionToken;
use crate::error::Result;
use crate::runtime::BoxFuture;
use std::sync::Arc;

/// Signs assertions for an audience host (`retrieveToken(aud)`).
pub trait AssertionProvider: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// An assertion for `aud` (a host, with its port when it has one). Errors should be
    /// [`crate::Error::ClientAssertion`] (see `token::assertion::retrieve`, which maps everything else).
    fn retrieve(&self, aud: &str) -> BoxFuture<'_, Result<AssertionToken>>;
}

/// The provider a client was configured with.
#[derive(Clone)]
pub struct ClientAssertion(pub Arc<dyn AssertionProvider>);

impl std::fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientAssertion(provider)")
    }
}
