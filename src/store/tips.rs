//! Tip subscriptions, each channel's rotation position, and the exactly-once claim of each day's post.

use super::{Store, StoreError};
use crate::tips::rotation::RotationState;
use crate::tips::schedule::{ScheduleError, TipSchedule};
use jiff::civil::Date;
use jiff::Timestamp;
use rusqlite::types::Type;
use rusqlite::{params, OptionalExtension, Row};

/// A channel's daily tip schedule, as stored (canonical strings; see [`TipSubscription::schedule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipSubscription {
    pub channel_id: u64,
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

/// What [`Store::upsert_tip_subscription`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionChange {
    Created,
    /// The time, zone or days changed (a pause is lifted too).
    Updated,
    /// Same schedule as stored: nothing was written (a pause stays).
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
}

impl TipClaim {
    /// Claimed, but neither sent nor given up: the bot stopped (or the send failed) mid-post.
    pub fn is_pending(&self) -> bool {
        self.sent_at.is_none() && self.skipped_reason.is_none()
    }
}

// Discord ids are below 2^63; the cast round-trips any u64 through SQLite's signed INTEGER anyway.
fn id_to_sql(id: u64) -> i64 {
    id as i64
}

fn id_from_sql(v: i64) -> u64 {
    v as u64
}

fn conversion_error(
    col: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e))
}

fn timestamp_at(row: &Row<'_>, col: usize) -> rusqlite::Result<Timestamp> {
    let secs: i64 = row.get(col)?;
    Timestamp::from_second(secs).map_err(|e| conversion_error(col, e))
}

fn optional_timestamp_at(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<Timestamp>> {
    match row.get::<_, Option<i64>>(col)? {
        Some(secs) => Timestamp::from_second(secs)
            .map(Some)
            .map_err(|e| conversion_error(col, e)),
        None => Ok(None),
    }
}

const SUBSCRIPTION_COLUMNS: &str =
    "channel_id, time, timezone, days, paused_reason, created_at, updated_at";

fn subscription_from_row(row: &Row<'_>) -> rusqlite::Result<TipSubscription> {
    Ok(TipSubscription {
        channel_id: id_from_sql(row.get(0)?),
        time: row.get(1)?,
        timezone: row.get(2)?,
        days: row.get(3)?,
        paused_reason: row.get(4)?,
        created_at: timestamp_at(row, 5)?,
        updated_at: timestamp_at(row, 6)?,
    })
}

const CLAIM_COLUMNS: &str =
    "channel_id, local_date, tip_id, claimed_at, sent_at, message_id, skipped_reason";

fn claim_from_row(row: &Row<'_>) -> rusqlite::Result<TipClaim> {
    let date: String = row.get(1)?;
    Ok(TipClaim {
        channel_id: id_from_sql(row.get(0)?),
        local_date: date.parse().map_err(|e| conversion_error(1, e))?,
        tip_id: row.get(2)?,
        claimed_at: timestamp_at(row, 3)?,
        sent_at: optional_timestamp_at(row, 4)?,
        message_id: row.get::<_, Option<i64>>(5)?.map(id_from_sql),
        skipped_reason: row.get(6)?,
    })
}

impl Store {
    /// Subscribes a channel, or changes its schedule. Writing the same schedule again changes
    /// nothing (config subscriptions are re-applied at every start); a changed schedule also lifts
    /// a pause.
    pub fn upsert_tip_subscription(
        &self,
        channel_id: u64,
        schedule: &TipSchedule,
        now: Timestamp,
    ) -> Result<SubscriptionChange, StoreError> {
        let (time, timezone, days) = (
            schedule.time_hhmm(),
            schedule.timezone_name().to_string(),
            schedule.days().to_string(),
        );
        self.with(|conn| {
            let tx = conn.transaction()?;
            let existing: Option<(String, String, String)> = tx
                .query_row(
                    "SELECT time, timezone, days FROM tip_subscriptions WHERE channel_id = ?1",
                    params![id_to_sql(channel_id)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let change = match existing {
                None => {
                    tx.execute(
                        "INSERT INTO tip_subscriptions
                             (channel_id, time, timezone, days, paused_reason, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5)",
                        params![id_to_sql(channel_id), time, timezone, days, now.as_second()],
                    )?;
                    SubscriptionChange::Created
                }
                Some(old) if old == (time.clone(), timezone.clone(), days.clone()) => {
                    SubscriptionChange::Unchanged
                }
                Some(_) => {
                    tx.execute(
                        "UPDATE tip_subscriptions
                         SET time = ?2, timezone = ?3, days = ?4, paused_reason = NULL, updated_at = ?5
                         WHERE channel_id = ?1",
                        params![id_to_sql(channel_id), time, timezone, days, now.as_second()],
                    )?;
                    SubscriptionChange::Updated
                }
            };
            tx.commit()?;
            Ok(change)
        })
    }

    /// Unsubscribes a channel. Its rotation is kept, so subscribing again continues without repeats.
    /// Returns whether it was subscribed.
    pub fn remove_tip_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.execute(
                "DELETE FROM tip_subscriptions WHERE channel_id = ?1",
                params![id_to_sql(channel_id)],
            )
            .map(|n| n > 0)
        })
    }

    /// One channel's subscription.
    pub fn tip_subscription(&self, channel_id: u64) -> Result<Option<TipSubscription>, StoreError> {
        self.with(|conn| {
            conn.query_row(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM tip_subscriptions WHERE channel_id = ?1"
                ),
                params![id_to_sql(channel_id)],
                subscription_from_row,
            )
            .optional()
        })
    }

    /// Every subscription, paused ones included, by channel id.
    pub fn tip_subscriptions(&self) -> Result<Vec<TipSubscription>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM tip_subscriptions ORDER BY channel_id"
            ))?;
            let rows = stmt.query_map([], subscription_from_row)?;
            rows.collect()
        })
    }

    /// Stops posting to a channel until someone subscribes it again. Returns whether it exists.
    pub fn pause_tip_subscription(
        &self,
        channel_id: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tip_subscriptions SET paused_reason = ?2 WHERE channel_id = ?1",
                params![id_to_sql(channel_id), reason],
            )
            .map(|n| n > 0)
        })
    }

    /// Resumes a paused channel. Returns whether it exists.
    pub fn unpause_tip_subscription(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tip_subscriptions SET paused_reason = NULL WHERE channel_id = ?1",
                params![id_to_sql(channel_id)],
            )
            .map(|n| n > 0)
        })
    }

    /// A channel's rotation position (the start of cycle 0 if it never got a tip).
    pub fn tip_rotation(&self, channel_id: u64) -> Result<RotationState, StoreError> {
        let row: Option<(i64, String)> = self.with(|conn| {
            conn.query_row(
                "SELECT cycle, posted FROM tip_rotation WHERE channel_id = ?1",
                params![id_to_sql(channel_id)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        match row {
            None => Ok(RotationState::default()),
            Some((cycle, posted)) => Ok(RotationState {
                cycle: cycle as u64,
                posted: serde_json::from_str(&posted)
                    .map_err(|e| StoreError::Sql(conversion_error(1, e)))?,
            }),
        }
    }

    /// Stores a channel's rotation position.
    pub fn save_tip_rotation(
        &self,
        channel_id: u64,
        state: &RotationState,
    ) -> Result<(), StoreError> {
        let posted = posted_json(state);
        self.with(|conn| save_rotation(conn, channel_id, state.cycle, &posted))
    }

    /// Claims the post of `local_date` in a channel before sending it. `false` if that day is
    /// already claimed (by an earlier run or another process): then don't send.
    pub fn claim_tip_post(
        &self,
        channel_id: u64,
        local_date: Date,
        tip_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO tip_posts (channel_id, local_date, tip_id, claimed_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel_id, local_date) DO NOTHING",
                params![
                    id_to_sql(channel_id),
                    local_date.to_string(),
                    tip_id,
                    now.as_second()
                ],
            )?;
            tx.commit()?;
            Ok(inserted == 1)
        })
    }

    /// Records a claimed post as sent and advances the channel's rotation, in one transaction.
    pub fn mark_tip_post_sent(
        &self,
        channel_id: u64,
        local_date: Date,
        message_id: Option<u64>,
        rotation: &RotationState,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let posted = posted_json(rotation);
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE tip_posts SET sent_at = ?3, message_id = ?4, skipped_reason = NULL
                 WHERE channel_id = ?1 AND local_date = ?2",
                params![
                    id_to_sql(channel_id),
                    local_date.to_string(),
                    now.as_second(),
                    message_id.map(id_to_sql)
                ],
            )?;
            save_rotation(&tx, channel_id, rotation.cycle, &posted)?;
            tx.commit()
        })
    }

    /// Gives up a claimed post (grace window passed, channel gone), keeping the reason.
    pub fn skip_tip_post(
        &self,
        channel_id: u64,
        local_date: Date,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tip_posts SET skipped_reason = ?3
                 WHERE channel_id = ?1 AND local_date = ?2 AND sent_at IS NULL",
                params![id_to_sql(channel_id), local_date.to_string(), reason],
            )
            .map(|_| ())
        })
    }

    /// Claims that were neither sent nor given up: what a crash mid-post leaves behind.
    pub fn unsent_tip_claims(&self) -> Result<Vec<TipClaim>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {CLAIM_COLUMNS} FROM tip_posts
                 WHERE sent_at IS NULL AND skipped_reason IS NULL
                 ORDER BY channel_id, local_date"
            ))?;
            let rows = stmt.query_map([], claim_from_row)?;
            rows.collect()
        })
    }

    /// The channel's claim with the latest local date.
    pub fn latest_tip_claim(&self, channel_id: u64) -> Result<Option<TipClaim>, StoreError> {
        self.with(|conn| {
            conn.query_row(
                &format!(
                    "SELECT {CLAIM_COLUMNS} FROM tip_posts WHERE channel_id = ?1
                     ORDER BY local_date DESC LIMIT 1"
                ),
                params![id_to_sql(channel_id)],
                claim_from_row,
            )
            .optional()
        })
    }

    /// Every claim of a channel, oldest first: its posting history.
    pub fn tip_claims(&self, channel_id: u64) -> Result<Vec<TipClaim>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {CLAIM_COLUMNS} FROM tip_posts WHERE channel_id = ?1 ORDER BY local_date"
            ))?;
            let rows = stmt.query_map(params![id_to_sql(channel_id)], claim_from_row)?;
            rows.collect()
        })
    }
}

fn posted_json(state: &RotationState) -> String {
    // Serializing a Vec<String> cannot fail.
    serde_json::to_string(&state.posted).unwrap_or_else(|_| "[]".to_string())
}

fn save_rotation(
    conn: &rusqlite::Connection,
    channel_id: u64,
    cycle: u64,
    posted: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO tip_rotation (channel_id, cycle, posted) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel_id) DO UPDATE SET cycle = excluded.cycle, posted = excluded.posted",
        params![id_to_sql(channel_id), cycle as i64, posted],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn berlin() -> TipSchedule {
        TipSchedule::parse("08:30", "Europe/Berlin", "workdays").unwrap()
    }

    #[test]
    fn subscribing_twice_with_the_same_schedule_changes_nothing() {
        let store = Store::open_in_memory().unwrap();
        let t0 = at("2025-01-06T07:00:00Z");
        let change = store.upsert_tip_subscription(7, &berlin(), t0).unwrap();
        assert_eq!(change, SubscriptionChange::Created);
        let later = at("2025-01-07T07:00:00Z");
        let again = store.upsert_tip_subscription(7, &berlin(), later).unwrap();
        assert_eq!(again, SubscriptionChange::Unchanged);
        let sub = store.tip_subscription(7).unwrap().unwrap();
        assert_eq!(sub.updated_at, t0);
        assert_eq!(
            (sub.time.as_str(), sub.timezone.as_str(), sub.days.as_str()),
            ("08:30", "Europe/Berlin", "workdays")
        );
        assert_eq!(sub.schedule().unwrap(), berlin());
    }

    #[test]
    fn changing_the_schedule_keeps_created_at_and_lifts_a_pause() {
        let store = Store::open_in_memory().unwrap();
        let t0 = at("2025-01-06T07:00:00Z");
        store.upsert_tip_subscription(7, &berlin(), t0).unwrap();
        assert!(store
            .pause_tip_subscription(7, "missing permission")
            .unwrap());
        assert!(!store.tip_subscription(7).unwrap().unwrap().is_active());

        // Same schedule: the pause stays.
        store.upsert_tip_subscription(7, &berlin(), t0).unwrap();
        assert!(!store.tip_subscription(7).unwrap().unwrap().is_active());

        let nine = TipSchedule::parse("09:00", "Europe/Berlin", "everyday").unwrap();
        let t1 = at("2025-01-08T07:00:00Z");
        let change = store.upsert_tip_subscription(7, &nine, t1).unwrap();
        assert_eq!(change, SubscriptionChange::Updated);
        let sub = store.tip_subscription(7).unwrap().unwrap();
        assert!(sub.is_active());
        assert_eq!((sub.created_at, sub.updated_at), (t0, t1));
    }

    #[test]
    fn pause_unpause_remove_and_list() {
        let store = Store::open_in_memory().unwrap();
        let t0 = at("2025-01-06T07:00:00Z");
        for ch in [3, 1, 2] {
            store.upsert_tip_subscription(ch, &berlin(), t0).unwrap();
        }
        store.pause_tip_subscription(2, "channel deleted").unwrap();
        let subs = store.tip_subscriptions().unwrap();
        assert_eq!(
            subs.iter().map(|s| s.channel_id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(subs[1].paused_reason.as_deref(), Some("channel deleted"));
        assert!(store.unpause_tip_subscription(2).unwrap());
        assert!(store.tip_subscription(2).unwrap().unwrap().is_active());
        assert!(store.remove_tip_subscription(2).unwrap());
        assert!(!store.remove_tip_subscription(2).unwrap());
        assert!(!store.pause_tip_subscription(2, "x").unwrap());
        assert_eq!(store.tip_subscription(2).unwrap(), None);
    }

    #[test]
    fn rotation_round_trips_and_defaults_to_cycle_zero() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.tip_rotation(9).unwrap(), RotationState::default());
        let state = RotationState {
            cycle: 3,
            posted: vec!["b".into(), "a".into()],
        };
        store.save_tip_rotation(9, &state).unwrap();
        assert_eq!(store.tip_rotation(9).unwrap(), state);
    }

    #[test]
    fn a_day_is_claimed_once_then_sent_with_the_rotation() {
        let store = Store::open_in_memory().unwrap();
        let day = jiff::civil::date(2025, 1, 6);
        let t0 = at("2025-01-06T07:30:00Z");
        assert!(store.claim_tip_post(5, day, "tip-a", t0).unwrap());
        assert!(!store.claim_tip_post(5, day, "tip-b", t0).unwrap());
        // Another channel's same day is its own claim.
        assert!(store.claim_tip_post(6, day, "tip-b", t0).unwrap());

        let pending = store.unsent_tip_claims().unwrap();
        assert_eq!(pending.len(), 2);
        assert!(pending[0].is_pending());
        assert_eq!(pending[0].tip_id, "tip-a");

        let rotation = RotationState {
            cycle: 0,
            posted: vec!["tip-a".into()],
        };
        let t1 = at("2025-01-06T07:30:02Z");
        store
            .mark_tip_post_sent(5, day, Some(1234), &rotation, t1)
            .unwrap();
        let claim = store.latest_tip_claim(5).unwrap().unwrap();
        assert_eq!(claim.sent_at, Some(t1));
        assert_eq!(claim.message_id, Some(1234));
        assert_eq!(store.tip_rotation(5).unwrap(), rotation);
        assert_eq!(store.unsent_tip_claims().unwrap().len(), 1);

        store.skip_tip_post(6, day, "grace window passed").unwrap();
        assert!(store.unsent_tip_claims().unwrap().is_empty());
        let skipped = store.latest_tip_claim(6).unwrap().unwrap();
        assert_eq!(
            skipped.skipped_reason.as_deref(),
            Some("grace window passed")
        );
    }

    #[test]
    fn latest_claim_is_by_local_date() {
        let store = Store::open_in_memory().unwrap();
        let t0 = at("2025-01-06T07:30:00Z");
        for d in [6, 8, 7] {
            let day = jiff::civil::date(2025, 1, d);
            store.claim_tip_post(5, day, "t", t0).unwrap();
        }
        let latest = store.latest_tip_claim(5).unwrap().unwrap();
        assert_eq!(latest.local_date, jiff::civil::date(2025, 1, 8));
        assert_eq!(store.tip_claims(5).unwrap().len(), 3);
        assert_eq!(store.latest_tip_claim(99).unwrap(), None);
    }

    #[test]
    fn large_snowflakes_round_trip() {
        let store = Store::open_in_memory().unwrap();
        let big = u64::MAX - 5;
        let t0 = at("2025-01-06T07:00:00Z");
        store.upsert_tip_subscription(big, &berlin(), t0).unwrap();
        assert_eq!(store.tip_subscriptions().unwrap()[0].channel_id, big);
    }
}
