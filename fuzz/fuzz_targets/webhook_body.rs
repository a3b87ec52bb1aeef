//! Any bytes and any header values as an event or card request: must return a reason or an
//! inbound, never panic, and never let an unauthenticated event through (the fuzzer cannot
//! forge a SHA-256 signature, so with an encrypt key no event may pass; with no key, none may).
#![no_main]
use feishu_edge::webhook::{parse, Flow, Headers, Inbound, WebhookConfig};
use feishu_edge::crypto::{now, RustCrypto};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte picks the header shape; the rest splits into header values and the body.
    let (selector, rest) = data.split_first().unwrap_or((&0, &[]));
    let cut = rest.len().min(usize::from(*selector) % 48);
    let (head, body) = rest.split_at(cut);
    let head = String::from_utf8_lossy(head);
    let mut parts = head.split('|');
    let headers = Headers {
        timestamp: (selector & 1 != 0).then(|| parts.next().unwrap_or("").to_string()),
        nonce: (selector & 2 != 0).then(|| parts.next().unwrap_or("").to_string()),
        signature: (selector & 4 != 0).then(|| parts.next().unwrap_or("").to_string()),
        content_type: (selector & 8 != 0).then(|| parts.next().unwrap_or("").to_string()),
    };
    let keyed = WebhookConfig::new().encrypt_key("fuzz key").verification_token("fuzz token");
    let key_only = WebhookConfig::new().encrypt_key("fuzz key");
    let none = WebhookConfig::new();
    for flow in [Flow::Event, Flow::Card] {
        for config in [&keyed, &key_only, &none] {
            let r = now(parse(config, &RustCrypto, body, &headers, 1_700_000_000, flow)).expect("RustCrypto is synchronous");
            let event_passed = matches!(r, Ok(Inbound::Event(_)));
            // The one way through with `keyed` on the card flow is a SHA-1 signature with the
            // token, which the fuzzer cannot forge either.
            assert!(!event_passed, "unauthenticated event dispatched ({flow:?})");
        }
    }
});
