//! Keyless authentication (the official SDK's `clientAssertionProvider`, RFC 7523
//! `private_key_jwt`): a caller-supplied provider signs a short-lived assertion for an audience
//! host, and the SDK exchanges it for a tenant access token at the OAuth token endpoint (or
//! sends it to the long connection's endpoint instead of the app secret). The SDK never makes,
//! parses or stores the assertion; it is a credential, never logged.
//!
//! This module holds the exchange's shapes and judgments: the audience, the request (URL, body,
//! the GDPR proxy's `X-Target-Service` header), the reply's reading, and the error codes.

pub use crate::config::assertion::{
    audience, codes, error, AssertionProvider, AssertionToken, ClientAssertion, TargetInfo,
};
use crate::error::{Error, Result};
use crate::json::{quote, ObjectWriter};
use crate::runtime::Runtime;

/// The OAuth token endpoint's path, below the accounts host.
pub const OAUTH_TOKEN_PATH: &str = "/oauth/v3/token";
/// The long connection's endpoint path (the proxy URL is built from it).
pub const WS_ENDPOINT_PATH: &str = "/callback/ws/endpoint";
/// `grant_type` of the exchange.
pub const GRANT_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `client_assertion_type` of the exchange.
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The header naming the audience when the request goes through a GDPR proxy.
pub const X_TARGET_SERVICE: &str = "X-Target-Service";

/// Asks the provider, judging its answer as the official SDK does: a failure is 7102 with the
/// provider's message, an empty assertion 7101. Awaiting the returned [`Retrieve`] asks.
///
/// ```no_run
/// # async fn demo(p: &feishu_edge::token::assertion::ClientAssertion) -> feishu_edge::Result<()> {
/// let token = feishu_edge::token::assertion::retrieve(p, "accounts.feishu.cn").await?;
/// # Ok(()) }
/// ```
pub fn retrieve<'a>(provider: &'a ClientAssertion, aud: &str) -> Retrieve<'a> {
    Retrieve {
        provider,
        aud: aud.to_string(),
        timeout_ms: 0,
        runtime: None,
    }
}

/// [`retrieve`], waiting at most `timeout_ms` (0: no limit) for the provider: a provider that
/// never answers fails with 7102 instead of holding up every call waiting on the token.
///
/// ```no_run
/// # async fn demo(p: &feishu_edge::token::assertion::ClientAssertion, rt: &dyn feishu_edge::Runtime) -> feishu_edge::Result<()> {
/// let token = feishu_edge::token::assertion::retrieve_within(p, "accounts.feishu.cn", rt, 5_000).await?;
/// # Ok(()) }
/// ```
pub fn retrieve_within<'a>(
    provider: &'a ClientAssertion,
    aud: &str,
    runtime: &'a dyn Runtime,
    timeout_ms: u64,
) -> Retrieve<'a> {
    Retrieve {
        provider,
        aud: aud.to_string(),
        timeout_ms,
        runtime: Some(runtime),
    }
}

/// An assertion to ask the provider for ([`retrieve`], [`retrieve_within`]): the audience, and
/// how long to wait; the provider is asked when this is awaited.
///
/// ```no_run
/// # async fn demo(p: &feishu_edge::token::assertion::ClientAssertion) -> feishu_edge::Result<()> {
/// let ask = feishu_edge::token::assertion::retrieve(p, "accounts.feishu.cn");
/// let token = ask.await?;
/// # Ok(()) }
/// ```
#[must_use = "the provider is asked when awaited"]
pub struct Retrieve<'a> {
    pub(crate) provider: &'a ClientAssertion,
    pub(crate) aud: String,
    /// 0: no limit (and no clock needed).
    pub(crate) timeout_ms: u64,
    pub(crate) runtime: Option<&'a dyn Runtime>,
}

impl Retrieve<'_> {
    /// Judges the provider's answer: its own assertion error stays, any other failure is 7102,
    /// an empty assertion 7101.
    pub(crate) fn judge(answer: Result<AssertionToken>) -> Result<AssertionToken> {
        let token = match answer {
            Ok(t) => t,
            Err(e @ Error::ClientAssertion { .. }) => return Err(e),
            Err(e) => return Err(error(codes::RETRIEVE_FAILED, e.to_string())),
        };
        if token.value.is_empty() {
            return Err(error(codes::TOKEN_EMPTY, "client assertion token is empty"));
        }
        Ok(token)
    }

    /// The failure of a provider that gave no answer within the time allowed: 7102.
    pub(crate) fn no_answer(timeout_ms: u64) -> Error {
        error(
            codes::RETRIEVE_FAILED,
            format!("client assertion provider gave no answer within {timeout_ms} ms"),
        )
    }
}

/// Whether an error of the assertion chain is a configuration fault that no retry mends: 7100
/// (no usable provider, or a mode that has no assertion path) and 7104 (neither a secret nor
/// a provider). A long connection should stop on these rather than retry.
///
/// ```
/// use feishu_edge::token::assertion::{error, is_permanent};
/// assert!(is_permanent(&error(7100, "no retrieveToken")));
/// assert!(!is_permanent(&error(7102, "provider failed")));
/// ```
pub fn is_permanent(e: &Error) -> bool {
    matches!(
        e.cause(),
        Error::ClientAssertion { code, .. }
            if *code == codes::NOT_CONFIGURED || *code == codes::SECRET_AND_ASSERTION_EMPTY
    )
}

/// A `targetInfo` the SDK will not send the assertion to: 7102 (the provider's answer is not
/// usable), naming the rule, never the assertion nor the target (it may hold userinfo).
fn bad_target(why: &str) -> Error {
    error(
        codes::RETRIEVE_FAILED,
        format!("client assertion provider returned an unusable targetInfo: {why}"),
    )
}

/// The authority of an `https://` URL: up to the first `/`, `\`, `?` or `#` (as WHATWG URL
/// parsers split it).
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    rest.split(['/', '\\', '?', '#']).next()
}

/// A host with an optional port, in plain ASCII: letters, digits, `-`, `.`, `_`, or an IPv6
/// literal in brackets; then nothing, or `:` and 1–5 digits.
fn plain_authority(a: &str) -> bool {
    let (host_ok, rest) = match a.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((inner, rest)) => (
                !inner.is_empty()
                    && inner
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                rest,
            ),
            None => return false,
        },
        None => {
            let (host, rest) = match a.find(':') {
                Some(i) => (a.get(..i).unwrap_or(""), a.get(i..).unwrap_or("")),
                None => (a, ""),
            };
            (
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')),
                rest,
            )
        }
    };
    let port_ok = match rest.strip_prefix(':') {
        Some(p) => (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()),
        None => rest.is_empty(),
    };
    host_ok && port_ok
}

/// The URL a request for `path` goes to through a GDPR proxy. The assertion is a credential,
/// so the URL must reach the host the provider named and no other: `targetService` is an
/// https origin (its path, if any, is ignored) with a plain host, no userinfo; `targetPrefix`
/// is empty or a path starting with `/`, without `@ \ ? #`, whitespace, control characters,
/// percent-encoded dots, slashes or backslashes, or `.`/`..` segments; and the URL built is
/// checked to have `targetService`'s authority exactly. Anything else fails with 7102.
///
/// ```
/// use feishu_edge::token::assertion::{proxy_url, TargetInfo};
/// let t = TargetInfo { target_service: "https://proxy.example".into(), target_prefix: "/eu/".into() };
/// assert_eq!(proxy_url(&t, "/oauth/v3/token").unwrap(), "https://proxy.example/eu/oauth/v3/token");
/// let bad = TargetInfo { target_service: "http://proxy.example".into(), target_prefix: String::new() };
/// assert!(proxy_url(&bad, "/x").is_err());
/// let glued = TargetInfo { target_service: "proxy.example".into(), target_prefix: "@evil.example".into() };
/// assert!(proxy_url(&glued, "/x").is_err());
/// ```
pub fn proxy_url(target: &TargetInfo, path: &str) -> Result<String> {
    let service = if target.target_service.contains("://") {
        target.target_service.clone()
    } else {
        format!("https://{}", target.target_service)
    };
    // A backslash ends the authority for a WHATWG parser but not for an RFC 3986 one: the two
    // would disagree on the host, so the provider named none clearly.
    if service
        .chars()
        .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    {
        return Err(bad_target(
            "targetService must not contain \\, whitespace or control characters",
        ));
    }
    let Some(authority) = authority_of(&service) else {
        return Err(bad_target("targetService must use https"));
    };
    if authority.contains('@') {
        return Err(bad_target("targetService must not contain userinfo"));
    }
    if authority.is_empty() {
        return Err(bad_target("targetService has no host"));
    }
    if !plain_authority(authority) {
        return Err(bad_target(
            "targetService must be a plain host (letters, digits, - . _) with an optional port",
        ));
    }
    let prefix = target.target_prefix.as_str();
    if !prefix.is_empty() && !prefix.starts_with('/') {
        return Err(bad_target("targetPrefix must be empty or start with /"));
    }
    if prefix
        .chars()
        .any(|c| matches!(c, '@' | '\\' | '?' | '#') || c.is_whitespace() || c.is_control())
    {
        return Err(bad_target(
            "targetPrefix must not contain @ \\ ? #, whitespace or control characters",
        ));
    }
    let lower = prefix.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c"].iter().any(|enc| lower.contains(enc)) {
        return Err(bad_target(
            "targetPrefix must not contain percent-encoded dots, slashes or backslashes",
        ));
    }
    let mut joined = format!("{prefix}{path}");
    while joined.contains("//") {
        joined = joined.replace("//", "/");
    }
    if joined.split('/').any(|s| s == ".." || s == ".") {
        return Err(bad_target("targetPrefix must not contain path traversal"));
    }
    let url = format!("https://{authority}{joined}");
    if authority_of(&url) != Some(authority) {
        return Err(bad_target("the proxy URL would not reach targetService"));
    }
    Ok(url)
}

/// The exchange's JSON body (`grant_type`, `client_assertion_type`, `client_assertion`,
/// `client_id`). Holds the assertion: send it, never log it.
pub fn exchange_body(app_id: &str, assertion: &str) -> String {
    let mut w = ObjectWriter::default();
    w.field("grant_type", &quote(GRANT_TYPE_JWT_BEARER));
    w.field(
        "client_assertion_type",
        &quote(CLIENT_ASSERTION_TYPE_JWT_BEARER),
    );
    w.field("client_assertion", &quote(assertion));
    w.field("client_id", &quote(app_id));
    w.finish()
}

/// The long connection's endpoint body in assertion mode: `AppSecret` empty, the assertion
/// beside it.
///
/// ```
/// let b = feishu_edge::token::assertion::ws_endpoint_body("cli_a", "jwt");
/// assert_eq!(b, r#"{"AppID":"cli_a","AppSecret":"","ClientAssertion":"jwt"}"#);
/// ```
pub fn ws_endpoint_body(app_id: &str, assertion: &str) -> String {
    let mut w = ObjectWriter::default();
    w.field("AppID", &quote(app_id));
    w.field("AppSecret", &quote(""));
    w.field("ClientAssertion", &quote(assertion));
    w.finish()
}

/// Where an exchange goes and which header it carries: the accounts host's token endpoint, or
/// the proxy's with `X-Target-Service: <aud>`.
pub fn exchange_target(
    accounts_base: &str,
    aud: &str,
    token: &AssertionToken,
) -> Result<(String, Option<(&'static str, String)>)> {
    match &token.target {
        Some(t) => Ok((
            proxy_url(t, OAUTH_TOKEN_PATH)?,
            Some((X_TARGET_SERVICE, aud.to_string())),
        )),
        None => Ok((
            format!(
                "{}{}",
                accounts_base.trim_end_matches('/'),
                OAUTH_TOKEN_PATH
            ),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_shapes() {
        let body = exchange_body("cli_a", "a.b.c");
        assert!(body.contains(r#""grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer""#));
        assert!(
            body.contains(r#""client_assertion":"a.b.c""#)
                && body.contains(r#""client_id":"cli_a""#)
        );
        let plain = AssertionToken {
            value: "x".into(),
            target: None,
        };
        assert_eq!(
            exchange_target("https://accounts.feishu.cn/", "accounts.feishu.cn", &plain).unwrap(),
            (
                "https://accounts.feishu.cn/oauth/v3/token".to_string(),
                None
            )
        );
        let proxied = AssertionToken {
            value: "x".into(),
            target: Some(TargetInfo {
                target_service: "proxy.eu".into(),
                target_prefix: "/p".into(),
            }),
        };
        let (url, header) = exchange_target(
            "https://accounts.feishu.cn/",
            "accounts.feishu.cn",
            &proxied,
        )
        .unwrap();
        assert_eq!(url, "https://proxy.eu/p/oauth/v3/token");
        assert_eq!(
            header,
            Some((X_TARGET_SERVICE, "accounts.feishu.cn".to_string()))
        );
        let traversal = TargetInfo {
            target_service: "https://p".into(),
            target_prefix: "/../x".into(),
        };
        assert!(proxy_url(&traversal, "/y").is_err());
        assert!(!format!("{plain:?}").contains('x'));
    }

    fn target(service: &str, prefix: &str) -> TargetInfo {
        TargetInfo {
            target_service: service.into(),
            target_prefix: prefix.into(),
        }
    }

    #[test]
    fn proxy_url_reaches_only_the_named_host() {
        let ok = |s: &str, p: &str| proxy_url(&target(s, p), "/oauth/v3/token").unwrap();
        assert_eq!(
            ok("proxy.example", ""),
            "https://proxy.example/oauth/v3/token"
        );
        assert_eq!(
            ok("https://proxy.example:8443/ignored", "/eu"),
            "https://proxy.example:8443/eu/oauth/v3/token"
        );
        assert_eq!(
            ok("https://[::1]:8443", "/a/b/"),
            "https://[::1]:8443/a/b/oauth/v3/token"
        );
        for (service, prefix) in [
            // The prefix glued onto the host: another host, or userinfo.
            ("proxy.example", "eu"),
            ("proxy.example", "@evil.example"),
            ("proxy.example", ".evil.example"),
            ("proxy.example", ":443@evil.example"),
            ("proxy.example", "/a@evil.example"),
            ("proxy.example", "\\evil.example"),
            ("proxy.example", "/x\\..\\y"),
            ("proxy.example", "/x?y"),
            ("proxy.example", "/x#y"),
            ("proxy.example", "/x y"),
            ("proxy.example", "/x\ty"),
            ("proxy.example", "/x\u{7f}"),
            ("proxy.example", "/%2e%2e/x"),
            ("proxy.example", "/%2E./x"),
            ("proxy.example", "/a%2fb"),
            ("proxy.example", "/../x"),
            ("proxy.example", "/./x"),
            ("proxy.example", "/a/.."),
            // The service itself.
            ("http://proxy.example", ""),
            ("https://user:pw@proxy.example", ""),
            ("https://", ""),
            ("https://proxy.example\\@evil.example", ""),
            ("https://proxy.example\\.evil", ""),
            ("https://proxy.example:", ""),
            ("https://proxy.example:99999x", ""),
            ("https://proxy .example", ""),
            ("https://pröxy.example", ""),
            ("https://[::1", ""),
        ] {
            let e = proxy_url(&target(service, prefix), "/oauth/v3/token")
                .expect_err(&format!("{service:?} + {prefix:?} must be refused"));
            assert!(
                matches!(e, Error::ClientAssertion { code, .. } if code == codes::RETRIEVE_FAILED),
                "{service:?} + {prefix:?}: {e:?}"
            );
            assert!(!e.to_string().contains("evil") && !e.to_string().contains("pw"));
        }
    }

    #[test]
    fn permanent_errors() {
        assert!(is_permanent(&error(codes::NOT_CONFIGURED, "x")));
        assert!(is_permanent(&error(codes::SECRET_AND_ASSERTION_EMPTY, "x")));
        assert!(!is_permanent(&error(codes::RETRIEVE_FAILED, "x")));
        assert!(!is_permanent(&error(codes::TOKEN_EMPTY, "x")));
        assert!(!is_permanent(&Error::Network("x".into())));
    }

    struct Hangs;
    impl AssertionProvider for Hangs {
        fn retrieve(&self, _: &str) -> crate::runtime::BoxFuture<'_, Result<AssertionToken>> {
            Box::pin(std::future::pending())
        }
    }

    #[test]
    fn a_provider_that_hangs_times_out() {
        let p = ClientAssertion(std::sync::Arc::new(Hangs));
        let rt = crate::runtime::StdRuntime;
        let e = futures_executor::block_on(std::future::IntoFuture::into_future(retrieve_within(
            &p,
            "accounts.feishu.cn",
            &rt,
            20,
        )))
        .unwrap_err();
        assert!(
            matches!(e, Error::ClientAssertion { code, .. } if code == codes::RETRIEVE_FAILED),
            "{e:?}"
        );
        assert!(e.to_string().contains("20 ms"));
    }

    #[test]
    fn audiences() {
        assert_eq!(
            audience("https://OPEN.feishu.cn:443/x").unwrap(),
            "open.feishu.cn"
        );
        assert_eq!(audience("http://h:80").unwrap(), "h");
        assert_eq!(audience("http://h:81").unwrap(), "h:81");
    }
}
