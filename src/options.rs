//! Reading option objects (the JS API's client and webhook options) so that a mistake is
//! named: an unknown key gets the closest known name, a value of the wrong type gets the field
//! and what was expected.
//!
//! ```
//! # #[cfg(feature = "internals")] {
//! use feishu_edge::options::OptionReader;
//! let err = OptionReader::parse("client options", r#"{"baseURL":"http://x"}"#).unwrap()
//!     .finish(&["appId", "baseUrl"]).unwrap_err();
//! assert!(err.to_string().contains("did you mean `baseUrl`"));
//! # }
//! ```
// Public only with the `internals` feature (the fuzz targets); some readers serve them alone.
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

use crate::error::{Error, Result};
use crate::json::RawFields;

/// An options object being read, field by field.
pub struct OptionReader<'a> {
    what: &'static str,
    fields: RawFields<'a>,
}

/// What a raw JSON value is, for messages: its type, and its start unless the option may hold
/// a secret (`appSecret`, `encryptKey`, `verificationToken`, anything named like a key,
/// token, secret or password), whose value is never echoed.
fn describe(key: &str, raw: &str) -> String {
    let kind = match raw.as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    };
    if may_hold_a_secret(key) {
        return kind.to_string();
    }
    let shown: String = raw.chars().take(40).collect();
    format!("{kind} ({shown})")
}

/// True for option names whose values must not appear in messages.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use feishu_edge::options::may_hold_a_secret;
/// assert!(may_hold_a_secret("appSecret") && may_hold_a_secret("encryptKey") && may_hold_a_secret("verificationToken"));
/// assert!(!may_hold_a_secret("timeoutMs"));
/// # }
/// ```
pub fn may_hold_a_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "key", "token", "password", "credential"]
        .iter()
        .any(|w| k.contains(w))
}

impl<'a> OptionReader<'a> {
    /// Reads `json`, which must be an object; `what` names it in errors (`client options`).
    pub fn parse(what: &'static str, json: &'a str) -> Result<OptionReader<'a>> {
        let fields = RawFields::parse(json)
            .ok_or_else(|| Error::Config(format!("{what} must be an object")))?;
        Ok(OptionReader { what, fields })
    }

    /// True when `key` is in the object at all, even as `null`.
    pub fn present(&self, key: &str) -> bool {
        self.fields.get(key).is_some()
    }

    /// The raw JSON of option `key`, `None` when absent or `null`.
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        self.fields.get(key).filter(|r| *r != "null")
    }

    /// A nested object's fields, kept raw.
    pub fn fields(&self, key: &str) -> Result<Option<RawFields<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => RawFields::parse(raw)
                .map(Some)
                .ok_or_else(|| self.wrong(key, "an object", raw)),
        }
    }

    fn wrong(&self, key: &str, expected: &str, raw: &str) -> Error {
        Error::Config(format!(
            "{}: `{key}` must be {expected}, got {}",
            self.what,
            describe(key, raw)
        ))
    }

    /// A string option.
    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => crate::json::unquote(raw)
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a string", raw)),
        }
    }

    /// A whole, non-negative number option (`unit` names it: `milliseconds`).
    pub fn whole(&self, key: &str, unit: &str) -> Result<Option<u64>> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => raw
                .parse::<u64>()
                .map(Some)
                .map_err(|_| self.wrong(key, &format!("a whole number of {unit}"), raw)),
        }
    }

    /// A boolean option.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.raw(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(raw) => Err(self.wrong(key, "true or false", raw)),
        }
    }

    /// A nested options object, read with its own reader (`what` names it).
    pub fn object(&self, key: &str, what: &'static str) -> Result<Option<OptionReader<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => match RawFields::parse(raw) {
                Some(fields) => Ok(Some(OptionReader { what, fields })),
                None => Err(self.wrong(key, "an object", raw)),
            },
        }
    }

    /// Refuses keys outside `known`, suggesting the closest known one.
    pub fn finish(self, known: &[&str]) -> Result<()> {
        for (key, _) in &self.fields.0 {
            if known.contains(&key.as_ref()) {
                continue;
            }
            let hint = closest(key, known)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(Error::Config(format!(
                "{}: unknown option `{key}`{hint}; known options: {}",
                self.what,
                known.join(", ")
            )));
        }
        Ok(())
    }
}

/// The known name nearest to `key` (case-insensitive edit distance at most 3), if any.
pub(crate) fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (distance(&key, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over bytes (option names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur.push(substitute.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_mistake() {
        let r = OptionReader::parse("client options", r#"{"timeoutMs":"5s","appId":1}"#).unwrap();
        let e = r
            .whole("timeoutMs", "milliseconds")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`timeoutMs` must be a whole number of milliseconds, got a string (\"5s\")"),
            "{e}"
        );
        let e = r.string("appId").unwrap_err().to_string();
        assert!(
            e.contains("`appId` must be a string, got a number (1)"),
            "{e}"
        );
        let e = OptionReader::parse("webhook options", r#"{"encryptkey":"k"}"#)
            .unwrap()
            .finish(&["encryptKey", "verificationToken"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `encryptKey`"), "{e}");
        let e = OptionReader::parse("client options", r#"{"zzzzzz":1}"#)
            .unwrap()
            .finish(&["appId"])
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("did you mean") && e.contains("known options: appId"),
            "{e}"
        );
        // Secret-bearing options: the type, never the value.
        let r = OptionReader::parse(
            "webhook options",
            r#"{"encryptKey":{"0":115,"1":51},"appSecret":{"s":"hunter2"},"verificationToken":12345}"#,
        )
        .unwrap();
        for key in ["encryptKey", "appSecret", "verificationToken"] {
            let e = r.string(key).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{key}` must be a string, got a")),
                "{e}"
            );
            assert!(
                !e.contains("115") && !e.contains("hunter2") && !e.contains("12345"),
                "{e}"
            );
        }
        assert_eq!(distance("baseurl", "baseurl"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
