//! The weekly digest service: posts each subscribed curator channel's digest (the week's figures
//! against the week before, a chart, what the bot could not answer) once a week at a local time,
//! and deletes usage rows past `report.retention_days` once a day. The Discord adapter implements
//! the [`DigestPoster`]; time comes from a [`Clock`], so paused-time tests drive it.
//!
//! Exactly once per channel and week, across restarts and processes, by the daily tip's lease
//! protocol (`docs/storage.md`) on the digest's own claims: the store claims (channel, local date
//! of the post) with the week it covers and a lease for this task, the digest is sent with the
//! claim's nonce and `enforce_nonce`, and only the lease holder may mark it sent. A claim left
//! unsent (a stop or crash mid-post) is taken over once its lease runs out and sent again for the
//! same week with the same nonce, so Discord hands back the first message instead of a second;
//! within the grace window, that is, after which it is given up with a logged reason.

use crate::config::{Config, DigestSettings};
use crate::daily_tips::{Clock, PostError, PostOutcome};
use crate::knowledge::KnowledgeBase;
use crate::report::{chart, digest::DigestCard};
use crate::store::{ClaimOutcome, DigestLease, LeaseGrant, LeaseOwner, Store, StoreError};
use crate::tips::schedule::{due_now, next_post, previous_post, Days, Due, ScheduleError};
use crate::tips::TipSchedule;
use crate::usage::{Period, Reporting, UsageReport};
use anyhow::Context as _;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing::{debug, error, info, warn};

/// How many days a digest covers.
pub const WEEK_DAYS: i64 = 7;

/// One channel's digest, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestPost {
    pub channel_id: u64,
    /// The channel's local date the post belongs to (its claim's key).
    pub local_date: Date,
    /// The seven days it covers.
    pub week: Period,
    pub card: DigestCard,
    /// The chart as PNG bytes; `None` when it could not be drawn (the digest goes out without it).
    pub chart: Option<Vec<u8>>,
    /// Sent as the message nonce with `enforce_nonce`: the same for every attempt at this post.
    pub nonce: String,
}

/// Sends a digest to a channel: the Discord adapter (an embed with the chart attached and a
/// "copy as KB stub" button per unanswered question); tests implement it with a recorder.
///
/// Implement it with `async fn post(&self, post: DigestPost) -> Result<PostOutcome, PostError>`.
pub trait DigestPoster: Send + Sync + 'static {
    fn post(&self, post: DigestPost)
        -> impl Future<Output = Result<PostOutcome, PostError>> + Send;
}

/// Why a digest schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestScheduleError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error("day `{value}`: the digest is weekly, name one day like `mon` or `friday`")]
    NotOneDay { value: String },
}

/// A weekly schedule: one weekday, a local time, an IANA time zone (`mon`, `09:00`, `Europe/Berlin`).
pub fn weekly_schedule(
    day: &str,
    time: &str,
    timezone: &str,
) -> Result<TipSchedule, DigestScheduleError> {
    let schedule = TipSchedule::parse(time, timezone, day)?;
    match schedule.days() {
        Days::Only(set) if set.iter().count() == 1 => Ok(schedule),
        _ => Err(DigestScheduleError::NotOneDay {
            value: day.to_string(),
        }),
    }
}

/// The week a digest posted on local date `post_date` covers: the seven days before it.
pub fn week_before(post_date: Date) -> Option<Period> {
    let until = post_date.checked_sub(1.day()).ok()?;
    Period::ending(until, WEEK_DAYS).ok()
}

/// Upserts `[digest] channel` into the store (idempotent: an unchanged schedule is not rewritten,
/// a paused one stays paused); run at start-up. `timezone` defaults to `report.timezone`.
/// Returns whether a subscription was created or changed.
pub async fn apply_config_digest(
    settings: &DigestSettings,
    reporting: &Reporting,
    store: &Store,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let Some(channel) = settings.channel else {
        return Ok(false);
    };
    let zone = settings
        .timezone
        .as_deref()
        .unwrap_or(reporting.zone_name());
    let schedule = weekly_schedule(&settings.day, &settings.time, zone)
        .with_context(|| format!("config: digest (channel {channel})"))?;
    let changes = store
        .upsert_digest_subscriptions(&[(channel, schedule.clone())], now)
        .await?;
    let changed = changes
        .first()
        .is_some_and(|c| *c != crate::store::SubscriptionChange::Unchanged);
    if changed {
        info!(channel, schedule = %schedule.describe(), "applied the config's weekly digest channel");
    }
    Ok(changed)
}

/// Tuning for the digest task.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestOptions {
    /// How late a missed digest may still go out (a weekly summary is still worth a late post).
    pub grace: SignedDuration,
    /// Longest single sleep: the clock is re-read (and the daily purge checked) at least this often.
    pub max_sleep: Duration,
    /// First retry delay after a transient failure; doubles per attempt.
    pub retry_after: Duration,
    /// Longest retry delay.
    pub max_retry_after: Duration,
    /// A send that takes longer counts as a transient failure.
    pub post_timeout: Duration,
    /// How long a claim is this task's alone; well above `post_timeout`.
    pub lease: Duration,
}

impl Default for DigestOptions {
    fn default() -> Self {
        DigestOptions {
            grace: SignedDuration::from_hours(24),
            max_sleep: Duration::from_secs(3600),
            retry_after: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(15 * 60),
            post_timeout: Duration::from_secs(30),
            lease: Duration::from_secs(120),
        }
    }
}

/// Talks to a running digest task. Cheap to clone.
#[derive(Clone)]
pub struct DigestHandle {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
}

impl DigestHandle {
    /// Call after a subscription change so the task recomputes its next wake-up now.
    pub fn subscriptions_changed(&self) {
        self.wake.notify_one();
    }

    /// Asks the task to stop; a post in progress finishes (or times out) first.
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

/// The weekly digest task (and the daily retention purge). Build it, keep a
/// [`handle`](DigestScheduler::handle), then [`spawn`](DigestScheduler::spawn) it.
pub struct DigestScheduler<P> {
    store: Arc<Store>,
    owner: LeaseOwner,
    kb: Arc<KnowledgeBase>,
    reporting: Reporting,
    poster: P,
    clock: Arc<dyn Clock>,
    options: DigestOptions,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    retries: HashMap<u64, Retry>,
    reported_missed: HashSet<(u64, Date)>,
    /// The last local day the retention purge ran on.
    purged_on: Option<Date>,
}

impl<P: DigestPoster> DigestScheduler<P> {
    pub fn new(
        store: Arc<Store>,
        kb: Arc<KnowledgeBase>,
        reporting: Reporting,
        poster: P,
        clock: Arc<dyn Clock>,
        options: DigestOptions,
    ) -> DigestScheduler<P> {
        DigestScheduler {
            store,
            owner: LeaseOwner::generate(),
            kb,
            reporting,
            poster,
            clock,
            options,
            wake: Arc::new(Notify::new()),
            stop: watch::channel(false).0,
            retries: HashMap::new(),
            reported_missed: HashSet::new(),
            purged_on: None,
        }
    }

    /// This task's name on the digest posts it claims (`digest_posts.lease_owner`).
    pub fn lease_owner(&self) -> &LeaseOwner {
        &self.owner
    }

    /// A handle to wake or stop this task once it runs.
    pub fn handle(&self) -> DigestHandle {
        DigestHandle {
            wake: Arc::clone(&self.wake),
            stop: self.stop.clone(),
        }
    }

    /// Runs [`run`](DigestScheduler::run) as a tokio task.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    /// Posts digests (and purges old rows) until [`DigestHandle::shutdown`]. Failures are logged
    /// and retried.
    pub async fn run(mut self) {
        let mut stop = self.stop.subscribe();
        info!(owner = %self.owner, "weekly digest task started");
        loop {
            if *stop.borrow() {
                break;
            }
            self.purge_if_new_day().await;
            let wake_at = self.tick().await;
            let sleep = self.sleep_duration(wake_at);
            debug!(?wake_at, ?sleep, "digest task sleeping");
            let deadline = tokio::time::Instant::now() + sleep;
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.wake.notified() => debug!("digest subscriptions changed"),
                _ = stop.wait_for(|stopped| *stopped) => break,
            }
        }
        info!("weekly digest task stopped");
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

    /// Deletes rows past the retention period, once per local day (several processes may each
    /// do it: deleting what is already gone changes nothing).
    async fn purge_if_new_day(&mut self) {
        let today = self.reporting.day(self.clock.now());
        if self.purged_on == Some(today) {
            return;
        }
        let keep_from = self.reporting.keep_from(today);
        match self.store.purge_usage(keep_from).await {
            Ok(purged) => {
                self.purged_on = Some(today);
                if purged.total() > 0 {
                    info!(
                        before = %keep_from,
                        usage_rows = purged.usage_rows,
                        unanswered = purged.unanswered,
                        votes = purged.votes,
                        "deleted usage rows past report.retention_days"
                    );
                }
            }
            Err(e) => error!("cannot purge old usage rows, retrying later: {e}"),
        }
    }

    /// Handles every active channel once; returns when something is next due.
    async fn tick(&mut self) -> Option<Timestamp> {
        let now = self.clock.now();
        let subs = match self.store.digest_subscriptions().await {
            Ok(subs) => subs,
            Err(e) => {
                error!("cannot read digest subscriptions, retrying: {e}");
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
                        "weekly digest failed on the store, retrying: {e}"
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

    async fn handle_channel(
        &mut self,
        sub: &crate::store::DigestSubscription,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let ch = sub.channel_id;
        let schedule = match sub.schedule() {
            Ok(s) => s,
            Err(e) => {
                let reason = format!("stored schedule is invalid ({e}); subscribe again");
                error!(channel = ch, "pausing the weekly digest: {reason}");
                self.store.pause_digest_subscription(ch, &reason).await?;
                return Ok(None);
            }
        };
        // Weeks that ended before the channel subscribed are not owed to it.
        let mut handled: Option<Date> = sub
            .created_at
            .checked_sub(SignedDuration::from_nanos(1))
            .ok()
            .and_then(|t| previous_post(&schedule, t))
            .map(|p| p.date);
        if let Some(claim) = self.store.latest_digest_claim(ch).await? {
            if claim.is_pending() {
                if let Some(retry_at) = self
                    .resume(&schedule, ch, claim.local_date, &claim.tip_id, now)
                    .await?
                {
                    return Ok(Some(retry_at));
                }
            }
            handled = handled.max(Some(claim.local_date));
        }
        match due_now(&schedule, handled, now, self.options.grace) {
            Due::Now { post, .. } => {
                let Some(week) = week_before(post.date) else {
                    return Ok(next_post(&schedule, now).map(|n| n.at));
                };
                let retry = self
                    .claim_and_send(ch, post.date, week.until(), post.at, now)
                    .await?;
                Ok(retry.or_else(|| next_post(&schedule, now).map(|n| n.at)))
            }
            Due::Missed { missed, next, .. } => {
                if self.reported_missed.insert((ch, missed.date)) {
                    warn!(
                        channel = ch,
                        date = %missed.date,
                        due = %missed.at,
                        grace_hours = self.options.grace.as_hours(),
                        "skipping a weekly digest: the bot was not running when it was due and is \
                         back past the grace window; the channel gets next week's"
                    );
                }
                Ok(next.map(|n| n.at))
            }
            Due::Wait { next } => Ok(next.map(|n| n.at)),
        }
    }

    /// A claimed digest never confirmed sent: once this task holds the lease, send it again for
    /// the same week within the grace window, give it up after. `Some(when)` while it is being
    /// retried or another task's live lease holds it.
    async fn resume(
        &mut self,
        schedule: &TipSchedule,
        ch: u64,
        date: Date,
        week_until: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        if let Some(retry) = self.retries.get(&ch) {
            if retry.date == date && retry.at > now {
                return Ok(Some(retry.at));
            }
        }
        let Ok(week_until) = week_until.parse::<Date>() else {
            return Err(StoreError::Corrupt(format!(
                "digest_posts of channel {ch} for {date}: `{week_until}` is not a date"
            )));
        };
        let due_at = schedule.post_at(date).unwrap_or(now);
        self.claim_and_send(ch, date, week_until, due_at, now).await
    }

    /// Claims one digest (or re-claims it), then sends it if this task got the lease and it is
    /// still within the grace window. `Some(when)` to look again.
    async fn claim_and_send(
        &mut self,
        ch: u64,
        date: Date,
        week_until: Date,
        due_at: Timestamp,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let ttl =
            SignedDuration::try_from(self.options.lease).unwrap_or(SignedDuration::from_mins(2));
        let lease = match self
            .store
            .claim_digest_post(ch, date, week_until, &self.owner, now, ttl)
            .await?
        {
            ClaimOutcome::Granted(lease) => lease,
            ClaimOutcome::Held { owner, until } => {
                debug!(channel = ch, date = %date, %owner, %until, "weekly digest held by another process");
                return Ok(Some(until));
            }
            ClaimOutcome::Finished(_) => return Ok(None),
        };
        if now.duration_since(due_at) > self.options.grace {
            let reason = format!(
                "not sent within the {}-hour grace window after it was due at {due_at}",
                self.options.grace.as_hours()
            );
            warn!(channel = ch, date = %date, "giving up a weekly digest: {reason}");
            self.retries.remove(&ch);
            self.give_up(&lease, &reason, false).await?;
            return Ok(None);
        }
        if let LeaseGrant::TakenOver { from } = &lease.grant {
            info!(
                channel = ch, date = %date,
                previous_owner = from.as_deref().unwrap_or("none"),
                "taking over a weekly digest left unsent (its lease ran out); sending it with the same nonce"
            );
        }
        self.send(lease).await
    }

    /// Builds the digest for the lease's week, sends it and records the result.
    async fn send(&mut self, lease: DigestLease) -> Result<Option<Timestamp>, StoreError> {
        let (ch, date) = (lease.channel_id, lease.local_date);
        let week = match lease.tip_id.parse::<Date>().ok().and_then(|d| {
            // The claim records the week's last day; a week is the seven days ending there.
            Period::ending(d, WEEK_DAYS).ok()
        }) {
            Some(week) => week,
            None => {
                let reason = format!("the claimed week `{}` is not a date", lease.tip_id);
                self.give_up(&lease, &reason, false).await?;
                return Ok(None);
            }
        };
        let figures = self.store.usage_figures(week).await?;
        let kb = Arc::clone(&self.kb);
        let report = UsageReport::build(&figures, week, |id| kb.entry(id).map(|e| e.title.clone()));
        let card = DigestCard::new(&report);
        // Drawing and encoding take tens of milliseconds: off the async executor.
        let chart = match tokio::task::spawn_blocking(move || chart::render(&report)).await {
            Ok(Ok(png)) => Some(png),
            Ok(Err(e)) => {
                warn!(
                    channel = ch,
                    "posting the weekly digest without its chart: {e}"
                );
                None
            }
            Err(e) => {
                warn!(
                    channel = ch,
                    "posting the weekly digest without its chart: {e}"
                );
                None
            }
        };
        let post = DigestPost {
            channel_id: ch,
            local_date: date,
            week,
            card,
            chart,
            nonce: lease.nonce.clone(),
        };
        let timeout = self.options.post_timeout;
        let result = match tokio::time::timeout(timeout, self.poster.post(post)).await {
            Ok(result) => result,
            Err(_) => Err(PostError::Transient(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
        };
        let now = self.clock.now();
        match result {
            Ok(outcome) => {
                self.retries.remove(&ch);
                match self
                    .store
                    .mark_digest_post_sent(&lease, outcome.message_id, now)
                    .await
                {
                    Ok(()) => {
                        info!(channel = ch, date = %date, week_until = %week.until(), "posted the weekly digest")
                    }
                    Err(e @ StoreError::LeaseLost { .. }) => warn!(
                        channel = ch, date = %date,
                        "posted the weekly digest, but another process took the post over meanwhile \
                         ({e}); it sends with the same nonce, so Discord returns this message to it"
                    ),
                    Err(e) => return Err(e),
                }
                Ok(None)
            }
            Err(PostError::ChannelUnavailable(why)) => {
                self.retries.remove(&ch);
                warn!(
                    channel = ch,
                    "pausing the weekly digest: {why}; it resumes when someone runs /digest subscribe there again"
                );
                self.give_up(&lease, &format!("channel unavailable: {why}"), true)
                    .await?;
                Ok(None)
            }
            Err(PostError::Transient(why)) => {
                let attempts = match self.retries.get(&ch) {
                    Some(r) if r.date == date => r.attempts + 1,
                    _ => 1,
                };
                let at = later(now, self.retry_delay(attempts));
                warn!(channel = ch, date = %date, attempts, retry_at = %at, "weekly digest not sent, will retry: {why}");
                self.retries.insert(ch, Retry { date, attempts, at });
                Ok(Some(at))
            }
        }
    }

    /// Records that this task gives a digest up; a lease taken over meanwhile leaves the outcome
    /// to the new holder.
    async fn give_up(
        &self,
        lease: &DigestLease,
        reason: &str,
        pause_channel: bool,
    ) -> Result<(), StoreError> {
        match self
            .store
            .skip_digest_post(lease, reason, pause_channel)
            .await
        {
            Err(e @ StoreError::LeaseLost { .. }) => {
                warn!(channel = lease.channel_id, date = %lease.local_date, "not recording the give-up: {e}");
                Ok(())
            }
            other => other,
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

/// Reads `[report]` and applies `[digest] channel` to the store: what `hingebot run` does before it
/// connects. Returns the reporting settings the bot counts replies by.
pub async fn apply_config(
    config: &Config,
    store: &Store,
    now: Timestamp,
) -> anyhow::Result<Reporting> {
    let reporting = Reporting::from_settings(&config.report)?;
    apply_config_digest(&config.digest, &reporting, store, now).await?;
    Ok(reporting)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_digest_schedule_names_exactly_one_day() {
        let s = weekly_schedule("Monday", "09:00", "Europe/Berlin").unwrap();
        assert_eq!(s.days().to_string(), "mon");
        for (day, bad) in [("workdays", true), ("mon,fri", true), ("someday", true)] {
            assert_eq!(weekly_schedule(day, "09:00", "UTC").is_err(), bad, "{day}");
        }
        assert!(matches!(
            weekly_schedule("mon", "9.00", "UTC"),
            Err(DigestScheduleError::Schedule(ScheduleError::Time { .. }))
        ));
        let err = weekly_schedule("mon-wed", "09:00", "UTC")
            .unwrap_err()
            .to_string();
        assert!(err.contains("one day"), "{err}");
    }

    #[test]
    fn a_digest_covers_the_seven_days_before_its_post() {
        let week = week_before(date(2026, 3, 9)).unwrap();
        assert_eq!(
            (week.since(), week.until()),
            (date(2026, 3, 2), date(2026, 3, 8))
        );
    }

    #[tokio::test]
    async fn the_config_channel_is_applied_once_in_the_report_zone_by_default() {
        let store = Store::open_in_memory().await.unwrap();
        let reporting = Reporting::from_settings(&crate::config::ReportSettings {
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        })
        .unwrap();
        let settings = DigestSettings {
            channel: Some(5),
            ..DigestSettings::default()
        };
        let now = Timestamp::UNIX_EPOCH;
        assert!(apply_config_digest(&settings, &reporting, &store, now)
            .await
            .unwrap());
        assert!(!apply_config_digest(&settings, &reporting, &store, now)
            .await
            .unwrap());
        let sub = store.digest_subscription(5).await.unwrap().unwrap();
        assert_eq!(
            (sub.time.as_str(), sub.timezone.as_str(), sub.days.as_str()),
            ("09:00", "Europe/Berlin", "mon")
        );
        let bad = DigestSettings {
            day: "weekdays".into(),
            ..settings
        };
        let err = format!(
            "{:#}",
            apply_config_digest(&bad, &reporting, &store, now)
                .await
                .unwrap_err()
        );
        assert!(err.contains("config: digest (channel 5)"), "{err}");
    }
}
