//! Card exports: validation, Markdown escaping, callback parsing, and CardKit streaming from a
//! JS async source.

use super::client::WasmClient;
use super::error::to_js;
use super::{describe, settle};
use crate::card::stream::{stream_card, ChunkSource, StreamOptions};
use crate::card::{self, CardAction};
use crate::error::Error;
use crate::json::{quote, ObjectWriter};
use crate::LocalBoxFuture;
use js_sys::{Function, Promise};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// Throws `FeishuError` (kind `invalid_card`, with `reason` and `path`) if the card is invalid.
#[wasm_bindgen(js_name = validateCardJson)]
pub fn validate_card(card_json: &str) -> Result<(), JsValue> {
    card::validate(card_json).map_err(|e| to_js(&Error::Card(Box::new(e))))
}

/// Escapes text so a `markdown` element shows it literally.
#[wasm_bindgen(js_name = escapeMarkdown)]
pub fn escape_markdown(text: &str) -> String {
    card::escape_markdown(text)
}

fn action_json(a: &CardAction) -> String {
    let mut w = ObjectWriter::default();
    w.field("flow", &quote(a.flow));
    let text = [
        ("tag", &a.tag),
        ("option", &a.option),
        ("inputValue", &a.input_value),
        ("name", &a.name),
        ("openId", &a.open_id),
        ("userId", &a.user_id),
        ("unionId", &a.union_id),
        ("openMessageId", &a.open_message_id),
        ("openChatId", &a.open_chat_id),
        ("token", &a.token),
        ("tenantKey", &a.tenant_key),
        ("timezone", &a.timezone),
    ];
    for (key, value) in text {
        w.field(
            key,
            &value.as_deref().map(quote).unwrap_or_else(|| "null".into()),
        );
    }
    w.field("value", a.value.as_deref().unwrap_or("null"));
    w.field("formValue", a.form_value.as_deref().unwrap_or("null"));
    w.field("options", a.options.as_deref().unwrap_or("null"));
    w.field(
        "checked",
        match a.checked {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        },
    );
    w.finish()
}

/// The typed action of a card callback (JSON of either flow), or `null`.
#[wasm_bindgen(js_name = parseActionJson)]
pub fn parse_action(payload_json: &str) -> JsValue {
    match card::parse_action(payload_json) {
        Some(a) => js_sys::JSON::parse(&action_json(&a)).unwrap_or(JsValue::NULL),
        None => JsValue::NULL,
    }
}

/// Chunks from a JS `next()` returning a promise of a string, or `null` at the end.
struct JsChunks(Function);

impl ChunkSource for JsChunks {
    fn next(&self) -> LocalBoxFuture<'static, Option<Result<String, String>>> {
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StreamJsOptions {
    receive_id: Option<String>,
    receive_id_type: Option<String>,
    reply_to: Option<String>,
    in_thread: Option<bool>,
    element_id: Option<String>,
    debounce_ms: Option<u64>,
    title: Option<String>,
    template: Option<String>,
    card: Option<String>,
}

#[wasm_bindgen]
impl WasmClient {
    /// Streams text from `next()` into a new card; resolves to the card id.
    #[wasm_bindgen(js_name = streamCard)]
    pub fn stream_card(&self, next: Function, options_json: String) -> Promise {
        let client = self.core();
        super::to_promise(Box::pin(async move {
            let o: StreamJsOptions = serde_json::from_str(&options_json).map_err(|e| {
                to_js(&Error::InvalidRequest(format!(
                    "bad streamCard options: {e}"
                )))
            })?;
            let d = StreamOptions::default();
            let opts = StreamOptions {
                receive_id: o.receive_id,
                receive_id_type: o.receive_id_type,
                reply_to: o.reply_to,
                in_thread: o.in_thread.unwrap_or(false),
                element_id: o.element_id.unwrap_or(d.element_id),
                debounce_ms: o.debounce_ms.unwrap_or(d.debounce_ms),
                title: o.title,
                template: o.template,
                card_json: o.card,
            };
            let card_id = stream_card(&client, &JsChunks(next), &opts)
                .await
                .map_err(|e| to_js(&e))?;
            Ok(JsValue::from_str(&card_id))
        }))
    }
}
