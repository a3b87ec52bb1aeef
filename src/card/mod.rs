//! Interactive cards (JSON 2.0): a builder with deterministic output, validation before
//! anything is sent, templates, Markdown escaping, callback parsing, and CardKit streaming.
//!
//! ```
//! use feishu_edge::card::{Card, markdown, button, ButtonAction};
//! let json = Card::new()
//!     .title("Deploy")
//!     .template("green")
//!     .push(markdown("**main** is live").element_id("status"))
//!     .push(button("Roll back", ButtonAction::Callback(r#"{"op":"rollback"}"#.into())))
//!     .to_json()
//!     .unwrap();
//! assert!(json.starts_with(r#"{"schema":"2.0""#));
//! ```

pub mod action;
#[cfg(feature = "client")]
pub mod stream;
mod validate;

pub use action::{parse_action, CardAction};
#[cfg(feature = "client")]
pub use validate::checked_message_body;
pub use validate::{element_ids, validate, MAX_CARD_BYTES, MAX_ELEMENTS, MAX_NESTING};

use crate::json::{quote, ObjectWriter};

pub use crate::error::{CardError, CardErrorKind};

/// Escapes text for a `markdown` element so that it shows literally: Markdown punctuation
/// becomes HTML entities (which card Markdown renders), `&`, `<`, `>` become named entities.
///
/// ```
/// assert_eq!(feishu_edge::card::escape_markdown("*a* [b](c) <d> & `e`"), "&#42;a&#42; &#91;b&#93;&#40;c&#41; &lt;d&gt; &amp; &#96;e&#96;");
/// ```
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '*' | '_' | '~' | '`' | '#' | '[' | ']' | '(' | ')' | '{' | '}' | '|' | '!'
            | '-' | '+' | '=' | '$' => {
                out.push_str("&#");
                out.push_str(&u32::from(c).to_string());
                out.push(';');
            }
            _ => out.push(c),
        }
    }
    out
}

/// The choices both card builders make when not told otherwise: this crate's and the npm
/// package's `card.js`, which reads them through [`defaults::json`]. The one place they live.
pub mod defaults {
    /// A button's `type`.
    pub const BUTTON_TYPE: &str = "default";
    /// A column's `width` and `weight` (equal shares).
    pub const COLUMN_WIDTH: &str = "weighted";
    /// See [`COLUMN_WIDTH`].
    pub const COLUMN_WEIGHT: u32 = 1;
    /// A column set's `flex_mode`.
    pub const FLEX_MODE: &str = "none";
    /// A collapsible panel starts folded.
    pub const PANEL_EXPANDED: bool = false;
    /// A table's `page_size`.
    pub const TABLE_PAGE_SIZE: u32 = 10;
    /// A table column's `data_type`.
    pub const TABLE_DATA_TYPE: &str = "text";
    /// The header colour of the ready-made cards.
    pub const TEMPLATE: &str = "blue";
    /// A submit button's `name` when none is given.
    pub const SUBMIT_NAME: &str = "submit";
    /// The prefix of a table's generated column keys (`c0`, `c1`…).
    pub const COLUMN_KEY_PREFIX: &str = "c";
    /// An alert card's header colour by level (`info` and unknown levels: [`TEMPLATE`]).
    pub const ALERT_TEMPLATES: [(&str, &str); 4] = [
        ("success", "green"),
        ("warning", "orange"),
        ("error", "red"),
        ("danger", "red"),
    ];

    /// The header colour for an alert level.
    pub fn alert_template(level: &str) -> &'static str {
        ALERT_TEMPLATES
            .iter()
            .find(|(l, _)| *l == level)
            .map_or(TEMPLATE, |(_, t)| t)
    }

    /// All of the above as one JSON object, for the JS builder.
    ///
    /// ```
    /// assert!(feishu_edge::card::defaults::json().contains(r#""buttonType":"default""#));
    /// ```
    pub fn json() -> String {
        let alerts: Vec<String> = ALERT_TEMPLATES
            .iter()
            .map(|(l, t)| format!(r#""{l}":"{t}""#))
            .collect();
        format!(
            r#"{{"buttonType":"{BUTTON_TYPE}","columnWidth":"{COLUMN_WIDTH}","columnWeight":{COLUMN_WEIGHT},"flexMode":"{FLEX_MODE}","panelExpanded":{PANEL_EXPANDED},"tablePageSize":{TABLE_PAGE_SIZE},"tableDataType":"{TABLE_DATA_TYPE}","template":"{TEMPLATE}","submitName":"{SUBMIT_NAME}","columnKeyPrefix":"{COLUMN_KEY_PREFIX}","alertTemplates":{{{}}}}}"#,
            alerts.join(",")
        )
    }
}

/// One element: ordered fields of raw JSON, so output is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    fields: Vec<(String, String)>,
}

impl Element {
    /// An element with this tag.
    pub fn new(tag: &str) -> Element {
        Element {
            fields: vec![("tag".into(), quote(tag))],
        }
    }
    /// Sets a field to already serialized JSON (replacing it if set).
    pub fn raw(mut self, key: &str, json: impl Into<String>) -> Element {
        let json = json.into();
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = json,
            None => self.fields.push((key.to_string(), json)),
        }
        self
    }
    /// Sets a string field.
    pub fn text(self, key: &str, value: &str) -> Element {
        self.raw(key, quote(value))
    }
    /// Sets the element id (needed to stream into or update an element).
    pub fn element_id(self, id: &str) -> Element {
        self.text("element_id", id)
    }
    /// The element as JSON.
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::default();
        for (k, v) in &self.fields {
            w.field(k, v);
        }
        w.finish()
    }
}

fn plain(text: &str) -> String {
    format!(r#"{{"tag":"plain_text","content":{}}}"#, quote(text))
}

fn list(elements: &[Element]) -> String {
    let parts: Vec<String> = elements.iter().map(Element::to_json).collect();
    format!("[{}]", parts.join(","))
}

/// A Markdown block.
pub fn markdown(content: &str) -> Element {
    Element::new("markdown").text("content", content)
}
/// Plain text.
pub fn plain_text(content: &str) -> Element {
    Element::new("div").raw("text", plain(content))
}
/// A divider.
pub fn divider() -> Element {
    Element::new("hr")
}
/// An image by `img_key` (from an image upload).
pub fn image(img_key: &str, alt: &str) -> Element {
    Element::new("img")
        .text("img_key", img_key)
        .raw("alt", plain(alt))
}

/// What a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Sends a card callback carrying this JSON value.
    Callback(String),
    /// Opens a URL.
    Url(String),
    /// Submits the enclosing form.
    Submit,
}

/// A button.
pub fn button(text: &str, action: ButtonAction) -> Element {
    let b = Element::new("button")
        .raw("text", plain(text))
        .text("type", defaults::BUTTON_TYPE);
    match action {
        ButtonAction::Callback(value) => b.raw(
            "behaviors",
            format!(r#"[{{"type":"callback","value":{value}}}]"#),
        ),
        ButtonAction::Url(url) => b.raw(
            "behaviors",
            format!(r#"[{{"type":"open_url","default_url":{}}}]"#, quote(&url)),
        ),
        ButtonAction::Submit => b
            .text("form_action_type", "submit")
            .text("name", defaults::SUBMIT_NAME),
    }
}
/// Adds a confirmation dialog to a button.
pub fn confirm(button: Element, title: &str, text: &str) -> Element {
    button.raw(
        "confirm",
        format!(r#"{{"title":{},"text":{}}}"#, plain(title), plain(text)),
    )
}
/// Columns side by side, equal weights.
pub fn column_set(columns: Vec<Vec<Element>>) -> Element {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                r#"{{"tag":"column","width":{},"weight":{},"elements":{}}}"#,
                quote(defaults::COLUMN_WIDTH),
                defaults::COLUMN_WEIGHT,
                list(c)
            )
        })
        .collect();
    Element::new("column_set")
        .text("flex_mode", defaults::FLEX_MODE)
        .raw("columns", format!("[{}]", cols.join(",")))
}
/// A collapsible panel.
pub fn collapsible_panel(title: &str, expanded: bool, elements: Vec<Element>) -> Element {
    Element::new("collapsible_panel")
        .raw("expanded", expanded.to_string())
        .raw(
            "header",
            format!(
                r#"{{"title":{{"tag":"markdown","content":{}}}}}"#,
                quote(title)
            ),
        )
        .raw("elements", list(&elements))
}
/// A form (give it a [`ButtonAction::Submit`] button).
pub fn form(name: &str, elements: Vec<Element>) -> Element {
    Element::new("form")
        .text("name", name)
        .raw("elements", list(&elements))
}
/// A text input.
pub fn input(name: &str, label: &str) -> Element {
    Element::new("input")
        .text("name", name)
        .raw("label", plain(label))
}
/// A single-choice menu of `(text, value)` options.
pub fn select_static(name: &str, placeholder: &str, options: &[(&str, &str)]) -> Element {
    let opts: Vec<String> = options
        .iter()
        .map(|(t, v)| format!(r#"{{"text":{},"value":{}}}"#, plain(t), quote(v)))
        .collect();
    Element::new("select_static")
        .text("name", name)
        .raw("placeholder", plain(placeholder))
        .raw("options", format!("[{}]", opts.join(",")))
}
/// A date picker.
pub fn date_picker(name: &str, placeholder: &str) -> Element {
    Element::new("date_picker")
        .text("name", name)
        .raw("placeholder", plain(placeholder))
}
/// A table with text columns; each row holds one string per column.
pub fn table(columns: &[&str], rows: &[Vec<String>]) -> Element {
    let key = |i: usize| format!("{}{i}", defaults::COLUMN_KEY_PREFIX);
    let cols: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                r#"{{"name":"{}","display_name":{},"data_type":{}}}"#,
                key(i),
                quote(c),
                quote(defaults::TABLE_DATA_TYPE)
            )
        })
        .collect();
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut w = ObjectWriter::default();
            for (i, cell) in r.iter().enumerate().take(columns.len()) {
                w.field(&key(i), &quote(cell));
            }
            w.finish()
        })
        .collect();
    Element::new("table")
        .raw("page_size", defaults::TABLE_PAGE_SIZE.to_string())
        .raw("columns", format!("[{}]", cols.join(",")))
        .raw("rows", format!("[{}]", rows.join(",")))
}
/// A chart with a VChart spec (passed through as JSON).
pub fn chart(spec_json: &str) -> Element {
    Element::new("chart").raw("chart_spec", spec_json)
}
/// A person, by open id.
pub fn person(user_id: &str) -> Element {
    Element::new("person").text("user_id", user_id)
}

/// A card under construction. `to_json` validates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    header: Vec<(String, String)>,
    config: Vec<(String, String)>,
    elements: Vec<Element>,
}

impl Card {
    /// An empty card.
    pub fn new() -> Card {
        Card::default()
    }
    fn header_field(mut self, key: &str, json: String) -> Card {
        self.header.retain(|(k, _)| k != key);
        self.header.push((key.into(), json));
        self
    }
    /// The header title.
    pub fn title(self, title: &str) -> Card {
        self.header_field("title", plain(title))
    }
    /// The header subtitle.
    pub fn subtitle(self, subtitle: &str) -> Card {
        self.header_field("subtitle", plain(subtitle))
    }
    /// The header colour: blue, wathet, turquoise, green, yellow, orange, red, carmine, violet, purple, indigo, grey.
    pub fn template(self, colour: &str) -> Card {
        self.header_field("template", quote(colour))
    }
    /// A config field (`streaming_mode`, `update_multi`, `summary`, `width_mode`...), as JSON.
    pub fn config(mut self, key: &str, json: &str) -> Card {
        self.config.retain(|(k, _)| k != key);
        self.config.push((key.into(), json.into()));
        self
    }
    /// Appends an element.
    pub fn push(mut self, element: Element) -> Card {
        self.elements.push(element);
        self
    }
    /// The card JSON, validated.
    pub fn to_json(&self) -> Result<String, CardError> {
        let mut card = ObjectWriter::default();
        card.field("schema", "\"2.0\"");
        if !self.config.is_empty() {
            let mut c = ObjectWriter::default();
            for (k, v) in &self.config {
                c.field(k, v);
            }
            card.field("config", &c.finish());
        }
        if !self.header.is_empty() {
            let mut h = ObjectWriter::default();
            for (k, v) in &self.header {
                h.field(k, v);
            }
            card.field("header", &h.finish());
        }
        card.field(
            "body",
            &format!(r#"{{"elements":{}}}"#, list(&self.elements)),
        );
        let json = card.finish();
        validate(&json)?;
        Ok(json)
    }
}

/// A titled card with one Markdown block.
pub fn text_card(title: &str, body: &str) -> Card {
    Card::new()
        .title(title)
        .template(defaults::TEMPLATE)
        .push(markdown(body))
}

/// A coloured alert: `info` (blue), `success` (green), `warning` (orange), `error` (red).
pub fn alert_card(title: &str, body: &str, level: &str) -> Card {
    Card::new()
        .title(title)
        .template(defaults::alert_template(level))
        .push(markdown(body))
}

/// A titled card holding one table.
pub fn table_card(title: &str, columns: &[&str], rows: &[Vec<String>]) -> Card {
    Card::new()
        .title(title)
        .template(defaults::TEMPLATE)
        .push(table(columns, rows))
}

/// The official SDK's `messageCard.defaultCard({ title, content })`: a schema 1.0 card with a
/// blue header and one markdown element, as the same JSON text.
///
/// ```
/// let c = feishu_edge::card::default_card("Hi", "**bold**");
/// assert_eq!(c, r#"{"config":{"wide_screen_mode":true},"elements":[{"tag":"markdown","content":"**bold**"}],"header":{"template":"blue","title":{"content":"Hi","tag":"plain_text"}}}"#);
/// ```
pub fn default_card(title: &str, content: &str) -> String {
    use crate::json::quote;
    format!(
        r#"{{"config":{{"wide_screen_mode":true}},"elements":[{{"tag":"markdown","content":{}}}],"header":{{"template":"blue","title":{{"content":{},"tag":"plain_text"}}}}}}"#,
        quote(content),
        quote(title)
    )
}
