//! Load test, run by hand (it is `#[ignore]`d, and only meaningful in release):
//!
//! ```sh
//! cargo test --release --test load -- --ignored --nocapture                        # shared SQLite file
//! scripts/test-postgres cargo test --release --test load -- --ignored --nocapture  # PostgreSQL
//! ```
//!
//! Two `hingebot run` processes (the built binary), two shards each of four, on one database
//! (PostgreSQL under `scripts/test-postgres`, else a shared SQLite file) and one fake Discord:
//! 5,000 messages from 500 users across 50 channels in 8 guilds (and DMs), pushed in bursts of 50
//! every 50 ms (1,000 a second), with 1,000 clicks on 👍 buttons of earlier answers mixed in.
//! Every message must get exactly the answers the message policy gives it (one, or none: chatter
//! the bot deliberately ignores), every click exactly one response and every vote one row. It
//! prints throughput and the dispatch→reply latency (from the fake writing the event to the
//! gateway socket until it has the bot's complete reply request) for docs/performance.md.
//!
//! Why ignored: it takes about 80 s in release with the sentence model (17 s with
//! `HINGEBOT_MODEL_DIR=/nonexistent`, words only), and a debug build is too slow to keep up (on the
//! 2-core machine, clicks then wait over 2 s for the database and the bot tells some users it
//! could not save their vote, so "every vote stored" fails), and figures from a debug build say
//! nothing about production.

mod support;

use hingebot::config::DiscordSettings;
use hingebot::discord::cooldown::Cooldowns;
use hingebot::discord::messages::{decide, Incoming, Outcome, Policy};
use hingebot::Assistant;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::fake_discord::FakeOptions;
use support::process::{write_config, BotProcess, SharedDb};
use support::*;

const MESSAGES: usize = 5_000;
const USERS: u64 = 500;
const CHANNELS: u64 = 50;
const GUILDS: u64 = 8;
const SHARDS: u32 = 4;
const CLICKS: usize = 1_000;
const BURST: usize = 50;
const CLICKS_PER_BURST: usize = 10;
/// A burst starts every `PAUSE` (on a fixed schedule: 1,000 messages/s offered).
const PAUSE: Duration = Duration::from_millis(50);
/// The first channels are safety channels (answered unprompted when confident).
const SAFETY_CHANNELS: u64 = 10;

const FIRST_USER: u64 = 860_000_000_000_000_000;
const FIRST_CHANNEL: u64 = 760_000_000_000_000_000;
const FIRST_DM: u64 = 770_000_000_000_000_000;

fn guild(i: u64) -> u64 {
    // Spread over the shards: guild i is on shard i % SHARDS.
    (5_000 * u64::from(SHARDS) + i) << 22
}

fn channel(i: u64) -> (u64, u64) {
    (FIRST_CHANNEL + i, guild(i % GUILDS))
}

/// Questions people asked, on topic and off.
fn question_pool() -> Vec<String> {
    let mut pool = Vec::new();
    for file in ["dev.jsonl", "offtopic.jsonl", "real-holdout.jsonl"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(file);
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            pool.push(v["q"].as_str().unwrap().to_string());
        }
    }
    pool
}

/// One message of the run and what the policy says it gets.
struct Planned {
    id: String,
    payload: Value,
    expects_reply: bool,
}

fn plan(pool: &[String], assistant: &Assistant, settings: &DiscordSettings) -> Vec<Planned> {
    let cooldowns = Cooldowns::new(Duration::ZERO);
    let policy = Policy {
        assistant,
        settings,
        cooldowns: &cooldowns,
        bot_id: BOT_ID,
    };
    (0..MESSAGES)
        .map(|i| {
            let user = FIRST_USER + (i as u64 * 7) % USERS;
            let text = &pool[(i * 13) % pool.len()];
            let (channel_id, guild_id, content, mentions) = match i % 10 {
                // Chatter in a safety channel: answered only when confident (or a warning sign).
                7 => {
                    let (c, g) = channel(i as u64 % SAFETY_CHANNELS);
                    (c, Some(g), text.clone(), false)
                }
                // Chatter elsewhere: deliberately ignored.
                8 => {
                    let (c, g) = channel(SAFETY_CHANNELS + i as u64 % (CHANNELS - SAFETY_CHANNELS));
                    (c, Some(g), text.clone(), false)
                }
                // A direct message.
                9 => (FIRST_DM + user % 1_000, None, text.clone(), false),
                // A mention in any channel.
                _ => {
                    let (c, g) = channel(i as u64 % CHANNELS);
                    (c, Some(g), format!("<@{BOT_ID}> {text}"), true)
                }
            };
            let payload = payload::message(channel_id, guild_id, payload::human(user), &content);
            let incoming = Incoming {
                author_id: user,
                author_is_bot: false,
                channel_id,
                in_guild: guild_id.is_some(),
                in_safety_channel: settings.safety_channels.contains(&channel_id),
                mentions_bot: mentions,
                content: &content,
            };
            let expects_reply =
                !matches!(decide(&policy, &incoming, Instant::now()), Outcome::Ignore);
            Planned {
                id: payload["id"].as_str().unwrap().to_string(),
                payload,
                expects_reply,
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The 1-minute load average (Linux), to tell a busy machine's figures from a quiet one's.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load test: run by hand in release (see the file's documentation)"]
async fn load_two_processes_two_shards_each_5000_messages_and_1000_clicks() {
    let safety: Vec<u64> = (0..SAFETY_CHANNELS).map(|i| channel(i).0).collect();
    let settings = DiscordSettings {
        safety_channels: safety.clone(),
        cooldown_seconds: 0,
        ..DiscordSettings::default()
    };
    // The assistant the bots build (hybrid, with the model).
    let config = hingebot::config::Config {
        knowledge_dir: Some(knowledge_dir()),
        ..hingebot::config::Config::default()
    };
    let assistant = hingebot::setup::load_assistant(&config).unwrap();
    let planned = plan(&question_pool(), &assistant, &settings);
    let expected_replies = planned.iter().filter(|p| p.expects_reply).count();

    let fake = FakeDiscord::start_with(FakeOptions {
        shards: SHARDS,
        ..FakeOptions::default()
    })
    .await;
    let db = SharedDb::new().await;
    let config = write_config(db.dir(), "load", "");
    // The safety channels go into the config file's [discord] table.
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[discord]\n",
        &format!("[discord]\nsafety_channels = {safety:?}\n"),
    );
    std::fs::write(&config, text).unwrap();
    let env = [
        ("HINGEBOT_DATABASE_URL", db.url.as_str()),
        ("RUST_LOG", "warn"),
    ];
    let processes = [
        BotProcess::spawn(
            "shards 0-1",
            &config,
            &fake.api_base(),
            &["--shards", "0-1", "--total-shards", "4"],
            &env,
        ),
        BotProcess::spawn(
            "shards 2-3",
            &config,
            &fake.api_base(),
            &["--shards", "2-3", "--total-shards", "4"],
            &env,
        ),
    ];
    // serenity starts a process's second shard 5 s after its first.
    fake.wait_for_shards(0, &[0, 1, 2, 3], Duration::from_secs(30))
        .await;
    fake.expect_requests_after(0, "command registration", 2, |r| r.method == "PUT", TIMEOUT)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let reply_of = |r: &Recorded| {
        r.is_channel_message() && r.body["message_reference"]["message_id"].is_string()
    };
    let load_before = load_average();
    let start = Instant::now();
    let mut clicks: Vec<(u64, Value)> = Vec::with_capacity(CLICKS);
    // Answers in guild channels seen so far, (channel, message id), read incrementally: copying
    // the whole log every burst would slow the fake down as it grows.
    let mut guild_replies: Vec<(u64, u64)> = Vec::new();
    let mut seen = 0;
    let mut next_reply = 0;
    let mut bursts = planned.chunks(BURST);
    for burst in 0u32.. {
        tokio::time::sleep_until((start + PAUSE * burst).into()).await;
        let messages = bursts.next();
        if messages.is_none() && clicks.len() == CLICKS {
            break;
        }
        for m in messages.unwrap_or_default() {
            fake.push_dispatch("MESSAGE_CREATE", m.payload.clone());
        }
        let new = fake.requests_from(seen);
        seen += new.len();
        for r in new.iter().filter(|r| reply_of(r)) {
            let ch: u64 = r.path.split('/').nth(2).unwrap().parse().unwrap();
            if ch < FIRST_DM {
                guild_replies.push((ch, r.message_id().unwrap()));
            }
        }
        // 👍 on answers already made (each on a different answer, so each vote is its own row).
        for _ in 0..CLICKS_PER_BURST {
            let Some((ch, message_id)) = guild_replies.get(next_reply) else {
                break;
            };
            if clicks.len() == CLICKS {
                break;
            }
            let g = guild((ch - FIRST_CHANNEL) % GUILDS);
            let user = FIRST_USER + clicks.len() as u64 % USERS;
            let (id, click) = payload::component(
                "hb:vote:up:how-to-hip-hinge",
                None,
                *message_id,
                *ch,
                Some(g),
                user,
            );
            fake.push_dispatch("INTERACTION_CREATE", click.clone());
            clicks.push((id, click));
            next_reply += 1;
        }
    }
    let pushed = start.elapsed();

    // Wait for every expected answer and click response.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let replies = fake.count(reply_of);
        let callbacks = fake.count(|r| r.is_callback(None));
        if replies >= expected_replies && callbacks >= clicks.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "answers {replies}/{expected_replies}, click responses {callbacks}/{}",
            clicks.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Exactly the expected answers: one per answered message, none for ignored chatter.
    let requests = fake.requests();
    let mut replies: HashMap<&str, Vec<&Recorded>> = HashMap::new();
    for r in requests.iter().filter(|r| reply_of(r)) {
        replies
            .entry(r.body["message_reference"]["message_id"].as_str().unwrap())
            .or_default()
            .push(r);
    }
    let (mut lost, mut doubled, mut unexpected, mut latencies, mut last_reply) =
        (0, 0, 0, Vec::new(), start);
    for m in &planned {
        let got = replies.get(m.id.as_str()).map_or(&[][..], Vec::as_slice);
        match (m.expects_reply, got.len()) {
            (true, 0) => lost += 1,
            (true, 1) => {
                let sent = fake.sent_at(&m.id).expect("the dispatch was sent");
                latencies.push(got[0].at.saturating_duration_since(sent));
                last_reply = last_reply.max(got[0].at);
            }
            (true, _) => doubled += 1,
            (false, 0) => {}
            (false, _) => unexpected += 1,
        }
    }
    let mut click_latencies = Vec::new();
    let mut unanswered_clicks = 0;
    for (id, _) in &clicks {
        let responses: Vec<&Recorded> = requests
            .iter()
            .filter(|r| r.is_callback(Some(*id)))
            .collect();
        if responses.len() != 1 || responses[0].status != 204 {
            unanswered_clicks += 1;
            continue;
        }
        let sent = fake.sent_at(&id.to_string()).expect("the click was sent");
        click_latencies.push(responses[0].at.saturating_duration_since(sent));
        last_reply = last_reply.max(responses[0].at);
    }
    let store = db.open().await;
    let votes: u64 = store
        .votes_since(0)
        .await
        .unwrap()
        .iter()
        .map(|v| v.up + v.down)
        .sum();

    let elapsed = last_reply.duration_since(start);
    latencies.sort();
    click_latencies.sort();
    let throughput = MESSAGES as f64 / elapsed.as_secs_f64();
    let events = (MESSAGES + clicks.len()) as f64 / elapsed.as_secs_f64();
    println!("\n## load test ({} database)\n", db.backend());
    println!(
        "machine: {} cores; load average before {load_before}, after {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!("| | |\n|---|---|");
    println!("| messages | {MESSAGES} from {USERS} users in {CHANNELS} channels of {GUILDS} guilds and DMs, bursts of {BURST} every {} ms (pushed in {:.2} s) |", PAUSE.as_millis(), pushed.as_secs_f64());
    println!(
        "| answered / silent by policy | {} / {} |",
        latencies.len(),
        MESSAGES - expected_replies
    );
    println!("| lost / doubled / unexpected answers | {lost} / {doubled} / {unexpected} |");
    println!(
        "| button clicks / responses / votes stored | {} / {} / {votes} |",
        clicks.len(),
        click_latencies.len()
    );
    println!(
        "| first dispatch to last reply | {:.2} s |",
        elapsed.as_secs_f64()
    );
    println!("| throughput | {throughput:.0} messages/s ({events:.0} events/s with clicks) |");
    println!(
        "| message dispatch→reply | p50 {}, p90 {}, p99 {}, max {} |",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    println!(
        "| click dispatch→response | p50 {}, p99 {}, max {} |",
        ms(percentile(&click_latencies, 50.0)),
        ms(percentile(&click_latencies, 99.0)),
        ms(click_latencies.last().copied().unwrap_or_default())
    );

    assert_eq!(
        (lost, doubled, unexpected),
        (0, 0, 0),
        "every message answered as the policy says, once"
    );
    assert_eq!(clicks.len(), CLICKS);
    assert_eq!(unanswered_clicks, 0, "every click answered once");
    assert_eq!(votes, CLICKS as u64, "every vote stored once");
    for process in processes {
        let name = process.name.clone();
        let (clean, log) = process.terminate(TIMEOUT).await;
        assert!(clean, "{name} exits cleanly:\n{log}");
    }
    store.close().await.unwrap();
    db.remove().await;
}
