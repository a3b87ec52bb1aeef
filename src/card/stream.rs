//! CardKit streaming: text from any async source streamed into a card element as it arrives.
//! The plan ([`CardStream`]) is sans-IO; awaiting [`stream_card`]'s [`StreamCard`] runs it.
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
use crate::request::ApiResponse;
use crate::request::Caller;
use crate::runtime::Runtime;
use crate::transport::Method;

/// The chunk source seam (a driver file: the stream driver awaits it).
mod host;
pub use host::ChunkSource;

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
/// narrow interfaces: a [`Caller`] (a [`crate::Client`] is one) and a clock. Awaiting the
/// returned [`StreamCard`] runs the [`CardStream`] plan over them.
///
/// ```no_run
/// # async fn run(client: &feishu_edge::Client, source: &dyn feishu_edge::card::stream::ChunkSource) -> feishu_edge::Result<()> {
/// use feishu_edge::card::stream::{stream_card, StreamOptions};
/// let opts = StreamOptions { reply_to: Some("om_1".into()), ..Default::default() };
/// let card_id = stream_card(client, &**client.runtime(), source, &opts).await?;
/// # let _ = card_id; Ok(()) }
/// ```
pub fn stream_card<'a>(
    caller: &'a dyn Caller,
    runtime: &'a dyn Runtime,
    source: &'a dyn ChunkSource,
    opts: &'a StreamOptions,
) -> StreamCard<'a> {
    StreamCard {
        caller,
        runtime,
        source,
        opts,
    }
}

/// A card to stream ([`stream_card`]): what it goes through, streamed when awaited.
///
/// ```no_run
/// # async fn run(client: &feishu_edge::Client, source: &dyn feishu_edge::card::stream::ChunkSource) -> feishu_edge::Result<()> {
/// use feishu_edge::card::stream::{stream_card, StreamOptions};
/// let opts = StreamOptions { receive_id: Some("oc_1".into()), ..Default::default() };
/// let streaming = stream_card(client, &**client.runtime(), source, &opts);
/// let card_id = streaming.await?;
/// # let _ = card_id; Ok(()) }
/// ```
#[must_use = "the card is streamed when awaited"]
pub struct StreamCard<'a> {
    pub(crate) caller: &'a dyn Caller,
    pub(crate) runtime: &'a dyn Runtime,
    pub(crate) source: &'a dyn ChunkSource,
    pub(crate) opts: &'a StreamOptions,
}

/// What a [`CardStream`] asks its driver to do next.
#[derive(Debug)]
pub enum StreamStep {
    /// Send this call, then hand its outcome to [`CardStream::on_reply`].
    Call(ApiRequest),
    /// Ask the source for its next chunk (start it; it is awaited at [`StreamStep::Read`]).
    Pull,
    /// Wait for the chunk asked for, at most `within_ms` (`None`: as long as it takes): hand it
    /// to [`CardStream::on_chunk`]; when the time runs out first, keep it pending and step again.
    Read {
        /// How long the chunk may take before an update is due.
        within_ms: Option<u64>,
    },
    /// Wait this many milliseconds, then step again.
    Sleep(u64),
    /// The end: the card id, or why it failed.
    Done(Result<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The card entity is to be created.
    Create,
    /// Its creation is in flight.
    Creating,
    /// The message carrying it is to be sent.
    Send,
    /// That message is in flight.
    Sending,
    /// Reading the source and pushing updates.
    Pump,
    /// An update of the text is in flight.
    Pushing,
    /// The source ended: the last update, after the debounce window.
    Final,
    /// The last update is in flight.
    FinalPushing,
    /// Streaming mode is to be closed.
    Close,
    /// Its closing is in flight.
    Closing,
    /// Done (the outcome was handed out).
    Over,
}

/// The streaming plan, sans-IO: the card to create, the message that carries it, when the
/// accumulated text is pushed (the first chunk at once, then at most once per debounce window,
/// and a last update once the source ends), each update's `sequence` and `uuid`, the note a
/// failing source leaves, and the close of streaming mode (also after a failure). Its driver
/// sends what [`CardStream::step`] returns and hands back replies and chunks; it never waits
/// itself.
///
/// ```
/// use feishu_edge::card::stream::{CardStream, StreamOptions, StreamStep};
/// let opts = StreamOptions { receive_id: Some("oc_1".into()), ..Default::default() };
/// let mut plan = CardStream::new(&opts).unwrap();
/// let StreamStep::Call(create) = plan.step(0) else { panic!() };
/// assert_eq!(create.path, "cardkit/v1/cards");
/// assert!(CardStream::new(&StreamOptions::default()).is_err(), "neither receive_id nor reply_to");
/// ```
#[derive(Debug)]
pub struct CardStream {
    phase: Phase,
    card_json: String,
    target: MessageTarget,
    element_id: String,
    debounce_ms: u64,
    card_id: String,
    sequence: u64,
    text: String,
    sent_len: usize,
    last_push: Option<u64>,
    /// A chunk asked for and not yet handed back.
    reading: bool,
    /// The source asked to be read again (after a chunk).
    pull: bool,
    failure: Option<String>,
    /// The final update's debounce wait was taken.
    waited: bool,
    /// How the stream ended before the close: `Err` when an update or the source failed.
    outcome: Option<Result<()>>,
}

impl CardStream {
    /// The plan for `opts`: exactly one of `receive_id` and `reply_to`, and a card (the
    /// default, or `card_json` validated) holding the element the text goes to.
    pub fn new(opts: &StreamOptions) -> Result<CardStream> {
        if opts.receive_id.is_some() == opts.reply_to.is_some() {
            return Err(Error::InvalidRequest(
                "streamCard needs exactly one of receiveId and replyTo".into(),
            ));
        }
        let card_json = initial_card(opts)?;
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
        Ok(CardStream {
            phase: Phase::Create,
            card_json,
            target,
            element_id: opts.element_id.clone(),
            debounce_ms: opts.debounce_ms,
            card_id: String::new(),
            sequence: 0,
            text: String::new(),
            sent_len: 0,
            last_push: None,
            reading: false,
            pull: false,
            failure: None,
            waited: false,
            outcome: None,
        })
    }

    fn next_sequence(&mut self) -> (u64, String) {
        self.sequence += 1;
        (
            self.sequence,
            quote(&format!("{}-{}", self.card_id, self.sequence)),
        )
    }

    /// The update carrying the whole text so far, with the next sequence and its uuid (a retried
    /// update reuses its uuid, so the platform applies it once).
    fn push(&mut self) -> ApiRequest {
        let (sequence, uuid) = self.next_sequence();
        let body = format!(
            r#"{{"content":{},"sequence":{sequence},"uuid":{uuid}}}"#,
            quote(&self.text)
        );
        ApiRequest::new(
            Method::Put,
            "cardkit/v1/cards/{card_id}/elements/{element_id}/content",
        )
        .path_param("card_id", self.card_id.as_str())
        .path_param("element_id", self.element_id.as_str())
        .json_str(body)
    }

    fn close(&mut self) -> ApiRequest {
        let (sequence, uuid) = self.next_sequence();
        let settings = quote(r#"{"config":{"streaming_mode":false}}"#);
        let body = format!(r#"{{"settings":{settings},"sequence":{sequence},"uuid":{uuid}}}"#);
        ApiRequest::new(Method::Patch, "cardkit/v1/cards/{card_id}/settings")
            .path_param("card_id", self.card_id.as_str())
            .json_str(body)
            .idempotent(true)
    }

    /// What to do next, at `now_ms` (the client's clock).
    pub fn step(&mut self, now_ms: u64) -> StreamStep {
        match self.phase {
            Phase::Create => {
                self.phase = Phase::Creating;
                StreamStep::Call(ApiRequest::post("cardkit/v1/cards").json_str(format!(
                    r#"{{"type":"card_json","data":{}}}"#,
                    quote(&self.card_json)
                )))
            }
            Phase::Send => {
                self.phase = Phase::Sending;
                let body = MessageBody {
                    msg_type: "interactive".into(),
                    content: format!(
                        r#"{{"type":"card","data":{{"card_id":{}}}}}"#,
                        quote(&self.card_id)
                    ),
                };
                StreamStep::Call(message_request(&self.target, &body, None))
            }
            Phase::Pump if self.pull => {
                self.pull = false;
                self.reading = true;
                StreamStep::Pull
            }
            Phase::Pump if self.reading => {
                if self.text.len() == self.sent_len {
                    return StreamStep::Read { within_ms: None };
                }
                let due = self
                    .last_push
                    .map_or(now_ms, |t| t.saturating_add(self.debounce_ms));
                if now_ms >= due {
                    self.phase = Phase::Pushing;
                    return StreamStep::Call(self.push());
                }
                StreamStep::Read {
                    within_ms: Some(due - now_ms),
                }
            }
            Phase::Pump => {
                // The source ended: the note a failure leaves, then the last update.
                if let Some(message) = &self.failure {
                    self.text.push_str(&format!(
                        "\n\n---\n**The reply was interrupted:** {}",
                        escape_markdown(message)
                    ));
                }
                self.phase = Phase::Final;
                self.step(now_ms)
            }
            Phase::Final => {
                if self.text.len() == self.sent_len && self.last_push.is_some() {
                    self.outcome = Some(self.source_outcome());
                    self.phase = Phase::Close;
                    return self.step(now_ms);
                }
                if let (Some(t), false) = (self.last_push, self.waited) {
                    self.waited = true;
                    let wait = t.saturating_add(self.debounce_ms).saturating_sub(now_ms);
                    if wait > 0 {
                        return StreamStep::Sleep(wait);
                    }
                }
                self.phase = Phase::FinalPushing;
                StreamStep::Call(self.push())
            }
            Phase::Close => {
                self.phase = Phase::Closing;
                StreamStep::Call(self.close())
            }
            Phase::Over => StreamStep::Done(Err(Error::InvalidRequest(
                "the card stream is over: its outcome was handed out already".into(),
            ))),
            // A call is in flight: nothing to do until its reply.
            Phase::Creating
            | Phase::Sending
            | Phase::Pushing
            | Phase::FinalPushing
            | Phase::Closing => StreamStep::Done(Err(Error::InvalidRequest(
                "the card stream is waiting for a reply: hand it to on_reply first".into(),
            ))),
        }
    }

    fn source_outcome(&mut self) -> Result<()> {
        match self.failure.take() {
            Some(message) => Err(Error::Stream(message)),
            None => Ok(()),
        }
    }

    /// The outcome of the call [`CardStream::step`] returned, at `now_ms`. Returns the stream's
    /// outcome (the card id, or why it failed) when it is over (a failed creation or send ends
    /// it at once; any later failure still closes streaming mode first), else `None`: step
    /// again.
    pub fn on_reply(&mut self, reply: Result<ApiResponse>, now_ms: u64) -> Option<Result<String>> {
        match self.phase {
            Phase::Creating => {
                let card_id = reply.and_then(|created| {
                    data_field(&created.body, "card_id").ok_or_else(|| {
                        Error::InvalidRequest(
                            "cardkit/v1/cards answered without data.card_id".into(),
                        )
                    })
                });
                match card_id {
                    Ok(id) => {
                        self.card_id = id;
                        self.phase = Phase::Send;
                        None
                    }
                    Err(e) => self.over(Err(e)),
                }
            }
            Phase::Sending => match reply {
                Ok(_) => {
                    self.phase = Phase::Pump;
                    self.pull = true;
                    None
                }
                Err(e) => self.over(Err(e)),
            },
            Phase::Pushing => match reply {
                Ok(_) => {
                    self.sent_len = self.text.len();
                    self.last_push = Some(now_ms);
                    self.phase = Phase::Pump;
                    None
                }
                Err(e) => {
                    self.outcome = Some(Err(e));
                    self.phase = Phase::Close;
                    None
                }
            },
            Phase::FinalPushing => {
                self.outcome = Some(match reply {
                    Ok(_) => {
                        self.sent_len = self.text.len();
                        self.source_outcome()
                    }
                    Err(e) => Err(e),
                });
                self.phase = Phase::Close;
                None
            }
            Phase::Closing => {
                let outcome = self.outcome.take().unwrap_or(Ok(()));
                let card_id = std::mem::take(&mut self.card_id);
                self.over(match outcome {
                    Ok(()) => reply.map(|_| card_id),
                    Err(e) => Err(e),
                })
            }
            _ => Some(Err(Error::InvalidRequest(
                "the card stream sent no call: step it before handing a reply".into(),
            ))),
        }
    }

    /// A chunk the source gave ([`StreamStep::Read`]): `Some(Ok(text))`, `Some(Err(why))` when it
    /// failed, `None` at its end.
    pub fn on_chunk(&mut self, chunk: Option<std::result::Result<String, String>>) {
        if self.phase != Phase::Pump || !self.reading {
            return;
        }
        self.reading = false;
        match chunk {
            Some(Ok(text)) => {
                self.text.push_str(&text);
                self.pull = true;
            }
            Some(Err(message)) => self.failure = Some(message),
            None => {}
        }
    }

    fn over(&mut self, result: Result<String>) -> Option<Result<String>> {
        self.phase = Phase::Over;
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Result<ApiResponse> {
        Ok(ApiResponse {
            status: 200,
            log_id: None,
            body: body.as_bytes().to_vec(),
        })
    }

    fn call(step: StreamStep) -> ApiRequest {
        match step {
            StreamStep::Call(req) => req,
            other => panic!("expected a call, got {other:?}"),
        }
    }

    fn body(req: &ApiRequest) -> String {
        match &req.body {
            crate::transport::Body::Json(j) => j.to_string(),
            other => panic!("{other:?}"),
        }
    }

    /// Created and sent: the plan then asks for the first chunk.
    fn started(opts: &StreamOptions) -> CardStream {
        let mut s = CardStream::new(opts).unwrap();
        assert_eq!(call(s.step(0)).path, "cardkit/v1/cards");
        assert!(s
            .on_reply(ok(r#"{"code":0,"data":{"card_id":"c1"}}"#), 0)
            .is_none());
        let send = call(s.step(0));
        assert!(
            body(&send).contains(r#"\"card_id\":\"c1\""#),
            "{}",
            body(&send)
        );
        assert!(s.on_reply(ok(r#"{"code":0}"#), 0).is_none());
        assert!(matches!(s.step(0), StreamStep::Pull));
        s
    }

    fn opts() -> StreamOptions {
        StreamOptions {
            receive_id: Some("oc_1".into()),
            ..Default::default()
        }
    }

    #[test]
    fn first_chunk_at_once_then_once_per_window_then_close() {
        let mut s = started(&opts());
        assert!(matches!(s.step(0), StreamStep::Read { within_ms: None }));
        s.on_chunk(Some(Ok("a".into())));
        assert!(matches!(s.step(0), StreamStep::Pull));
        let push = call(s.step(0));
        assert!(body(&push).contains(r#""content":"a","sequence":1,"uuid":"c1-1""#));
        assert!(s.on_reply(ok("{}"), 10).is_none());
        // Nothing new: wait for the chunk as long as it takes.
        assert!(matches!(s.step(20), StreamStep::Read { within_ms: None }));
        s.on_chunk(Some(Ok("b".into())));
        assert!(matches!(s.step(100), StreamStep::Pull));
        // Inside the window (last push at 10, 250 ms): read at most until it closes.
        assert!(matches!(
            s.step(100),
            StreamStep::Read {
                within_ms: Some(160)
            }
        ));
        // The timer won: the update is due.
        let push = call(s.step(260));
        assert!(body(&push).contains(r#""content":"ab","sequence":2"#));
        assert!(s.on_reply(ok("{}"), 270).is_none());
        s.on_chunk(None);
        // Everything was sent: close at once.
        let close = call(s.step(300));
        assert_eq!(close.path, "cardkit/v1/cards/{card_id}/settings");
        assert!(body(&close).contains(r#""sequence":3,"uuid":"c1-3""#));
        assert_eq!(s.on_reply(ok("{}"), 300).unwrap().unwrap(), "c1");
    }

    #[test]
    fn a_failing_source_leaves_a_note_after_the_window_and_still_closes() {
        let mut s = started(&opts());
        assert!(matches!(s.step(0), StreamStep::Read { .. }));
        s.on_chunk(Some(Ok("x".into())));
        assert!(matches!(s.step(0), StreamStep::Pull));
        call(s.step(0));
        assert!(s.on_reply(ok("{}"), 0).is_none());
        assert!(matches!(s.step(0), StreamStep::Read { .. }));
        s.on_chunk(Some(Err("model *down*".into())));
        assert!(matches!(s.step(100), StreamStep::Sleep(150)));
        let last = call(s.step(250));
        assert!(
            body(&last).contains("**The reply was interrupted:** model &#42;down&#42;"),
            "{}",
            body(&last)
        );
        assert!(s.on_reply(ok("{}"), 250).is_none());
        assert!(call(s.step(250)).path.ends_with("/settings"));
        let outcome = s.on_reply(ok("{}"), 250).unwrap();
        assert!(matches!(outcome, Err(Error::Stream(m)) if m == "model *down*"));
    }

    #[test]
    fn an_empty_source_still_sends_one_update() {
        let mut s = started(&opts());
        assert!(matches!(s.step(0), StreamStep::Read { .. }));
        s.on_chunk(None);
        let push = call(s.step(0));
        assert!(body(&push).contains(r#""content":"","sequence":1"#));
        assert!(s.on_reply(ok("{}"), 0).is_none());
        call(s.step(0));
        assert_eq!(s.on_reply(ok("{}"), 0).unwrap().unwrap(), "c1");
    }

    #[test]
    fn a_failed_update_closes_and_fails_a_failed_creation_does_not_close() {
        let mut s = started(&opts());
        assert!(matches!(s.step(0), StreamStep::Read { .. }));
        s.on_chunk(Some(Ok("x".into())));
        assert!(matches!(s.step(0), StreamStep::Pull));
        call(s.step(0));
        assert!(s.on_reply(Err(Error::Network("down".into())), 0).is_none());
        assert!(call(s.step(0)).path.ends_with("/settings"));
        assert!(matches!(
            s.on_reply(ok("{}"), 0),
            Some(Err(Error::Network(_)))
        ));
        assert!(matches!(s.step(0), StreamStep::Done(Err(_))), "over");

        let mut s = CardStream::new(&opts()).unwrap();
        call(s.step(0));
        let e = s.on_reply(ok(r#"{"code":0,"data":{}}"#), 0).unwrap();
        assert!(matches!(e, Err(Error::InvalidRequest(m)) if m.contains("card_id")));
    }

    #[test]
    fn out_of_order_inputs_fail_instead_of_panicking() {
        let mut s = CardStream::new(&opts()).unwrap();
        assert!(matches!(s.on_reply(ok("{}"), 0), Some(Err(_))));
        call(s.step(0));
        assert!(matches!(s.step(0), StreamStep::Done(Err(_))));
        s.on_chunk(Some(Ok("ignored".into())));
    }
}
