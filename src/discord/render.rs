//! Turns a core [`Reply`] (or an entry, tip or menu) into a Discord card: embed plus components.
//!
//! Pure functions over plain data ([`Card`]); only [`Card::embed`], [`Card::components`] and the
//! `*_message` helpers touch serenity's builders. Every Discord limit is enforced here, so no caller
//! can produce a request Discord would reject.

use super::action::Action;
use crate::knowledge::{Category, Entry, KnowledgeBase, Source, Tip};
use crate::safety::{Warning, CAUTION_MARK, WARNING_MARK};
use crate::{Reply, ReplyKind, DISCLAIMER};
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

/// Message content, in characters.
pub const MAX_CONTENT: usize = 2000;
/// Embed description, in characters.
pub const MAX_DESCRIPTION: usize = 4096;
/// Embed title, in characters.
pub const MAX_TITLE: usize = 256;
/// Embed footer, in characters.
pub const MAX_FOOTER: usize = 2048;
/// Button labels: Discord allows 80, but longer ones wrap badly on phones.
pub const MAX_LABEL: usize = 25;
/// Component custom ids, in characters.
pub const MAX_CUSTOM_ID: usize = 100;
/// Buttons in one action row.
pub const MAX_BUTTONS_PER_ROW: usize = 5;
/// Action rows in one message.
pub const MAX_ROWS: usize = 5;
/// Options in one select menu.
pub const MAX_OPTIONS: usize = 25;
/// Select option label and description, in characters.
pub const MAX_OPTION_TEXT: usize = 100;
/// Select menu placeholder, in characters.
pub const MAX_PLACEHOLDER: usize = 150;
/// Follow-up buttons under an answer.
pub const MAX_FOLLOWUPS: usize = 3;

/// Embed colours, by what the card is.
pub mod colour {
    pub const ANSWER: u32 = 0x2e7d32;
    pub const RED_FLAG: u32 = 0xc62828;
    pub const CAUTION: u32 = 0xef6c00;
    pub const SUGGEST: u32 = 0xf9a825;
    pub const INFO: u32 = 0x1565c0;
}

/// What a card looks like, independent of serenity's builders.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub colour: u32,
    pub footer: String,
    pub rows: Vec<Row>,
}

/// One action row.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Buttons(Vec<Button>),
    Select(Select),
}

/// A button that sends a component interaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub label: String,
    pub custom_id: String,
    pub emoji: Option<char>,
    pub primary: bool,
}

/// A string select menu.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub custom_id: String,
    pub placeholder: String,
    pub options: Vec<SelectOption>,
}

/// One select option.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectOption {
    pub label: String,
    pub value: String,
    pub description: String,
}

/// Cuts `text` to at most `max` characters, ending with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Card {
    fn new(title: &str, description: &str, colour: u32, footer: &str) -> Card {
        Card {
            title: truncate(title, MAX_TITLE),
            description: truncate(description, MAX_DESCRIPTION),
            colour,
            footer: truncate(footer, MAX_FOOTER),
            rows: Vec::new(),
        }
    }

    /// Adds a row of buttons (at most five; none whose custom id is too long). Empty rows and rows
    /// past Discord's five are dropped.
    fn push_buttons(&mut self, buttons: Vec<Button>) {
        let mut seen = self.custom_ids();
        let buttons: Vec<Button> = buttons
            .into_iter()
            .filter(|b| b.custom_id.chars().count() <= MAX_CUSTOM_ID)
            .filter(|b| seen.insert(b.custom_id.clone()))
            .take(MAX_BUTTONS_PER_ROW)
            .collect();
        if !buttons.is_empty() && self.rows.len() < MAX_ROWS {
            self.rows.push(Row::Buttons(buttons));
        }
    }

    fn push_select(&mut self, select: Select) {
        if !select.options.is_empty() && self.rows.len() < MAX_ROWS {
            self.rows.push(Row::Select(select));
        }
    }

    fn custom_ids(&self) -> std::collections::HashSet<String> {
        self.rows
            .iter()
            .flat_map(|r| match r {
                Row::Buttons(b) => b.iter().map(|b| b.custom_id.clone()).collect::<Vec<_>>(),
                Row::Select(s) => vec![s.custom_id.clone()],
            })
            .collect()
    }

    /// Every button on the card, row by row.
    pub fn buttons(&self) -> impl Iterator<Item = &Button> {
        self.rows.iter().flat_map(|r| match r {
            Row::Buttons(b) => b.as_slice(),
            Row::Select(_) => &[],
        })
    }

    /// The card's embed.
    pub fn embed(&self) -> CreateEmbed {
        CreateEmbed::new()
            .title(&self.title)
            .description(&self.description)
            .colour(self.colour)
            .footer(CreateEmbedFooter::new(&self.footer))
    }

    /// The card's action rows.
    pub fn components(&self) -> Vec<CreateActionRow> {
        self.rows
            .iter()
            .map(|row| match row {
                Row::Buttons(buttons) => CreateActionRow::Buttons(
                    buttons
                        .iter()
                        .map(|b| {
                            let mut button = CreateButton::new(&b.custom_id).label(&b.label).style(
                                if b.primary {
                                    ButtonStyle::Primary
                                } else {
                                    ButtonStyle::Secondary
                                },
                            );
                            if let Some(emoji) = b.emoji {
                                button = button.emoji(emoji);
                            }
                            button
                        })
                        .collect(),
                ),
                Row::Select(s) => CreateActionRow::SelectMenu(
                    CreateSelectMenu::new(
                        &s.custom_id,
                        CreateSelectMenuKind::String {
                            options: s
                                .options
                                .iter()
                                .map(|o| {
                                    CreateSelectMenuOption::new(&o.label, &o.value)
                                        .description(&o.description)
                                })
                                .collect(),
                        },
                    )
                    .placeholder(&s.placeholder),
                ),
            })
            .collect()
    }

    /// A channel message with this card, replying to `reference` when given.
    pub fn message(&self) -> CreateMessage {
        CreateMessage::new()
            .embed(self.embed())
            .components(self.components())
            .allowed_mentions(no_mentions())
    }

    /// An interaction response message with this card.
    pub fn interaction_message(&self, ephemeral: bool) -> CreateInteractionResponseMessage {
        CreateInteractionResponseMessage::new()
            .embed(self.embed())
            .components(self.components())
            .ephemeral(ephemeral)
            .allowed_mentions(no_mentions())
    }

    /// A poise reply (slash command response) with this card.
    pub fn poise_reply(&self, ephemeral: bool) -> poise::CreateReply {
        poise::CreateReply::default()
            .embed(self.embed())
            .components(self.components())
            .ephemeral(ephemeral)
            .allowed_mentions(no_mentions())
    }
}

/// Allowed mentions that allow nothing: no @everyone, roles, users or reply ping, whatever the text says.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// A plain text message (content cut to Discord's limit), mentions disabled.
pub fn text_message(text: &str) -> CreateMessage {
    CreateMessage::new()
        .content(truncate(text, MAX_CONTENT))
        .allowed_mentions(no_mentions())
}

/// A plain text interaction response, mentions disabled.
pub fn text_interaction(text: &str, ephemeral: bool) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(truncate(text, MAX_CONTENT))
        .ephemeral(ephemeral)
        .allowed_mentions(no_mentions())
}

/// A plain text poise reply, mentions disabled.
pub fn text_reply(text: &str, ephemeral: bool) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(truncate(text, MAX_CONTENT))
        .ephemeral(ephemeral)
        .allowed_mentions(no_mentions())
}

fn button(label: &str, action: &Action, emoji: Option<char>, primary: bool) -> Button {
    Button {
        label: truncate(label, MAX_LABEL),
        custom_id: action.custom_id(),
        emoji,
        primary,
    }
}

/// How an entry card is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStyle {
    /// A normal answer.
    Answer,
    /// Warning symptoms: red, with a warning sign.
    RedFlag,
    /// An answer to what is usually an ordinary strain: orange.
    Caution,
}

/// An entry as an answer: its title and text, up to three follow-ups and the 👍/👎 buttons.
pub fn entry_card(
    entry: &Entry,
    kb: &KnowledgeBase,
    followups: &[String],
    style: EntryStyle,
) -> Card {
    let (title, colour) = match style {
        EntryStyle::Answer => (entry.title.clone(), colour::ANSWER),
        EntryStyle::RedFlag => (format!("{WARNING_MARK} {}", entry.title), colour::RED_FLAG),
        EntryStyle::Caution => (entry.title.clone(), colour::CAUTION),
    };
    let mut description = entry.answer.trim().to_string();
    if !entry.sources.is_empty() {
        let sources: Vec<String> = entry.sources.iter().map(source_link).collect();
        description = format!("{description}\n\n*Sources:* {}", sources.join("; "));
    }
    let mut card = Card::new(
        &title,
        &description,
        colour,
        &format!("{DISCLAIMER} Was this helpful?"),
    );
    let follow: Vec<Button> = followups
        .iter()
        .filter(|id| **id != entry.id)
        .filter_map(|id| kb.entry(id))
        .take(MAX_FOLLOWUPS)
        .map(|e| button(&e.title, &Action::Show(e.id.clone()), None, false))
        .collect();
    card.push_buttons(follow);
    card.push_buttons(vec![
        button(
            "Helpful",
            &Action::Vote(crate::store::Vote::Up, entry.id.clone()),
            Some('👍'),
            false,
        ),
        button(
            "Not helpful",
            &Action::Vote(crate::store::Vote::Down, entry.id.clone()),
            Some('👎'),
            false,
        ),
    ]);
    card
}

/// A source as a short line with its title linked: "NHS — [Back pain](https://…) (2024)".
fn source_link(source: &Source) -> String {
    match source {
        Source::Cited(c) => {
            let title = c.title.replace('[', "(").replace(']', ")");
            format!("{} — [{title}]({}) ({})", c.by(), c.url, c.year)
        }
        Source::Label(_) => source.short(),
    }
}

/// Puts a lead line, in bold, above everything else on the card (cut to fit if it must be).
fn lead_with(card: &mut Card, mark: &str, lead: &str) {
    card.description = truncate(
        &format!("**{mark} {lead}**\n\n{}", card.description),
        MAX_DESCRIPTION,
    );
}

/// The warning card when the knowledge base has no `red-flags` entry to show: the lead alone, built
/// from the warning-sign data, so the person still hears where to go.
fn warning_card(warning: Option<&Warning>) -> Card {
    match warning {
        Some(w) => Card::new(
            &format!("{WARNING_MARK} {}", w.headline),
            &format!("**{WARNING_MARK} {}**", w.lead()),
            colour::RED_FLAG,
            DISCLAIMER,
        ),
        None => Card::new(
            &format!("{WARNING_MARK} Please get this checked"),
            "Stop lifting and get this checked by a doctor.",
            colour::RED_FLAG,
            DISCLAIMER,
        ),
    }
}

/// How a reply came about, which decides whether abstaining is shown at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// Mention, DM or `/ask`: the person is waiting for something.
    Directly,
    /// Unprompted in a safety channel: only confident answers and red flags are shown.
    Unprompted,
}

/// The card for a core reply, or `None` when nothing should be sent.
pub fn reply_card(reply: &Reply, kb: &KnowledgeBase, asked: Asked) -> Option<Card> {
    match reply.kind {
        ReplyKind::Answer | ReplyKind::RedFlag => {
            let style = match (reply.kind, &reply.caution) {
                (ReplyKind::RedFlag, _) => EntryStyle::RedFlag,
                (_, Some(_)) => EntryStyle::Caution,
                _ => EntryStyle::Answer,
            };
            let entry = reply.entry.as_deref().and_then(|id| kb.entry(id));
            match entry {
                Some(entry) => {
                    let mut card = entry_card(entry, kb, &reply.followups, style);
                    if let Some(warning) = &reply.warning {
                        lead_with(&mut card, WARNING_MARK, &warning.lead());
                    } else if let Some(caution) = &reply.caution {
                        lead_with(&mut card, CAUTION_MARK, &caution.lead());
                    }
                    Some(card)
                }
                // A red flag must never be dropped, even without its entry.
                None if style == EntryStyle::RedFlag => Some(warning_card(reply.warning.as_ref())),
                None => (asked == Asked::Directly).then(|| abstain_card(kb)),
            }
        }
        _ if asked == Asked::Unprompted => None,
        ReplyKind::Suggest if !reply.suggestions.is_empty() => Some(suggest_card(reply, kb)),
        ReplyKind::Suggest | ReplyKind::Abstain => Some(abstain_card(kb)),
        ReplyKind::Empty => Some(empty_card()),
    }
}

fn suggest_card(reply: &Reply, kb: &KnowledgeBase) -> Card {
    let known: Vec<&Entry> = reply
        .suggestions
        .iter()
        .filter_map(|s| kb.entry(&s.id))
        .take(MAX_BUTTONS_PER_ROW)
        .collect();
    let lines: Vec<String> = known
        .iter()
        .map(|e| format!("• **{}**: {}", e.title, e.summary))
        .collect();
    let mut card = Card::new(
        "Did you mean…",
        &format!(
            "I'm not sure which of these you mean. Pick one to read it:\n\n{}",
            lines.join("\n")
        ),
        colour::SUGGEST,
        DISCLAIMER,
    );
    card.push_buttons(
        known
            .iter()
            .map(|e| button(&e.title, &Action::Show(e.id.clone()), None, true))
            .collect(),
    );
    card
}

/// What the bot says when it cannot answer a direct question.
pub fn abstain_card(kb: &KnowledgeBase) -> Card {
    let topics: Vec<&str> = Category::ALL
        .iter()
        .filter(|c| kb.in_category(**c).next().is_some())
        .map(|c| c.label())
        .collect();
    Card::new(
        "I don't have an answer for that",
        &format!(
            "I answer questions about the hip hinge and lifting safely at work ({}).\n\n\
             Try asking, for example:\n• how do I hip hinge?\n• what's the difference between a hinge and a squat?\n\
             • how do I pick up a box from the floor?\n\nOr browse everything with `/topics`. \
             Questions I can't answer are passed on (without your name) to the people who keep me up to date.",
            topics.join(", ").to_lowercase()
        ),
        colour::INFO,
        DISCLAIMER,
    )
}

fn empty_card() -> Card {
    Card::new(
        "Ask me about the hip hinge",
        "Ask a question after mentioning me, for example \"how do I hip hinge?\", or use `/ask`. \
         `/topics` lists everything I know.",
        colour::INFO,
        DISCLAIMER,
    )
}

/// The `/lift` result: the calculator's table in a code block.
pub fn lift_card(table: &str) -> Card {
    let fence = "```";
    let body = truncate(table.trim(), MAX_DESCRIPTION - 2 * fence.len() - 8);
    Card::new(
        "NIOSH lifting equation",
        &format!("{fence}text\n{body}\n{fence}"),
        colour::INFO,
        DISCLAIMER,
    )
}

/// The title of every tip card: `/tip` and the daily posts.
pub const TIP_TITLE: &str = "💡 Hip-hinge tip of the day";
/// The label of the button under a tip that opens its knowledge-base entry.
pub const LEARN_MORE: &str = "Learn more";

/// A tip, for `/tip` and for the daily posts alike: its text, the disclaimer, and a "Learn more"
/// button that shows the tip's entry to whoever clicks it.
pub fn tip_card(tip: &Tip) -> Card {
    let mut card = Card::new(TIP_TITLE, &tip.text, colour::INFO, DISCLAIMER);
    if !tip.entry.is_empty() {
        card.push_buttons(vec![button(
            LEARN_MORE,
            &Action::Show(tip.entry.clone()),
            None,
            true,
        )]);
    }
    card
}

/// `/hingebot about`.
pub fn about_card(kb: &KnowledgeBase) -> Card {
    Card::new(
        "About hingebot",
        &format!(
            "I teach the hip hinge and safe lifting at work: how to do it, common faults, drills, \
             and when to get help. Ask with `/ask`, mention me, or send me a DM; browse with `/topics`; \
             get today's tip with `/tip`.\n\n**{DISCLAIMER}** If you have pain, numbness or weakness, \
             see a health professional.\n\n`{}`",
            crate::version_line(kb)
        ),
        colour::INFO,
        DISCLAIMER,
    )
}

/// `/topics`: the categories, with a menu to open one.
pub fn topics_card(kb: &KnowledgeBase) -> Card {
    let lines: Vec<String> = Category::ALL
        .iter()
        .map(|c| format!("• **{}** ({})", c.label(), kb.in_category(*c).count()))
        .collect();
    let mut card = Card::new(
        "Browse topics",
        &format!("Pick a topic to see its questions:\n\n{}", lines.join("\n")),
        colour::INFO,
        DISCLAIMER,
    );
    card.push_select(category_select(kb));
    card
}

fn category_select(kb: &KnowledgeBase) -> Select {
    Select {
        custom_id: Action::Topics.custom_id(),
        placeholder: "Choose a topic".to_string(),
        options: Category::ALL
            .iter()
            .filter(|c| kb.in_category(**c).next().is_some())
            .take(MAX_OPTIONS)
            .map(|c| SelectOption {
                label: truncate(c.label(), MAX_OPTION_TEXT),
                value: c.slug().to_string(),
                description: format!("{} questions", kb.in_category(*c).count()),
            })
            .collect(),
    }
}

/// One category's entries, with a menu to read one (and the topic menu to switch).
pub fn category_card(kb: &KnowledgeBase, category: Category) -> Card {
    let entries: Vec<&Entry> = kb.in_category(category).collect();
    let lines: Vec<String> = entries
        .iter()
        .map(|e| format!("• **{}**: {}", e.title, e.summary))
        .collect();
    let mut card = Card::new(
        category.label(),
        &lines.join("\n"),
        colour::INFO,
        DISCLAIMER,
    );
    let mut options: Vec<SelectOption> = entries
        .iter()
        .filter(|e| e.id.chars().count() <= MAX_OPTION_TEXT)
        .map(|e| SelectOption {
            label: truncate(&e.title, MAX_OPTION_TEXT),
            value: e.id.clone(),
            description: truncate(&e.summary, MAX_OPTION_TEXT),
        })
        .collect();
    if options.len() > MAX_OPTIONS {
        options.truncate(MAX_OPTIONS);
        card.description = truncate(
            &format!(
                "{}\n\n(The menu shows the first {MAX_OPTIONS}; ask with `/ask` for the rest.)",
                card.description
            ),
            MAX_DESCRIPTION,
        );
    }
    card.push_select(Select {
        custom_id: Action::Entries.custom_id(),
        placeholder: truncate(
            &format!("Read an entry from {}", category.label()),
            MAX_PLACEHOLDER,
        ),
        options,
    });
    card.push_select(category_select(kb));
    card
}

/// The note a cooled-down user gets in a DM.
pub fn cooldown_note(seconds: u64) -> String {
    format!("You're asking quickly: I answer each person once every {seconds} s here. Try again in a moment.")
}

/// `/hingebot channels list`.
pub fn channels_text(configured: &[u64], added: &[u64]) -> String {
    if configured.is_empty() && added.is_empty() {
        return "I only answer when mentioned or in DMs: no safety channels are set. \
                Add one with `/hingebot channels add`."
            .to_string();
    }
    let mut lines = vec!["I answer unprompted (when confident) in:".to_string()];
    lines.extend(added.iter().map(|c| format!("• <#{c}> (added by command)")));
    lines.extend(
        configured
            .iter()
            .filter(|c| !added.contains(c))
            .map(|c| format!("• <#{c}> (config.toml)")),
    );
    truncate(&lines.join("\n"), MAX_CONTENT)
}

#[cfg(test)]
mod tests;
