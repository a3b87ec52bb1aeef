//! What is wrong with a card: kinds, path, sentence (re-exported from `card`).

use std::fmt;

/// What is wrong with a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardErrorKind {
    /// A tag the platform does not know.
    UnknownTag,
    /// A required field is missing.
    MissingField,
    /// A field has the wrong type.
    InvalidField,
    /// Not a JSON object where one is required.
    NotAnObject,
    /// `schema` is not `"2.0"`.
    InvalidSchema,
    /// An `element_id` that is malformed.
    InvalidElementId,
    /// The same `element_id` twice.
    DuplicateElementId,
    /// Containers nested too deeply.
    TooDeep,
    /// More elements than the platform accepts.
    TooManyElements,
    /// A form inside a form.
    NestedForm,
    /// A form without a submit button.
    MissingSubmit,
    /// The JSON is over 30 KB.
    TooLarge,
}

impl CardErrorKind {
    /// A stable name, as JS sees it in `FeishuError.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            CardErrorKind::UnknownTag => "unknown_tag",
            CardErrorKind::MissingField => "missing_field",
            CardErrorKind::InvalidField => "invalid_field",
            CardErrorKind::NotAnObject => "not_an_object",
            CardErrorKind::InvalidSchema => "invalid_schema",
            CardErrorKind::InvalidElementId => "invalid_element_id",
            CardErrorKind::DuplicateElementId => "duplicate_element_id",
            CardErrorKind::TooDeep => "too_deep",
            CardErrorKind::TooManyElements => "too_many_elements",
            CardErrorKind::NestedForm => "nested_form",
            CardErrorKind::MissingSubmit => "missing_submit",
            CardErrorKind::TooLarge => "too_large",
        }
    }
}

/// A card validation failure: the kind, where (`body.elements[2].columns[0]`), and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardError {
    /// What is wrong.
    pub kind: CardErrorKind,
    /// The JSON path of the offending element (empty for the whole card).
    pub path: String,
    /// A readable description naming the element.
    pub message: String,
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
