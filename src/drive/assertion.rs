//! Asks a keyless client's assertion provider (within the time the core allows) and hands the
//! answer to the core's judgment (`token::assertion`); for a client, runs the exchange the core
//! builds and reads (`token::assertion_exchange`).

use crate::error::Result;
use crate::runtime::BoxFuture;
use crate::token::assertion::{AssertionToken, Retrieve};
use std::future::IntoFuture;

impl<'a> IntoFuture for Retrieve<'a> {
    type Output = Result<AssertionToken>;
    type IntoFuture = BoxFuture<'a, Result<AssertionToken>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ask = self.provider.0.retrieve(&self.aud);
            let answer = match self.runtime {
                Some(runtime) => crate::runtime::within(runtime, self.timeout_ms, ask)
                    .await
                    .ok_or_else(|| Retrieve::no_answer(self.timeout_ms))?,
                None => ask.await,
            };
            Retrieve::judge(answer)
        })
    }
}

#[cfg(feature = "client")]
impl<'a> IntoFuture for crate::token::assertion_exchange::Fetch<'a> {
    type Output = Result<crate::token::CachedToken>;
    type IntoFuture = BoxFuture<'a, Result<crate::token::CachedToken>>;
    fn into_future(self) -> Self::IntoFuture {
        use crate::token::assertion_exchange::Fetch;
        Box::pin(async move {
            let aud = self.audience()?;
            let token = crate::token::assertion::retrieve_within(
                self.provider,
                &aud,
                &**self.host.runtime(),
                self.provider_timeout_ms(),
            )
            .await?;
            let req = self.request(&aud, &token)?;
            crate::log::log_at!(
                self.host.logger(),
                crate::log::Level::Debug,
                "request token (client assertion)"
            );
            let sent = self.host.call(req).await;
            Fetch::read(sent, self.host.runtime().now_ms())
        })
    }
}
