//! The core from Rust on wasm32, without the wasm-bindgen skin: `check()` runs protocol logic
//! (signatures, decryption, the trust model, parsing, card building and validation) and returns
//! a bit per check that passed. See run.mjs.
use feishu_edge::card::{markdown, validate, Card};
use feishu_edge::crypto::{now, RustCrypto};
use feishu_edge::webhook::crypto::{decrypt, encrypt, event_signature};
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, Reason, WebhookConfig};

const C: &RustCrypto = &RustCrypto;

/// Every check; `run.mjs` expects all bits set.
pub const ALL: u32 = 0b11_1111;

#[no_mangle]
pub extern "C" fn check() -> u32 {
    let mut passed = 0;
    // Protocol vector 4: the SHA-256 event signature over raw bytes.
    let vector = now(event_signature(C, "1700000000", "test_nonce", "ek_secret", br#"{"type": "event"}"#));
    if vector == Some(Ok("33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66".into())) {
        passed |= 1;
    }
    // Protocol vector 1: AES-256-CBC decryption.
    let plain = now(decrypt(C, "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key"));
    if plain == Some(Ok(b"hello world".to_vec())) {
        passed |= 2;
    }
    // The trust model: no keys, no endpoint; an unsigned legacy card with only a key, refused.
    if WebhookConfig::new().validate().is_err() {
        passed |= 4;
    }
    let key_only = WebhookConfig::new().encrypt_key("ek");
    let legacy = br#"{"open_id":"ou_x","action":{"tag":"button"}}"#;
    let none = Headers::default();
    if now(parse(&key_only, C, legacy, &none, 0, Flow::Card)) == Some(Err(Reason::UnverifiableRequest)) {
        passed |= 8;
    }
    // A signed, encrypted schema 2.0 event parses into the official SDK's handler shape.
    let event = r#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1","token":"t"},"event":{"message":{"message_id":"om_1"}}}"#;
    let sealed = now(encrypt(C, event.as_bytes(), "ek", [7; 16])).and_then(Result::ok).unwrap_or_default();
    let body = format!(r#"{{"encrypt":"{sealed}"}}"#);
    let headers = Headers {
        signature: now(event_signature(C, "100", "n", "ek", body.as_bytes())).and_then(Result::ok),
        timestamp: Some("100".into()),
        nonce: Some("n".into()),
        content_type: None,
    };
    let config = WebhookConfig::new().encrypt_key("ek").verification_token("t");
    if let Some(Ok(Inbound::Event(e))) = now(parse(&config, C, body.as_bytes(), &headers, 100, Flow::Event)) {
        if e.event_type == "im.message.receive_v1" && e.payload.contains(r#""message_id":"om_1""#) {
            passed |= 16;
        }
    }
    // Cards: built, serialized, validated.
    if let Ok(json) = Card::new().title("t").push(markdown("**hi**")).to_json() {
        if validate(&json).is_ok() {
            passed |= 32;
        }
    }
    passed
}
