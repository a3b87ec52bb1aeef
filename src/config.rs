//! Client configuration: credentials, region or base URL, app type, timeout and retry policy.

use crate::error::{Error, Result};
use std::fmt;

/// Which public deployment of the Open Platform to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// Feishu (China): `open.feishu.cn`.
    #[default]
    Feishu,
    /// Lark (international): `open.larksuite.com`.
    Lark,
}

impl Region {
    /// The Open API base URL, ending in `/open-apis/`.
    pub fn api_base(self) -> &'static str {
        match self {
            Region::Feishu => "https://open.feishu.cn/open-apis/",
            Region::Lark => "https://open.larksuite.com/open-apis/",
        }
    }
    /// The accounts (OAuth) base URL.
    pub fn accounts_base(self) -> &'static str {
        match self {
            Region::Feishu => "https://accounts.feishu.cn/",
            Region::Lark => "https://accounts.larksuite.com/",
        }
    }
    /// Parses `feishu` / `lark` (case-insensitive).
    /// Its name, as `region` takes it: `feishu` or `lark`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Feishu => "feishu",
            Region::Lark => "lark",
        }
    }
    /// Parses `feishu` or `lark` (`larksuite` too).
    pub fn parse(s: &str) -> Result<Region> {
        match s.to_ascii_lowercase().as_str() {
            "feishu" => Ok(Region::Feishu),
            "lark" | "larksuite" => Ok(Region::Lark),
            other => Err(Error::Config(format!(
                "unknown region {other:?}: expected \"feishu\" or \"lark\""
            ))),
        }
    }
}

/// Self-built (internal) apps get tokens from their secret alone; marketplace (ISV) apps need the
/// pushed `app_ticket` and a per-tenant `tenant_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppType {
    /// Built by and for one tenant.
    #[default]
    SelfBuilt,
    /// Listed on the app marketplace, installed by many tenants.
    Marketplace,
}

impl AppType {
    /// Parses `self_built` / `marketplace` (also accepts `selfBuild`, `isv`, `store`).
    pub fn parse(s: &str) -> Result<AppType> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "selfbuilt" | "selfbuild" | "internal" => Ok(AppType::SelfBuilt),
            "marketplace" | "isv" | "store" => Ok(AppType::Marketplace),
            other => Err(Error::Config(format!(
                "unknown appType {other:?}: expected \"self_built\" or \"marketplace\""
            ))),
        }
    }
}

/// When and how often failed calls are tried again.
///
/// ```
/// let p = feishu_edge::RetryPolicy::default();
/// assert_eq!(p.max_attempts, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// First backoff delay; doubled on each further attempt, with jitter.
    pub base_delay_ms: u64,
    /// Upper bound on one wait, rate-limit resets included.
    pub max_delay_ms: u64,
    /// No retry is started once this much time has passed since the first attempt.
    pub budget_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 20_000,
            budget_ms: 60_000,
        }
    }
}

/// An app secret: never printed, not even by `{:?}`.
#[derive(Clone)]
pub struct Secret(String, std::sync::OnceLock<[u8; 32]>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into(), std::sync::OnceLock::new())
    }
    /// The secret itself, for building the token request body.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A key derived from the secret once and kept with it (the webhook's AES key, SHA-256 of
    /// the encrypt key, is computed on the first encrypted event only).
    pub(crate) fn derived(&self) -> &std::sync::OnceLock<[u8; 32]> {
        &self.1
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.0 == other.0
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything a [`crate::Client`] needs to know before its first call.
///
/// ```
/// use feishu_edge::{Config, AppType};
/// let c = Config::new("cli_x", "s").base_url("http://127.0.0.1:9999").unwrap().app_type(AppType::Marketplace);
/// assert_eq!(c.base_url_str(), "http://127.0.0.1:9999/open-apis/");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The app id (`cli_...`).
    pub app_id: String,
    /// The app secret.
    pub app_secret: Secret,
    /// Self-built or marketplace.
    pub app_type: AppType,
    /// Per-request timeout; `None` waits as long as the transport does.
    pub timeout_ms: Option<u64>,
    /// The largest JSON reply body read, in bytes (0: no limit); a larger one is refused
    /// unread. Downloads are not limited. Default [`DEFAULT_MAX_REPLY_BYTES`].
    pub max_reply_bytes: u64,
    /// Retry policy for every call.
    pub retry: RetryPolicy,
    /// Refresh tokens this many seconds before they expire (the official SDKs use 180).
    pub refresh_margin_secs: u64,
    /// Manage no tokens: calls carry only the tokens they are given (the official
    /// `disableTokenCache`).
    pub disable_token_cache: bool,
    /// `base64(helpDeskId:helpDeskToken)`, sent as `X-Lark-Helpdesk-Authorization: Bearer …` by
    /// calls that ask for it (`withHelpDeskCredential()`).
    pub helpdesk_credential: Option<Secret>,
    /// Keyless authentication (the official `clientAssertionProvider`): tenant tokens come from
    /// exchanging the provider's assertions, and no app secret is needed.
    pub client_assertion: Option<assertion::ClientAssertion>,
    /// The JS client's error contract (`rejectOnApiError`): `true` (the default, and
    /// `FeishuClient`'s) rejects a 2xx reply whose envelope `code` is not 0 with a typed error;
    /// `false` (the official `Client`'s) resolves it with the envelope. See
    /// [`crate::request::envelope::settle`]. The Rust API always returns the error.
    pub reject_on_api_error: bool,
    api_base: String,
    accounts_base: String,
}

impl Config {
    /// A self-built app on Feishu with the default timeout (10 s) and retry policy.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Config {
        Config {
            app_id: app_id.into(),
            app_secret: Secret::new(app_secret),
            app_type: AppType::SelfBuilt,
            timeout_ms: Some(10_000),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            retry: RetryPolicy::default(),
            refresh_margin_secs: 180,
            disable_token_cache: false,
            helpdesk_credential: None,
            client_assertion: None,
            reject_on_api_error: true,
            api_base: Region::Feishu.api_base().to_string(),
            accounts_base: Region::Feishu.accounts_base().to_string(),
        }
    }

    /// Uses a public region's hosts.
    pub fn region(mut self, region: Region) -> Config {
        self.api_base = region.api_base().to_string();
        self.accounts_base = region.accounts_base().to_string();
        self
    }

    /// Uses a custom host (a proxy, a private deployment, a local emulator). `/open-apis/` is
    /// appended unless the URL already ends with it; the accounts host becomes the same origin.
    pub fn base_url(mut self, url: &str) -> Result<Config> {
        let trimmed = url.trim().trim_end_matches('/');
        let host = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        let authority = host.map(|h| h.split(['/', '?', '#']).next().unwrap_or(""));
        if authority.is_some_and(|a| a.contains('@')) {
            return Err(Error::Config(
                "baseUrl must not carry a user name or password (user:password@host); the credentials were not used and are not shown".into(),
            ));
        }
        if !host.is_some_and(|h| !h.is_empty() && !h.starts_with('/')) {
            return Err(Error::Config(format!(
                "baseUrl must be an http(s) URL with a host, got \"{}\"",
                without_userinfo(url)
            )));
        }
        let origin = trimmed.strip_suffix("/open-apis").unwrap_or(trimmed);
        self.api_base = format!("{origin}/open-apis/");
        self.accounts_base = format!("{origin}/");
        Ok(self)
    }

    /// Uses another OAuth (accounts) host, the official `oauthBaseUrl`: the keyless token
    /// exchange and the user OAuth go there.
    pub fn oauth_base_url(mut self, url: &str) -> Result<Config> {
        let trimmed = url.trim().trim_end_matches('/');
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let host = assertion::audience(&with_scheme)?;
        if with_scheme.contains('@') || host.is_empty() {
            return Err(Error::Config(
                "oauthBaseUrl must be an http(s) URL with a host and no user name or password"
                    .into(),
            ));
        }
        self.accounts_base = format!("{with_scheme}/");
        Ok(self)
    }

    /// Sets the app type.
    pub fn app_type(mut self, app_type: AppType) -> Config {
        self.app_type = app_type;
        self
    }

    /// The Open API base URL, ending in `/`.
    pub fn base_url_str(&self) -> &str {
        &self.api_base
    }

    /// The accounts (OAuth) base URL, ending in `/`.
    pub fn accounts_base(&self) -> &str {
        &self.accounts_base
    }

    /// Checks that nothing required is missing.
    pub fn validate(&self) -> Result<()> {
        let mut missing = Vec::new();
        if self.app_id.trim().is_empty() {
            missing.push("appId (or FEISHU_APP_ID)");
        }
        if self.app_secret.expose().trim().is_empty() && self.client_assertion.is_none() {
            missing.push("appSecret (or FEISHU_APP_SECRET)");
        }
        if self.client_assertion.is_some() && self.app_type == AppType::Marketplace {
            return Err(assertion::error(
                assertion::codes::NOT_CONFIGURED,
                "ClientAssertion mode is not supported for ISV apps",
            ));
        }
        if !missing.is_empty() {
            return Err(Error::Config(format!("missing {}", missing.join(" and "))));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::Config("retry.maxAttempts must be at least 1".into()));
        }
        Ok(())
    }
}

/// `url` without its `user:password@` part, for messages: credentials in a URL are never
/// echoed.
///
/// ```
/// use feishu_edge::config::without_userinfo;
/// assert_eq!(without_userinfo("https://u:pw@h.cn/x"), "https://h.cn/x");
/// assert_eq!(without_userinfo("https://h.cn/a@b"), "https://h.cn/a@b");
/// ```
pub fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let rest = url.get(start..).unwrap_or("");
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
        Some(at) => format!(
            "{}{}",
            url.get(..start).unwrap_or(""),
            rest.get(at + 1..).unwrap_or("")
        )
        .into(),
        None => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_custom_base() {
        assert_eq!(
            Config::new("a", "b").base_url_str(),
            "https://open.feishu.cn/open-apis/"
        );
        let c = Config::new("a", "b").region(Region::Lark);
        assert_eq!(c.accounts_base(), "https://accounts.larksuite.com/");
        let c = Config::new("a", "b")
            .base_url("http://127.0.0.1:8/open-apis/")
            .unwrap();
        assert_eq!(c.base_url_str(), "http://127.0.0.1:8/open-apis/");
        assert!(Config::new("a", "b").base_url("ftp://x").is_err());
        assert!(Config::new("a", "b").base_url("https://").is_err());
        assert!(Config::new("a", "b").base_url("http:///path").is_err());
        let e = Config::new("a", "b")
            .base_url("https://bot:hunter2@proxy.example/open-apis")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("user name or password") && !e.contains("hunter2"),
            "{e}"
        );
        let e = Config::new("a", "b")
            .base_url("ftp://bot:hunter2@x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert_eq!(
            Config::new("a", "b")
                .base_url("http://x")
                .unwrap()
                .base_url_str(),
            "http://x/open-apis/"
        );
        assert!(Region::parse("LARK").is_ok() && Region::parse("mars").is_err());
    }

    #[test]
    fn missing_credentials_are_named() {
        let e = Config::new("", "").validate().unwrap_err().to_string();
        assert!(e.contains("appId") && e.contains("appSecret"), "{e}");
    }

    #[test]
    fn secret_is_not_debug_printed() {
        let c = Config::new("a", "s3cr3t-value");
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
    }
}

/// The environment variables a client (and `WSClient`) reads when its options leave the
/// credentials or the host out: `(option, variable)`. The npm package takes its copy from
/// generated data (`generated/protocol.js`).
///
/// ```
/// assert!(feishu_edge::config::ENV_VARIABLES.contains(&("appId", "FEISHU_APP_ID")));
/// ```
pub const ENV_VARIABLES: [(&str, &str); 3] = [
    ("appId", "FEISHU_APP_ID"),
    ("appSecret", "FEISHU_APP_SECRET"),
    ("baseUrl", "FEISHU_BASE_URL"),
];

/// The reply header with the seconds until a rate limit resets (`99991400` / HTTP 429): a
/// retry waits at least that long.
///
/// ```
/// assert_eq!(feishu_edge::config::RATE_LIMIT_RESET_HEADER, "x-ogw-ratelimit-reset");
/// ```
pub const RATE_LIMIT_RESET_HEADER: &str = "x-ogw-ratelimit-reset";

/// The default [`Config::max_reply_bytes`]: 16 MiB, far above any Open API JSON reply and well
/// inside a Worker's 128 MB.
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 16 << 20;

/// The JSON-able part of the JS client options (`appId`, `region`, `retry`, ...).
#[derive(Debug, Default)]
pub struct ClientOptions {
    /// App id.
    pub app_id: Option<String>,
    /// App secret.
    pub app_secret: Option<String>,
    /// `feishu` or `lark`.
    pub region: Option<String>,
    /// Custom host.
    pub base_url: Option<String>,
    /// `self_built` or `marketplace`.
    pub app_type: Option<String>,
    /// Per-request timeout; 0 disables it.
    pub timeout_ms: Option<u64>,
    /// See [`Config::max_reply_bytes`]; 0 disables the limit.
    pub max_reply_bytes: Option<u64>,
    /// Retry policy overrides.
    pub retry: Option<RetryOptions>,
    /// See [`Config::disable_token_cache`].
    pub disable_token_cache: Option<bool>,
    /// The help desk's id and token (the official `helpDeskId` / `helpDeskToken`).
    pub helpdesk: Option<(String, String)>,
    /// The official `oauthBaseUrl`.
    pub oauth_base_url: Option<String>,
    /// See [`Config::reject_on_api_error`].
    pub reject_on_api_error: Option<bool>,
}

/// Overrides of [`RetryPolicy`] fields.
#[derive(Debug, Default)]
pub struct RetryOptions {
    /// See [`RetryPolicy::max_attempts`].
    pub max_attempts: Option<u32>,
    /// See [`RetryPolicy::base_delay_ms`].
    pub base_delay_ms: Option<u64>,
    /// See [`RetryPolicy::max_delay_ms`].
    pub max_delay_ms: Option<u64>,
    /// See [`RetryPolicy::budget_ms`].
    pub budget_ms: Option<u64>,
}

/// The largest event an authenticated channel (the long connection) carries: its one size
/// rule, applied where its messages are joined and again where the event is parsed, whatever
/// `maxBodyBytes` (an HTTP body limit) says.
pub const MAX_TRUSTED_EVENT_BYTES: usize = 4 << 20;

/// Every client option, the ones the JS layer keeps (functions and stores) included, so an
/// unknown one can be matched against them all.
pub const CLIENT_OPTION_NAMES: [&str; 22] = [
    "appId",
    "appSecret",
    "region",
    "baseUrl",
    "appType",
    "timeoutMs",
    "maxReplyBytes",
    "retry",
    "fetch",
    "tokenStore",
    "logger",
    "logLevel",
    "domain",
    "loggerLevel",
    "cache",
    "disableTokenCache",
    "helpDeskId",
    "helpDeskToken",
    "httpInstance",
    "clientAssertionProvider",
    "oauthBaseUrl",
    "rejectOnApiError",
];

/// Where the client's host comes from: `region`, `baseUrl`, or the official `domain`
/// (`Domain.Feishu` = 0, `Domain.Lark` = 1, or a URL). Empty strings mean "not set" (an unset
/// environment variable in `wrangler.toml` is `""`).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use feishu_edge::config::{host_options, Region};
/// let r = feishu_edge::options::OptionReader::parse("o", r#"{"domain":1,"baseUrl":""}"#).unwrap();
/// assert_eq!(host_options(&r).unwrap(), (Some(Region::Lark), None));
/// # }
/// ```
pub fn host_options(
    r: &crate::options::OptionReader<'_>,
) -> Result<(Option<Region>, Option<String>)> {
    let region = match r.string("region")?.filter(|s| !s.is_empty()) {
        Some(name) => Some(Region::parse(&name)?),
        None => None,
    };
    let base_url = r.string("baseUrl")?.filter(|s| !s.is_empty());
    let (domain_region, domain_url) = match r.raw("domain") {
        None => (None, None),
        Some("0") => (Some(Region::Feishu), None),
        Some("1") => (Some(Region::Lark), None),
        Some(raw) => match crate::json::unquote(raw) {
            Some(url) if url.is_empty() => (None, None),
            Some(url) => (None, Some(url)),
            None => {
                return Err(Error::Config(
                    "`domain` must be Domain.Feishu, Domain.Lark or a URL string".into(),
                ))
            }
        },
    };
    Ok((region.or(domain_region), base_url.or(domain_url)))
}
const RETRY_OPTION_NAMES: [&str; 4] = ["maxAttempts", "baseDelayMs", "maxDelayMs", "budgetMs"];

impl ClientOptions {
    /// Parses and validates the options into a [`Config`].
    ///
    /// ```
    /// let c = feishu_edge::config::ClientOptions::into_config_json(r#"{"appId":"a","appSecret":"b","region":"lark","retry":{"maxAttempts":1}}"#).unwrap();
    /// assert_eq!((c.retry.max_attempts, c.base_url_str()), (1, "https://open.larksuite.com/open-apis/"));
    /// ```
    pub fn into_config_json(json: &str) -> Result<Config> {
        Self::from_json(json)?.into_config()
    }

    /// Reads the options, naming any mistake: an unknown option gets the closest known name,
    /// a wrongly typed one the field and what was expected.
    ///
    /// ```
    /// let e = feishu_edge::config::ClientOptions::from_json(r#"{"timeoutMs":"5s"}"#).unwrap_err();
    /// assert!(e.to_string().contains("`timeoutMs` must be a whole number of milliseconds"));
    /// ```
    pub fn from_json(json: &str) -> Result<ClientOptions> {
        let r = crate::options::OptionReader::parse("client options", json)?;
        let retry = match r.object("retry", "client options.retry")? {
            Some(o) => {
                let attempts = o.whole("maxAttempts", "attempts")?;
                let retry = RetryOptions {
                    max_attempts: attempts.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                    base_delay_ms: o.whole("baseDelayMs", "milliseconds")?,
                    max_delay_ms: o.whole("maxDelayMs", "milliseconds")?,
                    budget_ms: o.whole("budgetMs", "milliseconds")?,
                };
                o.finish(&RETRY_OPTION_NAMES)?;
                Some(retry)
            }
            None => None,
        };
        if r.present("httpInstance") {
            return Err(Error::Config(
                "client options: `httpInstance` (an axios instance) is not used: feishu-edge sends with the runtime's fetch; pass `fetch` (a function with fetch's signature) to add a proxy, headers or logging".into(),
            ));
        }
        let (region, base_url) = host_options(&r)?;
        // appType: ours ("self_built", "marketplace") or the official enum (0, 1).
        let app_type = match r.raw("appType") {
            Some("0") => Some("self_built".to_string()),
            Some("1") => Some("marketplace".to_string()),
            _ => r.string("appType")?.filter(|s| !s.is_empty()),
        };
        let helpdesk = match (r.string("helpDeskId")?, r.string("helpDeskToken")?) {
            (Some(id), Some(token)) if !id.is_empty() && !token.is_empty() => Some((id, token)),
            (None, None) => None,
            _ => {
                return Err(Error::Config(
                    "client options: helpDeskId and helpDeskToken go together".into(),
                ))
            }
        };
        let options = ClientOptions {
            app_id: r.string("appId")?,
            app_secret: r.string("appSecret")?,
            region: region.map(|r| r.name().to_string()),
            base_url,
            app_type,
            timeout_ms: r.whole("timeoutMs", "milliseconds")?,
            max_reply_bytes: r.whole("maxReplyBytes", "bytes")?,
            retry,
            disable_token_cache: r.boolean("disableTokenCache")?,
            helpdesk,
            oauth_base_url: r.string("oauthBaseUrl")?.filter(|s| !s.is_empty()),
            reject_on_api_error: r.boolean("rejectOnApiError")?,
        };
        r.finish(&CLIENT_OPTION_NAMES)?;
        Ok(options)
    }

    /// Builds the [`Config`].
    pub fn into_config(self) -> Result<Config> {
        self.into_config_with(None)
    }

    /// Builds the [`Config`] of a keyless client when `assertion` is given (no app secret
    /// needed).
    pub fn into_config_with(self, assertion: Option<assertion::ClientAssertion>) -> Result<Config> {
        let mut c = Config::new(
            self.app_id.unwrap_or_default(),
            self.app_secret.unwrap_or_default(),
        );
        c.client_assertion = assertion;
        if let Some(r) = self.region {
            c = c.region(Region::parse(&r)?);
        }
        if let Some(url) = self.base_url {
            c = c.base_url(&url)?;
        }
        if let Some(t) = self.app_type {
            c = c.app_type(AppType::parse(&t)?);
        }
        if let Some(url) = self.oauth_base_url {
            c = c.oauth_base_url(&url)?;
        }
        if let Some(ms) = self.timeout_ms {
            c.timeout_ms = (ms > 0).then_some(ms);
        }
        c.max_reply_bytes = self.max_reply_bytes.unwrap_or(c.max_reply_bytes);
        c.disable_token_cache = self.disable_token_cache.unwrap_or(false);
        c.reject_on_api_error = self.reject_on_api_error.unwrap_or(true);
        if let Some((id, token)) = self.helpdesk {
            use base64::Engine;
            let credential =
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{token}"));
            c.helpdesk_credential = Some(Secret::new(credential));
        }
        if let Some(r) = self.retry {
            let p = &mut c.retry;
            p.max_attempts = r.max_attempts.unwrap_or(p.max_attempts);
            p.base_delay_ms = r.base_delay_ms.unwrap_or(p.base_delay_ms);
            p.max_delay_ms = r.max_delay_ms.unwrap_or(p.max_delay_ms);
            p.budget_ms = r.budget_ms.unwrap_or(p.budget_ms);
        }
        c.validate()?;
        Ok(c)
    }
}

/// The keyless provider seam (a driver file: the token driver awaits it).
mod host;

/// Keyless authentication's provider and its official codes (the exchange itself is the token
/// manager's, `token::assertion`).
pub mod assertion {
    pub use super::host::{AssertionProvider, ClientAssertion};
    use crate::error::{Error, Result};

    /// The official error codes of the assertion chain (`ClientAssertionError.code`).
    pub mod codes {
        /// The mode is not available here (marketplace apps, app access tokens).
        pub const NOT_CONFIGURED: i64 = 7100;
        /// The provider returned no assertion.
        pub const TOKEN_EMPTY: i64 = 7101;
        /// The provider failed.
        pub const RETRIEVE_FAILED: i64 = 7102;
        /// Neither an app secret nor a provider.
        pub const SECRET_AND_ASSERTION_EMPTY: i64 = 7104;
    }

    /// Where a GDPR proxy wants the request sent (`targetInfo`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TargetInfo {
        /// The proxy's origin (https only).
        pub target_service: String,
        /// A path prefix on the proxy.
        pub target_prefix: String,
    }

    /// What a provider returns.
    #[derive(Clone, PartialEq, Eq)]
    pub struct AssertionToken {
        /// The signed assertion.
        pub value: String,
        /// Proxy routing, when the provider asks for it.
        pub target: Option<TargetInfo>,
    }

    impl std::fmt::Debug for AssertionToken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("AssertionToken")
                .field("value", &"[redacted]")
                .field("target", &self.target)
                .finish()
        }
    }

    /// The assertion chain's error with the official code and message.
    pub fn error(code: i64, msg: impl Into<String>) -> Error {
        Error::ClientAssertion {
            code,
            msg: msg.into(),
        }
    }

    /// The audience of a URL: its host with the port, as `new URL(url).host` (a URL without a
    /// scheme is read as https).
    ///
    /// ```
    /// use feishu_edge::config::assertion::audience;
    /// assert_eq!(audience("https://accounts.feishu.cn/").unwrap(), "accounts.feishu.cn");
    /// assert_eq!(audience("http://127.0.0.1:8080/open-apis/").unwrap(), "127.0.0.1:8080");
    /// assert_eq!(audience("open.feishu.cn").unwrap(), "open.feishu.cn");
    /// assert!(audience("https:///x").is_err());
    /// ```
    pub fn audience(url: &str) -> Result<String> {
        let rest = match url.find("://") {
            Some(i) => url.get(i + 3..).unwrap_or(""),
            None => url,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        let host = host
            .strip_suffix(":443")
            .filter(|_| url.starts_with("https://") || !url.contains("://"))
            .or_else(|| {
                host.strip_suffix(":80")
                    .filter(|_| url.starts_with("http://"))
            })
            .unwrap_or(host);
        if host.is_empty() {
            return Err(Error::Config(format!(
                "invalid url: {}",
                crate::config::without_userinfo(url)
            )));
        }
        Ok(host.to_ascii_lowercase())
    }
}
