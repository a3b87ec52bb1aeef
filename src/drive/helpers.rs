//! Runs the task-level helpers: sends the request the core built and hands the reply to the
//! core's reader (`api::helpers`, `api::helpers::run`). Nothing here decides.

use crate::api::helpers::{prepare_download, prepare_json, prepare_upload};
use crate::api::helpers::{BotSign, BotWebhookPost, ClientCall};
use crate::error::Result;
use crate::runtime::BoxFuture;
use crate::{ApiResponse, Client, Download};
use std::future::IntoFuture;

impl Client {
    /// Runs a task-level helper by name (`contact.getUser`, `calendar.createEvent`…, see
    /// [`HELPERS`](crate::api::helpers::HELPERS)) with its arguments as a JSON array (as the JS
    /// helper takes them); resolves to its result as JSON text. Paging helpers are
    /// [`Client::helper_pages`], files [`Client::helper_download`].
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let user = client.helper("contact.getUser", r#"["ou_1"]"#).await?; // {"name":…}
    /// let event = client
    ///     .helper("calendar.createEvent", r#"["cal_1", {"summary": "Standup"}]"#)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn helper(&self, name: &str, args_json: &str) -> Result<String> {
        let prepared = prepare_json(name, args_json)?;
        let reply = self.request(prepared.request.clone()).await?;
        prepared.result(&reply.body)
    }

    /// A file helper's bytes (`drive.downloadFile`, `im.downloadResource`, `board.exportImage`).
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let file = client.helper_download("drive.downloadFile", r#"["box_1"]"#).await?;
    /// println!("{} bytes", file.bytes.len());
    /// # Ok(()) }
    /// ```
    pub async fn helper_download(&self, name: &str, args_json: &str) -> Result<Download> {
        let request = prepare_download(name, args_json)?;
        self.download(request).await
    }

    /// An upload helper (`im.uploadImage`, `im.uploadFile`) with its file's bytes; the JSON
    /// arguments hold `null` where the JS helper takes the bytes. Resolves to the result (the
    /// new key) as JSON text.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client, png: Vec<u8>, pdf: Vec<u8>) -> feishu_edge::Result<()> {
    /// let key = client.helper_upload("im.uploadImage", "[null]", png).await?; // "\"img_v3_…\""
    /// let key = client
    ///     .helper_upload("im.uploadFile", r#"[null, "report.pdf", {"fileType": "pdf"}]"#, pdf)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn helper_upload(
        &self,
        name: &str,
        args_json: &str,
        bytes: impl Into<std::sync::Arc<[u8]>>,
    ) -> Result<String> {
        let prepared = prepare_upload(name, args_json, bytes.into())?;
        let reply = self.request(prepared.request.clone()).await?;
        prepared.result(&reply.body)
    }
}

impl<'a> IntoFuture for BotSign<'a> {
    type Output = Result<String>;
    type IntoFuture = BoxFuture<'a, Result<String>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let mac = self.crypto.hmac_sha256(self.key.as_bytes(), b"").await;
            BotSign::finish(mac)
        })
    }
}

impl<'a> IntoFuture for BotWebhookPost<'a> {
    type Output = Result<ApiResponse>;
    type IntoFuture = BoxFuture<'a, Result<ApiResponse>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let sent = self.transport.send(self.request?).await;
            BotWebhookPost::read(sent)
        })
    }
}

impl<'a> IntoFuture for ClientCall<'a> {
    type Output = Result<ApiResponse>;
    type IntoFuture = BoxFuture<'a, Result<ApiResponse>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.client.request(self.request?).await })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use crate::{ApiRequest, Client};
    use std::future::IntoFuture;

    fn is_send<T: Send>(_: &T) {}

    /// Never run: it only has to compile, proving the driver's futures are `Send` natively (a
    /// tokio server spawns them).
    #[allow(dead_code)]
    fn the_conveniences_run_as_send_futures(
        client: &Client,
        source: &dyn crate::card::stream::ChunkSource,
    ) {
        is_send(&client.helper("contact.getUser", "[]"));
        is_send(&client.helper_download("drive.downloadFile", "[]"));
        is_send(&client.helper_upload("im.uploadImage", "[null]", vec![1u8]));
        let mut pages = client.paginate(ApiRequest::get("x"), Default::default());
        is_send(&pages.next_page());
        is_send(
            &client
                .paginate(ApiRequest::get("x"), Default::default())
                .collect_all::<u8>(),
        );
        is_send(&crate::api::helpers::send_message(client, "oc_1", "\"hi\"", None).into_future());
        is_send(&crate::api::oauth::user_access_token(client, "ou_1").into_future());
        let opts = crate::card::stream::StreamOptions::default();
        let stream = crate::card::stream::stream_card(client, &**client.runtime(), source, &opts);
        is_send(&stream.into_future());
    }
}
