//! Any text as a queue message handed to `Dispatcher::consume`: never panics; garbage is left
//! for retry (a dead-letter queue keeps it), and a well-formed message reaches the handler.
#![no_main]
use feishu_edge::runtime::StdRuntime;
use feishu_edge::webhook::dispatch::HandlerResult;
use feishu_edge::webhook::{Consumed, Dispatcher, Event, EventHandler, Flow, WebhookConfig};
use feishu_edge::BoxFuture;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

struct Accept;
impl EventHandler for Accept {
    fn handles(&self, _: &Event) -> bool {
        true
    }
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult> {
        assert!(feishu_edge::json::RawFields::parse(&event.payload).is_some());
        Box::pin(std::future::ready(Ok(None)))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    thread_local! {
        static D: Dispatcher = Dispatcher::new(WebhookConfig::new().encrypt_key("k"), Flow::Event, Arc::new(StdRuntime)).unwrap();
    }
    D.with(|d| {
        let outcome = futures_executor::block_on(d.consume(text, &Accept));
        assert!(matches!(outcome, Consumed::Ack | Consumed::Retry));
    });
});
