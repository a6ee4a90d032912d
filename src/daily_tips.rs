//! The daily tip service: the task that posts each subscribed channel's tip at its local time, and
//! the start-up sync of `[[tips.subscriptions]]` into the store. Each tip goes out exactly once per
//! channel and local date, across restarts, slow sends and lost channels.
//!
//! It joins the pure [`crate::tips`] maths (which tip, when) to the [`Store`] and a [`TipPoster`]; the
//! Discord adapter implements the poster.
//!
//! For each day the store first *claims* (channel, local date) with the chosen tip and a lease for
//! this scheduler, then the tip is sent, then the claim is marked sent and the rotation advanced in
//! one transaction, which the store accepts only from the lease holder. A claim found unsent (the
//! bot stopped mid-post, or the send failed) is claimed again and re-sent with the same tip and
//! nonce while it is within the grace window, and given up with a logged reason after it; while
//! another scheduler's lease on it is live, it is left alone until the lease runs out. Transport
//! lives behind [`TipPoster`]; time behind [`Clock`], so tests drive both with `tokio::time::pause()`.

use crate::config::{Config, TipsSettings};
use crate::failure_log::FailureLog;
use crate::knowledge::Tip;
use crate::shards::ShardRange;
use crate::store::{
    ClaimOutcome, LeaseGrant, LeaseOwner, NewTipSubscription, Store, StoreError,
    SubscriptionChange, TipClaim, TipClaimRequest, TipLease, TipSubscription,
};
use crate::tips::default_schedule;
use crate::tips::rotation;
use crate::tips::schedule::{due_now, next_post, previous_post, Due, ScheduledPost, TipSchedule};
use anyhow::{bail, Context};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
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
    /// The same short string for every attempt at this (channel, date) post, recorded with its
    /// claim. A Discord poster sends it as the message `nonce` with `enforce_nonce: true`, so if the
    /// bot stops between Discord accepting a message and the store recording it, the re-send
    /// (after a restart, or by another process taking over) returns the first message instead.
    pub nonce: String,
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
    /// Longest single sleep: the wall clock and the subscriptions are re-read at least this often
    /// (suspend, clock jumps, subscriptions made through another process); `/healthz` expects a
    /// tick at least this often.
    pub max_sleep: Duration,
    /// First retry delay after a transient failure; doubles per attempt.
    pub retry_after: Duration,
    /// Longest retry delay.
    pub max_retry_after: Duration,
    /// A send that takes longer counts as a transient failure.
    pub post_timeout: Duration,
    /// How long a claim is this scheduler's alone before another one may take it over; well
    /// above `post_timeout`, since it must cover a send and recording its result.
    pub lease: Duration,
    /// How soon to look again after the database failed (unreachable, read-only): the tips due
    /// meanwhile go out this long after it is back, at most.
    pub store_retry: Duration,
    /// Post only in channels whose guild is on these shards (direct messages and channels of
    /// unknown guild are shard 0's); `None`: every channel.
    pub shards: Option<ShardRange>,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            grace: SignedDuration::from_hours(2),
            max_sleep: Duration::from_secs(5 * 60),
            retry_after: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(15 * 60),
            post_timeout: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            store_retry: Duration::from_secs(15),
            shards: None,
        }
    }
}

impl SchedulerOptions {
    /// Defaults, with `tips.grace_minutes` and `tips.lease_seconds` from the config (a send may
    /// take half the lease, 30 s at most).
    pub fn from_settings(settings: &TipsSettings) -> SchedulerOptions {
        let minutes = i64::try_from(settings.grace_minutes).unwrap_or(i64::MAX / 60);
        let defaults = SchedulerOptions::default();
        let lease = Duration::from_secs(settings.lease_seconds);
        SchedulerOptions {
            grace: SignedDuration::from_mins(minutes.min(i64::MAX / 60)),
            lease,
            post_timeout: defaults.post_timeout.min(lease / 2),
            ..defaults
        }
    }
}

/// Talks to a running scheduler. Cheap to clone.
#[derive(Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    last_tick: Arc<AtomicI64>,
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

    /// When the scheduler last read the subscriptions (on its clock): it is alive and the
    /// database answers. `None` before the first time.
    pub fn last_tick(&self) -> Option<Timestamp> {
        match self.last_tick.load(Ordering::Relaxed) {
            0 => None,
            seconds => Timestamp::from_second(seconds).ok(),
        }
    }
}

/// A post being retried after a transient failure.
struct Retry {
    date: Date,
    attempts: u32,
    at: Timestamp,
}

/// A post Discord confirmed whose record the database refused: only the record is retried.
struct Unrecorded {
    lease: TipLease,
    message_id: Option<u64>,
}

/// What failed on the store, for [`FailureLog`] (one report a minute per kind).
const READ_SUBSCRIPTIONS: &str = "read the daily tip subscriptions";
const TIP_BOOKKEEPING: &str = "claim or record a daily tip";

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
    /// This scheduler's name on the leases it takes.
    owner: LeaseOwner,
    tips: Arc<[Tip]>,
    poster: P,
    clock: Arc<dyn Clock>,
    options: SchedulerOptions,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    last_tick: Arc<AtomicI64>,
    retries: HashMap<u64, Retry>,
    unrecorded: HashMap<u64, Unrecorded>,
    reported_missed: HashSet<(u64, Date)>,
    failures: FailureLog,
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
            owner: LeaseOwner::generate(),
            tips: tips.into(),
            poster,
            clock,
            options,
            wake: Arc::new(Notify::new()),
            stop: watch::channel(false).0,
            last_tick: Arc::new(AtomicI64::new(0)),
            retries: HashMap::new(),
            unrecorded: HashMap::new(),
            reported_missed: HashSet::new(),
            failures: FailureLog::default(),
        }
    }

    /// This scheduler's name on the tip posts it claims (in `tip_posts.lease_owner`).
    pub fn lease_owner(&self) -> &LeaseOwner {
        &self.owner
    }

    /// A handle to wake or stop this scheduler once it runs.
    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            wake: Arc::clone(&self.wake),
            stop: self.stop.clone(),
            last_tick: Arc::clone(&self.last_tick),
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
        match &self.options.shards {
            Some(shards) => {
                info!(tips = self.tips.len(), owner = %self.owner, %shards, "daily tip scheduler started, for the guilds on these shards")
            }
            None => {
                info!(tips = self.tips.len(), owner = %self.owner, "daily tip scheduler started")
            }
        }
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
        match self.store.unsent_tip_claims().await {
            Ok(claims) => {
                for c in claims {
                    info!(
                        channel = c.channel_id,
                        date = %c.local_date,
                        tip = %c.tip_id,
                        lease_owner = c.lease_owner.as_deref().unwrap_or("none"),
                        "found a tip post claimed but not confirmed sent (in flight elsewhere, or \
                         left by a stop); once no other live scheduler holds it, it is sent if \
                         still within the grace window, otherwise skipped"
                    );
                }
            }
            Err(e) => error!("cannot read unsent tip posts: {e}"),
        }
    }

    /// Whether this scheduler posts in a subscribed channel: it is active and, with shards, its
    /// guild is on one of this process's.
    fn is_mine(&self, sub: &TipSubscription) -> bool {
        sub.is_active()
            && self
                .options
                .shards
                .is_none_or(|shards| shards.owns_guild(sub.guild_id))
    }

    /// When to look again after the store failed.
    fn after_store_failure(&self, now: Timestamp) -> Option<Timestamp> {
        let retry = SignedDuration::try_from(self.options.store_retry)
            .unwrap_or(SignedDuration::from_secs(15));
        Some(later(now, retry))
    }

    /// Handles every active channel once; returns when something is next due.
    async fn tick(&mut self) -> Option<Timestamp> {
        let now = self.clock.now();
        let subs = match self
            .failures
            .track(READ_SUBSCRIPTIONS, self.store.tip_subscriptions().await)
        {
            Ok(subs) => subs,
            Err(_) => return self.after_store_failure(now),
        };
        self.last_tick
            .store(now.as_second().max(1), Ordering::Relaxed);
        let mine: Vec<&TipSubscription> = subs.iter().filter(|s| self.is_mine(s)).collect();
        self.retries
            .retain(|ch, _| mine.iter().any(|s| s.channel_id == *ch));
        self.unrecorded
            .retain(|ch, _| mine.iter().any(|s| s.channel_id == *ch));
        let mut earliest: Option<Timestamp> = None;
        for sub in mine {
            let now = self.clock.now();
            let handled = self.handle_channel(sub, now).await;
            let next = match self.failures.track(TIP_BOOKKEEPING, handled) {
                Ok(next) => next,
                Err(_) => self.after_store_failure(now),
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
        if let Some(pending) = self.unrecorded.remove(&ch) {
            self.record_sent(pending).await?;
        }
        let schedule = match sub.schedule() {
            Ok(s) => s,
            Err(e) => {
                let reason = format!("stored schedule is invalid ({e}); subscribe again");
                error!(channel = ch, "pausing daily tips: {reason}");
                self.store.pause_tip_subscription(ch, &reason).await?;
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
        if let Some(claim) = self.store.latest_tip_claim(ch).await? {
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

    /// A claimed post that was never confirmed sent: once this scheduler holds its lease, send it
    /// again (same tip, same nonce) within the grace window, give it up after. Returns `Some(when)`
    /// while it is still being retried, or while another scheduler's live lease holds it.
    async fn resume_claim(
        &mut self,
        schedule: &TipSchedule,
        claim: &TipClaim,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (ch, date) = (claim.channel_id, claim.local_date);
        if let Some(retry) = self.retries.get(&ch) {
            if retry.date == date && retry.at > now {
                return Ok(Some(retry.at));
            }
        }
        let lease = match self.claim(ch, date, &claim.tip_id, now).await? {
            ClaimOutcome::Granted(lease) => lease,
            ClaimOutcome::Held { owner, until } => {
                debug!(channel = ch, date = %date, %owner, %until, "daily tip held by another scheduler");
                return Ok(Some(until));
            }
            ClaimOutcome::Finished(_) => return Ok(None),
        };
        let scheduled_at = schedule.post_at(date).unwrap_or(claim.claimed_at);
        let late_by = now.duration_since(scheduled_at);
        if late_by > self.options.grace {
            let reason = format!(
                "not sent within the {}-minute grace window after it was due at {scheduled_at}",
                self.options.grace.as_mins()
            );
            warn!(channel = ch, date = %date, tip = %lease.tip_id, "giving up a daily tip: {reason}");
            self.retries.remove(&ch);
            self.give_up(&lease, &reason, false).await?;
            return Ok(None);
        }
        if !self.retries.contains_key(&ch) {
            match &lease.grant {
                LeaseGrant::TakenOver { from } => info!(
                    channel = ch, date = %date, tip = %lease.tip_id,
                    previous_owner = from.as_deref().unwrap_or("none"),
                    "taking over a daily tip whose claim was left unsent (its lease ran out); re-sending it"
                ),
                _ => {
                    info!(channel = ch, date = %date, tip = %lease.tip_id, "re-sending a daily tip claimed before the last stop")
                }
            }
        }
        let post = ScheduledPost {
            date,
            at: scheduled_at,
        };
        Ok(match self.send_leased(lease, post).await? {
            Sent::Done | Sent::Paused => None,
            Sent::RetryAt(at) => Some(at),
        })
    }

    /// Claims (or re-claims) one post for this scheduler.
    async fn claim(
        &self,
        ch: u64,
        date: Date,
        tip_id: &str,
        now: Timestamp,
    ) -> Result<ClaimOutcome, StoreError> {
        let request = TipClaimRequest {
            channel_id: ch,
            local_date: date,
            tip_id: tip_id.to_string(),
        };
        let ttl =
            SignedDuration::try_from(self.options.lease).unwrap_or(SignedDuration::from_mins(2));
        self.store
            .claim_tip_post(request, &self.owner, now, ttl)
            .await
    }

    /// Records that this scheduler gives a post up (and, for a lost channel, pauses it). A lease
    /// taken over meanwhile leaves the outcome to the new holder.
    async fn give_up(
        &self,
        lease: &TipLease,
        reason: &str,
        pause_channel: bool,
    ) -> Result<(), StoreError> {
        let result = if pause_channel {
            self.store
                .skip_tip_post_and_pause_channel(lease, reason)
                .await
        } else {
            self.store.skip_tip_post(lease, reason).await
        };
        match result {
            Err(e @ StoreError::LeaseLost { .. }) => {
                warn!(channel = lease.channel_id, date = %lease.local_date, "not recording the give-up: {e}");
                Ok(())
            }
            other => other,
        }
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
        let state = self.store.tip_rotation(ch).await?;
        let Some((tip, _)) = rotation::next_tip(&self.tips, ch, &state) else {
            warn!(
                channel = ch,
                "no daily tip to post: knowledge/tips.toml has no tips"
            );
            return Ok(after());
        };
        let date = post.date;
        let lease = match self.claim(ch, date, &tip.id, now).await? {
            ClaimOutcome::Granted(lease) => lease,
            ClaimOutcome::Held { owner, until } => {
                info!(channel = ch, date = %date, %owner, "daily tip claimed by another scheduler; not posting unless its lease runs out unsent");
                return Ok(Some(until));
            }
            ClaimOutcome::Finished(_) => {
                debug!(channel = ch, date = %date, "daily tip already posted by another scheduler");
                return Ok(after());
            }
        };
        if late_by >= SignedDuration::from_mins(1) {
            info!(channel = ch, date = %date, late_minutes = late_by.as_mins(), "posting a daily tip late (the bot was not running when it was due)");
        }
        Ok(match self.send_leased(lease, post).await? {
            Sent::Done => after(),
            Sent::RetryAt(at) => Some(at),
            Sent::Paused => None,
        })
    }

    /// Sends the tip a lease names (a claim keeps its tip, even if another scheduler chose it).
    async fn send_leased(
        &mut self,
        lease: TipLease,
        post: ScheduledPost,
    ) -> Result<Sent, StoreError> {
        let Some(tip) = self.tips.iter().find(|t| t.id == lease.tip_id).cloned() else {
            let reason = format!("tip `{}` is no longer in tips.toml", lease.tip_id);
            warn!(channel = lease.channel_id, date = %lease.local_date, "giving up a daily tip: {reason}");
            self.retries.remove(&lease.channel_id);
            self.give_up(&lease, &reason, false).await?;
            return Ok(Sent::Done);
        };
        self.send(lease, post, tip).await
    }

    /// Sends a leased post and records the result.
    async fn send(
        &mut self,
        lease: TipLease,
        post: ScheduledPost,
        tip: Tip,
    ) -> Result<Sent, StoreError> {
        let (ch, date) = (lease.channel_id, post.date);
        let request = TipPost {
            channel_id: ch,
            local_date: date,
            scheduled_at: post.at,
            tip: tip.clone(),
            nonce: lease.nonce.clone(),
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
                self.retries.remove(&ch);
                self.record_sent(Unrecorded {
                    lease,
                    message_id: outcome.message_id,
                })
                .await?;
                Ok(Sent::Done)
            }
            Err(PostError::ChannelUnavailable(why)) => {
                self.retries.remove(&ch);
                warn!(
                    channel = ch,
                    "pausing daily tips: {why}; they resume when someone runs /tips subscribe there again"
                );
                let reason = format!("channel unavailable: {why}");
                self.give_up(&lease, &reason, true).await?;
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

    /// Records a post Discord confirmed (and advances the rotation). When the database refuses,
    /// the post is kept to record on the next tick, not sent again: Discord's nonce check lasts
    /// only minutes, a database outage may last longer.
    async fn record_sent(&mut self, sent: Unrecorded) -> Result<(), StoreError> {
        let (ch, date, tip_id) = (
            sent.lease.channel_id,
            sent.lease.local_date,
            sent.lease.tip_id.clone(),
        );
        let tips = Arc::clone(&self.tips);
        let recorded_tip = tip_id.clone();
        let marked = self
            .store
            .mark_tip_post_sent(
                &sent.lease,
                sent.message_id,
                self.clock.now(),
                move |state| rotation::record(&tips, state, &recorded_tip),
            )
            .await;
        match marked {
            Ok(()) => {
                info!(channel = ch, date = %date, tip = %tip_id, "posted the daily tip");
                Ok(())
            }
            Err(e @ StoreError::LeaseLost { .. }) => {
                warn!(
                    channel = ch, date = %date, tip = %tip_id,
                    "posted the daily tip, but another scheduler took the post over meanwhile \
                     ({e}); it sends with the same nonce, so Discord returns this message to it"
                );
                Ok(())
            }
            Err(e) => {
                self.unrecorded.insert(ch, sent);
                Err(e)
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
/// Everything is validated first and written in one transaction, so a bad entry changes nothing.
/// Returns how many were created or changed.
pub async fn apply_config_subscriptions(config: &Config, store: &Store) -> anyhow::Result<usize> {
    default_schedule(&config.tips).context("config: tips.default_time / tips.default_timezone")?;
    let mut seen = HashSet::new();
    let mut subscriptions = Vec::with_capacity(config.tips.subscriptions.len());
    for (i, s) in config.tips.subscriptions.iter().enumerate() {
        if !seen.insert(s.channel) {
            bail!(
                "config: tips.subscriptions[{i}]: channel {} is listed twice",
                s.channel
            );
        }
        let schedule = TipSchedule::parse(&s.time, &s.timezone, &s.days)
            .with_context(|| format!("config: tips.subscriptions[{i}] (channel {})", s.channel))?;
        subscriptions.push(NewTipSubscription {
            channel_id: s.channel,
            guild_id: s.guild,
            schedule,
        });
    }
    let changes = store
        .upsert_tip_subscriptions(&subscriptions, Timestamp::now())
        .await?;
    let mut changed = 0;
    for (subscription, change) in subscriptions.iter().zip(changes) {
        let (channel, schedule) = (subscription.channel_id, &subscription.schedule);
        match change {
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

    #[tokio::test]
    async fn config_subscriptions_apply_once_and_restarts_change_nothing() {
        let store = Store::open_in_memory().await.unwrap();
        let mut config = Config::default();
        config.tips.subscriptions = vec![
            TipSubscriptionSetting {
                channel: 1,
                guild: None,
                time: "08:30".into(),
                timezone: "europe/berlin".into(),
                days: "workdays".into(),
            },
            TipSubscriptionSetting {
                channel: 2,
                guild: Some(900_000_000_000_000_010),
                time: "7:00".into(),
                timezone: "America/New_York".into(),
                days: "daily".into(),
            },
        ];
        assert_eq!(
            apply_config_subscriptions(&config, &store).await.unwrap(),
            2
        );
        let before = store.tip_subscriptions().await.unwrap();
        assert_eq!(before[0].timezone, "Europe/Berlin");
        assert_eq!(before[1].days, "everyday");
        assert_eq!(
            (before[0].guild_id, before[1].guild_id),
            (None, Some(900_000_000_000_000_010))
        );
        assert_eq!(
            apply_config_subscriptions(&config, &store).await.unwrap(),
            0
        );
        assert_eq!(store.tip_subscriptions().await.unwrap(), before);
    }

    #[tokio::test]
    async fn a_bad_config_subscription_names_the_entry_and_applies_nothing() {
        let store = Store::open_in_memory().await.unwrap();
        let config = Config::parse(
            "[[tips.subscriptions]]\nchannel = 1\ntime = \"08:30\"\ntimezone = \"UTC\"\n\
             [[tips.subscriptions]]\nchannel = 2\ntime = \"08:30\"\ntimezone = \"CEST\"\n",
            Path::new("config.toml"),
        )
        .unwrap();
        let err = format!(
            "{:#}",
            apply_config_subscriptions(&config, &store)
                .await
                .unwrap_err()
        );
        assert!(err.contains("tips.subscriptions[1] (channel 2)"), "{err}");
        assert!(err.contains("`CEST`"), "{err}");
        assert!(store.tip_subscriptions().await.unwrap().is_empty());
    }
}
