//! Runs a [`CardStream`]: sends the calls it returns, asks the source for chunks and waits for
//! them (against the debounce timer it names), sleeps when it says so. Every decision (what to
//! send, when, with which sequence, the note, the close) is the plan's.

use crate::card::stream::{CardStream, StreamCard, StreamStep};
use crate::error::Result;
use crate::runtime::BoxFuture;
use futures_util::future::{select, Either};
use std::future::IntoFuture;

impl<'a> IntoFuture for StreamCard<'a> {
    type Output = Result<String>;
    type IntoFuture = BoxFuture<'a, Result<String>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let StreamCard {
                caller,
                runtime,
                source,
                opts,
            } = self;
            let mut plan = CardStream::new(opts)?;
            // The chunk asked for, while it is pending.
            let mut pending = None;
            loop {
                match plan.step(runtime.now_ms()) {
                    StreamStep::Call(req) => {
                        let reply = caller.call(req).await;
                        if let Some(outcome) = plan.on_reply(reply, runtime.now_ms()) {
                            return outcome;
                        }
                    }
                    StreamStep::Pull => pending = Some(source.next()),
                    StreamStep::Read { within_ms } => {
                        let next = pending.take().unwrap_or_else(|| source.next());
                        match within_ms {
                            None => plan.on_chunk(next.await),
                            Some(ms) => match select(next, runtime.sleep(ms)).await {
                                Either::Left((chunk, _timer)) => plan.on_chunk(chunk),
                                Either::Right(((), next)) => pending = Some(next),
                            },
                        }
                    }
                    StreamStep::Sleep(ms) => runtime.sleep(ms).await,
                    StreamStep::Done(outcome) => return outcome,
                }
            }
        })
    }
}
