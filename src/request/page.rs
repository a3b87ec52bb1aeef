//! Pagination over `page_token` / `has_more`: the page plan ([`PagePlan`], sans-IO) and the
//! [`Paginator`] a client hands out (its `next_page` / `collect_all` run in the async driver).

use super::{ApiRequest, ApiResponse};
use crate::error::{Error, Result};
use crate::json::RawFields;

/// How to walk the pages.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// Field of `data` holding the items; by default `items`, or the only array in `data`.
    pub items_key: Option<String>,
    /// `page_size` sent with each request.
    pub page_size: Option<u32>,
    /// Stop after this many items.
    pub max_items: Option<u64>,
    /// Keep each page's whole `data` (see [`Paginator::page_data`]).
    pub keep_data: bool,
}

/// One page's items (raw JSON, not yet decoded) and where to go next.
#[derive(Debug)]
pub struct Page {
    /// The items, each a JSON text.
    pub items: Vec<String>,
    /// The token of the next page, if there is one.
    pub next_token: Option<String>,
    /// The page's whole `data` without `has_more` / `page_token` / `next_page_token`, as JSON
    /// (only when asked for: the official SDKs' page iterators yield it).
    pub data: Option<String>,
}

/// Reads one page from an envelope body. Stops (no `next_token`) when `has_more` is false or
/// the token is missing or empty, whatever `has_more` says.
pub fn parse_page(body: &[u8], items_key: Option<&str>) -> std::result::Result<Page, String> {
    parse_page_with(body, items_key, false)
}

/// [`parse_page`], also keeping the page's `data` (minus paging fields) when `keep_data`.
pub fn parse_page_with(
    body: &[u8],
    items_key: Option<&str>,
    keep_data: bool,
) -> std::result::Result<Page, String> {
    let envelope = std::str::from_utf8(body)
        .ok()
        .and_then(RawFields::parse)
        .ok_or("page is not an envelope (a JSON object)")?;
    let data = match envelope.get("data").filter(|d| *d != "null") {
        Some(raw) => RawFields::parse(raw).ok_or("page `data` is not an object")?,
        None => RawFields::default(),
    };
    let get = |key: &str| data.get(key);
    let has_more = match get("has_more") {
        None | Some("false" | "null") => false,
        Some("true") => true,
        Some(other) => return Err(format!("has_more is not a boolean: {other}")),
    };
    let token = ["page_token", "next_page_token"]
        .iter()
        .filter_map(|k| get(k))
        .find_map(crate::json::unquote)
        .filter(|t| !t.is_empty());
    let key = match items_key {
        Some(k) => Some(k),
        None if get("items").is_some() => Some("items"),
        None => {
            let mut arrays = data.0.iter().filter(|(_, v)| v.starts_with('['));
            match (arrays.next(), arrays.next()) {
                (Some((k, _)), None) => Some(k.as_ref()),
                _ => None,
            }
        }
    };
    let items = match key.and_then(get).filter(|raw| *raw != "null") {
        Some(raw) => crate::json::raw_items(raw)
            .ok_or("items are not an array")?
            .into_iter()
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    let data = keep_data.then(|| {
        let mut w = crate::json::ObjectWriter::default();
        w.fields(&data, &["has_more", "page_token", "next_page_token"]);
        w.finish()
    });
    Ok(Page {
        items,
        next_token: if has_more { token } else { None },
        data,
    })
}

/// The page plan, sans-IO: which request fetches the next page (the caller's `page_size` kept
/// unless [`PageOptions::page_size`] replaces it, the last reply's `page_token`), and when the
/// walk stops (no more pages, a token seen before, `max_items` reached). It sends nothing: a
/// driver sends [`PagePlan::next_request`] and hands the reply to [`PagePlan::on_reply`]
/// ([`Paginator`] does, through a client).
///
/// ```
/// use feishu_edge::request::page::PagePlan;
/// use feishu_edge::request::PageOptions;
/// use feishu_edge::{ApiRequest, ApiResponse};
/// let mut plan = PagePlan::new(ApiRequest::get("im/v1/chats"), PageOptions { page_size: Some(2), ..Default::default() });
/// let first = plan.next_request().unwrap();
/// assert_eq!(first.query, vec![("page_size".to_string(), "2".to_string())]);
/// let reply = ApiResponse { status: 200, log_id: None,
///     body: br#"{"code":0,"data":{"has_more":true,"page_token":"p2","items":[1,2]}}"#.to_vec() };
/// assert_eq!(plan.on_reply(&reply).unwrap(), vec!["1", "2"]);
/// assert!(plan.next_request().unwrap().query.contains(&("page_token".to_string(), "p2".to_string())));
/// ```
#[derive(Debug, Clone)]
pub struct PagePlan {
    request: ApiRequest,
    options: PageOptions,
    next_token: Option<String>,
    seen_tokens: Vec<String>,
    yielded: u64,
    done: bool,
    page_data: Option<String>,
}

impl PagePlan {
    /// A walk over `request`'s pages.
    pub fn new(request: ApiRequest, options: PageOptions) -> PagePlan {
        PagePlan {
            request,
            options,
            next_token: None,
            seen_tokens: Vec::new(),
            yielded: 0,
            done: false,
            page_data: None,
        }
    }

    /// The request of the next page; `None` once the pages (or `max_items`) are exhausted. A
    /// failed send may be retried by asking again: nothing advances until [`PagePlan::on_reply`].
    pub fn next_request(&mut self) -> Option<ApiRequest> {
        if self.done || self.options.max_items.is_some_and(|m| self.yielded >= m) {
            self.done = true;
            return None;
        }
        let mut req = self.request.clone();
        // The caller's own page_size stays unless the page_size option replaces it.
        let replace_size = self.options.page_size.is_some();
        req.query
            .retain(|(k, _)| k != "page_token" && !(replace_size && k == "page_size"));
        if let Some(size) = self.options.page_size {
            req.query.push(("page_size".into(), size.to_string()));
        }
        if let Some(token) = &self.next_token {
            req.query.push(("page_token".into(), token.clone()));
        }
        Some(req)
    }

    /// Reads the reply to [`PagePlan::next_request`]: the page's items (cut at `max_items`),
    /// and where to go next. A reply that is not a page fails, naming what is wrong, and the
    /// plan stays where it was.
    pub fn on_reply(&mut self, resp: &ApiResponse) -> Result<Vec<String>> {
        let page = parse_page_with(
            &resp.body,
            self.options.items_key.as_deref(),
            self.options.keep_data,
        )
        .map_err(|msg| Error::invalid_response(msg, resp.log_id.clone(), resp.status))?;
        self.page_data = page.data;
        let mut items = page.items;
        if let Some(max) = self.options.max_items {
            items.truncate(usize::try_from(max.saturating_sub(self.yielded)).unwrap_or(usize::MAX));
        }
        self.yielded += items.len() as u64;
        match page.next_token {
            // A token seen before would loop forever: stop instead.
            Some(t) if !self.seen_tokens.contains(&t) => {
                self.seen_tokens.push(t.clone());
                self.next_token = Some(t);
            }
            _ => self.done = true,
        }
        Ok(items)
    }

    /// The last page's whole `data` (minus paging fields), when `keep_data` was set.
    pub fn page_data(&mut self) -> Option<String> {
        self.page_data.take()
    }
}

/// Decodes a page's items (JSON texts) into `T`; an item that does not decode fails, saying why.
///
/// ```
/// let ids: Vec<u32> = feishu_edge::request::page::decode_items(vec!["1".into(), "2".into()]).unwrap();
/// assert_eq!(ids, [1, 2]);
/// assert!(feishu_edge::request::page::decode_items::<u32>(vec!["\"x\"".into()]).is_err());
/// ```
pub fn decode_items<T: serde::de::DeserializeOwned>(items: Vec<String>) -> Result<Vec<T>> {
    items
        .iter()
        .map(|raw| {
            serde_json::from_str(raw).map_err(|e| {
                Error::invalid_response(format!("item does not decode: {e}"), None, 200)
            })
        })
        .collect()
}

/// The walker that holds the caller (a driver file).
mod host;
pub use host::Paginator;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_stop_rules() {
        let p = parse_page(
            br#"{"code":0,"data":{"has_more":true,"page_token":"n2","items":[{"a":1},2]}}"#,
            None,
        )
        .unwrap();
        assert_eq!((p.items.len(), p.next_token.as_deref()), (2, Some("n2")));
        let p = parse_page(
            br#"{"code":0,"data":{"has_more":false,"page_token":"n2","items":[]}}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.next_token, None);
        let p = parse_page(
            br#"{"code":0,"data":{"has_more":true,"page_token":"","items":[1]}}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            p.next_token, None,
            "empty token ends the walk whatever has_more says"
        );
        let p = parse_page(
            br#"{"code":0,"data":{"has_more":true,"page_token":"x","calendar_list":[1,2,3]}}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.items.len(), 3, "the only array is the items");
        let p = parse_page(
            br#"{"code":0,"data":{"has_more":null,"a":[1],"b":[2]}}"#,
            Some("b"),
        )
        .unwrap();
        assert_eq!(p.items[0], "2");
        assert!(parse_page(br#"{"code":0,"data":{"items":{}}}"#, None).is_err());
        assert!(parse_page(b"nope", None).is_err());
        assert_eq!(parse_page(br#"{"code":0}"#, None).unwrap().items.len(), 0);
    }

    fn reply(body: &str) -> ApiResponse {
        ApiResponse {
            status: 200,
            log_id: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_plan_walks_stops_and_cuts() {
        let opts = PageOptions {
            page_size: Some(2),
            max_items: Some(3),
            ..Default::default()
        };
        let req = ApiRequest::get("x")
            .query("page_size", "9")
            .query("page_token", "stale")
            .query("a", "1");
        let mut plan = PagePlan::new(req, opts);
        let first = plan.next_request().unwrap();
        assert_eq!(
            first.query,
            vec![("a".into(), "1".into()), ("page_size".into(), "2".into())]
        );
        // A failed send: the same request again.
        assert_eq!(plan.next_request().unwrap().query, first.query);
        let page = r#"{"code":0,"data":{"has_more":true,"page_token":"t2","items":[1,2]}}"#;
        assert_eq!(plan.on_reply(&reply(page)).unwrap(), ["1", "2"]);
        assert!(plan
            .next_request()
            .unwrap()
            .query
            .contains(&("page_token".into(), "t2".into())));
        // Not a page: an error, and the plan stays.
        assert!(plan.on_reply(&reply("<html>")).is_err());
        let page = r#"{"code":0,"data":{"has_more":true,"page_token":"t3","items":[3,4]}}"#;
        assert_eq!(
            plan.on_reply(&reply(page)).unwrap(),
            ["3"],
            "cut at max_items"
        );
        assert!(plan.next_request().is_none(), "max_items reached");

        let mut plan = PagePlan::new(ApiRequest::get("x"), PageOptions::default());
        plan.next_request().unwrap();
        let page = r#"{"code":0,"data":{"has_more":true,"page_token":"t","items":[1]}}"#;
        plan.on_reply(&reply(page)).unwrap();
        plan.next_request().unwrap();
        plan.on_reply(&reply(page)).unwrap();
        assert!(
            plan.next_request().is_none(),
            "a token seen before stops the walk"
        );
    }
}
