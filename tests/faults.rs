//! What a production bot meets, end to end against the fake Discord: rate limits (per route and
//! global), server errors, timeouts, gateway drops and invalidated sessions.
//!
//! The rate-limit tests run the bot exactly as in production: no REST proxy, serenity's
//! ratelimiter on, REST to `https://discord.com`; only the HTTP client is the test's, resolving
//! discord.com to the fake's TLS listener and trusting its throwaway CA
//! ([`FakeDiscord::discord_client`]). Each test uses its own channels, so the log lines it looks
//! for (captured in memory, [`support::logs`]) are its own.

mod support;

use hingebot::config::Config;
use hingebot::store::Store;
use hingebot::usage::Period;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use support::fake_discord::{FakeOptions, Fault};
use support::*;

const ALICE: u64 = 820_000_000_000_000_001;
/// Time measured by the fake includes the bot's own work and scheduling; waits it is told to
/// take must show in full, minus this much clock slack.
const SLACK: Duration = Duration::from_millis(20);

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

fn ask(fake: &FakeDiscord, channel: u64, user: u64, text: &str) -> String {
    let message = payload::message(
        channel,
        Some(GUILD_ID),
        payload::human(user),
        &mention(text),
    );
    let id = message["id"].as_str().unwrap().to_string();
    fake.push_dispatch("MESSAGE_CREATE", message);
    id
}

fn answers_to(id: &str) -> impl Fn(&Recorded) -> bool + Sync + '_ {
    move |r: &Recorded| r.is_channel_message() && r.body["message_reference"]["message_id"] == id
}

fn posts_to(channel: u64) -> impl Fn(&str, &str) -> bool + Send + Sync + 'static {
    let path = format!("/channels/{channel}/messages");
    move |method: &str, p: &str| method == "POST" && p == path
}

/// A config for the production path: no REST proxy.
fn direct_config(db: &std::path::Path) -> Config {
    Config {
        knowledge_dir: Some(knowledge_dir()),
        database: Some(db.to_path_buf()),
        discord: settings(),
        ..Config::default()
    }
}

/// A fake serving TLS as discord.com, and a bot on it through the production REST path.
async fn direct_bot(
    options: FakeOptions,
    timeout: Duration,
) -> (FakeDiscord, RunningBot, tempfile::TempDir) {
    logs::capture();
    let fake = FakeDiscord::start_with(FakeOptions {
        tls: true,
        ..options
    })
    .await;
    let (dir, db) = temp_db();
    let client = fake.discord_client(timeout);
    let bot = RunningBot::start_with_client(&fake, direct_config(&db), Some(client)).await;
    (fake, bot, dir)
}

/// How many replies the bot counted for the safety manager's figures (yesterday to tomorrow, UTC).
async fn replies_counted(dir: &tempfile::TempDir) -> u64 {
    let store = Store::open(&dir.path().join("hingebot.sqlite3"))
        .await
        .unwrap();
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let period = Period::new(today.yesterday().unwrap(), today.tomorrow().unwrap()).unwrap();
    let figures = store.usage_figures(period).await.unwrap();
    store.close().await.unwrap();
    figures.questions.iter().map(|q| q.questions).sum()
}

fn distinct_message_ids(posts: &[Recorded]) -> HashSet<u64> {
    posts
        .iter()
        .filter(|p| p.status == 200)
        .filter_map(Recorded::message_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_429_is_waited_out_and_retried_by_serenitys_ratelimiter() {
    const CHANNEL: u64 = 721_000_000_000_000_001;
    within(Duration::from_secs(60), async {
        let (fake, bot, _dir) = direct_bot(FakeOptions::default(), Duration::from_secs(10)).await;
        let retry_after = Duration::from_secs(1);
        fake.inject(
            1,
            Fault::RateLimited {
                retry_after,
                global: false,
            },
            posts_to(CHANNEL),
        );
        let id = ask(&fake, CHANNEL, ALICE, "how do I hip hinge");
        let posts = fake
            .expect_requests_after(
                0,
                "the limited send and its retry",
                2,
                answers_to(&id),
                TIMEOUT,
            )
            .await;
        assert_eq!((posts[0].status, posts[1].status), (429, 200));
        let waited = posts[1].at.duration_since(posts[0].at);
        assert!(waited + SLACK >= retry_after, "retried after {waited:?}");
        fake.assert_no_request("a third send", answers_to(&id), Duration::from_millis(500))
            .await;
        assert_eq!(distinct_message_ids(&posts).len(), 1);
        let logged = logs::lines_with(&[
            "rate limited by Discord",
            &format!("/channels/{CHANNEL}/messages"),
        ]);
        assert_eq!(logged.len(), 1, "{logged:?}");
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_is_waited_out_then_the_request_goes_through() {
    const CHANNEL: u64 = 721_000_000_000_000_002;
    within(Duration::from_secs(60), async {
        let (fake, bot, _dir) = direct_bot(FakeOptions::default(), Duration::from_secs(10)).await;
        let retry_after = Duration::from_secs(1);
        fake.inject(
            1,
            Fault::RateLimited {
                retry_after,
                global: true,
            },
            posts_to(CHANNEL),
        );
        let id = ask(&fake, CHANNEL, ALICE, "how do I hip hinge");
        let posts = fake
            .expect_requests_after(
                0,
                "the limited send and its retry",
                2,
                answers_to(&id),
                TIMEOUT,
            )
            .await;
        assert_eq!((posts[0].status, posts[1].status), (429, 200));
        assert_eq!(posts[0].response["global"], Value::Bool(true));
        let waited = posts[1].at.duration_since(posts[0].at);
        assert!(waited + SLACK >= retry_after, "retried after {waited:?}");
        assert_eq!(distinct_message_ids(&posts).len(), 1);
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_into_one_channel_keeps_to_its_bucket_and_every_question_is_answered_once() {
    const CHANNEL: u64 = 721_000_000_000_000_003;
    let (limit, window) = (2, Duration::from_secs(1));
    within(Duration::from_secs(60), async {
        let options = FakeOptions {
            channel_message_limit: Some((limit, window)),
            ..FakeOptions::default()
        };
        let (fake, bot, _dir) = direct_bot(options, Duration::from_secs(10)).await;
        let ids: Vec<String> = (0..6)
            .map(|i| ask(&fake, CHANNEL, ALICE + 1 + i, "how do I hip hinge"))
            .collect();
        let answered = |r: &Recorded| r.is_message_in(CHANNEL) && r.status == 200;
        fake.expect_requests_after(0, "six answers", 6, answered, Duration::from_secs(30))
            .await;
        fake.assert_no_request("a seventh answer", answered, Duration::from_millis(500))
            .await;
        let posts = fake.matching(|r| r.is_message_in(CHANNEL));
        for id in &ids {
            let answers: Vec<&Recorded> = posts
                .iter()
                .filter(|p| {
                    p.status == 200 && p.body["message_reference"]["message_id"] == id.as_str()
                })
                .collect();
            assert_eq!(answers.len(), 1, "question {id} answered once");
        }
        // Discord's bucket held: never more than `limit` messages made within one window.
        let made: Vec<_> = posts
            .iter()
            .filter(|p| p.status == 200)
            .map(|p| p.at)
            .collect();
        for (i, first) in made.iter().enumerate() {
            let within_window = made[i..]
                .iter()
                .filter(|t| t.duration_since(*first) < window)
                .count();
            assert!(
                within_window <= limit as usize,
                "{within_window} sends within {window:?}"
            );
        }
        // Every 429 was waited out: the same answer came again no sooner than it said.
        for (i, limited) in posts.iter().enumerate().filter(|(_, p)| p.status == 429) {
            let question = &limited.body["message_reference"]["message_id"];
            let wait = Duration::from_secs_f64(limited.response["retry_after"].as_f64().unwrap());
            let retry = posts[i + 1..]
                .iter()
                .find(|p| &p.body["message_reference"]["message_id"] == question)
                .expect("a retry after each 429");
            assert!(retry.at.duration_since(limited.at) + SLACK >= wait);
        }
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_backoff_and_a_persistent_one_is_given_up_logged_and_not_counted(
) {
    const FLAKY: u64 = 721_000_000_000_000_004;
    const DOWN: u64 = 721_000_000_000_000_005;
    within(Duration::from_secs(60), async {
        let (fake, bot, dir) = direct_bot(FakeOptions::default(), Duration::from_secs(10)).await;
        fake.inject(2, Fault::Status(502), posts_to(FLAKY));
        fake.inject(100, Fault::Status(500), posts_to(DOWN));

        let id = ask(&fake, FLAKY, ALICE, "how do I hip hinge");
        let posts = fake
            .expect_requests_after(0, "two failures and a success", 3, answers_to(&id), TIMEOUT)
            .await;
        let statuses: Vec<u16> = posts.iter().map(|p| p.status).collect();
        assert_eq!(statuses, vec![502, 502, 200]);
        let (first_wait, second_wait) = (
            posts[1].at.duration_since(posts[0].at),
            posts[2].at.duration_since(posts[1].at),
        );
        assert!(
            first_wait + SLACK >= Duration::from_millis(500),
            "{first_wait:?}"
        );
        assert!(
            second_wait + SLACK >= Duration::from_secs(1),
            "backs off: {second_wait:?}"
        );
        assert_eq!(distinct_message_ids(&posts).len(), 1);

        let id = ask(&fake, DOWN, ALICE, "how do I hip hinge");
        let attempts = fake
            .expect_requests_after(0, "three attempts", 3, answers_to(&id), TIMEOUT)
            .await;
        assert!(attempts.iter().all(|p| p.status == 500));
        fake.assert_no_request("a fourth attempt", answers_to(&id), Duration::from_secs(3))
            .await;
        let gave_up = logs::lines_with(&["could not answer a message", &format!("channel={DOWN}")]);
        assert_eq!(gave_up.len(), 1, "{gave_up:?}");
        assert!(
            gave_up[0].contains("gave up after 3 attempts"),
            "{}",
            gave_up[0]
        );

        // Still alive and answering.
        let id = ask(&fake, FLAKY, ALICE + 1, "hinge vs squat");
        fake.expect_request("a later answer", answers_to(&id), TIMEOUT)
            .await;
        assert!(logs::lines_with(&["panicked"]).is_empty());
        // The usage figures count the two answers Discord has, not the one it never accepted
        // (whose handler is done: it logged giving up). A count follows its send: wait for it.
        let deadline = std::time::Instant::now() + TIMEOUT;
        let mut counted = replies_counted(&dir).await;
        while counted < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            counted = replies_counted(&dir).await;
        }
        assert_eq!(counted, 2);
        bot.stop().await.unwrap();
        assert_eq!(replies_counted(&dir).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_send_is_retried_with_its_nonce_and_makes_one_message() {
    const CHANNEL: u64 = 721_000_000_000_000_006;
    within(Duration::from_secs(60), async {
        let timeout = Duration::from_secs(1);
        let (fake, bot, _dir) = direct_bot(FakeOptions::default(), timeout).await;
        // Discord makes the message but answers too late for the client.
        fake.inject(
            1,
            Fault::SlowAnswer(Duration::from_secs(3)),
            posts_to(CHANNEL),
        );
        let id = ask(&fake, CHANNEL, ALICE, "how do I hip hinge");
        let posts = fake
            .expect_requests_after(
                0,
                "the slow send and the retry",
                2,
                answers_to(&id),
                TIMEOUT,
            )
            .await;
        assert_eq!(
            posts[0].body["nonce"],
            Value::String(id.clone()),
            "the asker's message id"
        );
        assert_eq!(posts[1].body["nonce"], posts[0].body["nonce"]);
        assert_eq!(posts[1].body["enforce_nonce"], Value::Bool(true));
        assert_eq!(
            posts[1].message_id(),
            posts[0].message_id(),
            "Discord returns the first message for the same nonce"
        );
        fake.assert_no_request("a third send", answers_to(&id), Duration::from_secs(3))
            .await;

        // A button answer that timed out but arrived: the retry's 40060 counts as done.
        let message_id = posts[0].message_id().unwrap();
        let (interaction, click) = payload::component(
            "hb:show:how-to-hip-hinge",
            None,
            message_id,
            CHANNEL,
            Some(GUILD_ID),
            ALICE,
        );
        let callback = format!("/interactions/{interaction}/");
        fake.inject(1, Fault::SlowAnswer(Duration::from_secs(3)), move |m, p| {
            m == "POST" && p.starts_with(&callback)
        });
        fake.push_dispatch("INTERACTION_CREATE", click);
        let answers = fake
            .expect_requests_after(
                0,
                "the button answer and its retry",
                2,
                |r| r.is_callback(Some(interaction)),
                TIMEOUT,
            )
            .await;
        assert_eq!((answers[0].status, answers[1].status), (204, 400));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            logs::lines_with(&["could not answer a button", &format!("channel={CHANNEL}")])
                .is_empty(),
            "an answer that arrived is not a failure"
        );
        bot.stop().await.unwrap();
    })
    .await;
}

/// How many times the bot identified, and resumed.
fn sessions(fake: &FakeDiscord) -> (usize, usize) {
    (
        fake.count(|r| r.is("WS", "IDENTIFY")),
        fake.count(|r| r.is("WS", "RESUME")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_dropped_connection_or_close_4000_the_bot_resumes_and_answers_what_came_meanwhile()
{
    const CHANNEL: u64 = 721_000_000_000_000_007;
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let bot = RunningBot::start(&fake, &db, settings()).await;
        let id = ask(&fake, CHANNEL, ALICE, "how do I hip hinge");
        fake.expect_request("an answer", answers_to(&id), TIMEOUT)
            .await;
        let ready_session = fake.matching(|r| r.is("WS", "IDENTIFY")).len();
        assert_eq!(ready_session, 1);

        // The connection drops without a close frame (1006); a question arrives meanwhile.
        assert!(fake.drop_connection(0));
        let id = ask(&fake, CHANNEL, ALICE + 1, "hinge vs squat");
        fake.expect_request("the answer after the drop", answers_to(&id), TIMEOUT)
            .await;
        let resume = fake.matching(|r| r.is("WS", "RESUME"));
        assert_eq!(resume.len(), 1, "resumed, not identified again");
        assert!(resume[0].body["session_id"]
            .as_str()
            .unwrap()
            .starts_with("session-"));
        assert!(
            resume[0].body["seq"].as_u64().unwrap() >= 2,
            "READY and the first message were seen"
        );

        // Discord closes with 4000 (unknown error): resumable too.
        assert!(fake.close_connection(0, 4000));
        let id = ask(&fake, CHANNEL, ALICE + 2, "how do I lift a heavy box");
        fake.expect_request("the answer after 4000", answers_to(&id), TIMEOUT)
            .await;
        assert_eq!(sessions(&fake), (1, 2));
        // Each question answered once: nothing replayed twice.
        fake.assert_no_request(
            "a repeated answer",
            |r| r.is_message_in(CHANNEL),
            Duration::from_millis(500),
        )
        .await;
        assert_eq!(fake.count(|r| r.is_message_in(CHANNEL)), 3);
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_session_makes_the_bot_identify_again_and_it_answers_after() {
    const CHANNEL: u64 = 721_000_000_000_000_008;
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        logs::capture();
        let bot = RunningBot::start(&fake, &db, settings()).await;
        assert!(fake.invalidate_session(0));

        let id = ask(&fake, CHANNEL, ALICE, "how do I hip hinge");
        fake.expect_request(
            "the answer in the new session",
            answers_to(&id),
            Duration::from_secs(20),
        )
        .await;
        let (identified, _) = sessions(&fake);
        assert_eq!(identified, 2, "a fresh IDENTIFY");
        let second = fake.matching(|r| r.is("WS", "IDENTIFY")).remove(1);
        let answer = fake.matching(answers_to(&id)).remove(0);
        assert!(answer.at > second.at, "answered in the new session");
        bot.stop().await.unwrap();
    })
    .await;
}
