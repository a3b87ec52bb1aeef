#![cfg(not(target_arch = "wasm32"))]
//! The protocol's names the npm package's JS needs (signature headers, the rate-limit header,
//! the environment variables), written from the core's constants into
//! `pkg-template/generated/protocol.js`: `FEISHU_REGEN=1 cargo test --test generated_js`
//! rewrites it, a stale copy fails. Hand-written JS imports them instead of spelling them
//! (`scripts/check-js-literals.mjs`).

use feishu_edge::config::{ENV_VARIABLES, RATE_LIMIT_RESET_HEADER};
use feishu_edge::webhook::{NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

const JS_FILE: &str = "pkg-template/generated/protocol.js";

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn protocol_js() -> String {
    let mut out = String::from(
        "// Generated from the core's constants (src/webhook/mod.rs, src/config.rs) by tests/generated_js.rs\n\
         // (`FEISHU_REGEN=1 cargo test --test generated_js`): do not edit.\n\n\
         /** The signature headers of an event or card request, and the rate-limit reply header. */\n",
    );
    out.push_str(&format!(
        "export const HEADERS = Object.freeze({{ timestamp: {}, nonce: {}, signature: {}, rateLimitReset: {} }});\n\n",
        quote(TIMESTAMP_HEADER),
        quote(NONCE_HEADER),
        quote(SIGNATURE_HEADER),
        quote(RATE_LIMIT_RESET_HEADER)
    ));
    out.push_str("/** The environment variables read when options leave them out, by option name. */\nexport const ENV = Object.freeze({ ");
    let pairs: Vec<String> = ENV_VARIABLES
        .iter()
        .map(|(option, var)| format!("{option}: {}", quote(var)))
        .collect();
    out.push_str(&pairs.join(", "));
    out.push_str(" });\n");
    out
}

#[test]
fn the_js_copy_of_the_protocol_names_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(JS_FILE);
    let want = protocol_js();
    if std::env::var_os("FEISHU_REGEN").is_some() {
        std::fs::write(&path, &want).expect("write the generated file");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{JS_FILE} is stale: run `FEISHU_REGEN=1 cargo test --test generated_js`"
    );
}
