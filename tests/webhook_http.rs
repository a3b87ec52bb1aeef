//! The `http` feature's `webhook::EventDispatcher` natively: requests signed and encrypted with
//! the core's own formulas (RustCrypto), served on a multi-thread tokio runtime from spawned
//! tasks. `cargo test --features http --test webhook_http`.
#![cfg(not(target_arch = "wasm32"))]

use bytes::Bytes;
use feishu_edge::crypto::{now, RustCrypto};
use feishu_edge::log::NoLogger;
use feishu_edge::webhook::{self, crypto, EventDispatcher, Reason, Reply, WebhookConfig};
use feishu_edge::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const KEY: &str = "ek_http_test";
const TOKEN: &str = "vt_http_test";

fn seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A schema 2.0 message event as the platform sends it (before encryption).
fn message_event(event_id: &str, text: &str) -> String {
    format!(
        r#"{{"schema":"2.0","header":{{"event_id":"{event_id}","event_type":"im.message.receive_v1","create_time":"1700000000000","token":"{TOKEN}","app_id":"cli_http","tenant_key":"tk1"}},"event":{{"sender":{{"sender_id":{{"open_id":"ou_1"}}}},"message":{{"message_id":"om_{event_id}","chat_id":"oc_1","message_type":"text","content":"{{\"text\":\"{text}\"}}"}}}}}}"#
    )
}

/// The request the platform would POST: `plain` encrypted with the key, the body signed.
fn signed_request(plain: &str, key: &str) -> http::Request<Bytes> {
    let sealed = now(crypto::encrypt(&RustCrypto, plain.as_bytes(), key, [3; 16]))
        .unwrap()
        .unwrap();
    let body = format!(r#"{{"encrypt":"{sealed}"}}"#);
    let ts = seconds().to_string();
    let signature = now(crypto::event_signature(
        &RustCrypto,
        &ts,
        "nonce-h",
        key,
        body.as_bytes(),
    ))
    .unwrap()
    .unwrap();
    http::Request::post("/webhook/event")
        .header("content-type", "application/json; charset=utf-8")
        .header("x-lark-request-timestamp", ts)
        .header("x-lark-request-nonce", "nonce-h")
        .header("x-lark-signature", signature)
        .body(Bytes::from(body))
        .unwrap()
}

fn config() -> WebhookConfig {
    WebhookConfig::new()
        .encrypt_key(KEY)
        .verification_token(TOKEN)
}

/// The message text of an event's payload (the official SDK's handler data).
fn text_of(event: &webhook::Event) -> String {
    let data: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
    let content: serde_json::Value =
        serde_json::from_str(data["message"]["content"].as_str().unwrap()).unwrap();
    content["text"].as_str().unwrap().to_string()
}

fn reply_of(response: &http::Response<Bytes>) -> &Reply {
    response.extensions().get::<Reply>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_signed_events_from_spawned_tasks_each_handled_once() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let threads = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let (s, t) = (seen.clone(), threads.clone());
    let dispatcher = Arc::new(EventDispatcher::new(config()).unwrap().on(
        "im.message.receive_v1",
        move |event: webhook::Event| {
            let (seen, threads) = (s.clone(), t.clone());
            async move {
                // Across an await, on whichever worker the task is on.
                tokio::task::yield_now().await;
                threads
                    .lock()
                    .unwrap()
                    .insert(format!("{:?}", std::thread::current().id()));
                seen.lock()
                    .unwrap()
                    .push((event.event_id.clone().unwrap(), text_of(&event)));
                Ok::<(), Error>(())
            }
        },
    ));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let d = dispatcher.clone();
            let request = signed_request(&message_event(&format!("ev_{i}"), &format!("m{i}")), KEY);
            tokio::spawn(async move { d.handle(request).await })
        })
        .collect();
    for task in tasks {
        let response = task.await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(&response.body()[..], b"{}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
    }
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    let mut expected: Vec<_> = (0..50)
        .map(|i| (format!("ev_{i}"), format!("m{i}")))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    eprintln!(
        "50 events handled on {} worker thread(s)",
        threads.lock().unwrap().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_at_once_runs_its_handler_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let dispatcher = Arc::new(
        EventDispatcher::new(config())
            .unwrap()
            .logger(Arc::new(NoLogger))
            .on("im.message.receive_v1", move |_event| {
                let runs = r.clone();
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok::<(), Error>(())
                }
            }),
    );
    let plain = message_event("ev_dup", "twice");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let d = dispatcher.clone();
            let request = signed_request(&plain, KEY);
            tokio::spawn(async move { d.handle(request).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.unwrap();
        statuses.push((response.status().as_u16(), reply_of(&response).duplicate));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{statuses:?}");
    // One handled; the others acknowledged as duplicates, or asked to retry (503) while the
    // first was still running.
    assert_eq!(statuses.iter().filter(|(s, d)| *s == 200 && !d).count(), 1);
    assert!(statuses
        .iter()
        .all(|(s, d)| (*s == 200) || (*s == 503 && !d)));
    // Later: acknowledged without running.
    let again = dispatcher.handle(signed_request(&plain, KEY)).await;
    assert_eq!(
        (again.status().as_u16(), reply_of(&again).duplicate),
        (200, true)
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refusals_fail_closed_with_the_cores_bodies() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let d = EventDispatcher::new(config())
        .unwrap()
        .logger(Arc::new(NoLogger))
        .on("im.message.receive_v1", move |_| {
            r.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), Error>(()) }
        });
    // Unsigned (the event in plain text, right token): 401.
    let unsigned = http::Request::post("/")
        .header("content-type", "application/json")
        .body(Bytes::from(message_event("ev_u", "x")))
        .unwrap();
    let response = d.handle(unsigned).await;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["error"], "missing_signature");
    // Signed and encrypted with another key: 401 signature_mismatch.
    let forged = d
        .handle(signed_request(&message_event("ev_f", "x"), "another_key"))
        .await;
    assert_eq!(
        (forged.status().as_u16(), reply_of(&forged).reason),
        (401, Some(Reason::SignatureMismatch))
    );
    // Not a POST: 405 with Allow.
    let get = d
        .handle(http::Request::get("/").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(
        (
            get.status().as_u16(),
            get.headers()["allow"].to_str().unwrap()
        ),
        (405, "POST")
    );
    // Over the limit: 413 before parsing.
    let huge = http::Request::post("/")
        .body(Bytes::from(vec![b' '; (1 << 20) + 1]))
        .unwrap();
    let response = d.handle(huge).await;
    assert_eq!(
        (response.status().as_u16(), reply_of(&response).reason),
        (413, Some(Reason::BodyTooLarge))
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn challenges_are_answered_and_unknown_types_acknowledged() {
    let d = EventDispatcher::new(config()).unwrap();
    let plain = format!(r#"{{"challenge":"ch-1","token":"{TOKEN}","type":"url_verification"}}"#);
    let response = d.handle(signed_request(&plain, KEY)).await;
    assert_eq!(
        (response.status().as_u16(), &response.body()[..]),
        (200, &br#"{"challenge":"ch-1"}"#[..])
    );
    // The platform's unsigned, plain challenge with the right token (the console's first check).
    let bare = http::Request::post("/")
        .body(Bytes::from(plain.clone()))
        .unwrap();
    assert_eq!(d.handle(bare).await.status(), 200);
    // An event no handler takes: acknowledged.
    let response = d
        .handle(signed_request(&message_event("ev_n", "x"), KEY))
        .await;
    assert_eq!(
        (
            response.status().as_u16(),
            reply_of(&response).event_type.as_deref()
        ),
        (200, Some("im.message.receive_v1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handler_gets_500_and_its_retry_is_handled() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let d = EventDispatcher::new(config())
        .unwrap()
        .logger(Arc::new(NoLogger))
        .on("im.message.receive_v1", move |_| {
            let attempt = a.fetch_add(1, Ordering::SeqCst);
            async move {
                match attempt {
                    0 => Err(Error::Store("the database is down".into())),
                    1 => panic!("a bug"),
                    _ => Ok(()),
                }
            }
        });
    let plain = message_event("ev_retry", "x");
    let first = d.handle(signed_request(&plain, KEY)).await;
    assert_eq!(
        (first.status().as_u16(), reply_of(&first).reason),
        (500, Some(Reason::HandlerFailed))
    );
    let second = tokio::spawn({
        let d = Arc::new(d);
        let request = signed_request(&plain, KEY);
        async move { (d.handle(request).await, d) }
    });
    let (second, d) = second.await.unwrap();
    assert_eq!(second.status(), 500, "a panic is a failure too");
    let third = d.handle(signed_request(&plain, KEY)).await;
    assert_eq!(
        (third.status().as_u16(), reply_of(&third).duplicate),
        (200, false)
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn card_actions_reply_with_the_handlers_json() {
    let d = EventDispatcher::new(config()).unwrap().on_card_action(
        |click: webhook::Event| async move {
            let data: serde_json::Value = serde_json::from_str(&click.payload).unwrap();
            let value = data["action"]["value"]["k"]
                .as_str()
                .unwrap_or("")
                .to_string();
            Ok::<_, Error>(Some(format!(
                r#"{{"toast":{{"type":"success","content":"got {value}"}}}}"#
            )))
        },
    );
    let plain = format!(
        r#"{{"schema":"2.0","header":{{"event_id":"c1","event_type":"card.action.trigger","token":"{TOKEN}"}},"event":{{"action":{{"tag":"button","value":{{"k":"v1"}}}}}}}}"#
    );
    let response = d.handle(signed_request(&plain, KEY)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        &response.body()[..],
        br#"{"toast":{"type":"success","content":"got v1"}}"#
    );
}

#[tokio::test]
async fn legacy_card_callbacks_on_a_card_url() {
    let d = EventDispatcher::for_card_url(config())
        .unwrap()
        .on_card_action(|_click| async { Ok::<_, Error>(None) });
    let body = r#"{"open_id":"ou_x","action":{"tag":"button","value":{"k":"v"}}}"#;
    let ts = seconds().to_string();
    let signature = now(crypto::card_signature(
        &RustCrypto,
        &ts,
        "n",
        TOKEN,
        body.as_bytes(),
    ))
    .unwrap()
    .unwrap();
    let request = http::Request::post("/card")
        .header("content-type", "application/json")
        .header("x-lark-request-timestamp", ts)
        .header("x-lark-request-nonce", "n")
        .header("x-lark-signature", signature)
        .body(Bytes::from(body))
        .unwrap();
    let response = d.handle(request).await;
    assert_eq!(
        (response.status().as_u16(), &response.body()[..]),
        (200, &b"{}"[..])
    );
}
