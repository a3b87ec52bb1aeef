//! Any JS object shaped like Workers KV (`get(key)`, `put(key, value, {expirationTtl})`,
//! `delete(key)`, optionally `putIfAbsent(key, value, {expirationTtl}) → boolean`, sync or
//! async) as a [`TokenStore`]. A store with `putIfAbsent` is taken at its word that it is
//! atomic (the package's Durable Object, Deno KV and Redis stores are).

use super::{describe, method, settle};
use crate::error::{Error, Result};
use crate::runtime::BoxFuture;
use crate::token::TokenStore;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A KV-shaped JS object. Missing `delete` is tolerated for tokens (a rejected token is then
/// never read back from the store: the token manager distrusts it until replaced).
pub struct JsKvStore {
    target: JsValue,
    atomic: bool,
}

impl JsKvStore {
    /// Checks the shape: `get` and `put` must be functions (`option` names the option in errors).
    pub fn new(target: JsValue, option: &str) -> Result<JsKvStore> {
        if method(&target, "get").is_none() || method(&target, "put").is_none() {
            return Err(Error::Config(format!(
                "{option} must have get(key) and put(key, value, options) methods"
            )));
        }
        let atomic = method(&target, "putIfAbsent").is_some();
        Ok(JsKvStore { target, atomic })
    }

    /// Like [`JsKvStore::new`], and `delete` is required too: releasing a failed event's claim
    /// needs it.
    pub fn with_delete(target: JsValue, option: &str) -> Result<JsKvStore> {
        let store = Self::new(target, option)?;
        if method(&store.target, "delete").is_none() {
            return Err(Error::Config(format!(
                "{option} must have a delete(key) method (a failed event's claim is released with it)"
            )));
        }
        Ok(store)
    }

    async fn call(&self, name: &str, args: &[JsValue]) -> Result<JsValue> {
        let f = match method(&self.target, name) {
            Some(f) => f,
            None => return Ok(JsValue::UNDEFINED),
        };
        let arr: js_sys::Array = args.iter().collect();
        let value = Reflect::apply(&f, &self.target, &arr)
            .map_err(|e| Error::Store(format!("{name}: {}", describe(&e))))?;
        settle(value)
            .await
            .map_err(|e| Error::Store(format!("{name}: {}", describe(&e))))
    }
}

impl TokenStore for JsKvStore {
    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>> {
        let key = JsValue::from_str(key);
        Box::pin(async move {
            let v = self.call("get", &[key]).await?;
            string_value(&v)
        })
    }
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> BoxFuture<'_, Result<()>> {
        let args = [key.into(), value.into(), ttl_options(ttl_secs)];
        Box::pin(async move { self.call("put", &args).await.map(|_| ()) })
    }
    fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl_secs: Option<u64>,
    ) -> BoxFuture<'_, Result<bool>> {
        if !self.atomic {
            return Box::pin(crate::token::put_if_absent_by_get_then_put(
                self,
                key.to_string(),
                value.to_string(),
                ttl_secs,
            ));
        }
        let args = [key.into(), value.into(), ttl_options(ttl_secs)];
        Box::pin(async move { Ok(self.call("putIfAbsent", &args).await?.is_truthy()) })
    }
    fn atomic(&self) -> bool {
        self.atomic
    }
    fn delete(&self, key: &str) -> BoxFuture<'_, Result<()>> {
        let key = JsValue::from_str(key);
        Box::pin(async move { self.call("delete", &[key]).await.map(|_| ()) })
    }
}

/// What a store's `get` answered, as the value: none for `null` / `undefined`, a string as
/// is, and a value the store parsed for us serialized back to JSON.
pub(crate) fn string_value(v: &JsValue) -> Result<Option<String>> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    match v.as_string() {
        Some(s) => Ok(Some(s)),
        None => js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .map(Some)
            .ok_or_else(|| Error::Store("get returned a value that is not a string".into())),
    }
}

/// `{expirationTtl}` (seconds), as Workers KV takes it.
fn ttl_options(ttl_secs: Option<u64>) -> JsValue {
    let options = Object::new();
    if let Some(ttl) = ttl_secs {
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("expirationTtl"),
            &JsValue::from_f64(ttl as f64),
        );
    }
    options.into()
}
