//! Reading replies: the `{code, msg, data}` envelope, log ids, rate-limit headers, and the
//! typed errors for bodies that are not envelopes (gateway HTML, empty, truncated).

use crate::error::{ApiError, Error, Result};
use crate::json::{unquote, RawFields};
use crate::transport::HttpResponse;
use serde::de::DeserializeOwned;

/// A successful JSON reply (`code == 0`).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// `X-Tt-Logid`.
    pub log_id: Option<String>,
    /// The raw body: the whole envelope.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// Decodes the whole envelope (or a token endpoint's top-level fields).
    ///
    /// ```
    /// let r = feishu_edge::ApiResponse { status: 200, log_id: None, body: br#"{"code":0,"data":{"n":1}}"#.to_vec() };
    /// let v: serde_json::Value = r.json().unwrap();
    /// assert_eq!(v["data"]["n"], 1);
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(e))
    }
    /// Decodes `data`; a missing `data` decodes as JSON `null`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T> {
        let raw = std::str::from_utf8(&self.body)
            .ok()
            .and_then(RawFields::parse)
            .map(|fields| fields.get("data").unwrap_or("null"))
            .unwrap_or("null");
        serde_json::from_str(raw).map_err(|e| self.decode_error(e))
    }
    fn decode_error(&self, e: serde_json::Error) -> Error {
        Error::invalid_response(
            format!("could not decode the reply: {e}"),
            self.log_id.clone(),
            self.status,
        )
    }
}

// What a transport marks and decides, defined beside the transports (`crate::transport`, a
// floor below) and still named here, where replies are read.
pub use crate::transport::{is_file_reply, OVERSIZED_REPLY};

/// The error of a reply the transport refused to read past `limit` bytes
/// ([`OVERSIZED_REPLY`]): `invalid_response` for a 2xx, `http` otherwise, naming the limit and
/// the option that sets it. `None` for any other reply.
///
/// ```
/// let r = feishu_edge::HttpResponse { status: 200, headers: vec![("feishu-edge-oversized-reply".into(), "20000000".into())], ..Default::default() };
/// let e = feishu_edge::request::envelope::oversized(&r, 16 << 20).unwrap();
/// assert_eq!(e.kind(), "invalid_response");
/// assert!(e.to_string().contains("maxReplyBytes") && e.to_string().contains("16777216"));
/// ```
pub fn oversized(resp: &HttpResponse, limit: u64) -> Option<Error> {
    let seen = resp.header(OVERSIZED_REPLY)?;
    let msg = format!(
        "the reply body is larger than maxReplyBytes ({limit} bytes; {seen} bytes declared or read) and was not read further; raise the client option maxReplyBytes, or fetch files with a download"
    );
    let failure = Box::new(ApiError {
        code: None,
        msg,
        log_id: log_id(resp),
        http_status: resp.status,
        rate_limit_reset_secs: None,
    });
    Some(match (200..300).contains(&resp.status) {
        true => Error::InvalidResponse(failure),
        false => Error::Http(failure),
    })
}

/// A successful binary reply.
#[derive(Debug, Clone)]
pub struct Download {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, when sent.
    pub filename: Option<String>,
    /// `X-Tt-Logid`.
    pub log_id: Option<String>,
}

/// An envelope's `code` and `msg` (each absent or null as `None`); `None` when the body is not
/// a JSON object or they have other types.
struct Head {
    code: Option<i64>,
    msg: Option<String>,
}

impl Head {
    fn read(body: &[u8]) -> Option<Head> {
        let fields = RawFields::parse(std::str::from_utf8(body).ok()?)?;
        let present = |key| fields.get(key).filter(|raw| *raw != "null");
        Some(Head {
            code: match present("code") {
                None => None,
                Some(raw) => Some(raw.parse().ok()?),
            },
            msg: match present("msg") {
                None => None,
                Some(raw) => Some(unquote(raw)?),
            },
        })
    }
}

/// The log id of a reply.
pub fn log_id(resp: &HttpResponse) -> Option<String> {
    resp.header("x-tt-logid")
        .or_else(|| resp.header("x-request-id"))
        .map(str::to_string)
}

fn failure(resp: &HttpResponse, code: Option<i64>, msg: String) -> Box<ApiError> {
    Box::new(ApiError {
        code,
        msg,
        log_id: log_id(resp),
        http_status: resp.status,
        rate_limit_reset_secs: resp
            .header(crate::config::RATE_LIMIT_RESET_HEADER)
            .and_then(|v| v.trim().parse().ok()),
    })
}

/// A short, printable excerpt of an unusable body: at most 120 bytes, ASCII only, runs of
/// whitespace and control bytes folded into one space.
fn excerpt(body: &[u8]) -> String {
    let mut out = String::with_capacity(120);
    for &b in body {
        if out.len() >= 120 {
            break;
        }
        let c = if b.is_ascii_graphic() {
            b as char
        } else if b.is_ascii() {
            ' '
        } else {
            '?'
        };
        if !(c == ' ' && (out.is_empty() || out.ends_with(' '))) {
            out.push(c);
        }
    }
    out
}

/// Checks a JSON reply: `Ok` only for a 2xx status with an object body whose `code` is 0.
pub fn check(resp: HttpResponse) -> Result<ApiResponse> {
    settle(resp, true)
}

/// What a final JSON reply means under a caller's error contract: [`check`]'s verdict, except
/// that with `reject_api_errors` false a 2xx envelope whose `code` is not 0 is the result, not
/// an error: the official node-sdk's contract, where code written for it reads `res.code`.
/// Any other failure (a non-2xx, a body that is not an envelope) is an error either way.
///
/// ```
/// use feishu_edge::{HttpResponse, request::envelope::settle};
/// let r = |status| HttpResponse { status, body: br#"{"code":230002,"msg":"no"}"#.to_vec(), ..Default::default() };
/// assert!(settle(r(200), true).is_err());
/// assert_eq!(settle(r(200), false).unwrap().body, r(200).body);
/// assert_eq!(settle(r(400), false).unwrap_err().code(), Some(230002));
/// ```
pub fn settle(resp: HttpResponse, reject_api_errors: bool) -> Result<ApiResponse> {
    verdict(&resp, reject_api_errors)?;
    Ok(ApiResponse {
        status: resp.status,
        log_id: log_id(&resp),
        body: resp.body,
    })
}

/// [`settle`]'s verdict without taking the reply: `Ok(())` when its body is the result.
pub fn verdict(resp: &HttpResponse, reject_api_errors: bool) -> Result<()> {
    let ok_status = (200..300).contains(&resp.status);
    let starts_as_object = resp.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let head = if starts_as_object {
        Head::read(&resp.body)
    } else {
        None
    };
    match head {
        Some(Head { code, msg }) => {
            let code_value = code.unwrap_or(0);
            if code_value != 0 {
                if ok_status && !reject_api_errors {
                    return Ok(());
                }
                let msg = msg.unwrap_or_default();
                return Err(Error::Api(failure(resp, Some(code_value), msg)));
            }
            if !ok_status {
                let msg = msg.unwrap_or_else(|| format!("HTTP {}", resp.status));
                return Err(Error::Http(failure(resp, code, msg)));
            }
            Ok(())
        }
        None => {
            let what = if resp.body.is_empty() {
                "empty body".to_string()
            } else if starts_as_object {
                format!("malformed or truncated JSON ({} bytes)", resp.body.len())
            } else {
                format!("not JSON: \"{}\"", excerpt(&resp.body))
            };
            if ok_status {
                Err(Error::InvalidResponse(failure(resp, None, what)))
            } else {
                Err(Error::Http(failure(resp, None, what)))
            }
        }
    }
}

/// Checks a binary reply: bytes on a 2xx non-JSON reply, otherwise the envelope's error.
pub fn check_binary(resp: HttpResponse) -> Result<Download> {
    let content_type = resp.header("content-type").map(str::to_string);
    if is_file_reply(resp.status, content_type.as_deref()) {
        let filename = resp.header("content-disposition").and_then(filename_of);
        return Ok(Download {
            log_id: log_id(&resp),
            bytes: resp.body,
            content_type,
            filename,
        });
    }
    let log = log_id(&resp);
    let status = resp.status;
    // A JSON reply on a download endpoint is an error envelope, or a success we cannot use.
    let ok = check(resp)?;
    Err(Error::invalid_response(
        format!(
            "expected file bytes, got a JSON envelope ({} bytes)",
            ok.body.len()
        ),
        log,
        status,
    ))
}

fn filename_of(disposition: &str) -> Option<String> {
    disposition.split(';').map(str::trim).find_map(|part| {
        let value = part.strip_prefix("filename=")?;
        Some(value.trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![
                ("x-tt-logid".into(), "LOG1".into()),
                ("x-ogw-ratelimit-reset".into(), "3".into()),
            ],
            body: body.as_bytes().to_vec(),
            stream: None,
        }
    }

    #[test]
    fn success_and_api_errors() {
        assert!(check(resp(200, r#"{"code":0,"msg":"ok","data":{}}"#)).is_ok());
        assert!(check(resp(
            200,
            r#"{"code":0,"tenant_access_token":"t","expire":7200}"#
        ))
        .is_ok());
        match check(resp(400, r#"{"code":99991663,"msg":"bad token"}"#)) {
            Err(Error::Api(e)) => {
                assert_eq!(
                    (e.code, e.msg.as_str(), e.log_id.as_deref(), e.http_status),
                    (Some(99991663), "bad token", Some("LOG1"), 400)
                );
            }
            other => panic!("{other:?}"),
        }
        match check(resp(429, r#"{"code":99991400,"msg":"too many"}"#)) {
            Err(Error::Api(e)) => assert_eq!(e.rate_limit_reset_secs, Some(3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unusable_bodies_are_typed() {
        assert!(
            matches!(check(resp(502, "<html><body>Bad Gateway</body></html>")), Err(Error::Http(e)) if e.msg.contains("Bad Gateway"))
        );
        assert!(
            matches!(check(resp(200, "")), Err(Error::InvalidResponse(e)) if e.msg == "empty body")
        );
        assert!(
            matches!(check(resp(200, r#"{"code":0,"data":{"ite"#)), Err(Error::InvalidResponse(e)) if e.msg.contains("truncated"))
        );
        assert!(matches!(
            check(resp(200, "[1,\"x\"]")),
            Err(Error::InvalidResponse(_))
        ));
        assert!(matches!(
            check(resp(200, r#"{"code":"0"}"#)),
            Err(Error::InvalidResponse(_))
        ));
        assert!(matches!(check(resp(500, "")), Err(Error::Http(_))));
        assert!(check(HttpResponse {
            status: 200,
            headers: vec![],
            body: vec![0xff, 0xfe, b'{'],
            stream: None,
        })
        .is_err());
    }

    #[test]
    fn binary_replies() {
        let mut r = resp(200, "PNG..");
        r.headers.push(("content-type".into(), "image/png".into()));
        r.headers.push((
            "content-disposition".into(),
            "attachment; filename=\"a.png\"".into(),
        ));
        let d = check_binary(r).unwrap();
        assert_eq!(
            (d.bytes.as_slice(), d.filename.as_deref()),
            (&b"PNG.."[..], Some("a.png"))
        );
        let mut r = resp(404, r#"{"code":234003,"msg":"file not found"}"#);
        r.headers
            .push(("content-type".into(), "application/json".into()));
        assert!(matches!(check_binary(r), Err(Error::Api(e)) if e.code == Some(234003)));
    }

    #[test]
    fn data_decodes() {
        let r = ApiResponse {
            status: 200,
            log_id: None,
            body: br#"{"code":0,"data":{"a":[1,2]}}"#.to_vec(),
        };
        let v: serde_json::Value = r.data().unwrap();
        assert_eq!(v["a"][1], 2);
        let r = ApiResponse {
            status: 200,
            log_id: None,
            body: br#"{"code":0}"#.to_vec(),
        };
        let v: Option<u8> = r.data().unwrap();
        assert_eq!(v, None);
    }
}
