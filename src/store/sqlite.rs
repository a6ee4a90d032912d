//! The embedded backend: one SQLite file in WAL mode (or memory), a small pool of connections used only on tokio's blocking pool, and `user_version` migrations.

use super::counts::{
    entry_to_sql, question_row, tip_row, unanswered_query, unanswered_row, vote_row, Purged,
};
use super::feedback::SALT_KEY;
use super::tips::{
    decide, in_key_order, lease_expiry, parse_posted, posted_json, schedule_columns, ClaimRow,
    LeaseDecision, NewTipSubscription, PostKind, SubscriptionRow, SUBSCRIPTION_COLUMNS,
};
use super::{
    id_from_sql, id_to_sql, lease_lost, now_unix, ClaimOutcome, EntryVotes, LeaseGrant, LeaseOwner,
    RecordedVote, StoreError, SubscriptionChange, TipClaim, TipClaimRequest, TipLease,
    TipSubscription, UnansweredCount, UserHasher, Vote,
};
use crate::tips::rotation::RotationState;
use crate::usage::{ChannelKind, Figures, Outcome};
use deadpool::managed::{Metrics, Pool, PoolError, RecycleResult};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema, one step per migration, numbered from 1 by `PRAGMA user_version`. Never edit a
/// released step: append a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_adapter_state.sql"),
    include_str!("../../migrations/sqlite/0002_daily_tips.sql"),
    include_str!("../../migrations/sqlite/0003_tip_post_leases.sql"),
    include_str!("../../migrations/sqlite/0004_usage_and_digest.sql"),
    include_str!("../../migrations/sqlite/0005_tip_subscription_guild.sql"),
];

/// Connections to a file: WAL lets readers work beside the one writer.
const FILE_POOL_SIZE: usize = 4;
/// How long a writer waits for another (in this or another process) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens connections for the pool. An in-memory database lives in its one connection, so that
/// pool holds exactly one and never drops it.
struct Manager {
    path: Option<PathBuf>,
}

impl deadpool::managed::Manager for Manager {
    type Type = Connection;
    type Error = StoreError;

    async fn create(&self) -> Result<Connection, StoreError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || open_connection(path.as_deref()))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn recycle(&self, _conn: &mut Connection, _: &Metrics) -> RecycleResult<StoreError> {
        Ok(())
    }
}

fn open_connection(path: Option<&Path>) -> Result<Connection, StoreError> {
    let open_err = |cause: rusqlite::Error| StoreError::Open {
        location: path.map_or(":memory:".to_string(), |p| p.display().to_string()),
        cause: cause.to_string(),
    };
    let conn = match path {
        Some(path) => Connection::open(path),
        None => Connection::open_in_memory(),
    }
    .map_err(open_err)?;
    // First, so that a second process opening the same new file waits for the journal switch
    // instead of failing with "database is locked".
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    if path.is_some() {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    Ok(conn)
}

fn pool_error(error: PoolError<StoreError>) -> StoreError {
    match error {
        PoolError::Backend(e) => e,
        other => StoreError::Pool(other.to_string()),
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// Applies every migration newer than the file's `user_version`, each in its own `IMMEDIATE`
/// transaction that re-reads the version first: two processes starting on one file migrate once.
fn migrate(conn: &mut Connection, location: &str) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            location: location.to_string(),
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let version = i + 1;
        let err = |cause: rusqlite::Error| StoreError::Migrate {
            location: location.to_string(),
            version,
            cause: cause.to_string(),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        if user_version(&tx).map_err(err)? >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

pub(crate) struct SqliteBackend {
    pool: Pool<Manager>,
    in_memory: bool,
}

impl SqliteBackend {
    /// Opens a file (or, with `None`, a fresh in-memory database) and migrates it.
    pub(crate) async fn open(path: Option<&Path>) -> Result<SqliteBackend, StoreError> {
        let location = path.map_or(":memory:".to_string(), |p| p.display().to_string());
        let size = if path.is_some() { FILE_POOL_SIZE } else { 1 };
        let pool = Pool::builder(Manager {
            path: path.map(Path::to_path_buf),
        })
        .max_size(size)
        .build()
        .map_err(|e| StoreError::Open {
            location: location.clone(),
            cause: e.to_string(),
        })?;
        let backend = SqliteBackend {
            pool,
            in_memory: path.is_none(),
        };
        backend.run(move |conn| migrate(conn, &location)).await?;
        Ok(backend)
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        tokio::task::spawn_blocking(move || f(&mut conn))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    pub(crate) async fn schema_version(&self) -> Result<usize, StoreError> {
        self.run(|c| Ok(user_version(c)?)).await
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| {
            Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map(|_| ())?)
        })
        .await
    }

    pub(crate) async fn close(&self) -> Result<(), StoreError> {
        if !self.in_memory {
            self.run(|c| Ok(c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?))
                .await?;
        }
        self.pool.close();
        Ok(())
    }

    pub(crate) async fn add_safety_channel(
        &self,
        channel_id: u64,
        added_by_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        let by = added_by_hash.map(str::to_string);
        self.run(move |c| {
            let changed = c.execute(
                "INSERT OR IGNORE INTO safety_channels (channel_id, added_by_hash, added_at)
                 VALUES (?1, ?2, ?3)",
                params![id_to_sql(channel_id), by, now_unix()],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(crate) async fn remove_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.run(move |c| {
            let changed = c.execute(
                "DELETE FROM safety_channels WHERE channel_id = ?1",
                params![id_to_sql(channel_id)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(crate) async fn is_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.run(move |c| {
            let found = c
                .query_row(
                    "SELECT 1 FROM safety_channels WHERE channel_id = ?1",
                    params![id_to_sql(channel_id)],
                    |_| Ok(()),
                )
                .optional()?;
            Ok(found.is_some())
        })
        .await
    }

    pub(crate) async fn safety_channels(&self) -> Result<Vec<u64>, StoreError> {
        self.run(|c| {
            let mut stmt =
                c.prepare("SELECT channel_id FROM safety_channels ORDER BY channel_id")?;
            let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
            Ok(rows
                .map(|r| r.map(id_from_sql))
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    pub(crate) async fn user_hasher(&self) -> Result<UserHasher, StoreError> {
        self.run(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    [SALT_KEY],
                    |r| r.get(0),
                )
                .optional()?;
            let hasher = match existing.as_deref().and_then(UserHasher::from_hex) {
                Some(h) => h,
                None => {
                    let h = UserHasher::random();
                    tx.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
                        params![SALT_KEY, h.to_hex()],
                    )?;
                    h
                }
            };
            tx.commit()?;
            Ok(hasher)
        })
        .await
    }

    pub(crate) async fn record_vote(
        &self,
        reply_id: u64,
        user_hash: &str,
        entry_id: &str,
        vote: Vote,
        day: Date,
    ) -> Result<(), StoreError> {
        let (user_hash, entry_id) = (user_hash.to_string(), entry_id.to_string());
        self.run(move |c| {
            c.execute(
                "INSERT INTO feedback (reply_id, user_hash, entry_id, vote, at, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (reply_id, user_hash)
                 DO UPDATE SET vote = excluded.vote, entry_id = excluded.entry_id, at = excluded.at,
                               day = excluded.day",
                params![
                    id_to_sql(reply_id),
                    user_hash,
                    entry_id,
                    vote.to_sql(),
                    now_unix(),
                    day.to_string()
                ],
            )?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn votes_on_reply(
        &self,
        reply_id: u64,
    ) -> Result<Vec<RecordedVote>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT reply_id, user_hash, entry_id, vote, at FROM feedback
                 WHERE reply_id = ?1 ORDER BY at, user_hash",
            )?;
            let rows = stmt.query_map([id_to_sql(reply_id)], |r| {
                Ok(RecordedVote {
                    reply_id: id_from_sql(r.get(0)?),
                    user_hash: r.get(1)?,
                    entry_id: r.get(2)?,
                    vote: Vote::from_sql(r.get(3)?),
                    at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    pub(crate) async fn votes_since(&self, since: i64) -> Result<Vec<EntryVotes>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT entry_id,
                        SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END)
                 FROM feedback WHERE at >= ?1
                 GROUP BY entry_id ORDER BY entry_id",
            )?;
            let rows = stmt.query_map([since], |r| {
                Ok(EntryVotes {
                    entry_id: r.get(0)?,
                    up: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    down: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    pub(crate) async fn record_unanswered(
        &self,
        text: &str,
        asker: &str,
        day: Date,
    ) -> Result<(), StoreError> {
        let (text, asker) = (text.to_string(), asker.to_string());
        self.run(move |c| {
            c.execute(
                "INSERT INTO unanswered (text, at, day, asker) VALUES (?1, ?2, ?3, ?4)",
                params![text, now_unix(), day.to_string(), asker],
            )?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn confirm_unanswered(&self, text: &str) -> Result<bool, StoreError> {
        let text = text.to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = tx
                .query_row("SELECT 1 FROM unanswered WHERE text = ?1", [&text], |_| {
                    Ok(())
                })
                .optional()?
                .is_some();
            if stored {
                tx.execute(
                    "INSERT INTO unanswered_confirmed (text, confirmed_at) VALUES (?1, ?2)
                     ON CONFLICT (text) DO NOTHING",
                    params![text, now_unix()],
                )?;
            }
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    pub(crate) async fn record_usage(
        &self,
        day: Date,
        entry: Option<&str>,
        outcome: Outcome,
        channel: ChannelKind,
    ) -> Result<(), StoreError> {
        let entry = entry_to_sql(entry).to_string();
        self.run(move |c| {
            c.execute(
                "INSERT INTO usage_counts (day, entry_id, outcome, channel, questions)
                 VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (day, entry_id, outcome, channel)
                 DO UPDATE SET questions = usage_counts.questions + 1",
                params![day.to_string(), entry, outcome.name(), channel.name()],
            )?;
            Ok(())
        })
        .await
    }

    /// Counts, votes and tips from `first` to `last`, unanswered questions from `asked_from` to `last`.
    pub(crate) async fn usage_figures(
        &self,
        first: Date,
        asked_from: Date,
        last: Date,
    ) -> Result<Figures, StoreError> {
        let (first, asked_from, last) =
            (first.to_string(), asked_from.to_string(), last.to_string());
        self.run(move |c| {
            let mut figures = Figures::default();
            let mut stmt = c.prepare(
                "SELECT day, entry_id, outcome, channel, questions FROM usage_counts
                 WHERE day BETWEEN ?1 AND ?2",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                figures.questions.push(question_row(
                    &r.get::<_, String>(0)?,
                    r.get(1)?,
                    &r.get::<_, String>(2)?,
                    &r.get::<_, String>(3)?,
                    r.get(4)?,
                )?);
            }
            let mut stmt = c.prepare(
                "SELECT day, entry_id,
                        SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END)
                 FROM feedback WHERE day BETWEEN ?1 AND ?2
                 GROUP BY day, entry_id",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                figures.votes.push(vote_row(
                    &r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                )?);
            }
            let mut stmt = c.prepare(
                "SELECT local_date, COUNT(*) FROM tip_posts
                 WHERE sent_at IS NOT NULL AND local_date BETWEEN ?1 AND ?2
                 GROUP BY local_date",
            )?;
            let mut rows = stmt.query(params![first, last])?;
            while let Some(r) = rows.next()? {
                figures
                    .tips
                    .push(tip_row(&r.get::<_, String>(0)?, r.get(1)?)?);
            }
            let mut stmt = c.prepare(&unanswered_query("?1", "?2"))?;
            let rows = stmt.query_map(params![asked_from, last], |r| {
                Ok(unanswered_row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            figures.unanswered = rows.collect::<rusqlite::Result<_>>()?;
            Ok(figures)
        })
        .await
    }

    pub(crate) async fn purge_usage(&self, before: Date) -> Result<Purged, StoreError> {
        let before = before.to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let usage_rows = tx.execute("DELETE FROM usage_counts WHERE day < ?1", [&before])?;
            let unanswered = tx.execute(
                "DELETE FROM unanswered WHERE day IS NULL OR day < ?1",
                [&before],
            )?;
            let votes = tx.execute(
                "DELETE FROM feedback WHERE day IS NULL OR day < ?1",
                [&before],
            )?;
            tx.execute(
                "DELETE FROM unanswered_confirmed
                 WHERE text NOT IN (SELECT text FROM unanswered)",
                [],
            )?;
            tx.commit()?;
            Ok(Purged {
                usage_rows: usage_rows as u64,
                unanswered: unanswered as u64,
                votes: votes as u64,
            })
        })
        .await
    }

    pub(crate) async fn top_unanswered(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT text, COUNT(*) AS n, MAX(at) AS last FROM unanswered
                 WHERE at >= ?1 GROUP BY text
                 ORDER BY n DESC, last DESC, text LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![since, limit], |r| {
                Ok(UnansweredCount {
                    text: r.get(0)?,
                    count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    last_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    pub(crate) async fn upsert_subscriptions(
        &self,
        kind: PostKind,
        subscriptions: &[NewTipSubscription],
        now: Timestamp,
    ) -> Result<Vec<SubscriptionChange>, StoreError> {
        /// Channel, guild and schedule columns, as SQL values.
        type Row = (i64, Option<i64>, (String, String, String));
        let rows: Vec<Row> = subscriptions
            .iter()
            .map(|s| {
                (
                    id_to_sql(s.channel_id),
                    s.guild_id.map(id_to_sql),
                    schedule_columns(&s.schedule),
                )
            })
            .collect();
        let now = now.as_second();
        let table = kind.subscriptions();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut changes = Vec::with_capacity(rows.len());
            for (channel, guild, wanted) in &rows {
                let (time, timezone, days) = wanted;
                let existing: Option<((String, String, String), Option<i64>)> = tx
                    .query_row(
                        &format!("SELECT time, timezone, days, guild_id FROM {table} WHERE channel_id = ?1"),
                        params![channel],
                        |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)),
                    )
                    .optional()?;
                let change = match existing {
                    None => {
                        tx.execute(
                            &format!("INSERT INTO {table}
                                 (channel_id, time, timezone, days, paused_reason, created_at, updated_at, guild_id)
                             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5, ?6)"),
                            params![channel, time, timezone, days, now, guild],
                        )?;
                        SubscriptionChange::Created
                    }
                    Some((old, old_guild)) => {
                        if guild.is_some() && *guild != old_guild {
                            tx.execute(
                                &format!("UPDATE {table} SET guild_id = ?2 WHERE channel_id = ?1"),
                                params![channel, guild],
                            )?;
                        }
                        if &old == wanted {
                            SubscriptionChange::Unchanged
                        } else {
                            tx.execute(
                                &format!("UPDATE {table}
                                 SET time = ?2, timezone = ?3, days = ?4, paused_reason = NULL, updated_at = ?5
                                 WHERE channel_id = ?1"),
                                params![channel, time, timezone, days, now],
                            )?;
                            SubscriptionChange::Updated
                        }
                    }
                };
                changes.push(change);
            }
            tx.commit()?;
            Ok(changes)
        })
        .await
    }

    pub(crate) async fn remove_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<bool, StoreError> {
        self.run(move |c| {
            let n = c.execute(
                &format!("DELETE FROM {} WHERE channel_id = ?1", kind.subscriptions()),
                params![id_to_sql(channel_id)],
            )?;
            Ok(n > 0)
        })
        .await
    }

    pub(crate) async fn subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Option<TipSubscription>, StoreError> {
        self.run(move |c| {
            let row = c
                .query_row(
                    &format!(
                        "SELECT {SUBSCRIPTION_COLUMNS} FROM {} WHERE channel_id = ?1",
                        kind.subscriptions()
                    ),
                    params![id_to_sql(channel_id)],
                    subscription_row,
                )
                .optional()?;
            row.map(TipSubscription::try_from).transpose()
        })
        .await
    }

    pub(crate) async fn subscriptions(
        &self,
        kind: PostKind,
    ) -> Result<Vec<TipSubscription>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM {} ORDER BY channel_id",
                kind.subscriptions()
            ))?;
            let rows = stmt.query_map([], subscription_row)?;
            rows.map(|r| TipSubscription::try_from(r?)).collect()
        })
        .await
    }

    pub(crate) async fn pause_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let reason = reason.to_string();
        self.run(move |c| {
            let n = c.execute(
                &format!(
                    "UPDATE {} SET paused_reason = ?2 WHERE channel_id = ?1",
                    kind.subscriptions()
                ),
                params![id_to_sql(channel_id), reason],
            )?;
            Ok(n > 0)
        })
        .await
    }

    pub(crate) async fn unpause_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<bool, StoreError> {
        self.run(move |c| {
            let n = c.execute(
                &format!(
                    "UPDATE {} SET paused_reason = NULL WHERE channel_id = ?1",
                    kind.subscriptions()
                ),
                params![id_to_sql(channel_id)],
            )?;
            Ok(n > 0)
        })
        .await
    }

    pub(crate) async fn tip_rotation(&self, channel_id: u64) -> Result<RotationState, StoreError> {
        self.run(move |c| read_rotation(c, id_to_sql(channel_id)))
            .await
    }

    pub(crate) async fn save_tip_rotation(
        &self,
        channel_id: u64,
        state: &RotationState,
    ) -> Result<(), StoreError> {
        let state = state.clone();
        self.run(move |c| write_rotation(c, id_to_sql(channel_id), &state))
            .await
    }

    pub(crate) async fn claim_posts(
        &self,
        kind: PostKind,
        requests: &[TipClaimRequest],
        owner: &LeaseOwner,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<ClaimOutcome>, StoreError> {
        let requests = requests.to_vec();
        let owner = owner.clone();
        self.run(move |c| {
            let expires = lease_expiry(now, ttl);
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes: Vec<Option<ClaimOutcome>> = requests.iter().map(|_| None).collect();
            for (i, request) in in_key_order(&requests) {
                let channel = id_to_sql(request.channel_id);
                let date = request.local_date.to_string();
                let nonce = kind.nonce(request.channel_id, request.local_date);
                let inserted = tx.execute(
                    &format!(
                        "INSERT INTO {} (channel_id, local_date, {}, claimed_at, nonce, lease_owner, lease_expires_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (channel_id, local_date) DO NOTHING",
                        kind.posts(),
                        kind.item()
                    ),
                    params![
                        channel,
                        date,
                        request.tip_id,
                        now.as_second(),
                        nonce,
                        owner.as_str(),
                        expires.as_second()
                    ],
                )?;
                let outcome = if inserted == 1 {
                    ClaimOutcome::Granted(TipLease {
                        channel_id: request.channel_id,
                        local_date: request.local_date,
                        tip_id: request.tip_id.clone(),
                        nonce,
                        owner: owner.clone(),
                        expires_at: expires,
                        grant: LeaseGrant::New,
                    })
                } else {
                    let claim = read_claim(&tx, kind, channel, &date)?.ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "the claim of channel {} for {date} conflicted but cannot be read",
                            request.channel_id
                        ))
                    })?;
                    match decide(&claim, &owner, now) {
                        LeaseDecision::Finished => ClaimOutcome::Finished(claim),
                        LeaseDecision::Held { owner, until } => ClaimOutcome::Held { owner, until },
                        LeaseDecision::Grant(grant) => {
                            let nonce = claim.nonce.clone().unwrap_or(nonce);
                            tx.execute(
                                &format!(
                                    "UPDATE {} SET lease_owner = ?3, lease_expires_at = ?4, nonce = ?5
                                     WHERE channel_id = ?1 AND local_date = ?2",
                                    kind.posts()
                                ),
                                params![
                                    channel,
                                    date,
                                    owner.as_str(),
                                    expires.as_second(),
                                    nonce
                                ],
                            )?;
                            ClaimOutcome::Granted(TipLease {
                                channel_id: request.channel_id,
                                local_date: request.local_date,
                                tip_id: claim.tip_id,
                                nonce,
                                owner: owner.clone(),
                                expires_at: expires,
                                grant,
                            })
                        }
                    }
                };
                outcomes[i] = Some(outcome);
            }
            tx.commit()?;
            Ok(outcomes.into_iter().flatten().collect())
        })
        .await
    }

    /// Marks a leased post sent; for a tip, `advance` moves the channel's rotation on in the same
    /// transaction.
    pub(crate) async fn mark_post_sent<F>(
        &self,
        kind: PostKind,
        lease: &TipLease,
        message_id: Option<u64>,
        now: Timestamp,
        advance: Option<F>,
    ) -> Result<(), StoreError>
    where
        F: FnOnce(&RotationState) -> RotationState + Send + 'static,
    {
        let lease = lease.clone();
        self.run(move |c| {
            let channel = id_to_sql(lease.channel_id);
            let date = lease.local_date.to_string();
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let updated = tx.execute(
                &format!(
                    "UPDATE {} SET sent_at = ?3, message_id = ?4
                     WHERE channel_id = ?1 AND local_date = ?2 AND lease_owner = ?5
                       AND sent_at IS NULL AND skipped_reason IS NULL",
                    kind.posts()
                ),
                params![
                    channel,
                    date,
                    now.as_second(),
                    message_id.map(id_to_sql),
                    lease.owner.as_str()
                ],
            )?;
            if updated == 0 {
                let claim = read_claim(&tx, kind, channel, &date)?;
                return Err(lease_lost(&lease, claim.as_ref()));
            }
            if let Some(advance) = advance {
                let next = advance(&read_rotation(&tx, channel)?);
                write_rotation(&tx, channel, &next)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn skip_post(
        &self,
        kind: PostKind,
        lease: &TipLease,
        reason: &str,
        pause_channel: bool,
    ) -> Result<(), StoreError> {
        let (lease, reason) = (lease.clone(), reason.to_string());
        self.run(move |c| {
            let channel = id_to_sql(lease.channel_id);
            let date = lease.local_date.to_string();
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let updated = tx.execute(
                &format!(
                    "UPDATE {} SET skipped_reason = ?3
                     WHERE channel_id = ?1 AND local_date = ?2 AND lease_owner = ?4
                       AND sent_at IS NULL AND skipped_reason IS NULL",
                    kind.posts()
                ),
                params![channel, date, reason, lease.owner.as_str()],
            )?;
            if updated == 0 {
                let claim = read_claim(&tx, kind, channel, &date)?;
                return Err(lease_lost(&lease, claim.as_ref()));
            }
            if pause_channel {
                tx.execute(
                    &format!(
                        "UPDATE {} SET paused_reason = ?2 WHERE channel_id = ?1",
                        kind.subscriptions()
                    ),
                    params![channel, reason],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn unsent_claims(&self, kind: PostKind) -> Result<Vec<TipClaim>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {} FROM {}
                 WHERE sent_at IS NULL AND skipped_reason IS NULL
                 ORDER BY channel_id, local_date",
                kind.claim_columns(),
                kind.posts()
            ))?;
            let rows = stmt.query_map([], claim_row)?;
            rows.map(|r| TipClaim::try_from(r?)).collect()
        })
        .await
    }

    pub(crate) async fn latest_claim(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Option<TipClaim>, StoreError> {
        self.run(move |c| {
            let row = c
                .query_row(
                    &format!(
                        "SELECT {} FROM {} WHERE channel_id = ?1
                         ORDER BY local_date DESC LIMIT 1",
                        kind.claim_columns(),
                        kind.posts()
                    ),
                    params![id_to_sql(channel_id)],
                    claim_row,
                )
                .optional()?;
            row.map(TipClaim::try_from).transpose()
        })
        .await
    }

    pub(crate) async fn claims(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Vec<TipClaim>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {} FROM {} WHERE channel_id = ?1 ORDER BY local_date",
                kind.claim_columns(),
                kind.posts()
            ))?;
            let rows = stmt.query_map(params![id_to_sql(channel_id)], claim_row)?;
            rows.map(|r| TipClaim::try_from(r?)).collect()
        })
        .await
    }
}

fn claim_row(r: &Row<'_>) -> rusqlite::Result<ClaimRow> {
    Ok(ClaimRow {
        channel_id: r.get(0)?,
        local_date: r.get(1)?,
        tip_id: r.get(2)?,
        claimed_at: r.get(3)?,
        sent_at: r.get(4)?,
        message_id: r.get(5)?,
        skipped_reason: r.get(6)?,
        nonce: r.get(7)?,
        lease_owner: r.get(8)?,
        lease_expires_at: r.get(9)?,
    })
}

fn subscription_row(r: &Row<'_>) -> rusqlite::Result<SubscriptionRow> {
    Ok(SubscriptionRow {
        channel_id: r.get(0)?,
        time: r.get(1)?,
        timezone: r.get(2)?,
        days: r.get(3)?,
        paused_reason: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        guild_id: r.get(7)?,
    })
}

fn read_claim(
    conn: &Connection,
    kind: PostKind,
    channel: i64,
    date: &str,
) -> Result<Option<TipClaim>, StoreError> {
    let row = conn
        .query_row(
            &format!(
                "SELECT {} FROM {} WHERE channel_id = ?1 AND local_date = ?2",
                kind.claim_columns(),
                kind.posts()
            ),
            params![channel, date],
            claim_row,
        )
        .optional()?;
    row.map(TipClaim::try_from).transpose()
}

fn read_rotation(conn: &Connection, channel: i64) -> Result<RotationState, StoreError> {
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT cycle, posted FROM tip_rotation WHERE channel_id = ?1",
            params![channel],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => Ok(RotationState::default()),
        Some((cycle, posted)) => Ok(RotationState {
            cycle: cycle as u64,
            posted: parse_posted(channel, &posted)?,
        }),
    }
}

fn write_rotation(
    conn: &Connection,
    channel: i64,
    state: &RotationState,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO tip_rotation (channel_id, cycle, posted) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel_id) DO UPDATE SET cycle = excluded.cycle, posted = excluded.posted",
        params![channel, state.cycle as i64, posted_json(&state.posted)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_memory_database_keeps_its_data_across_calls() {
        let backend = SqliteBackend::open(None).await.unwrap();
        assert!(backend.add_safety_channel(5, None).await.unwrap());
        assert_eq!(backend.safety_channels().await.unwrap(), vec![5]);
        assert_eq!(
            backend.schema_version().await.unwrap(),
            MIGRATIONS.len(),
            "migrated"
        );
    }
}
