//! The element shapes: every tag and field name the card builders write, in one place. The
//! Rust builders ([`super::markdown`], [`super::button`]…) and the npm package's builder (its
//! factories hand a description to [`super::describe`]) both build through these functions.
//! Every argument is raw JSON: values passed through untouched (a button's `value`, a name, a
//! chart spec) as given, text shown on the card as a JSON string literal.

use super::{defaults, Element};
use crate::json::{quote, ObjectWriter};

/// A value as JavaScript's `String(value)` writes it: a string's text, `null`, a number or
/// boolean as written (objects and arrays as their JSON).
pub(crate) fn text_of(raw: &str) -> String {
    crate::json::unquote(raw).unwrap_or_else(|| raw.trim().to_string())
}

/// `{"tag":"plain_text","content":…}` around a JSON string literal.
pub(crate) fn plain(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len() + 32);
    out.push_str(r#"{"tag":"plain_text","content":"#);
    out.push_str(literal);
    out.push('}');
    out
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
    Element::tagged(quote("markdown")).put("content", content)
}

pub(crate) fn text(content: &str) -> Element {
    Element::tagged(quote("div")).put("text", plain(content))
}

pub(crate) fn divider() -> Element {
    Element::tagged(quote("hr"))
}

pub(crate) fn image(img_key: &str, alt: &str) -> Element {
    Element::tagged(quote("img"))
        .put("img_key", img_key)
        .put("alt", plain(alt))
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
    let mut e = Element::tagged(quote("button")).put("text", plain(b.label));
    e = match b.kind {
        Some(kind) => e.put("type", kind),
        None => e.put("type", quote(defaults::BUTTON_TYPE)),
    };
    if let Some(value) = b.value {
        e = e.raw(
            "behaviors",
            format!(r#"[{{"type":"callback","value":{value}}}]"#),
        );
    }
    if let Some(url) = b.url {
        e = e.raw(
            "behaviors",
            format!(r#"[{{"type":"open_url","default_url":{url}}}]"#),
        );
    }
    if b.submit {
        e = e.put("form_action_type", quote("submit"));
        e = match b.name {
            Some(name) => e.put("name", name),
            None => e.put("name", quote(defaults::SUBMIT_NAME)),
        };
    } else if let Some(name) = b.name {
        e = e.put("name", name);
    }
    if let Some((title, text)) = &b.confirm {
        e = confirm(e, title, text);
    }
    e
}

pub(crate) fn confirm(button: Element, title: &str, text: &str) -> Element {
    button.put(
        "confirm",
        format!(r#"{{"title":{},"text":{}}}"#, plain(title), plain(text)),
    )
}

/// One column of equal weight; `elements` is a JSON array.
pub(crate) fn column(elements: String) -> Element {
    Element::tagged(quote("column"))
        .put("width", quote(defaults::COLUMN_WIDTH))
        .put("weight", defaults::COLUMN_WEIGHT.to_string())
        .put("elements", elements)
}

/// Columns side by side; `columns` is a JSON array of column elements.
pub(crate) fn column_set(columns: String) -> Element {
    Element::tagged(quote("column_set"))
        .put("flex_mode", quote(defaults::FLEX_MODE))
        .put("columns", columns)
}

pub(crate) fn panel(title: &str, expanded: Option<&str>, elements: String) -> Element {
    let expanded = expanded.map_or_else(|| defaults::PANEL_EXPANDED.to_string(), str::to_string);
    Element::tagged(quote("collapsible_panel"))
        .put("expanded", expanded)
        .put(
            "header",
            format!(r#"{{"title":{{"tag":"markdown","content":{title}}}}}"#),
        )
        .put("elements", elements)
}

pub(crate) fn form(name: &str, elements: String) -> Element {
    Element::tagged(quote("form"))
        .put("name", name)
        .put("elements", elements)
}

pub(crate) fn input(
    name: &str,
    label: Option<&str>,
    placeholder: Option<&str>,
    required: Option<&str>,
) -> Element {
    let mut e = Element::tagged(quote("input")).put("name", name);
    if let Some(label) = label {
        e = e.put("label", plain(label));
    }
    if let Some(placeholder) = placeholder {
        e = e.put("placeholder", plain(placeholder));
    }
    if let Some(required) = required {
        e = e.put("required", required);
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
        "multi_select_static"
    } else {
        "select_static"
    };
    let mut e = Element::tagged(quote(tag)).put("name", name);
    if let Some(placeholder) = placeholder {
        e = e.put("placeholder", plain(placeholder));
    }
    let options: Vec<String> = options
        .iter()
        .map(|(text, value)| format!(r#"{{"text":{},"value":{value}}}"#, plain(text)))
        .collect();
    e.put("options", list(&options))
}

pub(crate) fn date_picker(name: &str, placeholder: Option<&str>, initial: Option<&str>) -> Element {
    let mut e = Element::tagged(quote("date_picker")).put("name", name);
    if let Some(placeholder) = placeholder {
        e = e.put("placeholder", plain(placeholder));
    }
    if let Some(initial) = initial {
        e = e.put("initial_date", initial);
    }
    e
}

/// A table column: a title (a JSON string literal, keyed `c0`, `c1`… by position), or its raw
/// parts.
pub(crate) enum TableColumn<'a> {
    Titled(String),
    Named {
        name: Option<&'a str>,
        display_name: Option<&'a str>,
        data_type: Option<&'a str>,
    },
}

/// A table row: raw cells by column position (a missing cell is `""`), or a raw object.
pub(crate) enum TableRow<'a> {
    Cells(Vec<&'a str>),
    Object(&'a str),
}

pub(crate) fn table(
    columns: &[TableColumn<'_>],
    rows: &[TableRow<'_>],
    page_size: Option<&str>,
) -> Element {
    // (key for the row objects, the column's JSON)
    let defs: Vec<(String, String)> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            TableColumn::Titled(title) => {
                let key = format!("{}{i}", defaults::COLUMN_KEY_PREFIX);
                let mut w = ObjectWriter::default();
                w.field("name", &quote(&key));
                w.field("display_name", title);
                w.field("data_type", &quote(defaults::TABLE_DATA_TYPE));
                (key, w.finish())
            }
            TableColumn::Named {
                name,
                display_name,
                data_type,
            } => {
                let mut w = ObjectWriter::default();
                if let Some(name) = name {
                    w.field("name", name);
                }
                if let Some(display) = display_name.or(*name) {
                    w.field("display_name", display);
                }
                w.field(
                    "data_type",
                    &data_type.map_or_else(|| quote(defaults::TABLE_DATA_TYPE), str::to_string),
                );
                let key = name.map_or_else(|| "undefined".to_string(), text_of);
                (key, w.finish())
            }
        })
        .collect();
    let rows: Vec<String> = rows
        .iter()
        .map(|row| match row {
            TableRow::Object(raw) => raw.to_string(),
            TableRow::Cells(cells) => {
                let mut w = ObjectWriter::default();
                for (i, (key, _)) in defs.iter().enumerate() {
                    let cell = cells.get(i).map(|c| c.trim()).filter(|c| *c != "null");
                    w.field(key, cell.unwrap_or("\"\""));
                }
                w.finish()
            }
        })
        .collect();
    let page_size = page_size.map_or_else(|| defaults::TABLE_PAGE_SIZE.to_string(), str::to_string);
    let columns: Vec<&str> = defs.iter().map(|(_, json)| json.as_str()).collect();
    Element::tagged(quote("table"))
        .put("page_size", page_size)
        .put("columns", list(&columns))
        .put("rows", list(&rows))
}

pub(crate) fn chart(spec: &str) -> Element {
    Element::tagged(quote("chart")).put("chart_spec", spec)
}

pub(crate) fn person(user_id: &str) -> Element {
    Element::tagged(quote("person")).put("user_id", user_id)
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
        w.field("title", &plain(title));
    }
    if let Some(subtitle) = &h.subtitle {
        w.field("subtitle", &plain(subtitle));
    }
    if let Some(template) = &h.template {
        w.field("template", template);
    }
    if let Some(icon) = &h.icon {
        w.field("icon", icon);
    }
    if let Some(tags) = &h.tags {
        let tags: Vec<String> = tags
            .iter()
            .map(|(text, color)| {
                format!(
                    r#"{{"tag":"text_tag","text":{},"color":{}}}"#,
                    plain(text),
                    color.as_deref().unwrap_or(r#""neutral""#)
                )
            })
            .collect();
        w.field("text_tag_list", &list(&tags));
    }
    w.finish()
}

/// The card: `{"schema":"2.0", config?, header?, "body":{"elements":…}}` (raw parts).
pub(crate) fn card(config: Option<&str>, header: Option<&str>, elements: &str) -> String {
    let mut card = ObjectWriter::default();
    card.field("schema", "\"2.0\"");
    if let Some(config) = config {
        card.field("config", config);
    }
    if let Some(header) = header {
        card.field("header", header);
    }
    card.field("body", &format!(r#"{{"elements":{elements}}}"#));
    card.finish()
}
