//! The `reqwest` feature as a Rust program on tokio uses it: `Client::builder(config).build()`
//! with no transport of its own, one client shared by tasks on a multi-thread runtime, against
//! the emulator (`EMU_URL`, or one started here as `npx feishu-edge emulator` would be), plus
//! the transport's contract against a small local server.
//!
//! `cargo test --features reqwest --test tokio` (after `scripts/build`, which makes pkg/).
#![cfg(feature = "reqwest")]

use feishu_edge::request::envelope::OVERSIZED_REPLY;
use feishu_edge::request::PageOptions;
use feishu_edge::transport::reqwest::ReqwestTransport;
use feishu_edge::{
    ApiRequest, Body, Client, Config, Error, FileData, HttpRequest, Method, Part, Transport,
    TransportError,
};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

/// The emulator's default app (`feishu-edge emulator` prints them: a test credential).
const APP_ID: &str = "cli_0123456789abcdef";
const APP_SECRET: &str = "emu_secret_value";

/// Tests that share the suite's emulator (`EMU_URL`) take turns: each resets it and reads its
/// counts. With an emulator of their own they run side by side.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An emulator for one test: `EMU_URL`'s (reset, taken in turn), or a child process that is
/// killed when the test ends.
struct Emulator {
    url: String,
    child: Option<(Child, BufReader<ChildStdout>)>,
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
    http: reqwest::Client,
}

impl Emulator {
    async fn start() -> Emulator {
        let http = reqwest::Client::new();
        if let Some(url) = std::env::var("EMU_URL").ok().filter(|u| !u.is_empty()) {
            let turn = TURN.lock().await;
            let emu = Emulator {
                url: url.trim_end_matches('/').to_string(),
                child: None,
                _turn: Some(turn),
                http,
            };
            emu.control("/__emu/reset", json!({})).await;
            return emu;
        }
        let cli = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/bin/feishu-edge.js");
        assert!(
            std::path::Path::new(cli).exists(),
            "{cli} is missing: run scripts/build, or set EMU_URL to a running emulator"
        );
        let mut child = Command::new("node")
            .args([cli, "emulator", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the emulator");
        // Its first line is JSON: {"url", "appId", "appSecret", ...}.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let first: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the emulator's first line is not JSON ({e}): {line}"));
        assert_eq!(first["appId"], APP_ID);
        Emulator {
            url: first["url"].as_str().unwrap().to_string(),
            child: Some((child, out)),
            _turn: None,
            http,
        }
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let reply = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap()
    }

    /// What the emulator saw: `{requests, counts: {tenantToken, ...}, ...}`.
    async fn log(&self) -> Value {
        let reply = self
            .http
            .get(format!("{}/__emu/log", self.url))
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap()
    }

    /// The Open API requests it saw with this method and path (tokens' and control routes' not).
    async fn calls(&self, method: &str, path: &str) -> usize {
        let log = self.log().await;
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method && r["path"] == path)
            .count()
    }

    /// The issue's own line: a config with a base URL, and `build()` with nothing else.
    fn client(&self, tweak: impl FnOnce(&mut Config)) -> Client {
        let mut config = Config::new(APP_ID, APP_SECRET).base_url(&self.url).unwrap();
        tweak(&mut config);
        Client::builder(config).build().unwrap()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some((child, _)) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn assert_shareable<T: Clone + Send + Sync + 'static>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_tasks_share_one_client_one_token_and_page_through_what_they_sent() {
    let emu = Emulator::start().await;
    let client = emu.client(|_| {});
    assert_shareable(&client);
    let chat = "oc_tokio_shared";
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let text = json!({ "text": format!("task {n}") }).to_string();
                let req = ApiRequest::post("im/v1/messages")
                    .query("receive_id_type", "chat_id")
                    .json(&json!({ "receive_id": chat, "msg_type": "text", "content": text }))?;
                let reply = client.request(req).await?;
                let message: Value = reply.data()?;
                Ok::<_, Error>(message["message_id"].as_str().unwrap_or("").to_string())
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let id = task
            .await
            .expect("the task ran")
            .expect("the call succeeded");
        assert!(id.starts_with("om_"), "{id}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 50, "50 messages, each its own id");
    let log = emu.log().await;
    assert_eq!(
        log["counts"]["tenantToken"], 1,
        "50 concurrent calls wait for one tenant token request: {}",
        log["counts"]
    );
    assert_eq!(emu.calls("POST", "im/v1/messages").await, 50);

    // The token from another task is the cached one: still one request.
    let token = {
        let client = client.clone();
        tokio::spawn(async move { client.tenant_access_token(None).await })
    };
    assert!(token.await.unwrap().unwrap().starts_with("t-emu-"));

    // The history, 20 a page: 3 pages, walked from a spawned task (the paginator is Send too).
    let pages = {
        let client = client.clone();
        tokio::spawn(async move {
            let req = ApiRequest::get("im/v1/messages")
                .query("container_id_type", "chat")
                .query("container_id", chat);
            let options = PageOptions {
                page_size: Some(20),
                ..Default::default()
            };
            client.paginate(req, options).collect_all::<Value>().await
        })
    };
    let items = pages.await.unwrap().unwrap();
    assert_eq!(items.len(), 50);
    let listed: std::collections::HashSet<_> = items
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ids, "the pages list every message sent, once");
    assert_eq!(emu.calls("GET", "im/v1/messages").await, 3);
    assert_eq!(emu.log().await["counts"]["tenantToken"], 1);

    // The same program serves a signed, encrypted event through the `http` entry; its handler
    // answers in the chat with the shared client (still one token).
    #[cfg(feature = "http")]
    serve_a_signed_event(&emu, &client, chat).await;
}

/// A bot's event URL in the same program: `EventDispatcher` (the `http` feature) verifies and
/// decrypts a signed event, and its handler replies through the client the tasks share.
#[cfg(feature = "http")]
async fn serve_a_signed_event(emu: &Emulator, client: &Client, chat: &str) {
    use feishu_edge::crypto::{now, RustCrypto};
    use feishu_edge::webhook::{crypto, Event, EventDispatcher, WebhookConfig};
    const KEY: &str = "ek_tokio_program";
    let replier = client.clone();
    let dispatcher = EventDispatcher::new(WebhookConfig::new().encrypt_key(KEY))
        .unwrap()
        .on("im.message.receive_v1", move |event: Event| {
            let client = replier.clone();
            async move {
                let data: Value = serde_json::from_str(&event.payload).unwrap_or_default();
                let chat = data["message"]["chat_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let text = json!({ "text": "pong" }).to_string();
                let req = ApiRequest::post("im/v1/messages")
                    .query("receive_id_type", "chat_id")
                    .json(&json!({ "receive_id": chat, "msg_type": "text", "content": text }))?;
                client.request(req).await.map(|_| ())
            }
        });
    let plain = json!({
        "schema": "2.0",
        "header": { "event_id": "ev_tokio_program", "event_type": "im.message.receive_v1",
                    "create_time": "1700000000000", "app_id": APP_ID, "tenant_key": "tk" },
        "event": { "message": { "message_id": "om_ping", "chat_id": chat, "message_type": "text",
                                "content": "{\"text\":\"ping\"}" } },
    })
    .to_string();
    let sealed = now(crypto::encrypt(&RustCrypto, plain.as_bytes(), KEY, [7; 16]))
        .unwrap()
        .unwrap();
    let body = json!({ "encrypt": sealed }).to_string();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = now(crypto::event_signature(
        &RustCrypto,
        &ts,
        "n-1",
        KEY,
        body.as_bytes(),
    ))
    .unwrap()
    .unwrap();
    let signed = |signature: &str| {
        http::Request::post("/webhook/event")
            .header("content-type", "application/json")
            .header(feishu_edge::webhook::TIMESTAMP_HEADER, ts.as_str())
            .header(feishu_edge::webhook::NONCE_HEADER, "n-1")
            .header(feishu_edge::webhook::SIGNATURE_HEADER, signature)
            .body(bytes::Bytes::from(body.clone()))
            .unwrap()
    };
    // Served from a spawned task: `handle`'s future is Send.
    let forged = {
        let d = std::sync::Arc::new(dispatcher);
        let (d1, d2) = (d.clone(), d.clone());
        let bad = signed(&"0".repeat(64));
        let good = signed(&signature);
        let forged = tokio::spawn(async move { d1.handle(bad).await })
            .await
            .unwrap();
        let served = tokio::spawn(async move { d2.handle(good).await })
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{:?}", served.body());
        forged
    };
    assert_eq!(forged.status(), 401, "a forged signature is refused");
    assert_eq!(
        emu.calls("POST", "im/v1/messages").await,
        51,
        "the handler replied once, through the shared client"
    );
    assert_eq!(emu.log().await["counts"]["tenantToken"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed() {
    let emu = Emulator::start().await;
    let client = emu.client(|c| c.retry.max_attempts = 1);
    // The platform's refusal: Error::Api with its code, log id and status.
    emu.control(
        "/__emu/faults",
        json!({ "rules": [{ "kind": "api_error", "match": "im/v1/chats", "code": 230002, "status": 400, "msg": "bot not in chat" }] }),
    )
    .await;
    match client.request(ApiRequest::get("im/v1/chats")).await {
        Err(Error::Api(e)) => {
            assert_eq!((e.code, e.http_status), (Some(230002), 400));
            assert!(
                e.msg.contains("bot not in chat") && e.log_id.is_some(),
                "{e:?}"
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    // No reply within the call's timeout: Error::Timeout with it, after about that long.
    emu.control(
        "/__emu/faults",
        json!({ "rules": [{ "kind": "slow", "match": "im/v1/chats", "delayMs": 3000 }] }),
    )
    .await;
    let mut req = ApiRequest::get("im/v1/chats");
    req.timeout_ms = Some(200);
    let started = std::time::Instant::now();
    let e = client.request(req).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { ms: 200 }), "{e:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(2000));
    // A redirect is not followed: a typed, final error naming where it pointed.
    emu.control(
        "/__emu/faults",
        json!({ "rules": [{ "kind": "redirect", "match": "im/v1/chats", "location": "http://elsewhere.example/x" }] }),
    )
    .await;
    let e = client
        .request(ApiRequest::get("im/v1/chats"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Http(h) if h.http_status == 302 && h.msg.contains("http://elsewhere.example")),
        "{e:?}"
    );
    // A 5xx with an envelope is a reply: retried while the policy allows, then its error.
    let client = emu.client(|c| c.retry.base_delay_ms = 10);
    emu.control(
        "/__emu/faults",
        json!({ "rules": [{ "kind": "server_error", "match": "im/v1/chats", "count": 1 }] }),
    )
    .await;
    let before = emu.calls("GET", "im/v1/chats").await;
    let reply = client
        .request(ApiRequest::get("im/v1/chats"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        emu.calls("GET", "im/v1/chats").await,
        before + 2,
        "one 500, one retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_up_as_multipart_and_come_down_whole_past_the_reply_limit() {
    let emu = Emulator::start().await;
    // JSON replies are limited to 64 KiB; a 1 MiB download is not a JSON reply.
    let client = emu.client(|c| c.max_reply_bytes = 64 << 10);
    let bytes: Arc<[u8]> = (0..(1u32 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    let upload = ApiRequest::post("im/v1/files").multipart(vec![
        Part::Text {
            name: "file_type".into(),
            value: "stream".into(),
        },
        Part::Text {
            name: "file_name".into(),
            value: "数据 \"1\".bin".into(),
        },
        Part::File {
            name: "file".into(),
            filename: "数据 \"1\".bin".into(),
            content_type: Some("application/octet-stream".into()),
            data: FileData::Bytes(bytes.clone()),
        },
    ]);
    let key: Value = client.request(upload).await.unwrap().data().unwrap();
    let key = key["file_key"].as_str().unwrap().to_string();
    let log = emu.log().await;
    let sent = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|r| r["path"] == "im/v1/files")
        .unwrap()
        .clone();
    assert_eq!(sent["form"]["file"]["size"], 1 << 20);
    assert_eq!(sent["form"]["file"]["filename"], "数据 %221%22.bin");
    assert_eq!(sent["form"]["file_name"], "数据 \"1\".bin");
    let down = client
        .download(ApiRequest::get(format!("im/v1/files/{key}")))
        .await
        .unwrap();
    assert_eq!(down.bytes.len(), bytes.len());
    assert!(down.bytes[..] == bytes[..], "the same bytes come back");
    // A JSON reply past the limit is refused unread, with the option named.
    let client = emu.client(|c| c.max_reply_bytes = 100);
    let e = client
        .request(ApiRequest::get("im/v1/chats").query("page_size", "5"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "invalid_response");
    assert!(e.to_string().contains("maxReplyBytes"), "{e}");
}

/// A loopback server answering each connection with the next canned reply; the requests it
/// read come back through the returned receiver.
fn canned(replies: Vec<String>) -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for reply in replies {
            let Ok((mut socket, _)) = listener.accept() else {
                return;
            };
            let mut head = Vec::new();
            let mut byte = [0u8];
            while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
            let _ = socket.write_all(reply.as_bytes());
            let _ = socket.flush();
        }
    });
    (url, rx)
}

fn get(url: String, timeout_ms: Option<u64>) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url,
        headers: vec![("Authorization".into(), "Bearer t-1".into())],
        body: Body::Empty,
        timeout_ms,
        stream: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transport_keeps_the_contract() {
    let (url, requests) = canned(vec![
        // A redirect: handed back as it is, not followed.
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
        // A 500 with an envelope: a reply, headers lower-cased.
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nX-Tt-LogId: L-1\r\nFeishu-Edge-Oversized-Reply: 1\r\nContent-Length: 29\r\nConnection: close\r\n\r\n{\"code\":1,\"msg\":\"internal\"} \n".to_string(),
        // A chunked JSON body past the limit (no Content-Length to refuse it by).
        {
            let data = format!("{{\"code\":0,\"data\":\"{}\"}}", "a".repeat(1000));
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{data}\r\n0\r\n\r\n", data.len())
        },
    ]);
    let transport = ReqwestTransport::new().unwrap().max_reply_bytes(512);
    let reply = transport
        .send(get(format!("{url}/open-apis/a?x=1"), Some(5_000)))
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.header("location")),
        (302, Some("/elsewhere"))
    );
    let head = requests.recv().unwrap();
    assert!(
        head.starts_with("GET /open-apis/a?x=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer t-1\r\n"),
        "{head}"
    );

    let reply = transport
        .send(get(format!("{url}/open-apis/b"), Some(5_000)))
        .await
        .unwrap();
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, b"{\"code\":1,\"msg\":\"internal\"} \n");
    assert!(
        reply
            .headers
            .iter()
            .any(|(k, v)| k == "x-tt-logid" && v == "L-1"),
        "{:?}",
        reply.headers
    );
    assert!(reply
        .headers
        .iter()
        .all(|(k, _)| *k == k.to_ascii_lowercase()));
    assert!(
        reply.header(OVERSIZED_REPLY).is_none(),
        "the server cannot send the transport's mark"
    );
    requests.recv().unwrap();

    let reply = transport
        .send(get(format!("{url}/open-apis/c"), Some(5_000)))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    let seen: u64 = reply.header(OVERSIZED_REPLY).unwrap().parse().unwrap();
    assert!(seen > 512, "{seen}");

    // No reply in time: a typed timeout, promptly (the server accepts and never answers).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/open-apis/x", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    let e = transport
        .send(get(silent_url, Some(150)))
        .await
        .unwrap_err();
    assert_eq!(e, TransportError::Timeout(150));
    assert!(started.elapsed() < std::time::Duration::from_millis(1500));
    drop(silent);

    // No server: a network error naming the origin, never the path or the query.
    let e = transport
        .send(get(
            "http://127.0.0.1:1/open-apis/x?app_secret=s3cret".into(),
            Some(5_000),
        ))
        .await
        .unwrap_err();
    match e {
        TransportError::Network(m) => {
            assert!(m.starts_with("http://127.0.0.1:1 ("), "{m}");
            assert!(!m.contains("s3cret") && !m.contains("/open-apis"), "{m}");
        }
        other => panic!("expected a network error, got {other:?}"),
    }
}
