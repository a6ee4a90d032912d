//! Typed settings from `config.toml`, with every default in one place. Secrets never live here.

use crate::store::DatabaseLocation;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the config file path.
pub const CONFIG_ENV: &str = "HINGEBOT_CONFIG";

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
}

/// All settings. Unknown keys are an error that names the key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder with the knowledge base TOML files (relative paths are relative to the working directory).
    pub knowledge_dir: PathBuf,
    /// Where subscriptions, tip state, feedback and unanswered questions live: a SQLite file path,
    /// or a `postgres://user@host/db` URL (see [`Config::database_location`]).
    pub database: PathBuf,
    pub matcher: MatcherSettings,
    pub discord: DiscordSettings,
    pub tips: TipsSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            knowledge_dir: PathBuf::from("knowledge"),
            database: PathBuf::from("hingebot.sqlite3"),
            matcher: MatcherSettings::default(),
            discord: DiscordSettings::default(),
            tips: TipsSettings::default(),
        }
    }
}

/// Thresholds of the answer / suggest / abstain decision (see README "Calibration").
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
}

impl Default for MatcherSettings {
    fn default() -> Self {
        MatcherSettings {
            answer_threshold: 0.45,
            answer_margin: 0.05,
            suggest_threshold: 0.25,
            max_suggestions: 3,
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
}

impl Default for DiscordSettings {
    fn default() -> Self {
        DiscordSettings {
            safety_channels: Vec::new(),
            dev_guild_id: None,
            cooldown_seconds: 30,
            channel_answer_threshold: 0.6,
            api_base: None,
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
    /// Subscriptions applied at start-up (upserted, so restarts change nothing).
    pub subscriptions: Vec<TipSubscriptionSetting>,
}

impl Default for TipsSettings {
    fn default() -> Self {
        TipsSettings {
            default_time: "08:30".to_string(),
            default_timezone: "UTC".to_string(),
            grace_minutes: 120,
            subscriptions: Vec::new(),
        }
    }
}

/// One `[[tips.subscriptions]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TipSubscriptionSetting {
    pub channel: u64,
    pub time: String,
    pub timezone: String,
    /// `"workdays"` (Mon–Fri, the default) or `"everyday"`.
    #[serde(default = "default_days")]
    pub days: String,
}

fn default_days() -> String {
    "workdays".to_string()
}

impl Config {
    /// The path to read — `--config` first, then `HINGEBOT_CONFIG`, then `./config.toml` — and
    /// whether the user named it (a named file must exist; the default may be absent).
    pub fn resolve_path(cli: Option<&Path>) -> (PathBuf, bool) {
        if let Some(p) = cli {
            return (p.to_path_buf(), true);
        }
        match std::env::var_os(CONFIG_ENV) {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            Some(_) => (PathBuf::from("config.toml"), true),
            None => (PathBuf::from("config.toml"), false),
        }
    }

    /// Loads a config file. A missing `./config.toml` (not named explicitly) means all defaults.
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
        if let Err(e) = DatabaseLocation::from_setting(&self.database) {
            return Err(invalid("database", e.to_string()));
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
    /// Where the store lives: `HINGEBOT_DATABASE_URL` when set, else `database`.
    pub fn database_location(&self) -> Result<DatabaseLocation, ConfigError> {
        self.database_location_given(std::env::var(DATABASE_URL_ENV).ok().as_deref())
    }

    /// [`Config::database_location`] with the environment variable's value passed in.
    pub fn database_location_given(
        &self,
        env_url: Option<&str>,
    ) -> Result<DatabaseLocation, ConfigError> {
        match env_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => DatabaseLocation::parse(url).map_err(|e| ConfigError::Database {
                setting: DATABASE_URL_ENV.to_string(),
                message: e.to_string(),
            }),
            None => {
                DatabaseLocation::from_setting(&self.database).map_err(|e| ConfigError::Database {
                    setting: "database".to_string(),
                    message: e.to_string(),
                })
            }
        }
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
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
    fn the_database_is_a_file_by_default_a_url_when_given_and_the_environment_wins() {
        let file =
            Config::parse("database = \"state/bot.sqlite3\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(
            file.database_location_given(None).unwrap(),
            DatabaseLocation::Sqlite(PathBuf::from("state/bot.sqlite3"))
        );
        let server = Config::parse(
            "database = \"postgres://bot@db.internal/hingebot\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(
            server.database_location_given(None).unwrap().backend_name(),
            "postgres"
        );
        let from_env = file
            .database_location_given(Some("postgres://bot:hunter2@db.internal/hingebot"))
            .unwrap();
        assert_eq!(from_env.backend_name(), "postgres");
        assert!(!from_env.to_string().contains("hunter2"), "{from_env}");
        assert_eq!(
            file.database_location_given(Some("  ")).unwrap(),
            file.database_location_given(None).unwrap(),
            "an empty variable is unset"
        );

        let err = file
            .database_location_given(Some("postgres://bot:hunter2@db/hb?sslmode=bogus"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("HINGEBOT_DATABASE_URL: "), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
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
    fn out_of_range_threshold_names_the_field() {
        let err = Config::parse("[matcher]\nanswer_threshold = 3.0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("matcher.answer_threshold"), "{err}");
    }
}
