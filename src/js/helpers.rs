//! Exports of the helpers' pure decisions (inference, signing, planning, OAuth URL).

use super::client::WasmClient;
use super::error::to_js;
use crate::api::helpers;
use crate::json::quote;
use wasm_bindgen::prelude::*;

/// `{ msgType, content }` for message content given as JSON.
#[wasm_bindgen(js_name = messageBodyJson)]
pub fn message_body(content_json: &str) -> Result<JsValue, JsValue> {
    let m = crate::card::checked_message_body(content_json).map_err(|e| to_js(&e))?;
    let json = format!(
        r#"{{"msgType":{},"content":{}}}"#,
        quote(&m.msg_type),
        quote(&m.content)
    );
    js_sys::JSON::parse(&json)
}

/// The body of the official `…ByCard` methods (see `api::helpers::by_card_data`), as JSON.
#[wasm_bindgen(js_name = byCardData)]
pub fn by_card_data(data_json: &str) -> Result<JsValue, JsValue> {
    // A card given whole is checked like every card we send.
    if let Some(card) =
        crate::json::RawFields::parse(data_json).and_then(|d| d.get("card").map(str::to_string))
    {
        let card = crate::json::unquote(&card).unwrap_or(card);
        crate::card::checked_message_body(&card).map_err(|e| to_js(&e))?;
    }
    let json = helpers::by_card_data(data_json).map_err(|e| to_js(&e))?;
    js_sys::JSON::parse(&json)
}

/// The official `messageCard.defaultCard({ title, content })`, as JSON text.
#[wasm_bindgen(js_name = defaultCardJson)]
pub fn default_card_json(title: &str, content: &str) -> String {
    crate::card::default_card(title, content)
}

/// The `receive_id_type` an id implies.
#[wasm_bindgen(js_name = receiveIdType)]
pub fn receive_id_type(id: &str) -> String {
    helpers::receive_id_type(id).to_string()
}

/// The custom-bot signature for a timestamp (seconds) and secret: a promise of it.
#[wasm_bindgen(js_name = botSign)]
pub fn bot_sign(timestamp: f64, secret: String) -> Result<JsValue, JsValue> {
    let crypto = super::crypto::provider()?;
    super::crypto::now_or_promise("botSign", true, async move {
        let sign = helpers::bot_sign(&*crypto, timestamp.max(0.0) as u64, &secret)
            .await
            .map_err(|e| to_js(&e))?;
        Ok(JsValue::from_str(&sign))
    })
}

/// Posts a custom-bot payload (JSON text) with a timeout through `fetch` (or the global one):
/// resolves to the reply object, rejects with a `FeishuError`.
#[wasm_bindgen(js_name = postBotWebhook)]
pub fn post_bot_webhook(
    url: String,
    payload_json: String,
    timeout_ms: f64,
    fetch: Option<js_sys::Function>,
) -> js_sys::Promise {
    super::to_promise(Box::pin(async move {
        let transport = match fetch {
            Some(f) => super::fetch::FetchTransport::with_function(f),
            None => super::fetch::FetchTransport::global().map_err(|e| to_js(&e))?,
        };
        let timeout = if timeout_ms.is_finite() {
            timeout_ms.max(0.0) as u64
        } else {
            0
        };
        let reply = helpers::post_bot_webhook(&transport, &url, &payload_json, timeout)
            .await
            .map_err(|e| to_js(&e))?;
        js_sys::JSON::parse(std::str::from_utf8(&reply.body).unwrap_or("{}"))
            .or_else(|_| Ok(js_sys::Object::new().into()))
    }))
}

/// Whether a file of `size` bytes is uploaded in parts: above `above` bytes when given, else
/// above [`helpers::CHUNKED_UPLOAD_THRESHOLD`] (the one owner of the 20 MB rule).
#[wasm_bindgen(js_name = uploadInParts)]
pub fn upload_in_parts(size: f64, above: Option<f64>) -> bool {
    size > above.unwrap_or(helpers::CHUNKED_UPLOAD_THRESHOLD as f64)
}

/// Part lengths for a chunked upload, in order.
#[wasm_bindgen(js_name = uploadPlan)]
pub fn upload_plan(size: f64, block_size: f64) -> Vec<f64> {
    helpers::upload_plan(size.max(0.0) as u64, block_size.max(0.0) as u64)
        .into_iter()
        .map(|(_, len)| len as f64)
        .collect()
}

#[wasm_bindgen]
impl WasmClient {
    /// The OAuth authorization URL for this app (accounts host of its region or base URL).
    #[wasm_bindgen(js_name = authorizeUrl)]
    pub fn authorize_url(&self, redirect_uri: &str, scopes: Vec<String>, state: &str) -> String {
        let config = self.core();
        let config = config.config();
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        helpers::authorize_url(
            config.accounts_base(),
            &config.app_id,
            redirect_uri,
            &scopes,
            state,
        )
    }
}

fn user_token_js(t: &crate::api::oauth::UserToken) -> JsValue {
    js_sys::JSON::parse(&t.to_json()).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
impl WasmClient {
    /// OAuth: code (with its redirect URI) or refresh token → the user's tokens.
    #[wasm_bindgen(js_name = oauthExchange)]
    pub fn oauth_exchange(
        &self,
        code: Option<String>,
        redirect_uri: Option<String>,
        refresh_token: Option<String>,
    ) -> js_sys::Promise {
        let client = self.core();
        super::to_promise(Box::pin(async move {
            use crate::api::oauth::{exchange, Grant};
            let grant = match (&code, &refresh_token) {
                (Some(code), _) => Grant::Code {
                    code,
                    redirect_uri: redirect_uri.as_deref(),
                },
                (None, Some(r)) => Grant::Refresh(r),
                (None, None) => {
                    return Err(to_js(&crate::Error::InvalidRequest(
                        "pass a code or a refresh token".into(),
                    )))
                }
            };
            exchange(&client, grant)
                .await
                .map(|t| user_token_js(&t))
                .map_err(|e| to_js(&e))
        }))
    }

    /// Stores a user's tokens (the object `oauthExchange` resolved to) under their open id.
    #[wasm_bindgen(js_name = oauthSave)]
    pub fn oauth_save(&self, open_id: String, token_json: String) -> js_sys::Promise {
        let client = self.core();
        super::to_promise(Box::pin(async move {
            let token = crate::api::oauth::UserToken::from_json(&token_json).ok_or_else(|| {
                to_js(&crate::Error::InvalidRequest(
                    "not a user token: expected {access_token, expiresAt, refresh_token?, refreshExpiresAt?, scope?}".into(),
                ))
            })?;
            crate::api::oauth::save(&client, &open_id, &token)
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| to_js(&e))
        }))
    }

    /// A stored user's valid access token (refreshed when needed), or `null`.
    #[wasm_bindgen(js_name = oauthUserToken)]
    pub fn oauth_user_token(&self, open_id: String) -> js_sys::Promise {
        let client = self.core();
        super::to_promise(Box::pin(async move {
            let t = crate::api::oauth::user_access_token(&client, &open_id)
                .await
                .map_err(|e| to_js(&e))?;
            Ok(t.map(|t| JsValue::from_str(&t)).unwrap_or(JsValue::NULL))
        }))
    }

    /// The accounts (OAuth) base URL.
    #[wasm_bindgen(getter, js_name = accountsBase)]
    pub fn accounts_base(&self) -> String {
        self.core().config().accounts_base().to_string()
    }
}
