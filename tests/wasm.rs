//! wasm-only code under wasm-bindgen-test in Node: the fetch transport (against the emulator at
//! `EMU_URL`), the KV-shaped store adapter, error conversion and timers.
#![cfg(target_arch = "wasm32")]

use feishu_edge::js::fetch::FetchTransport;
use feishu_edge::js::runtime::JsRuntime;
use feishu_edge::js::store::JsKvStore;
use feishu_edge::{
    Body, Error, HttpRequest, Method, Runtime, TokenStore, Transport, TransportError,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
export function emu_url() { return globalThis.process?.env?.EMU_URL ?? ''; }
export function make_kv() {
  const map = new Map();
  return { map, calls: [], get(k) { this.calls.push('get'); return map.get(k) ?? null; },
           async put(k, v, o) { this.calls.push('put:' + JSON.stringify(o)); map.set(k, v); },
           async delete(k) { this.calls.push('delete'); map.delete(k); } };
}
export function throwing_kv() { return { get() { throw new TypeError('kv down'); }, put() { return Promise.reject(new Error('no')); } }; }
export function kv_calls(kv) { return kv.calls.join(','); }
export async function control(path, body) {
  await fetch(emu_url() + path, { method: 'POST', body: JSON.stringify(body ?? {}) });
}
"#)]
extern "C" {
    fn emu_url() -> String;
    fn make_kv() -> JsValue;
    fn throwing_kv() -> JsValue;
    fn kv_calls(kv: &JsValue) -> String;
    async fn control(path: &str, body: JsValue);
}

fn get(url: String, timeout_ms: Option<u64>) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url,
        headers: vec![("authorization".into(), "Bearer u-wasm".into())],
        body: Body::Empty,
        timeout_ms,
        stream: false,
    }
}

#[wasm_bindgen_test]
async fn fetch_transport_round_trip() {
    let base = emu_url();
    assert!(!base.is_empty(), "EMU_URL must be set");
    control("/__emu/reset", JsValue::UNDEFINED).await;
    let t = FetchTransport::global().unwrap();
    let resp = t
        .send(get(
            format!("{base}/open-apis/im/v1/chats?page_size=1"),
            Some(5_000),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.header("x-tt-logid").unwrap().starts_with("emu-log-"));
    let body = String::from_utf8(resp.body).unwrap();
    assert!(body.contains("\"oc_0\""), "{body}");
    // A path no method has is a 404 now: ask the emulator to echo instead.
    let post = HttpRequest {
        method: Method::Post,
        body: Body::Json("{\"a\":1}".into()),
        headers: vec![
            ("authorization".into(), "Bearer u-wasm".into()),
            ("x-emu-echo".into(), "1".into()),
        ],
        ..get(format!("{base}/open-apis/x"), None)
    };
    let body = String::from_utf8(t.send(post).await.unwrap().body).unwrap();
    assert!(body.contains("\"body\":{\"a\":1}"), "{body}");
}

#[wasm_bindgen_test]
async fn fetch_timeout_aborts() {
    let base = emu_url();
    control("/__emu/reset", JsValue::UNDEFINED).await;
    let rules = js_sys::JSON::parse(r#"{"rules":[{"match":"slow","kind":"slow","delayMs":2000}]}"#)
        .unwrap();
    control("/__emu/faults", rules).await;
    let started = js_sys::Date::now();
    let err = FetchTransport::global()
        .unwrap()
        .send(get(format!("{base}/open-apis/slow"), Some(100)))
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout(100));
    assert!(js_sys::Date::now() - started < 1500.0);
}

#[wasm_bindgen_test]
async fn refused_connection_is_a_network_error() {
    let err = FetchTransport::global()
        .unwrap()
        .send(get("http://127.0.0.1:1/x".into(), Some(2_000)))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Network(_)), "{err:?}");
}

#[wasm_bindgen_test]
async fn kv_adapter_maps_ttl_and_missing_values() {
    let kv = make_kv();
    let store = JsKvStore::new(kv.clone(), "tokenStore").unwrap();
    assert!(!store.atomic(), "no putIfAbsent: best effort");
    assert_eq!(store.get("k").await.unwrap(), None);
    store
        .put("k", "{\"token\":\"x\"}", Some(120))
        .await
        .unwrap();
    assert_eq!(
        store.get("k").await.unwrap().as_deref(),
        Some("{\"token\":\"x\"}")
    );
    store.delete("k").await.unwrap();
    assert_eq!(kv_calls(&kv), "get,put:{\"expirationTtl\":120},get,delete");
    assert!(JsKvStore::new(JsValue::from_str("nope"), "tokenStore").is_err());
    // De-duplication needs delete (a failed event's claim is released with it).
    let no_delete = js_sys::Object::new();
    for m in ["get", "put"] {
        js_sys::Reflect::set(
            &no_delete,
            &m.into(),
            &js_sys::Function::new_no_args("return null"),
        )
        .unwrap();
    }
    assert!(JsKvStore::with_delete(no_delete.into(), "dedupeStore").is_err());
    let broken = JsKvStore::new(throwing_kv(), "tokenStore").unwrap();
    assert!(matches!(broken.get("k").await, Err(Error::Store(m)) if m.contains("kv down")));
    assert!(matches!(
        broken.put("k", "v", None).await,
        Err(Error::Store(_))
    ));
}

#[wasm_bindgen_test]
fn errors_become_js_errors_with_fields() {
    let e = feishu_edge::js::error::to_js(&Error::Timeout { ms: 5 });
    let err: js_sys::Error = e.clone().dyn_into().unwrap();
    assert_eq!(String::from(err.name()), "FeishuError");
    let kind = js_sys::Reflect::get(&e, &"kind".into()).unwrap();
    assert_eq!(kind.as_string().as_deref(), Some("timeout"));
    assert_eq!(
        js_sys::Reflect::get(&e, &"retryable".into())
            .unwrap()
            .as_bool(),
        Some(true)
    );
}

#[wasm_bindgen_test]
async fn js_runtime_sleeps() {
    let rt = JsRuntime;
    let t0 = rt.now_ms();
    rt.sleep(30).await;
    assert!(rt.now_ms() - t0 >= 25);
    assert!((0.0..1.0).contains(&rt.jitter()));
}

#[wasm_bindgen_test]
fn card_builder_snapshot_in_wasm() {
    use feishu_edge::card::{button, markdown, text_card, validate, ButtonAction, Card};
    // The same bytes as the native snapshot in tests/card.rs.
    assert_eq!(
        text_card("Hi", "body").to_json().unwrap(),
        r#"{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"Hi"},"template":"blue"},"body":{"elements":[{"tag":"markdown","content":"body"}]}}"#
    );
    let json = Card::new()
        .push(markdown("a").element_id("md"))
        .push(button("b", ButtonAction::Callback("{}".into())))
        .to_json()
        .unwrap();
    assert!(validate(&json).is_ok());
    assert_eq!(
        validate(r#"{"schema":"2.0","body":{"elements":[{"tag":"blink"}]}}"#)
            .unwrap_err()
            .path,
        "body.elements[0]"
    );
}
