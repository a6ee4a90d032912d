//! The weekly digest on Discord: the embed with the chart attached and a "copy as KB stub" button
//! per unanswered question, the poster the digest task sends through, the stub a click answers
//! with, and the `/digest` commands (Manage Server).

use super::render::{self, no_mentions, truncate};
use super::tips::{describe_instant, is_channel_unavailable};
use super::{Bot, Context, Error};
use crate::daily_tips::{PostError, PostOutcome};
use crate::report::digest::{kb_stub, question_key, DigestCard, DigestFigure};
use crate::store::{DigestClaim, DigestSubscription};
use crate::tips::{next_post, TipSchedule};
use crate::usage::showable_unanswered;
use crate::weekly_digest::{
    weekly_schedule, DigestHandle, DigestOptions, DigestPost, DigestPoster, DigestScheduler,
};
use jiff::Timestamp;
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateAttachment, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
};
use std::sync::Arc;
use std::time::Duration;

/// Embed field values, in characters.
const MAX_FIELD: usize = 1024;
/// Unanswered questions are cut to this many characters in the embed (the stub keeps them whole).
const QUESTION_CHARS: usize = 150;
/// Longest wait for the digest task to finish a post in progress at shutdown (its send timeout is 30 s).
const STOP_GRACE: Duration = Duration::from_secs(35);
/// The embed colour: the report's blue.
const DIGEST_COLOUR: u32 = 0x0072b2;
/// What the footer promises.
pub const PRIVACY_NOTE: &str =
    "Counts only: no names, no messages. Unanswered questions are masked and shown once two people asked them or a curator confirmed them.";

/// The digest embed as plain data, checked against Discord's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEmbed {
    pub title: String,
    pub description: String,
    /// (name, value, inline)
    pub fields: Vec<(String, String, bool)>,
    pub footer: String,
    /// `attachment://…` when the chart is attached.
    pub image: Option<String>,
    /// (label, custom id) of each "copy as KB stub" button, in the order of the questions.
    pub stub_buttons: Vec<(String, String)>,
}

/// Escapes what Discord markdown would read in stored text (`*`, `_`, `~`, `` ` ``, `|`, `>`, `[`, `]`, `\`).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '\\'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn figure_line(f: &DigestFigure) -> String {
    format!("**{}**: {} · {}", f.name, f.this_week, f.change)
}

fn numbered(lines: impl IntoIterator<Item = String>, empty: &str) -> String {
    let lines: Vec<String> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("{}. {l}", i + 1))
        .collect();
    if lines.is_empty() {
        empty.to_string()
    } else {
        truncate(&lines.join("\n"), MAX_FIELD)
    }
}

/// The embed for a digest card; `chart_attached` when the PNG goes with it.
pub fn digest_embed(card: &DigestCard, chart_attached: bool) -> DigestEmbed {
    let mut description = format!(
        "The last 7 days against the 7 before, from {} to {}.\n\n",
        card.period.since(),
        card.period.until()
    );
    description.push_str(
        &card
            .figures
            .iter()
            .map(figure_line)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let topics = numbered(
        card.top_topics
            .iter()
            .map(|t| format!("{}: {}", plain(&t.title), t.questions)),
        "No answers this week.",
    );
    let unanswered = numbered(
        card.top_unanswered.iter().map(|q| {
            let people = if q.people == 1 {
                "confirmed".to_string()
            } else {
                format!("{} people", q.people)
            };
            format!("{} ({people})", plain(&truncate(&q.text, QUESTION_CHARS)))
        }),
        "None asked by two or more people (or confirmed by a curator).",
    );
    let least_helpful = numbered(
        card.least_helpful
            .iter()
            .map(|h| format!("{}: {} 👍 / {} 👎", plain(&h.title), h.up, h.down)),
        "No entry with enough votes and a 👎.",
    );
    let mut fields = vec![
        ("Top topics".to_string(), topics, false),
        (
            "Could not answer (copy one as a KB stub below)".to_string(),
            unanswered,
            false,
        ),
        ("Least helpful entries".to_string(), least_helpful, false),
        (
            card.red_flag_replies.name.to_string(),
            format!(
                "{} · {}\nA count only, never what was said.",
                card.red_flag_replies.this_week, card.red_flag_replies.change
            ),
            true,
        ),
        (
            card.tips_posted.name.to_string(),
            format!(
                "{} · {}",
                card.tips_posted.this_week, card.tips_posted.change
            ),
            true,
        ),
    ];
    for (name, value, _) in &mut fields {
        *name = truncate(name, render::MAX_TITLE);
        *value = truncate(value, MAX_FIELD);
    }
    DigestEmbed {
        title: truncate(&card.title, render::MAX_TITLE),
        description: truncate(&description, render::MAX_DESCRIPTION),
        fields,
        footer: PRIVACY_NOTE.to_string(),
        image: chart_attached.then(|| format!("attachment://{}", card.chart_file_name)),
        stub_buttons: card
            .top_unanswered
            .iter()
            .enumerate()
            .take(render::MAX_BUTTONS_PER_ROW)
            .filter(|(_, q)| q.stub_action.chars().count() <= render::MAX_CUSTOM_ID)
            .map(|(i, q)| (format!("KB stub {}", i + 1), q.stub_action.clone()))
            .collect(),
    }
}

impl DigestEmbed {
    fn embed(&self) -> CreateEmbed {
        let mut embed = CreateEmbed::new()
            .title(&self.title)
            .description(&self.description)
            .colour(DIGEST_COLOUR)
            .footer(CreateEmbedFooter::new(&self.footer));
        for (name, value, inline) in &self.fields {
            embed = embed.field(name, value, *inline);
        }
        if let Some(image) = &self.image {
            embed = embed.image(image);
        }
        embed
    }

    fn components(&self) -> Vec<CreateActionRow> {
        if self.stub_buttons.is_empty() {
            return Vec::new();
        }
        vec![CreateActionRow::Buttons(
            self.stub_buttons
                .iter()
                .map(|(label, id)| {
                    CreateButton::new(id)
                        .label(label)
                        .emoji('📋')
                        .style(ButtonStyle::Secondary)
                })
                .collect(),
        )]
    }
}

/// The channel message for a digest post: embed, stub buttons, the chart as an attachment, the
/// post's nonce with `enforce_nonce`, mentions off.
pub fn digest_message(post: &DigestPost) -> CreateMessage {
    let embed = digest_embed(&post.card, post.chart.is_some());
    let mut message = CreateMessage::new()
        .embed(embed.embed())
        .components(embed.components())
        .allowed_mentions(no_mentions())
        .nonce(serenity::Nonce::String(post.nonce.clone()))
        .enforce_nonce(true);
    if let Some(png) = &post.chart {
        message = message.add_file(CreateAttachment::bytes(
            png.clone(),
            post.card.chart_file_name.clone(),
        ));
    }
    message
}

/// Posts weekly digests to channels over Discord's REST API.
pub struct DiscordDigestPoster {
    http: Arc<serenity::Http>,
}

impl DiscordDigestPoster {
    /// A poster sending through `http`.
    pub fn new(http: Arc<serenity::Http>) -> DiscordDigestPoster {
        DiscordDigestPoster { http }
    }
}

impl DigestPoster for DiscordDigestPoster {
    async fn post(&self, post: DigestPost) -> Result<PostOutcome, PostError> {
        if post.channel_id == 0 {
            return Err(PostError::ChannelUnavailable(
                "channel id 0 is not a Discord channel".to_string(),
            ));
        }
        let sent = serenity::ChannelId::new(post.channel_id)
            .send_message(&*self.http, digest_message(&post))
            .await
            .map_err(|error| match &error {
                serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
                    if is_channel_unavailable(
                        response.status_code.as_u16(),
                        response.error.code,
                    ) =>
                {
                    PostError::ChannelUnavailable(format!(
                        "Discord answered {} (code {}): {} (the bot needs View Channel, Send \
                         Messages, Embed Links and Attach Files there)",
                        response.status_code, response.error.code, response.error.message
                    ))
                }
                _ => PostError::Transient(error.to_string()),
            })?;
        Ok(PostOutcome {
            message_id: Some(sent.id.get()),
        })
    }
}

/// The running digest task of a bot.
pub(crate) struct DigestTask {
    handle: DigestHandle,
    task: tokio::task::JoinHandle<()>,
}

impl DigestTask {
    /// Builds the digest task over the bot's store, knowledge base, reporting settings and clock,
    /// posting through `http`; keeps its handle in the bot (for `/digest`) and spawns it.
    pub(crate) fn start(bot: &Bot, http: Arc<serenity::Http>) -> DigestTask {
        let scheduler = DigestScheduler::new(
            Arc::clone(&bot.store),
            Arc::clone(bot.assistant.kb()),
            bot.reporting.clone(),
            DiscordDigestPoster::new(http),
            Arc::clone(&bot.clock),
            DigestOptions::default(),
        );
        let handle = scheduler.handle();
        if bot.digest_task.set(handle.clone()).is_err() {
            tracing::warn!("a weekly digest task was already started for this bot");
        }
        DigestTask {
            handle,
            task: scheduler.spawn(),
        }
    }

    /// Stops the task, letting a post in progress finish, and waits for it.
    pub(crate) async fn stop(self) {
        self.handle.shutdown();
        match tokio::time::timeout(STOP_GRACE, self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("the weekly digest task ended abnormally: {e}"),
            Err(_) => tracing::warn!("the weekly digest task did not stop within {STOP_GRACE:?}"),
        }
    }
}

/// The answer to a "copy as KB stub" click: the TOML skeleton for the question, to the clicker
/// only. Only questions a report may show (asked by two people, or confirmed, and still kept)
/// are looked up, so a crafted button cannot reveal a hidden one.
pub(crate) async fn kb_stub_response(
    bot: &Bot,
    key: &str,
) -> anyhow::Result<CreateInteractionResponse> {
    let kept = bot.reporting.kept(bot.today());
    let figures = bot.store.usage_figures(kept).await?;
    let found = showable_unanswered(&figures.unanswered)
        .into_iter()
        .find(|u| question_key(&u.text) == key);
    let message = match found {
        Some(question) => {
            let stub = kb_stub(&question.text);
            let text = format!("```toml\n{stub}```");
            if text.chars().count() <= render::MAX_CONTENT {
                render::text_interaction(&text, true)
            } else {
                CreateInteractionResponseMessage::new()
                    .content("The stub is long: here it is as a file.")
                    .add_file(CreateAttachment::bytes(
                        stub.into_bytes(),
                        "kb-stub.toml".to_string(),
                    ))
                    .ephemeral(true)
                    .allowed_mentions(no_mentions())
            }
        }
        None => render::text_interaction(
            "That question is no longer stored (it was purged after `report.retention_days`), \
             so there is no stub to copy.",
            true,
        ),
    };
    Ok(CreateInteractionResponse::Message(message))
}

/// "every Mon at 09:00 Europe/Berlin".
fn describe_weekly(schedule: &TipSchedule) -> String {
    format!(
        "every {} at {} {}",
        schedule.days().describe(),
        schedule.time_hhmm(),
        schedule.timezone_name()
    )
}

fn next_digest_line(schedule: &TipSchedule, now: Timestamp) -> String {
    match next_post(schedule, now) {
        Some(next) => format!("Next digest: {}.", describe_instant(schedule, next.at)),
        None => "No upcoming post time.".to_string(),
    }
}

fn last_digest_line(claim: Option<&DigestClaim>) -> String {
    let Some(claim) = claim else {
        return "No digest has been posted here yet.".to_string();
    };
    match (&claim.sent_at, &claim.skipped_reason) {
        (Some(sent), _) => format!(
            "Last digest: the week to {}, posted <t:{}:F>.",
            claim.tip_id,
            sent.as_second()
        ),
        (None, Some(reason)) => format!(
            "Last digest: the one of {} was skipped: {reason}.",
            claim.local_date
        ),
        (None, None) => format!(
            "Last digest: the one of {} is being sent.",
            claim.local_date
        ),
    }
}

/// The `/digest status` text for a channel.
pub fn status_text(
    channel: u64,
    subscription: Option<&DigestSubscription>,
    last: Option<&DigestClaim>,
    now: Timestamp,
) -> String {
    let Some(sub) = subscription else {
        return format!(
            "<#{channel}> gets no weekly digest. Start it with `/digest subscribe` (default: Mondays at 09:00)."
        );
    };
    let mut lines = Vec::new();
    match sub.schedule() {
        Ok(schedule) => {
            lines.push(format!(
                "Weekly digest in <#{channel}>: {}.",
                describe_weekly(&schedule)
            ));
            match &sub.paused_reason {
                Some(reason) => lines.push(format!(
                    "Paused: {reason}. Fix the channel or my permissions, then run `/digest subscribe` again to resume."
                )),
                None => lines.push(next_digest_line(&schedule, now)),
            }
        }
        Err(e) => lines.push(format!(
            "The stored schedule of <#{channel}> is not valid ({e}); run `/digest subscribe` again."
        )),
    }
    lines.push(last_digest_line(last));
    lines.join("\n")
}

/// The weekly digest for curators in a channel (needs Manage Server)
///
/// `default_member_permissions` hides the command from members who cannot use it;
/// `required_permissions` is still checked on every use.
#[poise::command(
    slash_command,
    subcommands("digest_subscribe", "digest_unsubscribe", "digest_status"),
    subcommand_required,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn digest(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the weekly digest here (figures, chart, unanswered questions)
#[poise::command(
    slash_command,
    rename = "subscribe",
    guild_only,
    required_permissions = "MANAGE_GUILD"
)]
pub async fn digest_subscribe(
    ctx: Context<'_>,
    #[description = "Weekday, e.g. mon (default: the config's, Monday)"]
    #[max_length = 16]
    day: Option<String>,
    #[description = "Local time, 24-hour HH:MM (default: the config's, 09:00)"]
    #[max_length = 5]
    time: Option<String>,
    #[description = "IANA time zone, e.g. Europe/Berlin (default: report.timezone)"]
    #[max_length = 64]
    timezone: Option<String>,
) -> Result<(), Error> {
    let bot = ctx.data();
    let day = day.unwrap_or_else(|| bot.digest.day.clone());
    let time = time.unwrap_or_else(|| bot.digest.time.clone());
    let timezone = timezone
        .or_else(|| bot.digest.timezone.clone())
        .unwrap_or_else(|| bot.reporting.zone_name().to_string());
    let schedule = match weekly_schedule(&day, &time, &timezone) {
        Ok(schedule) => schedule,
        Err(e) => {
            ctx.send(render::text_reply(&e.to_string(), true)).await?;
            return Ok(());
        }
    };
    let channel = ctx.channel_id().get();
    let now = bot.clock.now();
    bot.store
        .upsert_digest_subscriptions(&[(channel, schedule.clone())], now)
        .await?;
    // Subscribing again is how a paused channel resumes, even with the same schedule.
    bot.store.unpause_digest_subscription(channel).await?;
    bot.digest_subscriptions_changed();
    let text = format!(
        "Done: <#{channel}> gets the weekly digest {}.\n{}\nI need Send Messages, Embed Links and Attach Files here.",
        describe_weekly(&schedule),
        next_digest_line(&schedule, now)
    );
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// Stop the weekly digest here
#[poise::command(
    slash_command,
    rename = "unsubscribe",
    guild_only,
    required_permissions = "MANAGE_GUILD"
)]
pub async fn digest_unsubscribe(ctx: Context<'_>) -> Result<(), Error> {
    let channel = ctx.channel_id().get();
    let bot = ctx.data();
    let removed = bot.store.remove_digest_subscription(channel).await?;
    bot.digest_subscriptions_changed();
    let mut text = if removed {
        format!("Done: no more weekly digests in <#{channel}>.")
    } else {
        format!("<#{channel}> was not getting the weekly digest.")
    };
    if bot.digest.channel == Some(channel) {
        text.push_str(" It is `[digest] channel` in config.toml, so it comes back at the next start unless you remove it there.");
    }
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// When the next digest is posted here, and how the last one went
#[poise::command(
    slash_command,
    rename = "status",
    guild_only,
    required_permissions = "MANAGE_GUILD"
)]
pub async fn digest_status(ctx: Context<'_>) -> Result<(), Error> {
    let channel = ctx.channel_id().get();
    let bot = ctx.data();
    let subscription = bot.store.digest_subscription(channel).await?;
    let last = bot.store.latest_digest_claim(channel).await?;
    let text = status_text(
        channel,
        subscription.as_ref(),
        last.as_ref(),
        bot.clock.now(),
    );
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Figures, Period, UnansweredRow, UsageReport};
    use jiff::civil::date;

    fn card(unanswered: usize) -> DigestCard {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
        let figures = Figures {
            unanswered: (0..unanswered)
                .map(|i| UnansweredRow {
                    text: format!(
                        "question {i} with *stars* and [brackets] {}",
                        "long ".repeat(80)
                    ),
                    people: 3,
                    asked: 3,
                    confirmed: false,
                })
                .collect(),
            ..Figures::default()
        };
        DigestCard::new(&UsageReport::build(&figures, week, |_| None))
    }

    #[test]
    fn the_embed_keeps_to_discords_limits_and_escapes_stored_text() {
        let embed = digest_embed(&card(8), true);
        assert!(embed.title.chars().count() <= render::MAX_TITLE);
        let total: usize = embed.title.chars().count()
            + embed.description.chars().count()
            + embed.footer.chars().count()
            + embed
                .fields
                .iter()
                .map(|(n, v, _)| n.chars().count() + v.chars().count())
                .sum::<usize>();
        assert!(total <= 6000, "{total}");
        for (name, value, _) in &embed.fields {
            assert!(value.chars().count() <= MAX_FIELD, "{name}");
        }
        let unanswered = &embed.fields[1].1;
        assert!(unanswered.contains("\\*stars\\*"), "{unanswered}");
        assert!(unanswered.contains("\\[brackets\\]"), "{unanswered}");
        assert_eq!(
            embed.image.as_deref(),
            Some("attachment://hingebot-week-2026-03-08.png")
        );
        assert_eq!(embed.stub_buttons.len(), 5, "one per question shown");
        assert_eq!(embed.stub_buttons[0].0, "KB stub 1");
        assert!(embed.stub_buttons[0].1.starts_with("hb:kbstub:"));
        assert!(embed.description.contains("**Questions**: 0 · no change"));
    }

    #[test]
    fn a_quiet_week_says_so_and_has_no_buttons() {
        let embed = digest_embed(&card(0), false);
        assert!(embed.stub_buttons.is_empty());
        assert_eq!(embed.image, None);
        assert!(embed.fields[0].1.contains("No answers"));
        assert!(embed.fields[1].1.contains("None asked"));
    }

    #[test]
    fn status_shows_the_schedule_the_next_post_and_the_last_one() {
        let now: Timestamp = "2026-03-04T10:00:00Z".parse().unwrap();
        let sub = DigestSubscription {
            channel_id: 7,
            guild_id: None,
            time: "09:00".into(),
            timezone: "Europe/Berlin".into(),
            days: "mon".into(),
            paused_reason: None,
            created_at: now,
            updated_at: now,
        };
        let text = status_text(7, Some(&sub), None, now);
        assert!(text.contains("every Mon at 09:00 Europe/Berlin"), "{text}");
        assert!(text.contains("Mon 9 Mar 2026"), "{text}");
        assert!(text.contains("No digest has been posted"), "{text}");
        assert!(status_text(7, None, None, now).contains("no weekly digest"));
    }
}
