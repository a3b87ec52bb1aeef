//! Runs OAuth's user-token work: sends the exchange the core builds, writes what the core says
//! to store, and walks a stored user's token through the core's verdicts (`api::oauth`).

use crate::api::oauth::{
    exchange_request, read_exchange, save_failed, source, verdict, Exchange, Grant, Save, Source,
    StoreWrite, UserAccessToken, UserToken, Verdict,
};
use crate::error::Result;
use crate::runtime::BoxFuture;
use crate::token::TokenHost;
use std::future::IntoFuture;
use std::sync::Arc;

impl<'a> IntoFuture for Exchange<'a> {
    type Output = Result<UserToken>;
    type IntoFuture = BoxFuture<'a, Result<UserToken>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let resp = TokenHost::call(self.client, self.request).await?;
            read_exchange(&resp, self.client.runtime().now_ms())
        })
    }
}

impl<'a> IntoFuture for Save<'a> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { write(self.client, &self.write).await })
    }
}

impl<'a> IntoFuture for UserAccessToken<'a> {
    type Output = Result<Option<String>>;
    type IntoFuture = BoxFuture<'a, Result<Option<String>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let key = crate::api::oauth::key(self.client, &self.open_id);
            let id = self.open_id;
            crate::token::one_refresh_per_user(self.client, &key, move |owner| {
                Box::pin(async move { load_or_refresh(owner, &id).await })
            })
            .await
        })
    }
}

/// Writes a user's tokens to the store, then tells the core they were saved.
pub(crate) async fn write(host: &dyn TokenHost, write: &StoreWrite) -> Result<()> {
    host.store()
        .put(&write.key, &write.json, Some(write.ttl))
        .await?;
    write.saved(host);
    Ok(())
}

async fn exchange_with(host: &dyn TokenHost, grant: Grant<'_>) -> Result<UserToken> {
    let resp = host.call(exchange_request(host, grant)).await?;
    read_exchange(&resp, host.runtime().now_ms())
}

/// A stored user's valid access token, refreshed through `host` when the core says so (the
/// wasm skin passes a host whose calls its JS driver runs).
pub(crate) async fn load_or_refresh(
    host: Arc<dyn TokenHost>,
    open_id: &str,
) -> Result<Option<String>> {
    let host = &*host;
    let now = host.runtime().now_ms() / 1000;
    let json = match source(host, open_id) {
        Source::Unsaved { json, retry_save } => {
            if let Some((token, failures)) = retry_save {
                persist(host, open_id, &token, failures).await;
            }
            json
        }
        Source::Store => {
            let key = crate::api::oauth::key(host, open_id);
            match host.store().get(&key).await? {
                Some(json) => json,
                None => return Ok(None),
            }
        }
    };
    match verdict(host, &json, now) {
        Verdict::Use(token) => Ok(Some(token)),
        Verdict::Nothing => Ok(None),
        Verdict::Refresh(refresh) => {
            let fresh = exchange_with(host, Grant::Refresh(&refresh)).await?;
            persist(host, open_id, &fresh, 0).await;
            Ok(Some(fresh.access_token))
        }
    }
}

/// Saves a refreshed token; a failure is the core's to handle ([`save_failed`]).
async fn persist(host: &dyn TokenHost, open_id: &str, token: &UserToken, failures: u32) {
    if let Err(e) = write(host, &StoreWrite::new(host, open_id, token)).await {
        save_failed(host, open_id, token, failures, &e);
    }
}
