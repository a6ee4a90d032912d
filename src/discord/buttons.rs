//! Component clicks: follow-up and "did you mean" buttons, 👍/👎 feedback, the `/topics` menus,
//! and the digest's "copy as KB stub" buttons.

use super::action::Action;
use super::render::{self, EntryStyle};
use super::Bot;
use crate::knowledge::Category;
use crate::store::Vote;
use poise::serenity_prelude as serenity;
use serenity::{ComponentInteractionDataKind, CreateInteractionResponse};

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
            bot.store
                .record_vote(reply_id, &user_hash, &entry_id, vote, bot.today())
                .await?;
            let text = match vote {
                Vote::Up => "Thanks! Glad it helped. 👍",
                Vote::Down => "Thanks for telling me. 👎 The people who keep me up to date will look at this answer.",
            };
            CreateInteractionResponse::Message(render::text_interaction(text, true))
        }
        Action::KbStub(key) => super::digest::kb_stub_response(bot, &key).await?,
    };
    interaction.create_response(http, response).await?;
    Ok(())
}
