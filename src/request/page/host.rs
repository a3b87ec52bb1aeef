//! [`Paginator`]: a [`PagePlan`] and the [`Caller`] its pages go through (a driver file: the
//! plan decides, `src/drive/page.rs` awaits the caller).

use super::{PageOptions, PagePlan};
use crate::request::{ApiRequest, Caller};
use std::sync::Arc;

/// Walks a paginated endpoint page by page: a [`PagePlan`] and the caller its pages go through
/// (`next_page` and `collect_all` are run by the async driver).
///
/// ```no_run
/// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
/// use feishu_edge::{ApiRequest, request::PageOptions};
/// let mut pages = client.paginate(ApiRequest::get("im/v1/chats"), PageOptions { page_size: Some(50), ..Default::default() });
/// while let Some(items) = pages.next_page().await? {
///     for chat in items { println!("{chat}"); }
/// }
/// # Ok(()) }
/// ```
pub struct Paginator {
    pub(crate) caller: Arc<dyn Caller>,
    pub(crate) plan: PagePlan,
}

impl Paginator {
    /// Walks `request`'s pages through `caller` (a [`crate::Client`], or any [`Caller`]).
    pub fn new(caller: Arc<dyn Caller>, request: ApiRequest, options: PageOptions) -> Paginator {
        Paginator {
            caller,
            plan: PagePlan::new(request, options),
        }
    }

    /// The last page's whole `data` (minus paging fields), when `keep_data` was set.
    pub fn page_data(&mut self) -> Option<String> {
        self.plan.page_data()
    }
}
