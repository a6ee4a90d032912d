//! The daily tip service: the task that posts each subscribed channel's tip at its local time, and
//! the start-up sync of `[[tips.subscriptions]]` into the store. Each tip goes out exactly once per
//! channel and local date, across restarts, slow sends and lost channels.
//!
//! It joins the pure [`crate::tips`] maths (which tip, when) to the [`Store`] and a [`TipPoster`]; the
//! Discord adapter implements the poster.
//!
//! For each day the store first *claims* (channel, local date) with the chosen tip, then the tip is
//! sent, then the claim is marked sent and the rotation advanced in one transaction. A claim found
//! unsent (the bot stopped mid-post, or the send failed) is re-sent with the same tip while it is
//! within the grace window, and given up with a logged reason after it. Transport lives behind
//! [`TipPoster`]; time behind [`Clock`], so tests drive both with `tokio::time::pause()`.

use crate::config::{Config, TipsSettings};
use crate::knowledge::Tip;
use crate::store::{Store, StoreError, SubscriptionChange, TipClaim, TipSubscription};
use crate::tips::default_schedule;
use crate::tips::rotation::{self, stable_hash};
use crate::tips::schedule::{due_now, next_post, previous_post, Due, ScheduledPost, TipSchedule};
use anyhow::{bail, Context};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing::{debug, error, info, warn};

/// One day's tip for one channel, handed to the [`TipPoster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipPost {
    pub channel_id: u64,
    /// The channel's local date this post belongs to.
    pub local_date: Date,
    /// When it was due (it may go out later: after a restart, or a retry).
    pub scheduled_at: Timestamp,
    pub tip: Tip,
}

impl TipPost {
    /// The same short string for every attempt at this (channel, date) post. A Discord poster sends
    /// it as the message `nonce` with `enforce_nonce: true`, so if the bot stops between Discord
    /// accepting a message and the store recording it, the re-send after restart is dropped by Discord.
    pub fn nonce(&self) -> String {
        stable_hash(self.channel_id, &self.local_date.to_string()).to_string()
    }
}

/// A successful post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostOutcome {
    /// The message id, when the transport has one.
    pub message_id: Option<u64>,
}

/// Why a post failed, which decides what the scheduler does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The channel was deleted, or the bot may no longer see or post in it. The subscription is
    /// paused (not retried) until someone subscribes the channel again.
    #[error("cannot post in channel: {0}")]
    ChannelUnavailable(String),
    /// Anything that may work later (network, rate limit, server error): retried with backoff
    /// until the grace window closes.
    #[error("post failed: {0}")]
    Transient(String),
}

/// Sends a tip to a channel. The Discord adapter implements this (an embed with a "learn more"
/// button, allowed mentions off); tests implement it with a recorder.
///
/// Implement it with `async fn post(&self, post: TipPost) -> Result<PostOutcome, PostError>`.
pub trait TipPoster: Send + Sync + 'static {
    fn post(&self, post: TipPost) -> impl Future<Output = Result<PostOutcome, PostError>> + Send;
}

impl<P: TipPoster> TipPoster for Arc<P> {
    fn post(&self, post: TipPost) -> impl Future<Output = Result<PostOutcome, PostError>> + Send {
        (**self).post(post)
    }
}

/// Wall-clock time for the scheduler. Sleeping always goes through tokio, so a clock that follows
/// tokio's clock ([`TokioClock`]) makes paused-time tests control both.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock: production.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Wall-clock time that advances with tokio's clock (and so stops and jumps with
/// `tokio::time::pause()` / `advance()`): `at` when created, plus tokio time elapsed since.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
    at: Timestamp,
}

impl TokioClock {
    /// A clock reading `at` now.
    pub fn starting_at(at: Timestamp) -> TokioClock {
        TokioClock {
            origin: tokio::time::Instant::now(),
            at,
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        SignedDuration::try_from(self.origin.elapsed())
            .ok()
            .and_then(|d| self.at.checked_add(d).ok())
            .unwrap_or(Timestamp::MAX)
    }
}

/// Tuning. [`SchedulerOptions::from_settings`] reads the grace window from `config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerOptions {
    /// How late a missed or failing post may still go out.
    pub grace: SignedDuration,
    /// Longest single sleep: the wall clock is re-read at least this often (suspend, clock jumps).
    pub max_sleep: Duration,
    /// First retry delay after a transient failure; doubles per attempt.
    pub retry_after: Duration,
    /// Longest retry delay.
    pub max_retry_after: Duration,
    /// A send that takes longer counts as a transient failure.
    pub post_timeout: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            grace: SignedDuration::from_hours(2),
            max_sleep: Duration::from_secs(3600),
            retry_after: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(15 * 60),
            post_timeout: Duration::from_secs(30),
        }
    }
}

impl SchedulerOptions {
    /// Defaults, with `tips.grace_minutes` from the config.
    pub fn from_settings(settings: &TipsSettings) -> SchedulerOptions {
        let minutes = i64::try_from(settings.grace_minutes).unwrap_or(i64::MAX / 60);
        SchedulerOptions {
            grace: SignedDuration::from_mins(minutes.min(i64::MAX / 60)),
            ..SchedulerOptions::default()
        }
    }
}

/// Talks to a running scheduler. Cheap to clone.
#[derive(Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
}

impl SchedulerHandle {
    /// Call after any subscription change (subscribe, unsubscribe, unpause) so the scheduler
    /// recomputes its next wake-up now instead of at its current one.
    pub fn subscriptions_changed(&self) {
        self.wake.notify_one();
    }

    /// Asks the scheduler to stop; a post in progress finishes first.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }
}

/// A post being retried after a transient failure.
struct Retry {
    date: Date,
    attempts: u32,
    at: Timestamp,
}

/// How a send ended, for the caller's next wake-up.
enum Sent {
    Done,
    RetryAt(Timestamp),
    Paused,
}

/// The daily tip task. Build it, keep a [`handle`](TipScheduler::handle), then
/// [`spawn`](TipScheduler::spawn) (or await [`run`](TipScheduler::run)).
pub struct TipScheduler<P> {
    store: Arc<Store>,
    tips: Arc<[Tip]>,
    poster: P,
    clock: Arc<dyn Clock>,
    options: SchedulerOptions,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    retries: HashMap<u64, Retry>,
    reported_missed: HashSet<(u64, Date)>,
}

impl<P: TipPoster> TipScheduler<P> {
    pub fn new(
        store: Arc<Store>,
        tips: impl Into<Arc<[Tip]>>,
        poster: P,
        clock: Arc<dyn Clock>,
        options: SchedulerOptions,
    ) -> TipScheduler<P> {
        TipScheduler {
            store,
            tips: tips.into(),
            poster,
            clock,
            options,
            wake: Arc::new(Notify::new()),
            stop: watch::channel(false).0,
            retries: HashMap::new(),
            reported_missed: HashSet::new(),
        }
    }

    /// A handle to wake or stop this scheduler once it runs.
    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            wake: Arc::clone(&self.wake),
            stop: self.stop.clone(),
        }
    }

    /// Runs [`run`](TipScheduler::run) as a tokio task.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    /// Posts tips until [`SchedulerHandle::shutdown`]. Never returns an error: failures are logged
    /// and retried, per channel.
    pub async fn run(mut self) {
        let mut stop = self.stop.subscribe();
        info!(tips = self.tips.len(), "daily tip scheduler started");
        self.report_unsent_claims().await;
        loop {
            if *stop.borrow() {
                break;
            }
            let wake_at = self.tick().await;
            let sleep = self.sleep_duration(wake_at);
            debug!(?wake_at, ?sleep, "tip scheduler sleeping");
            let deadline = tokio::time::Instant::now() + sleep;
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.wake.notified() => debug!("tip subscriptions changed"),
                _ = stop.wait_for(|stopped| *stopped) => break,
            }
        }
        info!("daily tip scheduler stopped");
    }

    fn sleep_duration(&self, wake_at: Option<Timestamp>) -> Duration {
        let Some(at) = wake_at else {
            return self.options.max_sleep;
        };
        let until = self.clock.now().duration_until(at);
        if until.is_negative() {
            return Duration::ZERO;
        }
        until.unsigned_abs().min(self.options.max_sleep)
    }

    /// Logs what a previous run left half-done; [`Self::tick`] then re-sends or skips each.
    async fn report_unsent_claims(&self) {
        match self.store.call(|s| s.unsent_tip_claims()).await {
            Ok(claims) => {
                for c in claims {
                    info!(
                        channel = c.channel_id,
                        date = %c.local_date,
                        tip = %c.tip_id,
                        "found a tip post claimed but not confirmed sent before the last stop; \
                         it is sent now if still within the grace window, otherwise skipped"
                    );
                }
            }
            Err(e) => error!("cannot read unsent tip posts: {e}"),
        }
    }

    /// Handles every active channel once; returns when something is next due.
    async fn tick(&mut self) -> Option<Timestamp> {
        let now = self.clock.now();
        let subs = match self.store.call(|s| s.tip_subscriptions()).await {
            Ok(subs) => subs,
            Err(e) => {
                error!("cannot read tip subscriptions, retrying: {e}");
                return Some(later(now, self.retry_delay(1)));
            }
        };
        self.retries
            .retain(|ch, _| subs.iter().any(|s| s.channel_id == *ch && s.is_active()));
        let mut earliest: Option<Timestamp> = None;
        for sub in subs.iter().filter(|s| s.is_active()) {
            let now = self.clock.now();
            let next = match self.handle_channel(sub, now).await {
                Ok(next) => next,
                Err(e) => {
                    error!(
                        channel = sub.channel_id,
                        "daily tip failed on the store, retrying: {e}"
                    );
                    Some(later(now, self.retry_delay(1)))
                }
            };
            earliest = match (earliest, next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        earliest
    }

    /// Does whatever one channel needs now; returns when it next needs attention.
    async fn handle_channel(
        &mut self,
        sub: &TipSubscription,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let ch = sub.channel_id;
        let schedule = match sub.schedule() {
            Ok(s) => s,
            Err(e) => {
                let reason = format!("stored schedule is invalid ({e}); subscribe again");
                error!(channel = ch, "pausing daily tips: {reason}");
                self.store
                    .call(move |s| s.pause_tip_subscription(ch, &reason))
                    .await?;
                return Ok(None);
            }
        };
        // Days scheduled before the channel subscribed are not owed to it.
        let mut handled: Option<Date> = sub
            .created_at
            .checked_sub(SignedDuration::from_nanos(1))
            .ok()
            .and_then(|t| previous_post(&schedule, t))
            .map(|p| p.date);
        if let Some(claim) = self.store.call(move |s| s.latest_tip_claim(ch)).await? {
            if claim.is_pending() {
                if let Some(retry_at) = self.resume_claim(&schedule, &claim, now).await? {
                    return Ok(Some(retry_at));
                }
            }
            handled = handled.max(Some(claim.local_date));
        }
        match due_now(&schedule, handled, now, self.options.grace) {
            Due::Now { post, late_by } => self.post_new(ch, &schedule, post, late_by, now).await,
            Due::Missed {
                missed,
                late_by,
                next,
            } => {
                if self.reported_missed.insert((ch, missed.date)) {
                    warn!(
                        channel = ch,
                        date = %missed.date,
                        due = %missed.at,
                        late_minutes = late_by.as_mins(),
                        grace_minutes = self.options.grace.as_mins(),
                        next = ?next.map(|n| n.at),
                        "skipping a daily tip: the bot was not running when it was due and \
                         is back too late (past the grace window); the channel gets its next one"
                    );
                }
                Ok(next.map(|n| n.at))
            }
            Due::Wait { next } => Ok(next.map(|n| n.at)),
        }
    }

    /// A claimed post that was never confirmed sent: send it again (same tip) within the grace
    /// window, give it up after. Returns `Some(when)` while it is still being retried.
    async fn resume_claim(
        &mut self,
        schedule: &TipSchedule,
        claim: &TipClaim,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (ch, date) = (claim.channel_id, claim.local_date);
        let scheduled_at = schedule.post_at(date).unwrap_or(claim.claimed_at);
        let late_by = now.duration_since(scheduled_at);
        if late_by > self.options.grace {
            let reason = format!(
                "not sent within the {}-minute grace window after it was due at {scheduled_at}",
                self.options.grace.as_mins()
            );
            warn!(channel = ch, date = %date, tip = %claim.tip_id, "giving up a daily tip: {reason}");
            self.retries.remove(&ch);
            self.store
                .call(move |s| s.skip_tip_post(ch, date, &reason))
                .await?;
            return Ok(None);
        }
        if let Some(retry) = self.retries.get(&ch) {
            if retry.date == date && retry.at > now {
                return Ok(Some(retry.at));
            }
        }
        let Some(tip) = self.tips.iter().find(|t| t.id == claim.tip_id).cloned() else {
            let reason = format!("tip `{}` is no longer in tips.toml", claim.tip_id);
            warn!(channel = ch, date = %date, "giving up a daily tip: {reason}");
            self.store
                .call(move |s| s.skip_tip_post(ch, date, &reason))
                .await?;
            return Ok(None);
        };
        if !self.retries.contains_key(&ch) {
            info!(channel = ch, date = %date, tip = %tip.id, "re-sending a daily tip claimed before the last stop");
        }
        let post = ScheduledPost {
            date,
            at: scheduled_at,
        };
        Ok(match self.send(ch, post, tip).await? {
            Sent::Done | Sent::Paused => None,
            Sent::RetryAt(at) => Some(at),
        })
    }

    /// Picks the channel's next tip, claims the day, and sends.
    async fn post_new(
        &mut self,
        ch: u64,
        schedule: &TipSchedule,
        post: ScheduledPost,
        late_by: SignedDuration,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let after = || next_post(schedule, now).map(|n| n.at);
        let state = self.store.call(move |s| s.tip_rotation(ch)).await?;
        let Some((tip, _)) = rotation::next_tip(&self.tips, ch, &state) else {
            warn!(
                channel = ch,
                "no daily tip to post: knowledge/tips.toml has no tips"
            );
            return Ok(after());
        };
        let tip = tip.clone();
        let (date, tip_id) = (post.date, tip.id.clone());
        let claimed = self
            .store
            .call(move |s| s.claim_tip_post(ch, date, &tip_id, now))
            .await?;
        if !claimed {
            warn!(channel = ch, date = %date, "daily tip already claimed by another run; not posting");
            return Ok(after());
        }
        if late_by >= SignedDuration::from_mins(1) {
            info!(channel = ch, date = %date, late_minutes = late_by.as_mins(), "posting a daily tip late (the bot was not running when it was due)");
        }
        Ok(match self.send(ch, post, tip).await? {
            Sent::Done => after(),
            Sent::RetryAt(at) => Some(at),
            Sent::Paused => None,
        })
    }

    /// Sends a claimed post and records the result.
    async fn send(&mut self, ch: u64, post: ScheduledPost, tip: Tip) -> Result<Sent, StoreError> {
        let date = post.date;
        let request = TipPost {
            channel_id: ch,
            local_date: date,
            scheduled_at: post.at,
            tip: tip.clone(),
        };
        let timeout = self.options.post_timeout;
        let result = match tokio::time::timeout(timeout, self.poster.post(request)).await {
            Ok(result) => result,
            Err(_) => Err(PostError::Transient(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
        };
        let now = self.clock.now();
        match result {
            Ok(outcome) => {
                let tips = Arc::clone(&self.tips);
                let tip_id = tip.id.clone();
                self.store
                    .call(move |s| {
                        let state = s.tip_rotation(ch)?;
                        let next = rotation::record(&tips, &state, &tip_id);
                        s.mark_tip_post_sent(ch, date, outcome.message_id, &next, now)
                    })
                    .await?;
                self.retries.remove(&ch);
                info!(channel = ch, date = %date, tip = %tip.id, "posted the daily tip");
                Ok(Sent::Done)
            }
            Err(PostError::ChannelUnavailable(why)) => {
                self.retries.remove(&ch);
                warn!(
                    channel = ch,
                    "pausing daily tips: {why}; they resume when someone runs /tips subscribe there again"
                );
                let reason = format!("channel unavailable: {why}");
                self.store
                    .call(move |s| {
                        s.pause_tip_subscription(ch, &reason)?;
                        s.skip_tip_post(ch, date, &reason)
                    })
                    .await?;
                Ok(Sent::Paused)
            }
            Err(PostError::Transient(why)) => {
                let attempts = match self.retries.get(&ch) {
                    Some(r) if r.date == date => r.attempts + 1,
                    _ => 1,
                };
                let at = later(now, self.retry_delay(attempts));
                warn!(channel = ch, date = %date, attempts, retry_at = %at, "daily tip not sent, will retry: {why}");
                self.retries.insert(ch, Retry { date, attempts, at });
                Ok(Sent::RetryAt(at))
            }
        }
    }

    /// `retry_after`, doubled per earlier attempt, capped.
    fn retry_delay(&self, attempts: u32) -> SignedDuration {
        let factor = 1u32 << attempts.saturating_sub(1).min(16);
        let delay = self
            .options
            .retry_after
            .saturating_mul(factor)
            .min(self.options.max_retry_after);
        SignedDuration::try_from(delay).unwrap_or(SignedDuration::from_hours(1))
    }
}

/// `t + d`, saturating at the end of time instead of panicking.
fn later(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(Timestamp::MAX)
}

/// Upserts every `[[tips.subscriptions]]` into the store; run at start-up, before the scheduler.
/// Idempotent: an unchanged subscription is not rewritten (and a paused one stays paused).
/// Everything is validated first, so a bad entry changes nothing. Returns how many were created or
/// changed.
pub fn apply_config_subscriptions(config: &Config, store: &Store) -> anyhow::Result<usize> {
    default_schedule(&config.tips).context("config: tips.default_time / tips.default_timezone")?;
    let mut seen = HashSet::new();
    let mut schedules = Vec::with_capacity(config.tips.subscriptions.len());
    for (i, s) in config.tips.subscriptions.iter().enumerate() {
        if !seen.insert(s.channel) {
            bail!(
                "config: tips.subscriptions[{i}]: channel {} is listed twice",
                s.channel
            );
        }
        let schedule = TipSchedule::parse(&s.time, &s.timezone, &s.days)
            .with_context(|| format!("config: tips.subscriptions[{i}] (channel {})", s.channel))?;
        schedules.push((s.channel, schedule));
    }
    let now = Timestamp::now();
    let mut changed = 0;
    for (channel, schedule) in schedules {
        match store.upsert_tip_subscription(channel, &schedule, now)? {
            SubscriptionChange::Unchanged => {
                debug!(channel, "config tip subscription unchanged");
            }
            change => {
                info!(channel, schedule = %schedule.describe(), ?change, "applied config tip subscription");
                changed += 1;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TipSubscriptionSetting;
    use std::path::Path;

    #[test]
    fn config_subscriptions_apply_once_and_restarts_change_nothing() {
        let store = Store::open_in_memory().unwrap();
        let mut config = Config::default();
        config.tips.subscriptions = vec![
            TipSubscriptionSetting {
                channel: 1,
                time: "08:30".into(),
                timezone: "europe/berlin".into(),
                days: "workdays".into(),
            },
            TipSubscriptionSetting {
                channel: 2,
                time: "7:00".into(),
                timezone: "America/New_York".into(),
                days: "daily".into(),
            },
        ];
        assert_eq!(apply_config_subscriptions(&config, &store).unwrap(), 2);
        let before = store.tip_subscriptions().unwrap();
        assert_eq!(before[0].timezone, "Europe/Berlin");
        assert_eq!(before[1].days, "everyday");
        assert_eq!(apply_config_subscriptions(&config, &store).unwrap(), 0);
        assert_eq!(store.tip_subscriptions().unwrap(), before);
    }

    #[test]
    fn a_bad_config_subscription_names_the_entry_and_applies_nothing() {
        let store = Store::open_in_memory().unwrap();
        let config = Config::parse(
            "[[tips.subscriptions]]\nchannel = 1\ntime = \"08:30\"\ntimezone = \"UTC\"\n\
             [[tips.subscriptions]]\nchannel = 2\ntime = \"08:30\"\ntimezone = \"CEST\"\n",
            Path::new("config.toml"),
        )
        .unwrap();
        let err = format!(
            "{:#}",
            apply_config_subscriptions(&config, &store).unwrap_err()
        );
        assert!(err.contains("tips.subscriptions[1] (channel 2)"), "{err}");
        assert!(err.contains("`CEST`"), "{err}");
        assert!(store.tip_subscriptions().unwrap().is_empty());
    }
}
