//! Card JSON 2.0 validation over the JSON text: the checks the platform would otherwise make
//! after the message was sent, each failure naming the element (by path and id).

use super::{CardError, CardErrorKind};
use crate::json::{too_deep, RawFields};
use serde_json::value::RawValue;

/// The platform refuses cards whose JSON is larger than this.
pub const MAX_CARD_BYTES: usize = 30 * 1024;
/// Most elements one card may hold (containers and their children all count).
pub const MAX_ELEMENTS: usize = 200;
/// Deepest nesting of containers (column sets, panels, forms...).
pub const MAX_NESTING: usize = 5;

/// A tag, the fields it must have, and the fields that hold child elements.
struct Spec {
    tag: &'static str,
    required: &'static [&'static str],
    children: &'static [&'static str],
}

const SPECS: &[Spec] = &[
    Spec {
        tag: "markdown",
        required: &["content"],
        children: &[],
    },
    Spec {
        tag: "div",
        required: &["text"],
        children: &[],
    },
    Spec {
        tag: "hr",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "img",
        required: &["img_key"],
        children: &[],
    },
    Spec {
        tag: "img_combination",
        required: &["img_list"],
        children: &[],
    },
    Spec {
        tag: "button",
        required: &["text"],
        children: &[],
    },
    Spec {
        tag: "column_set",
        required: &["columns"],
        children: &["columns"],
    },
    Spec {
        tag: "column",
        required: &["elements"],
        children: &["elements"],
    },
    Spec {
        tag: "collapsible_panel",
        required: &["elements"],
        children: &["elements"],
    },
    Spec {
        tag: "interactive_container",
        required: &["elements"],
        children: &["elements"],
    },
    Spec {
        tag: "form",
        required: &["name", "elements"],
        children: &["elements"],
    },
    Spec {
        tag: "input",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "select_static",
        required: &["options"],
        children: &[],
    },
    Spec {
        tag: "multi_select_static",
        required: &["options"],
        children: &[],
    },
    Spec {
        tag: "select_person",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "multi_select_person",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "overflow",
        required: &["options"],
        children: &[],
    },
    Spec {
        tag: "date_picker",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "picker_time",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "picker_datetime",
        required: &[],
        children: &[],
    },
    Spec {
        tag: "checker",
        required: &["text"],
        children: &[],
    },
    Spec {
        tag: "table",
        required: &["columns"],
        children: &[],
    },
    Spec {
        tag: "chart",
        required: &["chart_spec"],
        children: &[],
    },
    Spec {
        tag: "person",
        required: &["user_id"],
        children: &[],
    },
    Spec {
        tag: "person_list",
        required: &["persons"],
        children: &[],
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

struct Walk<'a> {
    ids: Vec<(String, String)>,
    count: usize,
    largest: Option<(usize, String)>,
    _text: std::marker::PhantomData<&'a ()>,
}

fn err(kind: CardErrorKind, path: &str, message: String) -> CardError {
    CardError {
        kind,
        path: path.to_string(),
        message,
    }
}

/// An element's name for messages: its `element_id`, else its tag.
fn label(fields: &RawFields<'_>) -> String {
    fields
        .str("element_id")
        .or_else(|| fields.str("tag"))
        .unwrap_or_else(|| "element".into())
}

fn valid_element_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && id.len() <= 20
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'a> Walk<'a> {
    fn elements(
        &mut self,
        raw: &'a RawValue,
        path: &str,
        depth: usize,
        in_form: bool,
    ) -> Result<(), CardError> {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
            err(
                CardErrorKind::InvalidField,
                path,
                format!("{path} must be an array of elements"),
            )
        })?;
        for (i, item) in items.into_iter().enumerate() {
            let here = format!("{path}[{i}]");
            self.element(item, &here, depth, in_form)?;
            if depth == 0 {
                let size = item.get().len();
                if self.largest.as_ref().is_none_or(|(s, _)| size > *s) {
                    let name = RawFields::parse(item.get())
                        .map(|f| label(&f))
                        .unwrap_or_default();
                    self.largest = Some((size, format!("{here} ({name}, {size} bytes)")));
                }
            }
        }
        Ok(())
    }

    fn element(
        &mut self,
        raw: &'a RawValue,
        path: &str,
        depth: usize,
        in_form: bool,
    ) -> Result<(), CardError> {
        let fields = RawFields::parse(raw.get()).ok_or_else(|| {
            err(
                CardErrorKind::NotAnObject,
                path,
                format!("{path} is not an object"),
            )
        })?;
        self.count += 1;
        if self.count > MAX_ELEMENTS {
            return Err(err(
                CardErrorKind::TooManyElements,
                path,
                format!("more than {MAX_ELEMENTS} elements (at {path})"),
            ));
        }
        let tag = fields.str("tag").ok_or_else(|| {
            err(
                CardErrorKind::MissingField,
                path,
                format!("{path} has no `tag`"),
            )
        })?;
        let spec = SPECS.iter().find(|s| s.tag == tag).ok_or_else(|| {
            err(
                CardErrorKind::UnknownTag,
                path,
                format!("{path}: unknown tag `{tag}`"),
            )
        })?;
        for field in spec.required {
            if fields.get(field).is_none_or(|v| v.get() == "null") {
                return Err(err(
                    CardErrorKind::MissingField,
                    path,
                    format!("{path} ({}): `{tag}` needs `{field}`", label(&fields)),
                ));
            }
        }
        if let Some(raw_id) = fields.get("element_id") {
            let id: String = serde_json::from_str(raw_id.get()).unwrap_or_default();
            if !valid_element_id(&id) {
                return Err(err(CardErrorKind::InvalidElementId, path, format!("{path}: element_id `{id}` must start with a letter, hold only letters, digits and `_`, and be at most 20 characters")));
            }
            if let Some((_, first)) = self.ids.iter().find(|(seen, _)| *seen == id) {
                return Err(err(
                    CardErrorKind::DuplicateElementId,
                    path,
                    format!("{path}: element_id `{id}` is already used by {first}"),
                ));
            }
            self.ids.push((id, path.to_string()));
        }
        if in_form && FORM_FIELDS.contains(&tag.as_str()) && fields.get("name").is_none() {
            return Err(err(
                CardErrorKind::MissingField,
                path,
                format!(
                    "{path} ({}): `{tag}` inside a form needs `name`",
                    label(&fields)
                ),
            ));
        }
        if spec.children.is_empty() {
            return Ok(());
        }
        let is_form = tag == "form";
        if is_form && in_form {
            return Err(err(
                CardErrorKind::NestedForm,
                path,
                format!("{path}: a form cannot contain another form"),
            ));
        }
        // Columns are part of their column set, not a nesting level of their own.
        let next_depth = if tag == "column" { depth } else { depth + 1 };
        if next_depth > MAX_NESTING {
            return Err(err(
                CardErrorKind::TooDeep,
                path,
                format!("{path}: containers nest deeper than {MAX_NESTING} levels"),
            ));
        }
        for child_field in spec.children {
            if let Some(children) = fields.get(child_field) {
                let child_path = format!("{path}.{child_field}");
                if tag == "column_set" {
                    self.columns(children, &child_path, next_depth, in_form)?;
                } else {
                    self.elements(children, &child_path, next_depth, in_form || is_form)?;
                }
            }
        }
        if is_form && !fields.get("elements").is_some_and(|e| has_submit(e.get())) {
            return Err(err(
                CardErrorKind::MissingSubmit,
                path,
                format!(
                    "{path} ({}): a form needs a button with form_action_type \"submit\"",
                    label(&fields)
                ),
            ));
        }
        Ok(())
    }

    fn columns(
        &mut self,
        raw: &'a RawValue,
        path: &str,
        depth: usize,
        in_form: bool,
    ) -> Result<(), CardError> {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
            err(
                CardErrorKind::InvalidField,
                path,
                format!("{path} must be an array of columns"),
            )
        })?;
        for (i, item) in items.into_iter().enumerate() {
            let here = format!("{path}[{i}]");
            let is_column = RawFields::parse(item.get())
                .and_then(|f| f.str("tag"))
                .as_deref()
                == Some("column");
            if !is_column {
                return Err(err(
                    CardErrorKind::InvalidField,
                    &here,
                    format!("{here}: a column set holds only `column` elements"),
                ));
            }
            self.element(item, &here, depth, in_form)?;
        }
        Ok(())
    }
}

/// Whether a form's elements (at any depth) include a submit button.
fn has_submit(elements_json: &str) -> bool {
    elements_json.contains("\"form_action_type\":\"submit\"")
        || elements_json.contains("\"form_action_type\": \"submit\"")
}

/// Validates a whole card: schema 2.0, a header with a title (when present), `body.elements`,
/// every element's tag, required fields and id, nesting, and the size limit.
///
/// ```
/// use feishu_edge::card::{validate, CardErrorKind};
/// assert!(validate(r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"hi"}]}}"#).is_ok());
/// let e = validate(r#"{"schema":"2.0","body":{"elements":[{"tag":"blink"}]}}"#).unwrap_err();
/// assert_eq!((e.kind, e.path.as_str()), (CardErrorKind::UnknownTag, "body.elements[0]"));
/// ```
pub fn validate(card_json: &str) -> Result<(), CardError> {
    if too_deep(card_json, 64) {
        return Err(err(
            CardErrorKind::TooDeep,
            "",
            "the card JSON is nested too deeply".into(),
        ));
    }
    let card = RawFields::parse(card_json).ok_or_else(|| {
        err(
            CardErrorKind::NotAnObject,
            "",
            "a card must be a JSON object".into(),
        )
    })?;
    if card.str("schema").as_deref() != Some("2.0") {
        return Err(err(
            CardErrorKind::InvalidSchema,
            "schema",
            "cards must declare \"schema\": \"2.0\"".into(),
        ));
    }
    if let Some(header) = card.get("header") {
        let header = RawFields::parse(header.get()).ok_or_else(|| {
            err(
                CardErrorKind::NotAnObject,
                "header",
                "header must be an object".into(),
            )
        })?;
        let has_title = header
            .get("title")
            .and_then(|t| RawFields::parse(t.get()))
            .is_some_and(|t| t.get("content").is_some());
        if !has_title {
            return Err(err(
                CardErrorKind::MissingField,
                "header",
                "header needs `title` with `content`".into(),
            ));
        }
    }
    let body = card
        .get("body")
        .and_then(|b| RawFields::parse(b.get()))
        .ok_or_else(|| {
            err(
                CardErrorKind::MissingField,
                "body",
                "a card needs `body` with `elements`".into(),
            )
        })?;
    let elements = body.get("elements").ok_or_else(|| {
        err(
            CardErrorKind::MissingField,
            "body",
            "a card needs `body.elements`".into(),
        )
    })?;
    let mut walk = Walk {
        ids: Vec::new(),
        count: 0,
        largest: None,
        _text: std::marker::PhantomData,
    };
    walk.elements(elements, "body.elements", 0, false)?;
    if card_json.len() > MAX_CARD_BYTES {
        let largest = walk
            .largest
            .map(|(_, d)| format!("; the largest element is {d}"))
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

/// Every `element_id` in the card, in document order (after validation).
pub fn element_ids(card_json: &str) -> Vec<String> {
    let mut walk = Walk {
        ids: Vec::new(),
        count: 0,
        largest: None,
        _text: std::marker::PhantomData,
    };
    if let Some(elements) = RawFields::parse(card_json)
        .and_then(|c| c.get("body"))
        .and_then(|b| RawFields::parse(b.get()))
        .and_then(|b| b.get("elements"))
    {
        let _ = walk.elements(elements, "body.elements", 0, false);
    }
    walk.ids.into_iter().map(|(id, _)| id).collect()
}
