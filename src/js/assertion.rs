//! A JS `clientAssertionProvider` (`retrieveToken(aud)` → `{ value, targetInfo? }`, sync or
//! async) as the core's [`AssertionProvider`]; and the assertion for the long connection's
//! endpoint, judged by the core.

use super::{describe, method, prop, settle};
use crate::error::{Error, Result};
use crate::runtime::BoxFuture;
use crate::token::assertion::{self, codes, AssertionProvider, AssertionToken, TargetInfo};
use wasm_bindgen::prelude::*;

/// The JS provider object.
pub struct JsAssertionProvider(JsValue);

impl JsAssertionProvider {
    /// Checks the shape: `retrieveToken` must be a function.
    pub fn new(target: JsValue) -> Result<JsAssertionProvider> {
        if method(&target, "retrieveToken").is_none() {
            return Err(assertion::error(
                codes::NOT_CONFIGURED,
                "clientAssertionProvider must have a retrieveToken(aud) method",
            ));
        }
        Ok(JsAssertionProvider(target))
    }
}

fn retrieve_failed(e: &JsValue) -> Error {
    let msg = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| describe(e));
    assertion::error(codes::RETRIEVE_FAILED, msg)
}

/// Reads `{ value, targetInfo: { targetService, targetPrefix? } }`; `None` parts as empty.
fn read_token(v: &JsValue) -> AssertionToken {
    let value = if v.is_object() {
        prop(v, "value").as_string().unwrap_or_default()
    } else {
        String::new()
    };
    let info = if v.is_object() {
        prop(v, "targetInfo")
    } else {
        JsValue::UNDEFINED
    };
    let target = info.is_object().then(|| TargetInfo {
        target_service: prop(&info, "targetService").as_string().unwrap_or_default(),
        target_prefix: prop(&info, "targetPrefix").as_string().unwrap_or_default(),
    });
    AssertionToken { value, target }
}

impl AssertionProvider for JsAssertionProvider {
    fn retrieve(&self, aud: &str) -> BoxFuture<'_, Result<AssertionToken>> {
        let aud = JsValue::from_str(aud);
        Box::pin(async move {
            let f = method(&self.0, "retrieveToken").ok_or_else(|| {
                assertion::error(
                    codes::NOT_CONFIGURED,
                    "clientAssertionProvider has no retrieveToken(aud) method",
                )
            })?;
            let value = f.call1(&self.0, &aud).map_err(|e| retrieve_failed(&e))?;
            let settled = settle(value).await.map_err(|e| retrieve_failed(&e))?;
            Ok(read_token(&settled))
        })
    }
}

/// How long the long connection waits for the provider (ms), as for the endpoint's reply.
#[cfg(feature = "ws")]
pub(crate) const WS_PROVIDER_TIMEOUT_MS: u64 = 10_000;

/// The long connection's endpoint request in keyless mode, from the one built with the secret
/// (`endpoint_url`): an assertion bound to the Open API host, the body carrying it instead of
/// the secret, and the GDPR proxy's URL and `X-Target-Service` header when the provider routes
/// through one. Fails with the official codes: 7100 when `provider` has no `retrieveToken`
/// (a configuration fault: [`assertion::is_permanent`], no retry mends it), 7101 empty, 7102
/// provider failure, an unusable `targetInfo`, or no answer within
/// [`WS_PROVIDER_TIMEOUT_MS`].
#[cfg(feature = "ws")]
pub(crate) async fn ws_keyless(
    provider: JsValue,
    app_id: &str,
    endpoint_url: &str,
) -> Result<(String, String, Option<(String, String)>)> {
    let p = assertion::ClientAssertion(std::sync::Arc::new(JsAssertionProvider::new(provider)?));
    let aud = assertion::audience(endpoint_url)?;
    let token =
        assertion::retrieve_within(&p, &aud, &super::runtime::JsRuntime, WS_PROVIDER_TIMEOUT_MS)
            .await?;
    let (url, header) = match &token.target {
        Some(t) => (
            assertion::proxy_url(t, assertion::WS_ENDPOINT_PATH)?,
            Some((assertion::X_TARGET_SERVICE.to_string(), aud)),
        ),
        None => (endpoint_url.to_string(), None),
    };
    Ok((
        url,
        assertion::ws_endpoint_body(app_id, &token.value),
        header,
    ))
}
