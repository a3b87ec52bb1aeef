//! The main wasm's side of the long connection, whose machine (`WasmWsClient`) lives in a wasm
//! of its own: the connection's de-duplication, for dispatchers without a store (its
//! `dedupeStore`, or this process's memory). Payloads reach the dispatcher through
//! `WasmDispatcher::deliverTrusted` with it.

use super::error::to_js;
use super::logger::JsLogger;
use super::runtime::JsRuntime;
use super::store::JsKvStore;
use crate::error::Error;
use crate::runtime::Runtime;
use crate::token::{MemoryStore, TokenStore};
use crate::webhook::Dedupe;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A `WSClient`'s de-duplication.
#[wasm_bindgen]
pub struct WasmWsDedupe(Arc<Dedupe>);

#[wasm_bindgen]
impl WasmWsDedupe {
    /// `dedupe_store` as given to `WSClient` (or none: this process's memory); its logger.
    #[wasm_bindgen(constructor)]
    pub fn new(
        dedupe_store: JsValue,
        logger: JsValue,
        log_level: Option<String>,
    ) -> Result<WasmWsDedupe, JsValue> {
        let build = || -> Result<WasmWsDedupe, Error> {
            let runtime: Arc<dyn Runtime> = Arc::new(JsRuntime);
            let store: Arc<dyn TokenStore> =
                if dedupe_store.is_null() || dedupe_store.is_undefined() {
                    Arc::new(MemoryStore::new(runtime.clone()))
                } else {
                    Arc::new(JsKvStore::with_delete(dedupe_store, "dedupeStore")?)
                };
            let logger = Arc::new(JsLogger::from_options(logger, log_level.as_deref()));
            let dedupe = Dedupe::new(store, runtime, 120, 8 * 3600, 2_000).logger(logger);
            Ok(WasmWsDedupe(Arc::new(dedupe)))
        };
        build().map_err(|e| to_js(&e))
    }
}

impl WasmWsDedupe {
    pub(crate) fn dedupe(&self) -> Arc<Dedupe> {
        self.0.clone()
    }
}
