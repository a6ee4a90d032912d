//! The database unreachable for a while, end to end: PostgreSQL behind a relay the test takes down
//! (connections cut, the port refusing, as when the server stops) and brings back.
//!
//! - The built binary keeps answering questions and button clicks meanwhile, logs each kind of
//!   failed write once (at most once a minute), and posts the daily tip that came due during the
//!   outage once the database is back, within the grace window.
//! - The tip scheduler (in-process, on a controlled clock) does not post again a tip Discord
//!   confirmed while the database refused to record it: it records it once the database is back.
//!
//! These need the PostgreSQL server of `scripts/test-postgres`; without it they say so and pass,
//! except in CI, where they fail.

mod support;

use hingebot::daily_tips::{Clock, SchedulerOptions, TipScheduler, TokioClock};
use hingebot::discord::tips::DiscordTipPoster;
use hingebot::store::{NewTipSubscription, Store};
use hingebot::tips::TipSchedule;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use support::db_proxy::{server_of, DbProxy};
use support::process::{write_config, BotProcess, SharedDb, POSTGRES_URL_ENV};
use support::*;

const ALICE: u64 = 840_000_000_000_000_001;

/// The test server, or `None` (with a notice) outside CI.
fn postgres_available() -> bool {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => true,
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!(
            "{POSTGRES_URL_ENV} is not set, but CI is: run the tests through scripts/test-postgres"
        )
        }
        _ => {
            eprintln!("skipped: the database outage tests (set {POSTGRES_URL_ENV} or run scripts/test-postgres)");
            false
        }
    }
}

fn question(channel: u64, user: u64, text: &str) -> (String, serde_json::Value) {
    let message = payload::message(
        channel,
        Some(GUILD_ID),
        payload::human(user),
        &format!("<@{BOT_ID}> {text}"),
    );
    (message["id"].as_str().unwrap().to_string(), message)
}

async fn expect_answer(fake: &FakeDiscord, id: &str) -> Recorded {
    fake.expect_request(
        "an answer",
        |r| r.is_channel_message() && r.body["message_reference"]["message_id"] == id,
        TIMEOUT,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_down_the_bot_answers_logs_each_failure_once_and_catches_up_on_tips() {
    if !postgres_available() {
        return;
    }
    within(Duration::from_secs(120), async {
        let fake = FakeDiscord::start().await;
        let db = SharedDb::new().await;
        let proxy = DbProxy::start(server_of(&db.url)).await;
        let (asked_in, tips_in) = (750_000_000_000_000_001, 750_000_000_000_000_002);
        // A tip due at the current minute, daily since yesterday: the bot reaches it only after
        // the database went down.
        let store = db.open().await;
        let now = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
        let schedule = TipSchedule::parse(
            &format!("{:02}:{:02}", now.hour(), now.minute()),
            "UTC",
            "everyday",
        )
        .unwrap();
        store
            .upsert_tip_subscriptions(
                &[NewTipSubscription {
                    channel_id: tips_in,
                    guild_id: Some(GUILD_ID),
                    schedule,
                }],
                Timestamp::now() - SignedDuration::from_hours(24),
            )
            .await
            .unwrap();

        // The bot reads its state, then asks for the gateway; the outage starts right then.
        let gateway = fake.hold(1, |m, p| m == "GET" && p == "/gateway");
        let config = write_config(db.dir(), "bot", "");
        let through_proxy = proxy.url_for(&db.url);
        let bot = BotProcess::spawn(
            "the bot",
            &config,
            &fake.api_base(),
            &[],
            &[("HINGEBOT_DATABASE_URL", through_proxy.as_str())],
        );
        fake.expect_request("GET /gateway", |r| r.is("GET", "/gateway"), TIMEOUT)
            .await;
        proxy.down();
        gateway.release();
        fake.wait_until_ready(TIMEOUT).await;

        // Questions are answered; the off-topic ones cannot be noted for curators.
        let mut answers = Vec::new();
        for (i, text) in [
            "what's for lunch",
            "how do I hip hinge",
            "who won the match",
            "best pizza in town",
        ]
        .iter()
        .enumerate()
        {
            let (id, message) = question(asked_in, ALICE + i as u64, text);
            fake.push_dispatch("MESSAGE_CREATE", message);
            answers.push(expect_answer(&fake, &id).await);
        }
        // Votes get an answer saying they could not be saved.
        let reply = answers[1].message_id().unwrap();
        for user in 0..3 {
            let (interaction, click) = payload::component(
                "hb:vote:up:how-to-hip-hinge",
                None,
                reply,
                asked_in,
                Some(GUILD_ID),
                ALICE + 10 + user,
            );
            fake.push_dispatch("INTERACTION_CREATE", click);
            let answer = fake
                .expect_request(
                    "the vote's answer",
                    |r| r.is_callback(Some(interaction)),
                    TIMEOUT,
                )
                .await;
            let text = answer.body["data"]["content"].as_str().unwrap_or_default();
            assert!(text.contains("could not save your vote"), "{text}");
        }
        assert_eq!(
            fake.count(|r| r.is_message_in(tips_in)),
            0,
            "no tip without the database"
        );
        let failures = |what: &str| bot.lines_with(&format!("could not {what}"));
        for what in [
            "record an unanswered question",
            "record a vote",
            "read the daily tip subscriptions",
        ] {
            let lines = failures(what);
            assert_eq!(
                lines.len(),
                1,
                "{what}: logged once, not per failure:\n{}",
                bot.stderr()
            );
        }

        // Back: the tip that came due goes out (the scheduler looks again within 15 s), and
        // writes work again.
        proxy.up().await;
        let tip = fake
            .expect_request(
                "the tip due during the outage",
                |r| r.is_message_in(tips_in),
                Duration::from_secs(30),
            )
            .await;
        assert_eq!(tip.status, 200);
        let (id, message) = question(asked_in, ALICE + 20, "what's the weather on mars");
        fake.push_dispatch("MESSAGE_CREATE", message);
        expect_answer(&fake, &id).await;
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let noted = store.top_unanswered(0, 10).await.unwrap();
            if noted.iter().any(|u| u.text.contains("mars")) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the question after the outage is noted: {noted:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bot.wait_for_log("works again", TIMEOUT).await;
        let claim = store.latest_tip_claim(tips_in).await.unwrap().unwrap();
        assert!(claim.sent_at.is_some(), "{claim:?}");
        fake.assert_no_request(
            "a second tip",
            |r| r.is_message_in(tips_in),
            Duration::from_secs(1),
        )
        .await;

        let (clean, log) = bot.terminate(TIMEOUT).await;
        assert!(clean, "exits cleanly:\n{log}");
        assert!(!log.contains("panicked"), "{log}");
        store.close().await.unwrap();
        db.remove().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tip_discord_confirmed_while_the_database_was_down_is_recorded_later_not_sent_again() {
    if !postgres_available() {
        return;
    }
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let db = SharedDb::new().await;
        let proxy = DbProxy::start(server_of(&db.url)).await;
        let (first, second) = (750_000_000_000_000_011, 750_000_000_000_000_012);
        let start: Timestamp = "2025-01-06T08:29:58Z".parse().unwrap();
        let direct = db.open().await;
        let schedule = TipSchedule::parse("08:30", "UTC", "everyday").unwrap();
        for channel in [first, second] {
            direct
                .upsert_tip_subscription(
                    channel,
                    &schedule,
                    "2025-01-01T00:00:00Z".parse().unwrap(),
                )
                .await
                .unwrap();
        }
        let store = Store::connect(
            &hingebot::store::DatabaseLocation::parse(&proxy.url_for(&db.url)).unwrap(),
        )
        .await
        .unwrap();
        let http = Arc::new(
            serenity::http::HttpBuilder::new(TOKEN)
                .proxy(fake.api_base())
                .ratelimiter_disabled(true)
                .build(),
        );
        let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(start));
        let scheduler = TipScheduler::new(
            Arc::clone(&store),
            kb().tips().to_vec(),
            DiscordTipPoster::new(http),
            clock,
            SchedulerOptions {
                store_retry: Duration::from_millis(300),
                ..SchedulerOptions::default()
            },
        );
        let handle = scheduler.handle();
        // The first channel's post is made, then the database goes away before the answer.
        let path = format!("/channels/{first}/messages");
        let answer = fake.hold(1, move |m, p| m == "POST" && p == path);
        let task = scheduler.spawn();
        let made = fake
            .expect_request("the first post", |r| r.is_message_in(first), TIMEOUT)
            .await;
        proxy.down();
        answer.release();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            fake.count(|r| r.is_message_in(second)),
            0,
            "the second channel cannot be claimed meanwhile"
        );
        proxy.up().await;

        fake.expect_request(
            "the second channel's post",
            |r| r.is_message_in(second),
            TIMEOUT,
        )
        .await;
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        let claim = loop {
            let claim = direct.latest_tip_claim(first).await.unwrap().unwrap();
            if claim.sent_at.is_some() {
                break claim;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "recorded after the outage: {claim:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            claim.message_id,
            made.message_id(),
            "the message Discord confirmed"
        );
        fake.assert_no_request(
            "a repeated post",
            |r| r.is_message_in(first),
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(fake.count(|r| r.is_message_in(first)), 1);
        assert_eq!(direct.tip_rotation(first).await.unwrap().posted.len(), 1);

        handle.shutdown();
        tokio::time::timeout(TIMEOUT, task).await.unwrap().unwrap();
        store.close().await.unwrap();
        direct.close().await.unwrap();
        db.remove().await;
    })
    .await;
}
