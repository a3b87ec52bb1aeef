//! A Feishu / Lark bot as a Rust Worker on the `worker` crate: `POST /webhook` takes the
//! platform's events, verified (signature, timestamp) and decrypted by feishu-edge's core, and
//! answers each message in its chat through the core's `Client` on `worker::Fetch`.
use feishu_edge::api::helpers::send_message;
use feishu_edge::webhook::{Delivery, Event, EventHandler, HandlerFailure, HandlerResult, Headers};
use feishu_edge::{webhook::WebhookConfig, Client, Config};
use seams::{Bot, BoxFuture};
use std::{cell::OnceCell, rc::Rc};
use worker::{event, Context, Env, Request, Response, Result};

mod seams;

thread_local! {
    // One bot per isolate: its tenant token and the event ids it saw outlive a request.
    static BOT: OnceCell<Rc<Bot>> = const { OnceCell::new() };
}

fn bot(env: &Env) -> feishu_edge::Result<Rc<Bot>> {
    if let Some(bot) = BOT.with(|b| b.get().cloned()) {
        return Ok(bot);
    }
    let var = |name: &str| env.var(name).map(|v| v.to_string()).unwrap_or_default();
    let mut config = Config::new(var("FEISHU_APP_ID"), var("FEISHU_APP_SECRET"));
    if !var("FEISHU_BASE_URL").is_empty() {
        config = config.base_url(&var("FEISHU_BASE_URL"))?; // the emulator, in the tests
    }
    config.timeout_ms = var("FEISHU_TIMEOUT_MS").parse().ok().or(config.timeout_ms);
    let (key, token) = (var("FEISHU_ENCRYPT_KEY"), var("FEISHU_VERIFICATION_TOKEN"));
    let keys = WebhookConfig::new().encrypt_key(&key);
    let bot = Bot::new(config, keys.verification_token(&token))?;
    Ok(BOT.with(|b| b.get_or_init(|| Rc::new(bot)).clone()))
}

/// Answers a message in its chat with what it said.
struct Echo(Client);

impl EventHandler for Echo {
    fn handles(&self, event: &Event) -> bool {
        event.event_type == "im.message.receive_v1"
    }
    fn call(&self, event: &Event) -> BoxFuture<'static, HandlerResult> {
        let (client, payload) = (self.0.clone(), event.payload.clone());
        Box::pin(async move {
            let event: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            let field = |at: &str| event.pointer(at).and_then(|v| v.as_str()).unwrap_or("");
            let content: serde_json::Value =
                serde_json::from_str(field("/message/content")).unwrap_or_default();
            let said = match content["text"].as_str() {
                Some(text) => format!("You said: {text}"),
                None => "I read text messages only".to_string(),
            };
            let text = serde_json::Value::from(said).to_string();
            // The message id as the send's uuid: a retried send cannot post twice.
            let uuid = Some(field("/message/message_id"));
            match send_message(&client, field("/message/chat_id"), &text, uuid).await {
                Ok(_) => Ok(None),
                Err(e) => Err(HandlerFailure::failed(e.to_string())),
            }
        })
    }
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    if req.method() != worker::Method::Post || req.path() != "/webhook" {
        return Response::error("not found", 404);
    }
    let bot = match bot(&env) {
        Ok(bot) => bot,
        Err(e) => return Response::error(e.to_string(), 500), // names the missing setting
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let headers = Headers {
        timestamp: header("x-lark-request-timestamp"),
        nonce: header("x-lark-request-nonce"),
        signature: header("x-lark-signature"),
        content_type: header("content-type"),
    };
    let body = req.bytes().await?;
    // Acknowledged at once (the platform redelivers after 3 s); the answer goes out past it.
    let defer = |work| ctx.wait_until(work);
    let Bot { client, dispatcher } = &*bot;
    let (echo, delivery) = (Echo(client.clone()), Delivery::Defer(&defer));
    let reply = dispatcher.invoke(&body, &headers, &echo, delivery).await;
    let mut res = Response::ok(reply.body)?.with_status(reply.status);
    res.headers_mut().set("content-type", "application/json")?;
    Ok(res)
}
