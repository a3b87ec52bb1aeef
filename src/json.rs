//! Small raw-JSON tools: objects read as ordered `(key, raw value)` pairs, objects written by
//! concatenating raw values, a nesting-depth guard. They keep `serde_json::Value` (and its
//! number formatting) out of the wasm, and let values pass through byte for byte.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// A JSON object's fields in order, values left as raw JSON (no `serde_json::Value`, no float
/// formatting: numbers pass through exactly as the caller wrote them).
#[derive(Debug, Default)]
pub struct RawFields<'a>(pub Vec<(String, &'a RawValue)>);

impl<'a> RawFields<'a> {
    /// The raw value of field `key`; the last one if repeated, as `JSON.parse` would.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
    /// The field `key` as a string, if it is one.
    pub fn str(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
    }
    /// Parses a JSON object; `None` for anything else.
    pub fn parse(text: &'a str) -> Option<RawFields<'a>> {
        serde_json::from_str(text).ok()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawFields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawFields<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(RawFields(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Writes a JSON object from raw parts. Duplicate keys are allowed: `JSON.parse` keeps the last
/// value at the first position, exactly like `Object.assign` over the same fields in order.
#[derive(Debug)]
pub struct ObjectWriter {
    out: String,
    empty: bool,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        ObjectWriter {
            out: String::from("{"),
            empty: true,
        }
    }
}

impl ObjectWriter {
    /// Appends `"key": raw`.
    pub fn field(&mut self, key: &str, raw_json: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push_str(&quote(key));
        self.out.push(':');
        self.out.push_str(raw_json);
    }
    /// Appends every pair except the keys in `skip`.
    pub fn fields(&mut self, fields: &RawFields<'_>, skip: &[&str]) {
        for (k, v) in &fields.0 {
            if !skip.contains(&k.as_str()) {
                self.field(k, v.get());
            }
        }
    }
    /// The finished object.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON string literal for `s`.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// Whether brackets nest deeper than `max` (strings and escapes are skipped). Runs before
/// parsing so hostile input cannot make the parser recurse deeply.
pub fn too_deep(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_and_fields() {
        let text = r#"{"a":1,"b":{"c":[1,2]},"s":"x\"y"}"#;
        let f = RawFields::parse(text).unwrap();
        assert_eq!(f.str("s").as_deref(), Some("x\"y"));
        assert_eq!(f.get("b").unwrap().get(), r#"{"c":[1,2]}"#);
        let mut w = ObjectWriter::default();
        w.field("event_type", &quote("t"));
        w.fields(&f, &["b"]);
        assert_eq!(w.finish(), r#"{"event_type":"t","a":1,"s":"x\"y"}"#);
        assert!(RawFields::parse("[1]").is_none());
    }

    #[test]
    fn depth_guard() {
        assert!(!too_deep(r#"{"a":[[1]]}"#, 3));
        assert!(too_deep(r#"{"a":[[[1]]]}"#, 3));
        assert!(
            !too_deep(r#"{"a":"[[[[[[[[\"[[["}"#, 2),
            "brackets inside strings do not count"
        );
        assert!(too_deep(&"[".repeat(100_000), 64));
    }
}
