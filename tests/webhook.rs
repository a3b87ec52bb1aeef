//! Native tests of webhook verification, decryption, normalization and dispatch.
#![cfg(not(target_arch = "wasm32"))]

use sync::{card_signature, encrypt, event_signature};

/// The formulas with RustCrypto, synchronously (its futures are ready at once).
mod sync {
    use feishu_edge::crypto::{now, RustCrypto};
    use feishu_edge::webhook::crypto;
    pub fn encrypt(plain: &[u8], key: &str, iv: [u8; 16]) -> String {
        now(crypto::encrypt(&RustCrypto, plain, key, iv))
            .unwrap()
            .unwrap()
    }
    pub fn event_signature(ts: &str, nonce: &str, key: &str, body: &[u8]) -> String {
        now(crypto::event_signature(&RustCrypto, ts, nonce, key, body))
            .unwrap()
            .unwrap()
    }
    pub fn card_signature(ts: &str, nonce: &str, key: &str, body: &[u8]) -> String {
        now(crypto::card_signature(&RustCrypto, ts, nonce, key, body))
            .unwrap()
            .unwrap()
    }
}
use feishu_edge::webhook::dispatch::{HandlerResult, NoHandlers};
use feishu_edge::webhook::{
    Delivery, Dispatcher, Event, EventHandler, Flow, Headers, Reason, Schema, WebhookConfig,
};
use feishu_edge::{BoxFuture, MemoryStore, Runtime, TokenStore};
use futures_executor::block_on;
mod support;
use std::sync::Arc;
#[allow(unused_imports)]
use support::{Locked, Slot};

const NOW: u64 = 1_700_000_000;
const KEY: &str = "ek_test_key";
const TOKEN: &str = "vt_test_token";

struct Fixed;
impl Runtime for Fixed {
    fn now_ms(&self) -> u64 {
        NOW * 1000
    }
    fn sleep(&self, _: u64) -> BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }
    fn jitter(&self) -> f64 {
        0.0
    }
}

/// Records calls; answers with a fixed reply, or fails.
#[derive(Default)]
struct Recorder {
    seen: Arc<Locked<Vec<Event>>>,
    reply: Option<String>,
    fail: bool,
}
impl EventHandler for Recorder {
    fn handles(&self, event: &Event) -> bool {
        event.event_type != "unregistered.type"
    }
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult> {
        self.seen.borrow_mut().push(event.clone());
        let result = if self.fail {
            Err(feishu_edge::webhook::HandlerFailure::failed("boom"))
        } else {
            Ok(self.reply.clone())
        };
        Box::pin(std::future::ready(result))
    }
}

fn v2_event(event_id: &str, token: &str) -> String {
    format!(
        r#"{{"schema":"2.0","header":{{"event_id":"{event_id}","event_type":"im.message.receive_v1","create_time":"1700000000000","token":"{token}","app_id":"cli_a","tenant_key":"tk1"}},"event":{{"sender":{{"sender_id":{{"open_id":"ou_1"}}}},"message":{{"message_id":"om_1","chat_id":"oc_1","message_type":"text","content":"{{\"text\":\"hi\"}}"}}}}}}"#
    )
}

fn sealed(plain: &str) -> String {
    format!(
        r#"{{"encrypt":"{}"}}"#,
        encrypt(plain.as_bytes(), KEY, [9; 16])
    )
}

fn signed(body: &str, ts: u64) -> Headers {
    let ts = ts.to_string();
    Headers {
        signature: Some(event_signature(&ts, "nonce-1", KEY, body.as_bytes())),
        timestamp: Some(ts),
        nonce: Some("nonce-1".into()),
        content_type: Some("application/json; charset=utf-8".into()),
    }
}

fn config() -> WebhookConfig {
    WebhookConfig::new()
        .encrypt_key(KEY)
        .verification_token(TOKEN)
}

fn dispatcher(flow: Flow) -> Dispatcher {
    Dispatcher::new(config(), flow, Arc::new(Fixed)).unwrap()
}

#[test]
fn encrypted_signed_v2_event_dispatches_with_the_official_sdk_shape() {
    let body = sealed(&v2_event("ev1", TOKEN));
    let h = Recorder::default();
    let reply = block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Reply,
    ));
    assert_eq!(
        (
            reply.status,
            reply.body.as_str(),
            reply.event_type.as_deref()
        ),
        (200, "{}", Some("im.message.receive_v1"))
    );
    let seen = h.seen.borrow();
    let e = &seen[0];
    assert_eq!(
        (e.schema, e.event_id.as_deref(), e.tenant_key.as_deref()),
        (Schema::V2, Some("ev1"), Some("tk1"))
    );
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
    // Object.assign({event_type}, rest, header, event) as in @larksuiteoapi/node-sdk.
    assert_eq!(payload["event_type"], "im.message.receive_v1");
    assert_eq!(payload["schema"], "2.0");
    assert_eq!(payload["event_id"], "ev1");
    assert_eq!(payload["tenant_key"], "tk1");
    assert_eq!(payload["message"]["message_id"], "om_1");
    assert_eq!(payload["sender"]["sender_id"]["open_id"], "ou_1");
    assert!(payload.get("header").is_none() && payload.get("event").is_none());
}

#[test]
fn duplicate_event_ids_are_acknowledged_not_dispatched() {
    let clock: Arc<dyn Runtime> = Arc::new(Fixed);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(clock.clone()));
    let d = Dispatcher::new(config(), Flow::Event, clock)
        .unwrap()
        .dedupe(store.clone());
    let h = Recorder::default();
    let body = sealed(&v2_event("ev-dup", TOKEN));
    let first = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    let again = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!(
        (first.duplicate, again.duplicate, again.status),
        (false, true, 200)
    );
    assert_eq!(h.seen.borrow().len(), 1);
    assert!(block_on(store.get("feishu-edge:event:cli_a:2.0:ev-dup"))
        .unwrap()
        .is_some());
}

#[test]
fn v1_events_get_the_official_sdk_shape() {
    let plain = format!(
        r#"{{"uuid":"u-1","token":"{TOKEN}","ts":"1700000000.1","type":"event_callback","event":{{"type":"message","text":"hi","tenant_key":"tk"}}}}"#
    );
    let body = sealed(&plain);
    let h = Recorder::default();
    let reply = block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Reply,
    ));
    assert_eq!(reply.status, 200);
    let e = &h.seen.borrow()[0];
    assert_eq!(
        (e.schema, e.event_type.as_str(), e.event_id.as_deref()),
        (Schema::V1, "message", Some("u-1"))
    );
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
    // Object.assign({event_type: event.type}, event, rest): rest's `type` wins, as in the official SDK.
    assert_eq!(
        (
            payload["event_type"].as_str(),
            payload["type"].as_str(),
            payload["text"].as_str()
        ),
        (Some("message"), Some("event_callback"), Some("hi"))
    );
}

#[test]
fn challenges_plain_and_encrypted_need_the_token() {
    let d = dispatcher(Flow::Event);
    let plain = format!(r#"{{"challenge":"ch-1","token":"{TOKEN}","type":"url_verification"}}"#);
    // Plain and unsigned (the platform may send the challenge without signature headers).
    let cfg_token_only = Dispatcher::new(
        WebhookConfig::new().verification_token(TOKEN),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let r = block_on(cfg_token_only.invoke(
        plain.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"challenge":"ch-1"}"#)
    );
    let body = sealed(&plain);
    let r = block_on(d.invoke(
        body.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"challenge":"ch-1"}"#)
    );
    let wrong = sealed(r#"{"challenge":"ch-1","token":"nope","type":"url_verification"}"#);
    let r = block_on(d.invoke(
        wrong.as_bytes(),
        &signed(&wrong, NOW),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!((r.status, r.reason), (401, Some(Reason::TokenMismatch)));
    // Unsigned, everything but a correct challenge is one answer (no padding oracle).
    let r = block_on(d.invoke(
        wrong.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!((r.status, r.reason), (401, Some(Reason::MissingSignature)));
    // The protocol's encrypted challenge vector.
    let vector = r#"{"encrypt":"tT1xP+ovuc0T3b/rnZX3ax76exqAn0ANQ6/U45GcciC0mgNBc8JtvqOJGNAPMKpgRs2dVU1NYk9VDeqS8T4SYtU0hzNU54aS84WnxvZ3VFfDcy/RyABlNqlUiGyLDzFI0yxdCMT4KR/YEQXlt6nZi50KwRlZ+A75r645KesZuLMljezYyY8VeeXEVjPw35+e"}"#;
    let d = Dispatcher::new(
        WebhookConfig::new()
            .encrypt_key("mazhe.nerd")
            .verification_token("iRdCP2WwXNBXRM3mGLqhrgch3cn0gbT6"),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let r = block_on(d.invoke(
        vector.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(
        r.body,
        r#"{"challenge":"5634b122-c042-4634-bc7f-b07a3c3e77ad"}"#
    );
}

#[test]
fn legacy_card_callbacks_use_sha1_and_return_the_handler_reply() {
    let d = Dispatcher::new(
        WebhookConfig::new().verification_token(TOKEN),
        Flow::Card,
        Arc::new(Fixed),
    )
    .unwrap();
    let body = r#"{"open_id":"ou_x","open_message_id":"om_1","token":"c-123","action":{"tag":"button","value":{"k":"v"}}}"#;
    let ts = NOW.to_string();
    let headers = Headers {
        signature: Some(card_signature(&ts, "n", TOKEN, body.as_bytes())),
        timestamp: Some(ts),
        nonce: Some("n".into()),
        content_type: None,
    };
    let h = Recorder {
        reply: Some(r#"{"toast":{"type":"success","content":"ok"}}"#.into()),
        ..Default::default()
    };
    let r = block_on(d.invoke(body.as_bytes(), &headers, &h, Delivery::Reply));
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"toast":{"type":"success","content":"ok"}}"#)
    );
    assert_eq!(h.seen.borrow()[0].schema, Schema::LegacyCard);
    let tampered = body.replace("\"v\"", "\"w\"");
    let r = block_on(d.invoke(tampered.as_bytes(), &headers, &h, Delivery::Reply));
    assert_eq!(r.reason, Some(Reason::SignatureMismatch));
    let r = block_on(d.invoke(body.as_bytes(), &Headers::default(), &h, Delivery::Reply));
    assert_eq!(
        r.reason,
        Some(Reason::MissingSignature),
        "an unsigned legacy callback is refused"
    );
}

#[test]
fn v2_card_action_reply_is_the_handler_answer_even_with_defer() {
    let plain = format!(
        r#"{{"schema":"2.0","header":{{"event_id":"c1","event_type":"card.action.trigger","token":"{TOKEN}"}},"event":{{"action":{{"value":{{"a":1}}}}}}}}"#
    );
    let body = sealed(&plain);
    let h = Recorder {
        reply: Some(r#"{"toast":{"type":"info","content":"hi"}}"#.into()),
        ..Default::default()
    };
    let deferred = Locked::new(0);
    let defer = |_f: BoxFuture<'static, ()>| *deferred.borrow_mut() += 1;
    let r = block_on(dispatcher(Flow::Card).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Defer(&defer),
    ));
    assert_eq!(
        (r.status, r.body.as_str(), *deferred.borrow()),
        (200, r#"{"toast":{"type":"info","content":"hi"}}"#, 0)
    );
}

#[test]
fn events_are_deferred_when_asked_and_failures_are_500() {
    let body = sealed(&v2_event("ev-d", TOKEN));
    let pending = Locked::new(Vec::new());
    let defer = |f: BoxFuture<'static, ()>| pending.borrow_mut().push(f);
    let h = Recorder {
        fail: true,
        ..Default::default()
    };
    let r = block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Defer(&defer),
    ));
    assert_eq!(
        (r.status, pending.borrow().len()),
        (200, 1),
        "acknowledged at once, handler deferred"
    );
    for f in pending.borrow_mut().drain(..) {
        block_on(f); // a failing deferred handler is logged, not propagated
    }
    let r = block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Reply,
    ));
    assert_eq!((r.status, r.reason), (500, Some(Reason::HandlerFailed)));
    assert!(r.body.contains("handler_failed"));
}

#[test]
fn unregistered_types_are_acknowledged_without_dispatch() {
    let plain = format!(
        r#"{{"schema":"2.0","header":{{"event_id":"x","event_type":"unregistered.type","token":"{TOKEN}"}},"event":{{}}}}"#
    );
    let body = sealed(&plain);
    let h = Recorder::default();
    let r = block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Reply,
    ));
    assert_eq!(
        (r.status, r.body.as_str(), h.seen.borrow().len()),
        (200, "{}", 0)
    );
}

/// Every kind of bad input: status and stable reason, nothing dispatched.
#[test]
fn bad_input_table() {
    let good_plain = v2_event("ev-bad", TOKEN);
    let good = sealed(&good_plain);
    let sig = |body: &str| signed(body, NOW);
    let with = |f: &dyn Fn(&mut Headers)| {
        let mut h = sig(&good);
        f(&mut h);
        h
    };
    let bad_padding = {
        // A valid length, decrypted with the right key but corrupted in the last block.
        let mut raw = base64_decode(&encrypt(good_plain.as_bytes(), KEY, [3; 16]));
        let n = raw.len();
        raw[n - 1] ^= 0xff;
        format!(r#"{{"encrypt":"{}"}}"#, base64_encode(&raw))
    };
    let cases: Vec<(&str, String, Headers, u16, Reason)> = vec![
        ("empty body", String::new(), sig(""), 400, Reason::EmptyBody),
        (
            "whitespace body",
            "   \n".into(),
            sig("   \n"),
            400,
            Reason::EmptyBody,
        ),
        (
            "not JSON",
            "hello".into(),
            sig("hello"),
            400,
            Reason::InvalidJson,
        ),
        (
            "JSON array",
            "[1,2]".into(),
            sig("[1,2]"),
            400,
            Reason::InvalidJson,
        ),
        (
            "JSON string",
            "\"x\"".into(),
            sig("\"x\""),
            400,
            Reason::InvalidJson,
        ),
        (
            "truncated JSON",
            "{\"encrypt\":\"abc".into(),
            sig("{\"encrypt\":\"abc"),
            400,
            Reason::InvalidJson,
        ),
        (
            "too deep",
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
            sig(&format!("{}{}", "[".repeat(200), "]".repeat(200))),
            400,
            Reason::JsonTooDeep,
        ),
        (
            "wrong content type",
            good.clone(),
            with(&|h| h.content_type = Some("text/plain".into())),
            415,
            Reason::UnsupportedContentType,
        ),
        (
            "form content type",
            good.clone(),
            with(&|h| h.content_type = Some("application/x-www-form-urlencoded".into())),
            415,
            Reason::UnsupportedContentType,
        ),
        (
            "missing all signature headers",
            good.clone(),
            Headers::default(),
            401,
            Reason::MissingSignature,
        ),
        (
            "missing signature",
            good.clone(),
            with(&|h| h.signature = None),
            401,
            Reason::MissingSignature,
        ),
        (
            "missing nonce",
            good.clone(),
            with(&|h| h.nonce = None),
            401,
            Reason::MissingSignature,
        ),
        (
            "missing timestamp",
            good.clone(),
            with(&|h| h.timestamp = None),
            401,
            Reason::MissingSignature,
        ),
        (
            "timestamp not a number",
            good.clone(),
            with(&|h| h.timestamp = Some("yesterday".into())),
            400,
            Reason::InvalidTimestamp,
        ),
        (
            "negative timestamp",
            good.clone(),
            with(&|h| h.timestamp = Some("-5".into())),
            400,
            Reason::InvalidTimestamp,
        ),
        (
            "stale timestamp",
            good.clone(),
            signed(&good, NOW - 301),
            401,
            Reason::StaleTimestamp,
        ),
        (
            "future timestamp",
            good.clone(),
            signed(&good, NOW + 301),
            401,
            Reason::StaleTimestamp,
        ),
        (
            "wrong signature",
            good.clone(),
            with(&|h| h.signature = Some("0".repeat(64))),
            401,
            Reason::SignatureMismatch,
        ),
        (
            "short signature",
            good.clone(),
            with(&|h| h.signature = Some("abc".into())),
            401,
            Reason::SignatureMismatch,
        ),
        (
            "signature for another nonce",
            good.clone(),
            with(&|h| h.nonce = Some("other".into())),
            401,
            Reason::SignatureMismatch,
        ),
        (
            "tampered body",
            good.replace("\"}", "A\"}"),
            sig(&good),
            401,
            Reason::SignatureMismatch,
        ),
        (
            "bad base64",
            r#"{"encrypt":"!!!not base64!!!"}"#.into(),
            sig(r#"{"encrypt":"!!!not base64!!!"}"#),
            400,
            Reason::InvalidBase64,
        ),
        (
            "encrypt not a string",
            r#"{"encrypt":42}"#.into(),
            sig(r#"{"encrypt":42}"#),
            400,
            Reason::InvalidJson,
        ),
        (
            "ciphertext too short",
            r#"{"encrypt":"AAAAAAAAAAAAAAAAAAAAAA=="}"#.into(),
            sig(r#"{"encrypt":"AAAAAAAAAAAAAAAAAAAAAA=="}"#),
            400,
            Reason::InvalidCiphertext,
        ),
        (
            "ciphertext not block aligned",
            format!(r#"{{"encrypt":"{}"}}"#, base64_encode(&[7; 37])),
            sig(&format!(r#"{{"encrypt":"{}"}}"#, base64_encode(&[7; 37]))),
            400,
            Reason::InvalidCiphertext,
        ),
        (
            "unsigned bad padding (no oracle)",
            bad_padding.clone(),
            Headers::default(),
            401,
            Reason::MissingSignature,
        ),
        (
            "unsigned wrong key (no oracle)",
            sealed_with("other key", &good_plain),
            Headers::default(),
            401,
            Reason::MissingSignature,
        ),
        (
            "bad padding",
            bad_padding.clone(),
            sig(&bad_padding),
            400,
            Reason::DecryptionFailed,
        ),
        (
            "wrong key",
            sealed_with("other key", &good_plain),
            sig(&sealed_with("other key", &good_plain)),
            400,
            Reason::DecryptionFailed,
        ),
        (
            "invalid UTF-8 inside",
            sealed_bytes(&[0xff, 0xfe, b'{', b'}']),
            sig(&sealed_bytes(&[0xff, 0xfe, b'{', b'}'])),
            400,
            Reason::InvalidPlaintext,
        ),
        (
            "not JSON inside",
            sealed("hello world"),
            sig(&sealed("hello world")),
            400,
            Reason::InvalidPlaintext,
        ),
        (
            "too deep inside",
            sealed(&"[".repeat(100)),
            sig(&sealed(&"[".repeat(100))),
            400,
            Reason::JsonTooDeep,
        ),
        (
            "wrong token",
            sealed(&v2_event("e", "nope")),
            sig(&sealed(&v2_event("e", "nope"))),
            401,
            Reason::TokenMismatch,
        ),
        (
            "missing token",
            sealed(r#"{"schema":"2.0","header":{"event_type":"x"},"event":{}}"#),
            sig(&sealed(
                r#"{"schema":"2.0","header":{"event_type":"x"},"event":{}}"#,
            )),
            401,
            Reason::MissingToken,
        ),
        (
            "schema without header",
            sealed(r#"{"schema":"2.0"}"#),
            sig(&sealed(r#"{"schema":"2.0"}"#)),
            400,
            Reason::UnknownEventShape,
        ),
        (
            "header without event_type",
            sealed(r#"{"schema":"2.0","header":{"token":"vt_test_token"}}"#),
            sig(&sealed(
                r#"{"schema":"2.0","header":{"token":"vt_test_token"}}"#,
            )),
            400,
            Reason::UnknownEventShape,
        ),
        (
            "unknown shape",
            sealed(r#"{"hello":"world"}"#),
            sig(&sealed(r#"{"hello":"world"}"#)),
            400,
            Reason::UnknownEventShape,
        ),
        (
            "challenge without challenge",
            sealed(r#"{"type":"url_verification","token":"vt_test_token"}"#),
            sig(&sealed(
                r#"{"type":"url_verification","token":"vt_test_token"}"#,
            )),
            400,
            Reason::UnknownEventShape,
        ),
        (
            "unsigned plain event",
            v2_event("e", TOKEN),
            Headers::default(),
            401,
            Reason::MissingSignature,
        ),
        (
            "body over the limit",
            format!("{{\"x\":\"{}\"}}", "a".repeat(1 << 20)),
            Headers::default(),
            413,
            Reason::BodyTooLarge,
        ),
        (
            "invalid UTF-8 body",
            String::from_utf8_lossy(&[b'{', 0xc3, b'}']).into_owned(),
            Headers::default(),
            400,
            Reason::InvalidJson,
        ),
    ];
    assert!(cases.len() >= 30);
    let d = dispatcher(Flow::Event);
    for (name, body, headers, status, reason) in cases {
        let h = Recorder::default();
        let r = block_on(d.invoke(body.as_bytes(), &headers, &h, Delivery::Reply));
        assert_eq!((r.status, r.reason), (status, Some(reason)), "{name}");
        assert!(r.body.contains(reason.as_str()), "{name}: {}", r.body);
        assert!(h.seen.borrow().is_empty(), "{name}: dispatched");
    }
    // Raw invalid UTF-8 bytes (not lossily converted).
    let r = block_on(d.invoke(
        &[b'{', 0xc3, 0x28, b'}'],
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(r.reason, Some(Reason::InvalidUtf8));
    // An encrypted body with no key configured.
    let no_key = Dispatcher::new(
        WebhookConfig::new().verification_token(TOKEN),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let r = block_on(no_key.invoke(
        good.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(r.reason, Some(Reason::EncryptedButNoKey));
}

fn sealed_with(key: &str, plain: &str) -> String {
    format!(
        r#"{{"encrypt":"{}"}}"#,
        encrypt(plain.as_bytes(), key, [5; 16])
    )
}
fn sealed_bytes(plain: &[u8]) -> String {
    format!(r#"{{"encrypt":"{}"}}"#, encrypt(plain, KEY, [6; 16]))
}
fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

// ---- Issue 9: the trust model fails closed; claim → handle → commit; queues. ----

/// A handler that fails its first `fail_first` calls, then succeeds; counts both.
#[derive(Default)]
struct Flaky {
    fail_first: usize,
    calls: Arc<Slot<usize>>,
    successes: Arc<Slot<usize>>,
}
impl EventHandler for Flaky {
    fn handles(&self, _: &Event) -> bool {
        true
    }
    fn call(&self, _: &Event) -> BoxFuture<'static, HandlerResult> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if n <= self.fail_first {
            return Box::pin(std::future::ready(Err(
                feishu_edge::webhook::HandlerFailure::failed("not yet"),
            )));
        }
        self.successes.set(self.successes.get() + 1);
        Box::pin(std::future::ready(Ok(None)))
    }
}

#[test]
fn neither_key_is_refused_unless_unverified_is_allowed() {
    // A card request URL is HTTP only: refused at construction.
    let err = Dispatcher::new(WebhookConfig::new(), Flow::Card, Arc::new(Fixed))
        .err()
        .expect("refused");
    assert_eq!(err.kind(), "config");
    assert!(err.to_string().contains("allowUnverified"), "{err}");
    // An event dispatcher may serve the long connection, so it constructs, and refuses every
    // HTTP request, signed or not, without running a handler.
    let keyless = Dispatcher::new(WebhookConfig::new(), Flow::Event, Arc::new(Fixed)).unwrap();
    let h = Recorder::default();
    for body in [v2_event("e", TOKEN), sealed(&v2_event("e", TOKEN))] {
        let r = block_on(keyless.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
        assert_eq!((r.status, r.reason), (500, Some(Reason::NoKeys)));
    }
    assert!(h.seen.borrow().is_empty());
    let open = Dispatcher::new(
        WebhookConfig::new().allow_unverified(true),
        Flow::Card,
        Arc::new(Fixed),
    )
    .unwrap();
    let h = Recorder::default();
    let body = r#"{"open_id":"ou_x","action":{"tag":"button","value":{"cmd":"approve"}}}"#;
    let r = block_on(open.invoke(body.as_bytes(), &Headers::default(), &h, Delivery::Reply));
    assert_eq!(
        r.status, 200,
        "allowUnverified accepts anything, as documented"
    );
}

#[test]
fn an_unsigned_card_callback_never_reaches_the_handler_with_only_an_encrypt_key() {
    let d = Dispatcher::new(
        WebhookConfig::new().encrypt_key(KEY),
        Flow::Card,
        Arc::new(Fixed),
    )
    .unwrap();
    let h = Recorder::default();
    let legacy = r#"{"open_id":"ou_x","action":{"tag":"button","value":{"cmd":"approve"}}}"#;
    let v1 = r#"{"uuid":"u1","token":"x","ts":"1","type":"event_callback","event":{"type":"app_ticket","app_id":"cli_a","app_ticket":"forged"}}"#.to_string();
    for body in [legacy.to_string(), v1] {
        let r = block_on(d.invoke(body.as_bytes(), &Headers::default(), &h, Delivery::Reply));
        assert_eq!(
            (r.status, r.reason),
            (401, Some(Reason::UnverifiableRequest)),
            "{body}"
        );
        // Signed with SHA-1 over anything: no configured secret made that signature, and it
        // is refused before the body is parsed.
        let sig = card_signature("1700000000", "n", "", body.as_bytes());
        let headers = Headers {
            timestamp: Some("1700000000".into()),
            nonce: Some("n".into()),
            signature: Some(sig),
            content_type: None,
        };
        let r = block_on(d.invoke(body.as_bytes(), &headers, &h, Delivery::Reply));
        assert_eq!(r.reason, Some(Reason::SignatureMismatch));
    }
    assert!(h.seen.borrow().is_empty());
    // An unsigned, unencrypted v2 event on the event URL: refused too.
    let d = Dispatcher::new(
        WebhookConfig::new().encrypt_key(KEY),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let plain = v2_event("ev-u", "anything");
    let r = block_on(d.invoke(plain.as_bytes(), &Headers::default(), &h, Delivery::Reply));
    assert_eq!(r.reason, Some(Reason::MissingSignature));
    // An unsigned plain challenge proves nothing when no token is configured.
    let c = r#"{"challenge":"c","type":"url_verification"}"#;
    let r = block_on(d.invoke(c.as_bytes(), &Headers::default(), &h, Delivery::Reply));
    assert_eq!(r.reason, Some(Reason::MissingSignature));
    let sealed_challenge = sealed(c);
    let r = block_on(d.invoke(
        sealed_challenge.as_bytes(),
        &Headers::default(),
        &h,
        Delivery::Reply,
    ));
    assert_eq!(
        r.status, 200,
        "an encrypted challenge decrypted with the key"
    );
    assert!(h.seen.borrow().is_empty());
}

#[test]
fn a_failed_event_is_handled_on_the_platforms_retry_and_then_never_again() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(Arc::new(Fixed)));
    let d = dispatcher(Flow::Event).dedupe(store);
    let h = Flaky {
        fail_first: 1,
        ..Default::default()
    };
    let body = sealed(&v2_event("ev-retry", TOKEN));
    let first = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!(
        (first.status, first.reason),
        (500, Some(Reason::HandlerFailed))
    );
    let retry = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!((retry.status, retry.duplicate), (200, false));
    let late = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!((late.status, late.duplicate), (200, true));
    assert_eq!((h.calls.get(), h.successes.get()), (2, 1));
}

#[test]
fn a_deferred_failure_releases_the_claim() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(Arc::new(Fixed)));
    let d = dispatcher(Flow::Event).dedupe(store);
    let h = Flaky {
        fail_first: 1,
        ..Default::default()
    };
    let body = sealed(&v2_event("ev-defer", TOKEN));
    let pending = Locked::new(Vec::new());
    let defer = |f: BoxFuture<'static, ()>| pending.borrow_mut().push(f);
    let r = block_on(d.invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Defer(&defer),
    ));
    assert_eq!(r.status, 200);
    // While the deferred handler has not finished, a second delivery is told to retry later.
    let busy = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!(
        (busy.status, busy.reason),
        (503, Some(Reason::EventInProgress))
    );
    for f in pending.borrow_mut().drain(..) {
        block_on(f);
    }
    let retry = block_on(d.invoke(body.as_bytes(), &signed(&body, NOW), &h, Delivery::Reply));
    assert_eq!((retry.status, retry.duplicate), (200, false));
    assert_eq!(h.successes.get(), 1);
}

/// Wraps a store with a delay before each answer (real threads sleep: concurrency is real).
struct Slow<S>(S, u64);
impl<S: TokenStore> TokenStore for Slow<S> {
    fn get(&self, key: &str) -> BoxFuture<'_, feishu_edge::Result<Option<String>>> {
        let (f, ms) = (self.0.get(key), self.1);
        Box::pin(async move {
            feishu_edge::runtime::StdRuntime.sleep(ms).await;
            f.await
        })
    }
    fn put(&self, k: &str, v: &str, t: Option<u64>) -> BoxFuture<'_, feishu_edge::Result<()>> {
        let (f, ms) = (self.0.put(k, v, t), self.1);
        Box::pin(async move {
            feishu_edge::runtime::StdRuntime.sleep(ms).await;
            f.await
        })
    }
    fn delete(&self, key: &str) -> BoxFuture<'_, feishu_edge::Result<()>> {
        self.0.delete(key)
    }
    fn put_if_absent(
        &self,
        k: &str,
        v: &str,
        t: Option<u64>,
    ) -> BoxFuture<'_, feishu_edge::Result<bool>> {
        let (f, ms) = (self.0.put_if_absent(k, v, t), self.1);
        Box::pin(async move {
            feishu_edge::runtime::StdRuntime.sleep(ms).await;
            f.await
        })
    }
    fn atomic(&self) -> bool {
        self.0.atomic()
    }
}

#[test]
fn five_concurrent_deliveries_through_three_dispatchers_dispatch_once() {
    let store: Arc<dyn TokenStore> = Arc::new(Slow(MemoryStore::new(Arc::new(Fixed)), 50));
    // The real clock: store calls race their deadline for real.
    let rt: Arc<dyn Runtime> = Arc::new(feishu_edge::runtime::StdRuntime);
    let ds: Vec<Dispatcher> = (0..3)
        .map(|_| {
            Dispatcher::new(config(), Flow::Event, rt.clone())
                .unwrap()
                .dedupe(store.clone())
        })
        .collect();
    let h = Flaky::default();
    let body = sealed(&v2_event("ev-conc", TOKEN));
    let headers = signed(&body, rt.now_ms() / 1000);
    let replies =
        block_on(futures_util::future::join_all((0..5).map(|i| {
            ds[i % 3].invoke(body.as_bytes(), &headers, &h, Delivery::Reply)
        })));
    assert_eq!(h.calls.get(), 1, "{replies:?}");
    assert!(replies
        .iter()
        .all(|r| r.status == 200 || r.reason == Some(Reason::EventInProgress)));
}

/// A store that never answers.
struct Hanging;
impl TokenStore for Hanging {
    fn get(&self, _: &str) -> BoxFuture<'_, feishu_edge::Result<Option<String>>> {
        Box::pin(std::future::pending())
    }
    fn put(&self, _: &str, _: &str, _: Option<u64>) -> BoxFuture<'_, feishu_edge::Result<()>> {
        Box::pin(std::future::pending())
    }
    fn delete(&self, _: &str) -> BoxFuture<'_, feishu_edge::Result<()>> {
        Box::pin(std::future::pending())
    }
}

#[test]
fn a_hanging_store_fails_open_and_never_hangs_the_reply() {
    let mut config = config();
    config.store_timeout_ms = 100;
    let d = Dispatcher::new(
        config,
        Flow::Event,
        Arc::new(feishu_edge::runtime::StdRuntime),
    )
    .unwrap()
    .dedupe(Arc::new(Hanging));
    let h = Flaky::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = sealed(&v2_event("ev-hang", TOKEN));
    let started = std::time::Instant::now();
    let r = block_on(d.invoke(body.as_bytes(), &signed(&body, now), &h, Delivery::Reply));
    assert_eq!(r.status, 200);
    assert_eq!(h.successes.get(), 1, "handled unguarded");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

struct VecQueue(Arc<Locked<Vec<String>>>, bool);
impl feishu_edge::webhook::EventQueue for VecQueue {
    fn send(&self, message: String) -> BoxFuture<'static, Result<(), String>> {
        let result = if self.1 {
            Err("queue unavailable".to_string())
        } else {
            self.0.borrow_mut().push(message);
            Ok(())
        };
        Box::pin(std::future::ready(result))
    }
}

#[test]
fn queued_events_are_acknowledged_then_consumed_with_retries() {
    use feishu_edge::webhook::Consumed;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(Arc::new(Fixed)));
    let d = dispatcher(Flow::Event).dedupe(store);
    let h = Flaky {
        fail_first: 1,
        ..Default::default()
    };
    let body = sealed(&v2_event("ev-q", TOKEN));
    let sent = Arc::new(Locked::new(Vec::new()));
    let q = VecQueue(sent.clone(), false);
    let r = block_on(d.invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Enqueue(&q),
    ));
    assert_eq!(
        (r.status, h.calls.get()),
        (200, 0),
        "acknowledged, not yet handled"
    );
    let message = sent.borrow()[0].clone();
    assert!(message.contains(r#""eventId":"ev-q""#), "{message}");
    assert_eq!(block_on(d.consume(&message, &h)), Consumed::Retry);
    assert_eq!(block_on(d.consume(&message, &h)), Consumed::Ack);
    assert_eq!(
        block_on(d.consume(&message, &h)),
        Consumed::Ack,
        "duplicate"
    );
    assert_eq!((h.calls.get(), h.successes.get()), (2, 1));
    // The handler sees the same payload as a direct delivery.
    let rec = Recorder::default();
    block_on(d.consume(&message.replace("ev-q", "ev-q2"), &rec));
    assert!(rec.seen.borrow()[0]
        .payload
        .contains(r#""message_id":"om_1""#));
    // A queue that refuses: the platform is told to retry.
    let down = VecQueue(sent, true);
    let r = block_on(d.invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &h,
        Delivery::Enqueue(&down),
    ));
    assert_eq!((r.status, r.reason), (503, Some(Reason::QueueFailed)));
    // Garbage on the queue is left for retry (a dead-letter queue keeps it), not run.
    assert_eq!(block_on(d.consume("{\"nope\":1}", &h)), Consumed::Retry);
}

/// Issue 15, N4: with only an encrypt key, an unsigned body that wraps a captured event
/// ciphertext in a forged `url_verification` is refused: only the decrypted plaintext says
/// what a request is.
#[test]
fn a_replayed_ciphertext_cannot_carry_a_forged_challenge() {
    let key_only = Dispatcher::new(
        WebhookConfig::new().encrypt_key(KEY),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let captured = encrypt(v2_event("ev-cap", TOKEN).as_bytes(), KEY, [3; 16]);
    let forged = format!(
        r#"{{"encrypt":"{captured}","type":"url_verification","challenge":"ATTACKER-CHOSEN"}}"#
    );
    let r = block_on(key_only.invoke(
        forged.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!((r.status, r.reason), (401, Some(Reason::MissingSignature)));
    assert!(!r.body.contains("ATTACKER"));
    // Signed, the same extra fields are ignored: the decrypted event is what is dispatched.
    let h = Recorder::default();
    let r = block_on(key_only.invoke(
        forged.as_bytes(),
        &signed(&forged, NOW),
        &h,
        Delivery::Reply,
    ));
    assert_eq!(
        (r.status, r.event_type.as_deref()),
        (200, Some("im.message.receive_v1"))
    );
    assert_eq!(h.seen.borrow().len(), 1);
    // A real encrypted challenge, unsigned, is still answered.
    let challenge = sealed(r#"{"challenge":"c-ok","type":"url_verification"}"#);
    let r = block_on(key_only.invoke(
        challenge.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"challenge":"c-ok"}"#)
    );
    // With a token configured, the decrypted challenge must carry it.
    let wrong = sealed(r#"{"challenge":"c","type":"url_verification","token":"nope"}"#);
    let r = block_on(dispatcher(Flow::Event).invoke(
        wrong.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(r.status, 401);
}

/// Issue 15, N8: with an encrypt key, an unsigned body larger than a challenge is refused
/// before it is parsed, and a wrongly signed one before it is parsed or decrypted.
#[test]
fn unauthenticated_bodies_are_refused_before_parsing() {
    use feishu_edge::webhook::MAX_UNSIGNED_BYTES;
    let d = dispatcher(Flow::Event);
    // Not even JSON: a parse would say invalid_json; the refusal comes first.
    let junk = format!("{{{}", " ".repeat(MAX_UNSIGNED_BYTES));
    let r = block_on(d.invoke(
        junk.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(r.reason, Some(Reason::MissingSignature));
    let mut forged = signed(&junk, NOW);
    forged.signature = Some("0".repeat(64));
    let r = block_on(d.invoke(junk.as_bytes(), &forged, &NoHandlers, Delivery::Reply));
    assert_eq!(r.reason, Some(Reason::SignatureMismatch));
    // A small unsigned body is still read (it may be a challenge).
    let r = block_on(d.invoke(b"{", &Headers::default(), &NoHandlers, Delivery::Reply));
    assert_eq!(r.reason, Some(Reason::InvalidJson));
    // Token-only configurations read the body: the token inside is their check.
    let token_only = Dispatcher::new(
        WebhookConfig::new().verification_token(TOKEN),
        Flow::Event,
        Arc::new(Fixed),
    )
    .unwrap();
    let r = block_on(token_only.invoke(
        junk.as_bytes(),
        &Headers::default(),
        &NoHandlers,
        Delivery::Reply,
    ));
    assert_eq!(r.reason, Some(Reason::InvalidJson));
}

/// Issue 15, N11: de-duplication keys are scoped by app and by schema.
#[test]
fn dedupe_keys_are_scoped_by_app_and_schema() {
    let clock: Arc<dyn Runtime> = Arc::new(Fixed);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new(clock.clone()));
    let make = |app: &str| {
        Dispatcher::new(config().app_id(app), Flow::Event, clock.clone())
            .unwrap()
            .dedupe(store.clone())
    };
    let (a, b) = (make("cli_a"), make("cli_b"));
    let h = Recorder::default();
    // Two apps, the same event id: both handled.
    let ev_a = sealed(&v2_event("ev-same", TOKEN));
    let ev_b = sealed(&v2_event("ev-same", TOKEN).replace("cli_a", "cli_b"));
    for (d, body) in [(&a, &ev_a), (&b, &ev_b)] {
        let r = block_on(d.invoke(body.as_bytes(), &signed(body, NOW), &h, Delivery::Reply));
        assert_eq!((r.status, r.duplicate), (200, false));
    }
    // A schema 1.0 uuid equal to a 2.0 event id: handled too (the app id from the config).
    let v1 = sealed(&format!(
        r#"{{"uuid":"ev-same","token":"{TOKEN}","ts":"1","type":"event_callback","event":{{"type":"message"}}}}"#
    ));
    let r = block_on(a.invoke(v1.as_bytes(), &signed(&v1, NOW), &h, Delivery::Reply));
    assert_eq!((r.status, r.duplicate), (200, false));
    assert_eq!(h.seen.borrow().len(), 3);
    for key in [
        "feishu-edge:event:cli_a:2.0:ev-same",
        "feishu-edge:event:cli_b:2.0:ev-same",
        "feishu-edge:event:cli_a:1.0:ev-same",
    ] {
        assert!(block_on(store.get(key)).unwrap().is_some(), "{key}");
    }
}

/// Issue 15, N10: an encrypt key given blank is a warning naming the weaker mode.
#[test]
fn a_blank_encrypt_key_is_warned_about_once() {
    struct Lines(Locked<Vec<String>>);
    impl feishu_edge::Logger for Lines {
        fn log(&self, _: feishu_edge::Level, message: &str) {
            self.0.borrow_mut().push(message.to_string());
        }
        fn enabled(&self, _: feishu_edge::Level) -> bool {
            true
        }
    }
    let lines = Arc::new(Lines(Locked::new(Vec::new())));
    let config = feishu_edge::webhook::WebhookOptions::config_from_json(
        r#"{"encryptKey":null,"verificationToken":"vt"}"#,
    )
    .unwrap();
    let _d = Dispatcher::new(config, Flow::Event, Arc::new(Fixed))
        .unwrap()
        .logger(lines.clone());
    let seen = lines.0.borrow();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].contains("verification token only"), "{}", seen[0]);
    drop(seen);
    let quiet =
        feishu_edge::webhook::WebhookOptions::config_from_json(r#"{"verificationToken":"vt"}"#)
            .unwrap();
    assert!(quiet.blank_key_warning().is_none());
}

/// Issue 16: events over the long connection go through the same dispatcher, with the same
/// handler data, de-duplicated by the fallback store when the dispatcher has none.
#[test]
fn trusted_deliveries_share_the_pipeline() {
    use feishu_edge::webhook::Dedupe;
    let clock: Arc<dyn Runtime> = Arc::new(Fixed);
    let keyless = Dispatcher::new(WebhookConfig::new(), Flow::Event, clock.clone()).unwrap();
    let memory = Arc::new(Dedupe::new(
        Arc::new(MemoryStore::new(clock.clone())),
        clock.clone(),
        120,
        28_800,
        2_000,
    ));
    let h = Recorder {
        reply: Some(r#"{"ignored":true}"#.into()),
        ..Default::default()
    };
    let plain = v2_event("ev-ws", "");
    let first = block_on(keyless.deliver(plain.as_bytes(), &h, Some(memory.clone())));
    let again = block_on(keyless.deliver(plain.as_bytes(), &h, Some(memory.clone())));
    assert_eq!(
        (first.status, first.body.as_str(), again.duplicate),
        (200, "{}", true)
    );
    assert_eq!(h.seen.borrow().len(), 1);
    // The same object a webhook handler would get for the same event.
    let over_http = Recorder::default();
    let body = sealed(&v2_event("ev-ws", TOKEN));
    block_on(dispatcher(Flow::Event).invoke(
        body.as_bytes(),
        &signed(&body, NOW),
        &over_http,
        Delivery::Reply,
    ));
    let strip = |p: &str| p.replace(&format!(r#""token":"{TOKEN}""#), r#""token":"""#);
    assert_eq!(
        h.seen.borrow()[0].payload,
        strip(&over_http.seen.borrow()[0].payload)
    );
    // A card callback's reply is its handler's; an encrypted or malformed payload is refused.
    let card = plain
        .replace("im.message.receive_v1", "card.action.trigger")
        .replace("ev-ws", "ev-card");
    let r = block_on(keyless.deliver(card.as_bytes(), &h, Some(memory.clone())));
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"ignored":true}"#));
    for bad in [&b"{nope"[..], br#"{"encrypt":"abc"}"#, br#"{"hello":1}"#] {
        assert_ne!(block_on(keyless.deliver(bad, &h, None)).status, 200);
    }
    // A failing handler answers 500 and releases its claim: the next push is handled.
    let flaky = Flaky {
        fail_first: 1,
        ..Default::default()
    };
    let ev = v2_event("ev-flaky", "");
    assert_eq!(
        block_on(keyless.deliver(ev.as_bytes(), &flaky, Some(memory.clone()))).status,
        500
    );
    assert_eq!(
        block_on(keyless.deliver(ev.as_bytes(), &flaky, Some(memory.clone()))).status,
        200
    );
    assert_eq!(flaky.successes.get(), 1);
}
