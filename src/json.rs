//! The crate's JSON reader and writer: no serde on these paths, so no float formatting and no
//! error machinery in the wasm. Objects read as ordered `(key, raw value)` pairs
//! ([`RawFields`]) or as a borrowed tree ([`Json`]); strings are decoded only when asked;
//! numbers stay exactly as written; objects are written by concatenating raw values.
//!
//! ```
//! # #[cfg(feature = "internals")] {
//! use feishu_edge::json::{Json, RawFields};
//! let f = RawFields::parse(r#"{"a": 1.50, "b": {"c": "\u00e9"}}"#).unwrap();
//! assert_eq!(f.get("a"), Some("1.50"));
//! let b = Json::parse(f.get("b").unwrap()).unwrap();
//! assert_eq!(b.get("c").and_then(|c| c.as_str()).as_deref(), Some("é"));
//! # }
//! ```
// Public only with the `internals` feature (the fuzz targets); some readers serve them alone.
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

use std::borrow::Cow;

/// How deep arrays and objects may nest before parsing gives up (as `serde_json`'s default).
pub const MAX_DEPTH: usize = 128;

/// A JSON value borrowed from its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(&'a str),
    /// A string, still escaped (see [`Json::as_str`]).
    String(&'a str),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object's members in order (keys still escaped; duplicates kept).
    Object(Vec<(&'a str, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses a whole text (surrounding whitespace allowed); `None` unless it is one JSON value.
    pub fn parse(text: &'a str) -> Option<Json<'a>> {
        let mut p = Parser::new(text);
        let v = p.value(0)?;
        p.end()?;
        Some(v)
    }
    /// Member `key` of an object (the last if repeated, as `JSON.parse` keeps).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| key_is(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    /// The decoded string, if this is one.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        match self {
            Json::String(raw) => unescape(raw),
            _ => None,
        }
    }
    /// The number as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
    /// The number as a `u64`, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }
    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// Whether an escaped key equals `key`.
fn key_is(raw: &str, key: &str) -> bool {
    match raw.contains('\\') {
        false => raw == key,
        true => unescape(raw).as_deref() == Some(key),
    }
}

/// A JSON object's fields in order, values left as raw JSON text: they pass through byte for
/// byte (numbers exactly as the caller wrote them).
/// Keys are borrowed unless they hold escapes.
#[derive(Debug, Default, Clone)]
pub struct RawFields<'a>(pub Vec<(Cow<'a, str>, &'a str)>);

/// Why [`RawFields::parse_within`] refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JSON object.
    Invalid,
    /// Brackets nest deeper than allowed.
    TooDeep,
}

impl<'a> RawFields<'a> {
    /// About how many bytes these fields take written as an object (keys, values, punctuation).
    pub fn written_len(&self) -> usize {
        self.0
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum::<usize>()
            + 2
    }
    /// The raw value of field `key`; the last one if repeated, as `JSON.parse` would.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
    /// The field `key` as a string, if it is one.
    pub fn str(&self, key: &str) -> Option<String> {
        // The raw value was checked when the object was read: only its escapes need decoding.
        let raw = self.get(key)?;
        let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
        unescape(inner).map(Cow::into_owned)
    }
    /// Parses a JSON object; `None` for anything else.
    pub fn parse(text: &'a str) -> Option<RawFields<'a>> {
        Self::parse_within(text, MAX_DEPTH).ok()
    }
    /// Parses a JSON object whose brackets nest at most `max_depth` levels (the object itself
    /// is one), checked while reading: no separate scan, no deep recursion on hostile input.
    ///
    /// ```
    /// # #[cfg(feature = "internals")] {
    /// use feishu_edge::json::{RawFields, Refusal};
    /// assert!(RawFields::parse_within(r#"{"a":[1]}"#, 2).is_ok());
    /// assert_eq!(RawFields::parse_within(r#"{"a":[[1]]}"#, 2).err(), Some(Refusal::TooDeep));
    /// assert_eq!(RawFields::parse_within("[1]", 2).err(), Some(Refusal::Invalid));
    /// assert_eq!(RawFields::parse_within("[[[1]]]", 2).err(), Some(Refusal::TooDeep));
    /// # }
    /// ```
    pub fn parse_within(text: &'a str, max_depth: usize) -> Result<RawFields<'a>, Refusal> {
        Nested::parse_within(text, max_depth, &[]).map(|n| n.fields)
    }
}

/// An object read together with some of its object-valued members, in one pass over the text
/// (the webhook envelope's `header` and `event` are not read twice).
#[derive(Debug, Default)]
pub struct Nested<'a> {
    /// The object's own fields.
    pub fields: RawFields<'a>,
    children: Vec<(&'a str, RawFields<'a>)>,
}

impl<'a> Nested<'a> {
    /// Like [`RawFields::parse_within`]; the members named in `open` whose values are objects
    /// are read into fields too.
    ///
    /// ```
    /// # #[cfg(feature = "internals")] {
    /// use feishu_edge::json::Nested;
    /// let n = Nested::parse_within(r#"{"header":{"id":"1"},"n":2}"#, 8, &["header"]).unwrap();
    /// assert_eq!(n.object("header").and_then(|h| h.str("id")).as_deref(), Some("1"));
    /// assert!(Nested::parse_within(r#"{"header":{"a":[1]}}"#, 3, &["header"]).is_ok());
    /// assert!(Nested::parse_within(r#"{"header":{"a":[[1]]}}"#, 3, &["header"]).is_err());
    /// assert_eq!(n.fields.get("n"), Some("2"));
    /// # }
    /// ```
    pub fn parse_within(
        text: &'a str,
        max_depth: usize,
        open: &[&str],
    ) -> Result<Nested<'a>, Refusal> {
        let mut p = Parser::new(text);
        p.max = max_depth.min(MAX_DEPTH);
        let mut out = Nested::default();
        let read = (|| {
            p.ws();
            if p.peek()? != b'{' {
                // Not an object; still say whether it was too deep (a hostile array).
                let _ = p.skip(0);
                return None;
            }
            out.fields = p.object_fields(0, |p, key| {
                if open.contains(&key.as_ref()) && p.peek() == Some(b'{') {
                    let start = p.i;
                    let child = p.object_fields(1, |p, _| p.raw_value_at(2))?;
                    let raw = p.text.get(start..p.i)?;
                    out.children.push((raw, child));
                    return Some(raw);
                }
                p.raw_value()
            })?;
            p.end()
        })();
        match (read, p.too_deep) {
            (Some(()), _) => Ok(out),
            (None, true) => Err(Refusal::TooDeep),
            (None, false) => Err(Refusal::Invalid),
        }
    }
    /// The fields of member `key` (the last if repeated), when it is an object: read in the
    /// first pass when it was named in `open`, read now otherwise.
    pub fn object(&self, key: &str) -> Option<Cow<'_, RawFields<'a>>> {
        let raw = self.fields.get(key)?;
        match self
            .children
            .iter()
            .rev()
            .find(|(r, _)| std::ptr::eq(*r, raw))
        {
            Some((_, child)) => Some(Cow::Borrowed(child)),
            None => RawFields::parse(raw).map(Cow::Owned),
        }
    }
}

/// The decoded value of a JSON string literal (`"..."`, surrounding whitespace allowed).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// assert_eq!(feishu_edge::json::unquote(r#" "a\nb" "#).as_deref(), Some("a\nb"));
/// assert_eq!(feishu_edge::json::unquote("1"), None);
/// # }
/// ```
pub fn unquote(raw_json: &str) -> Option<String> {
    let mut p = Parser::new(raw_json);
    p.ws();
    let inner = p.string()?;
    p.end()?;
    unescape(inner).map(Cow::into_owned)
}

/// The raw texts of an array's items; `None` unless `raw_json` is an array.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// assert_eq!(feishu_edge::json::raw_items(r#"[1, "a", {"b":[]}]"#), Some(vec!["1", "\"a\"", r#"{"b":[]}"#]));
/// # }
/// ```
pub fn raw_items(raw_json: &str) -> Option<Vec<&str>> {
    let mut p = Parser::new(raw_json);
    let mut out = Vec::new();
    p.ws();
    p.eat(b'[')?;
    p.list(b']', |p| {
        out.push(p.raw_value()?);
        Some(())
    })?;
    p.end()?;
    Some(out)
}

/// Whether `text` is exactly one JSON value.
pub fn is_valid(text: &str) -> bool {
    let mut p = Parser::new(text);
    p.ws();
    p.skip(0).is_some() && p.end().is_some()
}

/// The JSON text of an array of strings.
pub fn string_array(items: &[&str]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(item));
    }
    out.push(']');
    out
}

/// A recursive-descent reader over bytes; every method returns `None` on malformed input.
struct Parser<'a> {
    text: &'a str,
    i: usize,
    /// How many brackets may be open at once.
    max: usize,
    /// Set when reading stopped at `max`.
    too_deep: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            i: 0,
            max: MAX_DEPTH,
            too_deep: false,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    /// Only whitespace left.
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.text.len()).then_some(())
    }
    fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.as_bytes().get(self.i..)?;
        rest.starts_with(word.as_bytes())
            .then(|| self.i += word.len())
    }
    /// A string's escaped contents (the quotes consumed); escapes checked for well-formedness.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let bytes = self.text.as_bytes();
        loop {
            self.i += plain_run(bytes.get(self.i..)?, true)?;
            match bytes.get(self.i)? {
                b'"' => {
                    let inner = self.text.get(start..self.i)?;
                    self.i += 1;
                    return Some(inner);
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.text.get(self.i + 1..self.i + 5)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.some_digits()?;
        }
        self.text.get(start..self.i)
    }
    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }
    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }
    /// Comma-separated entries up to `close` (the opening bracket consumed), each read by
    /// `entry`; whitespace around them skipped.
    fn list(&mut self, close: u8, mut entry: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.ws();
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            self.ws();
            entry(self)?;
            self.ws();
            if self.eat(b',').is_none() {
                return self.eat(close);
            }
        }
    }
    /// An object member's key (still escaped) and its colon.
    fn member_key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }
    /// An object (at `{`) nested in `depth` others, as fields whose values `value` reads.
    fn object_fields(
        &mut self,
        depth: usize,
        mut value: impl FnMut(&mut Self, &Cow<'a, str>) -> Option<&'a str>,
    ) -> Option<RawFields<'a>> {
        if depth >= self.max {
            self.too_deep = true;
            return None;
        }
        self.eat(b'{')?;
        let mut out = Vec::new();
        self.list(b'}', |p| {
            let key = unescape(p.member_key()?)?;
            let raw = value(p, &key)?;
            out.push((key, raw));
            Some(())
        })?;
        Some(RawFields(out))
    }
    /// One member value of a top-level object, checked and skipped, as its raw text.
    fn raw_value(&mut self) -> Option<&'a str> {
        self.raw_value_at(1)
    }
    /// One value inside `depth` open brackets, checked and skipped, as its raw text.
    fn raw_value_at(&mut self, depth: usize) -> Option<&'a str> {
        let start = self.i;
        self.skip(depth)?;
        self.text.get(start..self.i)
    }
    /// Checks one value and moves past it, building nothing.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' | b'[' if depth >= self.max => {
                self.too_deep = true;
                None
            }
            b'{' => {
                self.i += 1;
                self.list(b'}', |p| {
                    p.member_key()?;
                    p.skip(depth + 1)
                })
            }
            b'[' => {
                self.i += 1;
                self.list(b']', |p| p.skip(depth + 1))
            }
            b'"' => self.string().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number().map(drop),
        }
    }
    /// One value, as a tree.
    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        self.ws();
        Some(match self.peek()? {
            b'{' | b'[' if depth >= self.max => return None,
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                self.list(b'}', |p| {
                    let key = p.member_key()?;
                    members.push((key, p.value(depth + 1)?));
                    Some(())
                })?;
                Json::Object(members)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.list(b']', |p| {
                    items.push(p.value(depth + 1)?);
                    Some(())
                })?;
                Json::Array(items)
            }
            b'"' => Json::String(self.string()?),
            b't' => self.literal("true").map(|_| Json::Bool(true))?,
            b'f' => self.literal("false").map(|_| Json::Bool(false))?,
            b'n' => self.literal("null").map(|_| Json::Null)?,
            _ => Json::Number(self.number()?),
        })
    }
}

/// The length of the leading run of `bytes` holding no `"`, no `\` and (with `controls`) no
/// byte below 0x20; `None` when the run reaches the end. Eight bytes at a time (SWAR): string
/// bodies (the base64 of an encrypted event) are most of what the webhook path reads.
fn plain_run(bytes: &[u8], controls: bool) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit set in each byte of `x` that is zero (exact for the first such byte).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let mut hit = zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')));
        if controls {
            // Bytes below 0x20: (x - 0x20) borrows into the high bit of exactly those bytes
            // whose own high bit is clear.
            hit |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        }
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = bytes.get(i..)?;
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || (controls && b < 0x20))
        .map(|p| i + p)
}

/// Decodes a string's escaped contents (as checked by the parser); `None` for a lone
/// surrogate, which a Rust string cannot hold.
fn unescape(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('\\') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let first = hex4(&mut chars)?;
                match first {
                    0xD800..=0xDBFF => {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let second = hex4(&mut chars)?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                    }
                    _ => char::from_u32(first)?,
                }
            }
            other => other,
        });
    }
    Some(Cow::Owned(out))
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut n = 0;
    for _ in 0..4 {
        n = n * 16 + chars.next()?.to_digit(16)?;
    }
    Some(n)
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
    /// A writer with room for `bytes` of output (no regrowth while writing what was sized).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = String::with_capacity(bytes.max(2));
        out.push('{');
        ObjectWriter { out, empty: true }
    }
    /// Appends `"key": raw`.
    pub fn field(&mut self, key: &str, raw_json: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_quoted(&mut self.out, key);
        self.out.push(':');
        self.out.push_str(raw_json);
    }
    /// Appends every pair except the keys in `skip`.
    ///
    /// ```
    /// # #[cfg(feature = "internals")] {
    /// use feishu_edge::json::{ObjectWriter, RawFields};
    /// let f = RawFields::parse(r#"{"a":1,"b":[2]}"#).unwrap();
    /// let mut w = ObjectWriter::with_capacity(f.written_len());
    /// w.fields(&f, &["a"]);
    /// assert_eq!(w.finish(), r#"{"b":[2]}"#);
    /// # }
    /// ```
    pub fn fields(&mut self, fields: &RawFields<'_>, skip: &[&str]) {
        for (k, v) in &fields.0 {
            if !skip.contains(&k.as_ref()) {
                self.field(k, v);
            }
        }
    }
    /// The finished object.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON string literal for `s` (`"`, `\\` and control characters escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Appends the JSON string literal for `s` to `out` (no allocation of its own).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// let mut out = String::from("[");
/// feishu_edge::json::push_quoted(&mut out, "a\"b");
/// assert_eq!(out, r#"["a\"b""#);
/// # }
/// ```
pub fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Plain runs are copied whole; only the characters that need it are escaped.
    while let Some(run) = plain_run(rest.as_bytes(), true) {
        let (plain, tail) = rest.split_at(run);
        out.push_str(plain);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some('\u{8}') => out.push_str("\\b"),
            Some('\u{c}') => out.push_str("\\f"),
            Some(c) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize >> 4) & 15]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

/// A JSON string literal for `s`, or `null`.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// assert_eq!(feishu_edge::json::quote_or_null(None), "null");
/// assert_eq!(feishu_edge::json::quote_or_null(Some("a")), r#""a""#);
/// # }
/// ```
pub fn quote_or_null(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_and_fields() {
        let text = r#"{"a":1,"b":{"c":[1,2]},"s":"x\"y"}"#;
        let f = RawFields::parse(text).unwrap();
        assert_eq!(f.str("s").as_deref(), Some("x\"y"));
        assert_eq!(f.get("b").unwrap(), r#"{"c":[1,2]}"#);
        let mut w = ObjectWriter::default();
        w.field("event_type", &quote("t"));
        w.fields(&f, &["b"]);
        assert_eq!(w.finish(), r#"{"event_type":"t","a":1,"s":"x\"y"}"#);
        assert!(RawFields::parse("[1]").is_none());
    }

    #[test]
    fn depth_guard() {
        let within = |t: &str, max| RawFields::parse_within(t, max).err();
        assert_eq!(within(r#"{"a":[[1]]}"#, 3), None);
        assert_eq!(within(r#"{"a":[[[1]]]}"#, 3), Some(Refusal::TooDeep));
        assert_eq!(
            within(r#"{"a":"[[[[[[[[\"[[["}"#, 2),
            None,
            "brackets inside strings do not count"
        );
        let deep = format!("{{\"a\":{}", "[".repeat(100_000));
        assert_eq!(within(&deep, 64), Some(Refusal::TooDeep));
        assert_eq!(within(r#"{"a":[1]"#, 64), Some(Refusal::Invalid));
        assert_eq!(within("{}", 0), Some(Refusal::TooDeep));
    }

    #[test]
    fn agrees_with_serde_json() {
        let cases = [
            r#"{"a":1}"#,
            r#" {"a" : [1, 2.5e-3, -0, true, false, null, "x"]} "#,
            "[]",
            "{}",
            "0",
            "-1.5E+10",
            r#""\ud83d\ude00""#,
            r#""\u00e9\n\t\/""#,
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "[1,]",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":1,}"#,
            "tru",
            "nul",
            r#""\x""#,
            r#""\u12""#,
            "\"a\u{1}b\"",
            "[1] [2]",
            "",
            " ",
            "{\"a\":\"b\"",
            "[[[]]]",
            r#""\ud800""#,
            r#""\udc00x""#,
            "\"\u{7f}\"",
        ];
        for case in cases {
            let ours = Json::parse(case).is_some();
            let theirs = serde_json::from_str::<serde_json::Value>(case).is_ok();
            // serde_json refuses lone surrogates while validating; we accept them as values and
            // refuse them only when decoding (JSON.parse accepts them).
            if !case.contains("\\ud800") && !case.contains("\\udc00") {
                assert_eq!(ours, theirs, "{case}");
            }
            assert_eq!(is_valid(case), ours, "{case}");
            if let Ok(serde_json::Value::String(s)) =
                serde_json::from_str::<serde_json::Value>(case)
            {
                assert_eq!(unquote(case).as_deref(), Some(s.as_str()), "{case}");
                assert_eq!(quote(&s), serde_json::to_string(&s).unwrap(), "{case}");
            }
        }
        assert_eq!(unquote(r#""\ud800""#), None);
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Json::parse(&deep).is_none() && !is_valid(&deep));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_some() && is_valid(&ok));
    }

    #[test]
    fn quote_escapes_control_characters_like_serde_json() {
        for s in [
            "plain",
            "q\"uote",
            "back\\slash",
            "\u{0}\u{1f}\u{7f}é😀",
            "\u{8}\u{c}\n\r\t",
        ] {
            assert_eq!(quote(s), serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn plain_runs_match_a_byte_loop() {
        let naive = |b: &[u8], c: bool| {
            b.iter()
                .position(|&x| x == b'"' || x == b'\\' || (c && x < 0x20))
        };
        let mut seed = 7u32;
        for len in 0..80 {
            for _ in 0..60 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        [b'a', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xe9, b'Z', 0x00]
                            [(seed >> 16) as usize % 10]
                    })
                    .collect();
                for c in [true, false] {
                    assert_eq!(plain_run(&bytes, c), naive(&bytes, c), "{bytes:?} {c}");
                }
            }
        }
    }

    #[test]
    fn tree_access() {
        let v =
            Json::parse(r#"{"n":-12,"u":7,"b":true,"a":[1,"x"],"k\u0065y":"v","n2":null,"f":1.5}"#)
                .unwrap();
        assert_eq!(v.get("n").and_then(Json::as_i64), Some(-12));
        assert_eq!(v.get("u").and_then(Json::as_u64), Some(7));
        assert_eq!(v.get("f").and_then(Json::as_u64), None);
        assert_eq!(v.get("b").and_then(Json::as_bool), Some(true));
        assert_eq!(v.get("a").and_then(Json::as_array).map(<[_]>::len), Some(2));
        assert_eq!(v.get("key").and_then(Json::as_str).as_deref(), Some("v"));
        assert!(v.get("n2").is_some_and(Json::is_null));
        assert_eq!(string_array(&["a", "b\""]), r#"["a","b\""]"#);
    }
}
