//! Typed settings from `config.toml`, with every default in one place. Secrets never live here.

mod database;

pub(crate) use database::error_chain;
pub use database::{DatabaseLocation, LocationError, PostgresUrl};

use crate::shards::{ShardError, ShardRange, ShardSpan};
use crate::toml_pos::line_of;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the config file path.
pub const CONFIG_ENV: &str = "HINGEBOT_CONFIG";
/// The database's file name in the platform's data folder (see [`default_database`]).
pub const DATABASE_FILE: &str = "hingebot.sqlite3";

/// Environment variable that overrides `database`: a `postgres://` URL (or a SQLite path), so a
/// database password can stay out of config files.
pub const DATABASE_URL_ENV: &str = "HINGEBOT_DATABASE_URL";

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
    /// The database setting (from `HINGEBOT_DATABASE_URL` or `database`) cannot be used; the
    /// message never contains a password.
    #[error("{setting}: {message}")]
    Database { setting: String, message: String },
    #[error("no data folder for the database (no home folder?): set `database` in config.toml or {DATABASE_URL_ENV}")]
    NoDataFolder,
}

/// All settings. Unknown keys are an error that names the key.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A folder of knowledge base TOML files to answer from instead of the bundled copy (relative
    /// paths are relative to the working directory). Unset: the knowledge base compiled into the binary.
    pub knowledge_dir: Option<PathBuf>,
    /// Where subscriptions, tip state, feedback and unanswered questions live: a SQLite file path,
    /// or a `postgres://user@host/db` URL. Unset: see [`Config::database_location`].
    pub database: Option<PathBuf>,
    /// Where `hingebot run` serves `GET /healthz` (e.g. `127.0.0.1:8181`; docs/deploy.md). Unset: no
    /// health endpoint.
    pub health_addr: Option<SocketAddr>,
    pub matcher: MatcherSettings,
    pub discord: DiscordSettings,
    pub tips: TipsSettings,
    pub report: ReportSettings,
    pub digest: DigestSettings,
}

/// Thresholds of the answer / suggest / abstain decision (docs/evaluation.md, "Calibration").
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MatcherSettings {
    /// Minimum top score (0..1) to answer outright.
    pub answer_threshold: f32,
    /// Minimum lead of the top score over the runner-up to answer outright.
    pub answer_margin: f32,
    /// Minimum top score to offer "did you mean" suggestions; below it the assistant abstains.
    pub suggest_threshold: f32,
    /// How many suggestions at most.
    pub max_suggestions: usize,
    /// Weigh meaning as well as words with the bundled sentence-embedding model; `false` matches
    /// on words alone (as does a missing or altered model, with one warning).
    pub semantic: bool,
    /// The model folder; unset: `models/all-minilm-l6-v2` beside the binary or in the source tree
    /// (`HINGEBOT_MODEL_DIR` overrides both).
    pub model_dir: Option<PathBuf>,
    /// The file that keeps the stored questions' sentence vectors between starts; unset:
    /// `question-vectors.bin` in the platform's cache folder.
    pub vector_cache: Option<PathBuf>,
}

impl Default for MatcherSettings {
    fn default() -> Self {
        MatcherSettings {
            answer_threshold: 0.40,
            answer_margin: 0.05,
            suggest_threshold: 0.27,
            max_suggestions: 3,
            semantic: true,
            model_dir: None,
            vector_cache: None,
        }
    }
}

/// Discord adapter settings. The token comes from `DISCORD_TOKEN` or `--token-file`, never from here.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordSettings {
    /// Channel ids where the bot answers without being mentioned (merged with those added by command).
    pub safety_channels: Vec<u64>,
    /// Register slash commands in this guild only (instant updates while developing).
    pub dev_guild_id: Option<u64>,
    /// Seconds a user waits between answers in one channel.
    pub cooldown_seconds: u64,
    /// Stricter answer threshold for unprompted replies in safety channels.
    pub channel_answer_threshold: f32,
    /// Base URL for every REST call (a REST proxy); the gateway URL is then taken from its `GET /gateway`.
    pub api_base: Option<String>,
    /// The gateway shards this process runs, `FIRST-LAST` (`"0-3"`) or one number; needs
    /// `total_shards`. `hingebot run --shards` overrides it.
    pub shards: Option<String>,
    /// How many shards the bot has across all its processes. Unset (and no `shards`): one process
    /// runs as many as Discord recommends. `hingebot run --total-shards` overrides it.
    pub total_shards: Option<u32>,
}

impl Default for DiscordSettings {
    fn default() -> Self {
        DiscordSettings {
            safety_channels: Vec::new(),
            dev_guild_id: None,
            cooldown_seconds: 30,
            channel_answer_threshold: 0.52,
            api_base: None,
            shards: None,
            total_shards: None,
        }
    }
}

impl DiscordSettings {
    /// The shards this process runs: `None` when neither `shards` nor `total_shards` is set (then
    /// one process runs every shard Discord recommends). `total_shards` alone means all of them.
    pub fn shard_range(&self) -> Result<Option<ShardRange>, ShardError> {
        let span = self
            .shards
            .as_deref()
            .map(str::parse::<ShardSpan>)
            .transpose()?;
        match (span, self.total_shards) {
            (None, None) => Ok(None),
            (None, Some(total)) => ShardRange::all(total).map(Some),
            (Some(span), Some(total)) => ShardRange::new(span, total).map(Some),
            (Some(span), None) => Err(ShardError::TotalMissing(span)),
        }
    }
}

/// Daily tip settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TipsSettings {
    /// Local posting time (HH:MM) for channels without their own schedule.
    pub default_time: String,
    /// IANA time zone for channels without their own schedule.
    pub default_timezone: String,
    /// How late (minutes) a missed post may still go out after a restart.
    pub grace_minutes: u64,
    /// How long (seconds) a process's claim on a post keeps other processes from sending it: after
    /// a crash mid-post, another process (or the restarted one) re-sends it once this has passed.
    pub lease_seconds: u64,
    /// Subscriptions applied at start-up (upserted, so restarts change nothing).
    pub subscriptions: Vec<TipSubscriptionSetting>,
}

impl Default for TipsSettings {
    fn default() -> Self {
        TipsSettings {
            default_time: "08:30".to_string(),
            default_timezone: "UTC".to_string(),
            grace_minutes: 120,
            lease_seconds: 120,
            subscriptions: Vec::new(),
        }
    }
}

/// The safety manager's report: which local days usage is counted by, and how long it is kept.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// IANA time zone whose local days usage counts, votes and unanswered questions are filed
    /// under (and that `hingebot report` and the weekly digest read).
    pub timezone: String,
    /// Usage counts, unanswered questions and votes older than this many days are deleted, daily.
    pub retention_days: u64,
}

/// The shortest retention: the weekly digest compares a week with the one before.
pub const MIN_RETENTION_DAYS: u64 = 14;

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            timezone: "UTC".to_string(),
            retention_days: 180,
        }
    }
}

/// The weekly digest for curators, posted to one channel from config (more with `/digest subscribe`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// The channel id to post the digest in; unset: no digest from config.
    pub channel: Option<u64>,
    /// The weekday it is posted on (`mon` … `sun`).
    pub day: String,
    /// The local time (HH:MM) it is posted at.
    pub time: String,
    /// The IANA time zone of `day` and `time`; unset: `report.timezone`.
    pub timezone: Option<String>,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            channel: None,
            day: "mon".to_string(),
            time: "09:00".to_string(),
            timezone: None,
        }
    }
}

/// One `[[tips.subscriptions]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TipSubscriptionSetting {
    pub channel: u64,
    /// The channel's server: with several shard processes, the one running its shard posts there.
    /// Unset: the process running shard 0 posts (until `/tips subscribe` in the channel records it).
    #[serde(default)]
    pub guild: Option<u64>,
    pub time: String,
    pub timezone: String,
    /// `"workdays"` (Mon–Fri, the default) or `"everyday"`.
    #[serde(default = "default_days")]
    pub days: String,
}

/// The shortest tip lease: a send may take half of it.
pub const MIN_LEASE_SECONDS: u64 = 2;

fn default_days() -> String {
    "workdays".to_string()
}

/// Which config file to read, and whether the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPath {
    pub path: PathBuf,
    /// Named by `--config` or `HINGEBOT_CONFIG`: it must exist. The default `./config.toml` may be absent.
    pub explicit: bool,
}

impl ConfigPath {
    /// `--config` first, then `HINGEBOT_CONFIG`, then `./config.toml`.
    pub fn resolve(cli: Option<&Path>) -> ConfigPath {
        let named = |path: PathBuf| ConfigPath {
            path,
            explicit: true,
        };
        if let Some(p) = cli {
            return named(p.to_path_buf());
        }
        match std::env::var_os(CONFIG_ENV) {
            Some(p) if !p.is_empty() => named(PathBuf::from(p)),
            Some(_) => named(PathBuf::from("config.toml")),
            None => ConfigPath {
                path: PathBuf::from("config.toml"),
                explicit: false,
            },
        }
    }

    /// Loads the file. A missing default `./config.toml` means all defaults.
    pub fn load(&self) -> Result<Config, ConfigError> {
        Config::load(&self.path, self.explicit)
    }
}

impl Config {
    /// Loads a config file. A missing file that was not named explicitly means all defaults.
    pub fn load(path: &Path, explicit: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config::default())
            }
            Err(cause) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    cause,
                })
            }
        };
        Config::parse(&text, path)
    }

    /// Parses config text; `path` only labels errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let m = &self.matcher;
        for (field, v) in [
            ("matcher.answer_threshold", m.answer_threshold),
            ("matcher.answer_margin", m.answer_margin),
            ("matcher.suggest_threshold", m.suggest_threshold),
            (
                "discord.channel_answer_threshold",
                self.discord.channel_answer_threshold,
            ),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(field, format!("must be between 0 and 1, got {v}")));
            }
        }
        if m.suggest_threshold > m.answer_threshold {
            return Err(invalid(
                "matcher.suggest_threshold",
                "must not be above matcher.answer_threshold".to_string(),
            ));
        }
        if self.report.retention_days < MIN_RETENTION_DAYS {
            return Err(invalid(
                "report.retention_days",
                format!(
                    "must be at least {MIN_RETENTION_DAYS} (the weekly digest compares a week with the one before), got {}",
                    self.report.retention_days
                ),
            ));
        }
        if let Some(Err(e)) = self.database.as_deref().map(DatabaseLocation::from_setting) {
            return Err(invalid("database", e.to_string()));
        }
        if let Err(e) = self.discord.shard_range() {
            let field = match e {
                ShardError::NoShards => "discord.total_shards",
                _ => "discord.shards",
            };
            return Err(invalid(field, e.to_string()));
        }
        if self.tips.lease_seconds < MIN_LEASE_SECONDS {
            return Err(invalid(
                "tips.lease_seconds",
                format!(
                    "must be at least {MIN_LEASE_SECONDS} (a post must fit in it), got {}",
                    self.tips.lease_seconds
                ),
            ));
        }
        if let Some(base) = &self.discord.api_base {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(invalid(
                    "discord.api_base",
                    format!("must start with http:// or https://, got {base:?}"),
                ));
            }
        }
        Ok(())
    }
}

impl Config {
    /// Applies the environment's overrides: `HINGEBOT_DATABASE_URL`, when set and non-empty,
    /// replaces `database` (a `postgres://` URL or a SQLite path, so a password can stay out of
    /// config files). The binary calls this once after loading; the library never reads it, so a
    /// [`Config`] built in code means what it says.
    pub fn apply_env(&mut self) {
        if let Some(value) = std::env::var_os(DATABASE_URL_ENV).filter(|v| !v.is_empty()) {
            self.database = Some(PathBuf::from(value));
        }
    }

    /// Where the store lives: `database` (a file path or a `postgres://` URL), else
    /// `hingebot.sqlite3` in the platform's data folder ([`default_database`]).
    pub fn database_location(&self) -> Result<DatabaseLocation, ConfigError> {
        match &self.database {
            Some(setting) => {
                DatabaseLocation::from_setting(setting).map_err(|e| ConfigError::Database {
                    setting: "database".to_string(),
                    message: e.to_string(),
                })
            }
            None => default_database()
                .map(DatabaseLocation::Sqlite)
                .ok_or(ConfigError::NoDataFolder),
        }
    }
}

impl MatcherSettings {
    /// Where the stored questions' vectors are cached: `vector_cache`, else
    /// [`default_vector_cache`]; `None` when neither is available (vectors are then encoded at
    /// every start).
    pub fn vector_cache_path(&self) -> Option<PathBuf> {
        self.vector_cache.clone().or_else(default_vector_cache)
    }
}

/// `question-vectors.bin` in the platform's cache folder for hingebot (`$XDG_CACHE_HOME/hingebot`
/// or `~/.cache/hingebot` on Linux).
pub fn default_vector_cache() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "hingebot")
        .map(|dirs| dirs.cache_dir().join("question-vectors.bin"))
}

/// `hingebot.sqlite3` in the platform's data folder for hingebot (`$XDG_DATA_HOME/hingebot` or
/// `~/.local/share/hingebot` on Linux, `~/Library/Application Support/hingebot` on macOS,
/// `%APPDATA%\hingebot\data` on Windows); `None` when the platform has no home folder.
pub fn default_database() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "hingebot")
        .map(|dirs| dirs.data_dir().join(DATABASE_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_naming_the_key_and_line() {
        let err = Config::parse(
            "database = \"x.db\"\n[matcher]\nanswer_treshold = 0.5\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.toml:3:"), "{err}");
        assert!(err.contains("answer_treshold"), "{err}");
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(
            Config::parse("", Path::new("c.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn the_database_is_a_file_by_default_a_url_when_given() {
        let file =
            Config::parse("database = \"state/bot.sqlite3\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(
            file.database_location().unwrap(),
            DatabaseLocation::Sqlite(PathBuf::from("state/bot.sqlite3"))
        );
        let server = Config::parse(
            "database = \"postgres://bot:hunter2@db.internal/hingebot\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let location = server.database_location().unwrap();
        assert_eq!(location.backend_name(), "postgres");
        assert!(!location.to_string().contains("hunter2"), "{location}");
        let default = Config::default().database_location().unwrap();
        let DatabaseLocation::Sqlite(default) = default else {
            panic!("the default database is a SQLite file: {default}");
        };
        assert!(default.ends_with(DATABASE_FILE) && default.is_absolute());

        let err = Config::parse(
            "database = \"mysql://root:pw@db/hb\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.toml: database: "), "{err}");
        assert!(!err.contains(":pw@"), "{err}");
    }

    #[test]
    fn shard_keys_are_checked_and_name_the_field() {
        let ok = Config::parse(
            "[discord]\nshards = \"2-3\"\ntotal_shards = 4\n[tips]\nlease_seconds = 30\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let range = ok.discord.shard_range().unwrap().unwrap();
        assert_eq!((range.first(), range.last(), range.total()), (2, 3, 4));
        assert_eq!(Config::default().discord.shard_range().unwrap(), None);
        for (text, field) in [
            (
                "[discord]\nshards = \"0-4\"\ntotal_shards = 4\n",
                "discord.shards",
            ),
            ("[discord]\nshards = \"0-1\"\n", "discord.shards"),
            ("[discord]\ntotal_shards = 0\n", "discord.total_shards"),
            ("[tips]\nlease_seconds = 1\n", "tips.lease_seconds"),
        ] {
            let err = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("c.toml: {field}: ")), "{err}");
        }
        let err = Config::parse("health_addr = \"localhost\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:1:"), "{err}");
    }

    #[test]
    fn report_and_digest_settings_have_defaults_and_a_short_retention_is_refused() {
        let config = Config::parse(
            "[report]\ntimezone = \"Europe/Berlin\"\n[digest]\nchannel = 42\nday = \"fri\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(config.report.retention_days, 180);
        assert_eq!(config.digest.channel, Some(42));
        assert_eq!(
            (config.digest.day.as_str(), config.digest.time.as_str()),
            ("fri", "09:00")
        );
        assert_eq!(config.digest.timezone, None);
        let err = Config::parse("[report]\nretention_days = 7\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("report.retention_days"), "{err}");
        assert!(err.contains("at least 14"), "{err}");
    }

    #[test]
    fn the_shipped_config_toml_states_the_defaults() {
        let text = include_str!("../../config.toml");
        assert_eq!(
            Config::parse(text, Path::new("config.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn the_deploy_config_is_the_defaults_with_a_loopback_health_endpoint() {
        let text = include_str!("../../deploy/config.toml");
        let config = Config::parse(text, Path::new("deploy/config.toml")).unwrap();
        assert_eq!(
            config,
            Config {
                health_addr: Some("127.0.0.1:8181".parse().unwrap()),
                ..Config::default()
            }
        );
    }

    #[test]
    fn out_of_range_threshold_names_the_field() {
        let err = Config::parse("[matcher]\nanswer_threshold = 3.0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("matcher.answer_threshold"), "{err}");
    }
}
