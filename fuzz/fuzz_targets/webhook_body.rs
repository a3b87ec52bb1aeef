//! Any bytes and any header values as an event request: must return a reason or an inbound, never panic.
#![no_main]
use feishu_edge::webhook::{parse, Flow, Headers, WebhookConfig};
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
    let open = WebhookConfig::new();
    for config in [&keyed, &open] {
        let _ = parse(config, body, &headers, 1_700_000_000, Flow::Event);
    }
});
