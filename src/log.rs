//! Logging seam. The core logs method, path, status, log id, timings and retry decisions; it
//! never formats a secret, a token or a request body into a message.

/// Severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Per-request detail.
    Debug,
    /// Token refreshes and similar.
    Info,
    /// Retries, dropped tokens.
    Warn,
    /// Failures the caller also sees.
    Error,
}

impl Level {
    /// Parses `debug`/`info`/`warn`/`error` (and `trace`, `fatal`, and the official
    /// `LoggerLevel` numbers 0–5: fatal, error, warn, info, debug, trace); `None` for
    /// `none`/`off`/unknown.
    ///
    /// ```
    /// use feishu_edge::Level;
    /// assert_eq!((Level::parse("2"), Level::parse("fatal"), Level::parse("none")), (Some(Level::Warn), Some(Level::Error), None));
    /// ```
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "debug" | "trace" | "4" | "5" => Some(Level::Debug),
            "info" | "3" => Some(Level::Info),
            "warn" | "warning" | "2" => Some(Level::Warn),
            "error" | "fatal" | "0" | "1" => Some(Level::Error),
            _ => None,
        }
    }
    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Receives log lines at or above its own threshold.
pub trait Logger: crate::runtime::MaybeSend + crate::runtime::MaybeSync {
    /// Whether `level` would be written (lets callers skip formatting).
    fn enabled(&self, level: Level) -> bool;
    /// Writes one line.
    fn log(&self, level: Level, message: &str);
}

/// Discards everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLogger;

impl Logger for NoLogger {
    fn enabled(&self, _: Level) -> bool {
        false
    }
    fn log(&self, _: Level, _: &str) {}
}

/// Logs lazily: the message is only formatted when the level is enabled.
macro_rules! log_at {
    ($logger:expr, $level:expr, $($arg:tt)+) => {{
        let logger = &$logger;
        if logger.enabled($level) {
            logger.log($level, &format!($($arg)+));
        }
    }};
}
pub(crate) use log_at;
