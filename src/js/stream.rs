//! CardKit streaming from a JS async source (`client.streamCard`).

use super::client::WasmClient;
use super::error::to_js;
use super::{describe, settle};
use crate::card::stream::{stream_card, ChunkSource, StreamOptions};
use crate::error::Error;
use crate::options::OptionReader;
use crate::runtime::BoxFuture;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

/// Chunks from a JS `next()` returning a promise of a string, or `null` at the end.
struct JsChunks(Function);

impl ChunkSource for JsChunks {
    fn next(&self) -> BoxFuture<'static, Option<Result<String, String>>> {
        let called = self.0.call0(&JsValue::UNDEFINED);
        Box::pin(async move {
            let value = match called {
                Ok(promise) => settle(promise).await,
                Err(e) => Err(e),
            };
            match value {
                Ok(v) if v.is_null() || v.is_undefined() => None,
                Ok(v) => Some(Ok(v.as_string().unwrap_or_default())),
                Err(e) => Some(Err(describe(&e))),
            }
        })
    }
}

/// `client.streamCard` options, read by name (others ignored, as before).
fn stream_options(json: &str) -> Result<StreamOptions, Error> {
    let o = OptionReader::parse("streamCard options", json)?;
    let d = StreamOptions::default();
    let options = StreamOptions {
        receive_id: o.string("receiveId")?,
        receive_id_type: o.string("receiveIdType")?,
        reply_to: o.string("replyTo")?,
        in_thread: o.boolean("inThread")?.unwrap_or(false),
        element_id: o.string("elementId")?.unwrap_or(d.element_id),
        debounce_ms: o
            .whole("debounceMs", "milliseconds")?
            .unwrap_or(d.debounce_ms),
        title: o.string("title")?,
        template: o.string("template")?,
        card_json: o.string("card")?,
    };
    Ok(options)
}

#[wasm_bindgen]
impl WasmClient {
    /// Streams text from `next()` into a new card; resolves to the card id.
    #[wasm_bindgen(js_name = streamCard)]
    pub fn stream_card(&self, next: Function, options_json: String) -> Promise {
        // Its calls are run by `drive` (tokens through the one single flight); the plan, the
        // source and the debounce timer are still stepped in this future.
        let caller = self.driven();
        let client = self.core();
        super::to_promise(Box::pin(async move {
            let opts = stream_options(&options_json).map_err(|e| to_js(&e))?;
            let card_id = stream_card(&caller, &**client.runtime(), &JsChunks(next), &opts)
                .await
                .map_err(|e| to_js(&e))?;
            Ok(JsValue::from_str(&card_id))
        }))
    }
}
