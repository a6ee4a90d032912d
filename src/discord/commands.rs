//! Slash commands (`/ask`, `/tip`, `/topics`, `/hingebot about|channels`, `/tips`, `/digest`,
//! `/lift`) and the poise framework that runs them.

use super::render::{self, Asked, Card};
use super::{buttons, digest, lift, messages, tips, Bot, Context, Error};
use crate::config::TipsSettings;
use crate::knowledge::KnowledgeBase;
use crate::tips::ScheduleError;
use crate::usage::ChannelKind;
use jiff::Timestamp;
use poise::serenity_prelude as serenity;
use std::sync::Arc;

/// The poise framework: commands, error replies, message and button handling, command registration.
pub fn framework(bot: Arc<Bot>) -> poise::Framework<Arc<Bot>, Error> {
    let dev_guild = bot.settings.dev_guild_id;
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![
                ask(),
                tip(),
                topics(),
                hingebot(),
                tips::tips(),
                digest::digest(),
                lift::lift(),
            ],
            allowed_mentions: Some(render::no_mentions()),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            // No prefix commands: the bot reads messages only to answer questions.
            prefix_options: poise::PrefixFrameworkOptions {
                prefix: None,
                mention_as_prefix: false,
                ..Default::default()
            },
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                let commands = poise::builtins::create_application_commands(&framework.options().commands);
                let registered = match dev_guild {
                    Some(guild) => serenity::GuildId::new(guild)
                        .set_commands(&ctx.http, commands)
                        .await
                        .map(|_| ()),
                    None => serenity::Command::set_global_commands(&ctx.http, commands)
                        .await
                        .map(|_| ()),
                };
                // Messages and buttons still work without commands, so a failed registration is not fatal.
                if let Err(e) = registered {
                    tracing::error!("could not register slash commands: {e}");
                }
                Ok(bot)
            })
        })
        .build()
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Arc<Bot>, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let http = &framework.serenity_context.http;
    let bot = framework.user_data;
    match event {
        serenity::FullEvent::Message { new_message } => {
            messages::handle(http, bot, framework.bot_id(), new_message).await
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(component),
        } => buttons::handle(http, bot, component).await,
        _ => Ok(()),
    }
}

async fn on_error(error: poise::FrameworkError<'_, Arc<Bot>, Error>) {
    let sent = match error {
        poise::FrameworkError::MissingUserPermissions {
            missing_permissions,
            ctx,
            ..
        } => {
            let command = &ctx.command().qualified_name;
            let (needed, what) = if command.starts_with("digest") {
                // Discord's settings call this permission Manage Server; serenity, Manage Guild.
                ("Manage Server".to_string(), "manage the weekly digest")
            } else {
                let needed = missing_permissions
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "Manage Channels".to_string());
                if command.starts_with("tips") {
                    (needed, "manage the daily tips")
                } else {
                    (needed, "change where I answer")
                }
            };
            ctx.send(render::text_reply(
                &format!("Only members with the {needed} permission can {what}."),
                true,
            ))
            .await
            .map(|_| ())
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => ctx
            .send(render::text_reply(
                "This command only works in a server.",
                true,
            ))
            .await
            .map(|_| ()),
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, "command failed: {error:#}");
            ctx.send(render::text_reply(
                "Something went wrong on my side. Please try again in a moment.",
                true,
            ))
            .await
            .map(|_| ())
        }
        poise::FrameworkError::EventHandler { error, .. } => {
            tracing::warn!("handling a Discord event failed: {error:#}");
            Ok(())
        }
        other => poise::builtins::on_error(other).await,
    };
    if let Err(e) = sent {
        tracing::warn!("could not report an error to the user: {e}");
    }
}

/// Ask a question about the hip hinge or lifting safely at work
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, e.g. how do I hip hinge?"]
    #[max_length = 500]
    question: String,
) -> Result<(), Error> {
    let bot = ctx.data();
    // Computed on the blocking pool: the sentence encoder's CPU time must not hold an async worker.
    let reply = messages::reply_off_runtime(&bot.assistant, &question).await?;
    let card = render::reply_card(&reply, bot.assistant.kb(), Asked::Directly)
        .unwrap_or_else(|| render::abstain_card(bot.assistant.kb()));
    ctx.send(card.poise_reply(false)).await?;
    bot.count_reply(&reply, ChannelKind::Slash).await;
    if reply.is_unanswered() {
        bot.note_unanswered(&question, ctx.author().id.get()).await;
    }
    Ok(())
}

/// Today's hip hinge tip
#[poise::command(slash_command)]
pub async fn tip(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data();
    let reply = match todays_tip_card(bot.assistant.kb(), &bot.tips, Timestamp::now())? {
        Some(card) => card.poise_reply(false),
        None => render::text_reply("There are no tips in the knowledge base yet.", true),
    };
    ctx.send(reply).await?;
    Ok(())
}

/// `/tip`'s card at `now`: the tip of today in the configured tip time zone, the same day
/// `hingebot tip` uses ([`crate::tips::today`]). `None` when the knowledge base has no tips.
pub fn todays_tip_card(
    kb: &KnowledgeBase,
    tips: &TipsSettings,
    now: Timestamp,
) -> Result<Option<Card>, ScheduleError> {
    let today = crate::tips::today(tips, now)?;
    Ok(crate::tips::tip_of_the_day(kb.tips(), today).map(render::tip_card))
}

/// Browse everything the bot knows, by topic
#[poise::command(slash_command)]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    let card = render::topics_card(ctx.data().assistant.kb());
    ctx.send(card.poise_reply(true)).await?;
    Ok(())
}

/// About hingebot, and where it answers
#[poise::command(slash_command, subcommands("about", "channels"), subcommand_required)]
pub async fn hingebot(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// What this bot is, its disclaimer and its knowledge base
#[poise::command(slash_command)]
pub async fn about(ctx: Context<'_>) -> Result<(), Error> {
    let card = render::about_card(ctx.data().assistant.kb());
    ctx.send(card.poise_reply(true)).await?;
    Ok(())
}

/// Channels where the bot answers without being mentioned (needs Manage Channels)
#[poise::command(
    slash_command,
    subcommands("channels_add", "channels_remove", "channels_list"),
    subcommand_required,
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn channels(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Answer confident questions and red flags here without being mentioned
#[poise::command(
    slash_command,
    rename = "add",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn channels_add(
    ctx: Context<'_>,
    #[description = "The channel (default: this one)"]
    #[channel_types("Text")]
    channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    let channel = channel.unwrap_or_else(|| ctx.channel_id()).get();
    let bot = ctx.data();
    let by = bot.users.hash(ctx.author().id.get());
    let added = bot.store.add_safety_channel(channel, Some(&by)).await?;
    bot.set_safety_channel(channel, true);
    let text = if added {
        format!("Done: in <#{channel}> I'll now answer confident questions and red flags without being mentioned.")
    } else {
        format!("<#{channel}> was already a safety channel.")
    };
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// Stop answering unprompted in a channel
#[poise::command(
    slash_command,
    rename = "remove",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn channels_remove(
    ctx: Context<'_>,
    #[description = "The channel (default: this one)"]
    #[channel_types("Text")]
    channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    let channel = channel.unwrap_or_else(|| ctx.channel_id()).get();
    let bot = ctx.data();
    let removed = bot.store.remove_safety_channel(channel).await?;
    bot.set_safety_channel(channel, false);
    let text = if bot.settings.safety_channels.contains(&channel) {
        format!("<#{channel}> is set in config.toml (`discord.safety_channels`); remove it there to stop me answering unprompted.")
    } else if removed {
        format!("Done: in <#{channel}> I'll only answer when mentioned.")
    } else {
        format!("<#{channel}> was not a safety channel.")
    };
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// List the channels where the bot answers unprompted
#[poise::command(
    slash_command,
    rename = "list",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn channels_list(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data();
    let added = bot.store.safety_channels().await?;
    let text = render::channels_text(&bot.settings.safety_channels, &added);
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}
