//! Card JSON 2.0 validation: one parse into a borrowed tree ([`crate::json::Json`]), one walk
//! over it, naming the offending element by path and id.

use super::{CardError, CardErrorKind};
use crate::json::{raw_items, Json, RawFields};
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
struct Members<'v, 'a> {
    tag: Option<Cow<'a, str>>,
    element_id: Option<Cow<'a, str>>,
    /// A bit per field present (see `bit`).
    present: u16,
    children_seen: bool,
    /// Submit buttons seen before the element's children (a form needs one of its own).
    submits_before: usize,
    /// Children met before the tag: walked once the tag is known.
    deferred: Option<(&'static str, &'v Json<'a>)>,
}

impl Members<'_, '_> {
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

/// A string member's value (`None` when absent or null), or the error naming it.
fn string_member<'a>(
    value: &Json<'a>,
    at: &At<'_>,
    key: &str,
) -> Result<Option<Cow<'a, str>>, CardError> {
    match value {
        Json::Null => Ok(None),
        v => v.as_str().map(Some).ok_or_else(|| {
            let path = at.render();
            err(
                CardErrorKind::InvalidField,
                &path,
                format!("{path}: `{key}` must be a string"),
            )
        }),
    }
}

impl<'a> Walk<'a> {
    fn elements(&mut self, value: &Json<'a>, place: Place<'_>) -> Result<(), CardError> {
        let Json::Array(items) = value else {
            let p = place.at.render();
            return Err(err(
                CardErrorKind::InvalidField,
                &p,
                format!("{p} must be an array of elements"),
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let at = At::Index(&place.at, i);
            self.element(item, Place { at, ..place })?;
        }
        Ok(())
    }

    /// One element: its own members in order (children walked as soon as the tag is known),
    /// then the checks that need all of them.
    fn element(&mut self, value: &Json<'a>, place: Place<'_>) -> Result<(), CardError> {
        let members = self.enter(value, &place.at)?;
        let mut read = self.members(members, place)?;
        let spec = spec_of(read.tag.as_deref(), place)?;
        if let Some((key, value)) = read.deferred.filter(|(k, _)| spec.children == Some(*k)) {
            self.children(spec, key, value, place, &mut read)?;
        }
        let tag = spec.tag;
        if let Some(missing) = spec.required.iter().find(|f| read.present & bit(f) == 0) {
            let path = place.at.render();
            let label = read.label();
            return Err(err(
                CardErrorKind::MissingField,
                &path,
                format!("{path} ({label}): `{tag}` needs `{missing}`"),
            ));
        }
        if let Some(id) = read.element_id.take() {
            self.register_id(id, &place.at)?;
        }
        if place.in_form && FORM_FIELDS.contains(&tag) && read.present & bit("name") == 0 {
            let path = place.at.render();
            let label = read.label();
            return Err(err(
                CardErrorKind::MissingField,
                &path,
                format!("{path} ({label}): `{tag}` inside a form needs `name`"),
            ));
        }
        if tag == "form" && (!read.children_seen || self.submits == read.submits_before) {
            let path = place.at.render();
            let label = read.label();
            return Err(err(
                CardErrorKind::MissingSubmit,
                &path,
                format!("{path} ({label}): a form needs a button with form_action_type \"submit\""),
            ));
        }
        Ok(())
    }

    /// An element's members, once it is known to be an object and within the element budget.
    fn enter<'v>(
        &mut self,
        value: &'v Json<'a>,
        at: &At<'_>,
    ) -> Result<&'v [(&'a str, Json<'a>)], CardError> {
        let Json::Object(members) = value else {
            let path = at.render();
            return Err(err(
                CardErrorKind::NotAnObject,
                &path,
                format!("{path} is not an object"),
            ));
        };
        self.count += 1;
        if self.count > MAX_ELEMENTS {
            let path = at.render();
            return Err(err(
                CardErrorKind::TooManyElements,
                &path,
                format!("more than {MAX_ELEMENTS} elements (at {path})"),
            ));
        }
        Ok(members)
    }

    /// Reads the members in order: the tag, the id, which fields are present, submit buttons;
    /// children are walked as soon as the tag says they belong, or kept for later.
    fn members<'v>(
        &mut self,
        members: &'v [(&'a str, Json<'a>)],
        place: Place<'_>,
    ) -> Result<Members<'v, 'a>, CardError> {
        let at = &place.at;
        let mut read = Members {
            tag: None,
            element_id: None,
            present: 0,
            children_seen: false,
            submits_before: self.submits,
            deferred: None,
        };
        for (raw_key, value) in members {
            let key = Json::String(raw_key).as_str().unwrap_or_default();
            match key.as_ref() {
                "tag" => read.tag = string_member(value, at, "tag")?,
                "element_id" => read.element_id = string_member(value, at, "element_id")?,
                "form_action_type" => {
                    if string_member(value, at, "form_action_type")?.as_deref() == Some("submit") {
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
                        Some(spec) => self.children(spec, k, value, place, &mut read)?,
                        // The tag is not known yet (or takes no children): come back to it.
                        None => read.deferred = Some((k, value)),
                    }
                }
                other => {
                    if !value.is_null() {
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
        spec: &Spec,
        key: &'static str,
        value: &Json<'a>,
        place: Place<'_>,
        read: &mut Members<'_, 'a>,
    ) -> Result<(), CardError> {
        read.children_seen = true;
        let child = child_place(spec.tag, place)?;
        if spec.tag == "form" {
            read.submits_before = self.submits;
        }
        self.elements(
            value,
            Place {
                at: At::Key(&place.at, key),
                ..child
            },
        )
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
    fn card(&mut self, card: &Json<'a>) -> Result<(), CardError> {
        let Json::Object(members) = card else {
            return Err(err(
                CardErrorKind::NotAnObject,
                "",
                "the card is not a JSON object".into(),
            ));
        };
        let (mut schema_ok, mut body) = (false, None);
        for (raw_key, value) in members {
            let key = Json::String(raw_key).as_str().unwrap_or_default();
            match key.as_ref() {
                "schema" => schema_ok = value.as_str().as_deref() == Some("2.0"),
                "header" => header(value)?,
                "body" => {
                    let Json::Object(_) = value else {
                        return Err(err(
                            CardErrorKind::NotAnObject,
                            "body",
                            "body must be an object".into(),
                        ));
                    };
                    body = Some(false);
                    if let Some(elements) = value.get("elements") {
                        body = Some(true);
                        let place = Place {
                            at: At::Root("body.elements"),
                            depth: 0,
                            in_form: false,
                            column_only: false,
                        };
                        self.elements(elements, place)?;
                    }
                }
                _ => {}
            }
        }
        if !schema_ok {
            return Err(err(
                CardErrorKind::InvalidSchema,
                "schema",
                "cards must declare \"schema\": \"2.0\"".into(),
            ));
        }
        match body {
            Some(true) => Ok(()),
            _ => Err(err(
                CardErrorKind::MissingField,
                "body",
                "a card needs `body` with `elements`".into(),
            )),
        }
    }
}

/// `header`: null, or an object whose `title` (if any) is an object with a string `content`.
fn header(value: &Json<'_>) -> Result<(), CardError> {
    let not_object = || {
        err(
            CardErrorKind::NotAnObject,
            "header",
            "header must be an object".into(),
        )
    };
    let content = match value {
        Json::Null => None,
        Json::Object(_) => match value.get("title") {
            None | Some(Json::Null) => None,
            Some(title @ Json::Object(_)) => match title.get("content") {
                None | Some(Json::Null) => None,
                Some(c @ Json::String(_)) => c.as_str(),
                Some(_) => return Err(not_object()),
            },
            Some(_) => return Err(not_object()),
        },
        _ => return Err(not_object()),
    };
    match content {
        Some(_) => Ok(()),
        None => Err(err(
            CardErrorKind::MissingField,
            "header",
            "header needs `title` with `content`".into(),
        )),
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

/// Walks the card once; a duplicate id walks it again writing paths out, to name where the id
/// was first used.
fn walk(card_json: &str) -> Result<Vec<String>, CardError> {
    let card = Json::parse(card_json).ok_or_else(|| {
        err(
            CardErrorKind::NotAnObject,
            "",
            "the card is not valid JSON".into(),
        )
    })?;
    let mut walk = Walk::default();
    match walk.card(&card) {
        Ok(()) => Ok(walk
            .ids
            .into_iter()
            .map(|(id, _)| id.into_owned())
            .collect()),
        Err(e) if e.kind == CardErrorKind::DuplicateElementId => {
            let mut again = Walk {
                paths: true,
                ..Walk::default()
            };
            Err(again.card(&card).err().unwrap_or(e))
        }
        Err(e) => Err(e),
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
