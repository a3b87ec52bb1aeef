//! Card JSON 2.0 validation in one pass over the JSON text (serde visitors; nothing is
//! re-parsed), naming the offending element by path and id.

use super::{CardError, CardErrorKind};
use crate::json::RawFields;
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

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

/// What one pass learns: the element ids, the element count, submit buttons seen, and the first
/// failure (serde errors only carry it out of the visitors).
#[derive(Default)]
struct Walk {
    ids: Vec<(String, String)>,
    count: usize,
    submits: usize,
    failure: Option<CardError>,
}

impl Walk {
    fn fail<E: serde::de::Error>(&mut self, e: CardError) -> E {
        let message = e.message.clone();
        self.failure.get_or_insert(e);
        E::custom(message)
    }
}

/// Where an element sits.
#[derive(Clone, Copy)]
struct Place<'p> {
    path: &'p str,
    depth: usize,
    in_form: bool,
    column_only: bool,
}

struct ElementsSeed<'w, 'p> {
    walk: &'w mut Walk,
    place: Place<'p>,
}

impl<'de> DeserializeSeed<'de> for ElementsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of elements")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let path = format!("{}[{i}]", self.place.path);
            let seed = ElementSeed {
                walk: &mut *self.walk,
                place: Place {
                    path: &path,
                    ..self.place
                },
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let p = self.place.path;
        Err(self.walk.fail(err(
            CardErrorKind::InvalidField,
            p,
            format!("{p} must be an array of elements"),
        )))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        let p = self.place.path;
        Err(self.walk.fail(err(
            CardErrorKind::InvalidField,
            p,
            format!("{p} must be an array of elements"),
        )))
    }
}

struct ElementSeed<'w, 'p> {
    walk: &'w mut Walk,
    place: Place<'p>,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an element object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Place {
            path,
            in_form,
            column_only,
            ..
        } = self.place;
        let walk = self.walk;
        walk.count += 1;
        if walk.count > MAX_ELEMENTS {
            return Err(walk.fail(err(
                CardErrorKind::TooManyElements,
                path,
                format!("more than {MAX_ELEMENTS} elements (at {path})"),
            )));
        }
        let mut tag: Option<Cow<'de, str>> = None;
        let mut element_id: Option<Cow<'de, str>> = None;
        let mut present = 0u16;
        let mut children_seen = false;
        let mut submits_before = walk.submits;
        let mut deferred: Option<(&'static str, &'de RawValue)> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "tag" => tag = Some(map.next_value()?),
                "element_id" => element_id = Some(map.next_value()?),
                "form_action_type" => {
                    if map.next_value::<Cow<'de, str>>()? == "submit" {
                        walk.submits += 1;
                    }
                }
                k @ ("elements" | "columns") => {
                    let k: &'static str = if k == "elements" {
                        "elements"
                    } else {
                        "columns"
                    };
                    present |= bit(k);
                    match tag
                        .as_deref()
                        .and_then(|t| SPECS.iter().find(|s| s.tag == t))
                        .filter(|s| s.children == Some(k))
                    {
                        Some(spec) => {
                            children_seen = true;
                            let (child_path, place) = child_place(spec.tag, k, self.place)
                                .map_err(|e| walk.fail::<A::Error>(e))?;
                            if spec.tag == "form" {
                                submits_before = walk.submits;
                            }
                            map.next_value_seed(ElementsSeed {
                                walk: &mut *walk,
                                place: Place {
                                    path: &child_path,
                                    ..place
                                },
                            })?;
                        }
                        // The tag is not known yet (or takes no children): keep the raw value.
                        None => deferred = Some((k, map.next_value::<&'de RawValue>()?)),
                    }
                }
                other => {
                    let b = bit(other);
                    if b != 0 {
                        if map.next_value::<Option<IgnoredAny>>()?.is_some() {
                            present |= b;
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        let label = element_id
            .as_deref()
            .or(tag.as_deref())
            .unwrap_or("element")
            .to_string();
        let Some(tag) = tag else {
            return Err(walk.fail(err(
                CardErrorKind::MissingField,
                path,
                format!("{path} has no `tag`"),
            )));
        };
        if column_only && tag != "column" {
            return Err(walk.fail(err(
                CardErrorKind::InvalidField,
                path,
                format!("{path}: a column set holds only `column` elements"),
            )));
        }
        let Some(spec) = SPECS.iter().find(|s| s.tag == tag) else {
            return Err(walk.fail(err(
                CardErrorKind::UnknownTag,
                path,
                format!("{path}: unknown tag `{tag}`"),
            )));
        };
        if let Some((key, raw)) = deferred.filter(|(k, _)| spec.children == Some(*k)) {
            children_seen = true;
            let (child_path, place) =
                child_place(spec.tag, key, self.place).map_err(|e| walk.fail::<A::Error>(e))?;
            if spec.tag == "form" {
                submits_before = walk.submits;
            }
            let mut de = serde_json::Deserializer::from_str(raw.get());
            ElementsSeed {
                walk: &mut *walk,
                place: Place {
                    path: &child_path,
                    ..place
                },
            }
            .deserialize(&mut de)
            .map_err(A::Error::custom)?;
        }
        if let Some(missing) = spec.required.iter().find(|f| present & bit(f) == 0) {
            return Err(walk.fail(err(
                CardErrorKind::MissingField,
                path,
                format!("{path} ({label}): `{tag}` needs `{missing}`"),
            )));
        }
        if let Some(id) = element_id {
            if !valid_element_id(&id) {
                return Err(walk.fail(err(
                    CardErrorKind::InvalidElementId,
                    path,
                    format!("{path}: element_id `{id}` must start with a letter, hold only letters, digits and `_`, and be at most 20 characters"),
                )));
            }
            if let Some((_, first)) = walk.ids.iter().find(|(seen, _)| *seen == id) {
                let message = format!("{path}: element_id `{id}` is already used by {first}");
                return Err(walk.fail(err(CardErrorKind::DuplicateElementId, path, message)));
            }
            walk.ids.push((id.into_owned(), path.to_string()));
        }
        if in_form && FORM_FIELDS.contains(&tag.as_ref()) && present & bit("name") == 0 {
            return Err(walk.fail(err(
                CardErrorKind::MissingField,
                path,
                format!("{path} ({label}): `{tag}` inside a form needs `name`"),
            )));
        }
        if tag == "form" && (!children_seen || walk.submits == submits_before) {
            return Err(walk.fail(err(
                CardErrorKind::MissingSubmit,
                path,
                format!("{path} ({label}): a form needs a button with form_action_type \"submit\""),
            )));
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let p = self.place.path;
        Err(self.walk.fail(err(
            CardErrorKind::NotAnObject,
            p,
            format!("{p} is not an object"),
        )))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        let p = self.place.path;
        Err(self.walk.fail(err(
            CardErrorKind::NotAnObject,
            p,
            format!("{p} is not an object"),
        )))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_str("")
    }
}

/// Checks entering a container's children and returns their path and place.
fn child_place<'p>(
    tag: &str,
    key: &str,
    parent: Place<'p>,
) -> Result<(String, Place<'p>), CardError> {
    let path = parent.path;
    let is_form = tag == "form";
    if is_form && parent.in_form {
        return Err(err(
            CardErrorKind::NestedForm,
            path,
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
        return Err(err(
            CardErrorKind::TooDeep,
            path,
            format!("{path}: containers nest deeper than {MAX_NESTING} levels"),
        ));
    }
    Ok((
        format!("{path}.{key}"),
        Place {
            path: parent.path,
            depth,
            in_form: parent.in_form || is_form,
            column_only: tag == "column_set",
        },
    ))
}

/// The card: `schema`, `header` (title required when present), `body.elements`.
struct CardSeed<'w> {
    walk: &'w mut Walk,
}

#[derive(serde::Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    title: Option<Title<'a>>,
}

#[derive(serde::Deserialize)]
struct Title<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
}

struct BodySeed<'w> {
    walk: &'w mut Walk,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the card body")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut elements = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "elements" {
                elements = true;
                let place = Place {
                    path: "body.elements",
                    depth: 0,
                    in_form: false,
                    column_only: false,
                };
                map.next_value_seed(ElementsSeed {
                    walk: &mut *self.walk,
                    place,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(elements)
    }
}

impl<'de> DeserializeSeed<'de> for CardSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CardSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a card object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut schema_ok, mut body) = (false, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "schema" => {
                    schema_ok = map.next_value::<Option<Cow<'de, str>>>()?.as_deref() == Some("2.0")
                }
                "header" => {
                    let header: Option<Header<'de>> = map.next_value().map_err(|_| {
                        self.walk.fail::<A::Error>(err(
                            CardErrorKind::NotAnObject,
                            "header",
                            "header must be an object".into(),
                        ))
                    })?;
                    if header
                        .as_ref()
                        .and_then(|h| h.title.as_ref())
                        .and_then(|t| t.content.as_ref())
                        .is_none()
                    {
                        return Err(self.walk.fail(err(
                            CardErrorKind::MissingField,
                            "header",
                            "header needs `title` with `content`".into(),
                        )));
                    }
                }
                "body" => {
                    body = Some(map.next_value_seed(BodySeed {
                        walk: &mut *self.walk,
                    })?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !schema_ok {
            return Err(self.walk.fail(err(
                CardErrorKind::InvalidSchema,
                "schema",
                "cards must declare \"schema\": \"2.0\"".into(),
            )));
        }
        match body {
            Some(true) => Ok(()),
            _ => Err(self.walk.fail(err(
                CardErrorKind::MissingField,
                "body",
                "a card needs `body` with `elements`".into(),
            ))),
        }
    }
}

fn walk(card_json: &str) -> Result<Walk, CardError> {
    let mut walk = Walk::default();
    let mut de = serde_json::Deserializer::from_str(card_json);
    let outcome = CardSeed { walk: &mut walk }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match (outcome, walk.failure.take()) {
        (Ok(()), _) => Ok(walk),
        (Err(_), Some(failure)) => Err(failure),
        (Err(e), None) => Err(err(
            CardErrorKind::NotAnObject,
            "",
            format!("the card is not valid JSON: {e}"),
        )),
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

/// Every `element_id` in the card, in document order (empty if the card is invalid).
pub fn element_ids(card_json: &str) -> Vec<String> {
    walk(card_json)
        .map(|w| w.ids.into_iter().map(|(id, _)| id).collect())
        .unwrap_or_default()
}

/// The largest top-level element, described for the size error (only computed on that path).
fn largest_element(card_json: &str) -> Option<String> {
    let body = RawFields::parse(card_json)?.get("body")?;
    let elements = RawFields::parse(body.get())?.get("elements")?;
    let items: Vec<&RawValue> = serde_json::from_str(elements.get()).ok()?;
    let (i, item) = items
        .iter()
        .enumerate()
        .max_by_key(|(_, e)| e.get().len())?;
    let name = RawFields::parse(item.get())
        .and_then(|f| f.str("element_id").or_else(|| f.str("tag")))
        .unwrap_or_default();
    Some(format!(
        "body.elements[{i}] ({name}, {} bytes)",
        item.get().len()
    ))
}
