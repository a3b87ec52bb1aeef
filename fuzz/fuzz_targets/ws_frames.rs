//! The long connection's untrusted input: arbitrary bytes as frames, then as a sequence of
//! messages (split at 0xFF bytes) into an open connection, parts and all. Nothing may panic;
//! a delivery's payload never exceeds the reassembly bound; acks always decode.
#![no_main]
use feishu_edge::ws::frame::{decode, encode};
use feishu_edge::ws::reassembly::MAX_MESSAGE_BYTES;
use feishu_edge::ws::{Action, Connection, ConnectionOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode(data) {
        // What decodes re-encodes to something that decodes to the same frame.
        assert_eq!(decode(&encode(&frame)).as_ref(), Ok(&frame));
    }
    let mut conn = Connection::new(ConnectionOptions::new("cli_a", "s", "http://x/"));
    conn.start(0);
    let reply = br#"{"code":0,"data":{"URL":"wss://x/ws?service_id=1","ClientConfig":{"PingInterval":1}}}"#;
    let Some(Action::Connect { generation, .. }) = conn.endpoint_reply(0, 200, reply).into_iter().next() else {
        panic!("the endpoint reply opens a connection");
    };
    conn.opened(generation, 0);
    let mut now = 0u64;
    for message in data.split(|b| *b == 0xff) {
        now += 300;
        for action in conn.message(generation, now, message).into_iter().chain(conn.tick(now)) {
            if let Action::Deliver { id, payload } = action {
                assert!(payload.len() <= MAX_MESSAGE_BYTES);
                if let Some(ack) = conn.ack(id, 200, 1, Some(b"{}")) {
                    assert!(decode(&ack).is_ok());
                }
            }
        }
    }
});
