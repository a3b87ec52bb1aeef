//! feishu-edge's seams on workers-rs, the one place this example touches them: the
//! `Transport` on `worker::Fetch`, the `Runtime` on the JS clock and timers, a console logger.
use feishu_edge::crypto::RustCrypto;
use feishu_edge::webhook::{Dispatcher, Flow, WebhookConfig};
use feishu_edge::{Body, Client, Config, HttpRequest, HttpResponse, Level, Logger, MemoryStore};
use feishu_edge::{Runtime, Transport, TransportError};
use std::{sync::Arc, time::Duration};
use worker::{AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

pub use feishu_edge::runtime::BoxFuture;

/// The API client and the webhook dispatcher, on this runtime.
pub struct Bot {
    pub client: Client,
    pub dispatcher: Dispatcher,
}

impl Bot {
    pub fn new(config: Config, webhook: WebhookConfig) -> feishu_edge::Result<Bot> {
        let (runtime, logger) = (Arc::new(JsRuntime), Arc::new(Console));
        let client = Client::builder(config)
            .transport(Arc::new(FetchTransport))
            .runtime(runtime.clone())
            .logger(logger.clone())
            .build()?;
        let dispatcher = Dispatcher::new(webhook, Flow::Event, runtime.clone())?
            .crypto(Arc::new(RustCrypto))
            .logger(logger);
        // Redeliveries of an event this isolate saw are acknowledged, not answered twice.
        let dispatcher = dispatcher.dedupe(Arc::new(MemoryStore::new(runtime)));
        Ok(Bot { client, dispatcher })
    }
}

/// `fetch` as the core wants it: every reply is `Ok` whatever its status, redirects are handed
/// back (the core refuses them, so a token never follows one), `timeout_ms` aborts the request.
struct FetchTransport;

impl Transport for FetchTransport {
    fn send(&self, req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let network = |e: worker::Error| TransportError::Network(e.to_string());
            let headers = Headers::new();
            for (name, value) in &req.headers {
                headers.set(name, value).map_err(network)?;
            }
            let body = match &req.body {
                Body::Empty => None,
                Body::Json(json) => {
                    headers
                        .set("content-type", "application/json; charset=utf-8")
                        .map_err(network)?;
                    Some(json.as_ref().into())
                }
                Body::Multipart(_) => {
                    return Err(TransportError::Network(
                        "this example sends no uploads".into(),
                    ))
                }
            };
            let method = Method::from(req.method.as_str().to_string());
            let init = RequestInit {
                method,
                headers,
                body,
                redirect: worker::RequestRedirect::Manual,
                ..Default::default()
            };
            let request = Request::new_with_init(&req.url, &init).map_err(network)?;
            let abort = AbortController::default();
            let signal = abort.signal();
            let exchange = async move {
                let mut res = Fetch::Request(request).send_with_signal(&signal).await?;
                let headers = res.headers().entries().collect();
                Ok::<_, worker::Error>(HttpResponse {
                    status: res.status_code(),
                    headers,
                    body: res.bytes().await?,
                    stream: None,
                })
            };
            let ms = req.timeout_ms.unwrap_or(0);
            match feishu_edge::runtime::within(&JsRuntime, ms, Box::pin(exchange)).await {
                Some(done) => done.map_err(network),
                None => {
                    abort.abort();
                    Err(TransportError::Timeout(ms))
                }
            }
        })
    }
}

/// `Date.now()`, `setTimeout` (`worker::Delay`) and `Math.random()`.
struct JsRuntime;

impl Runtime for JsRuntime {
    fn now_ms(&self) -> u64 {
        Date::now().as_millis()
    }
    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        Box::pin(Delay::from(Duration::from_millis(ms.min(i32::MAX as u64))))
    }
    fn jitter(&self) -> f64 {
        worker::js_sys::Math::random()
    }
}

/// Warnings and errors to the Worker's log (the core never puts a secret or a body in a line).
struct Console;

impl Logger for Console {
    fn enabled(&self, level: Level) -> bool {
        level >= Level::Warn
    }
    fn log(&self, level: Level, message: &str) {
        worker::console_log!("feishu-edge {}: {message}", level.as_str());
    }
}
