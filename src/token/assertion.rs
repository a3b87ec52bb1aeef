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
/// provider's message, an empty assertion 7101.
pub async fn retrieve(provider: &ClientAssertion, aud: &str) -> Result<AssertionToken> {
    let token = match provider.0.retrieve(aud).await {
        Ok(t) => t,
        Err(e @ Error::ClientAssertion { .. }) => return Err(e),
        Err(e) => return Err(error(codes::RETRIEVE_FAILED, e.to_string())),
    };
    if token.value.is_empty() {
        return Err(error(codes::TOKEN_EMPTY, "client assertion token is empty"));
    }
    Ok(token)
}

/// The URL a request for `path` goes to through a GDPR proxy: https only, no user info, no
/// path traversal in the prefix.
///
/// ```
/// use feishu_edge::token::assertion::{proxy_url, TargetInfo};
/// let t = TargetInfo { target_service: "https://proxy.example".into(), target_prefix: "/eu/".into() };
/// assert_eq!(proxy_url(&t, "/oauth/v3/token").unwrap(), "https://proxy.example/eu/oauth/v3/token");
/// let bad = TargetInfo { target_service: "http://proxy.example".into(), target_prefix: String::new() };
/// assert!(proxy_url(&bad, "/x").is_err());
/// ```
pub fn proxy_url(target: &TargetInfo, path: &str) -> Result<String> {
    let service = if target.target_service.contains("://") {
        target.target_service.clone()
    } else {
        format!("https://{}", target.target_service)
    };
    let Some(rest) = service.strip_prefix("https://") else {
        return Err(error(0, "targetService must use https"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(error(0, "targetService must not contain userinfo"));
    }
    if authority.is_empty() {
        return Err(error(0, "targetService has no host"));
    }
    let mut joined = format!("{}{path}", target.target_prefix);
    while joined.contains("//") {
        joined = joined.replace("//", "/");
    }
    if joined.split('/').any(|s| s == "..") {
        return Err(error(0, "targetPrefix must not contain path traversal"));
    }
    Ok(format!("https://{authority}{joined}"))
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
