//! [`Client`]'s async methods: the loop that carries out an API call's steps (the core's
//! [`ApiCall`]) over the client's transport, clock and token store. What to send, when to
//! retry, which token to carry and when to fetch a new one are the core's; a managed token is
//! got through [`super::token::get`] (single flight).

use super::token::{apply, get, stray};
use crate::client::Client;
use crate::error::Result;
use crate::request::envelope::{self, ApiResponse, Download};
use crate::request::page::{PageOptions, Paginator};
use crate::request::ApiRequest;
use crate::token::{self, ApiCall, Input, Step, TokenKind};
use crate::transport::{HttpResponse, ResponseStream};
use std::sync::Arc;

impl Client {
    /// A valid tenant access token (per tenant for marketplace apps): the one in memory while
    /// fresh, else from the token store, else fetched (once however many callers ask at once).
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let token = client.tenant_access_token(None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn tenant_access_token(&self, tenant_key: Option<&str>) -> Result<String> {
        get(self, TokenKind::Tenant(tenant_key.map(str::to_string))).await
    }

    /// A valid app access token.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let token = client.app_access_token().await?;
    /// # Ok(()) }
    /// ```
    pub async fn app_access_token(&self) -> Result<String> {
        get(self, TokenKind::App).await
    }

    /// Stores a marketplace app's `app_ticket` (from the `app_ticket` event) for token requests.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// client.store_app_ticket("ticket-from-the-event").await?;
    /// # Ok(()) }
    /// ```
    pub async fn store_app_ticket(&self, ticket: &str) -> Result<()> {
        let op = token::app_ticket_op(&self.config().app_id, ticket);
        apply(&*self.inner.store, &op).await.map(|_| ())
    }

    /// Sends a JSON call and checks its envelope.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let reply = client.request(feishu_edge::ApiRequest::get("im/v1/chats")).await?;
    /// let data: serde_json::Value = reply.data()?;
    /// # Ok(()) }
    /// ```
    pub async fn request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let resp = self.execute(req, false).await?;
        envelope::check(resp)
    }

    /// Sends a call whose success is raw bytes (on failure the JSON envelope becomes the error).
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let file = client.download(feishu_edge::ApiRequest::get("im/v1/files/file_1")).await?;
    /// println!("{} bytes", file.bytes.len());
    /// # Ok(()) }
    /// ```
    pub async fn download(&self, req: ApiRequest) -> Result<Download> {
        let resp = self.execute(req, false).await?;
        envelope::check_binary(resp)
    }

    /// [`Client::download`], leaving a file reply's body unread where the transport streams
    /// (`fetch`): the same pipeline (token, timeout until the headers, token refresh and retries
    /// while the reply is an error), then the body as a stream. With a transport that reads
    /// bodies whole, the bytes are in the [`Download`] and the stream is `None`.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let req = feishu_edge::ApiRequest::get("im/v1/files/file_1");
    /// let (file, stream) = client.download_stream(req).await?;
    /// assert!(stream.is_some() || !file.bytes.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn download_stream(
        &self,
        req: ApiRequest,
    ) -> Result<(Download, Option<ResponseStream>)> {
        let mut resp = self.execute(req, true).await?;
        let stream = resp.stream.take();
        Ok((envelope::check_binary(resp)?, stream))
    }

    /// Walks a paginated endpoint.
    ///
    /// ```no_run
    /// # async fn demo(client: feishu_edge::Client) -> feishu_edge::Result<()> {
    /// let req = feishu_edge::ApiRequest::get("im/v1/chats");
    /// let pages = client.paginate(req, Default::default());
    /// let chats: Vec<serde_json::Value> = pages.collect_all().await?;
    /// # Ok(()) }
    /// ```
    pub fn paginate(&self, req: ApiRequest, options: PageOptions) -> Paginator {
        Paginator::new(Arc::new(self.clone()), req, options)
    }

    /// Runs a call up to a reply that is not retried: the core's [`ApiCall`], its steps
    /// carried out over the client's transport, clock and store. (The npm package drives the
    /// same machine from JS, which performs the `fetch`, the waits and the store calls itself.)
    async fn execute(&self, req: ApiRequest, stream: bool) -> Result<HttpResponse> {
        let mut call =
            self.with_env(|env, _| ApiCall::begin(env, self.user_token(), req, stream))?;
        let mut input = Input::Next;
        loop {
            let step = self.with_env(|env, tokens| call.step(env, tokens, input));
            input = match step {
                Step::Send(http) => Input::Sent(self.inner.transport.send(http).await),
                Step::Wait(ms) => {
                    self.inner.runtime.sleep(ms).await;
                    Input::Next
                }
                Step::Store(op) => Input::Stored(apply(&*self.inner.store, &op).await),
                Step::Token(kind) => Input::Token(get(self, kind).await?),
                Step::Reply(resp) => return Ok(resp),
                Step::Fail(error) | Step::Rejected(error, _) => return Err(error),
                Step::Exchange(_) | Step::Done(_) => return Err(stray("a token fetch's step")),
            };
        }
    }
}

impl token::TokenHost for Client {
    fn config(&self) -> &crate::Config {
        &self.inner.config
    }
    fn store(&self) -> &Arc<dyn crate::TokenStore> {
        &self.inner.store
    }
    fn runtime(&self) -> &Arc<dyn crate::Runtime> {
        &self.inner.runtime
    }
    fn logger(&self) -> &Arc<dyn crate::Logger> {
        &self.inner.logger
    }
    fn tokens(&self) -> &token::TokenCache {
        &self.inner.tokens
    }
    fn call(&self, req: ApiRequest) -> crate::runtime::BoxFuture<'_, Result<ApiResponse>> {
        Box::pin(self.request(req))
    }
    fn handle(&self) -> Arc<dyn token::TokenHost> {
        Arc::new(self.clone())
    }
}

impl crate::request::Caller for Client {
    fn call(&self, req: ApiRequest) -> crate::runtime::BoxFuture<'_, Result<ApiResponse>> {
        Box::pin(self.request(req))
    }
}

impl crate::webhook::dispatch::AppTicketSink for Client {
    fn app_id(&self) -> &str {
        &self.config().app_id
    }
    fn store_app_ticket<'a>(
        &'a self,
        ticket: &'a str,
    ) -> crate::runtime::BoxFuture<'a, Result<()>> {
        Box::pin(Client::store_app_ticket(self, ticket))
    }
}

#[cfg(test)]
mod tests {
    use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};
    use crate::{ApiRequest, Client, Config, Error};
    use std::sync::Arc;

    struct NoTransport;
    impl Transport for NoTransport {
        fn send(
            &self,
            _: HttpRequest,
        ) -> crate::runtime::BoxFuture<'_, std::result::Result<HttpResponse, TransportError>>
        {
            Box::pin(std::future::pending())
        }
    }

    /// A tokio server shares one client across tasks: the client, its error and the futures
    /// of its calls are `Send` (checked by the compiler; the test only has to build).
    #[test]
    fn the_client_and_its_futures_are_send_and_sync() {
        fn send_sync<T: Send + Sync + 'static>(_: &T) {}
        fn send<T: Send>(_: T) {}
        let client = Client::builder(Config::new("cli_a", "secret"))
            .transport(Arc::new(NoTransport))
            .build()
            .unwrap();
        send_sync(&client);
        send_sync(&Error::InvalidRequest(String::new()));
        send(client.request(ApiRequest::get("im/v1/chats")));
        send(client.tenant_access_token(None));
        send(client.download(ApiRequest::get("im/v1/files/f")));
        let pages = client.paginate(ApiRequest::get("im/v1/chats"), Default::default());
        send(pages.collect_all::<serde_json::Value>());
    }

    /// Natively a client needs a transport, or the `reqwest` feature, which brings one (and
    /// tokio's clock): the error without either says so.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn natively_the_reqwest_feature_is_the_default_transport() {
        let built = Client::builder(Config::new("cli_a", "secret")).build();
        #[cfg(feature = "reqwest")]
        assert!(built.is_ok());
        #[cfg(not(feature = "reqwest"))]
        assert!(
            matches!(&built, Err(Error::Config(m)) if m.contains("`reqwest` feature")),
            "{:?}",
            built.err()
        );
    }
}
