//! Subscriptions, claims and leases of scheduled posts (daily tips and weekly digests) as both backends store them, and the one rule that decides who may send a claimed post.
//!
//! Daily tips and weekly digests keep their state in tables of the same shape
//! (`tip_subscriptions`/`tip_posts`, `digest_subscriptions`/`digest_posts`), so one claim, mark and
//! skip implementation serves both: [`PostKind`] names the tables. The types keep their tip names;
//! for a digest, a subscription's `days` holds its one weekday and a claim's `tip_id` the last day
//! of the week it covers.

use super::StoreError;
use crate::tips::rotation::stable_hash;
use crate::tips::schedule::{ScheduleError, TipSchedule};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::fmt;

/// Which scheduled posts a subscription or claim belongs to: the tables it lives in and its nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostKind {
    Tip,
    Digest,
}

impl PostKind {
    pub(crate) fn subscriptions(self) -> &'static str {
        match self {
            PostKind::Tip => "tip_subscriptions",
            PostKind::Digest => "digest_subscriptions",
        }
    }

    pub(crate) fn posts(self) -> &'static str {
        match self {
            PostKind::Tip => "tip_posts",
            PostKind::Digest => "digest_posts",
        }
    }

    /// The column of the posts table holding what a claim is for (a tip id, a week's last day).
    pub(crate) fn item(self) -> &'static str {
        match self {
            PostKind::Tip => "tip_id",
            PostKind::Digest => "week_until",
        }
    }

    /// The columns of a [`ClaimRow`], in order.
    pub(crate) fn claim_columns(self) -> String {
        format!(
            "channel_id, local_date, {}, claimed_at, sent_at, message_id, skipped_reason, nonce, \
             lease_owner, lease_expires_at",
            self.item()
        )
    }

    pub(crate) fn nonce(self, channel_id: u64, local_date: Date) -> String {
        match self {
            PostKind::Tip => tip_post_nonce(channel_id, local_date),
            PostKind::Digest => digest_post_nonce(channel_id, local_date),
        }
    }
}

/// A channel's daily tip schedule, as stored (canonical strings; see [`TipSubscription::schedule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipSubscription {
    pub channel_id: u64,
    /// The channel's server, when known: with several shard processes, the one running its shard
    /// posts here; `None` (recorded before guilds were, or a config entry without `guild`) is
    /// shard 0's.
    pub guild_id: Option<u64>,
    /// `HH:MM`.
    pub time: String,
    /// Canonical IANA name.
    pub timezone: String,
    /// `workdays`, `everyday` or a list like `mon,wed,fri`.
    pub days: String,
    /// Why posting stopped (channel deleted, permission lost); `None` while active.
    pub paused_reason: Option<String>,
    /// When the channel first subscribed. Posts scheduled before this are never sent late.
    pub created_at: Timestamp,
    /// When the schedule last changed.
    pub updated_at: Timestamp,
}

impl TipSubscription {
    /// The validated schedule. Fails only if the row was written by hand or by an older build.
    pub fn schedule(&self) -> Result<TipSchedule, ScheduleError> {
        TipSchedule::parse(&self.time, &self.timezone, &self.days)
    }

    /// Whether the scheduler posts here.
    pub fn is_active(&self) -> bool {
        self.paused_reason.is_none()
    }
}

/// A subscription to write with [`Store::upsert_tip_subscriptions`](super::Store::upsert_tip_subscriptions).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTipSubscription {
    pub channel_id: u64,
    /// The channel's server; `None` keeps what is stored.
    pub guild_id: Option<u64>,
    pub schedule: TipSchedule,
}

/// What [`Store::upsert_tip_subscription`](super::Store::upsert_tip_subscription) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionChange {
    Created,
    /// The time, zone or days changed (a pause is lifted too).
    Updated,
    /// Same schedule as stored: nothing was written but a newly learned guild (a pause stays).
    Unchanged,
}

/// A claimed (channel, local date) post: written before the send, completed after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipClaim {
    pub channel_id: u64,
    pub local_date: Date,
    pub tip_id: String,
    pub claimed_at: Timestamp,
    /// Set once the post is confirmed sent.
    pub sent_at: Option<Timestamp>,
    pub message_id: Option<u64>,
    /// Set when the post was given up (grace window passed, channel gone).
    pub skipped_reason: Option<String>,
    /// The Discord nonce every attempt at this post is sent with (`None` only on a claim written
    /// by a build before leases, until it is claimed again).
    pub nonce: Option<String>,
    /// Who holds (or last held) the lease; `None` on a claim from before leases.
    pub lease_owner: Option<String>,
    /// Until when the owner may send without anyone taking the post over.
    pub lease_expires_at: Option<Timestamp>,
}

impl TipClaim {
    /// Claimed, but neither sent nor given up: the bot stopped (or the send failed) mid-post.
    pub fn is_pending(&self) -> bool {
        self.sent_at.is_none() && self.skipped_reason.is_none()
    }
}

/// The Discord message nonce of one (channel, local date) post: the same for every attempt and
/// every process, at most 20 ASCII digits (Discord allows 25). Sent with `enforce_nonce`, a
/// second send of the same post within Discord's dedup window returns the first message instead
/// of creating another.
pub fn tip_post_nonce(channel_id: u64, local_date: Date) -> String {
    stable_hash(channel_id, &local_date.to_string()).to_string()
}

/// The Discord message nonce of one channel's weekly digest for the given local date: like
/// [`tip_post_nonce`], and never equal to it, so a tip and a digest posted in one channel on one
/// day are never taken for the same message.
pub fn digest_post_nonce(channel_id: u64, local_date: Date) -> String {
    stable_hash(channel_id, &format!("digest {local_date}")).to_string()
}

/// Who holds a lease: one per running scheduler, `host-pid-random` by default.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LeaseOwner(String);

impl LeaseOwner {
    /// A fresh id for this process: host name, process id and a random part, so two schedulers
    /// (in one process or after a restart with a reused pid) never share one.
    pub fn generate() -> LeaseOwner {
        use std::hash::BuildHasher;
        let host = host_name();
        let random = std::collections::hash_map::RandomState::new()
            .hash_one((std::time::SystemTime::now(), std::process::id()));
        LeaseOwner(format!(
            "{host}-{}-{:08x}",
            std::process::id(),
            random as u32
        ))
    }

    /// An owner with a given name (tests, tools).
    pub fn named(name: impl Into<String>) -> LeaseOwner {
        LeaseOwner(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaseOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LeaseOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseOwner({:?})", self.0)
    }
}

/// The machine's name, shortened and made safe for a log line; `host` when unknown.
fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(40)
        .collect();
    if name.is_empty() {
        "host".to_string()
    } else {
        name
    }
}

/// One post to claim: the tip is what a new claim records; an existing claim keeps its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipClaimRequest {
    pub channel_id: u64,
    pub local_date: Date,
    pub tip_id: String,
}

/// How a lease was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseGrant {
    /// The post had no claim: this one is new.
    New,
    /// The same owner claimed it again (a retry): the lease is extended.
    Renewed,
    /// Another owner's lease had run out (or the claim predates leases): this owner has it now.
    TakenOver { from: Option<String> },
}

/// The right to send one post until `expires_at`, and to record its outcome. Only the holder's
/// [`mark_tip_post_sent`](super::Store::mark_tip_post_sent) or
/// [`skip_tip_post`](super::Store::skip_tip_post) are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipLease {
    pub channel_id: u64,
    pub local_date: Date,
    /// The tip recorded with the claim: a takeover sends the same one.
    pub tip_id: String,
    /// Send with this nonce (and `enforce_nonce`).
    pub nonce: String,
    pub owner: LeaseOwner,
    pub expires_at: Timestamp,
    pub grant: LeaseGrant,
}

/// What claiming a post gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Send it now.
    Granted(TipLease),
    /// Another owner holds a live lease: don't send; look again at `until`.
    Held { owner: String, until: Timestamp },
    /// Already sent or given up.
    Finished(TipClaim),
}

/// What a claim attempt does with an existing claim row; both backends apply this to the row
/// they read under lock (`FOR UPDATE` / `BEGIN IMMEDIATE`).
pub(crate) enum LeaseDecision {
    Finished,
    Held { owner: String, until: Timestamp },
    Grant(LeaseGrant),
}

/// The lease rule: a finished post stays finished; its own owner may always extend a lease;
/// anyone may take it once the lease has expired (or when it never had one).
pub(crate) fn decide(claim: &TipClaim, owner: &LeaseOwner, now: Timestamp) -> LeaseDecision {
    if !claim.is_pending() {
        return LeaseDecision::Finished;
    }
    match (&claim.lease_owner, claim.lease_expires_at) {
        (Some(holder), _) if holder == owner.as_str() => LeaseDecision::Grant(LeaseGrant::Renewed),
        (Some(holder), Some(until)) if until > now => LeaseDecision::Held {
            owner: holder.clone(),
            until,
        },
        (previous, _) => LeaseDecision::Grant(LeaseGrant::TakenOver {
            from: previous.clone(),
        }),
    }
}

/// `now + ttl`, saturating.
pub(crate) fn lease_expiry(now: Timestamp, ttl: SignedDuration) -> Timestamp {
    now.checked_add(ttl).unwrap_or(Timestamp::MAX)
}

/// Claim requests in key order, each with its place in the caller's list: locking rows in one
/// order is what keeps two processes claiming overlapping sets from deadlocking.
pub(crate) fn in_key_order(requests: &[TipClaimRequest]) -> Vec<(usize, &TipClaimRequest)> {
    let mut ordered: Vec<(usize, &TipClaimRequest)> = requests.iter().enumerate().collect();
    ordered.sort_by_key(|(_, r)| (r.channel_id, r.local_date));
    ordered
}

/// A claim row as both backends read it: plain integers and text.
pub(crate) struct ClaimRow {
    pub channel_id: i64,
    pub local_date: String,
    pub tip_id: String,
    pub claimed_at: i64,
    pub sent_at: Option<i64>,
    pub message_id: Option<i64>,
    pub skipped_reason: Option<String>,
    pub nonce: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
}

impl TryFrom<ClaimRow> for TipClaim {
    type Error = StoreError;

    fn try_from(row: ClaimRow) -> Result<TipClaim, StoreError> {
        Ok(TipClaim {
            channel_id: super::id_from_sql(row.channel_id),
            local_date: parse_date(&row.local_date)?,
            tip_id: row.tip_id,
            claimed_at: timestamp(row.claimed_at)?,
            sent_at: row.sent_at.map(timestamp).transpose()?,
            message_id: row.message_id.map(super::id_from_sql),
            skipped_reason: row.skipped_reason,
            nonce: row.nonce,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at.map(timestamp).transpose()?,
        })
    }
}

/// A subscription row as both backends read it.
pub(crate) struct SubscriptionRow {
    pub channel_id: i64,
    pub guild_id: Option<i64>,
    pub time: String,
    pub timezone: String,
    pub days: String,
    pub paused_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of a [`SubscriptionRow`], in order.
pub(crate) const SUBSCRIPTION_COLUMNS: &str =
    "channel_id, time, timezone, days, paused_reason, created_at, updated_at, guild_id";

impl TryFrom<SubscriptionRow> for TipSubscription {
    type Error = StoreError;

    fn try_from(row: SubscriptionRow) -> Result<TipSubscription, StoreError> {
        Ok(TipSubscription {
            channel_id: super::id_from_sql(row.channel_id),
            guild_id: row.guild_id.map(super::id_from_sql),
            time: row.time,
            timezone: row.timezone,
            days: row.days,
            paused_reason: row.paused_reason,
            created_at: timestamp(row.created_at)?,
            updated_at: timestamp(row.updated_at)?,
        })
    }
}

/// The three strings a schedule is stored as.
pub(crate) fn schedule_columns(schedule: &TipSchedule) -> (String, String, String) {
    (
        schedule.time_hhmm(),
        schedule.timezone_name().to_string(),
        schedule.days().to_string(),
    )
}

/// The stored form of a rotation's posted ids.
pub(crate) fn posted_json(posted: &[String]) -> String {
    // Serializing a slice of strings cannot fail.
    serde_json::to_string(posted).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn parse_posted(channel_id: i64, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "tip_rotation of channel {}: posted is not a JSON list of ids: {e}",
            super::id_from_sql(channel_id)
        ))
    })
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("`{text}` is not a local date: {e}")))
}

pub(crate) fn timestamp(seconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds)
        .map_err(|e| StoreError::Corrupt(format!("{seconds} is not a time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(owner: Option<&str>, expires: Option<i64>) -> TipClaim {
        TipClaim {
            channel_id: 1,
            local_date: jiff::civil::date(2025, 1, 6),
            tip_id: "t".into(),
            claimed_at: Timestamp::UNIX_EPOCH,
            sent_at: None,
            message_id: None,
            skipped_reason: None,
            nonce: None,
            lease_owner: owner.map(str::to_string),
            lease_expires_at: expires.map(|s| Timestamp::from_second(s).unwrap()),
        }
    }

    #[test]
    fn the_lease_rule() {
        let a = LeaseOwner::named("a");
        let at = |s| Timestamp::from_second(s).unwrap();
        let live = claim(Some("b"), Some(100));
        assert!(matches!(
            decide(&live, &a, at(99)),
            LeaseDecision::Held { ref owner, until } if owner == "b" && until == at(100)
        ));
        assert!(matches!(
            decide(&live, &a, at(100)),
            LeaseDecision::Grant(LeaseGrant::TakenOver { from: Some(ref b) }) if b == "b"
        ));
        assert!(matches!(
            decide(&claim(Some("a"), Some(100)), &a, at(5)),
            LeaseDecision::Grant(LeaseGrant::Renewed)
        ));
        assert!(matches!(
            decide(&claim(None, None), &a, at(5)),
            LeaseDecision::Grant(LeaseGrant::TakenOver { from: None })
        ));
        let sent = TipClaim {
            sent_at: Some(at(50)),
            ..claim(Some("a"), Some(100))
        };
        assert!(matches!(decide(&sent, &a, at(60)), LeaseDecision::Finished));
    }

    #[test]
    fn owners_differ_per_call_and_name_the_host_and_process() {
        let (a, b) = (LeaseOwner::generate(), LeaseOwner::generate());
        assert_ne!(a, b);
        assert!(a.as_str().contains(&format!("-{}-", std::process::id())));
    }
}
