//! Warnings for failures that repeat during an outage (the database unreachable or read-only, so
//! every vote and every tip claim fails): each kind is logged at most once a minute, with how many
//! were held back, and once more when it works again. Without it an outage floods the log.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often one kind of failure may be logged.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Failures by kind (`"record a vote"`), each logged at most once per interval.
#[derive(Debug)]
pub struct FailureLog {
    interval: Duration,
    kinds: Mutex<HashMap<&'static str, Kind>>,
}

#[derive(Debug, Default)]
struct Kind {
    /// When this kind was last logged.
    logged_at: Option<Instant>,
    /// Failures since then that were not logged.
    held_back: u64,
    /// Failures since the last success.
    failing: u64,
}

impl Default for FailureLog {
    fn default() -> Self {
        FailureLog::new(DEFAULT_INTERVAL)
    }
}

impl FailureLog {
    /// A log that reports each kind at most once per `interval`.
    pub fn new(interval: Duration) -> FailureLog {
        FailureLog {
            interval,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Records that `what` (said as an action: "record a vote") failed with `error`, and logs a
    /// warning unless one for `what` was logged within the interval. Returns whether it logged.
    pub fn failed(&self, what: &'static str, error: &dyn fmt::Display) -> bool {
        self.failed_at(what, error, Instant::now())
    }

    fn failed_at(&self, what: &'static str, error: &dyn fmt::Display, now: Instant) -> bool {
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        let kind = kinds.entry(what).or_default();
        kind.failing += 1;
        let due = kind
            .logged_at
            .is_none_or(|at| now.saturating_duration_since(at) >= self.interval);
        if !due {
            kind.held_back += 1;
            return false;
        }
        let held_back = std::mem::take(&mut kind.held_back);
        kind.logged_at = Some(now);
        drop(kinds);
        if held_back == 0 {
            tracing::warn!(
                failed = what,
                "could not {what}: {error} (logged at most once a minute while it keeps failing)"
            );
        } else {
            tracing::warn!(
                failed = what,
                held_back,
                "could not {what}: {error} ({held_back} more failures since the last report)"
            );
        }
        true
    }

    /// Records that `what` worked; after failures, logs once that it works again.
    pub fn succeeded(&self, what: &'static str) {
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        let Some(kind) = kinds.get_mut(what) else {
            return;
        };
        let failed = std::mem::take(&mut kind.failing);
        kinds.remove(what);
        drop(kinds);
        if failed > 0 {
            tracing::info!(
                recovered = what,
                failed,
                "{what}: works again after {failed} failures"
            );
        }
    }

    /// Whether `what` has failed since it last worked.
    pub fn is_failing(&self, what: &'static str) -> bool {
        let kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        kinds.get(what).is_some_and(|k| k.failing > 0)
    }

    /// Logs a failure of `what` or records its success, and hands the result back.
    pub fn track<T, E: fmt::Display>(
        &self,
        what: &'static str,
        result: Result<T, E>,
    ) -> Result<T, E> {
        match &result {
            Ok(_) => self.succeeded(what),
            Err(e) => {
                self.failed(what, e);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_logged_at_most_once_per_interval() {
        let log = FailureLog::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(log.failed_at("record a vote", &"down", t0));
        for s in 1..60 {
            assert!(!log.failed_at("record a vote", &"down", t0 + Duration::from_secs(s)));
        }
        assert!(
            log.failed_at("claim a daily tip", &"down", t0 + Duration::from_secs(1)),
            "another kind has its own minute"
        );
        assert!(log.failed_at("record a vote", &"down", t0 + Duration::from_secs(60)));
        assert!(log.is_failing("record a vote"));
        log.succeeded("record a vote");
        assert!(!log.is_failing("record a vote"));
        assert!(
            log.failed_at("record a vote", &"down", t0 + Duration::from_secs(61)),
            "a new outage is reported at once"
        );
    }
}
