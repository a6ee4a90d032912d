//! Component clicks: follow-up and "did you mean" buttons, 👍/👎 feedback, the `/topics` menus,
//! and the digest's "copy as KB stub" buttons.

use super::action::Action;
use super::render::{self, EntryStyle};
use super::{rest, Bot};
use crate::knowledge::Category;
use crate::store::Vote;
use poise::serenity_prelude as serenity;
use serenity::{ComponentInteractionDataKind, CreateInteractionResponse};

/// Discord wants an answer to a click within 3 seconds: a database that hangs must not cost it.
const VOTE_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn entry_response(bot: &Bot, id: &str) -> CreateInteractionResponse {
    let kb = bot.assistant.kb();
    let message = match kb.entry(id) {
        Some(entry) => {
            let style = if id == crate::safety::RED_FLAGS_ID {
                EntryStyle::RedFlag
            } else {
                EntryStyle::Answer
            };
            render::entry_card(entry, kb, &entry.related, style).interaction_message(true)
        }
        None => render::text_interaction(
            "That entry is no longer in the knowledge base. Try `/topics`.",
            true,
        ),
    };
    CreateInteractionResponse::Message(message)
}

fn first_value(interaction: &serenity::ComponentInteraction) -> Option<&str> {
    match &interaction.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.first().map(String::as_str),
        _ => None,
    }
}

/// Answers one component interaction (exactly one response), ignoring components that are not ours.
pub async fn handle(
    http: &serenity::Http,
    bot: &Bot,
    interaction: &serenity::ComponentInteraction,
) -> anyhow::Result<()> {
    let Some(action) = Action::parse(&interaction.data.custom_id) else {
        return Ok(());
    };
    let response = match action {
        Action::Show(id) => entry_response(bot, &id),
        Action::Entries => match first_value(interaction) {
            Some(id) => entry_response(bot, id),
            None => return Ok(()),
        },
        Action::Topics => {
            let kb = bot.assistant.kb();
            match first_value(interaction).and_then(Category::from_slug) {
                Some(category) => CreateInteractionResponse::UpdateMessage(
                    render::category_card(kb, category).interaction_message(true),
                ),
                None => return Ok(()),
            }
        }
        Action::Vote(vote, entry_id) => {
            let reply_id = interaction.message.id.get();
            let user_hash = bot.users.hash(interaction.user.id.get());
            let write = bot
                .store
                .record_vote(reply_id, &user_hash, &entry_id, vote, bot.today());
            let recorded = match tokio::time::timeout(VOTE_WRITE_TIMEOUT, write).await {
                Ok(recorded) => recorded.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the database did not answer within {} s",
                    VOTE_WRITE_TIMEOUT.as_secs()
                )),
            };
            let text = match (bot.write_failures.track("record a vote", recorded), vote) {
                (Ok(()), Vote::Up) => "Thanks! Glad it helped. 👍",
                (Ok(()), Vote::Down) => "Thanks for telling me. 👎 The people who keep me up to date will look at this answer.",
                (Err(_), _) => "Thanks! I could not save your vote just now (a problem on my side); please try again in a few minutes.",
            };
            CreateInteractionResponse::Message(render::text_interaction(text, true))
        }
        Action::KbStub(key) => super::digest::kb_stub_response(bot, &key).await?,
    };
    let sent = rest::with_retries("answering a button", bot.retry, || {
        interaction.create_response(http, response.clone())
    })
    .await;
    match sent {
        Ok(()) => {}
        // A retry after a timeout: the first response did arrive.
        Err(gave_up) if gave_up.attempts > 1 && rest::is_already_acknowledged(&gave_up.error) => {}
        Err(gave_up) => tracing::warn!(
            channel = interaction.channel_id.get(),
            "could not answer a button: {gave_up}"
        ),
    }
    Ok(())
}
