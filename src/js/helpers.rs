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

/// Posts a custom-bot payload (JSON text of an object) with a timeout through `fetch` (or the
/// global one): resolves to the reply object, rejects with a `FeishuError`. With a `secret`,
/// the payload is signed first: `timestamp` (seconds, as a string) and `sign` are added to it.
#[wasm_bindgen(js_name = postBotWebhook)]
pub fn post_bot_webhook(
    url: String,
    payload_json: String,
    timeout_ms: f64,
    fetch: Option<js_sys::Function>,
    secret: Option<String>,
    timestamp: f64,
) -> js_sys::Promise {
    super::to_promise(Box::pin(async move {
        let mut payload_json = payload_json;
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            let crypto = super::crypto::provider()?;
            let seconds = if timestamp.is_finite() {
                timestamp.max(0.0) as u64
            } else {
                0
            };
            let sign = helpers::bot_sign(&*crypto, seconds, &secret)
                .await
                .map_err(|e| to_js(&e))?;
            let Some(head) = payload_json.trim_end().strip_suffix('}') else {
                return Err(to_js(&crate::Error::InvalidRequest(
                    "the bot webhook payload is not a JSON object".into(),
                )));
            };
            let sep = if head.trim_end().ends_with('{') {
                ""
            } else {
                ","
            };
            payload_json = format!(
                r#"{head}{sep}"timestamp":{},"sign":{}}}"#,
                quote(&seconds.to_string()),
                quote(&sign)
            );
        }
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

/// How a file of `size` bytes is uploaded: `undefined` when whole (at most `above` bytes when
/// given, else at most [`helpers::CHUNKED_UPLOAD_THRESHOLD`], the one owner of the 20 MB
/// rule); else in parts, whose lengths, in order, are returned once the upload's `block_size`
/// is known (before, with none, an empty array: prepare the upload first).
#[wasm_bindgen(js_name = uploadPlan)]
pub fn upload_plan(size: f64, above: Option<f64>, block_size: Option<f64>) -> Option<Vec<f64>> {
    if size <= above.unwrap_or(helpers::CHUNKED_UPLOAD_THRESHOLD as f64) {
        return None;
    }
    Some(match block_size {
        None => Vec::new(),
        Some(block) => helpers::upload_plan(size.max(0.0) as u64, block.max(0.0) as u64)
            .into_iter()
            .map(|(_, len)| len as f64)
            .collect(),
    })
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

/// The open id of a user access token's user (`authen/v1/user_info`), asked through `drive`.
async fn open_id_of(
    host: &super::client::Driven,
    user_access_token: &str,
) -> crate::Result<String> {
    let endpoint = crate::api::generated::AUTHEN_V1_USER_INFO_GET;
    let reply = host
        .as_user(user_access_token)
        .request(crate::ApiRequest::new(endpoint.method, endpoint.path))
        .await?;
    crate::json::RawFields::parse(std::str::from_utf8(&reply.body).unwrap_or(""))
        .and_then(|f| f.get("data").map(str::to_string))
        .and_then(|d| crate::json::RawFields::parse(&d)?.str("open_id"))
        .ok_or_else(|| {
            crate::Error::invalid_response("user_info: the reply has no open_id", None, 200)
        })
}

fn user_token_js(t: &crate::api::oauth::UserToken) -> JsValue {
    js_sys::JSON::parse(&t.to_json()).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
impl WasmClient {
    /// OAuth: code (with its redirect URI) or refresh token → the user's tokens. With `store`,
    /// the user's open id is read with the new token (`authen/v1/user_info`), set on the
    /// result as `openId`, and the tokens are kept in the token store under it.
    #[wasm_bindgen(js_name = oauthExchange)]
    pub fn oauth_exchange(
        &self,
        code: Option<String>,
        redirect_uri: Option<String>,
        refresh_token: Option<String>,
        store: bool,
    ) -> js_sys::Promise {
        let client = self.core();
        // The exchange and the user_info call are run by `drive`; the store write here.
        let host = self.driven();
        super::to_promise(Box::pin(async move {
            use crate::api::oauth::{exchange_request, read_exchange, Grant};
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
            let exchanged = match host.request(exchange_request(&host, grant)).await {
                Ok(resp) => read_exchange(&resp, client.runtime().now_ms()),
                Err(e) => Err(e),
            };
            let token = exchanged.map_err(|e| to_js(&e))?;
            let out = user_token_js(&token);
            if store {
                let open_id = open_id_of(&host, &token.access_token)
                    .await
                    .map_err(|e| to_js(&e))?;
                let write = crate::api::oauth::StoreWrite::new(&host, &open_id, &token);
                crate::drive::oauth::write(&host, &write)
                    .await
                    .map_err(|e| to_js(&e))?;
                let _ = js_sys::Reflect::set(&out, &"openId".into(), &open_id.into());
            }
            Ok(out)
        }))
    }

    /// A stored user's valid access token (refreshed when needed), or `null`.
    #[wasm_bindgen(js_name = oauthUserToken)]
    pub fn oauth_user_token(&self, open_id: String) -> js_sys::Promise {
        // As `api::oauth::user_access_token` (one refresh per user at a time), the refresh
        // sent through `drive`.
        let host = self.driven();
        super::to_promise(Box::pin(async move {
            let key = crate::api::oauth::key(&host, &open_id);
            let t = crate::token::one_refresh_per_user(&host, &key, move |owner| {
                Box::pin(async move { crate::drive::oauth::load_or_refresh(owner, &open_id).await })
            })
            .await
            .map_err(|e| to_js(&e))?;
            Ok(t.map(|t| JsValue::from_str(&t)).unwrap_or(JsValue::NULL))
        }))
    }
}
