//! Per-user, per-channel cooldown: one answer per user per channel per window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who asked where: (user id, channel id).
pub type CooldownKey = (u64, u64);

/// Remembers when each user was last answered in each channel.
#[derive(Debug)]
pub struct Cooldowns {
    window: Duration,
    last: Mutex<HashMap<CooldownKey, Instant>>,
}

/// Beyond this many remembered pairs, expired ones are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

impl Cooldowns {
    /// A cooldown of `window` (zero disables it).
    pub fn new(window: Duration) -> Self {
        Cooldowns {
            window,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// If `key` is not cooling down at `now`, starts its window and returns `true`; otherwise `false`.
    /// Atomic: of two concurrent calls for the same key, only one gets `true`.
    pub fn try_start(&self, key: CooldownKey, now: Instant) -> bool {
        if self.window.is_zero() {
            return true;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&at) = last.get(&key) {
            if now.saturating_duration_since(at) < self.window {
                return false;
            }
        }
        if last.len() > PRUNE_ABOVE {
            let window = self.window;
            last.retain(|_, at| now.saturating_duration_since(*at) < window);
        }
        last.insert(key, now);
        true
    }

    /// Starts (or restarts) `key`'s window without asking, e.g. after a red-flag reply.
    pub fn start(&self, key: CooldownKey, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.insert(key, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_answered_once_per_window_per_channel() {
        let cd = Cooldowns::new(Duration::from_secs(30));
        let t0 = Instant::now();
        assert!(cd.try_start((1, 10), t0));
        assert!(!cd.try_start((1, 10), t0 + Duration::from_secs(29)));
        assert!(
            cd.try_start((1, 11), t0),
            "another channel has its own window"
        );
        assert!(
            cd.try_start((2, 10), t0),
            "another user has their own window"
        );
        assert!(
            cd.try_start((1, 10), t0 + Duration::from_secs(30)),
            "window over"
        );
    }

    #[test]
    fn zero_seconds_means_no_cooldown() {
        let cd = Cooldowns::new(Duration::ZERO);
        let t0 = Instant::now();
        assert!(cd.try_start((1, 10), t0));
        assert!(cd.try_start((1, 10), t0));
    }

    #[test]
    fn expired_pairs_are_pruned_when_many() {
        let cd = Cooldowns::new(Duration::from_secs(1));
        let t0 = Instant::now();
        for user in 0..=PRUNE_ABOVE as u64 + 1 {
            cd.try_start((user, 1), t0);
        }
        cd.try_start((0, 2), t0 + Duration::from_secs(5));
        assert!(cd.last.lock().unwrap().len() < 10);
    }
}
