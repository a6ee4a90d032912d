//! The store's behaviour, written once and run on both backends: SQLite (a file in a temp dir) and
//! PostgreSQL (a fresh schema on the real server named by `HINGEBOT_TEST_POSTGRES_URL`; run
//! `scripts/test-postgres` to get one). Then what only one backend has: upgrading old SQLite
//! files, PostgreSQL's migration lock and password hygiene.
//!
//! Two `Store` handles on one database are two processes as far as the store can tell: separate
//! pools, separate connections, separate lease owners.

use hingebot::daily_tips::{
    Clock, PostError, PostOutcome, SchedulerOptions, TipPost, TipPoster, TipScheduler, TokioClock,
};
use hingebot::knowledge::Tip;
use hingebot::store::{
    digest_post_nonce, tip_post_nonce, ClaimOutcome, DatabaseLocation, LeaseGrant, LeaseOwner,
    NewTipSubscription, Store, StoreError, SubscriptionChange, TipClaimRequest, TipLease, Vote,
};
use hingebot::tips::rotation::{next_tip, record};
use hingebot::tips::{RotationState, TipSchedule};
use hingebot::usage::{ChannelKind, Outcome, Period, QuestionRow, UnansweredRow};
use hingebot::weekly_digest::weekly_schedule;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

const POSTGRES_URL_ENV: &str = "HINGEBOT_TEST_POSTGRES_URL";
const TTL: SignedDuration = SignedDuration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// One database per test, on either backend
// ---------------------------------------------------------------------------------------------

/// A database for one test. [`TestDb::open`] gives a new handle (a new "process") each call.
struct TestDb {
    location: DatabaseLocation,
    /// The SQLite file's folder.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server and the schema this test owns.
    postgres: Option<(String, String)>,
}

impl TestDb {
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temp dir");
        TestDb {
            location: DatabaseLocation::Sqlite(dir.path().join("hingebot.sqlite3")),
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh schema on the test server, or `None` (with a notice) when there is no server
    /// outside CI. In CI a missing server is a failure, never a silent pass.
    async fn postgres() -> Option<TestDb> {
        let base = postgres_url()?;
        let schema = unique_schema_name();
        let client = connect_raw(&base).await;
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("creating the test schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Some(TestDb {
            location: DatabaseLocation::parse(&url).expect("a valid test URL"),
            _dir: None,
            postgres: Some((base, schema)),
        })
    }

    async fn open(&self) -> Arc<Store> {
        Store::connect(&self.location)
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.location))
    }

    /// Every row of `sql` with every value as text (`None` for NULL), read past the store: what
    /// is really in the database.
    async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match (&self.location, &self.postgres) {
            (DatabaseLocation::Sqlite(path), _) => {
                let conn = rusqlite::Connection::open(path).expect("opening the test file");
                let mut stmt = conn.prepare(sql).expect(sql);
                let columns = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..columns)
                            .map(|i| {
                                Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                                    rusqlite::types::Value::Null => None,
                                    rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                                    rusqlite::types::Value::Real(x) => Some(x.to_string()),
                                    rusqlite::types::Value::Text(t) => Some(t),
                                    rusqlite::types::Value::Blob(b) => {
                                        Some(String::from_utf8_lossy(&b).into_owned())
                                    }
                                })
                            })
                            .collect()
                    })
                    .expect(sql);
                rows.collect::<Result<_, _>>().expect(sql)
            }
            (_, Some((base, schema))) => {
                let client = connect_raw(base).await;
                client
                    .batch_execute(&format!("SET search_path TO {schema}"))
                    .await
                    .unwrap();
                client
                    .simple_query(sql)
                    .await
                    .expect(sql)
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).map(str::to_string))
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect()
            }
            _ => unreachable!("a PostgreSQL test database has its server and schema"),
        }
    }

    /// Every table of the database with every row, each value as text.
    async fn dump(&self) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
        let list = match self.location {
            DatabaseLocation::Sqlite(_) => {
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            }
            _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
        };
        let mut tables = BTreeMap::new();
        for table in self.rows(list).await.into_iter().flatten().flatten() {
            let rows = self.rows(&format!("SELECT * FROM {table}")).await;
            tables.insert(table, rows);
        }
        tables
    }

    /// Drops the test's PostgreSQL schema (a failed test leaves it for inspection; the server of
    /// scripts/test-postgres goes away anyway). Every store on it must be closed or dropped.
    async fn remove(self) {
        if let Some((base, schema)) = &self.postgres {
            connect_raw(base)
                .await
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .expect("dropping the test schema");
        }
    }
}

fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ if in_ci() => panic!(
            "{POSTGRES_URL_ENV} is not set, but CI is: the PostgreSQL store tests must run in CI. \
             Run the tests through scripts/test-postgres (as .ci/run does)."
        ),
        _ => {
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                // Straight to stderr: the test harness would swallow println! from a passing test.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: the PostgreSQL store tests (set {POSTGRES_URL_ENV} or run scripts/test-postgres)"
                );
            });
            None
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn unique_schema_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "hb_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A plain connection to the test server, for set-up the store does not offer.
async fn connect_raw(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connecting to the test PostgreSQL server");
    tokio::spawn(connection);
    client
}

/// Instantiates each `async fn name(db: &TestDb)` as `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&super::TestDb::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = super::TestDb::postgres().await {
                        super::$name(&db).await;
                        db.remove().await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    safety_channels_are_listed_once_and_can_be_removed,
    a_second_vote_by_the_same_user_changes_it_and_totals_count_each_user_once,
    two_processes_starting_on_a_new_database_agree_on_one_user_salt,
    unanswered_questions_are_grouped_most_frequent_first,
    subscribing_twice_changes_nothing_and_a_new_schedule_lifts_a_pause,
    pause_unpause_remove_and_list_subscriptions,
    config_subscriptions_are_written_together_in_request_order,
    a_subscription_keeps_the_guild_it_was_given_for_the_shard_filter,
    rotation_round_trips_and_defaults_to_cycle_zero,
    a_claim_is_granted_once_then_held_renewed_and_taken_over_after_expiry,
    only_the_lease_holder_may_mark_sent_or_skip,
    skipping_for_a_lost_channel_pauses_it_in_the_same_transaction,
    a_takeover_sends_the_claimed_tip_and_advances_the_rotation_once,
    a_batch_claim_answers_in_request_order,
    claims_are_listed_pending_latest_and_by_history,
    two_owners_racing_for_the_same_posts_get_one_grant_each,
    two_processes_claiming_every_due_post_send_each_exactly_once,
    two_schedulers_post_each_tip_once_and_take_over_a_hung_post,
    the_schema_is_current_and_reopening_changes_nothing,
    usage_counts_increment_per_day_entry_kind_and_channel,
    unanswered_questions_are_stored_masked_with_a_pseudonym_per_question,
    a_curator_confirms_a_stored_text_and_unknown_texts_change_nothing,
    votes_and_sent_tips_are_counted_per_day,
    the_purge_deletes_rows_before_the_cutoff_and_keeps_the_rest,
    digest_subscriptions_and_claims_follow_the_tip_lease_rule,
    a_week_of_usage_stores_no_user_id_and_no_raw_text_outside_unanswered,
);

fn at(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
}

fn day(s: &str) -> Date {
    s.parse().unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

fn berlin() -> TipSchedule {
    TipSchedule::parse("08:30", "Europe/Berlin", "workdays").unwrap()
}

fn request(channel_id: u64, date: &str, tip_id: &str) -> TipClaimRequest {
    TipClaimRequest {
        channel_id,
        local_date: day(date),
        tip_id: tip_id.to_string(),
    }
}

fn granted(outcome: ClaimOutcome) -> TipLease {
    match outcome {
        ClaimOutcome::Granted(lease) => lease,
        other => panic!("expected a lease, got {other:?}"),
    }
}

fn tips(n: usize) -> Vec<Tip> {
    (0..n)
        .map(|i| Tip {
            id: format!("tip-{i:02}"),
            text: format!("Tip {i}."),
            entry: "what-is-a-hip-hinge".to_string(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Safety channels, feedback, unanswered questions
// ---------------------------------------------------------------------------------------------

async fn safety_channels_are_listed_once_and_can_be_removed(db: &TestDb) {
    let store = db.open().await;
    let big = u64::MAX - 5;
    assert!(store.add_safety_channel(30, Some("h")).await.unwrap());
    assert!(store.add_safety_channel(big, None).await.unwrap());
    assert!(store.add_safety_channel(10, None).await.unwrap());
    assert!(
        !store.add_safety_channel(30, None).await.unwrap(),
        "a second add is a no-op"
    );
    assert_eq!(store.safety_channels().await.unwrap(), vec![10, 30, big]);
    assert!(store.is_safety_channel(10).await.unwrap());

    assert!(store.remove_safety_channel(10).await.unwrap());
    assert!(
        !store.remove_safety_channel(10).await.unwrap(),
        "already gone"
    );
    assert!(!store.is_safety_channel(10).await.unwrap());
    // Another process sees the same.
    assert_eq!(
        db.open().await.safety_channels().await.unwrap(),
        vec![30, big]
    );
}

async fn a_second_vote_by_the_same_user_changes_it_and_totals_count_each_user_once(db: &TestDb) {
    let store = db.open().await;
    let today = day("2026-03-04");
    store
        .record_vote(100, "u1", "wall-drill", Vote::Up, today)
        .await
        .unwrap();
    store
        .record_vote(100, "u1", "wall-drill", Vote::Down, today)
        .await
        .unwrap();
    let votes = store.votes_on_reply(100).await.unwrap();
    assert_eq!(votes.len(), 1);
    assert_eq!(
        (votes[0].user_hash.as_str(), votes[0].vote),
        ("u1", Vote::Down)
    );

    for (reply, user, entry, vote) in [
        (1, "u1", "wall-drill", Vote::Up),
        (1, "u2", "wall-drill", Vote::Down),
        (2, "u1", "wall-drill", Vote::Up),
        (3, "u1", "Stance", Vote::Down),
        (u64::MAX - 1, "u1", "stance", Vote::Up),
    ] {
        store
            .record_vote(reply, user, entry, vote, today)
            .await
            .unwrap();
    }
    let totals: Vec<(String, u64, u64)> = store
        .votes_since(0)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.entry_id, v.up, v.down))
        .collect();
    // Byte order on both backends: upper case first.
    assert_eq!(
        totals,
        vec![
            ("Stance".to_string(), 0, 1),
            ("stance".to_string(), 1, 0),
            ("wall-drill".to_string(), 2, 2),
        ]
    );
    assert_eq!(store.votes_on_reply(u64::MAX - 1).await.unwrap().len(), 1);
    let later = hingebot_now() + 60;
    assert!(
        store.votes_since(later).await.unwrap().is_empty(),
        "nothing is in the future"
    );
}

fn hingebot_now() -> i64 {
    Timestamp::now().as_second()
}

async fn two_processes_starting_on_a_new_database_agree_on_one_user_salt(db: &TestDb) {
    let (a, b) = (db.open().await, db.open().await);
    let (ha, hb) = tokio::join!(a.user_hasher(), b.user_hasher());
    let (ha, hb) = (ha.unwrap(), hb.unwrap());
    assert_eq!(ha.hash(123_456_789), hb.hash(123_456_789));
    assert_eq!(
        db.open().await.user_hasher().await.unwrap().hash(42),
        ha.hash(42),
        "stable across reopening"
    );
    let other = TestDb::sqlite();
    assert_ne!(
        other.open().await.user_hasher().await.unwrap().hash(42),
        ha.hash(42),
        "each database has its own salt"
    );
}

async fn unanswered_questions_are_grouped_most_frequent_first(db: &TestDb) {
    let store = db.open().await;
    for (asker, text) in [
        "kettlebell swing weight",
        "what's for lunch",
        "kettlebell swing weight",
        "  ",
        "Zumba at work",
        "apple picking",
    ]
    .into_iter()
    .enumerate()
    {
        store
            .record_unanswered(text, asker as u64, day("2026-03-04"))
            .await
            .unwrap();
    }
    let top = store.top_unanswered(0, 10).await.unwrap();
    let texts: Vec<(&str, u64)> = top.iter().map(|u| (u.text.as_str(), u.count)).collect();
    assert_eq!(texts[0], ("kettlebell swing weight", 2));
    assert_eq!(texts.len(), 4, "the blank one is not kept: {texts:?}");
    assert!(
        texts.contains(&("zumba at work", 1)),
        "stored normalized: {texts:?}"
    );
    assert_eq!(store.top_unanswered(0, 1).await.unwrap().len(), 1);
    assert!(store
        .top_unanswered(hingebot_now() + 60, 10)
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Usage counts, masked unanswered questions, retention
// ---------------------------------------------------------------------------------------------

fn week(until: &str) -> Period {
    Period::ending(day(until), 7).unwrap()
}

/// The question rows as (day, entry, outcome, channel, questions), sorted.
fn question_rows(rows: &[QuestionRow]) -> Vec<(String, Option<&str>, Outcome, ChannelKind, u64)> {
    let mut rows: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.day.to_string(),
                r.entry.as_deref(),
                r.outcome,
                r.channel,
                r.questions,
            )
        })
        .collect();
    rows.sort();
    rows
}

async fn usage_counts_increment_per_day_entry_kind_and_channel(db: &TestDb) {
    let (a, b) = (db.open().await, db.open().await);
    let wall = Some("wall-drill");
    let records = [
        ("2026-03-04", wall, Outcome::Answer, ChannelKind::Mention),
        ("2026-03-04", wall, Outcome::Answer, ChannelKind::Mention),
        ("2026-03-04", wall, Outcome::Answer, ChannelKind::Dm),
        ("2026-03-04", wall, Outcome::Caution, ChannelKind::Mention),
        ("2026-03-04", None, Outcome::Abstain, ChannelKind::Slash),
        (
            "2026-03-05",
            Some("red-flags"),
            Outcome::RedFlag,
            ChannelKind::SafetyChannel,
        ),
        // The week before (for the comparison) and long before (not read).
        ("2026-02-25", wall, Outcome::Answer, ChannelKind::Mention),
        ("2026-01-01", wall, Outcome::Answer, ChannelKind::Mention),
    ];
    // Two "processes" counting at once add up: the upsert increments, it never overwrites.
    let (ra, rb) = tokio::join!(
        async {
            for (d, entry, outcome, channel) in records {
                a.record_usage(day(d), entry, outcome, channel)
                    .await
                    .unwrap();
            }
        },
        async {
            for (d, entry, outcome, channel) in records {
                b.record_usage(day(d), entry, outcome, channel)
                    .await
                    .unwrap();
            }
        }
    );
    let ((), ()) = (ra, rb);
    let figures = a.usage_figures(week("2026-03-08")).await.unwrap();
    assert_eq!(
        question_rows(&figures.questions),
        vec![
            (
                "2026-02-25".into(),
                wall,
                Outcome::Answer,
                ChannelKind::Mention,
                2
            ),
            (
                "2026-03-04".into(),
                None,
                Outcome::Abstain,
                ChannelKind::Slash,
                2
            ),
            (
                "2026-03-04".into(),
                wall,
                Outcome::Answer,
                ChannelKind::Dm,
                2
            ),
            (
                "2026-03-04".into(),
                wall,
                Outcome::Answer,
                ChannelKind::Mention,
                4
            ),
            (
                "2026-03-04".into(),
                wall,
                Outcome::Caution,
                ChannelKind::Mention,
                2
            ),
            (
                "2026-03-05".into(),
                Some("red-flags"),
                Outcome::RedFlag,
                ChannelKind::SafetyChannel,
                2
            ),
        ]
    );
    let counted = db
        .rows("SELECT COUNT(*), SUM(questions) FROM usage_counts")
        .await;
    assert_eq!(
        counted,
        vec![vec![Some("7".to_string()), Some("16".to_string())]],
        "one row per day, entry, kind and channel"
    );
}

async fn unanswered_questions_are_stored_masked_with_a_pseudonym_per_question(db: &TestDb) {
    let store = db.open().await;
    let today = day("2026-03-04");
    let (alice, bob) = (810_000_000_000_000_001_u64, 810_000_000_000_000_002_u64);
    let raw = "Hi <@123456789012345678>! My badge 55512 won't open the HOIST, mail Jo.Smith@Example.com or call +44 7700 900123, see https://intranet.example/x?u=jo";
    let stored = store.record_unanswered(raw, alice, today).await.unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("hi [mention] my badge [number] will not open the hoist mail [email] or call [phone] see [link]")
    );
    store.record_unanswered(raw, alice, today).await.unwrap();
    store.record_unanswered(raw, bob, today).await.unwrap();
    store
        .record_unanswered("How heavy is a pallet?", alice, today)
        .await
        .unwrap();
    assert_eq!(
        store.record_unanswered(" ?! ", bob, today).await.unwrap(),
        None,
        "nothing left to store"
    );

    let rows = db
        .rows("SELECT text, asker, day FROM unanswered ORDER BY id")
        .await;
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let text = row[0].as_deref().unwrap();
        for secret in [
            "55512",
            "jo.smith",
            "example.com",
            "7700",
            "900123",
            "123456789012345678",
            "intranet",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let asker = row[1].as_deref().unwrap();
        assert_eq!(asker.len(), 16, "{asker}");
        for id in [alice, bob] {
            assert!(!asker.contains(&id.to_string()), "{asker}");
        }
        assert_eq!(row[2].as_deref(), Some("2026-03-04"));
    }
    assert_eq!(
        rows[0][1], rows[1][1],
        "one person asking twice: one pseudonym"
    );
    assert_ne!(rows[0][1], rows[2][1], "two people: two pseudonyms");
    assert_ne!(
        rows[0][1], rows[3][1],
        "one person's questions are not linked to each other"
    );

    let mut figures = store
        .usage_figures(week("2026-03-08"))
        .await
        .unwrap()
        .unanswered;
    figures.sort_by_key(|u| std::cmp::Reverse(u.asked));
    assert_eq!(
        figures,
        vec![
            UnansweredRow {
                text: stored.unwrap(),
                people: 2,
                asked: 3,
                confirmed: false
            },
            UnansweredRow {
                text: "how heavy is a pallet".to_string(),
                people: 1,
                asked: 1,
                confirmed: false
            },
        ]
    );
    assert!(
        store
            .usage_figures(week("2026-03-01"))
            .await
            .unwrap()
            .unanswered
            .is_empty(),
        "unanswered questions are read for the report period only"
    );
}

async fn a_curator_confirms_a_stored_text_and_unknown_texts_change_nothing(db: &TestDb) {
    let store = db.open().await;
    let today = day("2026-03-04");
    store
        .record_unanswered("forklift refresher dates?", 1, today)
        .await
        .unwrap();
    assert!(!store.confirm_unanswered("never asked").await.unwrap());
    assert!(store
        .confirm_unanswered("forklift refresher dates")
        .await
        .unwrap());
    assert!(
        store
            .confirm_unanswered("forklift refresher dates")
            .await
            .unwrap(),
        "confirming twice is harmless"
    );
    let figures = db
        .open()
        .await
        .usage_figures(week("2026-03-08"))
        .await
        .unwrap();
    assert_eq!(
        figures.unanswered,
        vec![UnansweredRow {
            text: "forklift refresher dates".to_string(),
            people: 1,
            asked: 1,
            confirmed: true
        }]
    );
    assert_eq!(
        db.rows("SELECT text FROM unanswered_confirmed").await,
        vec![vec![Some("forklift refresher dates".to_string())]]
    );
}

async fn votes_and_sent_tips_are_counted_per_day(db: &TestDb) {
    let store = db.open().await;
    for (reply, user, vote, d) in [
        (1, "u1", Vote::Up, "2026-03-03"),
        (1, "u2", Vote::Down, "2026-03-03"),
        (2, "u1", Vote::Down, "2026-03-04"),
        (3, "u1", Vote::Up, "2026-02-24"),
    ] {
        store
            .record_vote(reply, user, "wall-drill", vote, day(d))
            .await
            .unwrap();
    }
    // A changed vote moves to the day it was changed.
    store
        .record_vote(2, "u1", "wall-drill", Vote::Up, day("2026-03-06"))
        .await
        .unwrap();
    let owner = LeaseOwner::named("a");
    let t = at("2026-03-04T08:30:00Z");
    for (channel, date) in [(1, "2026-03-04"), (2, "2026-03-04"), (1, "2026-03-05")] {
        let lease = granted(
            store
                .claim_tip_post(request(channel, date, "t"), &owner, t, TTL)
                .await
                .unwrap(),
        );
        if date == "2026-03-04" {
            store
                .mark_tip_post_sent(&lease, Some(9), t, |s| s.clone())
                .await
                .unwrap();
        }
    }
    let figures = store.usage_figures(week("2026-03-08")).await.unwrap();
    let mut votes: Vec<(String, u64, u64)> = figures
        .votes
        .iter()
        .map(|v| (v.day.to_string(), v.up, v.down))
        .collect();
    votes.sort();
    assert_eq!(
        votes,
        vec![
            ("2026-02-24".to_string(), 1, 0),
            ("2026-03-03".to_string(), 1, 1),
            ("2026-03-06".to_string(), 1, 0),
        ]
    );
    let tips: Vec<(String, u64)> = figures
        .tips
        .iter()
        .map(|t| (t.day.to_string(), t.posted))
        .collect();
    assert_eq!(
        tips,
        vec![("2026-03-04".to_string(), 2)],
        "sent tips only: the one still being sent is not counted"
    );
}

async fn the_purge_deletes_rows_before_the_cutoff_and_keeps_the_rest(db: &TestDb) {
    let store = db.open().await;
    for (reply, d) in ["2025-09-01", "2025-09-13", "2026-03-04"]
        .into_iter()
        .enumerate()
    {
        store
            .record_usage(day(d), None, Outcome::Abstain, ChannelKind::Dm)
            .await
            .unwrap();
        store
            .record_unanswered(&format!("question of {d}"), 1, day(d))
            .await
            .unwrap();
        store
            .record_vote(reply as u64, "u", "e", Vote::Up, day(d))
            .await
            .unwrap();
    }
    store
        .confirm_unanswered("question of 2025 09 01")
        .await
        .unwrap();
    store
        .confirm_unanswered("question of 2026 03 04")
        .await
        .unwrap();
    let purged = store.purge_usage(day("2025-09-13")).await.unwrap();
    assert_eq!(
        (purged.usage_rows, purged.unanswered, purged.votes),
        (1, 1, 1)
    );
    assert_eq!(
        db.rows("SELECT day FROM usage_counts ORDER BY day").await,
        vec![
            vec![Some("2025-09-13".to_string())],
            vec![Some("2026-03-04".to_string())]
        ]
    );
    assert_eq!(
        db.rows("SELECT text FROM unanswered ORDER BY day").await,
        vec![
            vec![Some("question of 2025 09 13".to_string())],
            vec![Some("question of 2026 03 04".to_string())]
        ]
    );
    assert_eq!(
        db.rows("SELECT day FROM feedback ORDER BY day").await.len(),
        2
    );
    assert_eq!(
        db.rows("SELECT text FROM unanswered_confirmed").await,
        vec![vec![Some("question of 2026 03 04".to_string())]],
        "the confirmation of a purged text goes with it"
    );
    assert_eq!(
        store.purge_usage(day("2025-09-13")).await.unwrap().total(),
        0,
        "a second purge finds nothing"
    );
}

async fn digest_subscriptions_and_claims_follow_the_tip_lease_rule(db: &TestDb) {
    let store = db.open().await;
    let t0 = at("2026-03-09T08:00:00Z");
    let monday = weekly_schedule("mon", "09:00", "Europe/Berlin").unwrap();
    assert_eq!(
        store
            .upsert_digest_subscriptions(&[(7, monday.clone())], t0)
            .await
            .unwrap(),
        vec![SubscriptionChange::Created]
    );
    assert_eq!(
        store
            .upsert_digest_subscriptions(&[(7, monday.clone())], t0)
            .await
            .unwrap(),
        vec![SubscriptionChange::Unchanged]
    );
    assert!(
        store.tip_subscriptions().await.unwrap().is_empty(),
        "digests and tips are kept apart"
    );
    let sub = store.digest_subscription(7).await.unwrap().unwrap();
    assert_eq!(sub.schedule().unwrap(), monday);

    let (a, b) = (LeaseOwner::named("a"), LeaseOwner::named("b"));
    let (date, week_until) = (day("2026-03-09"), day("2026-03-08"));
    let lease = granted(
        store
            .claim_digest_post(7, date, week_until, &a, t0, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(lease.tip_id, "2026-03-08", "the claim records its week");
    assert_eq!(lease.nonce, digest_post_nonce(7, date));
    assert_ne!(lease.nonce, tip_post_nonce(7, date), "never a tip's nonce");
    assert!(lease.nonce.len() <= 25);
    // A tip claim of the same channel and day is a different post.
    granted(
        store
            .claim_tip_post(request(7, "2026-03-09", "t"), &b, t0, TTL)
            .await
            .unwrap(),
    );
    assert!(matches!(
        store
            .claim_digest_post(7, date, week_until, &b, t0, TTL)
            .await
            .unwrap(),
        ClaimOutcome::Held { ref owner, .. } if owner == "a"
    ));
    assert!(matches!(
        store
            .mark_digest_post_sent(
                &TipLease {
                    owner: b.clone(),
                    ..lease.clone()
                },
                Some(1),
                t0
            )
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    // A's lease runs out: B takes the digest over, same week, same nonce.
    let later = t0 + TTL;
    let taken = granted(
        db.open()
            .await
            .claim_digest_post(7, date, day("2026-03-01"), &b, later, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(
        taken.grant,
        LeaseGrant::TakenOver {
            from: Some("a".into())
        }
    );
    assert_eq!(
        (taken.tip_id.as_str(), taken.nonce.as_str()),
        ("2026-03-08", lease.nonce.as_str())
    );
    assert!(matches!(
        store.mark_digest_post_sent(&lease, Some(1), later).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(store.unsent_digest_claims().await.unwrap().len(), 1);
    store
        .mark_digest_post_sent(&taken, Some(42), later)
        .await
        .unwrap();
    assert!(matches!(
        store
            .claim_digest_post(7, date, week_until, &a, later, TTL)
            .await
            .unwrap(),
        ClaimOutcome::Finished(ref c) if c.message_id == Some(42)
    ));
    assert!(store.unsent_digest_claims().await.unwrap().is_empty());
    assert_eq!(store.digest_claims(7).await.unwrap().len(), 1);
    assert_eq!(
        store.tip_rotation(7).await.unwrap(),
        RotationState::default(),
        "a digest leaves the tip rotation alone"
    );

    // A lost channel: the digest is skipped and the subscription paused, by the holder only.
    let next = granted(
        store
            .claim_digest_post(7, day("2026-03-16"), day("2026-03-15"), &a, later, TTL)
            .await
            .unwrap(),
    );
    store
        .skip_digest_post(&next, "channel unavailable: gone", true)
        .await
        .unwrap();
    let sub = store.digest_subscription(7).await.unwrap().unwrap();
    assert_eq!(
        sub.paused_reason.as_deref(),
        Some("channel unavailable: gone")
    );
    assert!(store.unpause_digest_subscription(7).await.unwrap());
    assert!(store.remove_digest_subscription(7).await.unwrap());
    assert!(store.digest_subscriptions().await.unwrap().is_empty());
}

/// A user id, a raw message or its normalized words: none may be found outside `unanswered.text`.
async fn a_week_of_usage_stores_no_user_id_and_no_raw_text_outside_unanswered(db: &TestDb) {
    let store = db.open().await;
    let hasher = store.user_hasher().await.unwrap();
    let users = [
        810_000_000_000_000_001_u64,
        810_000_000_000_000_002,
        810_000_000_000_000_003,
    ];
    let questions = [
        "How do I hip hinge with a heavy box?",
        "my leg goes numb when I bend, help",
        "Can Jo.Smith@example.com get the kettlebell swing form?",
        "what is the canteen menu on thursday",
    ];
    store
        .add_safety_channel(55, Some(&hasher.hash(users[0])))
        .await
        .unwrap();
    for (i, d) in [
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
        "2026-03-06",
        "2026-03-07",
        "2026-03-08",
    ]
    .into_iter()
    .enumerate()
    {
        let today = day(d);
        for (n, user) in users.iter().enumerate() {
            store
                .record_usage(
                    today,
                    Some("how-to-hip-hinge"),
                    Outcome::Answer,
                    ChannelKind::Mention,
                )
                .await
                .unwrap();
            store
                .record_usage(today, None, Outcome::Abstain, ChannelKind::Dm)
                .await
                .unwrap();
            store
                .record_unanswered(questions[(i + n) % questions.len()], *user, today)
                .await
                .unwrap();
            store
                .record_vote(
                    1000 + i as u64,
                    &hasher.hash(*user),
                    "how-to-hip-hinge",
                    Vote::Up,
                    today,
                )
                .await
                .unwrap();
        }
    }
    let dump = db.dump().await;
    assert!(
        dump.contains_key("usage_counts") && dump.contains_key("unanswered"),
        "{:?}",
        dump.keys()
    );
    let mut forbidden: Vec<String> = users.iter().map(u64::to_string).collect();
    for q in questions {
        forbidden.push(q.to_string());
        forbidden.push(hingebot::matcher::normalize(q));
        forbidden.push(hingebot::privacy::storable_question(q));
    }
    forbidden.push("jo.smith".to_string());
    let storable: Vec<String> = questions
        .iter()
        .map(|q| hingebot::privacy::storable_question(q))
        .collect();
    for (table, rows) in &dump {
        for row in rows {
            for (column, value) in row.iter().enumerate() {
                let Some(value) = value.as_deref() else {
                    continue;
                };
                // `unanswered.text` (its second column) is the one place for a question: masked
                // and normalized, exactly as the store makes it.
                if table == "unanswered" && column == 1 {
                    assert!(storable.iter().any(|s| s == value), "{value:?}");
                    continue;
                }
                let lower = value.to_lowercase();
                for f in &forbidden {
                    assert!(
                        !lower.contains(&f.to_lowercase()),
                        "{table} column {column} holds {f:?}: {value:?}"
                    );
                }
            }
        }
    }
    let texts = db.rows("SELECT text FROM unanswered").await;
    assert!(texts
        .iter()
        .flatten()
        .flatten()
        .all(|t| !t.contains("jo.smith") && !t.contains("example")));
}

// ---------------------------------------------------------------------------------------------
// Subscriptions and rotation
// ---------------------------------------------------------------------------------------------

async fn subscribing_twice_changes_nothing_and_a_new_schedule_lifts_a_pause(db: &TestDb) {
    let store = db.open().await;
    let t0 = at("2025-01-06T07:00:00Z");
    assert_eq!(
        store
            .upsert_tip_subscription(7, &berlin(), t0)
            .await
            .unwrap(),
        SubscriptionChange::Created
    );
    let later = at("2025-01-07T07:00:00Z");
    assert_eq!(
        store
            .upsert_tip_subscription(7, &berlin(), later)
            .await
            .unwrap(),
        SubscriptionChange::Unchanged
    );
    let sub = store.tip_subscription(7).await.unwrap().unwrap();
    assert_eq!(sub.updated_at, t0);
    assert_eq!(sub.schedule().unwrap(), berlin());

    assert!(store
        .pause_tip_subscription(7, "missing permission")
        .await
        .unwrap());
    store
        .upsert_tip_subscription(7, &berlin(), t0)
        .await
        .unwrap();
    assert!(
        !store
            .tip_subscription(7)
            .await
            .unwrap()
            .unwrap()
            .is_active(),
        "the same schedule keeps the pause"
    );
    let nine = TipSchedule::parse("09:00", "Europe/Berlin", "everyday").unwrap();
    let t1 = at("2025-01-08T07:00:00Z");
    assert_eq!(
        store.upsert_tip_subscription(7, &nine, t1).await.unwrap(),
        SubscriptionChange::Updated
    );
    let sub = store.tip_subscription(7).await.unwrap().unwrap();
    assert!(sub.is_active());
    assert_eq!((sub.created_at, sub.updated_at), (t0, t1));
    assert_eq!(
        (sub.time.as_str(), sub.days.as_str()),
        ("09:00", "everyday")
    );
}

async fn pause_unpause_remove_and_list_subscriptions(db: &TestDb) {
    let store = db.open().await;
    let t0 = at("2025-01-06T07:00:00Z");
    let big = u64::MAX - 5;
    for ch in [3, big, 1, 2] {
        store
            .upsert_tip_subscription(ch, &berlin(), t0)
            .await
            .unwrap();
    }
    store
        .pause_tip_subscription(2, "channel deleted")
        .await
        .unwrap();
    let subs = store.tip_subscriptions().await.unwrap();
    let ids: Vec<u64> = subs.iter().map(|s| s.channel_id).collect();
    assert!(ids.contains(&big) && ids.len() == 4, "{ids:?}");
    let two = subs.iter().find(|s| s.channel_id == 2).unwrap();
    assert_eq!(two.paused_reason.as_deref(), Some("channel deleted"));
    assert!(store.unpause_tip_subscription(2).await.unwrap());
    assert!(store
        .tip_subscription(2)
        .await
        .unwrap()
        .unwrap()
        .is_active());
    assert!(store.remove_tip_subscription(2).await.unwrap());
    assert!(!store.remove_tip_subscription(2).await.unwrap());
    assert!(!store.pause_tip_subscription(2, "x").await.unwrap());
    assert!(!store.unpause_tip_subscription(2).await.unwrap());
    assert_eq!(store.tip_subscription(2).await.unwrap(), None);
}

async fn config_subscriptions_are_written_together_in_request_order(db: &TestDb) {
    let store = db.open().await;
    let t0 = at("2025-01-06T07:00:00Z");
    store
        .upsert_tip_subscription(20, &berlin(), t0)
        .await
        .unwrap();
    let nine = TipSchedule::parse("09:00", "UTC", "everyday").unwrap();
    let changes = store
        .upsert_tip_subscriptions(
            &[
                subscription(30, None, &nine),
                subscription(20, None, &berlin()),
                subscription(10, None, &nine),
                subscription(20, None, &nine),
            ],
            t0,
        )
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![
            SubscriptionChange::Created,
            SubscriptionChange::Unchanged,
            SubscriptionChange::Created,
            SubscriptionChange::Updated
        ]
    );
    assert_eq!(store.tip_subscriptions().await.unwrap().len(), 3);
}

fn subscription(
    channel_id: u64,
    guild_id: Option<u64>,
    schedule: &TipSchedule,
) -> NewTipSubscription {
    NewTipSubscription {
        channel_id,
        guild_id,
        schedule: schedule.clone(),
    }
}

async fn a_subscription_keeps_the_guild_it_was_given_for_the_shard_filter(db: &TestDb) {
    let store = db.open().await;
    let t0 = at("2025-01-06T07:00:00Z");
    let guild = 900_000_000_000_000_010;
    // Subscribed from config without a guild: the guild is unknown (shard 0 posts).
    store
        .upsert_tip_subscription(20, &berlin(), t0)
        .await
        .unwrap();
    assert_eq!(
        store.tip_subscription(20).await.unwrap().unwrap().guild_id,
        None
    );
    store
        .pause_tip_subscription(20, "Missing Access")
        .await
        .unwrap();
    // The same schedule from /tips subscribe in the channel: unchanged, but the guild is learned
    // (and the pause stays: unpausing is the command's own step).
    let changes = store
        .upsert_tip_subscriptions(&[subscription(20, Some(guild), &berlin())], t0)
        .await
        .unwrap();
    assert_eq!(changes, vec![SubscriptionChange::Unchanged]);
    let sub = store.tip_subscription(20).await.unwrap().unwrap();
    assert_eq!(sub.guild_id, Some(guild));
    assert_eq!(sub.paused_reason.as_deref(), Some("Missing Access"));
    // Written again without a guild (a config re-apply at start-up): the guild stays.
    store
        .upsert_tip_subscription(20, &berlin(), t0)
        .await
        .unwrap();
    assert_eq!(
        store.tip_subscriptions().await.unwrap()[0].guild_id,
        Some(guild),
        "ids from 2^63 round-trip too"
    );
    let created = store
        .upsert_tip_subscriptions(&[subscription(u64::MAX - 1, Some(u64::MAX), &berlin())], t0)
        .await
        .unwrap();
    assert_eq!(created, vec![SubscriptionChange::Created]);
    assert_eq!(
        store
            .tip_subscription(u64::MAX - 1)
            .await
            .unwrap()
            .unwrap()
            .guild_id,
        Some(u64::MAX)
    );
}

async fn rotation_round_trips_and_defaults_to_cycle_zero(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(
        store.tip_rotation(9).await.unwrap(),
        RotationState::default()
    );
    let state = RotationState {
        cycle: 3,
        posted: vec!["b".into(), "a \"quoted\" ü".into()],
    };
    store.save_tip_rotation(9, &state).await.unwrap();
    assert_eq!(store.tip_rotation(9).await.unwrap(), state);
    assert_eq!(db.open().await.tip_rotation(9).await.unwrap(), state);
}

// ---------------------------------------------------------------------------------------------
// Claims and leases
// ---------------------------------------------------------------------------------------------

async fn a_claim_is_granted_once_then_held_renewed_and_taken_over_after_expiry(db: &TestDb) {
    let store = db.open().await;
    let (a, b) = (LeaseOwner::named("host-a-1"), LeaseOwner::named("host-b-2"));
    let t0 = at("2025-01-06T07:30:00Z");

    let lease = granted(
        store
            .claim_tip_post(request(5, "2025-01-06", "tip-a"), &a, t0, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(lease.grant, LeaseGrant::New);
    assert_eq!((lease.tip_id.as_str(), &lease.owner), ("tip-a", &a));
    assert_eq!(lease.expires_at, t0 + TTL);
    assert_eq!(lease.nonce, tip_post_nonce(5, day("2025-01-06")));
    assert!(lease.nonce.len() <= 25, "{}", lease.nonce);

    // While A's lease lives, B is told who holds it and until when, whatever tip it wanted.
    let t1 = at("2025-01-06T07:30:59Z");
    assert_eq!(
        store
            .claim_tip_post(request(5, "2025-01-06", "tip-b"), &b, t1, TTL)
            .await
            .unwrap(),
        ClaimOutcome::Held {
            owner: a.to_string(),
            until: t0 + TTL
        }
    );
    // A claiming again (a retry) extends its own lease.
    let renewed = granted(
        store
            .claim_tip_post(request(5, "2025-01-06", "tip-a"), &a, t1, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(renewed.grant, LeaseGrant::Renewed);
    assert_eq!(renewed.expires_at, t1 + TTL);

    // Once it has run out, B takes the post over: same tip, same nonce.
    let t2 = t1 + TTL;
    let taken = granted(
        db.open()
            .await
            .claim_tip_post(request(5, "2025-01-06", "tip-b"), &b, t2, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(
        taken.grant,
        LeaseGrant::TakenOver {
            from: Some(a.to_string())
        }
    );
    assert_eq!(
        (taken.tip_id.as_str(), taken.nonce.as_str()),
        ("tip-a", lease.nonce.as_str())
    );
    let claim = store.latest_tip_claim(5).await.unwrap().unwrap();
    assert_eq!(claim.lease_owner.as_deref(), Some(b.as_str()));
    assert_eq!(claim.lease_expires_at, Some(t2 + TTL));
    assert_eq!(claim.claimed_at, t0, "a takeover is not a new claim");

    // Another channel's same day is its own claim.
    assert!(matches!(
        store
            .claim_tip_post(request(6, "2025-01-06", "tip-a"), &a, t1, TTL)
            .await
            .unwrap(),
        ClaimOutcome::Granted(TipLease {
            grant: LeaseGrant::New,
            ..
        })
    ));
}

async fn only_the_lease_holder_may_mark_sent_or_skip(db: &TestDb) {
    let store = db.open().await;
    let (a, b) = (LeaseOwner::named("a"), LeaseOwner::named("b"));
    let t0 = at("2025-01-06T07:30:00Z");
    let lease = granted(
        store
            .claim_tip_post(request(5, "2025-01-06", "tip-a"), &a, t0, TTL)
            .await
            .unwrap(),
    );
    let impostor = TipLease {
        owner: b.clone(),
        ..lease.clone()
    };
    let advance = |posted: &str| {
        let posted = posted.to_string();
        move |state: &RotationState| RotationState {
            cycle: state.cycle,
            posted: [state.posted.clone(), vec![posted]].concat(),
        }
    };
    let refused = store
        .mark_tip_post_sent(&impostor, Some(9), t0, advance("tip-a"))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, StoreError::LeaseLost { owner, state, .. } if owner == "b" && state.contains("a holds it")),
        "{refused}"
    );
    assert!(store
        .skip_tip_post(&impostor, "grace window passed")
        .await
        .is_err());
    let claim = store.latest_tip_claim(5).await.unwrap().unwrap();
    assert!(claim.is_pending(), "nothing changed: {claim:?}");
    assert_eq!(
        store.tip_rotation(5).await.unwrap(),
        RotationState::default()
    );

    let t1 = at("2025-01-06T07:30:02Z");
    store
        .mark_tip_post_sent(&lease, Some(1234), t1, advance("tip-a"))
        .await
        .unwrap();
    let claim = store.latest_tip_claim(5).await.unwrap().unwrap();
    assert_eq!((claim.sent_at, claim.message_id), (Some(t1), Some(1234)));
    assert_eq!(store.tip_rotation(5).await.unwrap().posted, ["tip-a"]);

    // Sent is final: no second mark, no skip, no new lease, even for the holder.
    let again = store
        .mark_tip_post_sent(&lease, Some(1), t1, advance("tip-a"))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already sent"), "{again}");
    assert!(store.skip_tip_post(&lease, "late").await.is_err());
    assert_eq!(store.tip_rotation(5).await.unwrap().posted, ["tip-a"]);
    let later = at("2025-01-07T00:00:00Z");
    for owner in [&a, &b] {
        assert!(matches!(
            store
                .claim_tip_post(request(5, "2025-01-06", "tip-z"), owner, later, TTL)
                .await
                .unwrap(),
            ClaimOutcome::Finished(c) if c.sent_at == Some(t1)
        ));
    }
}

async fn skipping_for_a_lost_channel_pauses_it_in_the_same_transaction(db: &TestDb) {
    let store = db.open().await;
    let a = LeaseOwner::named("a");
    let t0 = at("2025-01-06T07:30:00Z");
    store
        .upsert_tip_subscription(5, &berlin(), t0)
        .await
        .unwrap();
    store
        .upsert_tip_subscription(6, &berlin(), t0)
        .await
        .unwrap();
    let lost = granted(
        store
            .claim_tip_post(request(5, "2025-01-06", "tip-a"), &a, t0, TTL)
            .await
            .unwrap(),
    );
    let late = granted(
        store
            .claim_tip_post(request(6, "2025-01-06", "tip-b"), &a, t0, TTL)
            .await
            .unwrap(),
    );
    store
        .skip_tip_post_and_pause_channel(&lost, "channel unavailable: Unknown Channel")
        .await
        .unwrap();
    store
        .skip_tip_post(&late, "grace window passed")
        .await
        .unwrap();

    let sub = store.tip_subscription(5).await.unwrap().unwrap();
    assert_eq!(
        sub.paused_reason.as_deref(),
        Some("channel unavailable: Unknown Channel")
    );
    assert!(store
        .tip_subscription(6)
        .await
        .unwrap()
        .unwrap()
        .is_active());
    let skipped = store.latest_tip_claim(6).await.unwrap().unwrap();
    assert_eq!(
        skipped.skipped_reason.as_deref(),
        Some("grace window passed")
    );
    assert!(store.unsent_tip_claims().await.unwrap().is_empty());
    assert_eq!(
        store.tip_rotation(6).await.unwrap(),
        RotationState::default(),
        "a skipped post does not advance the rotation"
    );
}

async fn a_takeover_sends_the_claimed_tip_and_advances_the_rotation_once(db: &TestDb) {
    let all = tips(10);
    let (first_process, second_process) = (db.open().await, db.open().await);
    let (a, b) = (LeaseOwner::named("a"), LeaseOwner::named("b"));
    let t0 = at("2025-01-06T07:30:00Z");

    // A picks Monday's tip from the rotation, claims it, and stops before recording the send.
    let state = first_process.tip_rotation(8).await.unwrap();
    let (monday_tip, _) = next_tip(&all, 8, &state).unwrap();
    let a_lease = granted(
        first_process
            .claim_tip_post(request(8, "2025-01-06", &monday_tip.id), &a, t0, TTL)
            .await
            .unwrap(),
    );

    // B comes after the lease ran out; it would pick the same tip, but must send the claimed one
    // whatever it picks.
    let t1 = t0 + TTL + SignedDuration::from_secs(1);
    let b_lease = granted(
        second_process
            .claim_tip_post(request(8, "2025-01-06", "some-other-tip"), &b, t1, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(b_lease.tip_id, monday_tip.id);
    assert_eq!(b_lease.nonce, a_lease.nonce);
    let recorded = {
        let all = all.clone();
        let id = b_lease.tip_id.clone();
        move |s: &RotationState| record(&all, s, &id)
    };
    second_process
        .mark_tip_post_sent(&b_lease, Some(77), t1, recorded)
        .await
        .unwrap();

    // A wakes up and reports its own send: refused, and the rotation moved once.
    let late = {
        let all = all.clone();
        let id = a_lease.tip_id.clone();
        move |s: &RotationState| record(&all, s, &id)
    };
    let refused = first_process
        .mark_tip_post_sent(&a_lease, Some(76), t1, late)
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::LeaseLost { .. }), "{refused}");
    let state = first_process.tip_rotation(8).await.unwrap();
    assert_eq!(state.posted, vec![monday_tip.id.clone()]);
    let claim = first_process.latest_tip_claim(8).await.unwrap().unwrap();
    assert_eq!(claim.message_id, Some(77));

    // Tuesday's tip is the next one in the order: nothing skipped, nothing repeated.
    let (tuesday_tip, _) = next_tip(&all, 8, &state).unwrap();
    assert_ne!(tuesday_tip.id, monday_tip.id);
    let (expected, _) = next_tip(
        &all,
        8,
        &RotationState {
            cycle: 0,
            posted: vec![monday_tip.id.clone()],
        },
    )
    .unwrap();
    assert_eq!(tuesday_tip.id, expected.id);
}

async fn a_batch_claim_answers_in_request_order(db: &TestDb) {
    let store = db.open().await;
    let (a, b) = (LeaseOwner::named("a"), LeaseOwner::named("b"));
    let t0 = at("2025-01-06T07:30:00Z");
    granted(
        store
            .claim_tip_post(request(20, "2025-01-06", "held"), &b, t0, TTL)
            .await
            .unwrap(),
    );
    let outcomes = store
        .claim_tip_posts(
            &[
                request(30, "2025-01-06", "t30"),
                request(20, "2025-01-06", "t20"),
                request(10, "2025-01-07", "t10b"),
                request(10, "2025-01-06", "t10a"),
            ],
            &a,
            t0,
            TTL,
        )
        .await
        .unwrap();
    let summary: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            ClaimOutcome::Granted(l) => format!("{} {} {}", l.channel_id, l.local_date, l.tip_id),
            ClaimOutcome::Held { owner, .. } => format!("held by {owner}"),
            ClaimOutcome::Finished(_) => "finished".to_string(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "30 2025-01-06 t30",
            "held by b",
            "10 2025-01-07 t10b",
            "10 2025-01-06 t10a"
        ]
    );
    assert!(store
        .claim_tip_posts(&[], &a, t0, TTL)
        .await
        .unwrap()
        .is_empty());
}

async fn claims_are_listed_pending_latest_and_by_history(db: &TestDb) {
    let store = db.open().await;
    let a = LeaseOwner::named("a");
    let t0 = at("2025-01-06T07:30:00Z");
    for d in ["2025-01-06", "2025-01-08", "2025-01-07"] {
        granted(
            store
                .claim_tip_post(request(5, d, "t"), &a, t0, TTL)
                .await
                .unwrap(),
        );
    }
    let big = u64::MAX - 1;
    let big_lease = granted(
        store
            .claim_tip_post(request(big, "2025-01-06", "t"), &a, t0, TTL)
            .await
            .unwrap(),
    );
    store
        .mark_tip_post_sent(&big_lease, Some(u64::MAX - 2), t0, |s| s.clone())
        .await
        .unwrap();

    let latest = store.latest_tip_claim(5).await.unwrap().unwrap();
    assert_eq!(latest.local_date, day("2025-01-08"));
    let history: Vec<Date> = store
        .tip_claims(5)
        .await
        .unwrap()
        .iter()
        .map(|c| c.local_date)
        .collect();
    assert_eq!(
        history,
        [day("2025-01-06"), day("2025-01-07"), day("2025-01-08")]
    );
    let pending = store.unsent_tip_claims().await.unwrap();
    assert_eq!(pending.len(), 3, "{pending:?}");
    assert!(pending.iter().all(|c| c.channel_id == 5 && c.is_pending()));
    let big_claim = store.latest_tip_claim(big).await.unwrap().unwrap();
    assert_eq!(big_claim.message_id, Some(u64::MAX - 2));
    assert_eq!(store.latest_tip_claim(99).await.unwrap(), None);
}

async fn two_owners_racing_for_the_same_posts_get_one_grant_each(db: &TestDb) {
    let (first, second) = (db.open().await, db.open().await);
    let t0 = at("2025-01-06T07:30:00Z");
    for round in 0..25u64 {
        let date = format!("2025-02-{:02}", 1 + round % 28);
        let channel = 1000 + round;
        let (a, b) = (
            LeaseOwner::named(format!("a-{round}")),
            LeaseOwner::named(format!("b-{round}")),
        );
        let (ra, rb) = tokio::join!(
            first.claim_tip_post(request(channel, &date, "ta"), &a, t0, TTL),
            second.claim_tip_post(request(channel, &date, "tb"), &b, t0, TTL),
        );
        let outcomes = [ra.unwrap(), rb.unwrap()];
        let grants: Vec<&TipLease> = outcomes
            .iter()
            .filter_map(|o| match o {
                ClaimOutcome::Granted(l) => Some(l),
                _ => None,
            })
            .collect();
        assert_eq!(grants.len(), 1, "round {round}: {outcomes:?}");
        let winner = grants[0].owner.to_string();
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, ClaimOutcome::Held { owner, .. } if *owner == winner)),
            "the loser is told who won: {outcomes:?}"
        );
    }
}

/// What each simulated process did: the posts it "sent".
type Sent = Arc<Mutex<Vec<(u64, Date, String)>>>;

/// One process's tip round: claim all due posts in one batch, send the granted ones, mark them.
async fn tip_round(
    store: Arc<Store>,
    owner: LeaseOwner,
    channels: Vec<u64>,
    date: Date,
    sent: Sent,
) {
    let all = tips(12);
    let mut requests = Vec::new();
    for &ch in &channels {
        let state = store.tip_rotation(ch).await.unwrap();
        let (tip, _) = next_tip(&all, ch, &state).unwrap();
        requests.push(TipClaimRequest {
            channel_id: ch,
            local_date: date,
            tip_id: tip.id.clone(),
        });
    }
    let now = at("2025-01-06T07:30:00Z");
    for outcome in store
        .claim_tip_posts(&requests, &owner, now, TTL)
        .await
        .unwrap()
    {
        if let ClaimOutcome::Granted(lease) = outcome {
            sent.lock()
                .unwrap()
                .push((lease.channel_id, lease.local_date, lease.tip_id.clone()));
            let (all, id) = (all.clone(), lease.tip_id.clone());
            store
                .mark_tip_post_sent(&lease, None, now, move |s| record(&all, s, &id))
                .await
                .unwrap();
        }
    }
}

async fn two_processes_claiming_every_due_post_send_each_exactly_once(db: &TestDb) {
    let channels: Vec<u64> = (1..=40).map(|i| 900_000_000_000_000_000 + i).collect();
    let (first, second) = (db.open().await, db.open().await);
    let sent: Sent = Arc::default();
    for date in ["2025-01-06", "2025-01-07", "2025-01-08"] {
        let date = day(date);
        // The two processes see the channels in opposite orders, as shards listing them would.
        let mut reversed = channels.clone();
        reversed.reverse();
        let a = tokio::spawn(tip_round(
            Arc::clone(&first),
            LeaseOwner::generate(),
            channels.clone(),
            date,
            Arc::clone(&sent),
        ));
        let b = tokio::spawn(tip_round(
            Arc::clone(&second),
            LeaseOwner::generate(),
            reversed,
            date,
            Arc::clone(&sent),
        ));
        a.await.unwrap();
        b.await.unwrap();
    }
    let sent = sent.lock().unwrap().clone();
    let per_day: HashSet<(u64, Date)> = sent.iter().map(|(c, d, _)| (*c, *d)).collect();
    assert_eq!(
        sent.len(),
        3 * channels.len(),
        "one post per channel per day"
    );
    assert_eq!(
        per_day.len(),
        sent.len(),
        "no channel got two posts in a day"
    );
    for &ch in &channels {
        let state = first.tip_rotation(ch).await.unwrap();
        assert_eq!(state.posted.len(), 3, "channel {ch}: {state:?}");
        let mine: Vec<&String> = sent
            .iter()
            .filter(|(c, _, _)| *c == ch)
            .map(|(_, _, t)| t)
            .collect();
        assert_eq!(mine.iter().collect::<HashSet<_>>().len(), 3, "no repeat");
    }
    assert!(first.unsent_tip_claims().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Two real schedulers on one database
// ---------------------------------------------------------------------------------------------

/// A channel as Discord runs it, shared by both schedulers: a message is created when the request
/// arrives, and a nonce seen before returns the first message instead (`enforce_nonce`).
#[derive(Default)]
struct FakeChannels {
    messages: Mutex<Vec<(u64, Date, String, String)>>,
    by_nonce: Mutex<HashMap<String, u64>>,
    attempts: AtomicUsize,
}

impl FakeChannels {
    fn create(&self, post: &TipPost) -> u64 {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let mut by_nonce = self.by_nonce.lock().unwrap();
        if let Some(id) = by_nonce.get(&post.nonce) {
            return *id;
        }
        let mut messages = self.messages.lock().unwrap();
        messages.push((
            post.channel_id,
            post.local_date,
            post.tip.id.clone(),
            post.nonce.clone(),
        ));
        let id = messages.len() as u64;
        by_nonce.insert(post.nonce.clone(), id);
        id
    }
}

/// One scheduler's connection to the channels; it answers slowly for one channel (the request
/// arrives at once, the answer after `slow_answer`), like a process stalling mid-post.
struct SlowFor {
    channels: Arc<FakeChannels>,
    slow_channel: Option<u64>,
    slow_answer: Duration,
}

impl TipPoster for SlowFor {
    async fn post(&self, post: TipPost) -> Result<PostOutcome, PostError> {
        let id = self.channels.create(&post);
        if self.slow_channel == Some(post.channel_id) {
            tokio::time::sleep(self.slow_answer).await;
        }
        Ok(PostOutcome {
            message_id: Some(id),
        })
    }
}

async fn two_schedulers_post_each_tip_once_and_take_over_a_hung_post(db: &TestDb) {
    const STALLED: u64 = 7;
    let channels: Vec<u64> = (1..=8).collect();
    let start = at("2025-01-06T08:29:59Z");
    let setup = db.open().await;
    let schedule = TipSchedule::parse("08:30", "UTC", "everyday").unwrap();
    for &ch in &channels {
        setup
            .upsert_tip_subscription(ch, &schedule, at("2025-01-05T00:00:00Z"))
            .await
            .unwrap();
    }
    let fake = Arc::new(FakeChannels::default());
    let options = SchedulerOptions {
        lease: Duration::from_secs(2),
        ..SchedulerOptions::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(start));
    // A stalls 6 s on one channel's answer; B, a second process, must take that post over once
    // A's 2-second lease has run out, and Discord's nonce check keeps it one message.
    let make = |store: Arc<Store>, slow_channel: Option<u64>| {
        TipScheduler::new(
            store,
            tips(12),
            SlowFor {
                channels: Arc::clone(&fake),
                slow_channel,
                slow_answer: Duration::from_secs(6),
            },
            Arc::clone(&clock),
            options.clone(),
        )
    };
    let a = make(db.open().await, Some(STALLED));
    let b = make(db.open().await, None);
    let (a_owner, b_owner) = (a.lease_owner().to_string(), b.lease_owner().to_string());
    let (stop_a, stop_b) = (a.handle(), b.handle());
    // B starts once A holds the post it is stalling on.
    let a = a.spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while setup
        .latest_tip_claim(STALLED)
        .await
        .unwrap()
        .and_then(|c| c.lease_owner)
        != Some(a_owner.clone())
    {
        assert!(tokio::time::Instant::now() < deadline, "A claims the post");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = b.spawn();

    loop {
        let claims = setup.unsent_tip_claims().await.unwrap();
        let done = channels.len();
        let messages = fake.messages.lock().unwrap().len();
        if claims.is_empty()
            && messages == done
            && setup.latest_tip_claim(STALLED).await.unwrap().is_some()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every channel posted; pending claims: {claims:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let A finish its stalled answer and try to record it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop_a.shutdown();
    stop_b.shutdown();
    tokio::time::timeout(Duration::from_secs(10), a)
        .await
        .expect("A stops")
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), b)
        .await
        .expect("B stops")
        .unwrap();

    let messages = fake.messages.lock().unwrap().clone();
    let per_channel: HashSet<u64> = messages.iter().map(|m| m.0).collect();
    assert_eq!(messages.len(), channels.len(), "{messages:#?}");
    assert_eq!(per_channel.len(), channels.len(), "one message per channel");
    assert!(
        fake.attempts.load(Ordering::SeqCst) > channels.len(),
        "the stalled post was sent a second time (and deduplicated by its nonce)"
    );
    for &ch in &channels {
        let claim = setup.latest_tip_claim(ch).await.unwrap().unwrap();
        assert!(claim.sent_at.is_some(), "{claim:?}");
        let state = setup.tip_rotation(ch).await.unwrap();
        assert_eq!(state.posted, vec![claim.tip_id.clone()], "channel {ch}");
    }
    let stalled = setup.latest_tip_claim(STALLED).await.unwrap().unwrap();
    let first_message = messages
        .iter()
        .position(|m| m.0 == STALLED)
        .map(|i| i as u64 + 1);
    assert_eq!(stalled.message_id, first_message, "B recorded A's message");
    assert_eq!(stalled.lease_owner, Some(b_owner), "B took the post over");
}

// ---------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------

async fn the_schema_is_current_and_reopening_changes_nothing(db: &TestDb) {
    // Two processes starting at once on an empty database migrate it once.
    let (a, b) = tokio::join!(Store::connect(&db.location), Store::connect(&db.location));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.schema_version().await.unwrap(), a.latest_schema_version());
    assert_eq!(b.schema_version().await.unwrap(), a.latest_schema_version());
    a.add_safety_channel(1, None).await.unwrap();
    a.close().await.unwrap();
    assert!(
        a.safety_channels().await.is_err(),
        "a closed store refuses work"
    );
    let again = db.open().await;
    assert_eq!(
        again.schema_version().await.unwrap(),
        again.latest_schema_version()
    );
    assert_eq!(again.safety_channels().await.unwrap(), vec![1]);
}

/// The SQL of SQLite migrations 1 and 2, as released before leases existed.
const SQLITE_V1: &str = include_str!("../migrations/sqlite/0001_adapter_state.sql");
const SQLITE_V2: &str = include_str!("../migrations/sqlite/0002_daily_tips.sql");

/// A SQLite file as an older hingebot left it: schema `version`, with some rows.
fn old_sqlite_file(version: usize, rows: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [SQLITE_V1, SQLITE_V2].iter().take(version) {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn.execute_batch(rows).unwrap();
    (dir, path)
}

#[tokio::test]
async fn sqlite_a_file_from_schema_version_1_is_upgraded_in_place_and_keeps_its_data() {
    let (_dir, path) = old_sqlite_file(
        1,
        "INSERT INTO safety_channels VALUES (42, 'abc', 1000);
         INSERT INTO feedback VALUES (7, 'user-a', 'wall-drill', 1, 1000);
         INSERT INTO unanswered (text, at) VALUES ('what about kettlebells', 1000);",
    );
    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        store.latest_schema_version()
    );
    assert_eq!(store.safety_channels().await.unwrap(), vec![42]);
    let votes = store.votes_since(0).await.unwrap();
    assert_eq!(
        (votes[0].entry_id.as_str(), votes[0].up, votes[0].down),
        ("wall-drill", 1, 0)
    );
    assert_eq!(
        store.top_unanswered(0, 10).await.unwrap()[0].text,
        "what about kettlebells"
    );
    // Old votes and questions get the (UTC) day they were recorded on; an old question has no
    // asker, so it counts nobody until a curator confirms it.
    let figures = store
        .usage_figures(Period::ending(day("1970-01-01"), 7).unwrap())
        .await
        .unwrap();
    assert_eq!(figures.votes.len(), 1);
    assert_eq!(figures.votes[0].day, day("1970-01-01"));
    assert_eq!(
        figures.unanswered,
        vec![UnansweredRow {
            text: "what about kettlebells".to_string(),
            people: 0,
            asked: 1,
            confirmed: false
        }]
    );
    // Daily tips work on the upgraded file.
    let t0 = at("2025-01-06T07:00:00Z");
    store
        .upsert_tip_subscription(42, &berlin(), t0)
        .await
        .unwrap();
    granted(
        store
            .claim_tip_post(
                request(42, "2025-01-06", "t"),
                &LeaseOwner::named("a"),
                t0,
                TTL,
            )
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn sqlite_a_claim_left_unsent_by_a_build_without_leases_is_taken_over_after_the_upgrade() {
    let (_dir, path) = old_sqlite_file(
        2,
        "INSERT INTO tip_subscriptions VALUES (5, '08:30', 'UTC', 'workdays', NULL, 1000, 1000);
         INSERT INTO tip_rotation VALUES (5, 0, '[\"tip-01\"]');
         INSERT INTO tip_posts (channel_id, local_date, tip_id, claimed_at)
             VALUES (5, '2025-01-06', 'tip-02', 1736148600);
         INSERT INTO tip_posts (channel_id, local_date, tip_id, claimed_at, sent_at, message_id)
             VALUES (5, '2025-01-03', 'tip-01', 1735889400, 1735889401, 99);",
    );
    let store = Store::open(&path).await.unwrap();
    let pending = store.unsent_tip_claims().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].lease_owner.as_deref(),
            pending[0].nonce.as_deref()
        ),
        (None, None)
    );
    let now = at("2025-01-06T08:40:00Z");
    let lease = granted(
        store
            .claim_tip_post(
                request(5, "2025-01-06", "tip-03"),
                &LeaseOwner::named("new"),
                now,
                TTL,
            )
            .await
            .unwrap(),
    );
    assert_eq!(lease.grant, LeaseGrant::TakenOver { from: None });
    assert_eq!(lease.tip_id, "tip-02", "the tip claimed before the upgrade");
    assert_eq!(lease.nonce, tip_post_nonce(5, day("2025-01-06")));
    store
        .mark_tip_post_sent(&lease, Some(100), now, |s| RotationState {
            cycle: s.cycle,
            posted: [s.posted.clone(), vec!["tip-02".to_string()]].concat(),
        })
        .await
        .unwrap();
    assert_eq!(
        store.tip_rotation(5).await.unwrap().posted,
        ["tip-01", "tip-02"]
    );
    let history = store.tip_claims(5).await.unwrap();
    assert_eq!(
        history[0].message_id,
        Some(99),
        "older rows keep their data"
    );
    assert_eq!(history[1].nonce.as_deref(), Some(lease.nonce.as_str()));
}

#[tokio::test]
async fn sqlite_a_file_from_a_newer_hingebot_is_refused_and_left_alone() {
    let (_dir, path) = old_sqlite_file(2, "");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).await.err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade hingebot"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_database_from_a_newer_hingebot_is_refused() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.open().await;
    let (base, schema) = db.postgres.clone().unwrap();
    connect_raw(&base)
        .await
        .batch_execute(&format!(
            "INSERT INTO {schema}.hingebot_schema_migrations VALUES (99, 0)"
        ))
        .await
        .unwrap();
    store.close().await.unwrap();
    let err = Store::connect(&db.location).await.err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_wrong_password_or_a_dead_server_is_reported_without_the_password() {
    let Some(base) = postgres_url() else {
        return;
    };
    let secret = "not-the-password-7f3a";
    let (creds, host) = base.split_once('@').expect("the test URL names a user");
    let (scheme, user) = creds.split_once("://").expect("a URL");
    let user = user.split(':').next().unwrap_or(user);
    let wrong = format!("{scheme}://{user}:{secret}@{host}");
    let location = DatabaseLocation::parse(&wrong).unwrap();
    let err = Store::connect(&location).await.err().expect("refused");
    let text = format!("{err} {err:?} {location} {location:?}");
    assert!(!text.contains(secret), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");

    let dead = DatabaseLocation::parse(&format!(
        "postgres://bot:{secret}@127.0.0.1:1/hb?connect_timeout=2"
    ))
    .unwrap();
    let err = Store::connect(&dead).await.err().expect("refused");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(secret), "{text}");
    assert!(text.contains("127.0.0.1:1"), "names the server: {text}");
}
