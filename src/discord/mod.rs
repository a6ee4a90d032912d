//! The Discord adapter: serenity for the transport, poise for slash commands. The core decides what to
//! answer; this adapter decides only when to speak in a channel (who is answered, cooldowns, the
//! stricter unprompted threshold: [`messages::decide`]) and how a reply looks ([`render`]).
//!
//! [`serve`] is what `hingebot run` runs: it connects, registers the commands, answers until the
//! shutdown future resolves, then closes the shards and flushes the store.

pub mod action;
pub mod buttons;
pub mod commands;
pub mod cooldown;
pub mod digest;
pub mod health;
pub mod lift;
pub mod messages;
pub mod render;
pub mod rest;
pub mod tips;

use crate::config::{Config, DigestSettings, DiscordSettings, TipsSettings};
use crate::daily_tips::{self, Clock, SchedulerHandle, SchedulerOptions, SystemClock};
use crate::failure_log::FailureLog;
use crate::shards::ShardRange;
use crate::store::{Store, UserHasher};
use crate::usage::{ChannelKind, Outcome, Reporting};
use crate::weekly_digest::DigestHandle;
use crate::{Assistant, Reply};
use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// The environment variable holding the bot token.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";
/// The environment variable that overrides `discord.api_base`.
pub const API_BASE_ENV: &str = "HINGEBOT_DISCORD_API_BASE";

/// The gateway intents the bot asks for. Message content is privileged: without it, mentions,
/// DMs and slash commands still work (Discord sends content to a bot it mentions and in DMs).
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT
}

/// A bot token. Never printed: `Debug` shows a placeholder.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why a token cannot be used. Messages say how to fix it and never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no Discord bot token: set DISCORD_TOKEN (e.g. `export DISCORD_TOKEN=...` with the token from the Discord developer portal, Bot tab) or pass --token-file PATH")]
    Missing,
    #[error("the Discord bot token in {source_name} is malformed (expected three dot-separated parts, as copied from the developer portal's Bot tab): set DISCORD_TOKEN or --token-file to the bot token")]
    Malformed { source_name: String },
    #[error("cannot read the Discord bot token file {path}: {error} (pass --token-file with a readable file, or set DISCORD_TOKEN)")]
    Unreadable { path: String, error: std::io::Error },
}

impl Token {
    /// Checks the shape of a token (surrounding whitespace and a `Bot ` prefix are allowed).
    /// `source_name` says where it came from, for the error message.
    pub fn parse(raw: &str, source_name: &str) -> Result<Token, TokenError> {
        let trimmed = raw.trim();
        let bare = trimmed.strip_prefix("Bot ").unwrap_or(trimmed).trim();
        if bare.is_empty() {
            return Err(TokenError::Missing);
        }
        if bare.chars().any(char::is_whitespace) || serenity::utils::token::validate(bare).is_err()
        {
            return Err(TokenError::Malformed {
                source_name: source_name.to_string(),
            });
        }
        Ok(Token(bare.to_string()))
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

/// The REST base to use: `HINGEBOT_DISCORD_API_BASE` when set and non-empty, else `discord.api_base`.
pub fn effective_api_base(settings: &DiscordSettings) -> anyhow::Result<Option<String>> {
    let base = match std::env::var(API_BASE_ENV) {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_string()),
        _ => settings.api_base.clone(),
    };
    if let Some(b) = &base {
        if !(b.starts_with("http://") || b.starts_with("https://")) {
            anyhow::bail!(
                "{API_BASE_ENV} / discord.api_base must start with http:// or https://, got {b:?}"
            );
        }
    }
    Ok(base)
}

/// What `hingebot run` does once it has a token: loads the knowledge base and the database as
/// configured, then [`serve`]s until `shutdown` resolves.
pub async fn run(
    config: &Config,
    token: Token,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    run_with(
        config,
        token,
        rest::http_client()?,
        Arc::new(SystemClock),
        shutdown,
    )
    .await
}

/// [`run`], sending REST calls through `client` (tests give one that reaches a fake Discord).
pub async fn run_with_client(
    config: &Config,
    token: Token,
    client: reqwest::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    run_with(config, token, client, Arc::new(SystemClock), shutdown).await
}

/// [`run`] with the wall clock replies are counted by and digests scheduled by (tests pass one
/// that follows paused tokio time).
pub async fn run_with_clock(
    config: &Config,
    token: Token,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    run_with(config, token, rest::http_client()?, clock, shutdown).await
}

/// [`run`] with both: REST calls through `client`, replies counted and digests scheduled by `clock`.
pub async fn run_with(
    config: &Config,
    token: Token,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let api_base = effective_api_base(&config.discord)?;
    let shards = config
        .discord
        .shard_range()
        .context("discord.shards / discord.total_shards")?;
    let assistant = Arc::new(crate::setup::load_assistant(config)?);
    let store = crate::setup::open_store(config).await?;
    daily_tips::apply_config_subscriptions(config, &store)
        .await
        .context("applying the [[tips.subscriptions]] from the config")?;
    let reporting = crate::weekly_digest::apply_config(config, &store, clock.now())
        .await
        .context("applying [report] and [digest] from the config")?;
    let bot = Bot::with_reporting(
        assistant,
        store,
        config.discord.clone(),
        config.tips.clone(),
        BotReporting {
            reporting,
            digest: config.digest.clone(),
            clock,
        },
    )
    .await?;
    tracing::info!(
        database = %bot.store.location(),
        api_base = api_base.as_deref().unwrap_or("Discord"),
        shards = %shards.map_or_else(|| "all (as Discord recommends)".to_string(), |s| s.to_string()),
        "starting the Discord bot"
    );
    let options = ServeOptions {
        api_base,
        client,
        shards,
        tips: SchedulerOptions {
            shards,
            ..SchedulerOptions::from_settings(&config.tips)
        },
        health_addr: config.health_addr,
    };
    serve(token, bot, options, shutdown).await
}

/// How [`serve`] connects and what it runs beside the gateway.
pub struct ServeOptions {
    /// A REST proxy to send every call to (see [`effective_api_base`]); `None`: Discord.
    pub api_base: Option<String>,
    /// The HTTP client for REST calls ([`rest::http_client`]).
    pub client: reqwest::Client,
    /// The shards to run; `None`: every shard Discord recommends (`start_autosharded`).
    pub shards: Option<ShardRange>,
    /// The daily tip scheduler's tuning (its `shards` should match).
    pub tips: SchedulerOptions,
    /// Where to serve `GET /healthz`; `None`: nowhere.
    pub health_addr: Option<SocketAddr>,
}

/// Everything the handlers share: the assistant, the store and the adapter's own state.
pub struct Bot {
    pub(crate) assistant: Arc<Assistant>,
    pub(crate) store: Arc<Store>,
    pub(crate) settings: DiscordSettings,
    /// Where and when tips are read by default: `/tip` shows the tip of today in this zone.
    pub(crate) tips: TipsSettings,
    pub(crate) cooldowns: cooldown::Cooldowns,
    /// Safety channels from config.toml and from commands, merged.
    pub(crate) safety_channels: RwLock<HashSet<u64>>,
    pub(crate) users: UserHasher,
    /// The daily tip scheduler, once [`serve`] has started it.
    pub(crate) tip_scheduler: OnceLock<SchedulerHandle>,
    /// Failed database writes (votes, unanswered questions): logged at most once a minute each,
    /// while the bot goes on answering.
    pub(crate) write_failures: FailureLog,
    /// How often a reply that failed on a server error or a timeout is sent again.
    pub(crate) retry: rest::RetryPolicy,
    /// Which day replies are counted on and how long rows are kept (`[report]`).
    pub(crate) reporting: Reporting,
    /// `/digest subscribe`'s defaults (`[digest]`).
    pub(crate) digest: DigestSettings,
    /// Now, for counting replies and scheduling posts.
    pub(crate) clock: Arc<dyn Clock>,
    /// The weekly digest task, once [`serve`] has started it.
    pub(crate) digest_task: OnceLock<DigestHandle>,
}

/// What the bot counts its replies by and schedules digests with: `[report]`, `[digest]` and a clock.
#[derive(Clone)]
pub struct BotReporting {
    pub reporting: Reporting,
    pub digest: DigestSettings,
    pub clock: Arc<dyn Clock>,
}

impl Default for BotReporting {
    fn default() -> BotReporting {
        BotReporting {
            reporting: Reporting::default(),
            digest: DigestSettings::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl Bot {
    /// Builds the shared state with the default `[report]` and `[digest]` settings and the
    /// system clock; see [`Bot::with_reporting`].
    pub async fn new(
        assistant: Arc<Assistant>,
        store: Arc<Store>,
        settings: DiscordSettings,
        tips: TipsSettings,
    ) -> anyhow::Result<Arc<Bot>> {
        Bot::with_reporting(assistant, store, settings, tips, BotReporting::default()).await
    }

    /// Builds the shared state, reading channels added by command and the user-hash salt from the store.
    pub async fn with_reporting(
        assistant: Arc<Assistant>,
        store: Arc<Store>,
        settings: DiscordSettings,
        tips: TipsSettings,
        reporting: BotReporting,
    ) -> anyhow::Result<Arc<Bot>> {
        let context = "reading the bot's state from the database";
        let added = store.safety_channels().await.context(context)?;
        let users = store.user_hasher().await.context(context)?;
        let channels: HashSet<u64> = settings
            .safety_channels
            .iter()
            .copied()
            .chain(added)
            .collect();
        Ok(Arc::new(Bot {
            assistant,
            store,
            cooldowns: cooldown::Cooldowns::new(Duration::from_secs(settings.cooldown_seconds)),
            settings,
            tips,
            safety_channels: RwLock::new(channels),
            users,
            tip_scheduler: OnceLock::new(),
            write_failures: FailureLog::default(),
            retry: rest::RetryPolicy::default(),
            reporting: reporting.reporting,
            digest: reporting.digest,
            clock: reporting.clock,
            digest_task: OnceLock::new(),
        }))
    }

    /// Whether the bot answers unprompted in this channel.
    pub fn is_safety_channel(&self, channel_id: u64) -> bool {
        self.safety_channels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&channel_id)
    }

    pub(crate) fn set_safety_channel(&self, channel_id: u64, on: bool) {
        let mut set = self
            .safety_channels
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if on {
            set.insert(channel_id);
        } else if !self.settings.safety_channels.contains(&channel_id) {
            set.remove(&channel_id);
        }
    }

    /// Wakes the tip scheduler after a subscription change. Before it starts there is nothing to
    /// wake: it reads the subscriptions when it starts.
    pub(crate) fn tip_subscriptions_changed(&self) {
        if let Some(scheduler) = self.tip_scheduler.get() {
            scheduler.subscriptions_changed();
        }
    }

    /// What the message policy ([`messages::decide`]) reads, for a bot whose user id is `bot_id`.
    pub fn policy(&self, bot_id: u64) -> messages::Policy<'_> {
        messages::Policy {
            assistant: &self.assistant,
            settings: &self.settings,
            cooldowns: &self.cooldowns,
            bot_id,
        }
    }

    /// The assistant answering for this bot.
    pub fn assistant(&self) -> &Assistant {
        &self.assistant
    }

    /// Wakes the digest task after a subscription change (nothing to wake before it starts).
    pub(crate) fn digest_subscriptions_changed(&self) {
        if let Some(task) = self.digest_task.get() {
            task.subscriptions_changed();
        }
    }

    /// The local day (in `report.timezone`) a reply or vote now is counted on.
    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.reporting.day(self.clock.now())
    }

    /// Counts a reply the bot sent: its kind and entry, the kind of channel, today. Counts only:
    /// no user, no text. A failure is logged (at most once a minute) and otherwise ignored: the
    /// asker already has their answer.
    pub(crate) async fn count_reply(&self, reply: &Reply, channel: ChannelKind) {
        let Some(outcome) = Outcome::of(reply) else {
            return;
        };
        let counted = self
            .store
            .record_usage(self.today(), reply.first_entry(), outcome, channel)
            .await;
        let _ = self.write_failures.track("count a reply", counted);
    }

    /// Records an unanswered question for curators: masked and normalized by the store, with a
    /// per-question pseudonym of the asker (never the id). A failure is logged (at most once a
    /// minute) and otherwise ignored: the asker already has their answer.
    pub(crate) async fn note_unanswered(&self, question: &str, asker_id: u64) {
        let recorded = self
            .store
            .record_unanswered(question, asker_id, self.today())
            .await;
        let _ = self
            .write_failures
            .track("record an unanswered question", recorded);
    }
}

pub(crate) type Error = anyhow::Error;
pub(crate) type Context<'a> = poise::Context<'a, Arc<Bot>, Error>;

/// How long to wait for the shards to close after a shutdown request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the bot until `shutdown` resolves (or Discord ends the session), then closes the shards,
/// stops the daily tip scheduler and flushes the store. REST calls go through `options.client`,
/// to `options.api_base` when set (taking the gateway URL from its `GET /gateway`). The daily tip
/// scheduler starts once the client exists, and `/healthz` once the gateway is starting.
pub async fn serve(
    token: Token,
    bot: Arc<Bot>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut intents = intents();
    let mut tip_task = None;
    let health = health::Health::new(Arc::clone(&bot.store), options.shards);
    let health_task = match options.health_addr {
        Some(addr) => Some(health::serve(addr, Arc::clone(&health)).await?),
        None => None,
    };
    let mut digest_task = None;
    let result = loop {
        let mut client = match build_client(&token, Arc::clone(&bot), &options, intents).await {
            Ok(client) => client,
            Err(e) => break Err(e),
        };
        if tip_task.is_none() {
            let task = tips::TipTask::start(&bot, Arc::clone(&client.http), options.tips.clone());
            health.set_tip_scheduler(task.handle());
            tip_task = Some(task);
        }
        if digest_task.is_none() {
            digest_task = Some(digest::DigestTask::start(&bot, Arc::clone(&client.http)));
        }
        let manager = Arc::clone(&client.shard_manager);
        health.set_shard_manager(Arc::clone(&manager));
        let mut running = std::pin::pin!(start_shards(&mut client, options.shards));
        let outcome = tokio::select! {
            r = &mut running => Some(r),
            () = &mut shutdown => None,
        };
        match outcome {
            None => {
                tracing::info!("shutting down: closing the gateway connection");
                manager.shutdown_all().await;
                if tokio::time::timeout(SHUTDOWN_GRACE, &mut running)
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        "the gateway did not close within {SHUTDOWN_GRACE:?}; stopping anyway"
                    );
                }
                break Ok(());
            }
            Some(Ok(())) => break Ok(()),
            Some(Err(serenity::Error::Gateway(
                serenity::GatewayError::DisallowedGatewayIntents,
            ))) if intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT) => {
                tracing::warn!(
                    "the Message Content intent is not enabled for this bot in the Discord developer portal \
                     (Bot tab > Privileged Gateway Intents): continuing without it, so the bot answers \
                     mentions, DMs and slash commands but not unprompted questions in safety channels"
                );
                intents.remove(serenity::GatewayIntents::MESSAGE_CONTENT);
            }
            Some(Err(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication))) => {
                break Err(anyhow::anyhow!(
                    "Discord rejected the bot token: check DISCORD_TOKEN (or --token-file) against the developer portal's Bot tab"
                ));
            }
            Some(Err(serenity::Error::Gateway(serenity::GatewayError::InvalidShardData))) => {
                break Err(anyhow::anyhow!(
                    "Discord refused the shard numbers: check --shards / --total-shards (discord.shards, discord.total_shards)"
                ));
            }
            Some(Err(e)) => {
                break Err(anyhow::Error::new(e).context("the Discord connection failed"))
            }
        }
    };
    if let Some(task) = health_task {
        task.abort();
    }
    if let Some(task) = tip_task {
        task.stop().await;
    }
    if let Some(task) = digest_task {
        task.stop().await;
    }
    let flushed = bot.store.close().await;
    if let Err(e) = &flushed {
        tracing::warn!("could not flush the database on shutdown: {e}");
    }
    result
}

/// Connects the configured shards: a range of them, or every shard Discord recommends.
async fn start_shards(
    client: &mut serenity::Client,
    shards: Option<ShardRange>,
) -> serenity::Result<()> {
    match shards {
        None => client.start_autosharded().await,
        // serenity 0.12 reads the range's end as the last shard to start (inclusive), as its
        // documentation's example "4..7 starts shards 4 through 7" says.
        Some(range) => {
            client
                .start_shard_range(range.first()..range.last(), range.total())
                .await
        }
    }
}

async fn build_client(
    token: &Token,
    bot: Arc<Bot>,
    options: &ServeOptions,
    intents: serenity::GatewayIntents,
) -> anyhow::Result<serenity::Client> {
    let http = rest::discord_http(
        token.expose(),
        options.client.clone(),
        options.api_base.as_deref(),
    );
    if let Some(base) = &options.api_base {
        // serenity would silently fall back to Discord's own gateway; an unreachable base is a configuration error.
        http.get_gateway().await.with_context(|| {
            format!("discord.api_base {base}: `GET /api/v10/gateway` failed (is the REST proxy running?)")
        })?;
    }
    let framework = commands::framework(bot);
    let client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .event_handler(rest::RatelimitLog)
        .await
        .context("cannot set up the Discord client")?;
    Ok(client)
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_and_never_shown() {
        let t = Token::parse(" Bot aaaa.bbbb.cccc\n", "DISCORD_TOKEN").unwrap();
        assert_eq!(t.expose(), "aaaa.bbbb.cccc");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");

        assert!(matches!(
            Token::parse("  ", "DISCORD_TOKEN"),
            Err(TokenError::Missing)
        ));
        let err = Token::parse("not-a-token", "DISCORD_TOKEN")
            .unwrap_err()
            .to_string();
        assert!(err.contains("DISCORD_TOKEN"), "{err}");
        assert!(
            !err.contains("not-a-token"),
            "the token is never echoed: {err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(Token::parse("aa.bb.cc dd", "x").is_err());
    }

    #[test]
    fn the_bot_asks_for_message_content_and_both_kinds_of_messages() {
        use poise::serenity_prelude::GatewayIntents as I;
        let i = intents();
        for needed in [
            I::GUILDS,
            I::GUILD_MESSAGES,
            I::DIRECT_MESSAGES,
            I::MESSAGE_CONTENT,
        ] {
            assert!(i.contains(needed), "{needed:?}");
        }
    }
}
