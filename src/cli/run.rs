//! `hingebot run`: reads the token, loads the knowledge base and the database, and runs the Discord
//! bot until SIGINT/SIGTERM.

use crate::config::Config;
use crate::discord::{self, Token, TokenError, TOKEN_ENV};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Read the bot token from this file instead of $DISCORD_TOKEN.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Run only these gateway shards, FIRST-LAST (e.g. 0-3) or one number; needs --total-shards.
    /// Other processes run the rest; each posts the daily tips of its shards' servers.
    #[arg(long, value_name = "FIRST-LAST")]
    pub shards: Option<String>,
    /// How many shards the bot has across all its processes. Alone: this process runs all of them.
    #[arg(long, value_name = "N")]
    pub total_shards: Option<u32>,
}

/// The config with `--shards` / `--total-shards` applied, checked.
pub fn with_shard_flags(args: &RunArgs, config: &Config) -> anyhow::Result<Config> {
    let mut config = config.clone();
    if args.shards.is_some() {
        config.discord.shards = args.shards.clone();
    }
    if args.total_shards.is_some() {
        config.discord.total_shards = args.total_shards;
    }
    config
        .discord
        .shard_range()
        .map_err(|e| anyhow::anyhow!("--shards / --total-shards: {e}"))?;
    Ok(config)
}

/// The bot token: from `--token-file` when given, else from `DISCORD_TOKEN`.
pub fn read_token(args: &RunArgs) -> Result<Token, TokenError> {
    match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| TokenError::Unreadable {
                path: path.display().to_string(),
                error,
            })?;
            Token::parse(&text, &format!("--token-file {}", path.display()))
        }
        None => match std::env::var(TOKEN_ENV) {
            Ok(value) => Token::parse(&value, TOKEN_ENV),
            Err(std::env::VarError::NotPresent) => Err(TokenError::Missing),
            Err(std::env::VarError::NotUnicode(_)) => Err(TokenError::Malformed {
                source_name: TOKEN_ENV.to_string(),
            }),
        },
    }
}

/// Runs the bot until SIGINT or SIGTERM; then closes the gateway and flushes the database.
pub async fn run(args: &RunArgs, config: &Config, config_path: &Path) -> anyhow::Result<()> {
    let config = with_shard_flags(args, config)?;
    let token = read_token(args)?;
    tracing::info!(config = %config_path.display(), "configuration loaded");
    discord::run(&config, token, discord::shutdown_signal()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_flags_override_the_config_and_are_checked() {
        let config = Config::parse(
            "[discord]\nshards = \"0-1\"\ntotal_shards = 4\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let flags = |shards: Option<&str>, total: Option<u32>| RunArgs {
            shards: shards.map(str::to_string),
            total_shards: total,
            ..RunArgs::default()
        };
        let range = |c: Config| c.discord.shard_range().unwrap().unwrap();
        let r = range(with_shard_flags(&flags(Some("2-3"), None), &config).unwrap());
        assert_eq!((r.first(), r.last(), r.total()), (2, 3, 4));
        let r = range(with_shard_flags(&flags(None, Some(8)), &config).unwrap());
        assert_eq!((r.first(), r.last(), r.total()), (0, 1, 8));
        for (shards, total, says) in [
            (Some("0-3"), Some(3), "does not fit in 3 shards"),
            (Some("3-0"), None, "backwards"),
            (Some("x"), None, "not a shard range"),
            (None, Some(0), "at least 1"),
        ] {
            let err = with_shard_flags(&flags(shards, total), &config)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("--shards / --total-shards: ") && err.contains(says),
                "{err}"
            );
        }
        let err = with_shard_flags(&flags(Some("0-3"), None), &Config::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("--total-shards"), "{err}");
    }

    #[test]
    fn a_token_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "aaaa.bbbb.cccc\n").unwrap();
        let args = RunArgs {
            token_file: Some(path),
            ..RunArgs::default()
        };
        assert!(read_token(&args).is_ok());
    }

    #[test]
    fn a_malformed_token_file_is_a_one_line_error_without_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "hunter2\n").unwrap();
        let err = read_token(&RunArgs {
            token_file: Some(path),
            ..RunArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("--token-file"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_missing_token_file_says_how_to_fix_it() {
        let err = read_token(&RunArgs {
            token_file: Some("/nonexistent/token".into()),
            ..RunArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/nonexistent/token") && err.contains("DISCORD_TOKEN"),
            "{err}"
        );
    }
}
