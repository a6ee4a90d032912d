//! The server backend: PostgreSQL over tokio-postgres with a deadpool of connections, cached statements, and numbered migrations serialized by an advisory lock.

use super::counts::{
    entry_to_sql, question_row, tip_row, unanswered_query, unanswered_row, vote_row, Purged,
};
use super::feedback::SALT_KEY;
use super::tips::{
    decide, in_key_order, lease_expiry, parse_posted, posted_json, schedule_columns, ClaimRow,
    LeaseDecision, NewTipSubscription, PostKind, SubscriptionRow, SUBSCRIPTION_COLUMNS,
};
use super::{
    error_chain, id_from_sql, id_to_sql, lease_lost, now_unix, ClaimOutcome, EntryVotes,
    LeaseGrant, LeaseOwner, PostgresUrl, RecordedVote, StoreError, SubscriptionChange, TipClaim,
    TipClaimRequest, TipLease, TipSubscription, UnansweredCount, UserHasher, Vote,
};
use crate::tips::rotation::RotationState;
use crate::usage::{ChannelKind, Figures, Outcome};
use deadpool_postgres::{GenericClient, ManagerConfig, Pool, RecyclingMethod, Runtime};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;
use tokio_postgres::{NoTls, Row};

/// The schema, one step per migration, recorded in `hingebot_schema_migrations`. Never edit a
/// released step: append a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_schema.sql"),
    include_str!("../../migrations/postgres/0002_usage_and_digest.sql"),
    include_str!("../../migrations/postgres/0003_tip_subscription_guild.sql"),
];

/// Connections per process: enough for the scheduler, the handlers and a burst of votes.
const POOL_SIZE: usize = 8;
/// How long connecting, or waiting for a free connection, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The `pg_advisory_xact_lock` key that makes concurrent start-ups migrate one at a time
/// ("hingebot" in ASCII).
const MIGRATION_LOCK: i64 = 0x6869_6e67_6562_6f74;

pub(crate) struct PostgresBackend {
    pool: Pool,
    url: PostgresUrl,
}

impl PostgresBackend {
    /// Builds the pool and brings the schema up to date (which also proves the server answers).
    pub(crate) async fn open(url: &PostgresUrl) -> Result<PostgresBackend, StoreError> {
        let mut config = url.driver_config()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("hingebot");
        }
        let manager = deadpool_postgres::Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Open {
                location: url.to_string(),
                cause: url.redact(&error_chain(&e)),
            })?;
        let backend = PostgresBackend {
            pool,
            url: url.clone(),
        };
        backend.migrate().await?;
        Ok(backend)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Pool(self.describe(&e)))
    }

    /// A pool error as text without the password; a failed connection is described by its cause.
    fn describe(&self, error: &deadpool_postgres::PoolError) -> String {
        let text = match error {
            deadpool_postgres::PoolError::Backend(cause) => error_chain(cause),
            other => error_chain(other),
        };
        self.url.redact(&text)
    }

    /// Applies the next migration, each in its own transaction under the advisory lock, until the
    /// schema is current. A process that waited for the lock finds the work done.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(|e| StoreError::Open {
            location: self.url.to_string(),
            cause: self.describe(&e),
        })?;
        loop {
            let tx = client.transaction().await?;
            tx.query_one("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS hingebot_schema_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at BIGINT NOT NULL
                 )",
            )
            .await?;
            let found = applied_version(&tx).await?;
            if found > MIGRATIONS.len() {
                tx.rollback().await?;
                return Err(StoreError::TooNew {
                    location: self.url.to_string(),
                    found,
                    known: MIGRATIONS.len(),
                });
            }
            let Some(sql) = MIGRATIONS.get(found) else {
                // Ends the transaction (and its lock) now rather than when the pool next uses it.
                tx.commit().await?;
                return Ok(());
            };
            let version = found + 1;
            let err = |cause: tokio_postgres::Error| StoreError::Migrate {
                location: self.url.to_string(),
                version,
                cause: self.url.redact(&error_chain(&cause)),
            };
            tx.batch_execute(sql).await.map_err(err)?;
            tx.execute(
                "INSERT INTO hingebot_schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[&(version as i32), &now_unix()],
            )
            .await
            .map_err(err)?;
            tx.commit().await.map_err(err)?;
        }
    }

    pub(crate) async fn schema_version(&self) -> Result<usize, StoreError> {
        let client = self.client().await?;
        applied_version(&client).await
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    pub(crate) async fn close(&self) -> Result<(), StoreError> {
        self.pool.close();
        Ok(())
    }

    pub(crate) async fn add_safety_channel(
        &self,
        channel_id: u64,
        added_by_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO safety_channels (channel_id, added_by_hash, added_at)
                 VALUES ($1, $2, $3) ON CONFLICT (channel_id) DO NOTHING",
            )
            .await?;
        let changed = client
            .execute(
                &stmt,
                &[&id_to_sql(channel_id), &added_by_hash, &now_unix()],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(crate) async fn remove_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM safety_channels WHERE channel_id = $1")
            .await?;
        Ok(client.execute(&stmt, &[&id_to_sql(channel_id)]).await? == 1)
    }

    pub(crate) async fn is_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT 1 FROM safety_channels WHERE channel_id = $1")
            .await?;
        Ok(client
            .query_opt(&stmt, &[&id_to_sql(channel_id)])
            .await?
            .is_some())
    }

    pub(crate) async fn safety_channels(&self) -> Result<Vec<u64>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT channel_id FROM safety_channels ORDER BY channel_id")
            .await?;
        let rows = client.query(&stmt, &[]).await?;
        rows.iter()
            .map(|r| Ok(id_from_sql(r.try_get(0)?)))
            .collect()
    }

    pub(crate) async fn user_hasher(&self) -> Result<UserHasher, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let candidate = UserHasher::random();
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&SALT_KEY, &candidate.to_hex()],
        )
        .await?;
        let stored: String = tx
            .query_one(
                "SELECT value FROM settings WHERE key = $1 FOR UPDATE",
                &[&SALT_KEY],
            )
            .await?
            .try_get(0)?;
        let hasher = match UserHasher::from_hex(&stored) {
            Some(hasher) => hasher,
            None => {
                tx.execute(
                    "UPDATE settings SET value = $2 WHERE key = $1",
                    &[&SALT_KEY, &candidate.to_hex()],
                )
                .await?;
                candidate
            }
        };
        tx.commit().await?;
        Ok(hasher)
    }

    pub(crate) async fn record_vote(
        &self,
        reply_id: u64,
        user_hash: &str,
        entry_id: &str,
        vote: Vote,
        day: Date,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO feedback (reply_id, user_hash, entry_id, vote, at, day)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (reply_id, user_hash)
                 DO UPDATE SET vote = EXCLUDED.vote, entry_id = EXCLUDED.entry_id, at = EXCLUDED.at,
                               day = EXCLUDED.day",
            )
            .await?;
        let vote = vote.to_sql() as i16;
        client
            .execute(
                &stmt,
                &[
                    &id_to_sql(reply_id),
                    &user_hash,
                    &entry_id,
                    &vote,
                    &now_unix(),
                    &day.to_string(),
                ],
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn votes_on_reply(
        &self,
        reply_id: u64,
    ) -> Result<Vec<RecordedVote>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT reply_id, user_hash, entry_id, vote, at FROM feedback
                 WHERE reply_id = $1 ORDER BY at, user_hash COLLATE \"C\"",
            )
            .await?;
        let rows = client.query(&stmt, &[&id_to_sql(reply_id)]).await?;
        rows.iter()
            .map(|r| {
                Ok(RecordedVote {
                    reply_id: id_from_sql(r.try_get(0)?),
                    user_hash: r.try_get(1)?,
                    entry_id: r.try_get(2)?,
                    vote: Vote::from_sql(i64::from(r.try_get::<_, i16>(3)?)),
                    at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub(crate) async fn votes_since(&self, since: i64) -> Result<Vec<EntryVotes>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT entry_id,
                        SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END)
                 FROM feedback WHERE at >= $1
                 GROUP BY entry_id ORDER BY entry_id COLLATE \"C\"",
            )
            .await?;
        let rows = client.query(&stmt, &[&since]).await?;
        rows.iter()
            .map(|r| {
                Ok(EntryVotes {
                    entry_id: r.try_get(0)?,
                    up: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
                    down: u64::try_from(r.try_get::<_, i64>(2)?).unwrap_or(0),
                })
            })
            .collect()
    }

    pub(crate) async fn record_unanswered(
        &self,
        text: &str,
        asker: &str,
        day: Date,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("INSERT INTO unanswered (text, at, day, asker) VALUES ($1, $2, $3, $4)")
            .await?;
        client
            .execute(&stmt, &[&text, &now_unix(), &day.to_string(), &asker])
            .await?;
        Ok(())
    }

    pub(crate) async fn confirm_unanswered(&self, text: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO unanswered_confirmed (text, confirmed_at)
                 SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM unanswered WHERE text = $1)
                 ON CONFLICT (text) DO NOTHING",
            )
            .await?;
        client.execute(&stmt, &[&text, &now_unix()]).await?;
        let stored = client
            .prepare_cached("SELECT 1 FROM unanswered WHERE text = $1 LIMIT 1")
            .await?;
        Ok(client.query_opt(&stored, &[&text]).await?.is_some())
    }

    pub(crate) async fn record_usage(
        &self,
        day: Date,
        entry: Option<&str>,
        outcome: Outcome,
        channel: ChannelKind,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO usage_counts (day, entry_id, outcome, channel, questions)
                 VALUES ($1, $2, $3, $4, 1)
                 ON CONFLICT (day, entry_id, outcome, channel)
                 DO UPDATE SET questions = usage_counts.questions + 1",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &day.to_string(),
                    &entry_to_sql(entry),
                    &outcome.name(),
                    &channel.name(),
                ],
            )
            .await?;
        Ok(())
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
        let client = self.client().await?;
        let mut figures = Figures::default();
        let stmt = client
            .prepare_cached(
                "SELECT day, entry_id, outcome, channel, questions FROM usage_counts
                 WHERE day BETWEEN $1 AND $2",
            )
            .await?;
        for r in client.query(&stmt, &[&first, &last]).await? {
            figures.questions.push(question_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            )?);
        }
        let stmt = client
            .prepare_cached(
                "SELECT day, entry_id,
                        SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END)
                 FROM feedback WHERE day BETWEEN $1 AND $2
                 GROUP BY day, entry_id",
            )
            .await?;
        for r in client.query(&stmt, &[&first, &last]).await? {
            figures.votes.push(vote_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
            )?);
        }
        let stmt = client
            .prepare_cached(
                "SELECT local_date, COUNT(*) FROM tip_posts
                 WHERE sent_at IS NOT NULL AND local_date BETWEEN $1 AND $2
                 GROUP BY local_date",
            )
            .await?;
        for r in client.query(&stmt, &[&first, &last]).await? {
            figures.tips.push(tip_row(r.try_get(0)?, r.try_get(1)?)?);
        }
        let stmt = client.prepare_cached(&unanswered_query("$1", "$2")).await?;
        for r in client.query(&stmt, &[&asked_from, &last]).await? {
            figures.unanswered.push(unanswered_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
            ));
        }
        Ok(figures)
    }

    pub(crate) async fn purge_usage(&self, before: Date) -> Result<Purged, StoreError> {
        let before = before.to_string();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let usage_rows = tx
            .execute("DELETE FROM usage_counts WHERE day < $1", &[&before])
            .await?;
        let unanswered = tx
            .execute(
                "DELETE FROM unanswered WHERE day IS NULL OR day < $1",
                &[&before],
            )
            .await?;
        let votes = tx
            .execute(
                "DELETE FROM feedback WHERE day IS NULL OR day < $1",
                &[&before],
            )
            .await?;
        tx.execute(
            "DELETE FROM unanswered_confirmed c
             WHERE NOT EXISTS (SELECT 1 FROM unanswered u WHERE u.text = c.text)",
            &[],
        )
        .await?;
        tx.commit().await?;
        Ok(Purged {
            usage_rows,
            unanswered,
            votes,
        })
    }

    pub(crate) async fn top_unanswered(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT text, COUNT(*) AS n, MAX(at) AS last FROM unanswered
                 WHERE at >= $1 GROUP BY text
                 ORDER BY n DESC, last DESC, text COLLATE \"C\" LIMIT $2",
            )
            .await?;
        let rows = client.query(&stmt, &[&since, &limit]).await?;
        rows.iter()
            .map(|r| {
                Ok(UnansweredCount {
                    text: r.try_get(0)?,
                    count: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
                    last_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub(crate) async fn upsert_subscriptions(
        &self,
        kind: PostKind,
        subscriptions: &[NewTipSubscription],
        now: Timestamp,
    ) -> Result<Vec<SubscriptionChange>, StoreError> {
        let now = now.as_second();
        let table = kind.subscriptions();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let select = tx
            .prepare_cached(&format!(
                "SELECT time, timezone, days, guild_id FROM {table} WHERE channel_id = $1 FOR UPDATE"
            ))
            .await?;
        let mut changes: Vec<Option<SubscriptionChange>> =
            subscriptions.iter().map(|_| None).collect();
        // Rows are locked in channel order, so two processes applying overlapping lists cannot deadlock.
        let mut ordered: Vec<(usize, &NewTipSubscription)> =
            subscriptions.iter().enumerate().collect();
        ordered.sort_by_key(|(_, s)| s.channel_id);
        for (i, subscription) in ordered {
            let channel = id_to_sql(subscription.channel_id);
            let guild = subscription.guild_id.map(id_to_sql);
            let wanted = schedule_columns(&subscription.schedule);
            let (time, timezone, days) = &wanted;
            let existing = tx.query_opt(&select, &[&channel]).await?;
            let existing: Option<((String, String, String), Option<i64>)> = match existing {
                Some(r) => Some(((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?), r.try_get(3)?)),
                None => None,
            };
            let change = match existing {
                None => {
                    // A concurrent first subscription of the same channel makes this a no-op;
                    // then the other process's row stands, as if it had come second.
                    tx.execute(
                        &format!("INSERT INTO {table}
                             (channel_id, time, timezone, days, paused_reason, created_at, updated_at, guild_id)
                         VALUES ($1, $2, $3, $4, NULL, $5, $5, $6)
                         ON CONFLICT (channel_id) DO NOTHING"),
                        &[&channel, time, timezone, days, &now, &guild],
                    )
                    .await?;
                    SubscriptionChange::Created
                }
                Some((old, old_guild)) => {
                    if guild.is_some() && guild != old_guild {
                        tx.execute(
                            &format!("UPDATE {table} SET guild_id = $2 WHERE channel_id = $1"),
                            &[&channel, &guild],
                        )
                        .await?;
                    }
                    if old == wanted {
                        SubscriptionChange::Unchanged
                    } else {
                        tx.execute(
                            &format!("UPDATE {table}
                             SET time = $2, timezone = $3, days = $4, paused_reason = NULL, updated_at = $5
                             WHERE channel_id = $1"),
                            &[&channel, time, timezone, days, &now],
                        )
                        .await?;
                        SubscriptionChange::Updated
                    }
                }
            };
            changes[i] = Some(change);
        }
        tx.commit().await?;
        Ok(changes.into_iter().flatten().collect())
    }

    pub(crate) async fn remove_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "DELETE FROM {} WHERE channel_id = $1",
                kind.subscriptions()
            ))
            .await?;
        Ok(client.execute(&stmt, &[&id_to_sql(channel_id)]).await? > 0)
    }

    pub(crate) async fn subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Option<TipSubscription>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM {} WHERE channel_id = $1",
                kind.subscriptions()
            ))
            .await?;
        client
            .query_opt(&stmt, &[&id_to_sql(channel_id)])
            .await?
            .map(|r| TipSubscription::try_from(subscription_row(&r)?))
            .transpose()
    }

    pub(crate) async fn subscriptions(
        &self,
        kind: PostKind,
    ) -> Result<Vec<TipSubscription>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM {} ORDER BY channel_id",
                kind.subscriptions()
            ))
            .await?;
        let rows = client.query(&stmt, &[]).await?;
        rows.iter()
            .map(|r| TipSubscription::try_from(subscription_row(r)?))
            .collect()
    }

    pub(crate) async fn pause_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "UPDATE {} SET paused_reason = $2 WHERE channel_id = $1",
                kind.subscriptions()
            ))
            .await?;
        Ok(client
            .execute(&stmt, &[&id_to_sql(channel_id), &reason])
            .await?
            > 0)
    }

    pub(crate) async fn unpause_subscription(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "UPDATE {} SET paused_reason = NULL WHERE channel_id = $1",
                kind.subscriptions()
            ))
            .await?;
        Ok(client.execute(&stmt, &[&id_to_sql(channel_id)]).await? > 0)
    }

    pub(crate) async fn tip_rotation(&self, channel_id: u64) -> Result<RotationState, StoreError> {
        let client = self.client().await?;
        read_rotation(&client, id_to_sql(channel_id), false).await
    }

    pub(crate) async fn save_tip_rotation(
        &self,
        channel_id: u64,
        state: &RotationState,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        write_rotation(&client, id_to_sql(channel_id), state).await
    }

    pub(crate) async fn claim_posts(
        &self,
        kind: PostKind,
        requests: &[TipClaimRequest],
        owner: &LeaseOwner,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<ClaimOutcome>, StoreError> {
        let expires = lease_expiry(now, ttl);
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare_cached(&format!(
                "INSERT INTO {} (channel_id, local_date, {}, claimed_at, nonce, lease_owner, lease_expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (channel_id, local_date) DO NOTHING",
                kind.posts(),
                kind.item()
            ))
            .await?;
        let take = tx
            .prepare_cached(&format!(
                "UPDATE {} SET lease_owner = $3, lease_expires_at = $4, nonce = $5
                 WHERE channel_id = $1 AND local_date = $2",
                kind.posts()
            ))
            .await?;
        let mut outcomes: Vec<Option<ClaimOutcome>> = requests.iter().map(|_| None).collect();
        for (i, request) in in_key_order(requests) {
            let channel = id_to_sql(request.channel_id);
            let date = request.local_date.to_string();
            let nonce = kind.nonce(request.channel_id, request.local_date);
            // On a conflict with a claim another transaction is still inserting, this waits for it.
            let inserted = tx
                .execute(
                    &insert,
                    &[
                        &channel,
                        &date,
                        &request.tip_id,
                        &now.as_second(),
                        &nonce,
                        &owner.as_str(),
                        &expires.as_second(),
                    ],
                )
                .await?;
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
                let claim = read_claim(&tx, kind, channel, &date, true)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "the claim of channel {} for {date} conflicted but cannot be read",
                            request.channel_id
                        ))
                    })?;
                match decide(&claim, owner, now) {
                    LeaseDecision::Finished => ClaimOutcome::Finished(claim),
                    LeaseDecision::Held { owner, until } => ClaimOutcome::Held { owner, until },
                    LeaseDecision::Grant(grant) => {
                        let nonce = claim.nonce.clone().unwrap_or(nonce);
                        tx.execute(
                            &take,
                            &[
                                &channel,
                                &date,
                                &owner.as_str(),
                                &expires.as_second(),
                                &nonce,
                            ],
                        )
                        .await?;
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
        tx.commit().await?;
        Ok(outcomes.into_iter().flatten().collect())
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
        let channel = id_to_sql(lease.channel_id);
        let date = lease.local_date.to_string();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mark = tx
            .prepare_cached(&format!(
                "UPDATE {} SET sent_at = $3, message_id = $4
                 WHERE channel_id = $1 AND local_date = $2 AND lease_owner = $5
                   AND sent_at IS NULL AND skipped_reason IS NULL",
                kind.posts()
            ))
            .await?;
        let updated = tx
            .execute(
                &mark,
                &[
                    &channel,
                    &date,
                    &now.as_second(),
                    &message_id.map(id_to_sql),
                    &lease.owner.as_str(),
                ],
            )
            .await?;
        if updated == 0 {
            let claim = read_claim(&tx, kind, channel, &date, false).await?;
            return Err(lease_lost(lease, claim.as_ref()));
        }
        if let Some(advance) = advance {
            // The row exists before it is locked, so two posts of one channel cannot both start
            // from "no rotation yet" and overwrite each other.
            tx.execute(
                "INSERT INTO tip_rotation (channel_id, cycle, posted) VALUES ($1, 0, '[]')
                 ON CONFLICT (channel_id) DO NOTHING",
                &[&channel],
            )
            .await?;
            let next = advance(&read_rotation(&tx, channel, true).await?);
            write_rotation(&tx, channel, &next).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn skip_post(
        &self,
        kind: PostKind,
        lease: &TipLease,
        reason: &str,
        pause_channel: bool,
    ) -> Result<(), StoreError> {
        let channel = id_to_sql(lease.channel_id);
        let date = lease.local_date.to_string();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let updated = tx
            .execute(
                &format!(
                    "UPDATE {} SET skipped_reason = $3
                     WHERE channel_id = $1 AND local_date = $2 AND lease_owner = $4
                       AND sent_at IS NULL AND skipped_reason IS NULL",
                    kind.posts()
                ),
                &[&channel, &date, &reason, &lease.owner.as_str()],
            )
            .await?;
        if updated == 0 {
            let claim = read_claim(&tx, kind, channel, &date, false).await?;
            return Err(lease_lost(lease, claim.as_ref()));
        }
        if pause_channel {
            tx.execute(
                &format!(
                    "UPDATE {} SET paused_reason = $2 WHERE channel_id = $1",
                    kind.subscriptions()
                ),
                &[&channel, &reason],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn unsent_claims(&self, kind: PostKind) -> Result<Vec<TipClaim>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {} FROM {}
                 WHERE sent_at IS NULL AND skipped_reason IS NULL
                 ORDER BY channel_id, local_date",
                kind.claim_columns(),
                kind.posts()
            ))
            .await?;
        let rows = client.query(&stmt, &[]).await?;
        rows.iter()
            .map(|r| TipClaim::try_from(claim_row(r)?))
            .collect()
    }

    pub(crate) async fn latest_claim(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Option<TipClaim>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE channel_id = $1
                 ORDER BY local_date DESC LIMIT 1",
                kind.claim_columns(),
                kind.posts()
            ))
            .await?;
        client
            .query_opt(&stmt, &[&id_to_sql(channel_id)])
            .await?
            .map(|r| TipClaim::try_from(claim_row(&r)?))
            .transpose()
    }

    pub(crate) async fn claims(
        &self,
        kind: PostKind,
        channel_id: u64,
    ) -> Result<Vec<TipClaim>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE channel_id = $1 ORDER BY local_date",
                kind.claim_columns(),
                kind.posts()
            ))
            .await?;
        let rows = client.query(&stmt, &[&id_to_sql(channel_id)]).await?;
        rows.iter()
            .map(|r| TipClaim::try_from(claim_row(r)?))
            .collect()
    }
}

async fn applied_version(client: &impl GenericClient) -> Result<usize, StoreError> {
    let version: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM hingebot_schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    Ok(usize::try_from(version).unwrap_or(0))
}

fn claim_row(r: &Row) -> Result<ClaimRow, tokio_postgres::Error> {
    Ok(ClaimRow {
        channel_id: r.try_get(0)?,
        local_date: r.try_get(1)?,
        tip_id: r.try_get(2)?,
        claimed_at: r.try_get(3)?,
        sent_at: r.try_get(4)?,
        message_id: r.try_get(5)?,
        skipped_reason: r.try_get(6)?,
        nonce: r.try_get(7)?,
        lease_owner: r.try_get(8)?,
        lease_expires_at: r.try_get(9)?,
    })
}

fn subscription_row(r: &Row) -> Result<SubscriptionRow, tokio_postgres::Error> {
    Ok(SubscriptionRow {
        channel_id: r.try_get(0)?,
        time: r.try_get(1)?,
        timezone: r.try_get(2)?,
        days: r.try_get(3)?,
        paused_reason: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
        guild_id: r.try_get(7)?,
    })
}

/// One claim; `lock` takes the row lock (`FOR UPDATE`) a claim decision needs.
async fn read_claim(
    client: &impl GenericClient,
    kind: PostKind,
    channel: i64,
    date: &str,
    lock: bool,
) -> Result<Option<TipClaim>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE channel_id = $1 AND local_date = $2{}",
        kind.claim_columns(),
        kind.posts(),
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = client.prepare_cached(&sql).await?;
    client
        .query_opt(&stmt, &[&channel, &date])
        .await?
        .map(|r| TipClaim::try_from(claim_row(&r)?))
        .transpose()
}

async fn read_rotation(
    client: &impl GenericClient,
    channel: i64,
    lock: bool,
) -> Result<RotationState, StoreError> {
    let sql = format!(
        "SELECT cycle, posted FROM tip_rotation WHERE channel_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = client.prepare_cached(&sql).await?;
    match client.query_opt(&stmt, &[&channel]).await? {
        None => Ok(RotationState::default()),
        Some(row) => {
            let cycle: i64 = row.try_get(0)?;
            let posted: String = row.try_get(1)?;
            Ok(RotationState {
                cycle: cycle as u64,
                posted: parse_posted(channel, &posted)?,
            })
        }
    }
}

async fn write_rotation(
    client: &impl GenericClient,
    channel: i64,
    state: &RotationState,
) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO tip_rotation (channel_id, cycle, posted) VALUES ($1, $2, $3)
             ON CONFLICT (channel_id) DO UPDATE SET cycle = EXCLUDED.cycle, posted = EXCLUDED.posted",
        )
        .await?;
    client
        .execute(
            &stmt,
            &[&channel, &(state.cycle as i64), &posted_json(&state.posted)],
        )
        .await?;
    Ok(())
}
