//! Native tests of the card builder, validation, templates, escaping, callback parsing and the
//! streaming protocol (scripted transport).
#![cfg(not(target_arch = "wasm32"))]

use feishu_edge::card::stream::{stream_card, ChunkSource, StreamOptions};
use feishu_edge::card::*;
use feishu_edge::{
    Body, BoxFuture, Client, Config, Error, HttpRequest, HttpResponse, Runtime, Transport,
    TransportError,
};
use futures_executor::block_on;
use std::future::IntoFuture;
mod support;
use std::sync::Arc;
#[allow(unused_imports)]
use support::{Locked, Slot};

#[test]
fn builder_snapshot() {
    let json = Card::new()
        .title("Release 1.2")
        .subtitle("ready")
        .template("green")
        .config("update_multi", "true")
        .push(markdown("**done**").element_id("summary"))
        .push(plain_text("plain"))
        .push(divider())
        .push(image("img_v3_1", "logo"))
        .push(confirm(
            button("Approve", ButtonAction::Callback(r#"{"op":"ok"}"#.into())),
            "Sure?",
            "This ships it",
        ))
        .push(button(
            "Docs",
            ButtonAction::Url("https://example.com/docs".into()),
        ))
        .push(column_set(vec![
            vec![markdown("left")],
            vec![person("ou_1")],
        ]))
        .push(collapsible_panel("More", false, vec![markdown("hidden")]))
        .push(form(
            "f1",
            vec![
                input("reason", "Why"),
                select_static("env", "Pick", &[("Prod", "prod")]),
                date_picker("day", "When"),
                button("Send", ButtonAction::Submit),
            ],
        ))
        .push(table(&["Name", "Score"], &[vec!["a".into(), "1".into()]]))
        .push(chart(r#"{"type":"bar"}"#))
        .to_json()
        .unwrap();
    let expected = concat!(
        r#"{"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"Release 1.2"},"subtitle":{"tag":"plain_text","content":"ready"},"template":"green"},"body":{"elements":["#,
        r#"{"tag":"markdown","content":"**done**","element_id":"summary"},"#,
        r#"{"tag":"div","text":{"tag":"plain_text","content":"plain"}},"#,
        r#"{"tag":"hr"},"#,
        r#"{"tag":"img","img_key":"img_v3_1","alt":{"tag":"plain_text","content":"logo"}},"#,
        r#"{"tag":"button","text":{"tag":"plain_text","content":"Approve"},"type":"default","behaviors":[{"type":"callback","value":{"op":"ok"}}],"confirm":{"title":{"tag":"plain_text","content":"Sure?"},"text":{"tag":"plain_text","content":"This ships it"}}},"#,
        r#"{"tag":"button","text":{"tag":"plain_text","content":"Docs"},"type":"default","behaviors":[{"type":"open_url","default_url":"https://example.com/docs"}]},"#,
        r#"{"tag":"column_set","flex_mode":"none","columns":[{"tag":"column","width":"weighted","weight":1,"elements":[{"tag":"markdown","content":"left"}]},{"tag":"column","width":"weighted","weight":1,"elements":[{"tag":"person","user_id":"ou_1"}]}]},"#,
        r#"{"tag":"collapsible_panel","expanded":false,"header":{"title":{"tag":"markdown","content":"More"}},"elements":[{"tag":"markdown","content":"hidden"}]},"#,
        r#"{"tag":"form","name":"f1","elements":[{"tag":"input","name":"reason","label":{"tag":"plain_text","content":"Why"}},{"tag":"select_static","name":"env","placeholder":{"tag":"plain_text","content":"Pick"},"options":[{"text":{"tag":"plain_text","content":"Prod"},"value":"prod"}]},{"tag":"date_picker","name":"day","placeholder":{"tag":"plain_text","content":"When"}},{"tag":"button","text":{"tag":"plain_text","content":"Send"},"type":"default","form_action_type":"submit","name":"submit"}]},"#,
        r#"{"tag":"table","page_size":10,"columns":[{"name":"c0","display_name":"Name","data_type":"text"},{"name":"c1","display_name":"Score","data_type":"text"}],"rows":[{"c0":"a","c1":"1"}]},"#,
        r#"{"tag":"chart","chart_spec":{"type":"bar"}}"#,
        r#"]}}"#
    );
    assert_eq!(json, expected);
    serde_json::from_str::<serde_json::Value>(&json).unwrap();
}

#[test]
fn templates() {
    assert_eq!(
        text_card("Hi", "body").to_json().unwrap(),
        r#"{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"Hi"},"template":"blue"},"body":{"elements":[{"tag":"markdown","content":"body"}]}}"#
    );
    assert!(alert_card("Down", "db", "error")
        .to_json()
        .unwrap()
        .contains(r#""template":"red""#));
    assert!(alert_card("Ok", "fine", "success")
        .to_json()
        .unwrap()
        .contains(r#""template":"green""#));
    let t = table_card(
        "T",
        &["a"],
        &[vec!["1".into(), "extra cell dropped".into()]],
    )
    .to_json()
    .unwrap();
    assert!(t.contains(r#""rows":[{"c0":"1"}]"#), "{t}");
}

fn card_with(elements: &str) -> String {
    format!(r#"{{"schema":"2.0","body":{{"elements":[{elements}]}}}}"#)
}

#[test]
fn validation_failures_name_the_element() {
    let cases: &[(&str, String, CardErrorKind, &str)] = &[
        (
            "unknown tag",
            card_with(r#"{"tag":"marquee"}"#),
            CardErrorKind::UnknownTag,
            "body.elements[0]",
        ),
        (
            "no tag",
            card_with(r#"{"content":"x"}"#),
            CardErrorKind::MissingField,
            "body.elements[0]",
        ),
        (
            "markdown without content",
            card_with(r#"{"tag":"hr"},{"tag":"markdown"}"#),
            CardErrorKind::MissingField,
            "body.elements[1]",
        ),
        (
            "img without key",
            card_with(r#"{"tag":"img","img_key":null}"#),
            CardErrorKind::MissingField,
            "body.elements[0]",
        ),
        (
            "bad element id",
            card_with(r#"{"tag":"hr","element_id":"1abc"}"#),
            CardErrorKind::InvalidElementId,
            "body.elements[0]",
        ),
        (
            "long element id",
            card_with(r#"{"tag":"hr","element_id":"a23456789012345678901"}"#),
            CardErrorKind::InvalidElementId,
            "body.elements[0]",
        ),
        (
            "element id with dash",
            card_with(r#"{"tag":"hr","element_id":"a-b"}"#),
            CardErrorKind::InvalidElementId,
            "body.elements[0]",
        ),
        (
            "duplicate element id",
            card_with(
                r#"{"tag":"hr","element_id":"x"},{"tag":"column_set","columns":[{"tag":"column","elements":[{"tag":"hr","element_id":"x"}]}]}"#,
            ),
            CardErrorKind::DuplicateElementId,
            "body.elements[1].columns[0].elements[0]",
        ),
        (
            "not an element",
            card_with("42"),
            CardErrorKind::NotAnObject,
            "body.elements[0]",
        ),
        (
            "column set of non-columns",
            card_with(r#"{"tag":"column_set","columns":[{"tag":"hr"}]}"#),
            CardErrorKind::InvalidField,
            "body.elements[0].columns[0]",
        ),
        (
            "form in form",
            card_with(
                r#"{"tag":"form","name":"a","elements":[{"tag":"form","name":"b","elements":[]}]}"#,
            ),
            CardErrorKind::NestedForm,
            "body.elements[0].elements[0]",
        ),
        (
            "form without submit",
            card_with(r#"{"tag":"form","name":"a","elements":[{"tag":"input","name":"i"}]}"#),
            CardErrorKind::MissingSubmit,
            "body.elements[0]",
        ),
        (
            "form field without name",
            card_with(
                r#"{"tag":"form","name":"a","elements":[{"tag":"input"},{"tag":"button","text":{"tag":"plain_text","content":"s"},"form_action_type":"submit"}]}"#,
            ),
            CardErrorKind::MissingField,
            "body.elements[0].elements[0]",
        ),
        (
            "too deep",
            card_with(&format!(
                "{}{{\"tag\":\"hr\"}}{}",
                r#"{"tag":"collapsible_panel","elements":["#.repeat(6),
                "]}".repeat(6)
            )),
            CardErrorKind::TooDeep,
            "body.elements[0].elements[0].elements[0].elements[0].elements[0].elements[0]",
        ),
        (
            "too many elements",
            card_with(&vec![r#"{"tag":"hr"}"#; 201].join(",")),
            CardErrorKind::TooManyElements,
            "body.elements[200]",
        ),
        (
            "wrong schema",
            r#"{"schema":"1.0","body":{"elements":[]}}"#.into(),
            CardErrorKind::InvalidSchema,
            "schema",
        ),
        (
            "no body",
            r#"{"schema":"2.0"}"#.into(),
            CardErrorKind::MissingField,
            "body",
        ),
        (
            "header without title",
            r#"{"schema":"2.0","header":{"template":"red"},"body":{"elements":[]}}"#.into(),
            CardErrorKind::MissingField,
            "header",
        ),
        (
            "elements not an array",
            r#"{"schema":"2.0","body":{"elements":{}}}"#.into(),
            CardErrorKind::InvalidField,
            "body.elements",
        ),
    ];
    for (name, json, kind, path) in cases {
        let e = validate(json).expect_err(name);
        assert_eq!(
            (e.kind, e.path.as_str()),
            (*kind, *path),
            "{name}: {}",
            e.message
        );
    }
    assert!(validate("[").is_err() && validate("").is_err());
}

#[test]
fn size_limit_names_the_largest_element() {
    let big = "x".repeat(20_000);
    let card = Card::new()
        .push(markdown("small"))
        .push(markdown(&big).element_id("essay"))
        .push(markdown(&"y".repeat(11_000)));
    let e = card.to_json().unwrap_err();
    assert_eq!(e.kind, CardErrorKind::TooLarge);
    assert!(
        e.message.contains("body.elements[1] (essay"),
        "{}",
        e.message
    );
    assert!(
        Card::new()
            .push(markdown(&"x".repeat(30_000)))
            .to_json()
            .is_ok(),
        "just under 30 KB is fine"
    );
}

#[test]
fn escape_markdown_covers_every_special_character() {
    let specials = r"\*_~`#[](){}|!-+=$&<>";
    let escaped = escape_markdown(specials);
    for c in specials.chars() {
        assert!(
            !escaped.contains(c) || c == '&' || c == '#',
            "{c} left in {escaped}"
        );
    }
    assert_eq!(
        escape_markdown("plain text, 中文. ok?"),
        "plain text, 中文. ok?"
    );
    assert_eq!(escape_markdown("a_b"), "a&#95;b");
    assert_eq!(
        escape_markdown("<at id=all></at>"),
        "&lt;at id&#61;all&gt;&lt;/at&gt;"
    );
}

#[test]
fn parse_action_both_flows() {
    let legacy = r#"{"open_id":"ou_l","user_id":"u_l","open_message_id":"om_l","open_chat_id":"oc_l","tenant_key":"tk","token":"c-legacy","action":{"tag":"select_static","option":"prod","value":{"k":1}}}"#;
    let a = parse_action(legacy).unwrap();
    assert_eq!(
        (
            a.flow,
            a.tag.as_deref(),
            a.option.as_deref(),
            a.value.as_deref(),
            a.open_message_id.as_deref(),
            a.token.as_deref(),
            a.user_id.as_deref()
        ),
        (
            "legacy",
            Some("select_static"),
            Some("prod"),
            Some(r#"{"k":1}"#),
            Some("om_l"),
            Some("c-legacy"),
            Some("u_l")
        )
    );
    let envelope = r#"{"schema":"2.0","header":{"event_id":"e","event_type":"card.action.trigger","token":"vt"},"event":{"operator":{"open_id":"ou_v","union_id":"on_v","tenant_key":"tk2"},"token":"c-v2","action":{"tag":"button","value":{"op":"go"},"form_value":{"reason":"x"},"name":"submit"},"context":{"open_message_id":"om_v","open_chat_id":"oc_v"}}}"#;
    let a = parse_action(envelope).unwrap();
    assert_eq!(
        (
            a.flow,
            a.tag.as_deref(),
            a.form_value.as_deref(),
            a.open_id.as_deref(),
            a.union_id.as_deref(),
            a.open_chat_id.as_deref(),
            a.token.as_deref(),
            a.tenant_key.as_deref()
        ),
        (
            "v2",
            Some("button"),
            Some(r#"{"reason":"x"}"#),
            Some("ou_v"),
            Some("on_v"),
            Some("oc_v"),
            Some("c-v2"),
            Some("tk2")
        )
    );
    // The handler's merged object (header and event fields in one object).
    let merged = r#"{"event_type":"card.action.trigger","event_id":"e","token":"c-v2","operator":{"open_id":"ou_v"},"action":{"tag":"input","input_value":"typed"},"context":{"open_message_id":"om_v"}}"#;
    let a = parse_action(merged).unwrap();
    assert_eq!(
        (
            a.flow,
            a.input_value.as_deref(),
            a.open_message_id.as_deref()
        ),
        ("v2", Some("typed"), Some("om_v"))
    );
    assert!(parse_action(r#"{"no":"action"}"#).is_none() && parse_action("[]").is_none());
}

// ---- streaming against a scripted transport ----

/// Virtual time: a sleep moves the clock when it is polled (a timer that loses a `select`
/// without being polled never fires).
#[derive(Default)]
struct Clock(Arc<Slot<u64>>);
impl Runtime for Clock {
    fn now_ms(&self) -> u64 {
        1_700_000_000_000 + self.0.get()
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        let now = self.0.clone();
        Box::pin(async move { now.set(now.get() + ms) })
    }
    fn jitter(&self) -> f64 {
        0.0
    }
}

#[derive(Default)]
struct CardKit(Locked<Vec<(String, String)>>);
impl Transport for CardKit {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let body = match &req.body {
            Body::Json(s) => s.to_string(),
            _ => String::new(),
        };
        let path = req
            .url
            .split("/open-apis/")
            .nth(1)
            .unwrap_or("")
            .to_string();
        self.0
            .borrow_mut()
            .push((format!("{} {path}", req.method.as_str()), body));
        let reply = if path.contains("auth/v3") {
            r#"{"code":0,"tenant_access_token":"t","expire":7200}"#
        } else if path == "cardkit/v1/cards" {
            r#"{"code":0,"data":{"card_id":"card_1"}}"#
        } else {
            r#"{"code":0,"data":{}}"#
        };
        Box::pin(std::future::ready(Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: reply.as_bytes().to_vec(),
            stream: None,
        })))
    }
}

/// Chunks from a list; `fail_at` turns one into an error. Each chunk "takes" 5 virtual ms.
struct Chunks {
    items: Locked<Vec<String>>,
    fail_at: Option<usize>,
    served: Slot<usize>,
    clock: Arc<Clock>,
}
impl ChunkSource for Chunks {
    fn next(&self) -> BoxFuture<'static, Option<Result<String, String>>> {
        let i = self.served.get();
        self.served.set(i + 1);
        self.clock.0.set(self.clock.0.get() + 5);
        let item = if Some(i) == self.fail_at {
            Some(Err("model overloaded".to_string()))
        } else {
            let mut items = self.items.borrow_mut();
            (!items.is_empty()).then(|| Ok(items.remove(0)))
        };
        Box::pin(std::future::ready(item))
    }
}

fn streaming(fail_at: Option<usize>) -> (Result<String, Error>, Vec<(String, String)>, String) {
    let kit = Arc::new(CardKit::default());
    let clock = Arc::new(Clock::default());
    let client = Client::builder(Config::new("cli", "s"))
        .transport(kit.clone())
        .runtime(clock.clone())
        .build()
        .unwrap();
    let words: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    let expected = words.concat();
    let source = Chunks {
        items: Locked::new(words),
        fail_at,
        served: Slot::new(0),
        clock,
    };
    let opts = StreamOptions {
        reply_to: Some("om_q".into()),
        ..Default::default()
    };
    let result = block_on(stream_card(&client, &**client.runtime(), &source, &opts).into_future());
    let calls = kit
        .0
        .borrow()
        .iter()
        .filter(|(m, _)| !m.contains("auth/v3"))
        .cloned()
        .collect();
    (result, calls, expected)
}

#[test]
fn streaming_protocol() {
    let (result, calls, expected) = streaming(None);
    assert_eq!(result.unwrap(), "card_1");
    assert_eq!(calls[0].0, "POST cardkit/v1/cards");
    assert!(
        calls[0].1.contains(r#"\"streaming_mode\":true"#)
            && calls[0].1.contains(r#"\"element_id\":\"md\""#),
        "{}",
        calls[0].1
    );
    assert_eq!(calls[1].0, "POST im/v1/messages/om_q/reply");
    assert!(
        calls[1]
            .1
            .contains(r#"{\"type\":\"card\",\"data\":{\"card_id\":\"card_1\"}}"#),
        "{}",
        calls[1].1
    );
    let updates: Vec<&(String, String)> = calls
        .iter()
        .filter(|(m, _)| m == "PUT cardkit/v1/cards/card_1/elements/md/content")
        .collect();
    // 200 chunks × 5 ms = 1 s of virtual time, debounce 250 ms: at most 1000/250 + 1 updates.
    assert!(
        !updates.is_empty() && updates.len() <= 5,
        "{} updates",
        updates.len()
    );
    let sequences: Vec<u64> = calls
        .iter()
        .filter_map(|(_, b)| {
            serde_json::from_str::<serde_json::Value>(b)
                .ok()?
                .get("sequence")?
                .as_u64()
        })
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    let last: serde_json::Value = serde_json::from_str(&updates.last().unwrap().1).unwrap();
    assert_eq!(last["content"], expected);
    assert_eq!(last["uuid"], format!("card_1-{}", last["sequence"]));
    let close = calls.last().unwrap();
    assert_eq!(close.0, "PATCH cardkit/v1/cards/card_1/settings");
    assert!(close.1.contains(r#"streaming_mode\":false"#));
}

#[test]
fn a_failing_source_still_closes_the_card() {
    let (result, calls, _) = streaming(Some(50));
    assert_eq!(
        result.unwrap_err(),
        Error::Stream("model overloaded".into())
    );
    let last_update = calls
        .iter()
        .rev()
        .find(|(m, _)| m.ends_with("/content"))
        .unwrap();
    assert!(
        last_update.1.contains("interrupted") && last_update.1.contains("model overloaded"),
        "{}",
        last_update.1
    );
    assert_eq!(
        calls.last().unwrap().0,
        "PATCH cardkit/v1/cards/card_1/settings"
    );
}

#[test]
fn stream_options_are_checked() {
    let kit = Arc::new(CardKit::default());
    let client = Client::builder(Config::new("cli", "s"))
        .transport(kit)
        .build()
        .unwrap();
    let source = Chunks {
        items: Locked::new(vec![]),
        fail_at: None,
        served: Slot::new(0),
        clock: Arc::new(Clock::default()),
    };
    let both = StreamOptions {
        reply_to: Some("om".into()),
        receive_id: Some("oc".into()),
        ..Default::default()
    };
    assert!(matches!(
        block_on(stream_card(&client, &**client.runtime(), &source, &both).into_future()),
        Err(Error::InvalidRequest(_))
    ));
    let no_element = StreamOptions {
        receive_id: Some("oc_1".into()),
        card_json: Some(text_card("t", "b").to_json().unwrap()),
        ..Default::default()
    };
    assert!(
        matches!(block_on(stream_card(&client, &**client.runtime(), &source, &no_element).into_future()), Err(Error::InvalidRequest(m)) if m.contains("md"))
    );
    assert_eq!(
        feishu_edge::card::stream::receive_id_type("ou_x"),
        "open_id"
    );
    assert_eq!(
        feishu_edge::card::stream::receive_id_type("on_x"),
        "union_id"
    );
    assert_eq!(
        feishu_edge::card::stream::receive_id_type("1234"),
        "user_id"
    );
}

#[test]
fn children_before_the_tag_are_still_validated() {
    assert!(validate(&card_with(
        r#"{"elements":[{"tag":"markdown","content":"a"}],"tag":"collapsible_panel"}"#
    ))
    .is_ok());
    let e = validate(&card_with(
        r#"{"elements":[{"tag":"blink"}],"tag":"collapsible_panel"}"#,
    ))
    .unwrap_err();
    assert_eq!(
        (e.kind, e.path.as_str()),
        (CardErrorKind::UnknownTag, "body.elements[0].elements[0]")
    );
    let e = validate(&card_with(
        r#"{"columns":[{"tag":"hr"}],"tag":"column_set"}"#,
    ))
    .unwrap_err();
    assert_eq!(e.kind, CardErrorKind::InvalidField);
    assert_eq!(
        element_ids(&card_with(
            r#"{"elements":[{"tag":"hr","element_id":"late"}],"tag":"collapsible_panel"}"#
        )),
        vec!["late"]
    );
}

/// The Rust builders and the npm package's factories (generated from the same
/// src/card/shapes.json) write the same JSON: each Rust builder call beside the JS call that
/// must build the same bytes, written to tests/js/generated/card-golden.mjs, which the JS card
/// suite checks in Node, Deno, workerd and Chromium. A change here or in the shapes fails until
/// the fixture is regenerated (`UPDATE_GOLDEN=1 cargo test --test card golden`).
#[test]
fn golden_factories_match_the_rust_builders() {
    let hard_text = "tab\there \"quoted\" back\\slash\nnew 中文 é \u{1} \u{7f} \u{2028} </b>";
    // (the JS call: {"fn", "args"}, nested calls as {"$call": …}; the Rust builders' JSON)
    let cases: Vec<(String, String)> = vec![
        (r#"{"fn":"markdown","args":["**hi** & <b>"]}"#.into(), markdown("**hi** & <b>").to_json()),
        (
            r#"{"fn":"markdown","args":["x",{"elementId":"m1"}]}"#.into(),
            markdown("x").element_id("m1").to_json(),
        ),
        (
            format!(r#"{{"fn":"markdown","args":[{}]}}"#, serde_json::to_string(hard_text).unwrap()),
            markdown(hard_text).to_json(),
        ),
        (
            r#"{"fn":"markdown","args":["&#42;a&#42;"]}"#.into(),
            markdown(&escape_markdown("*a*")).to_json(),
        ),
        (r#"{"fn":"text","args":["plain 中文"]}"#.into(), plain_text("plain 中文").to_json()),
        (r#"{"fn":"divider","args":[]}"#.into(), divider().to_json()),
        (
            r#"{"fn":"image","args":["img_v3_1",{"alt":"logo"}]}"#.into(),
            image("img_v3_1", "logo").to_json(),
        ),
        (
            r#"{"fn":"button","args":["OK",{"value":{"op":1,"n":[1,2.5,null],"s":"x"}}]}"#.into(),
            button("OK", ButtonAction::Callback(r#"{"op":1,"n":[1,2.5,null],"s":"x"}"#.into())).to_json(),
        ),
        (
            r#"{"fn":"button","args":["Docs",{"url":"https://example.com/a?b=1&c=%20"}]}"#.into(),
            button("Docs", ButtonAction::Url("https://example.com/a?b=1&c=%20".into())).to_json(),
        ),
        (
            r#"{"fn":"button","args":["Send",{"submit":true}]}"#.into(),
            button("Send", ButtonAction::Submit).to_json(),
        ),
        (
            r#"{"fn":"button","args":["Del",{"value":{"op":"del"},"confirm":{"title":"Sure?","text":"Gone"}}]}"#.into(),
            confirm(button("Del", ButtonAction::Callback(r#"{"op":"del"}"#.into())), "Sure?", "Gone").to_json(),
        ),
        (
            r#"{"fn":"button","args":["P",{"value":{},"type":"primary","elementId":"b1"}]}"#.into(),
            button("P", ButtonAction::Callback("{}".into())).text("type", "primary").element_id("b1").to_json(),
        ),
        (
            r#"{"fn":"column","args":[[{"$call":{"fn":"markdown","args":["l"]}}]]}"#.into(),
            column(vec![markdown("l")]).to_json(),
        ),
        (
            r#"{"fn":"columns","args":[[{"$call":{"fn":"markdown","args":["l"]}}],[{"$call":{"fn":"person","args":["ou_1"]}}]]}"#.into(),
            column_set(vec![vec![markdown("l")], vec![person("ou_1")]]).to_json(),
        ),
        (
            r#"{"fn":"panel","args":["More",[{"$call":{"fn":"divider","args":[]}}],{"expanded":true}]}"#.into(),
            collapsible_panel("More", true, vec![divider()]).to_json(),
        ),
        (
            r#"{"fn":"panel","args":["Less",[{"$call":{"fn":"markdown","args":["x"]}}]]}"#.into(),
            collapsible_panel("Less", defaults::PANEL_EXPANDED, vec![markdown("x")]).to_json(),
        ),
        (
            r#"{"fn":"form","args":["f1",[{"$call":{"fn":"input","args":["reason",{"label":"Why"}]}},{"$call":{"fn":"button","args":["Send",{"submit":true}]}}]]}"#.into(),
            form("f1", vec![input("reason", "Why"), button("Send", ButtonAction::Submit)]).to_json(),
        ),
        (
            r#"{"fn":"select","args":["env",[{"text":"Production","value":"prod"},{"text":"Dev","value":"dev"}],{"placeholder":"pick"}]}"#.into(),
            select_static("env", "pick", &[("Production", "prod"), ("Dev", "dev")]).to_json(),
        ),
        (
            r#"{"fn":"datePicker","args":["day",{"placeholder":"When"}]}"#.into(),
            date_picker("day", "When").to_json(),
        ),
        (
            r#"{"fn":"table","args":[["Name","Score"],[["a","1"],["b"]]]}"#.into(),
            table(&["Name", "Score"], &[vec!["a".into(), "1".into()], vec!["b".into()]]).to_json(),
        ),
        (
            r#"{"fn":"chart","args":[{"type":"bar","data":[{"x":1,"y":-0.5}]}]}"#.into(),
            chart(r#"{"type":"bar","data":[{"x":1,"y":-0.5}]}"#).to_json(),
        ),
        (r#"{"fn":"person","args":["ou_1"]}"#.into(), person("ou_1").to_json()),
        (
            r#"{"fn":"Card","args":[{"title":"Release","header":{"subtitle":"ready","template":"green"},"config":{"update_multi":true},"elements":[{"$call":{"fn":"markdown","args":["a",{"elementId":"a1"}]}},{"$call":{"fn":"button","args":["Go",{"value":{"k":1}}]}}]}]}"#.into(),
            Card::new()
                .title("Release")
                .subtitle("ready")
                .template("green")
                .config("update_multi", "true")
                .push(markdown("a").element_id("a1"))
                .push(button("Go", ButtonAction::Callback(r#"{"k":1}"#.into())))
                .to_json()
                .unwrap(),
        ),
        (
            r#"{"fn":"Card","args":[{"elements":[{"$call":{"fn":"divider","args":[]}}]}]}"#.into(),
            Card::new().push(divider()).to_json().unwrap(),
        ),
        (r#"{"fn":"textCard","args":["Hi","body"]}"#.into(), text_card("Hi", "body").to_json().unwrap()),
        (
            r#"{"fn":"alertCard","args":["Down","db","error"]}"#.into(),
            alert_card("Down", "db", "error").to_json().unwrap(),
        ),
        (
            r#"{"fn":"alertCard","args":["Note","n","info"]}"#.into(),
            alert_card("Note", "n", "info").to_json().unwrap(),
        ),
        (
            r#"{"fn":"tableCard","args":["T",["a","b"],[["1","2"]]]}"#.into(),
            table_card("T", &["a", "b"], &[vec!["1".into(), "2".into()]]).to_json().unwrap(),
        ),
    ];
    let mut text = String::from(
        "// Generated by tests/card.rs (golden_factories_match_the_rust_builders; UPDATE_GOLDEN=1 cargo test --test card golden rewrites it) from the Rust card builders: do not edit.\n// Each JS factory call must build exactly this JSON (checked by tests/js/card-suite.mjs).\nexport default [\n",
    );
    for (call, json) in &cases {
        assert!(
            serde_json::from_str::<serde_json::Value>(call).is_ok(),
            "{call}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(json).is_ok(),
            "{json}"
        );
        text.push_str(&format!(
            "  {{ call: {call}, json: {} }},\n",
            serde_json::to_string(json).unwrap()
        ));
    }
    text.push_str("];\n");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/js/generated/card-golden.mjs"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/generated"))
            .unwrap();
        std::fs::write(path, &text).unwrap();
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == text,
        "{path} is stale: UPDATE_GOLDEN=1 cargo test --test card golden"
    );
}

/// Validation reads the text in place (no tree): the JSON grammar is still the whole text's,
/// whatever the card rules say, and long texts with escapes pass.
#[test]
fn validation_checks_the_json_while_walking() {
    let card = |elements: &str| format!(r#"{{"schema":"2.0","body":{{"elements":[{elements}]}}}}"#);
    let long = "ab\\\"cd\\\\ \\u00e9 ".repeat(200);
    assert!(validate(&card(&format!(
        r#"{{"tag":"markdown","content":"{long}"}}"#
    )))
    .is_ok());
    let not_json = |text: &str| {
        let e = validate(text).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (CardErrorKind::NotAnObject, "the card is not valid JSON"),
            "{text}"
        );
    };
    // A raw control character, a bad escape, a trailing comma: not JSON, even where a rule
    // would fail first (the unknown tag comes before the bad text).
    not_json(&card("{\"tag\":\"markdown\",\"content\":\"a\u{1}b\"}"));
    not_json(&card(r#"{"tag":"markdown","content":"a\qb"}"#));
    not_json(&card(r#"{"tag":"blink"},{"tag":"hr"},"#));
    not_json(&format!("{} x", card(r#"{"tag":"hr"}"#)));
    // Columns nest without counting as levels: past the JSON depth limit it is not JSON.
    let deep = r#"{"tag":"column","elements":["#.repeat(70) + &"]}".repeat(70);
    not_json(&card(&deep));
    // The last of a repeated `elements` counts; a duplicate id names the first use.
    let repeated =
        r#"{"schema":"2.0","body":{"elements":[{"tag":"blink"}],"elements":[{"tag":"hr"}]}}"#;
    assert!(validate(repeated).is_ok());
    let dup = card(
        r#"{"tag":"hr","element_id":"a"},{"tag":"column_set","columns":[{"tag":"column","elements":[{"tag":"hr","element_id":"a"}]}]}"#,
    );
    let e = validate(&dup).unwrap_err();
    assert_eq!(e.path, "body.elements[1].columns[0].elements[0]");
    assert!(
        e.message.ends_with("already used by body.elements[0]"),
        "{}",
        e.message
    );
    assert_eq!(
        element_ids(&card(r#"{"tag":"hr","element_id":"a\u0062"}"#)),
        ["ab"]
    );
}
