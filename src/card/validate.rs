//! Card JSON 2.0 validation: one parse into a borrowed tree ([`crate::json::Json`]), one walk
//! over it, naming the offending element by path and id.

use super::{CardError, CardErrorKind};
use crate::json::{is_valid, raw_items, Json, RawFields, MAX_DEPTH};
use std::borrow::Cow;

/// The platform refuses cards whose JSON is larger than this.
pub const MAX_CARD_BYTES: usize = 30 * 1024;
/// Most elements one card may hold (containers and their children all count).
pub const MAX_ELEMENTS: usize = 200;
/// Deepest nesting of containers (column sets, panels, forms...).
pub const MAX_NESTING: usize = 5;

/// Fields some tag requires, as bits.
const FIELDS: [&str; 11] = [
    "content",
    "text",
    "img_key",
    "img_list",
    "columns",
    "elements",
    "name",
    "options",
    "chart_spec",
    "user_id",
    "persons",
];

fn bit(field: &str) -> u16 {
    FIELDS
        .iter()
        .position(|f| *f == field)
        .map_or(0, |i| 1 << i)
}

/// A tag, the fields it must have, and whether it holds child elements (and under which key).
struct Spec {
    tag: &'static str,
    required: &'static [&'static str],
    children: Option<&'static str>,
}

const SPECS: &[Spec] = &[
    Spec {
        tag: "markdown",
        required: &["content"],
        children: None,
    },
    Spec {
        tag: "div",
        required: &["text"],
        children: None,
    },
    Spec {
        tag: "hr",
        required: &[],
        children: None,
    },
    Spec {
        tag: "img",
        required: &["img_key"],
        children: None,
    },
    Spec {
        tag: "img_combination",
        required: &["img_list"],
        children: None,
    },
    Spec {
        tag: "button",
        required: &["text"],
        children: None,
    },
    Spec {
        tag: "column_set",
        required: &["columns"],
        children: Some("columns"),
    },
    Spec {
        tag: "column",
        required: &["elements"],
        children: Some("elements"),
    },
    Spec {
        tag: "collapsible_panel",
        required: &["elements"],
        children: Some("elements"),
    },
    Spec {
        tag: "interactive_container",
        required: &["elements"],
        children: Some("elements"),
    },
    Spec {
        tag: "form",
        required: &["name", "elements"],
        children: Some("elements"),
    },
    Spec {
        tag: "input",
        required: &[],
        children: None,
    },
    Spec {
        tag: "select_static",
        required: &["options"],
        children: None,
    },
    Spec {
        tag: "multi_select_static",
        required: &["options"],
        children: None,
    },
    Spec {
        tag: "select_person",
        required: &[],
        children: None,
    },
    Spec {
        tag: "multi_select_person",
        required: &[],
        children: None,
    },
    Spec {
        tag: "overflow",
        required: &["options"],
        children: None,
    },
    Spec {
        tag: "date_picker",
        required: &[],
        children: None,
    },
    Spec {
        tag: "picker_time",
        required: &[],
        children: None,
    },
    Spec {
        tag: "picker_datetime",
        required: &[],
        children: None,
    },
    Spec {
        tag: "checker",
        required: &["text"],
        children: None,
    },
    Spec {
        tag: "table",
        required: &["columns"],
        children: None,
    },
    Spec {
        tag: "chart",
        required: &["chart_spec"],
        children: None,
    },
    Spec {
        tag: "person",
        required: &["user_id"],
        children: None,
    },
    Spec {
        tag: "person_list",
        required: &["persons"],
        children: None,
    },
];

/// Components whose value a form submits: inside a form they need a `name`.
const FORM_FIELDS: &[&str] = &[
    "input",
    "select_static",
    "multi_select_static",
    "select_person",
    "multi_select_person",
    "date_picker",
    "picker_time",
    "picker_datetime",
    "checker",
];

fn err(kind: CardErrorKind, path: &str, message: String) -> CardError {
    CardError {
        kind,
        path: path.to_string(),
        message,
    }
}

fn valid_element_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && id.len() <= 20
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn spec(tag: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.tag == tag)
}

/// Where an element sits (`body.elements[3].elements[0]`): written out only for an error.
#[derive(Clone, Copy)]
enum At<'p> {
    Root(&'static str),
    Index(&'p At<'p>, usize),
    Key(&'p At<'p>, &'static str),
}

impl At<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
    fn write(&self, out: &mut String) {
        match self {
            At::Root(name) => out.push_str(name),
            At::Index(parent, i) => {
                parent.write(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            At::Key(parent, key) => {
                parent.write(out);
                out.push('.');
                out.push_str(key);
            }
        }
    }
}

/// Why a walk stopped: the text is not JSON (or nests deeper than [`MAX_DEPTH`]), or the card
/// breaks a rule.
enum Stop {
    Syntax,
    Card(CardError),
}

impl From<CardError> for Stop {
    fn from(e: CardError) -> Stop {
        Stop::Card(e)
    }
}

/// The length of the leading run of `bytes` holding no `"`, no `\` and no byte below 0x20:
/// eight bytes at a time (texts are most of a card).
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit in some byte of the result iff some byte of `x` is below `n` (n <= 0x80).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        // (a chunk that is somehow not 8 bytes reads as zeros: stops here, the bytes go one by one)
        let x = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        let hit = below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20);
        if hit != 0 {
            break;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// A forward reader over the card's text that checks the JSON as it goes (the grammar and
/// depth limit of [`crate::json`]) and builds nothing: the walk reads the members it needs in
/// place and skips the rest.
struct Scan<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> Result<(), Stop> {
        match self.peek() == Some(b) {
            true => {
                self.i += 1;
                Ok(())
            }
            false => Err(Stop::Syntax),
        }
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn literal(&mut self, word: &str) -> Result<(), Stop> {
        match self.text.as_bytes().get(self.i..) {
            Some(rest) if rest.starts_with(word.as_bytes()) => {
                self.i += word.len();
                Ok(())
            }
            _ => Err(Stop::Syntax),
        }
    }
    /// A string's escaped contents (the quotes consumed); escapes checked for well-formedness.
    fn string(&mut self) -> Result<&'a str, Stop> {
        self.eat(b'"')?;
        let start = self.i;
        let bytes = self.text.as_bytes();
        loop {
            self.i += bytes.get(self.i..).map_or(0, plain_run);
            match bytes.get(self.i).copied() {
                Some(b'"') => {
                    let inner = self.text.get(start..self.i).ok_or(Stop::Syntax)?;
                    self.i += 1;
                    return Ok(inner);
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.text.get(self.i + 1..self.i + 5).ok_or(Stop::Syntax)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return Err(Stop::Syntax);
                            }
                            self.i += 5;
                        }
                        _ => return Err(Stop::Syntax),
                    }
                }
                _ => return Err(Stop::Syntax),
            }
        }
    }
    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }
    fn number(&mut self) -> Result<(), Stop> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Stop::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(Stop::Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Stop::Syntax);
            }
        }
        Ok(())
    }
    /// Opens a container at `depth` (inside that many others).
    fn open(&mut self, bracket: u8, depth: usize) -> Result<(), Stop> {
        if depth >= MAX_DEPTH {
            return Err(Stop::Syntax);
        }
        self.eat(bracket)
    }
    /// Moves to the next entry of a container whose bracket was read: `Ok(false)` at its end.
    fn next(&mut self, close: u8, first: &mut bool) -> Result<bool, Stop> {
        self.ws();
        if std::mem::take(first) {
            if self.peek() == Some(close) {
                self.i += 1;
                return Ok(false);
            }
        } else if self.peek() == Some(b',') {
            self.i += 1;
            self.ws();
        } else {
            self.eat(close)?;
            return Ok(false);
        }
        Ok(true)
    }
    /// The next member's key (still escaped) of an object whose `{` was read, the scan at its
    /// value; `None` at the object's end.
    fn member(&mut self, first: &mut bool) -> Result<Option<&'a str>, Stop> {
        if !self.next(b'}', first)? {
            return Ok(None);
        }
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Ok(Some(key))
    }
    /// Checks one value inside `depth` containers and moves past it.
    fn skip(&mut self, depth: usize) -> Result<(), Stop> {
        match self.peek() {
            Some(b'{') => {
                self.open(b'{', depth)?;
                let mut first = true;
                while self.member(&mut first)?.is_some() {
                    self.skip(depth + 1)?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.open(b'[', depth)?;
                let mut first = true;
                while self.next(b']', &mut first)? {
                    self.skip(depth + 1)?;
                }
                Ok(())
            }
            Some(b'"') => self.string().map(drop),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            _ => self.number(),
        }
    }
    /// Skips a value, saying whether it was `null`.
    fn skip_is_null(&mut self, depth: usize) -> Result<bool, Stop> {
        let null = self.peek() == Some(b'n');
        self.skip(depth)?;
        Ok(null)
    }
}

/// What the walk learns: the element ids (with where they sit when `paths`), the element count
/// and the submit buttons seen.
#[derive(Default)]
struct Walk<'a> {
    ids: Vec<(Cow<'a, str>, String)>,
    count: usize,
    submits: usize,
    /// Write out each id's path (the second walk, for a duplicate id's message).
    paths: bool,
}

/// Where an element sits.
#[derive(Clone, Copy)]
struct Place<'p> {
    at: At<'p>,
    depth: usize,
    in_form: bool,
    column_only: bool,
}

/// What [`Walk::members`] learned of an element.
struct Members<'a> {
    tag: Option<Cow<'a, str>>,
    element_id: Option<Cow<'a, str>>,
    /// A bit per field present (see `bit`).
    present: u16,
    children_seen: bool,
    /// Submit buttons seen before the element's children (a form needs one of its own).
    submits_before: usize,
    /// Children met before the tag (their key and offset): walked once the tag is known.
    deferred: Option<(&'static str, usize)>,
}

impl Members<'_> {
    /// The element's name in messages: its id, else its tag.
    fn label(&self) -> &str {
        self.element_id
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("element")
    }
}

/// The spec of an element's tag, or the error: no tag, a tag out of place, an unknown tag.
fn spec_of(tag: Option<&str>, place: Place<'_>) -> Result<&'static Spec, CardError> {
    let Some(tag) = tag else {
        let path = place.at.render();
        return Err(err(
            CardErrorKind::MissingField,
            &path,
            format!("{path} has no `tag`"),
        ));
    };
    if place.column_only && tag != "column" {
        let path = place.at.render();
        return Err(err(
            CardErrorKind::InvalidField,
            &path,
            format!("{path}: a column set holds only `column` elements"),
        ));
    }
    spec(tag).ok_or_else(|| {
        let path = place.at.render();
        err(
            CardErrorKind::UnknownTag,
            &path,
            format!("{path}: unknown tag `{tag}`"),
        )
    })
}

/// A string member's value (`None` when null), or the error naming it.
fn string_member<'a>(
    s: &mut Scan<'a>,
    at: &At<'_>,
    key: &str,
) -> Result<Option<Cow<'a, str>>, Stop> {
    let value = match s.peek() {
        Some(b'n') => return s.literal("null").map(|()| None),
        Some(b'"') => Json::String(s.string()?).as_str(),
        _ => None,
    };
    value.map(Some).ok_or_else(|| {
        let path = at.render();
        Stop::Card(err(
            CardErrorKind::InvalidField,
            &path,
            format!("{path}: `{key}` must be a string"),
        ))
    })
}

/// An element's key, decoded.
fn key_of(raw: &str) -> Cow<'_, str> {
    Json::String(raw).as_str().unwrap_or_default()
}

impl<'a> Walk<'a> {
    /// An array of elements (the scan at it, inside `depth` containers).
    fn elements(&mut self, s: &mut Scan<'a>, place: Place<'_>, depth: usize) -> Result<(), Stop> {
        if s.peek() != Some(b'[') {
            let p = place.at.render();
            return Err(Stop::Card(err(
                CardErrorKind::InvalidField,
                &p,
                format!("{p} must be an array of elements"),
            )));
        }
        s.open(b'[', depth)?;
        let (mut first, mut i) = (true, 0);
        while s.next(b']', &mut first)? {
            let at = At::Index(&place.at, i);
            self.element(s, Place { at, ..place }, depth + 1)?;
            i += 1;
        }
        Ok(())
    }

    /// One element: its own members in order (children walked as soon as the tag is known),
    /// then the checks that need all of them.
    fn element(&mut self, s: &mut Scan<'a>, place: Place<'_>, depth: usize) -> Result<(), Stop> {
        self.enter(s, &place.at, depth)?;
        let mut read = self.members(s, place, depth)?;
        let spec = spec_of(read.tag.as_deref(), place)?;
        if let Some((key, offset)) = read.deferred.filter(|(k, _)| spec.children == Some(*k)) {
            let mut children = Scan {
                text: s.text,
                i: offset,
            };
            self.children(&mut children, spec, key, place, &mut read, depth + 1)?;
        }
        let tag = spec.tag;
        if let Some(missing) = spec.required.iter().find(|f| read.present & bit(f) == 0) {
            let path = place.at.render();
            let label = read.label();
            return Err(Stop::Card(err(
                CardErrorKind::MissingField,
                &path,
                format!("{path} ({label}): `{tag}` needs `{missing}`"),
            )));
        }
        if let Some(id) = read.element_id.take() {
            self.register_id(id, &place.at)?;
        }
        if place.in_form && FORM_FIELDS.contains(&tag) && read.present & bit("name") == 0 {
            let path = place.at.render();
            let label = read.label();
            return Err(Stop::Card(err(
                CardErrorKind::MissingField,
                &path,
                format!("{path} ({label}): `{tag}` inside a form needs `name`"),
            )));
        }
        if tag == "form" && (!read.children_seen || self.submits == read.submits_before) {
            let path = place.at.render();
            let label = read.label();
            return Err(Stop::Card(err(
                CardErrorKind::MissingSubmit,
                &path,
                format!("{path} ({label}): a form needs a button with form_action_type \"submit\""),
            )));
        }
        Ok(())
    }

    /// Opens an element, once it is known to be an object and within the element budget.
    fn enter(&mut self, s: &mut Scan<'a>, at: &At<'_>, depth: usize) -> Result<(), Stop> {
        if s.peek() != Some(b'{') {
            let path = at.render();
            return Err(Stop::Card(err(
                CardErrorKind::NotAnObject,
                &path,
                format!("{path} is not an object"),
            )));
        }
        s.open(b'{', depth)?;
        self.count += 1;
        if self.count > MAX_ELEMENTS {
            let path = at.render();
            return Err(Stop::Card(err(
                CardErrorKind::TooManyElements,
                &path,
                format!("more than {MAX_ELEMENTS} elements (at {path})"),
            )));
        }
        Ok(())
    }

    /// Reads the members in order: the tag, the id, which fields are present, submit buttons;
    /// children are walked as soon as the tag says they belong, or kept for later.
    fn members(
        &mut self,
        s: &mut Scan<'a>,
        place: Place<'_>,
        depth: usize,
    ) -> Result<Members<'a>, Stop> {
        let at = &place.at;
        let mut read = Members {
            tag: None,
            element_id: None,
            present: 0,
            children_seen: false,
            submits_before: self.submits,
            deferred: None,
        };
        let mut first = true;
        while let Some(raw_key) = s.member(&mut first)? {
            match key_of(raw_key).as_ref() {
                "tag" => read.tag = string_member(s, at, "tag")?,
                "element_id" => read.element_id = string_member(s, at, "element_id")?,
                "form_action_type" => {
                    if string_member(s, at, "form_action_type")?.as_deref() == Some("submit") {
                        self.submits += 1;
                    }
                }
                k @ ("elements" | "columns") => {
                    let k: &'static str = if k == "elements" {
                        "elements"
                    } else {
                        "columns"
                    };
                    read.present |= bit(k);
                    let spec = read
                        .tag
                        .as_deref()
                        .and_then(spec)
                        .filter(|s| s.children == Some(k));
                    match spec {
                        Some(spec) => self.children(s, spec, k, place, &mut read, depth + 1)?,
                        // The tag is not known yet (or takes no children): come back to it.
                        None => {
                            read.deferred = Some((k, s.i));
                            s.skip(depth + 1)?;
                        }
                    }
                }
                other => {
                    if !s.skip_is_null(depth + 1)? {
                        read.present |= bit(other);
                    }
                }
            }
        }
        Ok(read)
    }

    /// Walks the children under `key` of an element of `spec` (a form counts its submit
    /// buttons from here).
    fn children(
        &mut self,
        s: &mut Scan<'a>,
        spec: &Spec,
        key: &'static str,
        place: Place<'_>,
        read: &mut Members<'a>,
        depth: usize,
    ) -> Result<(), Stop> {
        read.children_seen = true;
        let child = child_place(spec.tag, place)?;
        if spec.tag == "form" {
            read.submits_before = self.submits;
        }
        let at = At::Key(&place.at, key);
        self.elements(s, Place { at, ..child }, depth)
    }

    /// Records an element id: well-formed and not used before.
    fn register_id(&mut self, id: Cow<'a, str>, at: &At<'_>) -> Result<(), CardError> {
        if !valid_element_id(&id) {
            let path = at.render();
            return Err(err(
                CardErrorKind::InvalidElementId,
                &path,
                format!("{path}: element_id `{id}` must start with a letter, hold only letters, digits and `_`, and be at most 20 characters"),
            ));
        }
        if let Some((_, first)) = self.ids.iter().find(|(seen, _)| *seen == id) {
            let path = at.render();
            let message = format!("{path}: element_id `{id}` is already used by {first}");
            return Err(err(CardErrorKind::DuplicateElementId, &path, message));
        }
        let path = if self.paths {
            at.render()
        } else {
            String::new()
        };
        self.ids.push((id, path));
        Ok(())
    }

    /// The card: `schema`, `header` (title required when present), `body.elements`.
    fn card(&mut self, s: &mut Scan<'a>) -> Result<(), Stop> {
        s.ws();
        if s.peek() != Some(b'{') {
            s.skip(0)?;
            s.ws();
            if s.i != s.text.len() {
                return Err(Stop::Syntax);
            }
            return Err(Stop::Card(err(
                CardErrorKind::NotAnObject,
                "",
                "the card is not a JSON object".into(),
            )));
        }
        s.open(b'{', 0)?;
        let (mut schema_ok, mut body) = (false, None);
        let mut first = true;
        while let Some(raw_key) = s.member(&mut first)? {
            match key_of(raw_key).as_ref() {
                "schema" => {
                    schema_ok = match s.peek() {
                        Some(b'"') => Json::String(s.string()?).as_str().as_deref() == Some("2.0"),
                        _ => {
                            s.skip(1)?;
                            false
                        }
                    }
                }
                "header" => header(s)?,
                "body" => {
                    if s.peek() != Some(b'{') {
                        return Err(Stop::Card(err(
                            CardErrorKind::NotAnObject,
                            "body",
                            "body must be an object".into(),
                        )));
                    }
                    body = Some(self.body(s)?);
                }
                _ => s.skip(1)?,
            }
        }
        s.ws();
        if s.i != s.text.len() {
            return Err(Stop::Syntax);
        }
        if !schema_ok {
            return Err(Stop::Card(err(
                CardErrorKind::InvalidSchema,
                "schema",
                "cards must declare \"schema\": \"2.0\"".into(),
            )));
        }
        match body {
            Some(true) => Ok(()),
            _ => Err(Stop::Card(err(
                CardErrorKind::MissingField,
                "body",
                "a card needs `body` with `elements`".into(),
            ))),
        }
    }

    /// `body` (the scan at its `{`): its last `elements` walked (as `JSON.parse` keeps the
    /// last of a repeated key); whether it has one.
    fn body(&mut self, s: &mut Scan<'a>) -> Result<bool, Stop> {
        s.open(b'{', 1)?;
        let start = (self.count, self.submits, self.ids.len());
        let (mut seen, mut failed) = (false, None);
        let mut first = true;
        while let Some(raw_key) = s.member(&mut first)? {
            if key_of(raw_key) != "elements" {
                s.skip(2)?;
                continue;
            }
            // A repeated `elements` replaces the one before: forget what that one counted.
            (self.count, self.submits) = (start.0, start.1);
            self.ids.truncate(start.2);
            seen = true;
            failed = None;
            let at = s.i;
            let place = Place {
                at: At::Root("body.elements"),
                depth: 0,
                in_form: false,
                column_only: false,
            };
            match self.elements(s, place, 2) {
                Ok(()) => {}
                Err(Stop::Card(e)) => {
                    // Final unless another `elements` follows.
                    failed = Some(e);
                    s.i = at;
                    s.skip(2)?;
                }
                Err(stop) => return Err(stop),
            }
        }
        match failed {
            Some(e) => Err(Stop::Card(e)),
            None => Ok(seen),
        }
    }
}

/// `header` (the scan at it): null, or an object whose (last) `title`, if any, is an object
/// whose (last) `content` is a string.
fn header(s: &mut Scan<'_>) -> Result<(), Stop> {
    let not_object = || {
        Stop::Card(err(
            CardErrorKind::NotAnObject,
            "header",
            "header must be an object".into(),
        ))
    };
    // None: no title or content; Some(false): one of the wrong type.
    let mut content: Option<bool> = None;
    match s.peek() {
        Some(b'n') => s.literal("null")?,
        Some(b'{') => {
            s.open(b'{', 1)?;
            let mut first = true;
            while let Some(key) = s.member(&mut first)? {
                if key_of(key) != "title" {
                    s.skip(2)?;
                    continue;
                }
                content = match s.peek() {
                    Some(b'{') => {
                        s.open(b'{', 2)?;
                        let mut inner = None;
                        let mut first = true;
                        while let Some(key) = s.member(&mut first)? {
                            if key_of(key) != "content" {
                                s.skip(3)?;
                                continue;
                            }
                            inner = match s.peek() {
                                Some(b'"') => Json::String(s.string()?).as_str().map(|_| true),
                                other => {
                                    let null = other == Some(b'n');
                                    s.skip(3)?;
                                    (!null).then_some(false)
                                }
                            };
                        }
                        inner
                    }
                    other => {
                        let null = other == Some(b'n');
                        s.skip(2)?;
                        (!null).then_some(false)
                    }
                };
            }
        }
        _ => return Err(not_object()),
    }
    match content {
        Some(true) => Ok(()),
        Some(false) => Err(not_object()),
        None => Err(Stop::Card(err(
            CardErrorKind::MissingField,
            "header",
            "header needs `title` with `content`".into(),
        ))),
    }
}

/// Checks entering a container's children and returns their place (the path is the caller's).
fn child_place<'p>(tag: &str, parent: Place<'p>) -> Result<Place<'p>, CardError> {
    let is_form = tag == "form";
    if is_form && parent.in_form {
        let path = parent.at.render();
        return Err(err(
            CardErrorKind::NestedForm,
            &path,
            format!("{path}: a form cannot contain another form"),
        ));
    }
    // Columns are part of their column set, not a nesting level of their own.
    let depth = if tag == "column" {
        parent.depth
    } else {
        parent.depth + 1
    };
    if depth > MAX_NESTING {
        let path = parent.at.render();
        return Err(err(
            CardErrorKind::TooDeep,
            &path,
            format!("{path}: containers nest deeper than {MAX_NESTING} levels"),
        ));
    }
    Ok(Place {
        at: parent.at,
        depth,
        in_form: parent.in_form || is_form,
        column_only: tag == "column_set",
    })
}

/// Walks the card once, reading the text in place; a duplicate id walks it again writing paths
/// out, to name where the id was first used. Text that is not JSON fails as such, whatever else
/// is wrong with it.
fn walk(card_json: &str) -> Result<Vec<String>, CardError> {
    let run = |paths: bool| {
        let mut walk = Walk {
            paths,
            ..Walk::default()
        };
        let mut s = Scan {
            text: card_json,
            i: 0,
        };
        walk.card(&mut s).map(|()| {
            walk.ids
                .into_iter()
                .map(|(id, _)| id.into_owned())
                .collect()
        })
    };
    let not_json = || {
        err(
            CardErrorKind::NotAnObject,
            "",
            "the card is not valid JSON".into(),
        )
    };
    match run(false) {
        Ok(ids) => Ok(ids),
        Err(Stop::Card(_)) | Err(Stop::Syntax) if !is_valid(card_json) => Err(not_json()),
        Err(Stop::Card(e)) if e.kind == CardErrorKind::DuplicateElementId => match run(true) {
            Err(Stop::Card(named)) => Err(named),
            _ => Err(e),
        },
        Err(Stop::Card(e)) => Err(e),
        Err(Stop::Syntax) => Err(not_json()),
    }
}

/// Validates a whole card: schema 2.0, a header with a title (when present), `body.elements`,
/// every element's tag, required fields and id, nesting, forms, and the size limit.
///
/// ```
/// use feishu_edge::card::{validate, CardErrorKind};
/// assert!(validate(r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"hi"}]}}"#).is_ok());
/// let e = validate(r#"{"schema":"2.0","body":{"elements":[{"tag":"blink"}]}}"#).unwrap_err();
/// assert_eq!((e.kind, e.path.as_str()), (CardErrorKind::UnknownTag, "body.elements[0]"));
/// ```
pub fn validate(card_json: &str) -> Result<(), CardError> {
    walk(card_json)?;
    if card_json.len() > MAX_CARD_BYTES {
        let largest = largest_element(card_json)
            .map(|d| format!("; the largest element is {d}"))
            .unwrap_or_default();
        return Err(err(
            CardErrorKind::TooLarge,
            "",
            format!(
                "the card is {} bytes; the platform accepts at most {MAX_CARD_BYTES}{largest}",
                card_json.len()
            ),
        ));
    }
    Ok(())
}

/// [`crate::api::helpers::message_body`] with the card rules: a schema 2.0 card (what `Card`
/// builds), given as a card or as `{msg_type: "interactive", content}`, gets the same checks as
/// `String(card)`, with the same error, before anything is sent. Template references
/// (`{type: "template"}`) and schema 1.0 cards are the platform's to judge.
///
/// ```
/// use feishu_edge::card::checked_message_body;
/// let bad = r#"{"schema":"2.0","body":{"elements":[{"tag":"nonsense"}]}}"#;
/// assert_eq!(checked_message_body(bad).unwrap_err().kind(), "invalid_card");
/// assert_eq!(checked_message_body(r#""hi""#).unwrap().msg_type, "text");
/// ```
#[cfg(feature = "client")]
pub fn checked_message_body(content_json: &str) -> crate::Result<crate::api::helpers::MessageBody> {
    let body = crate::api::helpers::message_body(content_json)?;
    if body.msg_type == "interactive" {
        let is_v2 = RawFields::parse(&body.content)
            .and_then(|f| f.str("schema"))
            .is_some_and(|s| s == "2.0");
        if is_v2 {
            validate(&body.content).map_err(|e| crate::Error::Card(Box::new(e)))?;
        }
    }
    Ok(body)
}

/// Every `element_id` in the card, in document order (empty if the card is invalid).
pub fn element_ids(card_json: &str) -> Vec<String> {
    walk(card_json).unwrap_or_default()
}

/// The largest top-level element, described for the size error (only computed on that path).
fn largest_element(card_json: &str) -> Option<String> {
    let body = RawFields::parse(card_json)?.get("body")?;
    let elements = RawFields::parse(body)?.get("elements")?;
    let items = raw_items(elements)?;
    let (i, item) = items.iter().enumerate().max_by_key(|(_, e)| e.len())?;
    let name = RawFields::parse(item)
        .and_then(|f| f.str("element_id").or_else(|| f.str("tag")))
        .unwrap_or_default();
    Some(format!("body.elements[{i}] ({name}, {} bytes)", item.len()))
}
