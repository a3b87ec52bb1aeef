//! `WsClient` (the `ws-tokio` feature) on a multi-thread tokio runtime against the emulator's
//! long connection: the one at `EMU_URL` (scripts/test starts it), or one this test starts from
//! the built package (`node pkg/bin/feishu-edge.js emulator --port 0`; run `scripts/build`
//! first). One test, in phases, since the phases count the emulator's endpoint requests and drop
//! its sockets:
//!
//! 1. connect; an event, a user message and a card click are handled and acked (the card's
//!    reply in its ack); an event pushed twice runs its handler once; a failing handler is
//!    acked 500 and its event handled when pushed again; a slow handler is acked 200 early
//!    (between 2.4 s and 3 s) and keeps running; `close()` with a handler still running returns
//!    within `CLOSE_WAIT_MS`.
//! 2. a fresh client whose socket the emulator drops: it reconnects with back-off, through two
//!    busy endpoint replies (exactly 3 endpoint requests, the last one ≥ 3.5 s after the drop).
//! 3. bounds: a frame that does not decode and a text message are dropped, the socket kept; a
//!    message over `max_frame_bytes` is refused before it is buffered and the socket made again.
//! 4. bad credentials: `start()` fails at once with the platform's code, after one endpoint
//!    request, and nothing retries; so does a handshake refused for too many connections (its
//!    code read from the refusal's headers). An endpoint request that hangs is a failed attempt
//!    at its deadline, then the client connects.
//!
//! Throughout, no log line carries the app secret or the socket's ticket.
#![cfg(not(target_arch = "wasm32"))]

use feishu_edge::webhook::{self, EventDispatcher, WebhookConfig};
use feishu_edge::ws::State;
use feishu_edge::{Config, Level, Logger, Notice, WsClient};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The emulator: `EMU_URL`'s, or a child process killed on drop.
struct Emulator {
    url: String,
    app_id: String,
    app_secret: String,
    http: reqwest::Client,
    child: Option<Child>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Emulator {
    async fn start() -> Emulator {
        let http = reqwest::Client::new();
        if let Some(url) = std::env::var("EMU_URL").ok().filter(|u| !u.is_empty()) {
            let info = read(http.get(format!("{url}/__emu/info")).send().await.unwrap()).await;
            return Emulator {
                url,
                app_id: info["appId"].as_str().unwrap().to_string(),
                // The CLI's default test credential (it prints it; `/__emu/info` does not).
                app_secret: std::env::var("EMU_APP_SECRET")
                    .unwrap_or_else(|_| "emu_secret_value".into()),
                http,
                child: None,
            };
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let cli = format!("{root}/pkg/bin/feishu-edge.js");
        assert!(
            std::path::Path::new(&cli).exists(),
            "no EMU_URL and no {cli}: run scripts/build first (or point EMU_URL at an emulator)"
        );
        let mut child = Command::new("node")
            .args([cli.as_str(), "emulator", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let first: Value = serde_json::from_str(&line).expect("the emulator's first line is JSON");
        Emulator {
            url: first["url"].as_str().unwrap().to_string(),
            app_id: first["appId"].as_str().unwrap().to_string(),
            app_secret: first["appSecret"].as_str().unwrap().to_string(),
            http,
            child: Some(child),
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = post(&self.http, &format!("{}{path}", self.url), &body)
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, read(res).await)
    }

    async fn status(&self) -> Value {
        let url = format!("{}/__emu/ws/status", self.url);
        read(self.http.get(url).send().await.unwrap()).await
    }

    async fn endpoint_requests(&self) -> u64 {
        self.status().await["endpoint"].as_u64().unwrap()
    }

    /// Pushes `payload` over the long connection; its decoded ack.
    async fn push(&self, payload: &Value, timeout_ms: u64) -> Value {
        let (status, ack) = self
            .post(
                "/__emu/ws/push",
                json!({ "payload": payload, "timeoutMs": timeout_ms }),
            )
            .await;
        assert_eq!(status, 200, "push answered {status}: {ack}");
        ack
    }

    fn config(&self) -> Config {
        Config::new(&self.app_id, &self.app_secret)
            .base_url(&self.url)
            .unwrap()
    }
}

/// POSTs `body` as JSON.
async fn post(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
}

/// A reply's JSON (`null` when it is not JSON).
async fn read(res: reqwest::Response) -> Value {
    let bytes = res.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Keeps every line, at every level.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Logger for Lines {
    fn enabled(&self, _: Level) -> bool {
        true
    }
    fn log(&self, level: Level, message: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{}: {message}", level.as_str()));
    }
}

fn event(app_id: &str, event_type: &str, event_id: &str) -> Value {
    json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id, "event_type": event_type, "create_time": "1700000000000",
            "token": "", "app_id": app_id, "tenant_key": "tk_emu"
        },
        "event": { "message": { "message_id": "om_1", "chat_id": "oc_1", "content": "{\"text\":\"hi\"}" } }
    })
}

/// Waits until `check` holds, for at most `ms`.
async fn until(ms: u64, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < end {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_long_connection_against_the_emulator() {
    let emu = Emulator::start().await;
    let lines = Arc::new(Lines::default());
    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let run = std::process::id();

    // ---- 1. Events, duplicates, failures, card replies, the early ack, close().
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let slow_done = Arc::new(AtomicUsize::new(0));
    let dispatcher = {
        let (received, failures, slow_done) =
            (received.clone(), failures.clone(), slow_done.clone());
        EventDispatcher::for_long_connection(WebhookConfig::new())
            .unwrap()
            .logger(lines.clone())
            .on("im.message.receive_v1", move |e: webhook::Event| {
                let received = received.clone();
                async move {
                    received
                        .lock()
                        .unwrap()
                        .push(e.event_id.unwrap_or_default());
                    Ok::<(), feishu_edge::Error>(())
                }
            })
            // Fails the first time it sees an event, succeeds the next.
            .on("im.chat.member.bot.added_v1", move |_e: webhook::Event| {
                let first = failures.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    match first {
                        true => Err("the handler's first try fails".to_string()),
                        false => Ok(()),
                    }
                }
            })
            .on(
                "im.message.reaction.created_v1",
                move |_e: webhook::Event| {
                    let slow_done = slow_done.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(3_000)).await;
                        slow_done.fetch_add(1, Ordering::SeqCst);
                        Ok::<(), String>(())
                    }
                },
            )
            .on_card_action(|click: webhook::Event| async move {
                assert!(click.payload.contains("\"k\":\"v\""), "{}", click.payload);
                Ok::<_, String>(Some(
                    r#"{"toast":{"type":"success","content":"saved"}}"#.to_string(),
                ))
            })
    };
    let dispatcher = Arc::new(dispatcher);
    let ws = {
        let notices = notices.clone();
        WsClient::builder(emu.config())
            .logger(lines.clone())
            .on_notice(move |n: Notice<'_>| notices.lock().unwrap().push(format!("{n:?}")))
            .build()
            .unwrap()
    };
    let ws = Arc::new(ws);
    let pings = emu.status().await["pings"].as_u64().unwrap();
    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), ws.start(dispatcher.clone()))
        .await
        .expect("connected within 10 s")
        .expect("connected");
    println!("connected in {} ms", began.elapsed().as_millis());
    assert_eq!(ws.state(), State::Open);
    assert!(ws.status().last_connect_ms.is_some());
    // The client pings as soon as it is open (the emulator answers with its ClientConfig).
    let mut pinged = 0;
    for _ in 0..50 {
        pinged = emu.status().await["pings"].as_u64().unwrap() - pings;
        if pinged > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pinged, 1, "pings on open");
    // A second start while open returns at once.
    ws.start(dispatcher.clone()).await.unwrap();

    // A pushed event: handled, acked 200 with the handler's time.
    let id = format!("ev_ws_tokio_{run}_1");
    let ack = emu
        .push(&event(&emu.app_id, "im.message.receive_v1", &id), 5_000)
        .await;
    assert_eq!(ack["code"], 200, "{ack}");
    assert!(ack["bizRt"].as_u64().is_some(), "{ack}");
    assert_eq!(*received.lock().unwrap(), vec![id.clone()]);

    // The same event again (the platform's retry): acked 200, the handler not run twice.
    let again = emu
        .push(&event(&emu.app_id, "im.message.receive_v1", &id), 5_000)
        .await;
    assert_eq!(again["code"], 200, "{again}");
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "a duplicate ran the handler"
    );

    // The emulator's user message, in parts (the client joins them).
    let (status, message) = emu
        .post(
            "/__emu/ws/message",
            json!({ "text": "hello from the test" }),
        )
        .await;
    assert_eq!(
        (status, &message["ack"]["code"]),
        (200, &json!(200)),
        "{message}"
    );
    assert_eq!(received.lock().unwrap().len(), 2);
    let parts = event(
        &emu.app_id,
        "im.message.receive_v1",
        &format!("ev_ws_tokio_{run}_parts"),
    );
    let (status, ack) = emu
        .post(
            "/__emu/ws/push",
            json!({ "payload": parts, "fragments": 3, "timeoutMs": 5_000 }),
        )
        .await;
    assert_eq!((status, &ack["code"]), (200, &json!(200)), "{ack}");
    assert_eq!(received.lock().unwrap().len(), 3);

    // A card click: its reply travels in the ack.
    let (status, card) = emu
        .post("/__emu/ws/card", json!({ "value": { "k": "v" } }))
        .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["ack"]["code"], 200, "{card}");
    assert_eq!(card["ack"]["data"]["toast"]["content"], "saved", "{card}");

    // A failing handler: acked 500 (the platform pushes again), and handled when pushed again.
    let failing = event(
        &emu.app_id,
        "im.chat.member.bot.added_v1",
        &format!("ev_ws_tokio_{run}_fail"),
    );
    let ack = emu.push(&failing, 5_000).await;
    assert_eq!(ack["code"], 500, "{ack}");
    let ack = emu.push(&failing, 5_000).await;
    assert_eq!(ack["code"], 200, "{ack}");
    assert_eq!(failures.load(Ordering::SeqCst), 2);

    // A slow handler (3 s): acked 200 early, after ACK_AFTER_MS, and it keeps running.
    let slow = event(
        &emu.app_id,
        "im.message.reaction.created_v1",
        &format!("ev_ws_tokio_{run}_slow"),
    );
    let ack = emu.push(&slow, 5_000).await;
    let biz_rt = ack["bizRt"].as_u64().unwrap();
    assert_eq!(ack["code"], 200, "{ack}");
    assert!(
        (2_400..3_000).contains(&biz_rt),
        "early ack after {biz_rt} ms"
    );
    assert_eq!(slow_done.load(Ordering::SeqCst), 0);
    assert!(until(2_000, || slow_done.load(Ordering::SeqCst) == 1).await);
    println!("early ack after {biz_rt} ms; the handler finished later");

    // close() while a slow handler runs: back within CLOSE_WAIT_MS (1 s), its ack not sent.
    let pushing = {
        let slow = event(
            &emu.app_id,
            "im.message.reaction.created_v1",
            &format!("ev_ws_tokio_{run}_slow2"),
        );
        let (http, url) = (emu.http.clone(), emu.url.clone());
        tokio::spawn(async move {
            let body = json!({ "payload": slow, "timeoutMs": 1_500 });
            post(&http, &format!("{url}/__emu/ws/push"), &body)
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await; // the handler is running
    let closing = Instant::now();
    ws.close().await;
    let close_ms = closing.elapsed().as_millis();
    println!("close() with a handler running took {close_ms} ms");
    assert!(
        (900..1_600).contains(&close_ms),
        "close() took {close_ms} ms"
    );
    assert_eq!(ws.state(), State::Closed);
    assert_eq!(pushing.await.unwrap().unwrap(), 504, "no ack after close");
    let mut connections = u64::MAX;
    for _ in 0..50 {
        connections = emu.status().await["connections"].as_u64().unwrap();
        if connections == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(connections, 0, "the socket stays open after close()");
    // Closed for good: nothing reconnects.
    let before = emu.endpoint_requests().await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(emu.endpoint_requests().await, before);
    ws.close().await; // twice: harmless

    // ---- 2. Dropped: reconnects with back-off, through busy endpoint replies.
    let notices2 = Arc::new(Mutex::new(Vec::<String>::new()));
    let ws2 = {
        let notices = notices2.clone();
        WsClient::builder(emu.config())
            .logger(lines.clone())
            .on_notice(move |n: Notice<'_>| notices.lock().unwrap().push(format!("{n:?}")))
            .build()
            .unwrap()
    };
    tokio::time::timeout(Duration::from_secs(10), ws2.start(dispatcher.clone()))
        .await
        .unwrap()
        .unwrap();
    let before = emu.endpoint_requests().await;
    for _ in 0..2 {
        emu.post(
            "/__emu/ws/fault",
            json!({ "kind": "endpoint", "code": 1, "msg": "system busy" }),
        )
        .await;
    }
    let dropped = Instant::now();
    emu.post("/__emu/ws/fault", json!({ "kind": "drop" })).await;
    assert!(until(2_000, || ws2.state() == State::Reconnecting).await);
    let back = until(10_000, || ws2.state() == State::Open).await;
    let took = dropped.elapsed().as_millis();
    let requests = emu.endpoint_requests().await - before;
    println!(
        "dropped: open again after {took} ms and {requests} endpoint requests (2 answered busy)"
    );
    assert!(back, "not reconnected within 10 s: {:?}", ws2.status());
    assert_eq!(requests, 3, "endpoint requests while reconnecting");
    // 0.5 s, then 1 s, then 2 s (each plus up to half in jitter): at least 3.5 s.
    assert!(
        (3_400..9_000).contains(&took),
        "reconnected after {took} ms"
    );
    {
        let n = notices2.lock().unwrap();
        assert_eq!(n[0], "Ready");
        assert_eq!(n[1], "Reconnecting");
        assert_eq!(
            n.iter().filter(|l| l.starts_with("Error(")).count(),
            2,
            "{n:?}"
        );
        assert_eq!(n.last().unwrap(), "Reconnected", "{n:?}");
    }
    // Events flow on the new socket.
    let id = format!("ev_ws_tokio_{run}_after");
    let ack = emu
        .push(&event(&emu.app_id, "im.message.receive_v1", &id), 5_000)
        .await;
    assert_eq!(ack["code"], 200, "{ack}");
    assert!(received.lock().unwrap().contains(&id));
    let closing = Instant::now();
    ws2.close().await;
    assert!(
        closing.elapsed() < Duration::from_millis(600),
        "close() with nothing running"
    );

    // ---- 3. Bounds: a frame that does not decode is dropped (the socket kept); a message over
    // max_frame_bytes is refused before it is buffered, the socket closed and made again.
    let ws3 = WsClient::builder(emu.config())
        .logger(lines.clone())
        .build()
        .unwrap();
    ws3.start(dispatcher.clone()).await.unwrap();
    let generation_opened = ws3.status().last_connect_ms;
    emu.post("/__emu/ws/raw", json!({ "base64": "//8=" })).await;
    emu.post("/__emu/ws/raw", json!({ "text": "not a frame" }))
        .await;
    let logged = |what: &str| lines.0.lock().unwrap().iter().any(|l| l.contains(what));
    assert!(
        until(2_000, || logged("does not decode")
            && logged("ignored a text message"))
        .await
    );
    assert_eq!(ws3.state(), State::Open);
    let before = emu.endpoint_requests().await;
    use base64::Engine;
    let huge = vec![0u8; (4 << 20) + (64 << 10) + 1];
    let huge = base64::engine::general_purpose::STANDARD.encode(huge);
    let sent = Instant::now();
    emu.post("/__emu/ws/raw", json!({ "base64": huge })).await;
    assert!(
        until(2_000, || logged("bytes unread")).await,
        "the oversized message is logged"
    );
    assert!(
        until(5_000, || ws3.state() == State::Open
            && ws3.status().last_connect_ms != generation_opened)
        .await
    );
    println!(
        "an oversized message: dropped unread, open again after {} ms and {} endpoint request(s)",
        sent.elapsed().as_millis(),
        emu.endpoint_requests().await - before
    );
    assert_eq!(emu.endpoint_requests().await - before, 1);
    ws3.close().await;

    // ---- 4. Refused for good: start() fails, nothing retries.
    let before = emu.endpoint_requests().await;
    let wrong = WsClient::builder(
        Config::new(&emu.app_id, "not the secret")
            .base_url(&emu.url)
            .unwrap(),
    )
    .logger(lines.clone())
    .build()
    .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), wrong.start(dispatcher.clone()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code(), Some(10003), "{e}");
    assert_eq!(wrong.state(), State::Failed);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(emu.endpoint_requests().await - before, 1);
    wrong.close().await;

    // A handshake refused for too many connections (514, Handshake-Autherrcode 1000040350):
    // refused for good, from the refusal's headers.
    let before = emu.endpoint_requests().await;
    emu.post(
        "/__emu/ws/fault",
        json!({ "kind": "refuse", "status": 514, "code": 1_000_040_350, "msg": "too many connections" }),
    )
    .await;
    let crowded = WsClient::builder(emu.config())
        .logger(lines.clone())
        .build()
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), crowded.start(dispatcher.clone()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e.code(), e.api().map(|a| a.http_status)),
        (Some(1_000_040_350), Some(514)),
        "{e}"
    );
    assert!(e.to_string().contains("too many connections"), "{e}");
    assert_eq!(crowded.state(), State::Failed);
    assert_eq!(emu.endpoint_requests().await - before, 1);
    crowded.close().await;

    // An endpoint request that hangs: over its deadline, a failed attempt, then connected.
    let notices5 = Arc::new(Mutex::new(Vec::<String>::new()));
    emu.post(
        "/__emu/ws/fault",
        json!({ "kind": "endpoint", "hang": true }),
    )
    .await;
    let patient = {
        let notices = notices5.clone();
        WsClient::builder(emu.config())
            .endpoint_timeout_ms(300)
            .logger(lines.clone())
            .on_notice(move |n: Notice<'_>| notices.lock().unwrap().push(format!("{n:?}")))
            .build()
            .unwrap()
    };
    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), patient.start(dispatcher.clone()))
        .await
        .unwrap()
        .unwrap();
    let took = began.elapsed().as_millis();
    assert!((800..3_000).contains(&took), "connected after {took} ms");
    {
        let n = notices5.lock().unwrap();
        assert_eq!(n.len(), 2, "{n:?}");
        assert!(n[0].starts_with("Error(Timeout { ms: 300 })"), "{n:?}");
        assert_eq!(n[1], "Ready");
    }
    patient.close().await;

    // ---- Nothing secret in the logs.
    assert_eq!(notices.lock().unwrap()[0], "Ready");
    let lines = lines.0.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("long connection open")),
        "{lines:#?}"
    );
    for line in lines.iter() {
        assert!(
            !line.contains(&emu.app_secret),
            "the secret in a log line: {line}"
        );
        assert!(
            !line.contains("ticket="),
            "a socket ticket in a log line: {line}"
        );
    }
    if std::env::var_os("WS_TOKIO_LINES").is_some() {
        println!("{lines:#?}");
    }
    println!("{} log lines, none with a secret or a ticket", lines.len());
}
