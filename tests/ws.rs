//! Native tests of the long connection's state machine, codec and acks (issue 16): what each
//! endpoint reply, handshake refusal, frame and silence leads to.
#![cfg(not(target_arch = "wasm32"))]

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
        [Action::Send(_), Action::Ready | Action::Reconnected]
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
