//! CardKit streaming: text from any async source streamed into a card element as it arrives.
//!
//! The card entity is created (`POST cardkit/v1/cards`), sent or replied with, then updated with
//! the accumulated text (`PUT .../elements/{element_id}/content`) at most once per debounce
//! window, with strictly increasing `sequence`s and a `uuid` per update (a retried update
//! reuses its uuid, so the platform applies it once). Streaming mode is always closed at the end
//! (`PATCH .../settings`), also when the source fails; the card then shows a note.

use super::{escape_markdown, markdown, Card};
use crate::error::{Error, Result};
use crate::json::{quote, RawFields};
use crate::request::ApiRequest;
use crate::request::Caller;
use crate::runtime::BoxFuture;
use crate::runtime::Runtime;
use crate::transport::Method;
use futures_util::future::{select, Either};

/// An async source of text chunks: `None` at the end, `Err(message)` if it failed.
pub trait ChunkSource: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// The next chunk.
    fn next(&self) -> BoxFuture<'static, Option<std::result::Result<String, String>>>;
}

/// Where and how to stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Send the card to this id (type inferred from its prefix unless given)...
    pub receive_id: Option<String>,
    /// `open_id`, `union_id`, `chat_id`, `email` or `user_id`.
    pub receive_id_type: Option<String>,
    /// ...or reply to this message (exactly one of the two).
    pub reply_to: Option<String>,
    /// Reply in the message's thread.
    pub in_thread: bool,
    /// The Markdown element receiving the text (default `md`).
    pub element_id: String,
    /// Least time between two updates (default 250 ms).
    pub debounce_ms: u64,
    /// A header title for the default card.
    pub title: Option<String>,
    /// A header colour for the default card.
    pub template: Option<String>,
    /// A card of your own instead of the default one; it must contain `element_id`.
    pub card_json: Option<String>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            receive_id: None,
            receive_id_type: None,
            reply_to: None,
            in_thread: false,
            element_id: "md".into(),
            debounce_ms: 250,
            title: None,
            template: None,
            card_json: None,
        }
    }
}

pub use crate::api::helpers::receive_id_type;
use crate::api::helpers::{message_request, MessageBody, MessageTarget};

struct Stream<'a> {
    caller: &'a dyn Caller,
    card_id: String,
    element_id: &'a str,
    sequence: u64,
    sent_len: usize,
}

impl Stream<'_> {
    fn next_sequence(&mut self) -> (u64, String) {
        self.sequence += 1;
        (
            self.sequence,
            quote(&format!("{}-{}", self.card_id, self.sequence)),
        )
    }

    async fn push(&mut self, text: &str) -> Result<()> {
        let (sequence, uuid) = self.next_sequence();
        let body = format!(
            r#"{{"content":{},"sequence":{sequence},"uuid":{uuid}}}"#,
            quote(text)
        );
        let req = ApiRequest::new(
            Method::Put,
            "cardkit/v1/cards/{card_id}/elements/{element_id}/content",
        )
        .path_param("card_id", self.card_id.as_str())
        .path_param("element_id", self.element_id)
        .json_str(body);
        self.caller.call(req).await?;
        self.sent_len = text.len();
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        let (sequence, uuid) = self.next_sequence();
        let settings = quote(r#"{"config":{"streaming_mode":false}}"#);
        let body = format!(r#"{{"settings":{settings},"sequence":{sequence},"uuid":{uuid}}}"#);
        let req = ApiRequest::new(Method::Patch, "cardkit/v1/cards/{card_id}/settings")
            .path_param("card_id", self.card_id.as_str())
            .json_str(body)
            .idempotent(true);
        self.caller.call(req).await.map(|_| ())
    }
}

fn data_field(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let data = RawFields::parse(text)?.get("data")?;
    RawFields::parse(data)?.str(key)
}

fn initial_card(opts: &StreamOptions) -> Result<String> {
    let json = match &opts.card_json {
        Some(card) => {
            super::validate(card).map_err(|e| Error::Card(Box::new(e)))?;
            card.clone()
        }
        None => {
            let mut card = Card::new()
                .config("streaming_mode", "true")
                .config("update_multi", "true");
            if let Some(title) = &opts.title {
                card = card.title(title);
            }
            if let Some(colour) = &opts.template {
                card = card.template(colour);
            }
            card.push(markdown("").element_id(&opts.element_id))
                .to_json()
                .map_err(|e| Error::Card(Box::new(e)))?
        }
    };
    if !super::element_ids(&json).contains(&opts.element_id) {
        return Err(Error::InvalidRequest(format!(
            "the card has no element with element_id `{}`",
            opts.element_id
        )));
    }
    Ok(json)
}

/// Streams `source` into a new card sent to `receive_id` (or replying to `reply_to`); resolves
/// to the card id once the text is complete and streaming mode is closed. It needs only the
/// narrow interfaces: a [`Caller`] (a [`crate::Client`] is one) and a clock.
///
/// ```no_run
/// # async fn run(client: &feishu_edge::Client, source: &dyn feishu_edge::card::stream::ChunkSource) -> feishu_edge::Result<()> {
/// use feishu_edge::card::stream::{stream_card, StreamOptions};
/// let opts = StreamOptions { reply_to: Some("om_1".into()), ..Default::default() };
/// let card_id = stream_card(client, &**client.runtime(), source, &opts).await?;
/// # let _ = card_id; Ok(()) }
/// ```
pub async fn stream_card(
    caller: &dyn Caller,
    runtime: &dyn Runtime,
    source: &dyn ChunkSource,
    opts: &StreamOptions,
) -> Result<String> {
    if opts.receive_id.is_some() == opts.reply_to.is_some() {
        return Err(Error::InvalidRequest(
            "streamCard needs exactly one of receiveId and replyTo".into(),
        ));
    }
    let card_json = initial_card(opts)?;
    let created = caller
        .call(ApiRequest::post("cardkit/v1/cards").json_str(format!(
            r#"{{"type":"card_json","data":{}}}"#,
            quote(&card_json)
        )))
        .await?;
    let card_id = data_field(&created.body, "card_id").ok_or_else(|| {
        Error::InvalidRequest("cardkit/v1/cards answered without data.card_id".into())
    })?;
    let body = MessageBody {
        msg_type: "interactive".into(),
        content: format!(
            r#"{{"type":"card","data":{{"card_id":{}}}}}"#,
            quote(&card_id)
        ),
    };
    let target = match (&opts.reply_to, &opts.receive_id) {
        (Some(message_id), _) => MessageTarget::ReplyTo {
            message_id: message_id.clone(),
            in_thread: opts.in_thread,
        },
        (None, Some(id)) => MessageTarget::To {
            receive_id: id.clone(),
            receive_id_type: opts.receive_id_type.clone(),
        },
        (None, None) => {
            return Err(Error::InvalidRequest(
                "streamCard needs receiveId or replyTo".into(),
            ))
        }
    };
    let send = message_request(&target, &body, None);
    caller.call(send).await?;

    let mut stream = Stream {
        caller,
        card_id,
        element_id: &opts.element_id,
        sequence: 0,
        sent_len: 0,
    };
    let outcome = pump(runtime, source, opts.debounce_ms, &mut stream).await;
    let closed = stream.close().await;
    match outcome {
        Ok(()) => closed.map(|_| stream.card_id),
        Err(e) => Err(e),
    }
}

/// Reads the source, pushing the accumulated text at most once per debounce window (the first
/// chunk at once), and a final update at the end. A failing source ends with a note.
async fn pump(
    runtime: &dyn Runtime,
    source: &dyn ChunkSource,
    debounce_ms: u64,
    stream: &mut Stream<'_>,
) -> Result<()> {
    let mut text = String::new();
    let mut last_push: Option<u64> = None;
    let mut pending = Some(source.next());
    let mut failure = None;
    while let Some(next) = pending.take() {
        let item = if text.len() == stream.sent_len {
            next.await
        } else {
            let now = runtime.now_ms();
            let due = last_push.map_or(now, |t| t.saturating_add(debounce_ms));
            if now >= due {
                stream.push(&text).await?;
                last_push = Some(runtime.now_ms());
                pending = Some(next);
                continue;
            }
            match select(next, runtime.sleep(due - now)).await {
                Either::Left((item, _timer)) => item,
                Either::Right(((), next)) => {
                    pending = Some(next);
                    continue;
                }
            }
        };
        match item {
            Some(Ok(chunk)) => {
                text.push_str(&chunk);
                pending = Some(source.next());
            }
            Some(Err(message)) => failure = Some(message),
            None => {}
        }
    }
    if let Some(message) = &failure {
        text.push_str(&format!(
            "\n\n---\n**The reply was interrupted:** {}",
            escape_markdown(message)
        ));
    }
    if text.len() != stream.sent_len || last_push.is_none() {
        if let Some(t) = last_push {
            let wait = t
                .saturating_add(debounce_ms)
                .saturating_sub(runtime.now_ms());
            if wait > 0 {
                runtime.sleep(wait).await;
            }
        }
        stream.push(&text).await?;
    }
    match failure {
        Some(message) => Err(Error::Stream(message)),
        None => Ok(()),
    }
}
