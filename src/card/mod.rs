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
#[path = "generated/shapes.rs"]
mod names;
mod shape;
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

/// The choices the card builder makes when not told otherwise (this crate's builders and the
/// npm package's factories, both from `src/card/shapes.json`).
pub mod defaults {
    use super::names::default as d;
    /// A button's `type`.
    pub const BUTTON_TYPE: &str = d::BUTTON_TYPE;
    /// A column's `width` and `weight` (equal shares).
    pub const COLUMN_WIDTH: &str = d::COLUMN_WIDTH;
    /// See [`COLUMN_WIDTH`].
    pub const COLUMN_WEIGHT: u32 = d::COLUMN_WEIGHT;
    /// A column set's `flex_mode`.
    pub const FLEX_MODE: &str = d::FLEX_MODE;
    /// A collapsible panel starts folded.
    pub const PANEL_EXPANDED: bool = d::PANEL_EXPANDED;
    /// A table's `page_size`.
    pub const TABLE_PAGE_SIZE: u32 = d::TABLE_PAGE_SIZE;
    /// A table column's `data_type`.
    pub const TABLE_DATA_TYPE: &str = d::TABLE_DATA_TYPE;
    /// The header colour of the ready-made cards.
    pub const TEMPLATE: &str = d::TEMPLATE;
    /// A submit button's `name` when none is given.
    pub const SUBMIT_NAME: &str = d::SUBMIT_NAME;
    /// A header tag's colour when none is given.
    pub const TAG_COLOR: &str = d::TAG_COLOR;
    /// The prefix of a table's generated column keys (`c0`, `c1`…).
    pub const COLUMN_KEY_PREFIX: &str = d::COLUMN_KEY_PREFIX;
    /// An alert card's header colour by level (`info` and unknown levels: [`TEMPLATE`]).
    pub const ALERT_TEMPLATES: [(&str, &str); 4] = d::ALERT_TEMPLATES;

    /// The header colour for an alert level.
    pub fn alert_template(level: &str) -> &'static str {
        ALERT_TEMPLATES
            .iter()
            .find(|(l, _)| *l == level)
            .map_or(TEMPLATE, |(_, t)| t)
    }
}

/// One element: ordered fields of raw JSON, so output is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    fields: Vec<(std::borrow::Cow<'static, str>, String)>,
}

impl Element {
    /// An element with this tag.
    pub fn new(tag: &str) -> Element {
        Element::tagged(quote(tag))
    }
    /// An element whose `tag` is this JSON string literal.
    pub(crate) fn tagged(tag: String) -> Element {
        let mut fields = Vec::with_capacity(6);
        fields.push(("tag".into(), tag));
        Element { fields }
    }
    /// Sets a field to already serialized JSON (replacing it if set).
    pub fn raw(self, key: &str, json: impl Into<String>) -> Element {
        self.set(std::borrow::Cow::Owned(key.to_string()), json.into())
    }
    /// [`Element::raw`] for a key known when compiling (no copy of the key).
    pub(crate) fn put(self, key: &'static str, json: impl Into<String>) -> Element {
        self.set(std::borrow::Cow::Borrowed(key), json.into())
    }
    fn set(mut self, key: std::borrow::Cow<'static, str>, json: String) -> Element {
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = json,
            None => self.fields.push((key, json)),
        }
        self
    }
    /// Sets a string field.
    pub fn text(self, key: &str, value: &str) -> Element {
        self.raw(key, quote(value))
    }
    /// Sets the element id (needed to stream into or update an element).
    pub fn element_id(self, id: &str) -> Element {
        self.put("element_id", quote(id))
    }
    /// The element as JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
    /// Appends the element's JSON to `out`.
    pub(crate) fn write(&self, out: &mut String) {
        let size: usize = self.fields.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        out.reserve(size + 2);
        out.push('{');
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::push_quoted(out, k);
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
    }
}

fn list(elements: &[Element]) -> String {
    let mut out = String::from("[");
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        e.write(&mut out);
    }
    out.push(']');
    out
}

/// A Markdown block.
pub fn markdown(content: &str) -> Element {
    shape::markdown(&quote(content))
}
/// Plain text.
pub fn plain_text(content: &str) -> Element {
    shape::text(&quote(content))
}
/// A divider.
pub fn divider() -> Element {
    shape::divider()
}
/// An image by `img_key` (from an image upload).
pub fn image(img_key: &str, alt: &str) -> Element {
    shape::image(&quote(img_key), &quote(alt))
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
    let url;
    let b = match &action {
        ButtonAction::Callback(value) => shape::Button {
            value: Some(value),
            ..Default::default()
        },
        ButtonAction::Url(u) => {
            url = quote(u);
            shape::Button {
                url: Some(&url),
                ..Default::default()
            }
        }
        ButtonAction::Submit => shape::Button {
            submit: true,
            ..Default::default()
        },
    };
    let label = quote(text);
    shape::button(&shape::Button { label: &label, ..b })
}
/// Adds a confirmation dialog to a button.
pub fn confirm(button: Element, title: &str, text: &str) -> Element {
    shape::confirm(button, &quote(title), &quote(text))
}
/// One column of a [`column_set`] (equal weights).
pub fn column(elements: Vec<Element>) -> Element {
    shape::column(list(&elements))
}
/// Columns side by side, equal weights.
pub fn column_set(columns: Vec<Vec<Element>>) -> Element {
    let cols: Vec<Element> = columns.into_iter().map(column).collect();
    shape::column_set(list(&cols))
}
/// A collapsible panel.
pub fn collapsible_panel(title: &str, expanded: bool, elements: Vec<Element>) -> Element {
    shape::panel(&quote(title), Some(&expanded.to_string()), list(&elements))
}
/// A form (give it a [`ButtonAction::Submit`] button).
pub fn form(name: &str, elements: Vec<Element>) -> Element {
    shape::form(&quote(name), list(&elements))
}
/// A text input.
pub fn input(name: &str, label: &str) -> Element {
    shape::input(&quote(name), Some(&quote(label)), None, None)
}
/// A single-choice menu of `(text, value)` options.
pub fn select_static(name: &str, placeholder: &str, options: &[(&str, &str)]) -> Element {
    let options: Vec<(String, String)> =
        options.iter().map(|(t, v)| (quote(t), quote(v))).collect();
    shape::select(&quote(name), Some(&quote(placeholder)), &options, false)
}
/// A date picker.
pub fn date_picker(name: &str, placeholder: &str) -> Element {
    shape::date_picker(&quote(name), Some(&quote(placeholder)), None)
}
/// A table with text columns; each row holds one string per column (a missing cell is empty).
pub fn table(columns: &[&str], rows: &[Vec<String>]) -> Element {
    let titles: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| quote(c)).collect())
        .collect();
    shape::table(&titles, &cells, None)
}
/// A chart with a VChart spec (passed through as JSON).
pub fn chart(spec_json: &str) -> Element {
    shape::chart(spec_json)
}
/// A person, by open id.
pub fn person(user_id: &str) -> Element {
    shape::person(&quote(user_id))
}

/// A card under construction. `to_json` validates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    header: shape::Header,
    config: Vec<(String, String)>,
    elements: Vec<Element>,
}

impl Card {
    /// An empty card.
    pub fn new() -> Card {
        Card::default()
    }
    /// The header title.
    pub fn title(mut self, title: &str) -> Card {
        self.header.title = Some(quote(title));
        self
    }
    /// The header subtitle.
    pub fn subtitle(mut self, subtitle: &str) -> Card {
        self.header.subtitle = Some(quote(subtitle));
        self
    }
    /// The header colour: blue, wathet, turquoise, green, yellow, orange, red, carmine, violet, purple, indigo, grey.
    pub fn template(mut self, colour: &str) -> Card {
        self.header.template = Some(quote(colour));
        self
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
        let config = (!self.config.is_empty()).then(|| {
            let mut c = ObjectWriter::default();
            for (k, v) in &self.config {
                c.field(k, v);
            }
            c.finish()
        });
        let header = (!self.header.is_empty()).then(|| shape::header(&self.header));
        let json = shape::card(config.as_deref(), header.as_deref(), &list(&self.elements));
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
