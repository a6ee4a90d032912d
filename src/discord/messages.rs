//! Plain messages: answers mentions and DMs, and confident questions or red flags in safety channels.
//!
//! [`decide`] is the whole policy (who is answered, cooldowns, thresholds) and does no I/O. It is
//! [`trigger`] (cheap: is the message for the bot at all?), the assistant's reply, then
//! [`decide_with`] (what to send, given that reply). [`handle`] runs the same three steps for a
//! serenity message, but computes the reply on tokio's blocking pool ([`reply_off_runtime`]): the
//! sentence encoder takes milliseconds of CPU, which must not hold up an async worker thread.

use super::cooldown::Cooldowns;
use super::render::{self, Asked, Card};
use super::{rest, Bot};
use crate::config::DiscordSettings;
use crate::usage::ChannelKind;
use crate::{Assistant, Reply, ReplyKind};
use poise::serenity_prelude as serenity;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::Semaphore;

/// The parts of a message the policy looks at.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub author_id: u64,
    /// Bots, webhooks and system users.
    pub author_is_bot: bool,
    pub channel_id: u64,
    /// `false` in a DM.
    pub in_guild: bool,
    /// The channel is one where the bot answers unprompted.
    pub in_safety_channel: bool,
    /// The bot is among the mentioned users.
    pub mentions_bot: bool,
    pub content: &'a str,
}

/// What the policy reads besides the message: the assistant, the adapter's settings and the
/// cooldowns it starts.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    pub assistant: &'a Assistant,
    pub settings: &'a DiscordSettings,
    pub cooldowns: &'a Cooldowns,
    /// The bot's own user id: its mention is removed and its own messages ignored.
    pub bot_id: u64,
}

/// Why the bot is looking at a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Dm,
    Mention,
    SafetyChannel,
}

impl Trigger {
    /// The channel kind a reply to this message is counted under.
    pub fn channel_kind(self) -> ChannelKind {
        match self {
            Trigger::Dm => ChannelKind::Dm,
            Trigger::Mention => ChannelKind::Mention,
            Trigger::SafetyChannel => ChannelKind::SafetyChannel,
        }
    }
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Send nothing.
    Ignore,
    /// Answer with this card; `unanswered` is set when `question` should be noted for curators.
    Reply {
        card: Card,
        reply: Box<Reply>,
        trigger: Trigger,
        /// The message without the bot's mention: what the assistant was asked.
        question: String,
        unanswered: bool,
    },
    /// A cooled-down user in a DM: a short note.
    CooldownNote(String),
}

/// Removes the bot's own mention (`<@id>` or `<@!id>`) from a message.
pub fn strip_mention(content: &str, bot_id: u64) -> String {
    content
        .replace(&format!("<@{bot_id}>"), " ")
        .replace(&format!("<@!{bot_id}>"), " ")
        .trim()
        .to_string()
}

/// Why the bot would look at a message, or `None` when it ignores it unread: messages from bots
/// (itself included), and guild messages that neither mention it nor are in a safety channel.
/// Cheap: nothing is matched.
pub fn trigger(msg: &Incoming<'_>, bot_id: u64) -> Option<Trigger> {
    if msg.author_is_bot || msg.author_id == bot_id {
        None
    } else if !msg.in_guild {
        Some(Trigger::Dm)
    } else if msg.mentions_bot {
        Some(Trigger::Mention)
    } else if msg.in_safety_channel {
        Some(Trigger::SafetyChannel)
    } else {
        None
    }
}

/// Decides how to answer one message, computing the reply on the calling thread: [`trigger`],
/// the assistant's reply to the message without the bot's mention, then [`decide_with`].
/// Starts the sender's cooldown when it answers.
pub fn decide(policy: &Policy<'_>, msg: &Incoming<'_>, now: Instant) -> Outcome {
    let Some(trigger) = trigger(msg, policy.bot_id) else {
        return Outcome::Ignore;
    };
    let question = strip_mention(msg.content, policy.bot_id);
    let reply = policy.assistant.reply(&question);
    decide_with(policy, msg, trigger, question, reply, now)
}

/// The rest of [`decide`] once the reply is known: `question` is the message without the bot's
/// mention and `reply` the assistant's reply to it. Starts the sender's cooldown when it answers.
pub fn decide_with(
    policy: &Policy<'_>,
    msg: &Incoming<'_>,
    trigger: Trigger,
    question: String,
    reply: Reply,
    now: Instant,
) -> Outcome {
    // A warning, or a caution about what may be an injury, reaches the person whatever else holds.
    let must_answer = reply.always_answered();

    let asked = if trigger == Trigger::SafetyChannel {
        let confident = reply.kind == ReplyKind::Answer
            && reply.score >= policy.settings.channel_answer_threshold;
        if !(must_answer || confident) {
            return Outcome::Ignore;
        }
        Asked::Unprompted
    } else {
        Asked::Directly
    };

    // Red flags and cautions are always answered, cooldown or not.
    if !must_answer
        && !policy
            .cooldowns
            .try_start((msg.author_id, msg.channel_id), now)
    {
        return match trigger {
            Trigger::Dm => {
                Outcome::CooldownNote(render::cooldown_note(policy.settings.cooldown_seconds))
            }
            _ => Outcome::Ignore,
        };
    }
    match render::reply_card(&reply, policy.assistant.kb(), asked) {
        Some(card) => Outcome::Reply {
            card,
            unanswered: asked == Asked::Directly && reply.is_unanswered(),
            reply: Box::new(reply),
            trigger,
            question,
        },
        None => Outcome::Ignore,
    }
}

/// Reads a serenity message into the policy's terms; `in_safety_channel` is the bot's own setting
/// for the message's channel.
pub fn incoming<'a>(
    msg: &'a serenity::Message,
    bot_id: serenity::UserId,
    in_safety_channel: bool,
) -> Incoming<'a> {
    Incoming {
        author_id: msg.author.id.get(),
        author_is_bot: msg.author.bot || msg.author.system || msg.webhook_id.is_some(),
        channel_id: msg.channel_id.get(),
        in_guild: msg.guild_id.is_some(),
        in_safety_channel,
        mentions_bot: msg.mentions.iter().any(|u| u.id == bot_id),
        content: &msg.content,
    }
}

/// Handles one `MESSAGE_CREATE`: decides, then sends at most one message.
pub async fn handle(
    http: &serenity::Http,
    bot: &Bot,
    bot_id: serenity::UserId,
    msg: &serenity::Message,
) -> anyhow::Result<()> {
    if !matches!(
        msg.kind,
        serenity::MessageType::Regular | serenity::MessageType::InlineReply
    ) {
        return Ok(());
    }
    let in_safety_channel = bot.is_safety_channel(msg.channel_id.get());
    let incoming = incoming(msg, bot_id, in_safety_channel);
    // Chatter not meant for the bot is dropped before anything is matched.
    let Some(trigger) = trigger(&incoming, bot_id.get()) else {
        return Ok(());
    };
    let question = strip_mention(&msg.content, bot_id.get());
    let reply = reply_off_runtime(&bot.assistant, &question).await?;
    let outcome = decide_with(
        &bot.policy(bot_id.get()),
        &incoming,
        trigger,
        question,
        reply,
        Instant::now(),
    );
    match outcome {
        Outcome::Ignore => Ok(()),
        Outcome::CooldownNote(text) => {
            send_answer(http, bot, msg, render::text_message(&text)).await;
            Ok(())
        }
        Outcome::Reply {
            card,
            reply,
            trigger,
            question,
            unanswered,
        } => {
            tracing::debug!(kind = ?reply.kind, entry = ?reply.entry, ?trigger, "answering a message");
            let message = card.message().reference_message((msg.channel_id, msg.id));
            // Counted once Discord has it: a reply that could not be sent is not one.
            if send_answer(http, bot, msg, message).await {
                bot.count_reply(&reply, trigger.channel_kind()).await;
            }
            if unanswered {
                bot.note_unanswered(&question, msg.author.id.get()).await;
            }
            Ok(())
        }
    }
}

/// The assistant's reply to `question`, computed on tokio's blocking pool rather than on the
/// async worker thread that awaits it: a reply encodes the message with the sentence model
/// (milliseconds of CPU), and the workers must stay free for the gateway, REST calls and timers.
/// At most one reply per core is computed at once; the others wait their turn, first come first
/// served, rather than hundreds of blocking threads sharing the cores with the workers under a
/// burst. Fails only if the reply panicked.
pub async fn reply_off_runtime(
    assistant: &Arc<Assistant>,
    question: &str,
) -> anyhow::Result<Reply> {
    let _slot = reply_slots()
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("computing a reply failed: {e}"))?;
    let assistant = Arc::clone(assistant);
    let question = question.to_string();
    tokio::task::spawn_blocking(move || assistant.reply(&question))
        .await
        .map_err(|e| anyhow::anyhow!("computing a reply failed: {e}"))
}

/// The process's reply slots, one per core ([`reply_off_runtime`]).
fn reply_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Sends the one message answering `msg`, again after a server error or a timeout (a bounded
/// number of times, then logs that it gave up). Its nonce is the asker's message id, so a retry
/// of a send that did reach Discord gets the first answer back instead of posting a second.
/// Whether the answer was sent.
async fn send_answer(
    http: &serenity::Http,
    bot: &Bot,
    msg: &serenity::Message,
    answer: serenity::CreateMessage,
) -> bool {
    let answer = answer
        .nonce(serenity::Nonce::String(msg.id.to_string()))
        .enforce_nonce(true);
    let sent = rest::with_retries("answering a message", bot.retry, || {
        msg.channel_id.send_message(http, answer.clone())
    })
    .await;
    match sent {
        Ok(_) => true,
        Err(gave_up) => {
            tracing::warn!(
                channel = msg.channel_id.get(),
                message = msg.id.get(),
                "could not answer a message: {gave_up}"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MatcherSettings, TipsSettings};
    use crate::store::Store;
    use crate::{Assistant, KnowledgeBase};
    use std::sync::Arc;
    use std::time::Duration;

    const BOT: u64 = 1;
    const SAFETY: u64 = 50;

    async fn bot(cooldown_seconds: u64) -> Arc<Bot> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let kb = KnowledgeBase::load(&dir).unwrap();
        let assistant = Arc::new(Assistant::new(Arc::new(kb), MatcherSettings::default()));
        let settings = DiscordSettings {
            safety_channels: vec![SAFETY],
            cooldown_seconds,
            ..DiscordSettings::default()
        };
        Bot::new(
            assistant,
            Store::open_in_memory().await.unwrap(),
            settings,
            TipsSettings::default(),
        )
        .await
        .unwrap()
    }

    fn msg(channel: u64, in_guild: bool, mentions_bot: bool, content: &str) -> Incoming<'_> {
        Incoming {
            author_id: 7,
            author_is_bot: false,
            channel_id: channel,
            in_guild,
            in_safety_channel: channel == SAFETY,
            mentions_bot,
            content,
        }
    }

    fn decide(bot: &Bot, msg: &Incoming<'_>, now: Instant) -> Outcome {
        super::decide(&bot.policy(BOT), msg, now)
    }

    fn kind(outcome: &Outcome) -> Option<ReplyKind> {
        match outcome {
            Outcome::Reply { reply, .. } => Some(reply.kind),
            _ => None,
        }
    }

    #[tokio::test]
    async fn bots_and_the_bot_itself_are_never_answered() {
        let bot = bot(0).await;
        let now = Instant::now();
        let mut m = msg(10, true, true, "<@1> how do I hip hinge");
        m.author_is_bot = true;
        assert_eq!(decide(&bot, &m, now), Outcome::Ignore);
        let mut m = msg(10, false, false, "how do I hip hinge");
        m.author_id = BOT;
        assert_eq!(decide(&bot, &m, now), Outcome::Ignore);
    }

    #[tokio::test]
    async fn unmentioned_messages_are_answered_only_in_safety_channels_and_only_when_confident() {
        let bot = bot(0).await;
        let now = Instant::now();
        assert_eq!(
            decide(&bot, &msg(10, true, false, "how do I hip hinge"), now),
            Outcome::Ignore
        );
        assert_eq!(
            decide(&bot, &msg(SAFETY, true, false, "what's for lunch"), now),
            Outcome::Ignore
        );
        assert_eq!(
            kind(&decide(
                &bot,
                &msg(SAFETY, true, false, "how do I hip hinge"),
                now
            )),
            Some(ReplyKind::Answer)
        );
        assert_eq!(
            kind(&decide(
                &bot,
                &msg(SAFETY, true, false, "my leg goes numb when I bend"),
                now
            )),
            Some(ReplyKind::RedFlag)
        );
    }

    #[tokio::test]
    async fn a_direct_off_topic_question_gets_help_and_is_noted() {
        let bot = bot(0).await;
        match decide(
            &bot,
            &msg(10, true, true, "<@1> what's for lunch"),
            Instant::now(),
        ) {
            Outcome::Reply {
                reply,
                unanswered,
                trigger,
                ..
            } => {
                assert!(
                    matches!(reply.kind, ReplyKind::Abstain | ReplyKind::Suggest),
                    "{reply:?}"
                );
                assert!(unanswered);
                assert_eq!(trigger, Trigger::Mention);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn on_cooldown_a_dm_gets_a_note_a_channel_nothing_and_red_flags_still_go_through() {
        let bot = bot(30).await;
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(5);
        assert!(kind(&decide(
            &bot,
            &msg(20, false, false, "how do I hip hinge"),
            t0
        ))
        .is_some());
        assert!(matches!(
            decide(&bot, &msg(20, false, false, "hinge vs squat"), later),
            Outcome::CooldownNote(_)
        ));
        assert!(kind(&decide(
            &bot,
            &msg(10, true, true, "<@1> how do I hip hinge"),
            t0
        ))
        .is_some());
        assert_eq!(
            decide(&bot, &msg(10, true, true, "<@1> hinge vs squat"), later),
            Outcome::Ignore
        );
        assert_eq!(
            kind(&decide(
                &bot,
                &msg(10, true, true, "<@1> my leg goes numb when I bend"),
                later
            )),
            Some(ReplyKind::RedFlag)
        );
        assert!(kind(&decide(
            &bot,
            &msg(10, true, true, "<@1> hinge vs squat"),
            t0 + Duration::from_secs(30)
        ))
        .is_some());
    }

    #[test]
    fn only_dms_mentions_and_safety_channels_trigger_a_reply() {
        assert_eq!(
            trigger(&msg(20, false, false, "hinge?"), BOT),
            Some(Trigger::Dm)
        );
        assert_eq!(
            trigger(&msg(10, true, true, "<@1> hinge?"), BOT),
            Some(Trigger::Mention)
        );
        assert_eq!(
            trigger(&msg(SAFETY, true, false, "hinge?"), BOT),
            Some(Trigger::SafetyChannel)
        );
        assert_eq!(trigger(&msg(10, true, false, "hinge?"), BOT), None);
        let mut m = msg(20, false, true, "<@1> hinge?");
        m.author_is_bot = true;
        assert_eq!(trigger(&m, BOT), None);
        let mut m = msg(20, false, false, "hinge?");
        m.author_id = BOT;
        assert_eq!(trigger(&m, BOT), None);
    }

    #[tokio::test]
    async fn a_reply_computed_on_the_blocking_pool_is_decided_as_decide_does() {
        let bot = bot(0).await;
        let now = Instant::now();
        for m in [
            msg(10, true, true, "<@1> how do I hip hinge"),
            msg(SAFETY, true, false, "what's for lunch"),
            msg(SAFETY, true, false, "my leg goes numb when I bend"),
        ] {
            let trigger = trigger(&m, BOT).expect("meant for the bot");
            let question = strip_mention(m.content, BOT);
            let reply = reply_off_runtime(&bot.assistant, &question).await.unwrap();
            assert_eq!(reply, bot.assistant.reply(&question));
            let outcome = decide_with(&bot.policy(BOT), &m, trigger, question, reply, now);
            assert_eq!(outcome, decide(&bot, &m, now), "{}", m.content);
        }
    }

    #[test]
    fn the_bots_mention_is_removed_in_both_forms() {
        assert_eq!(strip_mention("<@42> how do I hinge", 42), "how do I hinge");
        assert_eq!(strip_mention("hey <@!42>, hinge?", 42), "hey  , hinge?");
        assert_eq!(
            strip_mention("<@7> hinge", 42),
            "<@7> hinge",
            "other people's mentions stay"
        );
    }
}
