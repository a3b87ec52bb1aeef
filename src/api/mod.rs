//! The Open API catalog: every method of the platform as a typed [`Endpoint`] (generated from
//! `catalog/open-api-endpoints.tsv`), usable with the core request API.
//!
//! ```
//! use feishu_edge::api::{self, generated::IM_V1_MESSAGE_REPLY};
//! let req = IM_V1_MESSAGE_REPLY.request().path_param("message_id", "om_1").json_str("{}");
//! assert_eq!(req.url("https://h/open-apis/").unwrap(), "https://h/open-apis/im/v1/messages/om_1/reply");
//! assert_eq!(api::generated::ALL.len(), 1680);
//! assert!(api::find("drive.v1.file.list").unwrap().paginated);
//! ```

#[rustfmt::skip]
pub mod generated;
pub mod call;
pub mod helpers;
pub mod oauth;
pub mod registration;

use crate::request::ApiRequest;
use crate::transport::Method;

/// What a method's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// JSON.
    Json,
    /// `multipart/form-data`.
    Multipart,
}

/// What a method answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// The JSON envelope.
    Json,
    /// Raw bytes on success (the envelope on failure): use `Client::download`.
    Binary,
}

/// One Open API method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `namespace.version.resource.method`, as on the official SDKs' clients.
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template under `/open-apis/`, with `{param}` placeholders.
    pub path: &'static str,
    /// Whether it pages with `page_token` / `has_more`.
    pub paginated: bool,
    /// Request body kind.
    pub body: BodyKind,
    /// Response kind.
    pub response: ResponseKind,
}

impl Endpoint {
    /// A request for this method (tenant token, no parameters yet).
    pub fn request(&self) -> ApiRequest {
        ApiRequest::new(self.method, self.path)
    }
    /// The names of the path parameters, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
    }
}

/// Looks an endpoint up by its dotted name.
pub fn find(name: &str) -> Option<&'static Endpoint> {
    generated::ALL
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .and_then(|i| generated::ALL.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_builds_a_request() {
        assert_eq!(generated::ALL.len(), 1680);
        assert!(
            generated::ALL.windows(2).all(|w| w[0].name < w[1].name),
            "sorted for binary search"
        );
        for e in generated::ALL {
            let mut req = e.request();
            for p in e.path_params() {
                req = req.path_param(p, "x y");
            }
            let url = req
                .url("https://h/open-apis/")
                .unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert!(
                !url.contains('{') && url.starts_with("https://h/open-apis/"),
                "{}: {url}",
                e.name
            );
            assert_eq!(find(e.name), Some(e));
        }
        assert_eq!(generated::IM_V1_MESSAGE_CREATE.method, Method::Post);
        assert_eq!(
            generated::DRIVE_V1_FILE_DOWNLOAD.response,
            ResponseKind::Binary
        );
        assert_eq!(generated::IM_V1_IMAGE_CREATE.body, BodyKind::Multipart);
        assert_eq!(find("no.such.thing.here"), None);
    }
}
