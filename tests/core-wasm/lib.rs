//! The core from Rust on wasm32, without the wasm-bindgen skin: `check()` runs protocol logic
//! (signatures, decryption, the trust model, parsing, card building and validation) and returns
//! a bit per check that passed. See run.mjs.
use feishu_edge::card::{markdown, validate, Card};
use feishu_edge::webhook::crypto::{decrypt, encrypt, event_signature};
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, Reason, WebhookConfig};

/// Every check; `run.mjs` expects all bits set.
pub const ALL: u32 = 0b11_1111;

#[no_mangle]
pub extern "C" fn check() -> u32 {
    let mut passed = 0;
    // Protocol vector 4: the SHA-256 event signature over raw bytes.
    if event_signature("1700000000", "test_nonce", "ek_secret", br#"{"type": "event"}"#)
        == "33a7b21052cde946ddf49865a2efb3a90a4df79c6e701246b9f42999961b1c66"
    {
        passed |= 1;
    }
    // Protocol vector 1: AES-256-CBC decryption.
    if decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key").as_deref()
        == Ok(b"hello world".as_slice())
    {
        passed |= 2;
    }
    // The trust model: no keys, no endpoint; an unsigned legacy card with only a key, refused.
    if WebhookConfig::new().validate().is_err() {
        passed |= 4;
    }
    let key_only = WebhookConfig::new().encrypt_key("ek");
    let legacy = br#"{"open_id":"ou_x","action":{"tag":"button"}}"#;
    if parse(&key_only, legacy, &Headers::default(), 0, Flow::Card)
        == Err(Reason::UnverifiableRequest)
    {
        passed |= 8;
    }
    // A signed, encrypted schema 2.0 event parses into the official SDK's handler shape.
    let event = r#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1","token":"t"},"event":{"message":{"message_id":"om_1"}}}"#;
    let body = format!(r#"{{"encrypt":"{}"}}"#, encrypt(event.as_bytes(), "ek", [7; 16]));
    let headers = Headers {
        signature: Some(event_signature("100", "n", "ek", body.as_bytes())),
        timestamp: Some("100".into()),
        nonce: Some("n".into()),
        content_type: None,
    };
    let config = WebhookConfig::new().encrypt_key("ek").verification_token("t");
    if let Ok(Inbound::Event(e)) = parse(&config, body.as_bytes(), &headers, 100, Flow::Event) {
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
