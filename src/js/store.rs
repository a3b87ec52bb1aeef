//! Any JS object shaped like Workers KV (`get(key)`, `put(key, value, {expirationTtl})`,
//! `delete(key)`, sync or async) as a [`TokenStore`].

use super::{describe, method, settle};
use crate::error::{Error, Result};
use crate::token::TokenStore;
use crate::LocalBoxFuture;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A KV-shaped JS object. Missing `delete` is tolerated (entries then expire by TTL).
pub struct JsKvStore {
    target: JsValue,
}

impl JsKvStore {
    /// Checks the shape: `get` and `put` must be functions.
    pub fn new(target: JsValue) -> Result<JsKvStore> {
        if method(&target, "get").is_none() || method(&target, "put").is_none() {
            return Err(Error::Config(
                "tokenStore must have get(key) and put(key, value, options) methods".into(),
            ));
        }
        Ok(JsKvStore { target })
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
    fn get(&self, key: &str) -> LocalBoxFuture<'_, Result<Option<String>>> {
        let key = JsValue::from_str(key);
        Box::pin(async move {
            let v = self.call("get", &[key]).await?;
            if v.is_null() || v.is_undefined() {
                return Ok(None);
            }
            match v.as_string() {
                Some(s) => Ok(Some(s)),
                // A store that parsed the JSON for us: serialize it back.
                None => js_sys::JSON::stringify(&v)
                    .ok()
                    .and_then(|s| s.as_string())
                    .map(Some)
                    .ok_or_else(|| {
                        Error::Store("get returned a value that is not a string".into())
                    }),
            }
        })
    }
    fn put(&self, key: &str, value: &str, ttl_secs: Option<u64>) -> LocalBoxFuture<'_, Result<()>> {
        let (key, value) = (JsValue::from_str(key), JsValue::from_str(value));
        let options = Object::new();
        if let Some(ttl) = ttl_secs {
            let _ = Reflect::set(
                &options,
                &JsValue::from_str("expirationTtl"),
                &JsValue::from_f64(ttl as f64),
            );
        }
        Box::pin(async move {
            self.call("put", &[key, value, options.into()])
                .await
                .map(|_| ())
        })
    }
    fn delete(&self, key: &str) -> LocalBoxFuture<'_, Result<()>> {
        let key = JsValue::from_str(key);
        Box::pin(async move { self.call("delete", &[key]).await.map(|_| ()) })
    }
}
