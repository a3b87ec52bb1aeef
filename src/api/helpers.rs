//! The pure decisions behind the task-level helpers: id and message type inference, custom-bot
//! signing, chunked-upload planning, and the OAuth authorization URL. The helpers compose
//! catalog calls around these.
//!
//! The helpers that are one catalog call (`contact.getUser`, `drive.listFolder`…) are rows of
//! [`HELPERS`], run by one generic caller ([`Helper::prepare`], and on a client
//! [`Client::helper`](crate::Client::helper), [`Client::helper_pages`](crate::Client::helper_pages),
//! [`Client::helper_download`](crate::Client::helper_download)); the JS package runs the same
//! rows through the same code.

use crate::error::{Error, Result};
use crate::json::{quote, RawFields};
use crate::request::url_encode;
use base64::Engine;

mod run;
mod table;
pub use run::{find_helper, Derive, FileArg, Helper, Kind, Param, Prepared, Value};
pub(crate) use run::{prepare_download, prepare_json, prepare_upload};
pub use table::HELPERS;

/// The `receive_id_type` an id implies: `ou_` open_id, `on_` union_id, `oc_` chat_id, an `@`
/// email, anything else user_id.
///
/// ```
/// use feishu_edge::api::helpers::receive_id_type;
/// assert_eq!(receive_id_type("oc_123"), "chat_id");
/// assert_eq!(receive_id_type("a@b.com"), "email");
/// assert_eq!(receive_id_type("ou_9"), "open_id");
/// ```
pub fn receive_id_type(id: &str) -> &'static str {
    if id.starts_with("ou_") {
        "open_id"
    } else if id.starts_with("on_") {
        "union_id"
    } else if id.starts_with("oc_") {
        "chat_id"
    } else if id.contains('@') {
        "email"
    } else {
        "user_id"
    }
}

/// A message body: `msg_type` and `content` (a JSON string, as the API wants it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody {
    /// `text`, `interactive`, `image`, `file`, `post`, ...
    pub msg_type: String,
    /// The content, serialized.
    pub content: String,
}

/// Where a message goes: to a chat or user (the id type inferred unless given), or as a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageTarget {
    /// `POST im/v1/messages?receive_id_type=...`.
    To {
        /// An `oc_` / `ou_` / `on_` id, a user id or an email.
        receive_id: String,
        /// Overrides the type [`receive_id_type`] infers.
        receive_id_type: Option<String>,
    },
    /// `POST im/v1/messages/{message_id}/reply`.
    ReplyTo {
        /// The message replied to.
        message_id: String,
        /// Reply in the message's thread.
        in_thread: bool,
    },
}

/// The request that sends `body` to `target`: the one place a message send is shaped (the JS
/// helpers `im.send` / `im.reply` and card streaming use it). `uuid` makes a retried send
/// idempotent on the platform's side.
///
/// ```
/// use feishu_edge::api::helpers::{message_body, message_request, MessageTarget};
/// let to = MessageTarget::To { receive_id: "oc_1".into(), receive_id_type: None };
/// let req = message_request(&to, &message_body(r#""hi""#).unwrap(), Some("u-1"));
/// assert_eq!(req.url("https://h/open-apis/").unwrap(), "https://h/open-apis/im/v1/messages?receive_id_type=chat_id");
/// ```
pub fn message_request(
    target: &MessageTarget,
    body: &MessageBody,
    uuid: Option<&str>,
) -> crate::ApiRequest {
    use crate::json::ObjectWriter;
    let mut data = ObjectWriter::default();
    let req = match target {
        MessageTarget::To {
            receive_id,
            receive_id_type: kind,
        } => {
            data.field("receive_id", &quote(receive_id));
            let kind = kind
                .as_deref()
                .unwrap_or_else(|| receive_id_type(receive_id));
            crate::ApiRequest::post("im/v1/messages").query("receive_id_type", kind)
        }
        MessageTarget::ReplyTo { message_id, .. } => {
            crate::ApiRequest::post("im/v1/messages/{message_id}/reply")
                .path_param("message_id", message_id.as_str())
        }
    };
    data.field("msg_type", &quote(&body.msg_type));
    data.field("content", &quote(&body.content));
    if let MessageTarget::ReplyTo { in_thread, .. } = target {
        data.field("reply_in_thread", if *in_thread { "true" } else { "false" });
    }
    if let Some(uuid) = uuid {
        data.field("uuid", &quote(uuid));
    }
    req.json_str(data.finish())
}

/// Infers the message type from content given as JSON: a string → `text`; a card (has
/// `schema`, `elements`, `body` or `header`, or `{type: "card"}`) → `interactive`;
/// `{image_key}` → `image`; `{file_key}` → `file`; a post (`zh_cn`/`en_us`/`ja_jp`/`post`) →
/// `post`; `{msg_type, content}` passes through. Cards are not validated here:
/// `card::checked_message_body` is this with the card rules, what the senders use.
///
/// ```
/// use feishu_edge::api::helpers::message_body;
/// let m = message_body(r#""hi""#).unwrap();
/// assert_eq!((m.msg_type.as_str(), m.content.as_str()), ("text", r#"{"text":"hi"}"#));
/// assert_eq!(message_body(r#"{"image_key":"img_1"}"#).unwrap().msg_type, "image");
/// ```
pub fn message_body(content_json: &str) -> Result<MessageBody> {
    let text = content_json.trim();
    if text.starts_with('"') {
        let s = crate::json::unquote(text)
            .ok_or_else(|| Error::InvalidRequest("message content is not valid JSON".into()))?;
        return Ok(MessageBody {
            msg_type: "text".into(),
            content: format!(r#"{{"text":{}}}"#, quote(&s)),
        });
    }
    let fields = RawFields::parse(text).ok_or_else(|| {
        Error::InvalidRequest("message content must be a string or an object".into())
    })?;
    let body = |msg_type: &str| {
        Ok(MessageBody {
            msg_type: msg_type.into(),
            content: text.to_string(),
        })
    };
    if let (Some(msg_type), Some(content)) = (fields.str("msg_type"), fields.get("content")) {
        let content = crate::json::unquote(content).unwrap_or_else(|| content.to_string());
        return Ok(MessageBody { msg_type, content });
    }
    let has = |k: &str| fields.get(k).is_some();
    if has("schema")
        || has("elements")
        || has("body")
        || has("header")
        || fields.str("type").as_deref() == Some("card")
        || fields.str("type").as_deref() == Some("template")
    {
        return body("interactive");
    }
    if has("image_key") {
        return body("image");
    }
    if has("file_key") {
        return body(if has("duration") { "audio" } else { "file" });
    }
    if has("zh_cn") || has("en_us") || has("ja_jp") || has("post") {
        return body("post");
    }
    if has("chat_id") {
        return body("share_chat");
    }
    if has("user_id") {
        return body("share_user");
    }
    if has("text") {
        return body("text");
    }
    Err(Error::InvalidRequest("cannot tell the message type: pass a string, a card, {image_key}, {file_key}, a post, or {msg_type, content}".into()))
}

/// The body of the official `createByCard` / `replyByCard` / `updateByCard`: `data` with
/// `template_id` and `template_variable` becomes `{msg_type: "interactive", content:
/// '{"type":"template","data":{template_id, template_variable}}', ...rest}`, as the official
/// SDK sends it; `data.card` (a card, or its JSON) is sent as the card instead.
///
/// ```
/// use feishu_edge::api::helpers::by_card_data;
/// let d = by_card_data(r#"{"receive_id":"oc_1","template_id":"ctp_1","template_variable":{"a":1}}"#).unwrap();
/// assert_eq!(d, r#"{"msg_type":"interactive","content":"{\"type\":\"template\",\"data\":{\"template_id\":\"ctp_1\",\"template_variable\":{\"a\":1}}}","receive_id":"oc_1"}"#);
/// ```
pub fn by_card_data(data_json: &str) -> Result<String> {
    let data = RawFields::parse(data_json)
        .ok_or_else(|| Error::InvalidRequest("data must be an object".into()))?;
    let content = match (data.get("card"), data.str("template_id")) {
        (Some(card), _) => crate::json::unquote(card).unwrap_or_else(|| card.to_string()),
        (None, Some(id)) => {
            let mut t = crate::json::ObjectWriter::default();
            t.field("template_id", &quote(&id));
            if let Some(vars) = data.get("template_variable") {
                t.field("template_variable", vars);
            }
            let mut c = crate::json::ObjectWriter::default();
            c.field("type", "\"template\"");
            c.field("data", &t.finish());
            c.finish()
        }
        (None, None) => {
            return Err(Error::InvalidRequest(
                "data needs template_id (with template_variable) or card".into(),
            ))
        }
    };
    let mut out = crate::json::ObjectWriter::default();
    out.field("msg_type", "\"interactive\"");
    out.field("content", &quote(&content));
    out.fields(&data, &["template_id", "template_variable", "card"]);
    Ok(out.finish())
}

/// The custom-bot signature: `base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = ""))`.
/// Awaiting the returned [`BotSign`] computes it with `crypto` (the async driver runs it).
///
/// ```
/// # #[cfg(feature = "rustcrypto")] {
/// use std::future::IntoFuture;
/// use feishu_edge::{api::helpers::bot_sign, crypto::{now, RustCrypto}};
/// let sign = now(bot_sign(&RustCrypto, 1648200000, "testSecret").into_future()).unwrap().unwrap();
/// assert_eq!(sign, "EeVMWFkWdx3NMASalfC7OEOJike0pXAY3MbTk9I1ouA=");
/// # }
/// ```
pub fn bot_sign<'a>(
    crypto: &'a dyn crate::crypto::Crypto,
    timestamp: u64,
    secret: &str,
) -> BotSign<'a> {
    BotSign {
        crypto,
        key: format!("{timestamp}\n{secret}"),
    }
}

/// A custom-bot signature to compute ([`bot_sign`]): the HMAC key, and the crypto that computes
/// it when awaited.
///
/// ```no_run
/// # async fn demo(crypto: &dyn feishu_edge::crypto::Crypto) -> feishu_edge::Result<()> {
/// let sign: String = feishu_edge::api::helpers::bot_sign(crypto, 1648200000, "secret").await?;
/// # Ok(()) }
/// ```
#[must_use = "the signature is computed when awaited"]
pub struct BotSign<'a> {
    pub(crate) crypto: &'a dyn crate::crypto::Crypto,
    pub(crate) key: String,
}

impl BotSign<'_> {
    /// The signature from the HMAC: its base64; a crypto failure names the fix.
    pub(crate) fn finish(
        mac: std::result::Result<[u8; 32], crate::crypto::CryptoError>,
    ) -> Result<String> {
        let mac = mac.map_err(|e| Error::Config(e.to_string()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(mac))
    }
}

/// Posts a prepared payload to a group custom bot's webhook URL: one attempt with a timeout
/// (a message must not be sent twice), the reply checked like an API envelope (the old
/// `StatusCode` / `StatusMessage` shape too). A timeout, network error or 5xx is reported as
/// not retryable: the message may have been posted. Awaiting the returned [`BotWebhookPost`]
/// sends it through `transport`.
///
/// ```no_run
/// # async fn demo(t: &dyn feishu_edge::Transport) -> feishu_edge::Result<()> {
/// let payload = r#"{"msg_type":"text","content":{"text":"hi"}}"#;
/// feishu_edge::api::helpers::post_bot_webhook(t, "https://open.feishu.cn/open-apis/bot/v2/hook/x", payload, 10_000).await?;
/// # Ok(()) }
/// ```
pub fn post_bot_webhook<'a>(
    transport: &'a dyn crate::Transport,
    url: &str,
    payload_json: &str,
    timeout_ms: u64,
) -> BotWebhookPost<'a> {
    use crate::transport::{Body, HttpRequest, Method};
    let request = if url.starts_with("https://") || url.starts_with("http://") {
        Ok(HttpRequest {
            method: Method::Post,
            url: url.to_string(),
            headers: Vec::new(),
            body: Body::Json(payload_json.into()),
            timeout_ms: (timeout_ms > 0).then_some(timeout_ms),
            stream: false,
        })
    } else {
        Err(Error::InvalidRequest(format!(
            "the custom bot webhook URL must be absolute http(s), got `{url}`"
        )))
    };
    BotWebhookPost { transport, request }
}

/// A custom bot webhook post ([`post_bot_webhook`]): the HTTP request (or why there is none),
/// sent once when awaited.
///
/// ```no_run
/// # async fn demo(t: &dyn feishu_edge::Transport) -> feishu_edge::Result<()> {
/// let post = feishu_edge::api::helpers::post_bot_webhook(t, "https://open.feishu.cn/open-apis/bot/v2/hook/x", "{}", 0);
/// let reply = post.await?;
/// # Ok(()) }
/// ```
#[must_use = "the payload is posted when awaited"]
pub struct BotWebhookPost<'a> {
    pub(crate) transport: &'a dyn crate::Transport,
    pub(crate) request: Result<crate::HttpRequest>,
}

impl BotWebhookPost<'_> {
    /// Reads what the transport answered: a failed send may have posted (not retryable), a
    /// legacy `StatusCode` that is not 0 is the error, else the envelope is checked.
    pub(crate) fn read(
        sent: std::result::Result<crate::HttpResponse, crate::TransportError>,
    ) -> Result<crate::ApiResponse> {
        use crate::transport::TransportError;
        let reply = match sent {
            Ok(reply) => reply,
            Err(TransportError::Timeout(ms)) => return Err(Error::Timeout { ms }.unconfirmed()),
            Err(TransportError::Network(m)) => return Err(Error::Network(m).unconfirmed()),
        };
        let legacy =
            RawFields::parse(std::str::from_utf8(&reply.body).unwrap_or("")).and_then(|f| {
                Some((
                    f.get("StatusCode")?.parse::<i64>().ok()?,
                    f.str("StatusMessage"),
                ))
            });
        if let Some((code, msg)) = legacy.filter(|(code, _)| *code != 0) {
            return Err(Error::Api(Box::new(crate::ApiError {
                code: Some(code),
                msg: msg.unwrap_or_default(),
                log_id: crate::request::envelope::log_id(&reply),
                http_status: reply.status,
                rate_limit_reset_secs: None,
            })));
        }
        crate::request::envelope::check(reply).map_err(Error::unconfirmed)
    }
}

/// The `(offset, length)` of each part when uploading `size` bytes in `block_size` blocks.
///
/// ```
/// assert_eq!(feishu_edge::api::helpers::upload_plan(10, 4), vec![(0, 4), (4, 4), (8, 2)]);
/// ```
pub fn upload_plan(size: u64, block_size: u64) -> Vec<(u64, u64)> {
    if block_size == 0 {
        return vec![(0, size)];
    }
    let mut parts = Vec::new();
    let mut offset = 0;
    while offset < size {
        let len = block_size.min(size - offset);
        parts.push((offset, len));
        offset += len;
    }
    parts
}

/// Files above this size are uploaded in parts (prepare / part / finish).
pub const CHUNKED_UPLOAD_THRESHOLD: u64 = 20 * 1024 * 1024;

/// The OAuth authorization URL users are sent to (`response_type=code`).
///
/// ```
/// let url = feishu_edge::api::helpers::authorize_url("https://accounts.feishu.cn/", "cli_1", "https://app/cb", &["contact:user.base:readonly"], "s1");
/// assert_eq!(url, "https://accounts.feishu.cn/open-apis/authen/v1/authorize?client_id=cli_1&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&scope=contact%3Auser.base%3Areadonly&state=s1");
/// ```
pub fn authorize_url(
    accounts_base: &str,
    app_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
) -> String {
    let mut url = format!(
        "{accounts_base}open-apis/authen/v1/authorize?client_id={}&response_type=code&redirect_uri={}",
        url_encode(app_id),
        url_encode(redirect_uri)
    );
    if !scopes.is_empty() {
        url.push_str("&scope=");
        url.push_str(&url_encode(&scopes.join(" ")));
    }
    if !state.is_empty() {
        url.push_str("&state=");
        url.push_str(&url_encode(state));
    }
    url
}

/// Sends a message: the id type from the id, the message type from the content (see
/// [`message_body`]); `uuid` makes the send idempotent. Awaiting the returned [`ClientCall`]
/// sends it through `client`.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// let reply = feishu_edge::api::helpers::send_message(&client, "oc_123", r#""hello""#, Some("req-1")).await?;
/// let message: serde_json::Value = reply.data()?;
/// # Ok(()) }
/// ```
pub fn send_message<'a>(
    client: &'a crate::Client,
    receive_id: &str,
    content_json: &str,
    uuid: Option<&str>,
) -> ClientCall<'a> {
    let request = message_body(content_json).map(|body| {
        let mut json = format!(
            r#"{{"receive_id":{},"msg_type":{},"content":{}"#,
            quote(receive_id),
            quote(&body.msg_type),
            quote(&body.content)
        );
        if let Some(u) = uuid {
            json.push_str(&format!(r#","uuid":{}"#, quote(u)));
        }
        json.push('}');
        super::generated::IM_V1_MESSAGE_CREATE
            .request()
            .query("receive_id_type", receive_id_type(receive_id))
            .json_str(json)
    });
    ClientCall { client, request }
}

/// Replies to a message (in its thread when `in_thread`), inferring the message type.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// feishu_edge::api::helpers::reply_message(&client, "om_1", r#""got it""#, true).await?;
/// # Ok(()) }
/// ```
pub fn reply_message<'a>(
    client: &'a crate::Client,
    message_id: &str,
    content_json: &str,
    in_thread: bool,
) -> ClientCall<'a> {
    let request = message_body(content_json).map(|body| {
        let json = format!(
            r#"{{"msg_type":{},"content":{},"reply_in_thread":{in_thread}}}"#,
            quote(&body.msg_type),
            quote(&body.content)
        );
        super::generated::IM_V1_MESSAGE_REPLY
            .request()
            .path_param("message_id", message_id)
            .json_str(json)
    });
    ClientCall { client, request }
}

/// A call built for a client ([`send_message`], [`reply_message`]): the request (or why there
/// is none), sent through the client's pipeline when awaited.
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// let call = feishu_edge::api::helpers::send_message(&client, "oc_1", r#""hi""#, None);
/// let reply = call.await?;
/// # Ok(()) }
/// ```
#[must_use = "the call is sent when awaited"]
pub struct ClientCall<'a> {
    pub(crate) client: &'a crate::Client,
    pub(crate) request: Result<crate::ApiRequest>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_inference() {
        let cases = [
            (r#""plain""#, "text"),
            (r#"{"schema":"2.0","body":{"elements":[]}}"#, "interactive"),
            (r#"{"type":"card","data":{"card_id":"c"}}"#, "interactive"),
            (r#"{"image_key":"img"}"#, "image"),
            (r#"{"file_key":"f"}"#, "file"),
            (r#"{"file_key":"f","duration":3}"#, "audio"),
            (r#"{"zh_cn":{"title":"t","content":[]}}"#, "post"),
            (r#"{"chat_id":"oc_1"}"#, "share_chat"),
            (r#"{"text":"x"}"#, "text"),
        ];
        for (content, expected) in cases {
            assert_eq!(
                message_body(content).unwrap().msg_type,
                expected,
                "{content}"
            );
        }
        let explicit =
            message_body(r#"{"msg_type":"sticker","content":"{\"file_key\":\"s\"}"}"#).unwrap();
        assert_eq!(
            (explicit.msg_type.as_str(), explicit.content.as_str()),
            ("sticker", r#"{"file_key":"s"}"#)
        );
        assert_eq!(
            message_body(r#""a\"b""#).unwrap().content,
            r#"{"text":"a\"b"}"#
        );
        assert!(
            message_body(r#"{"mystery":1}"#).is_err()
                && message_body("[1]").is_err()
                && message_body("").is_err()
        );
    }

    #[test]
    fn plans_and_ids() {
        assert_eq!(upload_plan(0, 4), vec![]);
        assert_eq!(upload_plan(8, 4), vec![(0, 4), (4, 4)]);
        assert_eq!(upload_plan(5, 0), vec![(0, 5)]);
        for (id, t) in [
            ("ou_1", "open_id"),
            ("on_1", "union_id"),
            ("oc_1", "chat_id"),
            ("x@y.z", "email"),
            ("5d9", "user_id"),
        ] {
            assert_eq!(receive_id_type(id), t);
        }
    }
}
