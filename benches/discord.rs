//! Discord adapter latency: from a gateway dispatch to the bot's reply request.
//!
//! `dispatch_to_reply` runs the real serenity/poise client against the fake Discord over loopback:
//! the time from the fake writing a MESSAGE_CREATE to the socket until it has received the bot's
//! complete `POST /channels/{id}/messages` (JSON parsing, the handler, the matcher, rendering and
//! the HTTP client; Discord's own network excluded). It prints the median over every sample.
//! `decide_and_render` times the handler's pure part (policy, matcher, card, JSON body) alone.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use hingebot::config::{MatcherSettings, TipsSettings};
use hingebot::discord::messages::{decide, Incoming, Outcome};
use hingebot::discord::Bot;
use hingebot::store::Store;
use hingebot::{Assistant, KnowledgeBase};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const CHANNEL: u64 = 700_000_000_000_000_001;
const QUESTIONS: [&str; 4] = [
    "how do I hip hinge",
    "hinge vs squat",
    "how do I pick up a box from the floor",
    "my leg goes numb when I bend",
];

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn dispatch_to_reply(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_dir, db) = temp_db();
    let (fake, bot) = runtime.block_on(async {
        let fake = FakeDiscord::start().await;
        let bot = RunningBot::start(&fake, &db, settings()).await;
        (fake, bot)
    });
    let samples = Mutex::new(Vec::new());
    let mut n = 0usize;
    c.bench_function("dispatch_to_reply", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let content = format!("<@{BOT_ID}> {}", QUESTIONS[n % QUESTIONS.len()]);
                let message = payload::message(
                    CHANNEL,
                    Some(GUILD_ID),
                    payload::human(810 + n as u64 % 20),
                    &content,
                );
                let id = message["id"].clone();
                let latency = runtime.block_on(async {
                    let mark = fake.mark();
                    fake.push_dispatch("MESSAGE_CREATE", message);
                    let reply = fake
                        .expect_requests_after(
                            mark,
                            "the reply",
                            1,
                            |r| r.body["message_reference"]["message_id"] == id,
                            TIMEOUT,
                        )
                        .await
                        .remove(0);
                    let sent = fake
                        .last_sent("MESSAGE_CREATE")
                        .expect("the dispatch was sent");
                    reply.at.saturating_duration_since(sent)
                });
                samples.lock().unwrap().push(latency);
                total += latency;
            }
            total
        })
    });
    let mut samples = samples.into_inner().unwrap();
    if !samples.is_empty() {
        println!(
            "dispatch_to_reply: median {:?} over {} messages (target < 5 ms)",
            median(&mut samples),
            samples.len()
        );
    }
    runtime.block_on(async { bot.stop().await.unwrap() });
}

fn decide_and_render(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let kb = KnowledgeBase::bundled().unwrap();
    let assistant = Arc::new(Assistant::new(Arc::new(kb), MatcherSettings::default()));
    let bot = runtime
        .block_on(async {
            let store = Store::open_in_memory().await.unwrap();
            Bot::new(assistant, store, settings(), TipsSettings::default()).await
        })
        .unwrap();
    let mut n = 0usize;
    c.bench_function("decide_and_render", |b| {
        b.iter(|| {
            n += 1;
            let content = format!("<@{BOT_ID}> {}", QUESTIONS[n % QUESTIONS.len()]);
            let msg = Incoming {
                author_id: 810,
                author_is_bot: false,
                channel_id: CHANNEL,
                in_guild: true,
                in_safety_channel: false,
                mentions_bot: true,
                content: &content,
            };
            match decide(&bot.policy(BOT_ID), &msg, Instant::now()) {
                Outcome::Reply { card, .. } => serde_json::to_vec(&card.message()).unwrap().len(),
                _ => 0,
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = dispatch_to_reply, decide_and_render
}
criterion_main!(benches);
