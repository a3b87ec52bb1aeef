//! Runs a [`Paginator`]: sends the plan's next request through the caller and hands the reply
//! back. Every decision (the request, the stop rules, `max_items`) is the plan's.

use crate::error::Result;
use crate::request::page::{decode_items, Paginator};

impl Paginator {
    /// The next page's items; `None` once the pages (or `max_items`) are exhausted.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let mut pages = client.paginate(feishu_edge::ApiRequest::get("im/v1/chats"), Default::default());
    /// while let Some(items) = pages.next_page().await? {
    ///     println!("{} chats", items.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_page(&mut self) -> Result<Option<Vec<String>>> {
        let Some(req) = self.plan.next_request() else {
            return Ok(None);
        };
        let resp = self.caller.call(req).await?;
        self.plan.on_reply(&resp).map(Some)
    }

    /// Every remaining item, decoded.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let chats: Vec<serde_json::Value> =
    ///     client.paginate(feishu_edge::ApiRequest::get("im/v1/chats"), Default::default()).collect_all().await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect_all<T: serde::de::DeserializeOwned>(mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(items) = self.next_page().await? {
            out.extend(decode_items::<T>(items)?);
        }
        Ok(out)
    }
}
