//! A Feishu / Lark bot's event URL on axum: `POST /webhook/event`, verified, decrypted and
//! de-duplicated by feishu-edge's `EventDispatcher`. Env: FEISHU_ENCRYPT_KEY,
//! FEISHU_VERIFICATION_TOKEN, PORT (0 picks a free one), HOST (default 127.0.0.1).
use axum::{body::Body, body::Bytes, extract::State, http::request::Parts, http::Request};
use axum::{http::Response, routing::post, Router};
use feishu_edge::webhook::{self, EventDispatcher, WebhookConfig};
use feishu_edge::Error;
use std::sync::Arc;

/// The text of a text message (its `content` is JSON in a string).
fn text_of(event: &webhook::Event) -> Option<String> {
    let data: serde_json::Value = serde_json::from_str(&event.payload).ok()?;
    let content: serde_json::Value =
        serde_json::from_str(data["message"]["content"].as_str()?).ok()?;
    Some(content["text"].as_str()?.to_string())
}

async fn webhook(
    State(d): State<Arc<EventDispatcher>>,
    parts: Parts,
    body: Bytes,
) -> Response<Body> {
    d.handle(Request::from_parts(parts, body))
        .await
        .map(Body::from)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let config = WebhookConfig::new()
        .encrypt_key(&env("FEISHU_ENCRYPT_KEY"))
        .verification_token(&env("FEISHU_VERIFICATION_TOKEN"));
    let dispatcher = EventDispatcher::new(config)?.on(
        "im.message.receive_v1",
        |event: webhook::Event| async move {
            let text = text_of(&event).unwrap_or_default();
            println!(
                "message {}: {text}",
                event.event_id.as_deref().unwrap_or("-")
            );
            Ok::<(), Error>(())
        },
    );
    let app = Router::new()
        .route("/webhook/event", post(webhook))
        .with_state(Arc::new(dispatcher));
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
