//! Several `hingebot run` processes (the built binary) on one database and one fake Discord, each
//! running a range of the gateway shards: who connects which shard, who answers and who posts which
//! daily tip, and what a `kill -9` in the middle of a tip post leaves behind (nothing doubled,
//! nothing skipped).
//!
//! The database is PostgreSQL when `scripts/test-postgres` provides one (always in CI), else a
//! SQLite file shared by the processes.

mod support;

use hingebot::store::{NewTipSubscription, Store};
use hingebot::tips::TipSchedule;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashSet;
use std::time::Duration;
use support::fake_discord::FakeOptions;
use support::process::{write_config, BotProcess, SharedDb};
use support::*;

const ALICE: u64 = 830_000_000_000_000_001;
const QUIET: Duration = Duration::from_millis(1500);

/// A guild on `shard` of `total` (Discord's `(guild_id >> 22) % total`).
fn guild_on(shard: u64, total: u64) -> u64 {
    (7_000 * total + shard) << 22
}

/// Subscribes `channels` (with their guilds) to a tip at the current UTC minute, every day, since
/// yesterday: each is due now (less than a minute late, well within the grace window).
async fn due_now(store: &Store, channels: &[(u64, Option<u64>)]) {
    let now = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let time = format!("{:02}:{:02}", now.hour(), now.minute());
    let schedule = TipSchedule::parse(&time, "UTC", "everyday").unwrap();
    let subscriptions: Vec<NewTipSubscription> = channels
        .iter()
        .map(|&(channel_id, guild_id)| NewTipSubscription {
            channel_id,
            guild_id,
            schedule: schedule.clone(),
        })
        .collect();
    let yesterday = Timestamp::now() - SignedDuration::from_hours(24);
    store
        .upsert_tip_subscriptions(&subscriptions, yesterday)
        .await
        .unwrap();
}

fn shard_args(shards: &'static str, total: &'static str) -> [&'static str; 4] {
    ["--shards", shards, "--total-shards", total]
}

/// Whether a lease owner (`host-pid-random`) is this process.
fn owned_by(owner: Option<&str>, process: &BotProcess) -> bool {
    owner.is_some_and(|o| o.contains(&format!("-{}-", process.pid())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shard_processes_split_the_gateway_the_answers_and_the_daily_tips() {
    within(Duration::from_secs(90), async {
        let fake = FakeDiscord::start_with(FakeOptions {
            shards: 2,
            ..FakeOptions::default()
        })
        .await;
        let db = SharedDb::new().await;
        let (g0, g1) = (guild_on(0, 2), guild_on(1, 2));
        let (c0, c1, unknown) = (
            740_000_000_000_000_001,
            740_000_000_000_000_002,
            740_000_000_000_000_003,
        );
        let store = db.open().await;
        due_now(&store, &[(c0, Some(g0)), (c1, Some(g1)), (unknown, None)]).await;
        let config = write_config(db.dir(), "bot", "");
        let env = [("HINGEBOT_DATABASE_URL", db.url.as_str())];
        let first = BotProcess::spawn(
            "shard 0",
            &config,
            &fake.api_base(),
            &shard_args("0", "2"),
            &env,
        );
        let second = BotProcess::spawn(
            "shard 1",
            &config,
            &fake.api_base(),
            &shard_args("1-1", "2"),
            &env,
        );

        fake.wait_for_shards(0, &[0, 1], TIMEOUT).await;
        let shards: Vec<(u32, u32)> = fake
            .matching(|r| r.is("WS", "IDENTIFY"))
            .iter()
            .filter_map(Recorded::shard)
            .collect();
        assert_eq!(
            shards.iter().copied().collect::<HashSet<_>>(),
            HashSet::from([(0, 2), (1, 2)]),
            "each shard once: {shards:?}"
        );

        // Daily tips: each channel once, by the process running its guild's shard.
        for channel in [c0, c1, unknown] {
            fake.expect_request("a daily tip", |r| r.is_message_in(channel), TIMEOUT)
                .await;
        }
        fake.assert_no_request("another tip", |r| r.is_channel_message(), QUIET)
            .await;
        for (channel, process) in [(c0, &first), (c1, &second), (unknown, &first)] {
            let claim = store.latest_tip_claim(channel).await.unwrap().unwrap();
            assert!(claim.sent_at.is_some(), "{claim:?}");
            assert!(
                owned_by(claim.lease_owner.as_deref(), process),
                "channel {channel} posted by {} (pid {}): {claim:?}",
                process.name,
                process.pid()
            );
        }

        // Questions: each guild's reach the process of its shard, DMs shard 0's; one answer each.
        let mut asked = Vec::new();
        for (channel, guild) in [(c0, Some(g0)), (c1, Some(g1)), (ALICE + 50, None)] {
            let message = payload::message(
                channel,
                guild,
                payload::human(ALICE),
                &format!("<@{BOT_ID}> how do I hip hinge"),
            );
            asked.push(message["id"].as_str().unwrap().to_string());
            fake.push_dispatch("MESSAGE_CREATE", message);
        }
        for id in &asked {
            let answer = |r: &Recorded| {
                r.is_channel_message() && r.body["message_reference"]["message_id"] == id.as_str()
            };
            fake.expect_request("an answer", answer, TIMEOUT).await;
        }
        fake.assert_no_request("a second answer", |r| r.is_channel_message(), QUIET)
            .await;

        for process in [first, second] {
            let name = process.name.clone();
            let (clean, log) = process.terminate(TIMEOUT).await;
            assert!(clean, "{name} exits cleanly on SIGTERM:\n{log}");
        }
        store.close().await.unwrap();
        db.remove().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_post_leaves_one_post_per_channel_and_the_shard_processes_take_over() {
    within(Duration::from_secs(90), async {
        let fake = FakeDiscord::start_with(FakeOptions {
            shards: 2,
            ..FakeOptions::default()
        })
        .await;
        let db = SharedDb::new().await;
        let (c0, c1) = (740_000_000_000_000_011, 740_000_000_000_000_012);
        let store = db.open().await;
        due_now(
            &store,
            &[(c0, Some(guild_on(0, 2))), (c1, Some(guild_on(1, 2)))],
        )
        .await;
        let config = write_config(db.dir(), "bot", "");
        let env = [("HINGEBOT_DATABASE_URL", db.url.as_str())];

        // One process runs both shards. Discord makes its tip for c0, but the answer never
        // reaches the bot: it is killed first.
        let held_path = format!("/channels/{c0}/messages");
        let _held = fake.hold(1, move |m, p| m == "POST" && p == held_path);
        let mut crashed = BotProcess::spawn(
            "the first process",
            &config,
            &fake.api_base(),
            &["--total-shards", "2"],
            &env,
        );
        let first_post = fake
            .expect_request("the tip post in flight", |r| r.is_message_in(c0), TIMEOUT)
            .await;
        crashed.kill9();
        let claim = store.latest_tip_claim(c0).await.unwrap().unwrap();
        assert!(
            claim.is_pending() && owned_by(claim.lease_owner.as_deref(), &crashed),
            "claimed by the killed process, not marked: {claim:?}"
        );
        assert!(
            store.latest_tip_claim(c1).await.unwrap().is_none(),
            "c1 not reached yet"
        );

        // It is replaced by two processes, one shard each.
        let shard_0 = BotProcess::spawn(
            "shard 0",
            &config,
            &fake.api_base(),
            &shard_args("0", "2"),
            &env,
        );
        let shard_1 = BotProcess::spawn(
            "shard 1",
            &config,
            &fake.api_base(),
            &shard_args("1", "2"),
            &env,
        );
        fake.expect_request(
            "c1's tip",
            |r| r.is_message_in(c1) && r.status == 200,
            TIMEOUT,
        )
        .await;
        // c0 waits for the dead process's lease (4 s), then shard 0's process sends it again,
        // with the same nonce: Discord returns the message it already made.
        let resent = fake
            .expect_requests_after(
                0,
                "c0 sent again",
                2,
                |r| r.is_message_in(c0),
                Duration::from_secs(20),
            )
            .await
            .remove(1);
        assert_eq!(resent.body["nonce"], first_post.body["nonce"]);
        assert_eq!(resent.message_id(), first_post.message_id());
        assert!(
            resent.at.duration_since(first_post.at) >= Duration::from_secs(3),
            "not before the lease ran out"
        );
        shard_0
            .wait_for_log("taking over a daily tip", TIMEOUT)
            .await;
        fake.assert_no_request("another post", |r| r.is_channel_message(), QUIET)
            .await;

        let made: HashSet<u64> = fake
            .matching(|r| r.is_message_in(c0) && r.status == 200)
            .iter()
            .filter_map(Recorded::message_id)
            .collect();
        assert_eq!(made.len(), 1, "one message in c0");
        assert_eq!(fake.count(|r| r.is_message_in(c1)), 1, "one message in c1");
        for (channel, process) in [(c0, &shard_0), (c1, &shard_1)] {
            let claims = store.tip_claims(channel).await.unwrap();
            assert_eq!(claims.len(), 1, "{claims:?}");
            assert!(claims[0].sent_at.is_some(), "{claims:?}");
            assert!(
                owned_by(claims[0].lease_owner.as_deref(), process),
                "{claims:?}"
            );
            let rotation = store.tip_rotation(channel).await.unwrap();
            assert_eq!(
                rotation.posted,
                vec![claims[0].tip_id.clone()],
                "advanced once"
            );
        }
        assert_eq!(
            store.tip_claims(c0).await.unwrap()[0].message_id,
            first_post.message_id(),
            "the message Discord made first"
        );

        for process in [shard_0, shard_1] {
            let name = process.name.clone();
            let (clean, log) = process.terminate(TIMEOUT).await;
            assert!(clean, "{name} exits cleanly:\n{log}");
        }
        drop(crashed);
        store.close().await.unwrap();
        db.remove().await;
    })
    .await;
}
