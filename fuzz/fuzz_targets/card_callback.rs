//! Legacy card request URL bodies (plain JSON, SHA-1 signed): signed so the parser is reached.
#![no_main]
use feishu_edge::webhook::crypto::card_signature;
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
use feishu_edge::crypto::{now, RustCrypto};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let config = WebhookConfig::new().verification_token("vt");
    let headers = Headers {
        signature: now(card_signature(&RustCrypto, "1700000000", "n", "vt", body)).and_then(Result::ok),
        timestamp: Some("1700000000".into()),
        nonce: Some("n".into()),
        content_type: Some("application/json".into()),
    };
    if let Ok(Inbound::Event(e)) = now(parse(&config, &RustCrypto, body, &headers, 1_700_000_000, Flow::Card)).expect("RustCrypto is synchronous") {
        assert!(feishu_edge::json::RawFields::parse(&e.payload).is_some());
    }
});
