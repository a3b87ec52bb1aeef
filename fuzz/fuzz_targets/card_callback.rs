//! Legacy card request URL bodies (plain JSON, SHA-1 signed): signed so the parser is reached.
#![no_main]
use feishu_edge::webhook::crypto::card_signature;
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let config = WebhookConfig::new().verification_token("vt");
    let headers = Headers {
        signature: Some(card_signature("1700000000", "n", "vt", body)),
        timestamp: Some("1700000000".into()),
        nonce: Some("n".into()),
        content_type: Some("application/json".into()),
    };
    if let Ok(Inbound::Event(e)) = parse(&config, body, &headers, 1_700_000_000, Flow::Card) {
        assert!(feishu_edge::json::RawFields::parse(&e.payload).is_some());
    }
});
