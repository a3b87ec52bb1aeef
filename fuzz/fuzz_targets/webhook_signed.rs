//! Bodies that pass the signature and decrypt: the fuzz input becomes the plaintext, so the
//! inner JSON handling (schema 1.0/2.0, challenge, payload building) is what gets explored.
#![no_main]
use feishu_edge::webhook::crypto::{encrypt, event_signature};
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
use feishu_edge::crypto::{now, RustCrypto};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|plaintext: &[u8]| {
    let config = WebhookConfig::new().encrypt_key("fuzz key");
    let body = format!(r#"{{"encrypt":"{}"}}"#, now(encrypt(&RustCrypto, plaintext, "fuzz key", [42; 16])).and_then(Result::ok).unwrap_or_default());
    let headers = Headers {
        signature: now(event_signature(&RustCrypto, "1700000000", "n", "fuzz key", body.as_bytes())).and_then(Result::ok),
        timestamp: Some("1700000000".into()),
        nonce: Some("n".into()),
        content_type: None,
    };
    for flow in [Flow::Event, Flow::Card] {
        if let Ok(Inbound::Event(e)) = now(parse(&config, &RustCrypto, body.as_bytes(), &headers, 1_700_000_000, flow)).expect("RustCrypto is synchronous") {
            // The payload handed to handlers must always be valid JSON.
            assert!(feishu_edge::json::RawFields::parse(&e.payload).is_some(), "payload not an object: {}", e.payload);
        }
    }
});
