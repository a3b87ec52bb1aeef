//! The retry decision, as a pure function of the failure, the attempt count and elapsed time.

use crate::config::RetryPolicy;
use crate::error::Error;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then try again.
    RetryAfter(u64),
    /// Give the error to the caller.
    Stop,
}

/// Decides whether attempt number `attempts_made + 1` happens.
///
/// - Rate limits (HTTP 429, code 99991400) are always retried (the call was not processed),
///   after `x-ogw-ratelimit-reset` seconds, capped by `max_delay_ms`.
/// - 5xx, timeouts and network errors are retried only when the call is idempotent.
/// - Backoff doubles from `base_delay_ms`, with jitter in `[50%, 100%]`, capped by `max_delay_ms`.
/// - Nothing is retried past `max_attempts` or when the wait would overrun `budget_ms`.
///
/// ```
/// use feishu_edge::{Error, RetryPolicy, request::retry::{decide, RetryDecision}};
/// let p = RetryPolicy::default();
/// assert_eq!(decide(&p, &Error::Timeout { ms: 5 }, 1, 0, false, 0.0), RetryDecision::Stop);
/// assert_eq!(decide(&p, &Error::Timeout { ms: 5 }, 1, 0, true, 0.0), RetryDecision::RetryAfter(100));
/// ```
pub fn decide(
    policy: &RetryPolicy,
    err: &Error,
    attempts_made: u32,
    elapsed_ms: u64,
    idempotent: bool,
    jitter: f64,
) -> RetryDecision {
    if attempts_made >= policy.max_attempts || !err.retryable() {
        return RetryDecision::Stop;
    }
    let exp = 1u64
        .checked_shl(attempts_made.saturating_sub(1))
        .unwrap_or(u64::MAX);
    let backoff = policy
        .base_delay_ms
        .saturating_mul(exp)
        .min(policy.max_delay_ms);
    let jittered = backoff / 2 + ((backoff / 2) as f64 * jitter.clamp(0.0, 1.0)) as u64;
    let delay = match err.api().filter(|e| e.is_rate_limited()) {
        Some(e) => e
            .rate_limit_reset_secs
            .map(|s| s.saturating_mul(1000))
            .unwrap_or(jittered),
        None if idempotent => jittered,
        None => return RetryDecision::Stop,
    }
    .min(policy.max_delay_ms);
    if elapsed_ms.saturating_add(delay) > policy.budget_ms {
        return RetryDecision::Stop;
    }
    RetryDecision::RetryAfter(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn http(status: u16, code: Option<i64>, reset: Option<u64>) -> Error {
        let e = Box::new(ApiError {
            code,
            msg: String::new(),
            log_id: None,
            http_status: status,
            rate_limit_reset_secs: reset,
        });
        if code.is_some() {
            Error::Api(e)
        } else {
            Error::Http(e)
        }
    }
    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base_delay_ms: 100,
        max_delay_ms: 5_000,
        budget_ms: 10_000,
    };

    #[test]
    fn rate_limits_wait_for_reset_even_for_post() {
        assert_eq!(
            decide(&P, &http(429, None, Some(2)), 1, 0, false, 0.5),
            RetryDecision::RetryAfter(2000)
        );
        assert_eq!(
            decide(&P, &http(200, Some(99991400), Some(1)), 1, 0, false, 0.5),
            RetryDecision::RetryAfter(1000)
        );
        assert_eq!(
            decide(&P, &http(429, None, Some(60)), 1, 0, true, 0.5),
            RetryDecision::RetryAfter(5000),
            "capped"
        );
    }

    #[test]
    fn server_errors_only_when_idempotent() {
        assert_eq!(
            decide(&P, &http(503, None, None), 1, 0, false, 1.0),
            RetryDecision::Stop
        );
        assert_eq!(
            decide(&P, &http(503, None, None), 1, 0, true, 1.0),
            RetryDecision::RetryAfter(100)
        );
        assert_eq!(
            decide(&P, &http(503, None, None), 3, 0, true, 1.0),
            RetryDecision::RetryAfter(400)
        );
        assert_eq!(
            decide(&P, &http(503, None, None), 3, 0, true, 0.0),
            RetryDecision::RetryAfter(200)
        );
    }

    #[test]
    fn limits() {
        assert_eq!(
            decide(&P, &http(503, None, None), 4, 0, true, 0.0),
            RetryDecision::Stop,
            "max attempts"
        );
        assert_eq!(
            decide(&P, &http(429, None, Some(3)), 1, 8_000, true, 0.0),
            RetryDecision::Stop,
            "budget"
        );
        assert_eq!(
            decide(&P, &http(400, Some(230001), None), 1, 0, true, 0.0),
            RetryDecision::Stop,
            "client error"
        );
        assert_eq!(
            decide(&P, &Error::InvalidRequest("x".into()), 1, 0, true, 0.0),
            RetryDecision::Stop
        );
        let huge = RetryPolicy {
            max_attempts: 200,
            ..P
        };
        assert!(matches!(
            decide(&huge, &http(503, None, None), 120, 0, true, 1.0),
            RetryDecision::RetryAfter(5000)
        ));
    }
}
