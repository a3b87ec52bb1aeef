//! Card descriptions, as the npm package's builder hands them over: an element is
//! `[factory, ...arguments]` (`["button", "OK", {"value": {"op": 1}}]`), a card is
//! `{"config", "header": [title, options], "elements": [...]}`. They become JSON through the
//! same shapes as the Rust builders ([`super::shape`]), so the element shapes, names and
//! defaults live once, here in Rust; `card.js` only names the factory and passes its arguments.
//!
//! ```
//! let json = feishu_edge::card::describe::element_json(r#"["button","OK",{"value":{"op":1},"elementId":"ok"}]"#).unwrap();
//! assert_eq!(json, r#"{"tag":"button","text":{"tag":"plain_text","content":"OK"},"type":"default","behaviors":[{"type":"callback","value":{"op":1}}],"element_id":"ok"}"#);
//! ```

use super::shape::{self, text_of, Button, Header, TableColumn, TableRow};
use super::{CardError, CardErrorKind, Element};
use crate::json::{quote, raw_items, RawFields};
use std::borrow::Cow;

/// The factories a description may name, as the package exports them.
pub const FACTORIES: [&str; 15] = [
    "markdown",
    "text",
    "divider",
    "image",
    "button",
    "column",
    "columns",
    "panel",
    "form",
    "input",
    "select",
    "datePicker",
    "table",
    "chart",
    "person",
];

/// How deep descriptions may nest (a form in a column in a panel…): past what validation
/// allows, so validation names the limit; before the recursion could exhaust the stack.
const MAX_DEPTH: usize = super::MAX_NESTING + 2;

/// Where a description sits (`body.elements[3].elements[0]`), written out only for an error.
#[derive(Clone, Copy)]
struct At<'p> {
    parent: Option<&'p At<'p>>,
    name: &'p str,
    index: Option<usize>,
}

impl At<'_> {
    fn root(name: &str) -> At<'_> {
        At {
            parent: None,
            name,
            index: None,
        }
    }
    fn render(&self) -> String {
        let mut out = self.parent.map(At::render).unwrap_or_default();
        if !self.name.is_empty() {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(self.name);
        }
        if let Some(i) = self.index {
            out.push_str(&format!("[{i}]"));
        }
        out
    }
}

fn invalid(at: &At<'_>, message: String) -> CardError {
    CardError {
        kind: CardErrorKind::InvalidField,
        path: at.render(),
        message,
    }
}

/// A text argument as a JSON string literal: a string as given, anything else as JavaScript's
/// `String(value)` writes it.
fn literal(raw: &str) -> Cow<'_, str> {
    let raw = raw.trim();
    match raw.starts_with('"') {
        true => Cow::Borrowed(raw),
        false => Cow::Owned(quote(&text_of(raw))),
    }
}

/// Present and not `null` (what `??` keeps).
fn given(raw: Option<&str>) -> Option<&str> {
    raw.filter(|r| r.trim() != "null")
}

/// JavaScript truthiness of a JSON value.
fn truthy(raw: Option<&str>) -> bool {
    match raw.map(str::trim) {
        None | Some("null" | "false" | "\"\"") => false,
        // A number is falsy when it is zero (`0`, `-0.0`, `0e5`); read without float parsing,
        // which would link ~40 KB into the wasm.
        Some(n) if n.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            let mantissa = n.split(['e', 'E']).next().unwrap_or(n);
            !mantissa.chars().all(|c| matches!(c, '-' | '0' | '.'))
        }
        Some(_) => true,
    }
}

const UNDEFINED: &str = "\"undefined\"";

/// A factory's arguments (after its name) and where the element sits.
struct Args<'a, 'p> {
    factory: &'static str,
    items: Vec<&'a str>,
    at: At<'p>,
}

impl<'a> Args<'a, '_> {
    /// Argument `i`, if given and not `null`.
    fn get(&self, i: usize) -> Option<&'a str> {
        given(self.items.get(i + 1).copied())
    }
    /// Argument `i` as text, a JSON string literal (missing: `"undefined"`, as JS writes it).
    fn text(&self, i: usize) -> Cow<'a, str> {
        self.items
            .get(i + 1)
            .map_or(Cow::Borrowed(UNDEFINED), |r| literal(r))
    }
    /// Argument `i` as raw JSON (missing: `null`).
    fn raw(&self, i: usize) -> &'a str {
        self.items.get(i + 1).map_or("null", |r| r.trim())
    }
    /// The options object at `i` (missing or `null`: none).
    fn options(&self, i: usize) -> Result<RawFields<'a>, CardError> {
        match self.get(i) {
            None => Ok(RawFields(Vec::new())),
            Some(raw) => RawFields::parse(raw).ok_or_else(|| {
                invalid(
                    &self.at,
                    format!("{}(): its options must be an object", self.factory),
                )
            }),
        }
    }
    /// The array at `i`, as raw items.
    fn array(&self, i: usize, what: &str) -> Result<Vec<&'a str>, CardError> {
        self.get(i).and_then(raw_items).ok_or_else(|| {
            invalid(
                &self.at,
                format!("{}(): `{what}` must be an array", self.factory),
            )
        })
    }
}

/// One element description (or, for anything but an array, the element as given) as JSON.
///
/// ```
/// use feishu_edge::card::describe::element_json;
/// assert_eq!(element_json(r#"["markdown","**hi**"]"#).unwrap(), r#"{"tag":"markdown","content":"**hi**"}"#);
/// assert_eq!(element_json(r#"{"tag":"hr"}"#).unwrap(), r#"{"tag":"hr"}"#);
/// assert!(element_json(r#"["marquee"]"#).is_err());
/// ```
pub fn element_json(description: &str) -> Result<String, CardError> {
    let mut out = String::new();
    expand(description, At::root(""), 0, &mut out)?;
    Ok(out)
}

/// A whole card description as card JSON (validated when `validate`).
///
/// ```
/// use feishu_edge::card::describe::card_json;
/// let json = card_json(r#"{"header":["Hi",{"template":"blue"}],"elements":[["markdown","body"]]}"#, true).unwrap();
/// assert_eq!(json, r#"{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"Hi"},"template":"blue"},"body":{"elements":[{"tag":"markdown","content":"body"}]}}"#);
/// ```
pub fn card_json(description: &str, validate: bool) -> Result<String, CardError> {
    let root = At::root("");
    let fields = RawFields::parse(description)
        .ok_or_else(|| invalid(&root, "a card description must be an object".into()))?;
    let header = match given(fields.get("header")) {
        None => None,
        Some(raw) => Some(header_json(raw)?),
    };
    let mut elements = String::with_capacity(description.len() + description.len() / 2);
    match given(fields.get("elements")) {
        None => elements.push_str("[]"),
        Some(raw) => elements_json(raw, At::root("body.elements"), 0, &mut elements)?,
    }
    let json = shape::card(given(fields.get("config")), header.as_deref(), &elements);
    if validate {
        super::validate(&json)?;
    }
    Ok(json)
}

/// `[title, {subtitle, template, icon, tags}]`
fn header_json(raw: &str) -> Result<String, CardError> {
    let at = At::root("header");
    let items = raw_items(raw).unwrap_or_default();
    let args = Args {
        factory: "header",
        items: std::iter::once("\"header\"").chain(items).collect(),
        at,
    };
    let o = args.options(1)?;
    let tags = match given(o.get("tags")) {
        None => None,
        Some(raw) => {
            let items = raw_items(raw)
                .ok_or_else(|| invalid(&at, "header(): `tags` must be an array".into()))?;
            let mut tags = Vec::with_capacity(items.len());
            for t in items {
                tags.push(match RawFields::parse(t) {
                    Some(f) => (
                        f.get("text")
                            .map_or(UNDEFINED.into(), |t| literal(t).into_owned()),
                        given(f.get("color")).map(str::to_string),
                    ),
                    None => (literal(t).into_owned(), None),
                });
            }
            Some(tags)
        }
    };
    let owned = |raw: Option<&str>| raw.map(|r| literal(r).into_owned());
    Ok(shape::header(&Header {
        title: Some(args.text(0).into_owned()),
        subtitle: owned(o.get("subtitle")),
        template: o.get("template").map(str::to_string),
        icon: o.get("icon").map(str::to_string),
        tags,
    }))
}

/// An array of element descriptions or elements, appended to `out` as a JSON array.
fn elements_json(raw: &str, at: At<'_>, depth: usize, out: &mut String) -> Result<(), CardError> {
    let items = raw_items(raw)
        .ok_or_else(|| invalid(&at, "elements must be an array of elements".into()))?;
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let at = At {
            parent: Some(&at),
            name: "",
            index: Some(i),
        };
        expand(item, at, depth + 1, out)?;
    }
    out.push(']');
    Ok(())
}

fn expand(raw: &str, at: At<'_>, depth: usize, out: &mut String) -> Result<(), CardError> {
    let raw = raw.trim();
    let Some(items) = raw.starts_with('[').then(|| raw_items(raw)).flatten() else {
        out.push_str(raw);
        return Ok(());
    };
    if depth > MAX_DEPTH {
        return Err(CardError {
            kind: CardErrorKind::TooDeep,
            path: at.render(),
            message: format!("elements nest deeper than {MAX_DEPTH} levels"),
        });
    }
    let name = items.first().map_or("", |f| f.trim().trim_matches('"'));
    let Some(factory) = FACTORIES.iter().copied().find(|f| *f == name) else {
        return Err(CardError {
            kind: CardErrorKind::UnknownTag,
            path: at.render(),
            message: format!("no card element factory named {}", quote(name)),
        });
    };
    let a = Args { factory, items, at };
    let nested = |i: usize, what: &'static str| -> Result<String, CardError> {
        let mut list = String::new();
        match a.get(i) {
            Some(raw) => {
                let at = At {
                    parent: Some(&a.at),
                    name: what,
                    index: None,
                };
                elements_json(raw, at, depth, &mut list)?;
                Ok(list)
            }
            None => Err(invalid(
                &a.at,
                format!("{factory}(): `{what}` must be an array"),
            )),
        }
    };
    // (the element, its options: the fields not consumed are copied onto it)
    let (element, options, consumed): (Element, RawFields<'_>, &[&str]) = match factory {
        "markdown" => (shape::markdown(&a.text(0)), a.options(1)?, &[]),
        "text" => (shape::text(&a.text(0)), a.options(1)?, &[]),
        "divider" => (shape::divider(), a.options(0)?, &[]),
        "image" => {
            let o = a.options(1)?;
            let alt = o.get("alt").map_or(Cow::Borrowed("\"\""), literal);
            (shape::image(a.raw(0), &alt), o, &["alt"])
        }
        "button" => {
            let o = a.options(1)?;
            let confirm = match given(o.get("confirm")) {
                Some(c) if truthy(Some(c)) => {
                    let c = RawFields::parse(c).unwrap_or(RawFields(Vec::new()));
                    let part = |k: &str| {
                        c.get(k)
                            .map_or(UNDEFINED.into(), |t| literal(t).into_owned())
                    };
                    Some((part("title"), part("text")))
                }
                _ => None,
            };
            let label = a.text(0);
            let b = Button {
                label: &label,
                kind: o.get("type"),
                value: o.get("value"),
                url: o.get("url"),
                submit: truthy(o.get("submit")),
                name: o.get("name"),
                confirm,
            };
            let keys: &[&str] = &["value", "url", "submit", "confirm", "type", "name"];
            (shape::button(&b), o, keys)
        }
        "column" => (shape::column(nested(0, "elements")?), a.options(1)?, &[]),
        "columns" => {
            let mut cols = String::from("[");
            for i in 0..a.items.len() - 1 {
                if i > 0 {
                    cols.push(',');
                }
                let raw = a.raw(i);
                match raw.starts_with('[') {
                    true => shape::column(nested(i, "columns")?).write(&mut cols),
                    false => cols.push_str(raw),
                }
            }
            cols.push(']');
            (shape::column_set(cols), RawFields(Vec::new()), &[])
        }
        "panel" => {
            let o = a.options(2)?;
            let e = shape::panel(&a.text(0), o.get("expanded"), nested(1, "elements")?);
            (e, o, &["expanded"])
        }
        "form" => (
            shape::form(a.raw(0), nested(1, "elements")?),
            a.options(2)?,
            &[],
        ),
        "input" => {
            let o = a.options(1)?;
            let label = o.get("label").map(literal);
            let placeholder = o.get("placeholder").map(literal);
            let e = shape::input(
                a.raw(0),
                label.as_deref(),
                placeholder.as_deref(),
                o.get("required"),
            );
            (e, o, &["label", "placeholder", "required"])
        }
        "select" => {
            let o = a.options(2)?;
            let items = a.array(1, "options")?;
            let mut options = Vec::with_capacity(items.len());
            for item in items {
                let item = item.trim();
                options.push(match item.starts_with('"') {
                    true => (item.to_string(), item.to_string()),
                    false => {
                        let f = RawFields::parse(item).unwrap_or(RawFields(Vec::new()));
                        let text = f
                            .get("text")
                            .map_or(UNDEFINED.into(), |t| literal(t).into_owned());
                        (text, f.get("value").unwrap_or("null").to_string())
                    }
                });
            }
            let placeholder = o.get("placeholder").map(literal);
            let multiple = truthy(o.get("multiple"));
            let e = shape::select(a.raw(0), placeholder.as_deref(), &options, multiple);
            (e, o, &["placeholder", "multiple"])
        }
        "datePicker" => {
            let o = a.options(1)?;
            let placeholder = o.get("placeholder").map(literal);
            let e = shape::date_picker(a.raw(0), placeholder.as_deref(), o.get("initialDate"));
            (e, o, &["placeholder", "initialDate"])
        }
        "table" => {
            let o = a.options(2)?;
            let mut columns = Vec::new();
            for c in a.array(0, "columns")? {
                let c = c.trim();
                columns.push(match c.starts_with('"') {
                    true => TableColumn::Titled(c.to_string()),
                    false => {
                        let f = RawFields::parse(c).unwrap_or(RawFields(Vec::new()));
                        TableColumn::Named {
                            name: f.get("name"),
                            display_name: given(f.get("displayName")),
                            data_type: given(f.get("dataType")),
                        }
                    }
                });
            }
            let mut rows = Vec::new();
            for r in a.array(1, "rows")? {
                rows.push(match raw_items(r) {
                    Some(cells) => TableRow::Cells(cells),
                    None => TableRow::Object(r),
                });
            }
            (
                shape::table(&columns, &rows, o.get("pageSize")),
                o,
                &["pageSize"],
            )
        }
        "chart" => (shape::chart(a.raw(0)), a.options(1)?, &[]),
        _ => (shape::person(a.raw(0)), a.options(1)?, &[]),
    };
    let mut element = element;
    for (key, value) in &options.0 {
        if !consumed.contains(&key.as_ref()) {
            element = match key.as_ref() {
                "elementId" => element.put("element_id", value.trim()),
                key => element.raw(key, value.trim()),
            };
        }
    }
    element.write(out);
    Ok(())
}
