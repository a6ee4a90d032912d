//! The weekly digest end to end, in paused tokio time: a simulated week of traffic through the
//! fake Discord (mentions, DMs, a safety channel, `/ask`, 👎 votes, daily tips), then exactly one
//! digest post on Monday morning with the week's figures and the chart attached, even though the
//! bot is stopped in the middle of posting it and started again; and afterwards, a database that
//! holds no user id and no message text outside the unanswered questions, and those masked.
//!
//! Everything the bot decides is recomputed here with the same [`Assistant`], so the expected
//! figures follow the knowledge base and the matcher rather than being written down.

mod support;

use hingebot::config::{DigestSettings, ReportSettings};
use hingebot::daily_tips::{Clock, TokioClock};
use hingebot::discord::messages::strip_mention;
use hingebot::privacy::storable_question;
use hingebot::report::digest::kb_stub_action;
use hingebot::store::Store;
use hingebot::tips::TipSchedule;
use hingebot::usage::{Change, ChannelKind, Outcome};
use hingebot::Assistant;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::fake_discord::FakeOptions;
use support::*;

const DIGEST: u64 = 720_000_000_000_000_001;
const TALK: u64 = 720_000_000_000_000_002;
const SAFETY: u64 = 720_000_000_000_000_003;
const DM: u64 = 720_000_000_000_000_004;
const TIPS: u64 = 720_000_000_000_000_005;
const PEOPLE: [u64; 3] = [
    830_000_000_000_000_001,
    830_000_000_000_000_002,
    830_000_000_000_000_003,
];
const ZONE: &str = "Europe/Berlin";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

const HINGE: &str = "how do I hip hinge";
const LUNCH: &str = "What's for lunch in the canteen today?";
const PERSONAL: &str = "my email is jo.smith@example.com, text me on 07700 900123 about parking";
const WEIGHT: &str = "how much weight can I lift at work";
const STRAIN: &str = "I tweaked my back lifting a box yesterday, it's a bit stiff";
const NUMB: &str = "my leg goes numb when I bend";
const VERSUS: &str = "hinge vs squat";

/// Where a message goes in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Mention,
    Dm,
    Safety,
    Slash,
}

impl Via {
    fn channel_kind(self) -> ChannelKind {
        match self {
            Via::Mention => ChannelKind::Mention,
            Via::Dm => ChannelKind::Dm,
            Via::Safety => ChannelKind::SafetyChannel,
            Via::Slash => ChannelKind::Slash,
        }
    }
}

/// One day's traffic: (via, who, text).
fn traffic(day: usize) -> Vec<(Via, u64, &'static str)> {
    let mut messages = vec![
        (Via::Mention, PEOPLE[0], HINGE),
        // Asked by two different people over the week: the digest may show it.
        (Via::Mention, PEOPLE[day % 2], LUNCH),
        (Via::Dm, PEOPLE[2], WEIGHT),
        (Via::Slash, PEOPLE[1], VERSUS),
    ];
    if day == 0 {
        // Asked by one person, with personal data: stored masked, never shown.
        messages.push((Via::Dm, PEOPLE[2], PERSONAL));
    }
    if day == 3 {
        messages.push((Via::Mention, PEOPLE[1], STRAIN));
    }
    if day == 1 || day == 3 {
        messages.push((Via::Safety, PEOPLE[1], NUMB));
    }
    messages
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The assistant the bot builds from `support::config`.
fn assistant() -> Assistant {
    let config = hingebot::config::Config {
        knowledge_dir: Some(support::knowledge_dir()),
        matcher: support::matcher(),
        ..hingebot::config::Config::default()
    };
    hingebot::setup::load_assistant(&config).unwrap()
}

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// Sends one message the way `via` says and waits for the bot's answer.
async fn send(fake: &FakeDiscord, via: Via, who: u64, text: &str) -> Recorded {
    let mark = fake.mark();
    let what = format!("the answer to {text:?} by {via:?}");
    match via {
        Via::Mention => {
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(TALK, Some(GUILD_ID), payload::human(who), &mention(text)),
            );
            fake.expect_requests_after(mark, &what, 1, |r| r.is_message_in(TALK), TIMEOUT)
                .await
                .remove(0)
        }
        Via::Dm => {
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(DM, None, payload::human(who), text),
            );
            fake.expect_requests_after(mark, &what, 1, |r| r.is_message_in(DM), TIMEOUT)
                .await
                .remove(0)
        }
        Via::Safety => {
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(SAFETY, Some(GUILD_ID), payload::human(who), text),
            );
            fake.expect_requests_after(mark, &what, 1, |r| r.is_message_in(SAFETY), TIMEOUT)
                .await
                .remove(0)
        }
        Via::Slash => {
            let (id, interaction) = payload::ask(text, TALK, who);
            fake.push_dispatch("INTERACTION_CREATE", interaction);
            fake.expect_requests_after(mark, &what, 1, |r| r.is_callback(Some(id)), TIMEOUT)
                .await
                .remove(0)
        }
    }
}

/// Clicks a button of the bot's message and returns the bot's answer.
async fn click(fake: &FakeDiscord, custom_id: &str, message: &Recorded, who: u64) -> Recorded {
    let message_id: u64 = message.response["id"].as_str().unwrap().parse().unwrap();
    let channel: u64 = message.response["channel_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (id, interaction) =
        payload::component(custom_id, None, message_id, channel, Some(GUILD_ID), who);
    fake.push_dispatch("INTERACTION_CREATE", interaction);
    fake.expect_request(
        &format!("the answer to a click on {custom_id}"),
        |r| r.is_callback(Some(id)),
        TIMEOUT,
    )
    .await
}

/// Lets simulated time pass until `clock` reads `until`.
async fn pass_until(clock: &TokioClock, until: Timestamp) {
    let left = clock.now().duration_until(until);
    if left.is_positive() {
        tokio::time::sleep(left.unsigned_abs()).await;
    }
}

/// What the week should show, from the same assistant the bot answers with.
#[derive(Default)]
struct Expected {
    by_outcome: BTreeMap<Outcome, u64>,
    by_channel: BTreeMap<ChannelKind, u64>,
    topics: BTreeMap<String, u64>,
    /// Stored text → the people who asked it directly.
    unanswered: BTreeMap<String, Vec<u64>>,
}

impl Expected {
    fn count(&mut self, assistant: &Assistant, via: Via, who: u64, text: &str) {
        let reply = assistant.reply(text);
        let outcome = Outcome::of(&reply).expect("every test message is a question");
        if via == Via::Safety {
            assert_eq!(
                outcome,
                Outcome::RedFlag,
                "{text}: only warnings are answered unprompted here"
            );
        }
        *self.by_outcome.entry(outcome).or_default() += 1;
        *self.by_channel.entry(via.channel_kind()).or_default() += 1;
        if matches!(outcome, Outcome::Answer | Outcome::Caution) {
            *self
                .topics
                .entry(reply.entry.clone().unwrap_or_default())
                .or_default() += 1;
        }
        if reply.is_unanswered() && via != Via::Safety {
            let people = self.unanswered.entry(storable_question(text)).or_default();
            if !people.contains(&who) {
                people.push(who);
            }
        }
    }

    fn total(&self) -> u64 {
        self.by_outcome.values().sum()
    }

    fn of(&self, outcome: Outcome) -> u64 {
        self.by_outcome.get(&outcome).copied().unwrap_or(0)
    }
}

/// The text of the embed field whose name starts with `name`.
fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .and_then(|fields| {
            fields
                .iter()
                .find(|f| f["name"].as_str().is_some_and(|n| n.starts_with(name)))
        })
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name:?} in {embed}"))
}

/// The figure line `**name**: n · change` of the embed's description.
fn figure(embed: &Value, name: &str) -> String {
    let description = embed["description"].as_str().unwrap();
    description
        .lines()
        .find(|l| l.starts_with(&format!("**{name}**: ")))
        .unwrap_or_else(|| panic!("no figure {name:?} in {description}"))
        .to_string()
}

fn figure_line(name: &str, change: Change) -> String {
    format!("**{name}**: {} · {}", change.current, change.describe())
}

fn assert_png(post: &Recorded) {
    assert_eq!(post.files.len(), 1, "one attachment: {:?}", post.files);
    let file = &post.files[0];
    assert_eq!(file.field, "files[0]");
    assert!(file.filename.ends_with(".png"), "{}", file.filename);
    assert_eq!(file.content_type, "image/png");
    assert!(file.bytes.starts_with(PNG_SIGNATURE), "a PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(&file.bytes));
    let reader = decoder.read_info().expect("a PNG that decodes");
    assert_eq!(
        (reader.info().width, reader.info().height),
        hingebot::report::chart::SIZE
    );
    assert_eq!(
        post.body["embeds"][0]["image"]["url"],
        json!(format!("attachment://{}", file.filename))
    );
}

#[tokio::test(start_paused = true)]
async fn a_simulated_week_gives_one_digest_with_its_figures_and_chart_even_across_a_restart_mid_post(
) {
    within(Duration::from_secs(30 * 24 * 3600), async {
        let fake = FakeDiscord::start_with(FakeOptions {
            heartbeat_interval_ms: Some(3_600_000),
            ..FakeOptions::default()
        })
        .await;
        let (_dir, db) = temp_db();
        // Monday 2 March 2026, 10:00 in Berlin: just after that Monday's 09:00 digest time, which
        // is therefore not owed (the subscription is newer).
        let start = at("2026-03-02T09:00:00Z");
        let clock = TokioClock::starting_at(start);
        let week_start = jiff::civil::date(2026, 3, 2);

        // The week before, as an earlier run of the bot counted it; and a channel with daily tips.
        let seeded = Store::open(&db).await.unwrap();
        let mut previous = 0;
        for day in 0..7 {
            let date = week_start
                .checked_sub(jiff::Span::new().days(7 - day))
                .unwrap();
            for _ in 0..(day + 1) {
                seeded
                    .record_usage(
                        date,
                        Some("how-to-hip-hinge"),
                        Outcome::Answer,
                        ChannelKind::Mention,
                    )
                    .await
                    .unwrap();
                previous += 1;
            }
        }
        seeded
            .upsert_tip_subscription(
                TIPS,
                &TipSchedule::parse("08:30", ZONE, "everyday").unwrap(),
                start,
            )
            .await
            .unwrap();
        seeded.close().await.unwrap();
        drop(seeded);

        let mut config = config(
            &fake,
            &db,
            hingebot::config::DiscordSettings {
                safety_channels: vec![SAFETY],
                cooldown_seconds: 0,
                ..hingebot::config::DiscordSettings::default()
            },
        );
        config.report = ReportSettings {
            timezone: ZONE.to_string(),
            ..ReportSettings::default()
        };
        config.digest = DigestSettings {
            channel: Some(DIGEST),
            day: "mon".into(),
            time: "09:00".into(),
            timezone: None,
        };
        let bot = RunningBot::start_with_clock(&fake, config.clone(), Arc::new(clock)).await;

        // The week: every day at 10:00 Berlin, the day's questions; on Tuesday three 👎.
        let assistant = assistant();
        assert!(
            assistant.reply(LUNCH).is_unanswered() && assistant.reply(PERSONAL).is_unanswered(),
            "the test needs two questions the knowledge base does not answer"
        );
        let mut expected = Expected::default();
        let mut disliked = None;
        for day in 0..7 {
            pass_until(&clock, start + SignedDuration::from_hours(24 * day as i64)).await;
            for (via, who, text) in traffic(day) {
                expected.count(&assistant, via, who, text);
                let answer = send(&fake, via, who, text).await;
                if day == 1 && text == HINGE {
                    let entry = assistant.reply(text).entry.expect("an answer");
                    let down = format!("hb:vote:down:{entry}");
                    assert!(
                        answer.custom_ids().contains(&down),
                        "{:?}",
                        answer.custom_ids()
                    );
                    for person in PEOPLE {
                        let thanks = click(&fake, &down, &answer, person).await;
                        assert_eq!(thanks.body["data"]["flags"], 64);
                    }
                    disliked = Some(entry);
                }
            }
        }
        let disliked = disliked.expect("votes were cast");
        assert_eq!(
            strip_mention(&mention(HINGE), BOT_ID),
            HINGE,
            "the bot answers mentions without its own mention"
        );

        // Monday 9 March, 09:00 Berlin: the digest is sent, and Discord (the fake) takes it but
        // never answers. The bot is stopped while it waits, and started again.
        fake.stall_next_message_in(DIGEST);
        let due = at("2026-03-09T08:00:00Z");
        pass_until(&clock, due + SignedDuration::from_secs(5)).await;
        let first = fake
            .expect_request("the digest post", |r| r.is_message_in(DIGEST), TIMEOUT)
            .await;
        bot.stop_within(Duration::from_secs(120))
            .await
            .expect("a clean stop after the post in progress gave up");
        let stopped_at = clock.now();
        let claim = Store::open(&db)
            .await
            .unwrap()
            .latest_digest_claim(DIGEST)
            .await
            .unwrap()
            .expect("claimed");
        assert!(claim.is_pending(), "not confirmed sent: {claim:?}");
        let first_owner = claim.lease_owner.clone().expect("leased");

        let mark = fake.mark();
        let bot = RunningBot::start_with_clock(&fake, config, Arc::new(clock)).await;
        let again = fake
            .expect_requests_after(
                mark,
                "the digest sent again after the restart",
                1,
                |r| r.is_message_in(DIGEST),
                Duration::from_secs(600),
            )
            .await
            .remove(0);
        assert!(
            clock.now().duration_since(stopped_at) < SignedDuration::from_mins(5),
            "taken over once the first lease ran out"
        );
        // A few quiet hours: nothing more is posted.
        pass_until(&clock, due + SignedDuration::from_hours(6)).await;
        let posts = fake.matching(|r| r.is_message_in(DIGEST));
        assert_eq!(posts.len(), 2, "the stalled send and the take-over");
        assert_eq!(
            fake.created_messages(DIGEST),
            vec![first.response["id"].as_str().unwrap().to_string()],
            "exactly one digest message exists: the take-over got the first one back"
        );
        for post in [&first, &again] {
            assert_eq!(post.body["nonce"], first.body["nonce"]);
            assert_eq!(post.body["enforce_nonce"], true);
            assert_eq!(post.body["allowed_mentions"]["parse"], json!([]));
            assert_png(post);
        }
        let claim = Store::open(&db)
            .await
            .unwrap()
            .latest_digest_claim(DIGEST)
            .await
            .unwrap()
            .unwrap();
        assert!(claim.sent_at.is_some(), "{claim:?}");
        assert_eq!(
            claim.message_id.map(|id| id.to_string()),
            first.response["id"].as_str().map(str::to_string)
        );
        assert_ne!(claim.lease_owner.as_deref(), Some(first_owner.as_str()));
        assert_eq!(
            claim.tip_id, "2026-03-08",
            "the week Monday 2 to Sunday 8 March"
        );

        // The figures.
        let embed = &again.body["embeds"][0];
        assert!(
            embed["title"]
                .as_str()
                .unwrap()
                .contains("2 Mar 2026 – 8 Mar 2026"),
            "{embed}"
        );
        let change = |current| Change { current, previous };
        assert_eq!(
            figure(embed, "Questions"),
            figure_line("Questions", change(expected.total()))
        );
        assert_eq!(
            figure(embed, "Answered"),
            figure_line(
                "Answered",
                Change {
                    current: expected.of(Outcome::Answer) + expected.of(Outcome::Caution),
                    previous
                }
            )
        );
        for (name, outcome) in [
            ("Did you mean", Outcome::Suggest),
            ("Not answered", Outcome::Abstain),
        ] {
            assert_eq!(
                figure(embed, name),
                figure_line(
                    name,
                    Change {
                        current: expected.of(outcome),
                        previous: 0
                    }
                )
            );
        }
        assert_eq!(
            figure(embed, "Not helpful votes 👎"),
            figure_line(
                "Not helpful votes 👎",
                Change {
                    current: 3,
                    previous: 0
                }
            )
        );
        let red_flags = expected.of(Outcome::RedFlag);
        assert!(red_flags >= 2, "Tuesday's and Thursday's warning signs");
        assert!(
            field(embed, "Warning-sign replies").starts_with(&format!(
                "{red_flags} · {}",
                Change {
                    current: red_flags,
                    previous: 0
                }
                .describe()
            )),
            "{embed}"
        );
        assert!(
            field(embed, "Tips posted").starts_with("6 · up from 0"),
            "Tuesday to Sunday at 08:30 (Monday's was before the subscription): {embed}"
        );
        let kb = kb();
        let title = |id: &str| kb.entry(id).map(|e| e.title.clone()).unwrap();
        let (top, _) = expected
            .topics
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .unwrap();
        let topics = field(embed, "Top topics");
        assert!(
            topics.starts_with(&format!("1. {}: {}", title(top), expected.topics[top])),
            "{topics}"
        );
        assert!(
            field(embed, "Least helpful").contains(&format!("{}: 0 👍 / 3 👎", title(&disliked))),
            "{embed}"
        );

        // Unanswered: the lunch question (two people) is shown with its stub button; the one with
        // personal data (one person) is not, and nothing of it leaks.
        let lunch = storable_question(LUNCH);
        assert_eq!(expected.unanswered[&lunch].len(), 2);
        let unanswered = field(embed, "Could not answer");
        assert!(unanswered.contains("(2 people)"), "{unanswered}");
        assert!(
            unanswered.contains(&lunch.replace('[', "\\[").replace(']', "\\]")),
            "{unanswered}"
        );
        let body = again.body.to_string();
        for secret in ["jo.smith", "example.com", "07700", "parking", "[email]"] {
            assert!(!body.contains(secret), "{secret} in the digest");
        }
        let stub_id = kb_stub_action(&lunch);
        assert!(
            again.custom_ids().contains(&stub_id),
            "{:?}",
            again.custom_ids()
        );
        let stub = click(&fake, &stub_id, &again, PEOPLE[0]).await;
        let data = &stub.body["data"];
        assert_eq!(data["flags"], 64, "to the clicker only");
        let content = data["content"].as_str().unwrap();
        assert!(
            content.starts_with("```toml\n") && content.contains("[[entry]]"),
            "{content}"
        );
        assert!(content.contains(&format!("\"{lunch}\"")), "{content}");

        bot.stop().await.expect("a clean stop");

        // The database after the week: no user id and no message text, except the unanswered
        // questions, masked and normalized.
        assert_nothing_personal_is_stored(&db, &expected);
    })
    .await;
}

/// Reads every table and column of the SQLite file (and its raw bytes) for user ids and message
/// text: only `unanswered.text` may hold a question, in its stored form.
fn assert_nothing_personal_is_stored(db: &Path, expected: &Expected) {
    let raw_texts = [HINGE, LUNCH, PERSONAL, WEIGHT, STRAIN, NUMB, VERSUS];
    let mut bytes = std::fs::read(db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("sqlite3-wal")) {
        bytes.extend(wal);
    }
    let haystack = String::from_utf8_lossy(&bytes).to_lowercase();
    for person in PEOPLE {
        assert!(
            !haystack.contains(&person.to_string()),
            "user id {person} in the file"
        );
        let as_integer = (person as i64).to_be_bytes();
        assert!(
            !bytes.windows(8).any(|w| w == as_integer),
            "user id {person} stored as an integer"
        );
    }
    for text in raw_texts {
        assert!(
            !haystack.contains(&text.to_lowercase()),
            "{text:?} in the file"
        );
    }
    for secret in ["jo.smith", "example.com", "07700", "900123"] {
        assert!(!haystack.contains(secret), "{secret} in the file");
    }

    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let normalized: Vec<String> = raw_texts
        .iter()
        .map(|t| hingebot::matcher::normalize(t))
        .collect();
    let mut unanswered_texts = Vec::new();
    for table in &tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let rows: Vec<Vec<rusqlite::types::Value>> = stmt
            .query_map([], |r| (0..names.len()).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for row in rows {
            for (name, value) in names.iter().zip(row) {
                let rusqlite::types::Value::Text(text) = value else {
                    continue;
                };
                if table == "unanswered" && name == "text" {
                    unanswered_texts.push(text);
                    continue;
                }
                for n in &normalized {
                    assert!(
                        !text.contains(n.as_str()),
                        "{table}.{name} holds {n:?}: {text:?}"
                    );
                }
            }
        }
    }
    unanswered_texts.sort();
    unanswered_texts.dedup();
    let mut stored: Vec<String> = expected.unanswered.keys().cloned().collect();
    stored.sort();
    assert_eq!(
        unanswered_texts, stored,
        "only unanswered questions, as the store makes them"
    );
    assert!(
        stored
            .iter()
            .any(|t| t.contains("[email]") && t.contains("[phone]")),
        "the personal question is kept masked: {stored:?}"
    );
}

fn digest_command(sub: &str, options: Value, permissions: u64) -> (u64, Value) {
    payload::slash_command(
        "digest",
        json!([{"name": sub, "type": 1, "options": options}]),
        DIGEST,
        Some(GUILD_ID),
        PEOPLE[0],
        permissions,
    )
}

/// Sends an interaction and returns the text of the bot's ephemeral, mention-free answer.
async fn answer(fake: &FakeDiscord, (id, interaction): (u64, Value)) -> String {
    fake.push_dispatch("INTERACTION_CREATE", interaction);
    let reply = fake
        .expect_request("the answer", |r| r.is_callback(Some(id)), TIMEOUT)
        .await;
    let data = &reply.body["data"];
    assert_eq!(data["flags"], 64, "ephemeral: {data}");
    assert_eq!(data["allowed_mentions"]["parse"], json!([]));
    data["content"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_managers_subscribe_a_channel_to_the_digest_and_see_when_it_comes() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let mut config = config(&fake, &db, settings());
        config.report.timezone = ZONE.to_string();
        let bot = RunningBot::start_with_config(&fake, config).await;
        let manager = permissions::MEMBER | (1 << 5);

        let refused = answer(&fake, digest_command("subscribe", json!([]), permissions::MEMBER)).await;
        assert!(
            refused.contains("Manage Server") && refused.contains("weekly digest"),
            "{refused}"
        );
        let bad = answer(
            &fake,
            digest_command(
                "subscribe",
                json!([{"name": "day", "type": 3, "value": "weekdays"}]),
                manager,
            ),
        )
        .await;
        assert!(bad.contains("one day"), "{bad}");
        let status = answer(&fake, digest_command("status", json!([]), manager)).await;
        assert!(status.contains("no weekly digest"), "{status}");

        let done = answer(
            &fake,
            digest_command(
                "subscribe",
                json!([{"name": "day", "type": 3, "value": "friday"}, {"name": "time", "type": 3, "value": "16:00"}]),
                manager,
            ),
        )
        .await;
        assert!(done.starts_with("Done"), "{done}");
        assert!(
            done.contains("every Fri at 16:00 Europe/Berlin"),
            "the report's zone by default: {done}"
        );
        assert!(done.contains("Attach Files"), "{done}");
        let status = answer(&fake, digest_command("status", json!([]), manager)).await;
        assert!(status.contains("Next digest: Fri "), "{status}");
        assert!(status.contains("No digest has been posted"), "{status}");
        let gone = answer(&fake, digest_command("unsubscribe", json!([]), manager)).await;
        assert!(gone.starts_with("Done"), "{gone}");
        bot.stop().await.unwrap();

        let store = Store::open(&db).await.unwrap();
        assert_eq!(store.digest_subscription(DIGEST).await.unwrap(), None);
        assert!(store.tip_subscriptions().await.unwrap().is_empty());
    })
    .await;
}
