//! Shared fixtures for end-to-end tests: the fake Discord and a bot started the way `hingebot run`
//! starts it.
#![allow(dead_code, unused_imports)]

pub mod db_proxy;
pub mod fake_discord;
pub mod logs;
pub mod process;

use hingebot::config::{Config, DiscordSettings, MatcherSettings};
use hingebot::discord::Token;
use hingebot::KnowledgeBase;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fake_discord::{intents, payload, permissions, FakeDiscord, Recorded, BOT_ID, GUILD_ID};

/// The longest any single wait in a test may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// The repository's knowledge base.
pub fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The repository's knowledge base, loaded.
pub fn kb() -> KnowledgeBase {
    KnowledgeBase::load(&knowledge_dir()).expect("the repository's knowledge base loads")
}

/// Runs a test body with an overall time limit, so a hang fails instead of blocking the suite.
pub async fn within<F: Future<Output = ()>>(limit: Duration, body: F) {
    tokio::time::timeout(limit, body)
        .await
        .expect("the test finishes within its time limit");
}

/// A well-formed (fake) bot token.
pub const TOKEN: &str = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.token-for-tests";

/// The matcher of the bots these tests run: words only. The Discord tests exercise the transport
/// (the matcher has its own tests in matcher.rs and hybrid.rs), and a debug build spends about
/// 0.2 s encoding each message, which would turn a burst of 200 questions into minutes.
pub fn matcher() -> MatcherSettings {
    MatcherSettings {
        semantic: false,
        ..MatcherSettings::default()
    }
}

/// A config that talks to `fake` and keeps its state in `database`.
pub fn config(fake: &FakeDiscord, database: &Path, discord: DiscordSettings) -> Config {
    Config {
        knowledge_dir: Some(knowledge_dir()),
        database: Some(database.to_path_buf()),
        matcher: matcher(),
        discord: DiscordSettings {
            api_base: Some(fake.api_base()),
            ..discord
        },
        ..Config::default()
    }
}

/// A bot running in this test, via `hingebot::discord::run` (what `hingebot run` calls).
pub struct RunningBot {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningBot {
    /// Starts the bot against `fake` and waits until it is connected and has registered its commands.
    pub async fn start(
        fake: &FakeDiscord,
        database: &Path,
        discord: DiscordSettings,
    ) -> RunningBot {
        RunningBot::start_with_config(fake, config(fake, database, discord)).await
    }

    /// Starts the bot with a whole config (see [`config`]), as `hingebot run` does, and waits until it is ready.
    pub async fn start_with_config(fake: &FakeDiscord, config: Config) -> RunningBot {
        RunningBot::start_with(fake, config, None, None).await
    }

    /// Like [`RunningBot::start_with_config`], sending REST calls through `client` when given
    /// (e.g. [`FakeDiscord::discord_client`], with `discord.api_base` unset: the production path,
    /// serenity's ratelimiter on).
    pub async fn start_with_client(
        fake: &FakeDiscord,
        config: Config,
        client: Option<reqwest::Client>,
    ) -> RunningBot {
        RunningBot::start_with(fake, config, client, None).await
    }

    /// Like [`RunningBot::start_with_config`], with the clock the bot counts replies and
    /// schedules posts by (a `TokioClock` in paused-time tests).
    pub async fn start_with_clock(
        fake: &FakeDiscord,
        config: Config,
        clock: std::sync::Arc<dyn hingebot::daily_tips::Clock>,
    ) -> RunningBot {
        RunningBot::start_with(fake, config, None, Some(clock)).await
    }

    /// The bot with an optional REST client (default: [`hingebot::discord::rest::http_client`])
    /// and clock (default: the system clock).
    pub async fn start_with(
        fake: &FakeDiscord,
        config: Config,
        client: Option<reqwest::Client>,
        clock: Option<std::sync::Arc<dyn hingebot::daily_tips::Clock>>,
    ) -> RunningBot {
        let (stop, stopped) = oneshot::channel::<()>();
        let token = Token::parse(TOKEN, "test").expect("a well-formed token");
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            let client = match client {
                Some(client) => client,
                None => hingebot::discord::rest::http_client()?,
            };
            let clock =
                clock.unwrap_or_else(|| std::sync::Arc::new(hingebot::daily_tips::SystemClock));
            hingebot::discord::run_with(&config, token, client, clock, stopped).await
        });
        let bot = RunningBot {
            stop: Some(stop),
            task: Some(task),
        };
        fake.wait_until_ready(TIMEOUT).await;
        bot
    }

    /// Asks the bot to shut down (as SIGTERM does) and waits for it to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop_within(TIMEOUT).await
    }

    /// [`RunningBot::stop`], waiting up to `limit` (a post in progress may take its send timeout).
    pub async fn stop_within(mut self, limit: Duration) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("stopped once");
        tokio::time::timeout(limit, task)
            .await
            .expect("the bot stops within the timeout")
            .expect("the bot task does not panic")
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Settings for most tests: no safety channels, no cooldown.
pub fn settings() -> DiscordSettings {
    DiscordSettings {
        cooldown_seconds: 0,
        ..DiscordSettings::default()
    }
}

/// A test body given the fake Discord and the bot's database path; `Box::pin(async move { … })`.
pub type BotTest<'a> = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Starts a fake Discord and a bot on it with its own temporary database, runs `body`, then stops the
/// bot (as SIGTERM does) and checks it stopped cleanly, all within a minute and a half. Returns the
/// database, still on disk, for checks after the stop.
pub async fn with_bot<F>(settings: DiscordSettings, body: F) -> (tempfile::TempDir, PathBuf)
where
    F: for<'a> FnOnce(&'a FakeDiscord, &'a Path) -> BotTest<'a>,
{
    let (dir, db) = temp_db();
    within(Duration::from_secs(90), async {
        let fake = FakeDiscord::start().await;
        let bot = RunningBot::start(&fake, &db, settings).await;
        body(&fake, &db).await;
        bot.stop().await.expect("the bot stops cleanly");
    })
    .await;
    (dir, db)
}

/// A temporary folder with a database path inside.
pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("hingebot.sqlite3");
    (dir, path)
}
