//! Daily tips on Discord: the poster the tip scheduler sends through, its start and stop, and the
//! `/tips` commands.

use super::render;
use super::{rest, Bot, Context, Error};
use crate::daily_tips::{
    PostError, PostOutcome, SchedulerHandle, SchedulerOptions, TipPost, TipPoster, TipScheduler,
};
use crate::store::{NewTipSubscription, TipClaim, TipSubscription};
use crate::tips::{next_post, Days, TipSchedule};
use jiff::Timestamp;
use poise::serenity_prelude as serenity;
use std::sync::Arc;
use std::time::Duration;

/// Discord error codes meaning the channel is gone or closed to the bot: Unknown Channel, Missing
/// Access, Missing Permissions.
const CHANNEL_UNAVAILABLE_CODES: [isize; 3] = [10003, 50001, 50013];

/// Longest wait for the scheduler to finish a post in progress at shutdown (its own send timeout is 30 s).
const STOP_GRACE: Duration = Duration::from_secs(35);

/// Posts daily tips to channels over Discord's REST API.
pub struct DiscordTipPoster {
    http: Arc<serenity::Http>,
}

impl DiscordTipPoster {
    /// A poster sending through `http` (the bot client's, or one pointed at a test server).
    pub fn new(http: Arc<serenity::Http>) -> DiscordTipPoster {
        DiscordTipPoster { http }
    }
}

/// Whether an HTTP status and Discord error code mean the channel cannot be posted in (deleted,
/// hidden from the bot, or the bot lost a permission), as opposed to a failure worth retrying.
pub fn is_channel_unavailable(status: u16, code: isize) -> bool {
    status == 403 || status == 404 || CHANNEL_UNAVAILABLE_CODES.contains(&code)
}

fn post_error(gave_up: rest::GaveUp) -> PostError {
    match &gave_up.error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if is_channel_unavailable(response.status_code.as_u16(), response.error.code) =>
        {
            PostError::ChannelUnavailable(format!(
                "Discord answered {} (code {}): {}",
                response.status_code, response.error.code, response.error.message
            ))
        }
        _ => PostError::Transient(gave_up.to_string()),
    }
}

impl TipPoster for DiscordTipPoster {
    async fn post(&self, post: TipPost) -> Result<PostOutcome, PostError> {
        if post.channel_id == 0 {
            return Err(PostError::ChannelUnavailable(
                "channel id 0 is not a Discord channel".to_string(),
            ));
        }
        let message = render::tip_card(&post.tip)
            .message()
            .nonce(serenity::Nonce::String(post.nonce.clone()))
            .enforce_nonce(true);
        let channel = serenity::ChannelId::new(post.channel_id);
        let sent = rest::with_retries("posting a daily tip", rest::RetryPolicy::default(), || {
            channel.send_message(&*self.http, message.clone())
        })
        .await
        .map_err(post_error)?;
        Ok(PostOutcome {
            message_id: Some(sent.id.get()),
        })
    }
}

/// The running tip scheduler of a bot.
pub(crate) struct TipTask {
    handle: SchedulerHandle,
    task: tokio::task::JoinHandle<()>,
}

impl TipTask {
    /// Builds the scheduler over the bot's store, tips and clock, posting through `http`, keeps its
    /// handle in the bot (for the `/tips` commands) and spawns it.
    pub(crate) fn start(
        bot: &Bot,
        http: Arc<serenity::Http>,
        options: SchedulerOptions,
    ) -> TipTask {
        let scheduler = TipScheduler::new(
            Arc::clone(&bot.store),
            bot.assistant.kb().tips().to_vec(),
            DiscordTipPoster::new(http),
            Arc::clone(&bot.clock),
            options,
        );
        let handle = scheduler.handle();
        if bot.tip_scheduler.set(handle.clone()).is_err() {
            tracing::warn!("a daily tip scheduler was already started for this bot");
        }
        TipTask {
            handle,
            task: scheduler.spawn(),
        }
    }

    /// A handle to the running scheduler.
    pub(crate) fn handle(&self) -> SchedulerHandle {
        self.handle.clone()
    }

    /// Stops the scheduler, letting a post in progress finish, and waits for it.
    pub(crate) async fn stop(self) {
        self.handle.shutdown();
        match tokio::time::timeout(STOP_GRACE, self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("the daily tip scheduler ended abnormally: {e}"),
            Err(_) => {
                tracing::warn!("the daily tip scheduler did not stop within {STOP_GRACE:?}")
            }
        }
    }
}

/// "Mon 6 Jan 2025, 08:30 Europe/Berlin (<t:1736148600:F>)": a post time in the channel's zone
/// and as a Discord timestamp, which each reader sees in their own zone.
pub fn describe_instant(schedule: &TipSchedule, at: Timestamp) -> String {
    let local = at.to_zoned(schedule.time_zone().clone());
    format!(
        "{}, {} {} (<t:{}:F>)",
        local.strftime("%a %-d %b %Y"),
        schedule.local_hhmm(at),
        schedule.timezone_name(),
        at.as_second()
    )
}

fn next_post_line(schedule: &TipSchedule, now: Timestamp) -> String {
    match next_post(schedule, now) {
        Some(next) => format!("Next tip: {}.", describe_instant(schedule, next.at)),
        None => "No upcoming post time.".to_string(),
    }
}

fn last_post_line(claim: Option<&TipClaim>) -> String {
    let Some(claim) = claim else {
        return "No tip has been posted here yet.".to_string();
    };
    match (&claim.sent_at, &claim.skipped_reason) {
        (Some(sent), _) => format!(
            "Last tip: {} (`{}`), posted <t:{}:F>.",
            claim.local_date,
            claim.tip_id,
            sent.as_second()
        ),
        (None, Some(reason)) => format!(
            "Last tip: the one for {} was skipped: {reason}.",
            claim.local_date
        ),
        (None, None) => format!("Last tip: the one for {} is being sent.", claim.local_date),
    }
}

/// The `/tips status` text for a channel.
pub fn status_text(
    channel: u64,
    subscription: Option<&TipSubscription>,
    last: Option<&TipClaim>,
    now: Timestamp,
) -> String {
    let Some(sub) = subscription else {
        return format!(
            "<#{channel}> gets no daily tips. Start them with `/tips subscribe time:08:30 timezone:Europe/Berlin`."
        );
    };
    let mut lines = Vec::new();
    match sub.schedule() {
        Ok(schedule) => {
            lines.push(format!(
                "Daily tips in <#{channel}>: {}.",
                schedule.describe()
            ));
            match &sub.paused_reason {
                Some(reason) => lines.push(format!(
                    "Paused: {reason}. Fix the channel or my permissions, then run `/tips subscribe` again to resume."
                )),
                None => lines.push(next_post_line(&schedule, now)),
            }
        }
        Err(e) => lines.push(format!(
            "The stored schedule of <#{channel}> is not valid ({e}); run `/tips subscribe` again."
        )),
    }
    lines.push(last_post_line(last));
    lines.join("\n")
}

/// Daily hip-hinge tips in a channel (needs Manage Channels)
///
/// `default_member_permissions` hides the command from members who cannot use it (server admins can
/// change that in Integrations); `required_permissions` is still checked on every use.
#[poise::command(
    slash_command,
    subcommands("tips_subscribe", "tips_unsubscribe", "tips_status"),
    subcommand_required,
    guild_only,
    default_member_permissions = "MANAGE_CHANNELS",
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn tips(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post a tip here every day at a local time
#[poise::command(
    slash_command,
    rename = "subscribe",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn tips_subscribe(
    ctx: Context<'_>,
    #[description = "Local time, 24-hour HH:MM, e.g. 08:30"]
    #[max_length = 5]
    time: String,
    #[description = "IANA time zone, e.g. Europe/Berlin or America/New_York"]
    #[max_length = 64]
    timezone: String,
    #[description = "workdays (default, Mon–Fri), everyday, or days like mon,wed,fri"]
    #[max_length = 64]
    days: Option<String>,
) -> Result<(), Error> {
    let days = days.unwrap_or_else(|| Days::Workdays.to_string());
    let schedule = match TipSchedule::parse(&time, &timezone, &days) {
        Ok(schedule) => schedule,
        Err(e) => {
            ctx.send(render::text_reply(&e.to_string(), true)).await?;
            return Ok(());
        }
    };
    let channel = ctx.channel_id().get();
    let bot = ctx.data();
    let now = Timestamp::now();
    // The guild decides which shard process posts the tips.
    let subscription = NewTipSubscription {
        channel_id: channel,
        guild_id: ctx.guild_id().map(|g| g.get()),
        schedule: schedule.clone(),
    };
    bot.store
        .upsert_tip_subscriptions(std::slice::from_ref(&subscription), now)
        .await?;
    // Subscribing again is how a paused channel resumes, even with the same schedule.
    bot.store.unpause_tip_subscription(channel).await?;
    bot.tip_subscriptions_changed();
    let text = format!(
        "Done: <#{channel}> gets a daily tip at {}.\n{}",
        schedule.describe(),
        next_post_line(&schedule, now)
    );
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// Stop the daily tips here
#[poise::command(
    slash_command,
    rename = "unsubscribe",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn tips_unsubscribe(ctx: Context<'_>) -> Result<(), Error> {
    let channel = ctx.channel_id().get();
    let bot = ctx.data();
    let removed = bot.store.remove_tip_subscription(channel).await?;
    bot.tip_subscriptions_changed();
    let text = if removed {
        format!("Done: no more daily tips in <#{channel}>.")
    } else {
        format!("<#{channel}> was not getting daily tips.")
    };
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

/// When the next tip is posted here, and how the last one went
#[poise::command(
    slash_command,
    rename = "status",
    guild_only,
    required_permissions = "MANAGE_CHANNELS"
)]
pub async fn tips_status(ctx: Context<'_>) -> Result<(), Error> {
    let channel = ctx.channel_id().get();
    let store = &ctx.data().store;
    let subscription = store.tip_subscription(channel).await?;
    let last = store.latest_tip_claim(channel).await?;
    let text = status_text(
        channel,
        subscription.as_ref(),
        last.as_ref(),
        Timestamp::now(),
    );
    ctx.send(render::text_reply(&text, true)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_channels_are_told_apart_from_transient_failures() {
        for (status, code) in [
            (404, 10003),
            (403, 50001),
            (403, 50013),
            (404, 0),
            (400, 50013),
        ] {
            assert!(is_channel_unavailable(status, code), "{status} {code}");
        }
        for (status, code) in [(500, 0), (429, 0), (502, 0), (400, 50035)] {
            assert!(!is_channel_unavailable(status, code), "{status} {code}");
        }
    }

    #[test]
    fn status_shows_the_next_post_locally_and_as_a_discord_timestamp() {
        let now: Timestamp = "2025-01-06T06:00:00Z".parse().unwrap();
        let sub = TipSubscription {
            channel_id: 7,
            guild_id: None,
            time: "08:30".into(),
            timezone: "Europe/Berlin".into(),
            days: "workdays".into(),
            paused_reason: None,
            created_at: now,
            updated_at: now,
        };
        let text = status_text(7, Some(&sub), None, now);
        let at: Timestamp = "2025-01-06T07:30:00Z".parse().unwrap();
        assert!(text.contains("08:30 Europe/Berlin"), "{text}");
        assert!(text.contains("Mon 6 Jan 2025"), "{text}");
        assert!(
            text.contains(&format!("<t:{}:F>", at.as_second())),
            "{text}"
        );
        assert!(text.contains("No tip has been posted"), "{text}");

        let paused = TipSubscription {
            paused_reason: Some("Unknown Channel".into()),
            ..sub
        };
        let text = status_text(7, Some(&paused), None, now);
        assert!(text.contains("Paused: Unknown Channel"), "{text}");
        assert!(status_text(7, None, None, now).contains("no daily tips"));
    }
}
