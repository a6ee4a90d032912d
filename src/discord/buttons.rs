//! Component clicks: follow-up and "did you mean" buttons, 👍/👎 feedback, and the `/topics` menus.

use super::render::{self, EntryStyle};
use super::Bot;
use crate::knowledge::Category;
use crate::store::Vote;
use poise::serenity_prelude as serenity;
use serenity::{ComponentInteractionDataKind, CreateInteractionResponse};

/// What a component does, encoded in its custom id (`hb:` + action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show an entry to the clicker only (follow-ups, "did you mean", tip "more").
    Show(String),
    /// A vote on the reply the button is attached to.
    Vote(Vote, String),
    /// The `/topics` category menu.
    Topics,
    /// A category's entry menu.
    Entries,
}

const PREFIX: &str = "hb:";

impl Action {
    /// The custom id for this action.
    pub fn custom_id(&self) -> String {
        match self {
            Action::Show(id) => format!("{PREFIX}show:{id}"),
            Action::Vote(Vote::Up, id) => format!("{PREFIX}vote:up:{id}"),
            Action::Vote(Vote::Down, id) => format!("{PREFIX}vote:down:{id}"),
            Action::Topics => format!("{PREFIX}topics"),
            Action::Entries => format!("{PREFIX}entries"),
        }
    }

    /// Reads a custom id; `None` for ids that are not ours or are malformed.
    pub fn parse(custom_id: &str) -> Option<Action> {
        let rest = custom_id.strip_prefix(PREFIX)?;
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        if let Some(id) = rest.strip_prefix("show:") {
            return nonempty(id).map(Action::Show);
        }
        if let Some(id) = rest.strip_prefix("vote:up:") {
            return nonempty(id).map(|id| Action::Vote(Vote::Up, id));
        }
        if let Some(id) = rest.strip_prefix("vote:down:") {
            return nonempty(id).map(|id| Action::Vote(Vote::Down, id));
        }
        match rest {
            "topics" => Some(Action::Topics),
            "entries" => Some(Action::Entries),
            _ => None,
        }
    }
}

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
            let entry = entry_id.clone();
            bot.store
                .call(move |s| s.record_vote(reply_id, &user_hash, &entry, vote))
                .await?;
            let text = match vote {
                Vote::Up => "Thanks! Glad it helped. 👍",
                Vote::Down => "Thanks for telling me. 👎 The people who keep me up to date will look at this answer.",
            };
            CreateInteractionResponse::Message(render::text_interaction(text, true))
        }
    };
    interaction.create_response(http, response).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        for action in [
            Action::Show("wall-drill".into()),
            Action::Vote(Vote::Up, "wall-drill".into()),
            Action::Vote(Vote::Down, "how-to-hip-hinge".into()),
            Action::Topics,
            Action::Entries,
        ] {
            assert_eq!(Action::parse(&action.custom_id()), Some(action));
        }
    }

    #[test]
    fn foreign_or_malformed_ids_are_ignored() {
        for id in [
            "",
            "show:x",
            "hb:show:",
            "hb:vote:sideways:x",
            "hb:vote:up:",
            "other:topics",
            "hb:nope",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
    }
}
