//! Why a webhook request was refused: the one list of refusals, their stable names, HTTP
//! statuses and sentences (re-exported as `webhook::Reason`).

/// Why a request was refused. Each has a stable machine-readable name and an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Not a POST.
    MethodNotAllowed,
    /// Body over the size limit.
    BodyTooLarge,
    /// A `Content-Type` that is not JSON.
    UnsupportedContentType,
    /// No body.
    EmptyBody,
    /// The body is not UTF-8.
    InvalidUtf8,
    /// The body is not a JSON object.
    InvalidJson,
    /// JSON nested deeper than the limit.
    JsonTooDeep,
    /// Signature headers missing while a key is configured.
    MissingSignature,
    /// `X-Lark-Request-Timestamp` is not a number.
    InvalidTimestamp,
    /// The timestamp is outside the tolerance.
    StaleTimestamp,
    /// The signature does not match.
    SignatureMismatch,
    /// An encrypted body but no encrypt key configured.
    EncryptedButNoKey,
    /// `encrypt` is not base64.
    InvalidBase64,
    /// The ciphertext has an impossible length.
    InvalidCiphertext,
    /// Decryption failed (bad padding: most likely a wrong key).
    DecryptionFailed,
    /// The decrypted text is not a UTF-8 JSON object.
    InvalidPlaintext,
    /// No verification token in the body while one is configured.
    MissingToken,
    /// The body's verification token does not match.
    TokenMismatch,
    /// Neither a challenge, a schema 2.0 event, a schema 1.0 event nor a card callback.
    UnknownEventShape,
    /// The handler threw.
    HandlerFailed,
    /// The configured keys cannot verify this kind of request (a legacy card callback needs
    /// the verification token).
    UnverifiableRequest,
    /// Another delivery of the same event is being handled: the platform should retry later.
    EventInProgress,
    /// The verified event could not be put on the queue: the platform should retry.
    QueueFailed,
    /// The body did not arrive within the read deadline.
    BodyTimeout,
    /// The host's crypto failed (not the request's fault): the platform should retry.
    CryptoFailed,
    /// A card handler finished but its reply cannot be serialized as JSON (a `BigInt`, a
    /// cycle, a throwing `toJSON`): it is not run again, the callback gets this error.
    ReplyNotSerializable,
    /// An HTTP request to a dispatcher with neither key: it serves the long connection only.
    NoKeys,
}

impl Reason {
    /// The stable name, as sent in the error body's `error` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MethodNotAllowed => "method_not_allowed",
            Reason::BodyTooLarge => "body_too_large",
            Reason::UnsupportedContentType => "unsupported_content_type",
            Reason::EmptyBody => "empty_body",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::InvalidJson => "invalid_json",
            Reason::JsonTooDeep => "json_too_deep",
            Reason::MissingSignature => "missing_signature",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::StaleTimestamp => "stale_timestamp",
            Reason::SignatureMismatch => "signature_mismatch",
            Reason::EncryptedButNoKey => "encrypted_but_no_key",
            Reason::InvalidBase64 => "invalid_base64",
            Reason::InvalidCiphertext => "invalid_ciphertext",
            Reason::DecryptionFailed => "decryption_failed",
            Reason::InvalidPlaintext => "invalid_plaintext",
            Reason::MissingToken => "missing_token",
            Reason::TokenMismatch => "token_mismatch",
            Reason::UnknownEventShape => "unknown_event_shape",
            Reason::HandlerFailed => "handler_failed",
            Reason::UnverifiableRequest => "unverifiable_request",
            Reason::EventInProgress => "event_in_progress",
            Reason::QueueFailed => "queue_failed",
            Reason::BodyTimeout => "body_timeout",
            Reason::CryptoFailed => "crypto_failed",
            Reason::ReplyNotSerializable => "reply_not_serializable",
            Reason::NoKeys => "no_keys",
        }
    }
    /// The HTTP status to answer with.
    pub fn status(self) -> u16 {
        match self {
            Reason::MethodNotAllowed => 405,
            Reason::BodyTooLarge => 413,
            Reason::UnsupportedContentType => 415,
            Reason::MissingSignature
            | Reason::StaleTimestamp
            | Reason::SignatureMismatch
            | Reason::MissingToken
            | Reason::TokenMismatch
            | Reason::UnverifiableRequest => 401,
            Reason::BodyTimeout => 408,
            Reason::HandlerFailed
            | Reason::CryptoFailed
            | Reason::ReplyNotSerializable
            | Reason::NoKeys => 500,
            Reason::EventInProgress | Reason::QueueFailed => 503,
            _ => 400,
        }
    }
    /// A sentence for people.
    pub fn message(self) -> &'static str {
        match self {
            Reason::MethodNotAllowed => "webhooks are POST requests",
            Reason::BodyTooLarge => "the body is larger than the configured limit",
            Reason::UnsupportedContentType => "the body must be JSON",
            Reason::EmptyBody => "the body is empty",
            Reason::InvalidUtf8 => "the body is not UTF-8",
            Reason::InvalidJson => "the body is not a JSON object",
            Reason::JsonTooDeep => "the JSON is nested too deeply",
            Reason::MissingSignature => {
                "X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required"
            }
            Reason::InvalidTimestamp => "X-Lark-Request-Timestamp is not a number of seconds",
            Reason::StaleTimestamp => "X-Lark-Request-Timestamp is outside the allowed tolerance",
            Reason::SignatureMismatch => "X-Lark-Signature does not match the body",
            Reason::EncryptedButNoKey => "the body is encrypted but no encryptKey is configured",
            Reason::InvalidBase64 => "`encrypt` is not valid base64",
            Reason::InvalidCiphertext => "`encrypt` has an invalid length",
            Reason::DecryptionFailed => "`encrypt` could not be decrypted with the configured key",
            Reason::InvalidPlaintext => "the decrypted payload is not a UTF-8 JSON object",
            Reason::MissingToken => "the verification token is missing from the body",
            Reason::TokenMismatch => "the verification token does not match",
            Reason::UnknownEventShape => "the body is not a recognised event or callback",
            Reason::HandlerFailed => "the handler failed",
            Reason::UnverifiableRequest => {
                "this request cannot be verified with the configured keys (legacy card callbacks need the verificationToken)"
            }
            Reason::EventInProgress => {
                "another delivery of this event is being handled; retry later"
            }
            Reason::QueueFailed => "the event could not be queued; retry later",
            Reason::BodyTimeout => "the body did not arrive in time",
            Reason::CryptoFailed => "the runtime's crypto failed; retry later",
            Reason::ReplyNotSerializable => {
                "the card handler ran, but its reply cannot be serialized as JSON"
            }
            Reason::NoKeys => {
                "this dispatcher has neither encryptKey nor verificationToken: it serves the long connection only and refuses HTTP requests (unsigned events are not accepted); fix: new EventDispatcher({ encryptKey }) with the Encrypt Key of the app's Events and Callbacks page (or verificationToken)"
            }
        }
    }
    /// The reason with this stable name, among those the JS layer detects before a body
    /// reaches the core: a request that is not a POST, a body that did not arrive in time, a
    /// body the Node adapters stopped reading past `max_body_bytes` (or whose `Content-Length`
    /// says it is larger; the rule for a body that reaches the core is `parse`'s), and an
    /// adapter's failure around the handling.
    pub fn from_name(name: &str) -> Option<Reason> {
        [
            Reason::MethodNotAllowed,
            Reason::BodyTimeout,
            Reason::BodyTooLarge,
            Reason::HandlerFailed,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
    /// The JSON error body: `{"error": name, "message": sentence}`.
    pub fn body(self) -> String {
        format!(
            r#"{{"error":"{}","message":"{}"}}"#,
            self.as_str(),
            self.message().replace('`', "'")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn the_glue_names_its_refusals() {
        for (name, status) in [
            ("method_not_allowed", 405),
            ("body_timeout", 408),
            ("body_too_large", 413),
            ("handler_failed", 500),
        ] {
            let reason = Reason::from_name(name);
            assert_eq!(
                reason.map(|r| (r.as_str(), r.status())),
                Some((name, status))
            );
        }
        // The core's own verdicts are not the glue's to claim.
        assert_eq!(Reason::from_name("signature_mismatch"), None);
        assert_eq!(Reason::from_name("nonsense"), None);
    }
}
