//! Native tests of the long connection's state machine, codec and acks (issue 16): what each
//! endpoint reply, handshake refusal, frame and silence leads to.
#![cfg(all(not(target_arch = "wasm32"), feature = "ws"))]

use feishu_edge::ws::frame::{self, Frame, METHOD_CONTROL, METHOD_DATA};
use feishu_edge::ws::{Action, Connection, ConnectionOptions, State};

const OK: &[u8] = br#"{"code":0,"msg":"ok","data":{"URL":"wss://emu/ws/v2?device_id=d&service_id=33&ticket=t","ClientConfig":{"PingInterval":10,"ReconnectCount":-1,"ReconnectInterval":5,"ReconnectNonce":2}}}"#;

fn conn() -> Connection {
    Connection::new(ConnectionOptions::new(
        "cli_a",
        "s3cret",
        "http://127.0.0.1:9/",
    ))
}

/// Started, endpoint answered, socket open at t=100: returns the generation.
fn open(c: &mut Connection) -> u64 {
    assert!(matches!(c.start(0)[..], [Action::FetchEndpoint]));
    let generation = match c.endpoint_reply(50, 200, OK).remove(0) {
        Action::Connect { generation, url } => {
            assert!(url.contains("ticket=t"));
            generation
        }
        other => panic!("{other:?}"),
    };
    let actions = c.opened(generation, 100);
    assert!(matches!(
        actions[..],
        [
            Action::Send(_),
            Action::Log(..),
            Action::Ready | Action::Reconnected
        ]
    ));
    generation
}

fn kinds(actions: &[Action]) -> Vec<&'static str> {
    actions
        .iter()
        .map(|a| match a {
            Action::FetchEndpoint => "fetch",
            Action::Connect { .. } => "connect",
            Action::Send(_) => "send",
            Action::CloseSocket { .. } => "close",
            Action::Deliver { .. } => "deliver",
            Action::Ready => "ready",
            Action::Reconnecting => "reconnecting",
            Action::Reconnected => "reconnected",
            Action::Error(_) => "error",
            Action::Failed(_) => "failed",
            Action::Log(..) => "log",
        })
        .filter(|k| *k != "log")
        .collect()
}

fn event_frame(id: &str, sum: u64, seq: u64, payload: &[u8]) -> Vec<u8> {
    frame::encode(&Frame {
        seq_id: 9,
        log_id: 77,
        service: 33,
        method: METHOD_DATA,
        headers: vec![
            ("type".into(), "event".into()),
            ("message_id".into(), id.into()),
            ("sum".into(), sum.to_string()),
            ("seq".into(), seq.to_string()),
            ("trace_id".into(), "tr".into()),
        ],
        payload: Some(payload.to_vec()),
        ..Frame::default()
    })
}

#[test]
fn the_endpoint_request_carries_the_credentials_and_the_reply_decides() {
    let c = conn();
    let (url, body) = c.endpoint_request();
    assert_eq!(url, "http://127.0.0.1:9/callback/ws/endpoint");
    assert_eq!(body, r#"{"AppID":"cli_a","AppSecret":"s3cret"}"#);
    // Retryable: busy, internal, 5xx without an envelope, no URL; fatal: anything else.
    for (status, reply, expect) in [
        (
            200,
            &br#"{"code":1000040343,"msg":"internal"}"#[..],
            "error",
        ),
        (200, br#"{"code":1,"msg":"busy"}"#, "error"),
        (502, b"<html>bad gateway</html>", "error"),
        (200, br#"{"code":0,"data":{}}"#, "error"),
        (
            200,
            br#"{"code":10003,"msg":"invalid app_secret"}"#,
            "failed",
        ),
    ] {
        let mut c = conn();
        c.start(0);
        let actions = c.endpoint_reply(1, status, reply);
        assert_eq!(
            kinds(&actions),
            vec![expect],
            "{}",
            String::from_utf8_lossy(reply)
        );
        if expect == "failed" {
            assert_eq!((c.state(), c.next_deadline()), (State::Failed, None));
            let Action::Failed(e) = &actions[0] else {
                panic!()
            };
            assert_eq!(e.code(), Some(10003));
            assert!(!e.to_string().contains("s3cret"));
        } else {
            assert_eq!(c.state(), State::Connecting);
            // Failed attempts back off from 0.5 s (plus up to half of it in jitter), doubling
            // up to the interval; each fetches a fresh endpoint.
            let mut now = 1;
            for step in [500, 1_000, 2_000, 4_000] {
                let at = c.next_deadline().unwrap();
                assert!(
                    (now + step..=now + step + step / 2).contains(&at),
                    "{step}: {at}"
                );
                assert_eq!(kinds(&c.tick(at)), vec!["fetch"]);
                now = at;
                c.endpoint_failed(now, feishu_edge::Error::Network("down".into()));
            }
        }
    }
}

#[test]
fn open_ping_pong_config_and_liveness() {
    let mut c = conn();
    let generation = open(&mut c);
    assert_eq!(c.state(), State::Open);
    // The endpoint's ClientConfig is in force: a ping every 10 s.
    assert_eq!(c.client_config().ping_ms, 10_000);
    assert_eq!(c.next_deadline(), Some(10_100));
    let ping = match c.tick(10_100).remove(0) {
        Action::Send(bytes) => frame::decode(&bytes).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (ping.service, ping.method, ping.header("type")),
        (33, METHOD_CONTROL, Some("ping"))
    );
    // A pong may change the timings.
    let mut pong = Frame::control(33, "pong");
    pong.payload = Some(br#"{"PingInterval":4,"ReconnectInterval":1,"ReconnectNonce":0}"#.to_vec());
    assert!(c
        .message(generation, 10_200, &frame::encode(&pong))
        .is_empty());
    assert_eq!(c.client_config().ping_ms, 4_000);
    // Silence for three ping intervals: the socket is dead, closed, and a reconnect begins
    // with a fresh endpoint.
    let mut now = 10_200;
    let mut seen = Vec::new();
    while c.state() == State::Open {
        now = c.next_deadline().unwrap();
        seen.extend(kinds(&c.tick(now)));
    }
    assert_eq!(now, 10_200 + 12_000, "dead after 3 pings of silence");
    assert!(seen.ends_with(&["close", "reconnecting"]), "{seen:?}");
    assert_eq!(c.state(), State::Reconnecting);
    // Nonce 0: the attempt is due at once, and it fetches a new endpoint.
    assert_eq!(kinds(&c.tick(c.next_deadline().unwrap())), vec!["fetch"]);
    let Action::Connect { generation: g2, .. } = c.endpoint_reply(now, 200, OK).remove(0) else {
        panic!()
    };
    assert_ne!(g2, generation);
    // The old socket's late events are ignored; the new one reconnects.
    assert!(c.closed(generation, now, "late").is_empty());
    assert_eq!(kinds(&c.opened(g2, now + 1)), vec!["send", "reconnected"]);
}

#[test]
fn handshake_refusals() {
    for (status, code, fatal) in [
        (514, Some(1_000_040_350), true),
        (514, Some(1), false),
        (403, None, true),
        (500, None, false),
    ] {
        let mut c = conn();
        c.start(0);
        let Action::Connect { generation, .. } = c.endpoint_reply(1, 200, OK).remove(0) else {
            panic!()
        };
        let actions = c.refused(generation, 2, status, code, "refused");
        assert_eq!(
            kinds(&actions),
            vec![if fatal { "failed" } else { "error" }],
            "{status} {code:?}"
        );
        assert_eq!(c.state() == State::Failed, fatal);
    }
    // A handshake that never completes times out and is retried.
    let mut c = conn();
    c.start(0);
    let Action::Connect { generation, .. } = c.endpoint_reply(1, 200, OK).remove(0) else {
        panic!()
    };
    let deadline = c.next_deadline().unwrap();
    assert_eq!(deadline, 1 + 10_000);
    let actions = c.tick(deadline);
    assert_eq!(kinds(&actions), vec!["close", "error"]);
    assert!(matches!(actions[0], Action::CloseSocket { generation: g } if g == generation));
}

#[test]
fn events_are_delivered_joined_and_acked_with_the_reply() {
    let mut c = conn();
    let generation = open(&mut c);
    let payload = br#"{"schema":"2.0","header":{"event_type":"card.action.trigger"}}"#;
    let (a, b) = payload.split_at(20);
    assert!(c
        .message(generation, 200, &event_frame("m1", 2, 1, b))
        .is_empty());
    let id = match c
        .message(generation, 201, &event_frame("m1", 2, 0, a))
        .remove(0)
    {
        Action::Deliver {
            id,
            payload: joined,
        } => {
            assert_eq!(joined, payload);
            id
        }
        other => panic!("{other:?}"),
    };
    let ack = frame::decode(
        &c.ack(id, 200, 12, Some(br#"{"toast":{"type":"info"}}"#))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (ack.seq_id, ack.log_id, ack.service, ack.method),
        (9, 77, 33, METHOD_DATA)
    );
    assert_eq!(
        (ack.header("message_id"), ack.header("biz_rt")),
        (Some("m1"), Some("12"))
    );
    let body = String::from_utf8(ack.payload.unwrap()).unwrap();
    assert_eq!(
        body,
        r#"{"code":200,"data":"eyJ0b2FzdCI6eyJ0eXBlIjoiaW5mbyJ9fQ=="}"#
    );
    // Acked once only.
    assert!(c.ack(id, 200, 1, None).is_none());
    // A delivery whose socket is gone is not acked (the platform pushes it again).
    let id = match c
        .message(generation, 300, &event_frame("m2", 1, 0, b"{}"))
        .remove(0)
    {
        Action::Deliver { id, .. } => id,
        other => panic!("{other:?}"),
    };
    c.closed(generation, 301, "dropped");
    assert!(c.ack(id, 200, 1, None).is_none());
}

#[test]
fn untrusted_frames_never_deliver() {
    let mut c = conn();
    let generation = open(&mut c);
    let junk: [&[u8]; 6] = [
        b"\xff\xff\xff",
        &[0x80; 12],
        &event_frame("m", 0, 0, b"{}"),
        &event_frame("m", 5, 9, b"{}"),
        &event_frame("m", 1_000_000, 0, b"{}"),
        &frame::encode(&Frame {
            method: METHOD_DATA,
            headers: vec![("type".into(), "card".into())],
            payload: Some(b"{}".to_vec()),
            ..Frame::default()
        }),
    ];
    for bytes in junk {
        let actions = c.message(generation, 500, bytes);
        assert!(kinds(&actions).is_empty(), "{actions:?}");
    }
    assert!(kinds(&c.text(generation, 501)).is_empty());
    // An incomplete message expires after 10 s.
    assert!(c
        .message(generation, 600, &event_frame("half", 2, 0, b"{"))
        .is_empty());
    assert!(c.next_deadline().unwrap() <= 10_600);
    c.tick(10_600);
    assert!(
        c.message(generation, 10_601, &event_frame("half", 2, 1, b"}"))
            .is_empty(),
        "the first half was dropped"
    );
    assert_eq!(c.state(), State::Open);
}

#[test]
fn close_leaves_nothing_and_auto_reconnect_off_stops() {
    let mut c = conn();
    let generation = open(&mut c);
    let actions = c.close();
    assert!(matches!(actions[..], [Action::CloseSocket { generation: g }] if g == generation));
    assert_eq!((c.state(), c.next_deadline()), (State::Closed, None));
    assert!(c.closed(generation, 1, "closed").is_empty());
    assert!(c.tick(1_000_000).is_empty());
    // autoReconnect: false: a drop ends it, no timer.
    let mut opts = ConnectionOptions::new("cli_a", "s", "http://x/");
    opts.auto_reconnect = false;
    let mut c = Connection::new(opts);
    let generation = open(&mut c);
    assert_eq!(kinds(&c.closed(generation, 200, "dropped")), vec!["error"]);
    assert_eq!((c.state(), c.next_deadline()), (State::Closed, None));
}

/// An endpoint reply with this `ClientConfig` (seconds).
fn ok_with(config: &str) -> Vec<u8> {
    format!(r#"{{"code":0,"msg":"ok","data":{{"URL":"wss://emu/ws/v2?service_id=33&ticket=t","ClientConfig":{config}}}}}"#).into_bytes()
}

#[test]
fn a_zero_reconnect_interval_removes_no_floor() {
    // Issue 23 M4: ReconnectInterval 0 (or missing) and retryable refusals: still 0.5 s,
    // doubling, with jitter.
    for config in [
        r#"{"PingInterval":10,"ReconnectInterval":0,"ReconnectNonce":0}"#,
        r#"{"PingInterval":10}"#,
    ] {
        let mut c = conn();
        c.start(0);
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..6 {
            let Action::Connect { generation, .. } =
                c.endpoint_reply(now, 200, &ok_with(config)).remove(0)
            else {
                panic!()
            };
            assert_eq!(
                kinds(&c.refused(generation, now, 514, Some(1), "auth")),
                vec!["error"]
            );
            let at = c.next_deadline().unwrap();
            waits.push(at - now);
            assert_eq!(kinds(&c.tick(at)), vec!["fetch"]);
            now = at;
        }
        for (i, w) in waits.iter().enumerate() {
            let step = 500 << i;
            assert!((step..step + step / 2).contains(w), "{config}: {waits:?}");
        }
    }
}

#[test]
fn an_accept_then_drop_loop_backs_off_and_an_established_connection_resets_it() {
    let cfg = r#"{"PingInterval":10,"ReconnectInterval":0,"ReconnectNonce":0}"#;
    let mut c = conn();
    c.start(0);
    let mut now = 0;
    let mut waits = Vec::new();
    for _ in 0..5 {
        let Action::Connect { generation, .. } =
            c.endpoint_reply(now, 200, &ok_with(cfg)).remove(0)
        else {
            panic!()
        };
        c.opened(generation, now + 10);
        // A pong arrives, then the socket drops at once.
        let pong = frame::encode(&Frame::control(33, "pong"));
        c.message(generation, now + 11, &pong);
        assert!(
            kinds(&c.closed(generation, now + 20, "closed with code 1006"))
                .contains(&"reconnecting")
        );
        let at = c.next_deadline().unwrap();
        waits.push(at - (now + 20));
        assert_eq!(kinds(&c.tick(at)), vec!["fetch"]);
        now = at;
    }
    for (i, w) in waits.iter().enumerate() {
        let step = 500 << i;
        assert!((step..step + step / 2).contains(w), "{waits:?}");
    }
    // A connection that stayed open 10 s starts afresh: a short random wait.
    let Action::Connect { generation, .. } = c.endpoint_reply(now, 200, &ok_with(cfg)).remove(0)
    else {
        panic!()
    };
    c.opened(generation, now);
    c.closed(generation, now + 10_000, "dropped");
    assert!(c.next_deadline().unwrap() < now + 10_000 + 500);
}

#[test]
fn a_rate_limit_from_the_endpoint_is_retried_after_its_reset_hint() {
    // Issue 23 M2: 99991400 with HTTP 429, 400 or 200, and a bare 429, are retried.
    let limited = br#"{"code":99991400,"msg":"request trigger frequency limit"}"#;
    for (status, body, hint) in [
        (429, &limited[..], Some(7)),
        (400, limited, None),
        (200, limited, Some(2)),
        (429, b"too many", Some(3)),
    ] {
        let mut c = conn();
        c.start(0);
        let actions = c.endpoint_reply_with(1_000, status, hint, body);
        assert_eq!(kinds(&actions), vec!["error"], "{status}");
        assert_eq!(c.state(), State::Connecting);
        let wait = c.next_deadline().unwrap() - 1_000;
        let floor = hint.map_or(500, |h| h * 1000);
        assert!(
            (floor..floor + floor / 2 + 1).contains(&wait),
            "{status}: {wait}"
        );
        assert_eq!(kinds(&c.tick(1_000 + wait)), vec!["fetch"]);
    }
    // A hint is bounded.
    let mut c = conn();
    c.start(0);
    c.endpoint_reply_with(0, 429, Some(1 << 40), limited);
    assert!(c.next_deadline().unwrap() <= feishu_edge::ws::MAX_RATE_LIMIT_WAIT_MS * 3 / 2);
    // Credentials still stop it.
    let mut c = conn();
    c.start(0);
    let bad = br#"{"code":10003,"msg":"invalid app_secret"}"#;
    assert_eq!(kinds(&c.endpoint_reply(0, 200, bad)), vec!["failed"]);
}

#[test]
fn an_endpoint_url_a_socket_would_refuse_is_a_failed_attempt_and_never_logged() {
    // Issue 23 M3.
    for url in [
        "wss://emu/ws v2?ticket=SECRET",
        "wss://emu/ws/v2?ticket=SECRET#frag",
        "wss://emu/ws/v2?ticket=SECRET\n",
        "wss://?ticket=SECRET",
        "https://emu/ws/v2?ticket=SECRET",
    ] {
        let mut c = conn();
        c.start(0);
        let body = format!(
            r#"{{"code":0,"data":{{"URL":{}}}}}"#,
            serde_json::to_string(url).unwrap()
        );
        let actions = c.endpoint_reply(0, 200, body.as_bytes());
        assert_eq!(kinds(&actions), vec!["error"], "{url:?}");
        for a in &actions {
            assert!(!format!("{a:?}").contains("SECRET"), "{a:?}");
        }
        assert!(c.next_deadline().unwrap() >= 500);
    }
    // A runtime's error quoting the URL is logged without the ticket.
    let mut c = conn();
    c.start(0);
    let Action::Connect { generation, .. } = c.endpoint_reply(0, 200, OK).remove(0) else {
        panic!()
    };
    let actions = c.closed(
        generation,
        5,
        "Invalid URL: wss://emu/ws/v2?device_id=d&ticket=t",
    );
    let text = format!("{actions:?}");
    assert!(
        !text.contains("ticket=t") && text.contains("wss://emu/"),
        "{text}"
    );
}

#[test]
fn an_event_refused_for_its_size_is_acked_500_and_an_oversized_message_is_dropped_unread() {
    // Issue 23 L1: over the one size rule (4 MiB joined), the parts are acked 500.
    use feishu_edge::ws::reassembly::MAX_MESSAGE_BYTES;
    let mut c = conn();
    let generation = open(&mut c);
    let half = vec![b' '; MAX_MESSAGE_BYTES / 2 + 10];
    assert!(c
        .message(generation, 200, &event_frame("big", 2, 0, &half))
        .is_empty());
    let actions = c.message(generation, 201, &event_frame("big", 2, 1, &half));
    assert_eq!(kinds(&actions), vec!["send"]);
    let Some(Action::Send(bytes)) = actions.iter().find(|a| matches!(a, Action::Send(_))) else {
        panic!()
    };
    let ack = frame::decode(bytes).unwrap();
    assert_eq!(ack.header("message_id"), Some("big"));
    assert_eq!(ack.payload.as_deref(), Some(&br#"{"code":500}"#[..]));
    // R1: the host reports a message over max_frame_bytes() without handing it over.
    assert!(c.max_frame_bytes() > MAX_MESSAGE_BYTES);
    let actions = c.oversized(generation, 300, 60 << 20);
    assert!(kinds(&actions).is_empty());
    assert!(matches!(&actions[..], [Action::Log(..)]));
    assert_eq!(c.state(), State::Open);
}

#[test]
fn each_endpoint_attempt_has_its_own_number_and_close_ends_it() {
    let mut c = conn();
    assert_eq!(c.endpoint_attempt(), None);
    c.start(0);
    let first = c.endpoint_attempt().expect("fetching");
    c.close();
    assert_eq!(c.endpoint_attempt(), None, "close() abandons the attempt");
    c.start(10);
    let second = c.endpoint_attempt().expect("fetching again");
    assert_ne!(first, second, "a start() after close() is a new attempt");
    // A retry after a failure is a new attempt too.
    let waiting = c.endpoint_failed(20, feishu_edge::Error::Timeout { ms: 1 });
    assert!(kinds(&waiting).contains(&"error"), "{waiting:?}");
    assert_eq!(c.endpoint_attempt(), None);
    let at = c.next_deadline().expect("a retry is due");
    assert!(matches!(c.tick(at)[..], [Action::FetchEndpoint]));
    let third = c.endpoint_attempt().expect("fetching");
    assert!(third > second);
    assert!(matches!(
        c.endpoint_reply(at, 200, OK)[..],
        [Action::Connect { .. }]
    ));
    assert_eq!(c.endpoint_attempt(), None);
}
