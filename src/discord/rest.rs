//! REST calls to Discord that survive a bad minute: the HTTP client (with a timeout), serenity's
//! own ratelimiter (it waits out 429s, per route and global, and retries), and bounded retries with
//! backoff for server errors and timeouts, after which the caller logs that it gave up.
//!
//! Retrying a send is safe because every message the bot sends carries a nonce with
//! `enforce_nonce`: if the first attempt did reach Discord (a timeout after the message was made),
//! the retry gets that message back instead of creating a second one. A retried interaction
//! response that had already arrived is refused with code 40060, which counts as done.

use poise::serenity_prelude as serenity;
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How long one REST request may take before it counts as failed (and is retried).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Discord's "Interaction has already been acknowledged": a retried response already got through.
const ALREADY_ACKNOWLEDGED: isize = 40060;

/// The HTTP client for Discord's REST API: rustls (as serenity's own default) and a timeout, so a
/// request that hangs fails and is retried instead of holding its handler forever.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client for Discord: {e}"))
}

/// serenity's `Http` over `client`. Without `api_base` it talks to discord.com with serenity's
/// ratelimiter on (it reads `X-RateLimit-*` and waits out 429s). With a REST proxy as `api_base`,
/// the proxy rate-limits and serenity's ratelimiter is off: serenity 0.12 would ignore the proxy
/// with it on.
pub fn discord_http(
    token: &str,
    client: reqwest::Client,
    api_base: Option<&str>,
) -> serenity::Http {
    let builder = serenity::HttpBuilder::new(token).client(client);
    match api_base {
        Some(base) => builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build(),
        None => builder.build(),
    }
}

/// Logs each rate limit serenity's ratelimiter waits out (an operator sees throttling, not
/// silence); serenity calls it from the ratelimiter.
pub struct RatelimitLog;

#[serenity::async_trait]
impl serenity::EventHandler for RatelimitLog {
    async fn ratelimit(&self, data: serenity::RatelimitInfo) {
        tracing::info!(
            path = %data.path,
            global = data.global,
            wait_ms = data.timeout.as_millis() as u64,
            "rate limited by Discord: waiting, then retrying"
        );
    }
}

/// How often, and how patiently, a failed request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles per attempt.
    pub first_backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A request that failed for good: the last error, and after how many attempts.
#[derive(Debug)]
pub struct GaveUp {
    pub attempts: u32,
    pub error: serenity::Error,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_transient(&self.error) {
            write!(
                f,
                "{} (gave up after {} attempts)",
                self.error, self.attempts
            )
        } else {
            write!(f, "{} (not retried: it would fail again)", self.error)
        }
    }
}

impl std::error::Error for GaveUp {}

/// Whether trying again may work: a server error, a 429 that reached us (only through a REST proxy;
/// serenity's ratelimiter handles its own), a timeout or a failed connection. A 4xx will not change.
pub fn is_transient(error: &serenity::Error) -> bool {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            response.status_code.is_server_error() || response.status_code.as_u16() == 429
        }
        serenity::Error::Http(serenity::HttpError::Request(e)) => {
            e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
        }
        _ => false,
    }
}

/// Whether Discord refused an interaction response because one already arrived.
pub fn is_already_acknowledged(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if response.error.code == ALREADY_ACKNOWLEDGED
    )
}

/// Runs `request` until it succeeds, fails in a way a retry cannot fix, or has used
/// `policy.attempts`; waits `policy.backoff(n)` between attempts. `what` names the request in the
/// debug log of each retry.
pub async fn with_retries<T, F, Fut>(
    what: &str,
    policy: RetryPolicy,
    mut request: F,
) -> Result<T, GaveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, serenity::Error>>,
{
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt < policy.attempts.max(1) && is_transient(&error) => {
                let wait = policy.backoff(attempt);
                tracing::debug!(attempt, ?wait, "{what} failed, retrying: {error}");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(error) => {
                return Err(GaveUp {
                    attempts: attempt,
                    error,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(4), Duration::from_secs(4));
        assert_eq!(p.backoff(40), Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn only_transient_failures_are_retried_and_only_so_often() {
        let policy = RetryPolicy::default();
        let mut calls = 0;
        let result: Result<(), GaveUp> = with_retries("a test", policy, || {
            calls += 1;
            async { Err(serenity::Error::Other("not transient")) }
        })
        .await;
        assert_eq!(calls, 1);
        assert_eq!(result.unwrap_err().attempts, 1);
    }
}
