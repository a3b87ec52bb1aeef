//! The element shapes: every tag and field name the card builders write, from the one source
//! (`src/card/shapes.json`, through [`super::names`]; the npm package's factories are generated
//! from the same file, and tests/card.rs pins both to the same JSON). Every argument is raw
//! JSON: values passed through untouched (a button's `value`, a name, a chart spec) as given,
//! text shown on the card as a JSON string literal.

use super::names::{default as d, field as f, tag, value as v};
use super::{defaults, Element};
use crate::json::{quote, ObjectWriter};

/// `{k1: v1, k2: v2...}` of raw JSON values.
fn object(fields: &[(&str, &str)]) -> String {
    let mut w = ObjectWriter::default();
    for (k, value) in fields {
        w.field(k, value);
    }
    w.finish()
}

/// `{"tag":"plain_text","content":…}` around a JSON string literal.
pub(crate) fn plain(literal: &str) -> String {
    object(&[(f::TAG, &quote(tag::PLAIN_TEXT)), (f::CONTENT, literal)])
}

/// A JSON array of raw items.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out.push(']');
    out
}

pub(crate) fn markdown(content: &str) -> Element {
    Element::tagged(quote(tag::MARKDOWN)).put(f::CONTENT, content)
}

pub(crate) fn text(content: &str) -> Element {
    Element::tagged(quote(tag::TEXT)).put(f::TEXT, plain(content))
}

pub(crate) fn divider() -> Element {
    Element::tagged(quote(tag::DIVIDER))
}

pub(crate) fn image(img_key: &str, alt: &str) -> Element {
    Element::tagged(quote(tag::IMAGE))
        .put(f::IMG_KEY, img_key)
        .put(f::ALT, plain(alt))
}

/// A button's parts; `None` leaves a field out (or takes its default).
#[derive(Default)]
pub(crate) struct Button<'a> {
    pub label: &'a str,
    /// `type` (default [`defaults::BUTTON_TYPE`]).
    pub kind: Option<&'a str>,
    /// A callback's value.
    pub value: Option<&'a str>,
    /// A link (replaces a callback).
    pub url: Option<&'a str>,
    /// Submits its form.
    pub submit: bool,
    /// `name` (a submit button's default: [`defaults::SUBMIT_NAME`]).
    pub name: Option<&'a str>,
    /// A confirmation dialog: title and text.
    pub confirm: Option<(String, String)>,
}

pub(crate) fn button(b: &Button<'_>) -> Element {
    let mut e = Element::tagged(quote(tag::BUTTON)).put(f::TEXT, plain(b.label));
    e = match b.kind {
        Some(kind) => e.put(f::TYPE, kind),
        None => e.put(f::TYPE, quote(defaults::BUTTON_TYPE)),
    };
    if let Some(value) = b.value {
        let behavior = object(&[(f::TYPE, &quote(v::CALLBACK)), (f::VALUE, value)]);
        e = e.put(f::BEHAVIORS, list(&[behavior]));
    }
    if let Some(url) = b.url {
        let behavior = object(&[(f::TYPE, &quote(v::OPEN_URL)), (f::DEFAULT_URL, url)]);
        e = e.put(f::BEHAVIORS, list(&[behavior]));
    }
    if b.submit {
        e = e.put(f::FORM_ACTION_TYPE, quote(v::SUBMIT));
        e = match b.name {
            Some(name) => e.put(f::NAME, name),
            None => e.put(f::NAME, quote(defaults::SUBMIT_NAME)),
        };
    } else if let Some(name) = b.name {
        e = e.put(f::NAME, name);
    }
    if let Some((title, text)) = &b.confirm {
        e = confirm(e, title, text);
    }
    e
}

pub(crate) fn confirm(button: Element, title: &str, text: &str) -> Element {
    button.put(
        f::CONFIRM,
        object(&[(f::TITLE, &plain(title)), (f::TEXT, &plain(text))]),
    )
}

/// One column of equal weight; `elements` is a JSON array.
pub(crate) fn column(elements: String) -> Element {
    Element::tagged(quote(tag::COLUMN))
        .put(f::WIDTH, quote(defaults::COLUMN_WIDTH))
        .put(f::WEIGHT, defaults::COLUMN_WEIGHT.to_string())
        .put(f::ELEMENTS, elements)
}

/// Columns side by side; `columns` is a JSON array of column elements.
pub(crate) fn column_set(columns: String) -> Element {
    Element::tagged(quote(tag::COLUMNS))
        .put(f::FLEX_MODE, quote(defaults::FLEX_MODE))
        .put(f::COLUMNS, columns)
}

pub(crate) fn panel(title: &str, expanded: Option<&str>, elements: String) -> Element {
    let expanded = expanded.map_or_else(|| defaults::PANEL_EXPANDED.to_string(), str::to_string);
    let title = object(&[(f::TAG, &quote(tag::MARKDOWN)), (f::CONTENT, title)]);
    Element::tagged(quote(tag::PANEL))
        .put(f::EXPANDED, expanded)
        .put(f::HEADER, object(&[(f::TITLE, &title)]))
        .put(f::ELEMENTS, elements)
}

pub(crate) fn form(name: &str, elements: String) -> Element {
    Element::tagged(quote(tag::FORM))
        .put(f::NAME, name)
        .put(f::ELEMENTS, elements)
}

pub(crate) fn input(
    name: &str,
    label: Option<&str>,
    placeholder: Option<&str>,
    required: Option<&str>,
) -> Element {
    let mut e = Element::tagged(quote(tag::INPUT)).put(f::NAME, name);
    if let Some(label) = label {
        e = e.put(f::LABEL, plain(label));
    }
    if let Some(placeholder) = placeholder {
        e = e.put(f::PLACEHOLDER, plain(placeholder));
    }
    if let Some(required) = required {
        e = e.put(f::REQUIRED, required);
    }
    e
}

/// A menu; `options` are `(text literal, raw value)`.
pub(crate) fn select(
    name: &str,
    placeholder: Option<&str>,
    options: &[(String, String)],
    multiple: bool,
) -> Element {
    let tag = if multiple {
        tag::MULTI_SELECT
    } else {
        tag::SELECT
    };
    let mut e = Element::tagged(quote(tag)).put(f::NAME, name);
    if let Some(placeholder) = placeholder {
        e = e.put(f::PLACEHOLDER, plain(placeholder));
    }
    let options: Vec<String> = options
        .iter()
        .map(|(text, value)| object(&[(f::TEXT, &plain(text)), (f::VALUE, value)]))
        .collect();
    e.put(f::OPTIONS, list(&options))
}

pub(crate) fn date_picker(name: &str, placeholder: Option<&str>, initial: Option<&str>) -> Element {
    let mut e = Element::tagged(quote(tag::DATE_PICKER)).put(f::NAME, name);
    if let Some(placeholder) = placeholder {
        e = e.put(f::PLACEHOLDER, plain(placeholder));
    }
    if let Some(initial) = initial {
        e = e.put(f::INITIAL_DATE, initial);
    }
    e
}

/// A table: column titles (JSON string literals, keyed `c0`, `c1`… by position) and rows of raw
/// cells by column position (a missing or `null` cell is `""`).
pub(crate) fn table(titles: &[String], rows: &[Vec<String>], page_size: Option<&str>) -> Element {
    let keys: Vec<String> = (0..titles.len())
        .map(|i| format!("{}{i}", defaults::COLUMN_KEY_PREFIX))
        .collect();
    let columns: Vec<String> = titles
        .iter()
        .zip(&keys)
        .map(|(title, key)| {
            object(&[
                (f::NAME, &quote(key)),
                (f::DISPLAY_NAME, title),
                (f::DATA_TYPE, &quote(defaults::TABLE_DATA_TYPE)),
            ])
        })
        .collect();
    let rows: Vec<String> = rows
        .iter()
        .map(|cells| {
            let mut w = ObjectWriter::default();
            for (i, key) in keys.iter().enumerate() {
                let cell = cells.get(i).map(|c| c.trim()).filter(|c| *c != "null");
                w.field(key, cell.unwrap_or("\"\""));
            }
            w.finish()
        })
        .collect();
    let page_size = page_size.map_or_else(|| defaults::TABLE_PAGE_SIZE.to_string(), str::to_string);
    Element::tagged(quote(tag::TABLE))
        .put(f::PAGE_SIZE, page_size)
        .put(f::COLUMNS, list(&columns))
        .put(f::ROWS, list(&rows))
}

pub(crate) fn chart(spec: &str) -> Element {
    Element::tagged(quote(tag::CHART)).put(f::CHART_SPEC, spec)
}

pub(crate) fn person(user_id: &str) -> Element {
    Element::tagged(quote(tag::PERSON)).put(f::USER_ID, user_id)
}

/// A card header: raw JSON parts, texts as JSON string literals; `tags` are `(text, colour)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub template: Option<String>,
    pub icon: Option<String>,
    pub tags: Option<Vec<(String, Option<String>)>>,
}

impl Header {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Header::default()
    }
}

pub(crate) fn header(h: &Header) -> String {
    let mut w = ObjectWriter::default();
    if let Some(title) = &h.title {
        w.field(f::TITLE, &plain(title));
    }
    if let Some(subtitle) = &h.subtitle {
        w.field(f::SUBTITLE, &plain(subtitle));
    }
    if let Some(template) = &h.template {
        w.field(f::TEMPLATE, template);
    }
    if let Some(icon) = &h.icon {
        w.field(f::ICON, icon);
    }
    if let Some(tags) = &h.tags {
        let tags: Vec<String> = tags
            .iter()
            .map(|(text, color)| {
                let color = color.clone().unwrap_or_else(|| quote(d::TAG_COLOR));
                object(&[
                    (f::TAG, &quote(tag::TEXT_TAG)),
                    (f::TEXT, &plain(text)),
                    (f::COLOR, &color),
                ])
            })
            .collect();
        w.field(f::TEXT_TAG_LIST, &list(&tags));
    }
    w.finish()
}

/// The card: `{"schema":"2.0", config?, header?, "body":{"elements":…}}` (raw parts).
pub(crate) fn card(config: Option<&str>, header: Option<&str>, elements: &str) -> String {
    let mut card = ObjectWriter::default();
    card.field(f::SCHEMA, &quote(v::SCHEMA));
    if let Some(config) = config {
        card.field(f::CONFIG, config);
    }
    if let Some(header) = header {
        card.field(f::HEADER, header);
    }
    card.field(f::BODY, &object(&[(f::ELEMENTS, elements)]));
    card.finish()
}
