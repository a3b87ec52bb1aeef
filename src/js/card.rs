//! Card exports: validation, Markdown escaping, callback parsing.

use super::error::to_js;
use crate::card::{self, CardAction};
use crate::error::Error;
use crate::json::{quote, ObjectWriter};
use wasm_bindgen::prelude::*;

/// Throws `FeishuError` (kind `invalid_card`, with `reason` and `path`) if the card is invalid.
/// The card comes as UTF-8 bytes (`TextEncoder.encode`: a native copy, where a string argument
/// is copied into wasm one character at a time).
#[wasm_bindgen(js_name = validateCardJson)]
pub fn validate_card(card_json: &[u8]) -> Result<(), JsValue> {
    let result = match std::str::from_utf8(card_json) {
        Ok(text) => card::validate(text),
        Err(_) => Err(card::CardError {
            kind: card::CardErrorKind::NotAnObject,
            path: String::new(),
            message: "the card is not valid JSON".into(),
        }),
    };
    result.map_err(|e| to_js(&Error::Card(Box::new(e))))
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
        ("host", &a.host),
        ("deliveryType", &a.delivery_type),
        ("url", &a.url),
        ("previewToken", &a.preview_token),
    ];
    for (key, value) in text {
        w.field(key, &crate::json::quote_or_null(value.as_deref()));
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
