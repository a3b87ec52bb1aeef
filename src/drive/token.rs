//! The token steps, carried out: a [`Fetch`] run to its end over the client's transport,
//! clock and store, and single flight, the one thing decided here: concurrent callers of the
//! same client and key wait for one shared fetch instead of starting their own.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::runtime::BoxFuture;
use crate::token::{self, Fetch, Input, Step, StoreOp, StoreOutcome, TokenKind, TokenStore};
use futures_util::future::{FutureExt, Shared};
use std::collections::HashMap;

/// A fetch in flight, shared by everyone waiting for its token.
type SharedFetch = Shared<BoxFuture<'static, Result<String>>>;
/// The fetches in flight, by client ([`Client::id`]) and store key.
type Table = HashMap<(usize, String), SharedFetch>;

/// Runs `f` on the table of fetches in flight (one per process natively, where a client's
/// tasks run on many threads; one per thread on wasm32, where there is one).
fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static TABLE: std::sync::OnceLock<std::sync::Mutex<Table>> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(Default::default);
        let mut table = table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut table)
    }
    #[cfg(target_arch = "wasm32")]
    {
        thread_local! {
            static TABLE: std::cell::RefCell<Table> = Default::default();
        }
        TABLE.with(|table| f(&mut table.borrow_mut()))
    }
}

/// A valid token of `kind`: the one in memory if fresh, else the outcome of one [`Fetch`]
/// however many callers ask at once. Boxed with its type spelled out: a marketplace tenant
/// token's fetch asks for the app token (recursion), and only a named future type lets the
/// compiler prove the whole chain `Send`.
pub(crate) fn get(client: &Client, kind: TokenKind) -> BoxFuture<'_, Result<String>> {
    Box::pin(async move {
        if let Some(token) = client.with_env(|env, tokens| token::cached(env, tokens, &kind)) {
            return Ok(token);
        }
        let key = (
            client.id(),
            token::store_key(&client.config().app_id, &kind),
        );
        let shared = with_table(|table| {
            if let Some(running) = table.get(&key) {
                return running.clone();
            }
            let owner = client.clone();
            let done = key.clone();
            let work: BoxFuture<'static, Result<String>> = Box::pin(async move {
                let result = fetch(&owner, kind).await;
                with_table(|table| table.remove(&done));
                result
            });
            let shared = work.shared();
            table.insert(key, shared.clone());
            shared
        });
        shared.await
    })
}

/// Runs one [`Fetch`] to its end.
async fn fetch(client: &Client, kind: TokenKind) -> Result<String> {
    let mut fetch = client.with_env(|env, _| Fetch::new(env, kind));
    let mut input = Input::Next;
    loop {
        let step = client.with_env(|env, tokens| fetch.step(env, tokens, input));
        input = match step {
            Step::Send(http) => Input::Sent(client.inner.transport.send(http).await),
            Step::Wait(ms) => {
                client.inner.runtime.sleep(ms).await;
                Input::Next
            }
            Step::Store(op) => Input::Stored(apply(&*client.inner.store, &op).await),
            Step::Token(kind) => Input::Token(get(client, kind).await?),
            Step::Exchange(kind) => Input::Exchanged(exchange(client, &kind).await),
            Step::Done(token) => return Ok(token),
            Step::Fail(error) | Step::Rejected(error, _) => return Err(error),
            Step::Reply(_) => return Err(stray("a reply")),
        };
    }
}

/// A keyless client's token: its assertion exchanged (a call of its own through the client).
pub(crate) async fn exchange(client: &Client, kind: &TokenKind) -> Result<token::CachedToken> {
    match client.config().client_assertion.clone() {
        Some(provider) => token::exchange(client, kind, &provider).await,
        None => Err(stray("an assertion exchange")),
    }
}

/// Carries out a [`StoreOp`] on `store`.
pub(crate) async fn apply(store: &dyn TokenStore, op: &StoreOp) -> Result<StoreOutcome> {
    match op {
        StoreOp::Get { key } => store.get(key).await.map(StoreOutcome::Value),
        StoreOp::Put {
            key,
            value,
            ttl_secs,
        } => store
            .put(key, value, *ttl_secs)
            .await
            .map(|()| StoreOutcome::Done),
        StoreOp::PutIfAbsent {
            key,
            value,
            ttl_secs,
        } => store
            .put_if_absent(key, value, *ttl_secs)
            .await
            .map(StoreOutcome::Written),
        StoreOp::Delete { key } => store.delete(key).await.map(|()| StoreOutcome::Done),
    }
}

/// A step the machine never gives in this place (a driver bug, not the caller's).
pub(crate) fn stray(what: &str) -> Error {
    Error::InvalidRequest(format!(
        "the token machine asked for {what} where it cannot (a bug in feishu-edge's driver)"
    ))
}
