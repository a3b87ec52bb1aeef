//! CardKit streaming from a JS async source (`client.streamCard`): the core's plan, run by the
//! package's `drive` (see `super::client::CardDrive`).

use super::client::WasmClient;
use super::error::to_js;
use crate::card::stream::{CardStream, StreamOptions};
use crate::error::Error;
use crate::options::OptionReader;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

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
    /// Streams text from `next()` into a new card; resolves to the card id. The core's
    /// [`CardStream`] decides; `drive` sends its calls, pulls the chunks and keeps the time.
    #[wasm_bindgen(js_name = streamCard)]
    pub fn stream_card(&self, next: Function, options_json: String) -> Promise {
        match stream_options(&options_json).and_then(|opts| CardStream::new(&opts)) {
            Ok(plan) => self.run_card(plan, &next),
            Err(e) => Promise::reject(&to_js(&e)),
        }
    }
}
