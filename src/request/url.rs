//! URL assembly: `{param}` / `:param` substitution with percent-encoding, repeated query keys.

use crate::error::{Error, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters is encoded, in path segments and queries alike.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

pub(crate) fn build(
    api_base: &str,
    path: &str,
    params: &[(String, String)],
    query: &[(String, String)],
) -> Result<String> {
    let mut url = if path.starts_with("http://") || path.starts_with("https://") {
        String::from(path)
    } else {
        let relative = path.trim_start_matches('/');
        let relative = relative.strip_prefix("open-apis/").unwrap_or(relative);
        format!("{api_base}{relative}")
    };
    if url.contains('{') || url.contains("/:") {
        url = substitute(&url, params)?;
    }
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in query {
        url.push(sep);
        url.push_str(&encode(k));
        url.push('=');
        url.push_str(&encode(v));
        sep = '&';
    }
    Ok(url)
}

fn lookup<'a>(params: &'a [(String, String)], name: &str, path: &str) -> Result<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Error::InvalidRequest(format!("missing path parameter `{name}` for {path}")))
}

/// A path parameter's value, refused when it is empty, `.` or `..`: percent-encoding leaves dots
/// alone, and `fetch` would resolve such a segment to another endpoint.
fn segment<'a>(params: &'a [(String, String)], name: &str, path: &str) -> Result<&'a str> {
    let value = lookup(params, name, path)?;
    match value {
        "" => Err(Error::InvalidRequest(format!(
            "path parameter `{name}` is empty"
        ))),
        "." | ".." => Err(Error::InvalidRequest(format!(
            "path parameter `{name}` is `{value}`, which would change the path"
        ))),
        _ => Ok(value),
    }
}

/// The origin of an absolute URL (`scheme://host[:port]`, as written), or `None` without a
/// scheme. Never the path or query.
///
/// ```ignore
/// assert_eq!(origin_of("https://a.cn:8/x?y"), Some("https://a.cn:8"));
/// ```
pub(crate) fn origin_of(url: &str) -> Option<&str> {
    let host_start = url.find("://")? + 3;
    let host = url.get(host_start..)?;
    let end = host.find(['/', '?', '#']).unwrap_or(host.len());
    url.get(..host_start + end)
}

/// True when `url` is on the origin (scheme, host and port) of `base`.
///
/// ```ignore
/// assert!(same_origin("https://a.cn/open-apis/x", "https://a.cn/open-apis/"));
/// assert!(!same_origin("https://a.cn.evil/x", "https://a.cn/open-apis/"));
/// ```
pub(crate) fn same_origin(url: &str, base: &str) -> bool {
    match (origin_of(url), origin_of(base)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn substitute(url: &str, params: &[(String, String)]) -> Result<String> {
    let mut out = String::with_capacity(url.len() + 16);
    let mut rest = url;
    while let Some(i) = rest.find(['{', ':']) {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        if let Some(inner) = from.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| Error::InvalidRequest(format!("unclosed `{{` in path {url}")))?;
            let (name, after) = inner.split_at(end);
            out.push_str(&encode(segment(params, name, url)?));
            rest = after.get(1..).unwrap_or("");
        } else {
            // `:name` only counts at the start of a path segment (not in `https:`).
            let after_colon = from.get(1..).unwrap_or("");
            let is_param = out.ends_with('/')
                && after_colon.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            if !is_param {
                out.push(':');
                rest = after_colon;
                continue;
            }
            let end = after_colon.find(['/', '?']).unwrap_or(after_colon.len());
            let (name, after) = after_colon.split_at(end);
            out.push_str(&encode(segment(params, name, url)?));
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    const BASE: &str = "http://h/open-apis/";
    fn p(k: &str, v: &str) -> (String, String) {
        (k.into(), v.into())
    }

    #[test]
    fn path_params_are_encoded() {
        let url = build(
            BASE,
            "drive/v1/files/{file_token}/x",
            &[p("file_token", "a/b c?d#é")],
            &[],
        )
        .unwrap();
        assert_eq!(
            url,
            "http://h/open-apis/drive/v1/files/a%2Fb%20c%3Fd%23%C3%A9/x"
        );
    }

    #[test]
    fn colon_params_and_absolute_urls() {
        let url = build(
            BASE,
            "/open-apis/im/v1/messages/:message_id/reply",
            &[p("message_id", "om 1")],
            &[],
        )
        .unwrap();
        assert_eq!(url, "http://h/open-apis/im/v1/messages/om%201/reply");
        let url = build(
            BASE,
            "https://accounts.feishu.cn/open-apis/authen/v2/oauth/token",
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(
            url,
            "https://accounts.feishu.cn/open-apis/authen/v2/oauth/token"
        );
    }

    #[test]
    fn query_repeats_and_encodes() {
        let url = build(
            BASE,
            "x",
            &[],
            &[p("ids", "a"), p("ids", "b&c"), p("q", "1 2")],
        )
        .unwrap();
        assert_eq!(url, "http://h/open-apis/x?ids=a&ids=b%26c&q=1%202");
    }

    #[test]
    fn missing_or_bad_params_are_errors() {
        assert!(
            matches!(build(BASE, "a/{id}", &[], &[]), Err(Error::InvalidRequest(m)) if m.contains("`id`"))
        );
        assert!(build(BASE, "a/{id", &[p("id", "1")], &[]).is_err());
        assert!(build(BASE, "a/{id}", &[p("id", "")], &[]).is_err());
        for bad in [".", ".."] {
            assert!(build(BASE, "a/{id}", &[p("id", bad)], &[]).is_err());
            assert!(build(BASE, "a/:id/b", &[p("id", bad)], &[]).is_err());
        }
        assert_eq!(
            build(BASE, "a/{id}", &[p("id", "...")], &[]).unwrap(),
            "http://h/open-apis/a/..."
        );
        assert!(build(BASE, "a/:id", &[p("id", "")], &[]).is_err());
    }

    #[test]
    fn origins() {
        assert!(same_origin("http://h/open-apis/x?y", BASE));
        assert!(same_origin("HTTP://H/other", BASE));
        assert!(!same_origin("http://h:81/open-apis/x", BASE));
        assert!(!same_origin("http://h.evil/open-apis/x", BASE));
        assert!(!same_origin("https://h/open-apis/x", BASE));
        assert!(!same_origin("http://evil/?http://h/", BASE));
        assert_eq!(origin_of("https://a.cn:8/x?y#z"), Some("https://a.cn:8"));
        assert_eq!(origin_of("https://a.cn"), Some("https://a.cn"));
        assert_eq!(origin_of("https://é.cn?q"), Some("https://é.cn"));
        assert_eq!(origin_of("no scheme/x"), None);
        assert!(!same_origin("relative/path", BASE));
    }
}
