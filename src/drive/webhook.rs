//! The webhook intake's async driver: runs [`Intake`] and [`Finishing`] over the dispatcher's
//! [`crate::crypto::Crypto`], de-duplication store, `app_ticket` client, queue and handlers.
//! Each arm only carries out the step it is given; every decision is the machines'.

use super::dedupe::store_call;
use crate::crypto::{Crypto, CryptoOp, CryptoOutcome};
use crate::log::Logger;
use crate::runtime::{within, Runtime};

use crate::webhook::{
    Consumed, Dedupe, Delivery, Dispatcher, EventHandler, FinishStep, Finished, Finishing,
    HandlerResult, Handoff, Headers, Intake, Mode, Outcome, Reply, Step,
};
use std::sync::Arc;

/// Where an intake ends: an answer, a queue message's fate, or an event for its handler.
enum End {
    Reply(Reply),
    Consumed(Consumed),
    Handle(Handoff),
}

impl Dispatcher {
    /// Handles one request's raw body and headers.
    ///
    /// ```
    /// use feishu_edge::webhook::{Delivery, Dispatcher, Flow, Headers, WebhookConfig};
    /// use feishu_edge::webhook::dispatch::NoHandlers;
    /// let d = Dispatcher::new(WebhookConfig::new().verification_token("vt"), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
    /// let body = br#"{"challenge":"c","token":"vt","type":"url_verification"}"#;
    /// let reply = futures_executor::block_on(d.invoke(body, &Headers::default(), &NoHandlers, Delivery::Reply));
    /// assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"challenge":"c"}"#));
    /// ```
    pub async fn invoke(
        &self,
        body: &[u8],
        headers: &Headers,
        handler: &dyn EventHandler,
        delivery: Delivery<'_>,
    ) -> Reply {
        let now = self.runtime.now_ms();
        let intake = Intake::request(self, body, headers, handler, Mode::of(&delivery), now);
        let handoff = match self.run(intake, delivery).await {
            End::Reply(reply) => return reply,
            End::Consumed(_) => return refused(),
            End::Handle(handoff) => handoff,
        };
        let run = handler.call(&handoff.event);
        match (handoff.reply_now.clone(), delivery) {
            (Some(reply), Delivery::Defer(defer)) => {
                let (logger, runtime) = (self.logger.clone(), self.runtime.clone());
                let dedupe = self.dedupe.clone();
                defer(Box::pin(async move {
                    let outcome = run.await;
                    finish(handoff, outcome, &*logger, &*runtime, dedupe.as_deref()).await;
                }));
                reply
            }
            _ => {
                let outcome = run.await;
                match self.finish(handoff, outcome, None).await {
                    Finished::Reply(reply) => reply,
                    _ => refused(),
                }
            }
        }
    }

    /// Handles one event that arrived over an authenticated channel (the long connection):
    /// no signature, encryption or token to check, then the same shape, handler data, claim →
    /// handle → commit and reply as [`Dispatcher::invoke`] inline. `fallback` de-duplicates
    /// when the dispatcher has no store of its own (the long connection's per-process
    /// memory). The reply's status is 200 (handled, or a duplicate), 500 (the handler failed:
    /// the platform pushes again) or 503 (another delivery holds the event).
    ///
    /// ```
    /// use feishu_edge::webhook::{Dispatcher, Flow, WebhookConfig, dispatch::NoHandlers};
    /// let d = Dispatcher::new(WebhookConfig::new(), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
    /// let body = br#"{"schema":"2.0","header":{"event_id":"e1","event_type":"x"},"event":{}}"#;
    /// let reply = futures_executor::block_on(d.deliver(body, &NoHandlers, None));
    /// assert_eq!(reply.status, 200);
    /// ```
    pub async fn deliver(
        &self,
        payload: &[u8],
        handler: &dyn EventHandler,
        fallback: Option<Arc<Dedupe>>,
    ) -> Reply {
        let intake = Intake::trusted(self, payload, handler, fallback.as_deref());
        let handoff = match self.run(intake, Delivery::Reply).await {
            End::Reply(reply) => return reply,
            End::Consumed(_) => return refused(),
            End::Handle(handoff) => handoff,
        };
        let outcome = handler.call(&handoff.event).await;
        match self.finish(handoff, outcome, fallback.as_deref()).await {
            Finished::Reply(reply) => reply,
            _ => refused(),
        }
    }

    /// Handles one message that [`Delivery::Enqueue`] put on a queue: the same claim → handle →
    /// commit as a request. A message that is not ours is retried (so a dead-letter queue
    /// keeps it), never dropped.
    ///
    /// ```
    /// use feishu_edge::webhook::{Consumed, Dispatcher, Flow, WebhookConfig, dispatch::NoHandlers};
    /// let d = Dispatcher::new(WebhookConfig::new(), Flow::Event, std::sync::Arc::new(feishu_edge::runtime::StdRuntime)).unwrap();
    /// assert_eq!(futures_executor::block_on(d.consume("not ours", &NoHandlers)), Consumed::Retry);
    /// ```
    pub async fn consume(&self, message: &str, handler: &dyn EventHandler) -> Consumed {
        let handoff = match self
            .run(Intake::queued(self, message, handler), Delivery::Reply)
            .await
        {
            End::Consumed(consumed) => return consumed,
            End::Reply(_) => return Consumed::Retry,
            End::Handle(handoff) => handoff,
        };
        let outcome = handler.call(&handoff.event).await;
        match self.finish(handoff, outcome, None).await {
            Finished::Consumed(consumed) => consumed,
            _ => Consumed::Retry,
        }
    }

    /// Runs an intake to its end.
    async fn run(&self, mut intake: Intake<'_>, delivery: Delivery<'_>) -> End {
        let mut outcome = Outcome::Start;
        let dedupe = intake.dedupe();
        loop {
            outcome = match intake.step(outcome) {
                Step::Crypto(op) => Outcome::Crypto(compute(&*self.crypto, op).await),
                Step::Store(call) => match dedupe {
                    Some(dedupe) => Outcome::Store(store_call(dedupe, call).await),
                    None => Outcome::Start,
                },
                Step::Ticket(ticket) => match &self.app_tickets {
                    Some(client) => Outcome::Ticket(client.store_app_ticket(ticket).await),
                    None => Outcome::Start,
                },
                Step::Queue { message, within_ms } => match delivery {
                    Delivery::Enqueue(queue) => Outcome::Queued(
                        within(&*self.runtime, within_ms, queue.send(message)).await,
                    ),
                    _ => Outcome::Start,
                },
                Step::Handle(handoff) => return End::Handle(handoff),
                Step::Reply(reply) => return End::Reply(reply),
                Step::Consumed(consumed) => return End::Consumed(consumed),
            };
        }
    }

    /// Settles a handler's outcome, inline (the report is not waited for).
    async fn finish(
        &self,
        handoff: Handoff,
        outcome: HandlerResult,
        fallback: Option<&Dedupe>,
    ) -> Finished {
        let dedupe = self.dedupe.as_deref().or(fallback);
        finish(handoff, outcome, &*self.logger, &*self.runtime, dedupe).await
    }
}

/// Runs a [`Finishing`] to its end.
async fn finish(
    handoff: Handoff,
    outcome: HandlerResult,
    logger: &dyn Logger,
    runtime: &dyn Runtime,
    dedupe: Option<&Dedupe>,
) -> Finished {
    let mut finishing = Finishing::begin(handoff, outcome);
    let mut outcome = Outcome::Start;
    loop {
        outcome = match finishing.step(outcome, logger) {
            FinishStep::Store(call) => match dedupe {
                Some(dedupe) => Outcome::Store(store_call(dedupe, call).await),
                None => Outcome::Start,
            },
            FinishStep::Report { report, wait_ms } => {
                let reporting = report();
                match wait_ms {
                    Some(ms) => Outcome::Reported(within(runtime, ms, reporting).await.is_some()),
                    None => Outcome::Reported(true),
                }
            }
            FinishStep::Done(finished) => return finished,
        };
    }
}

/// What a driver answers when a machine ends in a way its entry does not expect (never, but
/// never a pass either).
fn refused() -> Reply {
    Reply::refused(crate::webhook::Reason::HandlerFailed, None)
}

/// Computes one [`CryptoOp`] with `crypto`: the host seam's side of a machine's `Crypto` step.
pub(crate) async fn compute(crypto: &dyn Crypto, op: CryptoOp<'_>) -> CryptoOutcome {
    match op {
        CryptoOp::Sha256(parts) => crypto.sha256(parts).await.map(Vec::from),
        CryptoOp::Sha1(parts) => crypto.sha1(parts).await.map(Vec::from),
        CryptoOp::Aes256CbcDecrypt { key, iv, data } => {
            crypto.aes256_cbc_decrypt(key, iv, data).await
        }
        CryptoOp::Aes256CbcEncrypt { key, iv, data } => {
            crypto.aes256_cbc_encrypt(key, iv, data).await
        }
    }
}
