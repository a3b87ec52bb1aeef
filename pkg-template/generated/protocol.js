// Generated from the core's constants (src/webhook/mod.rs, src/config.rs) by tests/generated_js.rs
// (`FEISHU_REGEN=1 cargo test --test generated_js`): do not edit.

/** The signature headers of an event or card request, and the rate-limit reply header. */
export const HEADERS = Object.freeze({ timestamp: "x-lark-request-timestamp", nonce: "x-lark-request-nonce", signature: "x-lark-signature", rateLimitReset: "x-ogw-ratelimit-reset" });

/** The environment variables read when options leave them out, by option name. */
export const ENV = Object.freeze({ appId: "FEISHU_APP_ID", appSecret: "FEISHU_APP_SECRET", baseUrl: "FEISHU_BASE_URL" });
