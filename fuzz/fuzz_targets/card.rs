//! Card callbacks (untrusted) through parse_action, any JSON through card validation, and any
//! text through the element walker (wrapped as a card body).
#![no_main]
use feishu_edge::card::{element_ids, parse_action, validate};
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
        // Wrapped as a card body, the same text exercises the element walker.
        let _ = validate(&format!(r#"{{"schema":"2.0","body":{{"elements":[{text}]}}}}"#));
    }
});
