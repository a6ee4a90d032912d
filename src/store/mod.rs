//! Persistence behind one async interface: safety channels, feedback, unanswered questions, usage counts, tip and digest subscriptions, rotations and leased post claims, on SQLite or PostgreSQL.
//!
//! # Shape: one type, an enum of two backends
//!
//! [`Store`] is a concrete type whose methods `match` on a private two-variant enum and call the
//! same-named method of the SQLite or the PostgreSQL backend. A trait with
//! async methods was the alternative; it is not used because
//! - the set of backends is closed (embedded SQLite, server PostgreSQL) and chosen at start-up
//!   from config, so nothing outside this module needs to add one;
//! - `dyn` async traits need boxed futures (`async_trait`) or a type parameter carried by every
//!   user (`Bot<S>`, `TipScheduler<P, S>`, tests), while an enum keeps `Arc<Store>` everywhere with
//!   plain, statically dispatched, `Send` futures;
//! - a method missing from one backend is a compile error in the `dispatch!` macro, which is the
//!   contract a trait would have given.
//!
//! Both backends keep numbered migrations (`migrations/sqlite`, `migrations/postgres`), a
//! connection pool (deadpool), and run every multi-row change in one transaction. SQLite work runs
//! on tokio's blocking pool, never on the executor.
//!
//! # Leases: each daily tip is posted exactly once, by one of many processes
//!
//! A post (channel, local date) is claimed with [`Store::claim_tip_post`]: one transaction that
//! inserts the claim, or reads the existing one under a row lock (`SELECT … FOR UPDATE` on
//! PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and applies one rule to it:
//! sent or skipped stays finished; a live lease of another owner is left alone
//! ([`ClaimOutcome::Held`]); the owner's own lease is extended; an expired (or pre-lease) one is
//! taken over with its tip and nonce unchanged. Only the holder may then
//! [mark it sent](Store::mark_tip_post_sent) (which advances the rotation in the same transaction)
//! or [skip it](Store::skip_tip_post); anyone else gets [`StoreError::LeaseLost`].
//!
//! The weekly digest is claimed the same way, by the same code, in tables of the same shape
//! ([`Store::claim_digest_post`], [`Store::mark_digest_post_sent`], [`Store::skip_digest_post`]).
//!
//! # Usage counts: privacy by design
//!
//! [`Store::record_usage`] increments one count per local day, entry, reply kind and channel kind:
//! no user id, no text. [`Store::record_unanswered`] is the one place question text is kept, and it
//! masks and normalizes the text itself ([`crate::privacy::storable_question`]) and keeps a
//! per-question pseudonym of the asker instead of the id. [`Store::purge_usage`] deletes rows past
//! the retention period.

mod counts;
mod feedback;
mod postgres;
mod sqlite;
mod tips;
mod unanswered;

pub(crate) use crate::config::error_chain;
pub use crate::config::{DatabaseLocation, LocationError, PostgresUrl};
pub use counts::Purged;
pub use feedback::{EntryVotes, RecordedVote, UserHasher, Vote};
pub use tips::{
    digest_post_nonce, tip_post_nonce, ClaimOutcome, LeaseGrant, LeaseOwner, NewTipSubscription,
    SubscriptionChange, TipClaim, TipClaimRequest, TipLease, TipSubscription,
};
pub use unanswered::UnansweredCount;

use crate::tips::rotation::RotationState;
use crate::tips::schedule::TipSchedule;
use crate::usage::{ChannelKind, Figures, Outcome, Period};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::path::Path;
use std::sync::Arc;
use tips::PostKind;

/// A weekly digest's subscription: shaped like a tip subscription, with its one weekday in `days`.
pub type DigestSubscription = TipSubscription;
/// A weekly digest post's claim: its `tip_id` holds the last day of the week it covers.
pub type DigestClaim = TipClaim;
/// The right to send one weekly digest post (its `tip_id` is the week's last day, as in its claim).
pub type DigestLease = TipLease;

/// Why the store could not do what was asked. No variant ever contains a database password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Location(#[from] LocationError),
    #[error("cannot open database {location}: {cause} (check `database` in config.toml or HINGEBOT_DATABASE_URL: for SQLite that the folder exists and is writable, for PostgreSQL that the server is up and the user may connect)")]
    Open { location: String, cause: String },
    #[error("cannot upgrade database {location} to schema version {version}: {cause}")]
    Migrate {
        location: String,
        version: usize,
        cause: String,
    },
    #[error("database {location} has schema version {found}, newer than this hingebot understands ({known}); upgrade hingebot")]
    TooNew {
        location: String,
        found: usize,
        known: usize,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A PostgreSQL error with its causes (the server's message is a cause of the driver's).
    #[error("database error: {0}")]
    Postgres(String),
    #[error("no database connection: {0}")]
    Pool(String),
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
    /// The post's claim is no longer held by this owner: another process took it over after the
    /// lease ran out (or it was never this owner's). The outcome is that process's to record.
    #[error("the daily tip of channel {channel_id} for {local_date} is no longer held by {owner} ({state})")]
    LeaseLost {
        channel_id: u64,
        local_date: Date,
        owner: String,
        state: String,
    },
    #[error("database task failed: {0}")]
    Task(String),
}

/// The open database: cheap to share (pools inside); handed around as `Arc<Store>`.
pub struct Store {
    backend: Backend,
    location: String,
    /// The user hasher, read (or made) on first use: unanswered questions need it on every record.
    users: tokio::sync::OnceCell<UserHasher>,
}

enum Backend {
    Sqlite(sqlite::SqliteBackend),
    Postgres(postgres::PostgresBackend),
}

/// Calls the same method on whichever backend is open.
macro_rules! dispatch {
    ($store:expr, $db:ident => $call:expr) => {
        match &$store.backend {
            Backend::Sqlite($db) => $call,
            Backend::Postgres($db) => $call,
        }
    };
}

impl Store {
    /// Opens the configured database, bringing its schema up to date.
    pub async fn connect(location: &DatabaseLocation) -> Result<Arc<Store>, StoreError> {
        match location {
            DatabaseLocation::Sqlite(path) => Store::open(path).await,
            DatabaseLocation::Postgres(url) => Ok(Arc::new(Store {
                backend: Backend::Postgres(postgres::PostgresBackend::open(url).await?),
                location: location.to_string(),
                users: tokio::sync::OnceCell::new(),
            })),
        }
    }

    /// Opens (creating if needed) a SQLite file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Arc<Store>, StoreError> {
        Ok(Arc::new(Store {
            backend: Backend::Sqlite(sqlite::SqliteBackend::open(Some(path)).await?),
            location: path.display().to_string(),
            users: tokio::sync::OnceCell::new(),
        }))
    }

    /// An in-memory SQLite database, for tests and the offline CLI.
    pub async fn open_in_memory() -> Result<Arc<Store>, StoreError> {
        Ok(Arc::new(Store {
            backend: Backend::Sqlite(sqlite::SqliteBackend::open(None).await?),
            location: ":memory:".to_string(),
            users: tokio::sync::OnceCell::new(),
        }))
    }

    /// Where the database is, for logs: a file path, or the URL with its password as `***`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The schema version of the open database (its number of applied migrations).
    pub async fn schema_version(&self) -> Result<usize, StoreError> {
        dispatch!(self, db => db.schema_version().await)
    }

    /// How many migrations this build knows for the open backend.
    pub fn latest_schema_version(&self) -> usize {
        match self.backend {
            Backend::Sqlite(_) => sqlite::MIGRATIONS.len(),
            Backend::Postgres(_) => postgres::MIGRATIONS.len(),
        }
    }

    /// Whether the database answers a trivial query (for the health endpoint).
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, db => db.ping().await)
    }

    /// Finishes pending work (SQLite: checkpoints the WAL into the main file) and closes the pool;
    /// called on shutdown. Later calls fail with [`StoreError::Pool`].
    pub async fn close(&self) -> Result<(), StoreError> {
        dispatch!(self, db => db.close().await)
    }

    // --- Safety channels: where the bot answers without being mentioned, added by command. ---

    /// Adds a safety channel. Returns `false` when it was already there (nothing changes then).
    pub async fn add_safety_channel(
        &self,
        channel_id: u64,
        added_by_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, db => db.add_safety_channel(channel_id, added_by_hash).await)
    }

    /// Removes a safety channel. Returns `false` when it was not there.
    pub async fn remove_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.remove_safety_channel(channel_id).await)
    }

    /// Whether a channel was added by command.
    pub async fn is_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.is_safety_channel(channel_id).await)
    }

    /// Every channel added by command, in ascending id order.
    pub async fn safety_channels(&self) -> Result<Vec<u64>, StoreError> {
        // Sorted here: the databases order the signed form, where ids from 2^63 come first.
        let mut channels = dispatch!(self, db => db.safety_channels().await)?;
        channels.sort_unstable();
        Ok(channels)
    }

    // --- Feedback ---

    /// This database's user hasher, creating (and saving) its random salt on first use. Two
    /// processes starting on a new database at once agree on one salt.
    pub async fn user_hasher(&self) -> Result<UserHasher, StoreError> {
        self.users
            .get_or_try_init(|| async { dispatch!(self, db => db.user_hasher().await) })
            .await
            .cloned()
    }

    /// Records a vote cast on local day `day`; the same user voting again on the same reply
    /// replaces their vote (and its day).
    pub async fn record_vote(
        &self,
        reply_id: u64,
        user_hash: &str,
        entry_id: &str,
        vote: Vote,
        day: Date,
    ) -> Result<(), StoreError> {
        dispatch!(self, db => db.record_vote(reply_id, user_hash, entry_id, vote, day).await)
    }

    /// The votes cast on one reply (one per user).
    pub async fn votes_on_reply(&self, reply_id: u64) -> Result<Vec<RecordedVote>, StoreError> {
        dispatch!(self, db => db.votes_on_reply(reply_id).await)
    }

    /// 👍/👎 totals per entry for votes cast at or after `since` (Unix seconds), by entry id.
    pub async fn votes_since(&self, since: i64) -> Result<Vec<EntryVotes>, StoreError> {
        dispatch!(self, db => db.votes_since(since).await)
    }

    // --- Unanswered questions ---

    /// Records one question asked on local day `day` that went unanswered, as the text
    /// [`crate::privacy::storable_question`] makes of it (e-mail addresses, numbers, mentions and
    /// links masked, then normalized) and a pseudonym of `asker_id` for that text (a keyed hash:
    /// the id is never stored, and one person's questions cannot be linked to each other). Returns
    /// the stored text; nothing is stored for a question that is empty once normalized.
    pub async fn record_unanswered(
        &self,
        question: &str,
        asker_id: u64,
        day: Date,
    ) -> Result<Option<String>, StoreError> {
        let text = crate::privacy::storable_question(question);
        if text.trim().is_empty() {
            return Ok(None);
        }
        let asker = self.user_hasher().await?.asker(asker_id, &text);
        dispatch!(self, db => db.record_unanswered(&text, &asker, day).await)?;
        Ok(Some(text))
    }

    /// Marks a stored unanswered text as checked by a curator (it holds no personal data), so
    /// reports show it even when only one person asked it. `text` is the text as stored (as
    /// `hingebot report pending` lists it). Returns `false`, changing nothing, when no question
    /// with that text is stored.
    pub async fn confirm_unanswered(&self, text: &str) -> Result<bool, StoreError> {
        dispatch!(self, db => db.confirm_unanswered(text).await)
    }

    /// The most frequent unanswered questions asked at or after `since` (Unix seconds), most
    /// frequent first, then most recent, at most `limit`.
    pub async fn top_unanswered(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        dispatch!(self, db => db.top_unanswered(since, limit).await)
    }

    // --- Usage counts ---

    /// Counts one reply: on local day `day`, showing `entry` (the answer, the warning card or the
    /// first suggestion; `None` for an abstain), of kind `outcome`, asked in a `channel` kind.
    pub async fn record_usage(
        &self,
        day: Date,
        entry: Option<&str>,
        outcome: Outcome,
        channel: ChannelKind,
    ) -> Result<(), StoreError> {
        dispatch!(self, db => db.record_usage(day, entry, outcome, channel).await)
    }

    /// Everything a report over `period` is built from: counts, votes and tips posted over
    /// `period` and the one before it, unanswered questions over `period`.
    pub async fn usage_figures(&self, period: Period) -> Result<Figures, StoreError> {
        let (first, last) = (period.previous().since(), period.until());
        dispatch!(self, db => db.usage_figures(first, period.since(), last).await)
    }

    /// Deletes usage counts, unanswered questions (and their confirmations) and votes of local
    /// days before `before`, in one transaction.
    pub async fn purge_usage(&self, before: Date) -> Result<Purged, StoreError> {
        dispatch!(self, db => db.purge_usage(before).await)
    }

    // --- Tip subscriptions ---

    /// Subscribes a channel, or changes its schedule. Writing the same schedule again changes
    /// nothing (config subscriptions are re-applied at every start); a changed schedule also lifts
    /// a pause.
    pub async fn upsert_tip_subscription(
        &self,
        channel_id: u64,
        schedule: &TipSchedule,
        now: Timestamp,
    ) -> Result<SubscriptionChange, StoreError> {
        let subscription = NewTipSubscription {
            channel_id,
            guild_id: None,
            schedule: schedule.clone(),
        };
        let changes = self
            .upsert_tip_subscriptions(std::slice::from_ref(&subscription), now)
            .await?;
        changes
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Task("no subscription change reported".to_string()))
    }

    /// [`Store::upsert_tip_subscription`] for several channels in one transaction: all or none.
    /// A subscription's guild, when given, is recorded (whatever the change).
    pub async fn upsert_tip_subscriptions(
        &self,
        subscriptions: &[NewTipSubscription],
        now: Timestamp,
    ) -> Result<Vec<SubscriptionChange>, StoreError> {
        dispatch!(self, db => db.upsert_subscriptions(PostKind::Tip, subscriptions, now).await)
    }

    /// Unsubscribes a channel. Its rotation is kept, so subscribing again continues without repeats.
    /// Returns whether it was subscribed.
    pub async fn remove_tip_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.remove_subscription(PostKind::Tip, channel_id).await)
    }

    /// One channel's subscription.
    pub async fn tip_subscription(
        &self,
        channel_id: u64,
    ) -> Result<Option<TipSubscription>, StoreError> {
        dispatch!(self, db => db.subscription(PostKind::Tip, channel_id).await)
    }

    /// Every subscription (active and paused), by channel id.
    pub async fn tip_subscriptions(&self) -> Result<Vec<TipSubscription>, StoreError> {
        let mut subscriptions = dispatch!(self, db => db.subscriptions(PostKind::Tip).await)?;
        subscriptions.sort_by_key(|s| s.channel_id);
        Ok(subscriptions)
    }

    /// Pauses a channel's tips with a reason. Returns whether it exists.
    pub async fn pause_tip_subscription(
        &self,
        channel_id: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, db => db.pause_subscription(PostKind::Tip, channel_id, reason).await)
    }

    /// Resumes a paused channel. Returns whether it exists.
    pub async fn unpause_tip_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.unpause_subscription(PostKind::Tip, channel_id).await)
    }

    // --- Rotation ---

    /// A channel's rotation position (the start of cycle 0 if it never got a tip).
    pub async fn tip_rotation(&self, channel_id: u64) -> Result<RotationState, StoreError> {
        dispatch!(self, db => db.tip_rotation(channel_id).await)
    }

    /// Stores a channel's rotation position. The scheduler never calls this: it advances the
    /// rotation with [`Store::mark_tip_post_sent`], under the post's lease.
    pub async fn save_tip_rotation(
        &self,
        channel_id: u64,
        state: &RotationState,
    ) -> Result<(), StoreError> {
        dispatch!(self, db => db.save_tip_rotation(channel_id, state).await)
    }

    // --- Tip claims and leases ---

    /// Claims one post for `owner` until `now + ttl`. See [`Store::claim_tip_posts`].
    pub async fn claim_tip_post(
        &self,
        request: TipClaimRequest,
        owner: &LeaseOwner,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut outcomes = self
            .claim_tip_posts(std::slice::from_ref(&request), owner, now, ttl)
            .await?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Task("no claim outcome reported".to_string()))
    }

    /// Claims the given posts for `owner` until `now + ttl`, in one transaction; one outcome per
    /// request, in request order. A new claim records the request's tip and the post's nonce; an
    /// existing one keeps its own. This is what a shard filter feeds: the caller decides which
    /// channels are due and its own, the store decides who sends.
    pub async fn claim_tip_posts(
        &self,
        requests: &[TipClaimRequest],
        owner: &LeaseOwner,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<ClaimOutcome>, StoreError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, db => db.claim_posts(PostKind::Tip, requests, owner, now, ttl).await)
    }

    /// Records a leased post as sent (after Discord confirmed it) and advances the channel's
    /// rotation with `advance` (applied to the rotation as read inside the same transaction).
    /// Fails with [`StoreError::LeaseLost`], changing nothing, unless `lease.owner` still holds it.
    pub async fn mark_tip_post_sent<F>(
        &self,
        lease: &TipLease,
        message_id: Option<u64>,
        now: Timestamp,
        advance: F,
    ) -> Result<(), StoreError>
    where
        F: FnOnce(&RotationState) -> RotationState + Send + 'static,
    {
        dispatch!(self, db => db.mark_post_sent(PostKind::Tip, lease, message_id, now, Some(advance)).await)
    }

    /// Gives up a leased post (grace window passed, tip removed), keeping the reason. Only the
    /// lease holder may; anyone else gets [`StoreError::LeaseLost`].
    pub async fn skip_tip_post(&self, lease: &TipLease, reason: &str) -> Result<(), StoreError> {
        dispatch!(self, db => db.skip_post(PostKind::Tip, lease, reason, false).await)
    }

    /// Gives up a leased post and pauses the channel's subscription with the same reason (the
    /// channel is gone or closed to the bot), in one transaction.
    pub async fn skip_tip_post_and_pause_channel(
        &self,
        lease: &TipLease,
        reason: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, db => db.skip_post(PostKind::Tip, lease, reason, true).await)
    }

    /// Claims that were neither sent nor given up: in flight elsewhere, or left by a crash.
    pub async fn unsent_tip_claims(&self) -> Result<Vec<TipClaim>, StoreError> {
        dispatch!(self, db => db.unsent_claims(PostKind::Tip).await)
    }

    /// The channel's claim with the latest local date.
    pub async fn latest_tip_claim(&self, channel_id: u64) -> Result<Option<TipClaim>, StoreError> {
        dispatch!(self, db => db.latest_claim(PostKind::Tip, channel_id).await)
    }

    /// Every claim of a channel, oldest first: its posting history.
    pub async fn tip_claims(&self, channel_id: u64) -> Result<Vec<TipClaim>, StoreError> {
        dispatch!(self, db => db.claims(PostKind::Tip, channel_id).await)
    }

    // --- Weekly digests: subscriptions and leased claims, by the same code as tips ---

    /// Subscribes channels to the weekly digest (or changes their schedule), in one transaction;
    /// each schedule has one weekday. As [`Store::upsert_tip_subscriptions`].
    pub async fn upsert_digest_subscriptions(
        &self,
        subscriptions: &[(u64, TipSchedule)],
        now: Timestamp,
    ) -> Result<Vec<SubscriptionChange>, StoreError> {
        // Digests go out from whichever process claims them, so their guild is not recorded.
        let subscriptions: Vec<NewTipSubscription> = subscriptions
            .iter()
            .map(|(channel_id, schedule)| NewTipSubscription {
                channel_id: *channel_id,
                guild_id: None,
                schedule: schedule.clone(),
            })
            .collect();
        dispatch!(self, db => db.upsert_subscriptions(PostKind::Digest, &subscriptions, now).await)
    }

    /// Stops a channel's weekly digest. Returns whether it was subscribed.
    pub async fn remove_digest_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.remove_subscription(PostKind::Digest, channel_id).await)
    }

    /// One channel's digest subscription.
    pub async fn digest_subscription(
        &self,
        channel_id: u64,
    ) -> Result<Option<DigestSubscription>, StoreError> {
        dispatch!(self, db => db.subscription(PostKind::Digest, channel_id).await)
    }

    /// Every digest subscription (active and paused), by channel id.
    pub async fn digest_subscriptions(&self) -> Result<Vec<DigestSubscription>, StoreError> {
        let mut subscriptions = dispatch!(self, db => db.subscriptions(PostKind::Digest).await)?;
        subscriptions.sort_by_key(|s| s.channel_id);
        Ok(subscriptions)
    }

    /// Pauses a channel's digest with a reason. Returns whether it exists.
    pub async fn pause_digest_subscription(
        &self,
        channel_id: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, db => db.pause_subscription(PostKind::Digest, channel_id, reason).await)
    }

    /// Resumes a paused digest. Returns whether it exists.
    pub async fn unpause_digest_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        dispatch!(self, db => db.unpause_subscription(PostKind::Digest, channel_id).await)
    }

    /// Claims one channel's digest of `local_date` (covering the week that ends on `week_until`)
    /// for `owner` until `now + ttl`: the lease rule of [`Store::claim_tip_posts`]. An existing
    /// claim keeps its week and nonce ([`digest_post_nonce`]).
    pub async fn claim_digest_post(
        &self,
        channel_id: u64,
        local_date: Date,
        week_until: Date,
        owner: &LeaseOwner,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<ClaimOutcome, StoreError> {
        let request = TipClaimRequest {
            channel_id,
            local_date,
            tip_id: week_until.to_string(),
        };
        let mut outcomes = dispatch!(self, db => db.claim_posts(PostKind::Digest, std::slice::from_ref(&request), owner, now, ttl).await)?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Task("no claim outcome reported".to_string()))
    }

    /// Records a leased digest post as sent. Only the holder may: anyone else gets
    /// [`StoreError::LeaseLost`], changing nothing.
    pub async fn mark_digest_post_sent(
        &self,
        lease: &DigestLease,
        message_id: Option<u64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let no_rotation: Option<fn(&RotationState) -> RotationState> = None;
        dispatch!(self, db => db.mark_post_sent(PostKind::Digest, lease, message_id, now, no_rotation).await)
    }

    /// Gives up a leased digest post; with `pause_channel`, also pauses the channel's digest with
    /// the same reason (the channel is gone or closed to the bot). Holder only.
    pub async fn skip_digest_post(
        &self,
        lease: &DigestLease,
        reason: &str,
        pause_channel: bool,
    ) -> Result<(), StoreError> {
        dispatch!(self, db => db.skip_post(PostKind::Digest, lease, reason, pause_channel).await)
    }

    /// Digest claims neither sent nor given up.
    pub async fn unsent_digest_claims(&self) -> Result<Vec<DigestClaim>, StoreError> {
        dispatch!(self, db => db.unsent_claims(PostKind::Digest).await)
    }

    /// The channel's digest claim with the latest local date.
    pub async fn latest_digest_claim(
        &self,
        channel_id: u64,
    ) -> Result<Option<DigestClaim>, StoreError> {
        dispatch!(self, db => db.latest_claim(PostKind::Digest, channel_id).await)
    }

    /// Every digest claim of a channel, oldest first.
    pub async fn digest_claims(&self, channel_id: u64) -> Result<Vec<DigestClaim>, StoreError> {
        dispatch!(self, db => db.claims(PostKind::Digest, channel_id).await)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres(error_chain(&error))
    }
}

/// Discord ids are 64-bit snowflakes below 2^63; both databases store signed 64-bit integers.
/// The cast keeps every bit, so any u64 round-trips.
pub(crate) fn id_to_sql(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`id_to_sql`].
pub(crate) fn id_from_sql(id: i64) -> u64 {
    id as u64
}

/// Seconds since the Unix epoch, for `at` columns.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A lease that was not honoured: who holds the post now, for the error.
pub(crate) fn lease_lost(lease: &TipLease, claim: Option<&TipClaim>) -> StoreError {
    let state = match claim {
        None => "there is no such claim".to_string(),
        Some(c) if c.sent_at.is_some() => "it was already sent".to_string(),
        Some(c) if c.skipped_reason.is_some() => "it was already given up".to_string(),
        Some(c) => match &c.lease_owner {
            Some(holder) => format!("{holder} holds it now"),
            None => "nobody holds it".to_string(),
        },
    };
    StoreError::LeaseLost {
        channel_id: lease.channel_id,
        local_date: lease.local_date,
        owner: lease.owner.to_string(),
        state,
    }
}

#[cfg(test)]
mod tests {
    /// Each backend runs its migrations folder's files in the order of their numbers, every one of
    /// them: a merge that appends a step out of order would build a different schema per history.
    #[test]
    fn migrations_run_in_file_number_order() {
        for (backend, migrations) in [
            ("sqlite", super::sqlite::MIGRATIONS),
            ("postgres", super::postgres::MIGRATIONS),
        ] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect();
            files.sort();
            assert_eq!(files.len(), migrations.len(), "{backend}: {files:?}");
            for (i, (file, text)) in files.iter().zip(migrations).enumerate() {
                let name = file.file_name().unwrap().to_string_lossy();
                assert!(
                    name.starts_with(&format!("{:04}_", i + 1)),
                    "{backend}: {name}"
                );
                assert_eq!(
                    std::fs::read_to_string(file).unwrap(),
                    *text,
                    "{backend}: step {} is not {name}",
                    i + 1
                );
            }
        }
    }
}
