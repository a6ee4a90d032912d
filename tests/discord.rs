//! The Discord bot end to end: the real serenity/poise client against a fake Discord on 127.0.0.1.
//!
//! Each test starts the bot through `hingebot::discord::run` (what `hingebot run` calls, with
//! `discord.api_base` pointing at the fake), talks to it with gateway dispatches shaped like
//! Discord's documented objects, and asserts on the REST requests the bot sends back.

mod support;

use hingebot::config::DiscordSettings;
use hingebot::store::{Store, Vote};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use support::fake_discord::{withhold, FakeOptions};
use support::*;

const CHANNEL: u64 = 700_000_000_000_000_001;
const SAFETY_CHANNEL: u64 = 700_000_000_000_000_002;
const DM_CHANNEL: u64 = 700_000_000_000_000_003;
const ALICE: u64 = 800_000_000_000_000_001;
const BOB: u64 = 800_000_000_000_000_002;
/// How long "nothing happens" is watched for.
const QUIET: Duration = Duration::from_millis(600);

fn title_of(id: &str) -> String {
    kb().entry(id)
        .unwrap_or_else(|| panic!("entry {id}"))
        .title
        .clone()
}

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

fn guild_message(channel: u64, author: u64, content: &str) -> Value {
    payload::message(channel, Some(GUILD_ID), payload::human(author), content)
}

fn message_id(message: &Value) -> u64 {
    message["id"].as_str().unwrap().parse().unwrap()
}

fn assert_no_mentions_allowed(body: &Value) {
    assert_eq!(
        body["allowed_mentions"]["parse"],
        json!([]),
        "allowed_mentions.parse in {body}"
    );
    assert_eq!(body["allowed_mentions"]["users"], json!([]), "{body}");
    assert_eq!(body["allowed_mentions"]["roles"], json!([]), "{body}");
}

fn safety_settings() -> DiscordSettings {
    DiscordSettings {
        safety_channels: vec![SAFETY_CHANNEL],
        ..settings()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_with_a_question_gets_one_reply_with_the_right_entry_and_buttons() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            let question = guild_message(CHANNEL, ALICE, &mention("how do I hip hinge"));
            fake.push_dispatch("MESSAGE_CREATE", question.clone());
            let reply = fake
                .expect_request("the reply", |r| r.is_message_in(CHANNEL), TIMEOUT)
                .await;

            let kb = kb();
            let entry = kb.entry("how-to-hip-hinge").unwrap();
            assert_eq!(reply.embed_title(), Some(entry.title.as_str()));
            assert_eq!(
                reply.body["embeds"][0]["footer"]["text"],
                "Education, not medical advice. Was this helpful?"
            );
            assert_eq!(
                reply.body["message_reference"]["message_id"],
                json!(question["id"]),
                "a reply to the question"
            );
            let ids = reply.custom_ids();
            for related in entry.related.iter().take(3) {
                assert!(
                    ids.contains(&format!("hb:show:{related}")),
                    "follow-up {related} in {ids:?}"
                );
            }
            assert!(
                ids.contains(&"hb:vote:up:how-to-hip-hinge".to_string()),
                "{ids:?}"
            );
            assert!(
                ids.contains(&"hb:vote:down:how-to-hip-hinge".to_string()),
                "{ids:?}"
            );
            assert_no_mentions_allowed(&reply.body);

            fake.assert_no_request("a second message", |r| r.is_channel_message(), QUIET)
                .await;
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_off_topic_mention_gets_help_and_is_noted_for_curators_without_the_user() {
    let (_dir, db) = with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(CHANNEL, ALICE, &mention("What's for lunch?")),
            );
            let reply = fake
                .expect_request("the reply", |r| r.is_message_in(CHANNEL), TIMEOUT)
                .await;
            // Not an answer: no feedback buttons (at most "did you mean…" choices).
            let ids = reply.custom_ids();
            assert!(ids.iter().all(|id| id.starts_with("hb:show:")), "{ids:?}");
            assert_no_mentions_allowed(&reply.body);
        })
    })
    .await;

    let noted = Store::open(&db)
        .await
        .unwrap()
        .top_unanswered(0, 10)
        .await
        .unwrap();
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert!(noted[0].text.contains("lunch"), "{noted:?}");
    assert!(
        !noted[0].text.contains(&BOT_ID.to_string()) && !noted[0].text.contains(&ALICE.to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_gets_a_reply() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(
                    DM_CHANNEL,
                    None,
                    payload::human(ALICE),
                    "how do I hip hinge",
                ),
            );
            let reply = fake
                .expect_request("the DM reply", |r| r.is_message_in(DM_CHANNEL), TIMEOUT)
                .await;
            assert_eq!(
                reply.embed_title(),
                Some(title_of("how-to-hip-hinge").as_str())
            );
            assert_no_mentions_allowed(&reply.body);
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_safety_channel_off_topic_chat_gets_no_request_at_all_and_a_confident_question_a_reply(
) {
    with_bot(safety_settings(), |fake, _db| {
        Box::pin(async move {
            let before = fake.mark();

            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(SAFETY_CHANNEL, ALICE, "what's for lunch"),
            );
            fake.assert_no_request("any request after off-topic chat", |_| true, QUIET)
                .await;
            assert_eq!(
                fake.mark(),
                before,
                "not a single request:\n{}",
                fake.describe()
            );

            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(SAFETY_CHANNEL, ALICE, "how do I hip hinge"),
            );
            let reply = fake
                .expect_request(
                    "the unprompted answer",
                    |r| r.is_message_in(SAFETY_CHANNEL),
                    TIMEOUT,
                )
                .await;
            assert_eq!(
                reply.embed_title(),
                Some(title_of("how-to-hip-hinge").as_str())
            );
            assert_no_mentions_allowed(&reply.body);

            // Outside safety channels, unmentioned questions are left alone.
            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(CHANNEL, BOB, "how do I hip hinge"),
            );
            fake.assert_no_request(
                "a reply in an ordinary channel",
                |r| r.is_message_in(CHANNEL),
                QUIET,
            )
            .await;
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_from_a_bot_gets_nothing() {
    with_bot(safety_settings(), |fake, _db| {
        Box::pin(async move {
            let other_bot = payload::user(ALICE, "otherbot", true);

            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(
                    CHANNEL,
                    Some(GUILD_ID),
                    other_bot.clone(),
                    &mention("how do I hip hinge"),
                ),
            );
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(
                    SAFETY_CHANNEL,
                    Some(GUILD_ID),
                    other_bot,
                    "my leg goes numb when I bend",
                ),
            );
            fake.push_dispatch(
                "MESSAGE_CREATE",
                payload::message(
                    SAFETY_CHANNEL,
                    Some(GUILD_ID),
                    payload::bot_user(),
                    "how do I hip hinge",
                ),
            );
            fake.assert_no_request("a reply to a bot", |_| true, QUIET)
                .await;
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_flag_in_a_safety_channel_is_answered_unmentioned_and_even_on_cooldown() {
    with_bot(
        DiscordSettings {
            cooldown_seconds: 600,
            ..safety_settings()
        },
        |fake, _db| {
            Box::pin(async move {
                let red_flags = title_of("red-flags");

                fake.push_dispatch(
                    "MESSAGE_CREATE",
                    guild_message(SAFETY_CHANNEL, ALICE, "my leg goes numb when I bend"),
                );
                let first = fake
                    .expect_request(
                        "the red-flag reply",
                        |r| r.is_message_in(SAFETY_CHANNEL),
                        TIMEOUT,
                    )
                    .await;
                assert_eq!(
                    first.embed_title(),
                    Some(format!("⚠️ {red_flags}").as_str())
                );
                assert_eq!(first.body["embeds"][0]["color"], 0xc62828, "red");

                // Alice now asks something ordinary (answered, starting her cooldown), then a red flag again.
                let mark = fake.mark();
                fake.push_dispatch(
                    "MESSAGE_CREATE",
                    guild_message(CHANNEL, ALICE, &mention("how do I hip hinge")),
                );
                fake.expect_requests_after(
                    mark,
                    "the ordinary answer",
                    1,
                    |r| r.is_message_in(CHANNEL),
                    TIMEOUT,
                )
                .await;
                fake.push_dispatch(
                    "MESSAGE_CREATE",
                    guild_message(CHANNEL, ALICE, &mention("how do I hip hinge")),
                );
                fake.push_dispatch(
                    "MESSAGE_CREATE",
                    guild_message(CHANNEL, ALICE, &mention("my leg goes numb when I bend")),
                );
                let replies = fake
                    .expect_requests_after(
                        mark,
                        "the red flag on cooldown",
                        2,
                        |r| r.is_message_in(CHANNEL),
                        TIMEOUT,
                    )
                    .await;
                assert_eq!(
                    replies[1].embed_title(),
                    Some(format!("⚠️ {red_flags}").as_str())
                );
                fake.assert_no_request(
                    "a reply to the cooled-down question",
                    |r| r.is_message_in(CHANNEL),
                    QUIET,
                )
                .await;
            })
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_in_the_interaction_callback_and_buttons_show_entries_and_take_votes() {
    with_bot(settings(), |fake, db| {
        Box::pin(async move {
            let kb = kb();
            let entry = kb.entry("how-to-hip-hinge").unwrap();

            // /ask → an interaction callback (type 4) with the embed.
            let (ask_id, ask) = payload::ask("how do I hip hinge", CHANNEL, ALICE);
            fake.push_dispatch("INTERACTION_CREATE", ask);
            let callback = fake
                .expect_request(
                    "the /ask callback",
                    |r| r.is_callback(Some(ask_id)),
                    TIMEOUT,
                )
                .await;
            assert_eq!(callback.status, 204, "answered once");
            assert_eq!(callback.body["type"], 4);
            assert_eq!(callback.embed_title(), Some(entry.title.as_str()));
            assert_no_mentions_allowed(&callback.body["data"]);
            let ids = callback.custom_ids();
            let followup = &entry.related[0];
            assert!(ids.contains(&format!("hb:show:{followup}")), "{ids:?}");

            // A follow-up button → that entry, only for the clicker.
            let reply_message = payload::id();
            let (click_id, click) = payload::component(
                &format!("hb:show:{followup}"),
                None,
                reply_message,
                CHANNEL,
                Some(GUILD_ID),
                BOB,
            );
            fake.push_dispatch("INTERACTION_CREATE", click);
            let shown = fake
                .expect_request("the follow-up", |r| r.is_callback(Some(click_id)), TIMEOUT)
                .await;
            assert_eq!(shown.body["type"], 4);
            assert_eq!(shown.body["data"]["flags"], 64, "ephemeral");
            assert_eq!(
                shown.embed_title(),
                Some(kb.entry(followup).unwrap().title.as_str())
            );
            assert_no_mentions_allowed(&shown.body["data"]);

            // 👍 → one feedback row; 👎 by the same user on the same reply changes it.
            let store = Store::open(db).await.unwrap();
            let (up_id, up) = payload::component(
                "hb:vote:up:how-to-hip-hinge",
                None,
                reply_message,
                CHANNEL,
                Some(GUILD_ID),
                BOB,
            );
            fake.push_dispatch("INTERACTION_CREATE", up);
            let thanks = fake
                .expect_request(
                    "the vote acknowledgement",
                    |r| r.is_callback(Some(up_id)),
                    TIMEOUT,
                )
                .await;
            assert_eq!(thanks.body["data"]["flags"], 64, "ephemeral");
            let votes = store.votes_on_reply(reply_message).await.unwrap();
            assert_eq!(votes.len(), 1);
            assert_eq!(
                (votes[0].entry_id.as_str(), votes[0].vote),
                ("how-to-hip-hinge", Vote::Up)
            );
            assert!(
                !votes[0].user_hash.contains(&BOB.to_string()),
                "the user id is not stored"
            );

            let (down_id, down) = payload::component(
                "hb:vote:down:how-to-hip-hinge",
                None,
                reply_message,
                CHANNEL,
                Some(GUILD_ID),
                BOB,
            );
            fake.push_dispatch("INTERACTION_CREATE", down);
            fake.expect_request("the second vote", |r| r.is_callback(Some(down_id)), TIMEOUT)
                .await;
            let votes = store.votes_on_reply(reply_message).await.unwrap();
            assert_eq!(votes.len(), 1, "changed, not added");
            assert_eq!(votes[0].vote, Vote::Down);

            // Another user's vote is their own row.
            let (_, alice_up) = payload::component(
                "hb:vote:up:how-to-hip-hinge",
                None,
                reply_message,
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
            );
            let mark = fake.mark();
            fake.push_dispatch("INTERACTION_CREATE", alice_up);
            fake.expect_requests_after(mark, "Alice's vote", 1, |r| r.is_callback(None), TIMEOUT)
                .await;
            assert_eq!(store.votes_on_reply(reply_message).await.unwrap().len(), 2);

            assert!(
                fake.matching(|r| r.status == 400).is_empty(),
                "no interaction answered twice:\n{}",
                fake.describe()
            );
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_or_role_mentions_in_a_question_never_make_the_bot_ping() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            let mut message = guild_message(
                CHANNEL,
                ALICE,
                &format!("@everyone <@{BOT_ID}> how do I hinge <@&123456789012345678>"),
            );
            message["mention_roles"] = json!(["123456789012345678"]);
            fake.push_dispatch("MESSAGE_CREATE", message);
            let reply = fake
                .expect_request("the reply", |r| r.is_message_in(CHANNEL), TIMEOUT)
                .await;
            assert_no_mentions_allowed(&reply.body);
            assert_eq!(reply.body["allowed_mentions"]["replied_user"], false);

            let (ask_id, ask) = payload::ask("@everyone how do I hinge", CHANNEL, ALICE);
            fake.push_dispatch("INTERACTION_CREATE", ask);
            let callback = fake
                .expect_request(
                    "the /ask callback",
                    |r| r.is_callback(Some(ask_id)),
                    TIMEOUT,
                )
                .await;
            assert_no_mentions_allowed(&callback.body["data"]);

            for r in fake.matching(|r| r.is_channel_message() || r.is_callback(None)) {
                assert_no_mentions_allowed(r.message_body());
            }
        })
    })
    .await;
}

fn channels_command(sub: &str, channel: u64, user: u64, permissions: u64) -> (u64, Value) {
    payload::slash_command(
        "hingebot",
        json!([{"name": "channels", "type": 2, "options": [{"name": sub, "type": 1, "options": []}]}]),
        channel,
        Some(GUILD_ID),
        user,
        permissions,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_add_needs_manage_channels() {
    with_bot(settings(), |fake, db| {
        Box::pin(async move {
            let (id, add) = channels_command("add", CHANNEL, ALICE, permissions::MEMBER);
            fake.push_dispatch("INTERACTION_CREATE", add);
            let refused = fake
                .expect_request("the refusal", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(refused.body["data"]["flags"], 64, "ephemeral");
            let text = refused.body["data"]["content"].as_str().unwrap();
            assert!(text.contains("Manage Channels"), "{text}");
            assert!(
                Store::open(db)
                    .await
                    .unwrap()
                    .safety_channels()
                    .await
                    .unwrap()
                    .is_empty(),
                "nothing stored"
            );
            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(CHANNEL, BOB, "how do I hip hinge"),
            );
            fake.assert_no_request("an unprompted reply", |r| r.is_message_in(CHANNEL), QUIET)
                .await;

            let (id, list) = channels_command("list", CHANNEL, ALICE, permissions::MEMBER);
            fake.push_dispatch("INTERACTION_CREATE", list);
            let refused = fake
                .expect_request("the list refusal", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert!(refused.body["data"]["content"]
                .as_str()
                .unwrap()
                .contains("Manage Channels"));

            // A member with Manage Channels can.
            let (id, add) = channels_command(
                "add",
                CHANNEL,
                BOB,
                permissions::MEMBER | permissions::MANAGE_CHANNELS,
            );
            fake.push_dispatch("INTERACTION_CREATE", add);
            let done = fake
                .expect_request("the confirmation", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert!(
                done.body["data"]["content"]
                    .as_str()
                    .unwrap()
                    .starts_with("Done"),
                "{}",
                done.body
            );
            assert_no_mentions_allowed(&done.body["data"]);
            assert_eq!(
                Store::open(db)
                    .await
                    .unwrap()
                    .safety_channels()
                    .await
                    .unwrap(),
                vec![CHANNEL]
            );
            fake.push_dispatch(
                "MESSAGE_CREATE",
                guild_message(CHANNEL, BOB, "how do I hip hinge"),
            );
            fake.expect_request("an unprompted reply", |r| r.is_message_in(CHANNEL), TIMEOUT)
                .await;
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_the_bot_keeps_channels_and_feedback() {
    within(Duration::from_secs(90), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let manager = permissions::MEMBER | permissions::MANAGE_CHANNELS;

        let bot = RunningBot::start(&fake, &db, settings()).await;
        let (id, add) = channels_command("add", SAFETY_CHANNEL, BOB, manager);
        fake.push_dispatch("INTERACTION_CREATE", add);
        fake.expect_request("channel added", |r| r.is_callback(Some(id)), TIMEOUT)
            .await;
        let reply_message = payload::id();
        let (id, up) = payload::component(
            "hb:vote:up:wall-drill",
            None,
            reply_message,
            CHANNEL,
            Some(GUILD_ID),
            ALICE,
        );
        fake.push_dispatch("INTERACTION_CREATE", up);
        fake.expect_request("vote taken", |r| r.is_callback(Some(id)), TIMEOUT)
            .await;
        bot.stop().await.unwrap();

        let mark = fake.mark();
        let bot = RunningBot::start(&fake, &db, settings()).await;
        fake.push_dispatch(
            "MESSAGE_CREATE",
            guild_message(SAFETY_CHANNEL, BOB, "how do I hip hinge"),
        );
        fake.expect_requests_after(
            mark,
            "an unprompted answer in the kept channel",
            1,
            |r| r.is_message_in(SAFETY_CHANNEL),
            TIMEOUT,
        )
        .await;

        // The same user is recognised after the restart: their second click changes their vote.
        let (id, down) = payload::component(
            "hb:vote:down:wall-drill",
            None,
            reply_message,
            CHANNEL,
            Some(GUILD_ID),
            ALICE,
        );
        fake.push_dispatch("INTERACTION_CREATE", down);
        fake.expect_request("second vote", |r| r.is_callback(Some(id)), TIMEOUT)
            .await;
        let votes = Store::open(&db)
            .await
            .unwrap()
            .votes_on_reply(reply_message)
            .await
            .unwrap();
        assert_eq!(votes.len(), 1, "{votes:?}");
        assert_eq!(votes[0].vote, Vote::Down);

        let (id, list) = channels_command("list", CHANNEL, BOB, manager);
        fake.push_dispatch("INTERACTION_CREATE", list);
        let listed = fake
            .expect_request("the list", |r| r.is_callback(Some(id)), TIMEOUT)
            .await;
        let text = listed.body["data"]["content"].as_str().unwrap();
        assert!(text.contains(&format!("<#{SAFETY_CHANNEL}>")), "{text}");
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200_questions_from_20_users_is_answered_without_loss() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            let questions = [
                "how do I hip hinge",
                "hinge vs squat",
                "how do I lift a box from the floor",
                "what is the wall drill",
            ];

            let mark = fake.mark();
            let mut asked = HashMap::new();
            for i in 0..200u64 {
                let user = 810_000_000_000_000_000 + i % 20;
                let channel = CHANNEL + i % 3;
                let m = guild_message(channel, user, &mention(questions[(i % 4) as usize]));
                asked.insert(m["id"].as_str().unwrap().to_string(), channel);
                fake.push_dispatch("MESSAGE_CREATE", m);
            }
            let replies = fake
                .expect_requests_after(
                    mark,
                    "200 replies",
                    200,
                    |r| r.is_channel_message(),
                    Duration::from_secs(60),
                )
                .await;
            let mut answered = HashMap::new();
            for r in &replies {
                let to = r.body["message_reference"]["message_id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                *answered.entry(to.clone()).or_insert(0) += 1;
                assert_eq!(
                    r.path,
                    format!("/channels/{}/messages", asked[&to]),
                    "answered in the channel it was asked in"
                );
                assert!(r.embed_title().is_some());
            }
            assert_eq!(answered.len(), 200, "every question answered");
            assert!(answered.values().all(|&n| n == 1), "each exactly once");
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_allows_one_answer_per_user_per_channel_and_a_note_in_dms() {
    with_bot(
        DiscordSettings {
            cooldown_seconds: 600,
            ..settings()
        },
        |fake, _db| {
            Box::pin(async move {
                // 20 users ask 5 times each in one channel: each is answered once.
                let mark = fake.mark();
                for round in 0..5 {
                    for u in 0..20u64 {
                        let q = if round % 2 == 0 {
                            "how do I hip hinge"
                        } else {
                            "hinge vs squat"
                        };
                        fake.push_dispatch(
                            "MESSAGE_CREATE",
                            guild_message(CHANNEL, 820_000_000_000_000_000 + u, &mention(q)),
                        );
                    }
                }
                fake.expect_requests_after(
                    mark,
                    "20 replies",
                    20,
                    |r| r.is_message_in(CHANNEL),
                    TIMEOUT,
                )
                .await;
                fake.assert_no_request("a 21st reply", |r| r.is_message_in(CHANNEL), QUIET)
                    .await;
                assert_eq!(fake.matching(|r| r.is_message_in(CHANNEL)).len(), 20);

                // The same user in another channel has a fresh window.
                fake.push_dispatch(
                    "MESSAGE_CREATE",
                    guild_message(
                        SAFETY_CHANNEL,
                        820_000_000_000_000_000,
                        &mention("how do I hip hinge"),
                    ),
                );
                fake.expect_request(
                    "a reply in the other channel",
                    |r| r.is_message_in(SAFETY_CHANNEL),
                    TIMEOUT,
                )
                .await;

                // In a DM, a cooled-down user gets a short note.
                let dm =
                    |text: &str| payload::message(DM_CHANNEL, None, payload::human(ALICE), text);
                fake.push_dispatch("MESSAGE_CREATE", dm("how do I hip hinge"));
                fake.expect_request("the DM answer", |r| r.is_message_in(DM_CHANNEL), TIMEOUT)
                    .await;
                fake.push_dispatch("MESSAGE_CREATE", dm("hinge vs squat"));
                let note = fake
                    .expect_requests_after(
                        0,
                        "the cooldown note",
                        2,
                        |r| r.is_message_in(DM_CHANNEL),
                        TIMEOUT,
                    )
                    .await
                    .remove(1);
                let text = note.body["content"].as_str().unwrap();
                assert!(text.contains("600 s"), "{text}");
                assert!(
                    note.body["embeds"].as_array().is_none_or(|e| e.is_empty()),
                    "just a note"
                );
                assert_no_mentions_allowed(&note.body);
            })
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_tip_and_about_commands() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            let kb = kb();

            let (id, topics) = payload::slash_command(
                "topics",
                json!([]),
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
                permissions::MEMBER,
            );
            fake.push_dispatch("INTERACTION_CREATE", topics);
            let menu = fake
                .expect_request("the topics menu", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(menu.body["data"]["flags"], 64);
            assert_eq!(menu.custom_ids(), ["hb:topics"]);

            let menu_message = payload::id();
            let (id, pick) = payload::component(
                "hb:topics",
                Some(&["cues"]),
                menu_message,
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
            );
            fake.push_dispatch("INTERACTION_CREATE", pick);
            let category = fake
                .expect_request("the category", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(category.body["type"], 7, "updates the menu message");
            let options = &category.body["data"]["components"][0]["components"][0]["options"];
            assert_eq!(options[0]["value"], "how-to-hip-hinge", "{options}");

            let (id, pick) = payload::component(
                "hb:entries",
                Some(&["wall-drill"]),
                menu_message,
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
            );
            fake.push_dispatch("INTERACTION_CREATE", pick);
            let entry = fake
                .expect_request("the entry", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(entry.body["type"], 4);
            assert_eq!(entry.body["data"]["flags"], 64);
            assert_eq!(
                entry.embed_title(),
                Some(kb.entry("wall-drill").unwrap().title.as_str())
            );

            let (id, tip) = payload::slash_command(
                "tip",
                json!([]),
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
                permissions::MEMBER,
            );
            fake.push_dispatch("INTERACTION_CREATE", tip);
            let tip = fake
                .expect_request("the tip", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(
                tip.embed_title(),
                Some(hingebot::discord::render::TIP_TITLE)
            );
            let text = tip.body["data"]["embeds"][0]["description"]
                .as_str()
                .unwrap();
            assert!(
                kb.tips().iter().any(|t| t.text == text),
                "a tip from the knowledge base: {text}"
            );

            let (id, about) = payload::slash_command(
                "hingebot",
                json!([{"name": "about", "type": 1, "options": []}]),
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
                permissions::MEMBER,
            );
            fake.push_dispatch("INTERACTION_CREATE", about);
            let about = fake
                .expect_request("about", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            let text = about.body["data"]["embeds"][0]["description"]
                .as_str()
                .unwrap();
            assert!(
                text.contains(&hingebot::version_line(&kb))
                    && text.contains("Education, not medical advice"),
                "{text}"
            );
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_registers_its_commands_and_asks_for_the_intents_it_needs() {
    let settings = DiscordSettings {
        dev_guild_id: Some(GUILD_ID),
        ..settings()
    };
    with_bot(settings, |fake, _db| {
        Box::pin(async move {
            let wanted = intents::GUILDS
                | intents::GUILD_MESSAGES
                | intents::DIRECT_MESSAGES
                | intents::MESSAGE_CONTENT;
            assert_eq!(fake.intents() & wanted, wanted);
            let registered = fake
                .expect_request(
                    "guild command registration",
                    |r| r.method == "PUT" && r.path.ends_with("/commands"),
                    TIMEOUT,
                )
                .await;
            assert!(
                registered.path.contains(&format!("/guilds/{GUILD_ID}/")),
                "dev_guild_id registers in that guild: {}",
                registered.path
            );
            let names: Vec<&str> = registered
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                names,
                ["ask", "tip", "topics", "hingebot", "tips", "digest", "lift"]
            );
            let hingebot = &registered.body[3];
            let subs: Vec<&str> = hingebot["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap())
                .collect();
            assert_eq!(subs, ["about", "channels"]);
            // /tips is for channel managers only: hidden from everyone else (Manage Channels = 1 << 4).
            let tips = &registered.body[4];
            assert_eq!(tips["default_member_permissions"], "16", "{tips}");
            // /digest is for server managers only (Manage Server = 1 << 5).
            let digest = &registered.body[5];
            assert_eq!(digest["default_member_permissions"], "32", "{digest}");
            let subs: Vec<&str> = digest["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap())
                .collect();
            assert_eq!(subs, ["subscribe", "unsubscribe", "status"]);
            assert!(hingebot["default_member_permissions"].is_null());
            let identify = fake
                .expect_request("IDENTIFY", |r| r.is("WS", "IDENTIFY"), TIMEOUT)
                .await;
            assert_eq!(identify.body["token"], format!("Bot {TOKEN}"));
            assert!(
                fake.matching(|r| r.status == 404).is_empty(),
                "no unexpected calls:\n{}",
                fake.describe()
            );
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_message_content_intent_mentions_and_slash_commands_still_work() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start_with(FakeOptions {
            message_content_disallowed: true,
            ..FakeOptions::default()
        })
        .await;
        let (_dir, db) = temp_db();
        let bot = RunningBot::start(&fake, &db, safety_settings()).await;
        assert_eq!(
            fake.intents() & intents::MESSAGE_CONTENT,
            0,
            "reconnected without it"
        );

        fake.push_dispatch(
            "MESSAGE_CREATE",
            guild_message(CHANNEL, ALICE, &mention("how do I hip hinge")),
        );
        let reply = fake
            .expect_request(
                "the reply to a mention",
                |r| r.is_message_in(CHANNEL),
                TIMEOUT,
            )
            .await;
        assert_eq!(
            reply.embed_title(),
            Some(title_of("how-to-hip-hinge").as_str())
        );

        let (id, ask) = payload::ask("how do I hip hinge", CHANNEL, ALICE);
        fake.push_dispatch("INTERACTION_CREATE", ask);
        fake.expect_request("the /ask callback", |r| r.is_callback(Some(id)), TIMEOUT)
            .await;

        // Unprompted questions arrive without content, so the bot stays quiet.
        fake.push_dispatch(
            "MESSAGE_CREATE",
            guild_message(SAFETY_CHANNEL, ALICE, "how do I hip hinge"),
        );
        fake.assert_no_request(
            "an unprompted reply",
            |r| r.is_message_in(SAFETY_CHANNEL),
            QUIET,
        )
        .await;
        bot.stop().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_base_is_a_clear_error_not_a_connection_to_discord() {
    within(Duration::from_secs(30), async {
        let (_dir, db) = temp_db();
        let config = hingebot::config::Config {
            knowledge_dir: Some(knowledge_dir()),
            database: Some(db),
            discord: DiscordSettings {
                api_base: Some("http://127.0.0.1:9".to_string()),
                ..settings()
            },
            ..Default::default()
        };
        let token = hingebot::discord::Token::parse(TOKEN, "test").unwrap();
        let err = hingebot::discord::run(&config, token, std::future::pending())
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("discord.api_base http://127.0.0.1:9"),
            "{text}"
        );
        assert!(!text.contains(TOKEN), "{text}");
    })
    .await;
}

#[test]
fn the_fake_withholds_what_discord_would() {
    let plain = guild_message(CHANNEL, ALICE, "how do I hip hinge");
    let all = intents::GUILDS
        | intents::GUILD_MESSAGES
        | intents::DIRECT_MESSAGES
        | intents::MESSAGE_CONTENT;
    assert_eq!(
        withhold("MESSAGE_CREATE", plain.clone(), all).unwrap()["content"],
        "how do I hip hinge"
    );
    let no_content = all & !intents::MESSAGE_CONTENT;
    assert_eq!(
        withhold("MESSAGE_CREATE", plain.clone(), no_content).unwrap()["content"],
        ""
    );
    let mentioned = guild_message(CHANNEL, ALICE, &mention("hi"));
    assert_eq!(
        withhold("MESSAGE_CREATE", mentioned, no_content).unwrap()["content"],
        mention("hi")
    );
    assert!(withhold("MESSAGE_CREATE", plain, all & !intents::GUILD_MESSAGES).is_none());
    let dm = payload::message(DM_CHANNEL, None, payload::human(ALICE), "hi");
    assert!(withhold(
        "MESSAGE_CREATE",
        dm.clone(),
        all & !intents::DIRECT_MESSAGES
    )
    .is_none());
    assert_eq!(
        withhold("MESSAGE_CREATE", dm, no_content).unwrap()["content"],
        "hi",
        "DMs keep their content"
    );
}

#[tokio::test]
async fn the_fake_refuses_to_answer_an_interaction_twice() {
    within(Duration::from_secs(10), async {
        let fake = FakeDiscord::start().await;
        let addr = fake.api_base().trim_start_matches("http://").to_string();
        let post = |addr: String| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let body = r#"{"type":4,"data":{"content":"hi"}}"#;
            let req = format!(
                "POST /api/v10/interactions/1/tok/callback HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(req.as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        assert!(post(addr.clone()).await.starts_with("HTTP/1.1 204"));
        let second = post(addr).await;
        assert!(second.starts_with("HTTP/1.1 400") && second.contains("40060"), "{second}");
    })
    .await;
}

/// Message ids the helpers make are unique, so replies can be matched to questions.
#[test]
fn payload_ids_are_unique() {
    let a = guild_message(CHANNEL, ALICE, "x");
    let b = guild_message(CHANNEL, ALICE, "x");
    assert_ne!(message_id(&a), message_id(&b));
}

// ---------------------------------------------------------------- the built binary

/// Runs `hingebot run` as a user would: token in DISCORD_TOKEN, the fake as HINGEBOT_DISCORD_API_BASE.
fn hingebot_run(config: &std::path::Path, token: Option<&str>, api_base: &str) -> Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hingebot"));
    cmd.arg("run")
        .env("HINGEBOT_CONFIG", config)
        .env("HINGEBOT_DISCORD_API_BASE", api_base)
        .env("RUST_LOG", "debug")
        .env_remove("DISCORD_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(t) = token {
        cmd.env("DISCORD_TOKEN", t);
    }
    let mut child = cmd.spawn().expect("the hingebot binary starts");
    // Read both pipes while it runs: a debug log fills a pipe's buffer long before the exit, and
    // a child blocked writing its log answers nothing.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    Child(Some((child, stdout, stderr)))
}

/// Reads a pipe to its end on a thread of its own.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// A child process (with the threads reading its stdout and stderr) that is killed if the test
/// ends early.
#[allow(clippy::type_complexity)]
struct Child(
    Option<(
        std::process::Child,
        std::thread::JoinHandle<Vec<u8>>,
        std::thread::JoinHandle<Vec<u8>>,
    )>,
);

impl Child {
    fn id(&self) -> u32 {
        self.0.as_ref().expect("running").0.id()
    }

    /// Waits (off the runtime) for the process to exit, up to `limit`.
    async fn wait(mut self, limit: Duration) -> std::process::Output {
        let (mut child, stdout, stderr) = self.0.take().expect("waited once");
        let pid = child.id();
        let waiting = tokio::task::spawn_blocking(move || {
            let status = child.wait()?;
            Ok::<_, std::io::Error>(std::process::Output {
                status,
                stdout: stdout.join().unwrap_or_default(),
                stderr: stderr.join().unwrap_or_default(),
            })
        });
        match tokio::time::timeout(limit, waiting).await {
            Ok(out) => out.unwrap().unwrap(),
            Err(_) => {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                panic!("hingebot did not exit within {limit:?}");
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some((child, _, _)) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        "knowledge_dir = {:?}\ndatabase = {:?}\n\n[discord]\ncooldown_seconds = 0\n",
        knowledge_dir().display().to_string(),
        dir.join("hingebot.sqlite3").display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_binary_answers_through_the_api_base_and_stops_cleanly_on_sigterm() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path());
        let child = hingebot_run(&config, Some(TOKEN), &fake.api_base());

        fake.wait_until_ready(TIMEOUT).await;
        fake.push_dispatch(
            "MESSAGE_CREATE",
            guild_message(CHANNEL, ALICE, &mention("how do I hip hinge")),
        );
        let reply = fake
            .expect_request("the reply", |r| r.is_message_in(CHANNEL), TIMEOUT)
            .await;
        assert_eq!(
            reply.embed_title(),
            Some(title_of("how-to-hip-hinge").as_str())
        );

        let pid = child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait(TIMEOUT).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "clean exit; stderr:\n{stderr}");
        assert!(
            !stderr.contains(TOKEN) && !stderr.contains("fake.token"),
            "the token is never logged"
        );
        assert!(
            dir.path().join("hingebot.sqlite3").exists(),
            "the database was created"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_binary_without_a_token_says_how_to_set_it() {
    within(Duration::from_secs(30), async {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path());
        for (token, expected) in [(None, "DISCORD_TOKEN"), (Some("not-a-token"), "malformed")] {
            let child = hingebot_run(&config, token, &fake.api_base());
            let out = child.wait(TIMEOUT).await;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success());
            let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
            assert_eq!(errors.len(), 1, "one line: {stderr}");
            assert!(
                errors[0].contains(expected) && errors[0].contains("DISCORD_TOKEN"),
                "{stderr}"
            );
            assert!(!stderr.contains("not-a-token"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        assert!(fake.requests().is_empty(), "nothing was sent to Discord");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lift_evaluates_a_task_with_the_niosh_equation() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
            let (id, lift) = payload::slash_command(
                "lift",
                json!([
                    {"name": "load", "type": 3, "value": "15kg"},
                    {"name": "h", "type": 3, "value": "40cm"},
                    {"name": "v", "type": 3, "value": "30cm"},
                    {"name": "d", "type": 3, "value": "100cm"},
                    {"name": "a", "type": 3, "value": "30"},
                    {"name": "freq", "type": 3, "value": "2"},
                    {"name": "duration", "type": 4, "value": 0},
                    {"name": "coupling", "type": 4, "value": 1}
                ]),
                CHANNEL,
                Some(GUILD_ID),
                ALICE,
                permissions::MEMBER,
            );
            fake.push_dispatch("INTERACTION_CREATE", lift);
            let callback = fake
                .expect_request("the /lift callback", |r| r.is_callback(Some(id)), TIMEOUT)
                .await;
            assert_eq!(callback.body["type"], 4);
            assert_eq!(callback.embed_title(), Some("NIOSH lifting equation"));
            let description = callback.body["data"]["embeds"][0]["description"]
                .as_str()
                .unwrap_or_default();
            assert!(description.contains("RWL"), "{description}");
            assert!(description.contains("LI"), "{description}");
            assert_no_mentions_allowed(&callback.body["data"]);
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lift_reports_bad_input_in_its_own_words_to_the_asker_only() {
    with_bot(settings(), |fake, _db| {
        Box::pin(async move {
                let (id, lift) = payload::slash_command(
                    "lift",
                    json!([
                        {"name": "load", "type": 3, "value": "15kg"},
                        {"name": "h", "type": 3, "value": "40furlongs"},
                        {"name": "v", "type": 3, "value": "30cm"},
                        {"name": "d", "type": 3, "value": "100cm"},
                        {"name": "a", "type": 3, "value": "30"},
                        {"name": "freq", "type": 3, "value": "2"},
                        {"name": "duration", "type": 4, "value": 0},
                        {"name": "coupling", "type": 4, "value": 1}
                    ]),
                    CHANNEL,
                    Some(GUILD_ID),
                    ALICE,
                    permissions::MEMBER,
                );
                fake.push_dispatch("INTERACTION_CREATE", lift);
                let callback = fake
                    .expect_request("the /lift callback", |r| r.is_callback(Some(id)), TIMEOUT)
                    .await;
                assert_eq!(
                    callback.body["data"]["content"],
                    "I couldn't evaluate that lift: horizontal distance H: 40 furlongs is not a length; use cm or in"
                );
                assert_eq!(callback.body["data"]["flags"], 64, "only the asker sees it");
                assert_no_mentions_allowed(&callback.body["data"]);
        })
    })
    .await;
}
