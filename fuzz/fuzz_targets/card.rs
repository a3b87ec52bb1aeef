//! Card callbacks (untrusted) through parse_action, any JSON through card validation, and any
//! text as a builder description (the JSON built from one is always valid JSON).
#![no_main]
use feishu_edge::card::{describe, element_ids, parse_action, validate};
use feishu_edge::json::is_valid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_action(text);
        let ok = validate(text).is_ok();
        let ids = element_ids(text);
        // A valid card's ids are all well formed and unique.
        if ok {
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), ids.len());
        }
        if let Ok(json) = describe::element_json(text) {
            assert!(is_valid(&json) || !is_valid(text), "{text} built {json}");
        }
        if let Ok(json) = describe::card_json(text, false) {
            assert!(is_valid(&json), "{text} built {json}");
        }
        let wrapped = format!(r#"{{"header":["t",{{}}],"elements":[{text}]}}"#);
        if let Ok(json) = describe::card_json(&wrapped, true) {
            assert!(is_valid(&json), "{text} built {json}");
        }
        // Wrapped as a card body, the same text exercises the element walker.
        let _ = validate(&format!(r#"{{"schema":"2.0","body":{{"elements":[{text}]}}}}"#));
    }
});
