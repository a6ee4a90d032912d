//! Daily tips on Discord end to end: the `/tips` commands and the tip poster, against the fake
//! Discord on 127.0.0.1.
//!
//! The commands run through `hingebot::discord::run`, like the other end-to-end tests. Posting is
//! tested with the real [`DiscordTipPoster`] and [`TipScheduler`] over serenity's `Http` pointed at
//! the fake, with a [`TokioClock`] started a moment before the post time: real (unpaused) tokio
//! time, since the scheduler then waits only a second or two.

mod support;

use hingebot::config::TipSubscriptionSetting;
use hingebot::daily_tips::{Clock, SchedulerOptions, TipScheduler, TokioClock};
use hingebot::discord::render::{LEARN_MORE, TIP_TITLE};
use hingebot::discord::tips::DiscordTipPoster;
use hingebot::store::Store;
use hingebot::tips::TipSchedule;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const CHANNEL: u64 = 710_000_000_000_000_001;
const OTHER_CHANNEL: u64 = 710_000_000_000_000_002;
const LOST_CHANNEL: u64 = 710_000_000_000_000_003;
const ALICE: u64 = 810_000_000_000_000_001;
const MANAGER: u64 = permissions::MEMBER | permissions::MANAGE_CHANNELS;
/// How long "nothing happens" is watched for.
const QUIET: Duration = Duration::from_millis(800);

fn tips_command(sub: &str, options: Value, channel: u64, permissions: u64) -> (u64, Value) {
    payload::slash_command(
        "tips",
        json!([{"name": sub, "type": 1, "options": options}]),
        channel,
        Some(GUILD_ID),
        ALICE,
        permissions,
    )
}

fn subscribe(time: &str, timezone: &str, channel: u64, permissions: u64) -> (u64, Value) {
    tips_command(
        "subscribe",
        json!([
            {"name": "time", "type": 3, "value": time},
            {"name": "timezone", "type": 3, "value": timezone}
        ]),
        channel,
        permissions,
    )
}

/// Sends an interaction and returns the text of the bot's (ephemeral, mention-free) answer.
async fn answer(fake: &FakeDiscord, (id, interaction): (u64, Value)) -> String {
    fake.push_dispatch("INTERACTION_CREATE", interaction);
    let reply = fake
        .expect_request("the answer", |r| r.is_callback(Some(id)), TIMEOUT)
        .await;
    let data = &reply.body["data"];
    assert_eq!(data["flags"], 64, "ephemeral: {data}");
    assert_no_mentions_allowed(data);
    data["content"].as_str().unwrap_or_default().to_string()
}

fn assert_no_mentions_allowed(body: &Value) {
    assert_eq!(
        body["allowed_mentions"]["parse"],
        json!([]),
        "allowed_mentions.parse in {body}"
    );
}

async fn stored(db: &Path, channel: u64) -> Option<hingebot::store::TipSubscription> {
    Store::open(db)
        .await
        .unwrap()
        .tip_subscription(channel)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_subscribes_a_channel_and_sees_the_next_post_time_and_status() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let bot = RunningBot::start(&fake, &db, settings()).await;

        let text = answer(&fake, subscribe("08:30", "Europe/Berlin", CHANNEL, MANAGER)).await;
        assert!(text.starts_with("Done"), "{text}");
        assert!(text.contains("08:30 Europe/Berlin"), "{text}");
        assert!(text.contains("Next tip: "), "{text}");
        assert!(text.contains(":F>"), "a Discord timestamp: {text}");

        let status = answer(&fake, tips_command("status", json!([]), CHANNEL, MANAGER)).await;
        assert!(status.contains("08:30 Europe/Berlin"), "{status}");
        let at: Vec<&str> = status
            .split("<t:")
            .skip(1)
            .filter_map(|s| s.split(":F>").next())
            .collect();
        let seconds: i64 = at.first().expect("a timestamp").parse().unwrap();
        let next = Timestamp::from_second(seconds).unwrap();
        assert!(next > Timestamp::now(), "{status}");
        let local = next.to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        assert_eq!((local.hour(), local.minute()), (8, 30), "{status}");
        assert!(
            (1..=5).contains(&local.weekday().to_monday_one_offset()),
            "workdays by default: {status}"
        );
        assert!(status.contains("No tip has been posted"), "{status}");
        bot.stop().await.unwrap();

        let sub = stored(&db, CHANNEL).await.expect("stored");
        assert_eq!(
            (sub.time.as_str(), sub.timezone.as_str(), sub.days.as_str()),
            ("08:30", "Europe/Berlin", "workdays")
        );
        assert!(sub.is_active());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tips_commands_need_manage_channels_and_bad_zones_store_nothing() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let bot = RunningBot::start(&fake, &db, settings()).await;

        let refused = answer(
            &fake,
            subscribe("08:30", "Europe/Berlin", CHANNEL, permissions::MEMBER),
        )
        .await;
        assert!(
            refused.contains("Manage Channels") && refused.contains("daily tips"),
            "{refused}"
        );
        let refused = answer(
            &fake,
            tips_command("status", json!([]), CHANNEL, permissions::MEMBER),
        )
        .await;
        assert!(
            refused.contains("Manage Channels") && refused.contains("daily tips"),
            "{refused}"
        );

        let error = answer(&fake, subscribe("08:30", "CET", CHANNEL, MANAGER)).await;
        assert!(error.contains("`CET`"), "{error}");
        assert!(
            error.contains("Europe/Berlin"),
            "says what to write: {error}"
        );
        let error = answer(&fake, subscribe("8.30", "Europe/Berlin", CHANNEL, MANAGER)).await;
        assert!(error.contains("HH:MM"), "{error}");

        let status = answer(&fake, tips_command("status", json!([]), CHANNEL, MANAGER)).await;
        assert!(status.contains("no daily tips"), "{status}");
        let gone = answer(
            &fake,
            tips_command("unsubscribe", json!([]), CHANNEL, MANAGER),
        )
        .await;
        assert!(gone.contains("was not getting daily tips"), "{gone}");
        bot.stop().await.unwrap();

        assert_eq!(stored(&db, CHANNEL).await, None, "nothing stored");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_stops_the_tips_and_config_subscriptions_are_applied_at_start_up() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let mut config = config(&fake, &db, settings());
        config.tips.subscriptions = vec![TipSubscriptionSetting {
            channel: OTHER_CHANNEL,
            guild: None,
            time: "07:15".into(),
            timezone: "America/New_York".into(),
            days: "everyday".into(),
        }];
        let bot = RunningBot::start_with_config(&fake, config).await;

        let text = answer(&fake, subscribe("09:00", "Asia/Kolkata", CHANNEL, MANAGER)).await;
        assert!(text.starts_with("Done"), "{text}");
        let text = answer(
            &fake,
            tips_command("unsubscribe", json!([]), CHANNEL, MANAGER),
        )
        .await;
        assert!(text.starts_with("Done"), "{text}");
        let status = answer(
            &fake,
            tips_command("status", json!([]), OTHER_CHANNEL, MANAGER),
        )
        .await;
        assert!(
            status.contains("07:15 America/New_York, every day"),
            "{status}"
        );

        bot.stop().await.expect("a clean stop");
        assert_eq!(stored(&db, CHANNEL).await, None);
        let sub = stored(&db, OTHER_CHANNEL)
            .await
            .expect("the config subscription");
        assert_eq!(
            (sub.time.as_str(), sub.timezone.as_str(), sub.days.as_str()),
            ("07:15", "America/New_York", "everyday")
        );
    })
    .await;
}

fn http(api_base: &str) -> Arc<serenity::http::Http> {
    Arc::new(
        serenity::http::HttpBuilder::new(TOKEN)
            .proxy(api_base)
            .ratelimiter_disabled(true)
            .build(),
    )
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A store with `channels` subscribed every day at 08:30 UTC since `since`.
async fn subscribed_store(channels: &[u64], since: Timestamp) -> Arc<Store> {
    let store = Store::open_in_memory().await.unwrap();
    let schedule = TipSchedule::parse("08:30", "UTC", "everyday").unwrap();
    for &channel in channels {
        store
            .upsert_tip_subscription(channel, &schedule, since)
            .await
            .unwrap();
    }
    store
}

fn scheduler(
    store: &Arc<Store>,
    api_base: &str,
    clock: TokioClock,
) -> TipScheduler<DiscordTipPoster> {
    let clock: Arc<dyn Clock> = Arc::new(clock);
    TipScheduler::new(
        Arc::clone(store),
        kb().tips().to_vec(),
        DiscordTipPoster::new(http(api_base)),
        clock,
        SchedulerOptions::default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_tip_is_posted_once_as_an_embed_with_a_learn_more_button_and_a_nonce() {
    within(Duration::from_secs(30), async {
        let fake = FakeDiscord::start().await;
        // Two seconds before a Monday's 08:30 UTC post.
        let start = at("2025-01-06T08:29:58Z");
        let store = subscribed_store(&[CHANNEL], start).await;
        let running = scheduler(&store, &fake.api_base(), TokioClock::starting_at(start));
        let handle = running.handle();
        let task = running.spawn();

        let post = fake
            .expect_request("the tip post", |r| r.is_message_in(CHANNEL), TIMEOUT)
            .await;
        let body = &post.body;
        assert_eq!(post.embed_title(), Some(TIP_TITLE));
        let kb = kb();
        let text = body["embeds"][0]["description"].as_str().unwrap();
        let tip = kb
            .tips()
            .iter()
            .find(|t| t.text == text)
            .expect("the description is a tip's text");
        assert_eq!(
            body["embeds"][0]["footer"]["text"],
            "Education, not medical advice."
        );
        assert_eq!(post.custom_ids(), vec![format!("hb:show:{}", tip.entry)]);
        assert_eq!(body["components"][0]["components"][0]["label"], LEARN_MORE);
        assert_no_mentions_allowed(body);
        let nonce = body["nonce"].as_str().expect("a string nonce");
        assert!(!nonce.is_empty());
        assert_eq!(body["enforce_nonce"], true);

        fake.assert_no_request("a second post", |r| r.is_channel_message(), QUIET)
            .await;
        handle.shutdown();
        tokio::time::timeout(TIMEOUT, task)
            .await
            .expect("the scheduler stops")
            .unwrap();
        let claim = store
            .latest_tip_claim(CHANNEL)
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(claim.tip_id, tip.id);
        assert!(claim.sent_at.is_some(), "{claim:?}");
        let message_id: u64 = post.response["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(claim.message_id, Some(message_id));

        // A restart later the same morning posts nothing more.
        let again = scheduler(
            &store,
            &fake.api_base(),
            TokioClock::starting_at(at("2025-01-06T08:31:00Z")),
        );
        let handle = again.handle();
        let task = again.spawn();
        fake.assert_no_request(
            "a post after the restart",
            |r| r.is_channel_message(),
            QUIET,
        )
        .await;
        handle.shutdown();
        tokio::time::timeout(TIMEOUT, task).await.unwrap().unwrap();
        assert_eq!(fake.matching(|r| r.is_channel_message()).len(), 1);
    })
    .await;
}

/// What the lost-channel server saw: the paths posted to.
type Seen = Arc<Mutex<Vec<String>>>;

/// A tiny Discord REST stand-in: `POST /channels/LOST_CHANNEL/messages` gets 404 "Unknown
/// Channel" (code 10003), other channel messages succeed. Returns its base URL.
async fn lost_channel_server(seen: Seen) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_lost_channel(stream, Arc::clone(&seen)));
        }
    });
    base
}

async fn serve_lost_channel(stream: TcpStream, seen: Seen) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        seen.lock().unwrap().push(path.clone());
        let (status, answer) = if path == format!("/api/v10/channels/{LOST_CHANNEL}/messages") {
            (
                "404 Not Found",
                json!({"code": 10003, "message": "Unknown Channel"}),
            )
        } else if path == format!("/api/v10/channels/{OTHER_CHANNEL}/messages") {
            (
                "200 OK",
                payload::sent_message(payload::id(), OTHER_CHANNEL, &body),
            )
        } else {
            (
                "404 Not Found",
                json!({"code": 0, "message": "404: Not Found"}),
            )
        };
        let text = answer.to_string();
        let out = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if write.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_channel_is_paused_and_other_channels_still_get_their_tip() {
    within(Duration::from_secs(30), async {
        let seen: Seen = Arc::default();
        let base = lost_channel_server(Arc::clone(&seen)).await;
        let start = at("2025-01-06T08:29:59Z");
        let store = subscribed_store(&[LOST_CHANNEL, OTHER_CHANNEL], start).await;
        let running = scheduler(&store, &base, TokioClock::starting_at(start));
        let handle = running.handle();
        let task = running.spawn();

        let deadline = tokio::time::Instant::now() + TIMEOUT;
        let paused = loop {
            let sub = store.tip_subscription(LOST_CHANNEL).await.unwrap().unwrap();
            let sent = store
                .latest_tip_claim(OTHER_CHANNEL)
                .await
                .unwrap()
                .is_some_and(|c| c.sent_at.is_some());
            if !sub.is_active() && sent {
                break sub;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the lost channel is paused and the other posted; requests: {:?}",
                seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let reason = paused.paused_reason.unwrap();
        assert!(reason.contains("10003"), "{reason}");

        // Not retried: one attempt at the lost channel, one post in the other.
        tokio::time::sleep(QUIET).await;
        handle.shutdown();
        tokio::time::timeout(TIMEOUT, task).await.unwrap().unwrap();
        let seen = seen.lock().unwrap().clone();
        let lost = format!("/api/v10/channels/{LOST_CHANNEL}/messages");
        let other = format!("/api/v10/channels/{OTHER_CHANNEL}/messages");
        assert_eq!(seen.iter().filter(|p| **p == lost).count(), 1, "{seen:?}");
        assert_eq!(seen.iter().filter(|p| **p == other).count(), 1, "{seen:?}");
    })
    .await;
}

/// With paused tokio time (verified to work: loopback HTTP answers arrive before tokio
/// auto-advances the clock), days pass in milliseconds.
#[tokio::test(start_paused = true)]
async fn over_three_simulated_days_each_day_gets_one_different_tip_at_its_time() {
    within(Duration::from_secs(30 * 24 * 3600), async {
        let fake = FakeDiscord::start().await;
        let start = at("2025-01-06T08:00:00Z");
        let store = subscribed_store(&[CHANNEL], start).await;
        let clock = TokioClock::starting_at(start);
        let running = scheduler(&store, &fake.api_base(), clock);
        let handle = running.handle();
        let task = running.spawn();

        // Watch minute by minute until three posts and then half a day more.
        let mut seen_at = Vec::new();
        let end = at("2025-01-08T20:00:00Z");
        while clock.now() < end {
            tokio::time::sleep(Duration::from_secs(60)).await;
            let posts = fake.matching(|r| r.is_message_in(CHANNEL)).len();
            while seen_at.len() < posts {
                seen_at.push(clock.now());
            }
        }
        handle.shutdown();
        task.await.unwrap();

        let posts = fake.matching(|r| r.is_message_in(CHANNEL));
        assert_eq!(posts.len(), 3, "one post a day");
        for (day, seen) in seen_at.iter().enumerate() {
            let due = at(&format!("2025-01-{:02}T08:30:00Z", 6 + day));
            let late = seen.duration_since(due);
            assert!(
                !late.is_negative() && late <= jiff::SignedDuration::from_mins(1),
                "day {day} posted at {seen}, due {due}"
            );
        }
        let texts: std::collections::HashSet<&str> = posts
            .iter()
            .map(|p| p.body["embeds"][0]["description"].as_str().unwrap())
            .collect();
        assert_eq!(texts.len(), 3, "no repeats");
        let nonces: std::collections::HashSet<&str> = posts
            .iter()
            .map(|p| p.body["nonce"].as_str().unwrap())
            .collect();
        assert_eq!(nonces.len(), 3, "a nonce per day");
    })
    .await;
}
