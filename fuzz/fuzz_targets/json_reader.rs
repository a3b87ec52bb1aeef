//! The crate's JSON reader against serde_json on any text: the same verdict on validity, the
//! same object members, the same decoded strings, and `quote` round-trips.
#![no_main]
use feishu_edge::json::{is_valid, quote, unquote, Json, Nested, RawFields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ours = Json::parse(text);
    assert_eq!(ours.is_some(), is_valid(text));
    // Known, deliberate differences: serde_json refuses numbers outside f64 and lone surrogates
    // while validating, and counts its recursion limit one level differently.
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    let comparable = depth(text) <= 120
        && !text.contains("\\u")
        && theirs.as_ref().err().is_none_or(|e| !e.to_string().contains("out of range"));
    if comparable {
        assert_eq!(ours.is_some(), theirs.is_ok(), "verdicts differ on {text:?}");
    }
    if let (Some(fields), Ok(serde_json::Value::Object(map))) = (RawFields::parse(text), &theirs) {
        for (key, raw) in &fields.0 {
            assert!(map.contains_key(key.as_ref()), "member {key:?} of {text:?}");
            assert!(is_valid(raw));
        }
    }
    // The one-pass reader agrees with reading twice: the same fields, and each opened member's
    // fields are those a second read of its raw text gives.
    let nested = Nested::parse_within(text, 128, &["header", "event"]);
    assert_eq!(nested.is_ok(), RawFields::parse(text).is_some(), "one-pass verdict on {text:?}");
    if let Ok(n) = &nested {
        for key in ["header", "event"] {
            let again = n.fields.get(key).and_then(RawFields::parse);
            let opened = n.object(key);
            assert_eq!(
                opened.map(|f| f.0.clone()),
                again.map(|f| f.0),
                "member {key} of {text:?}"
            );
        }
    }
    if let Ok(serde_json::Value::String(s)) = &theirs {
        assert_eq!(unquote(text).as_deref(), Some(s.as_str()));
        assert_eq!(unquote(&quote(s)).as_deref(), Some(s.as_str()));
    }
});

/// The deepest bracket nesting outside strings (a bound on serde_json's recursion).
fn depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}
