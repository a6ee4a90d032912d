//! `hingebot run`: reads the token, loads the knowledge base and the database, and runs the Discord
//! bot until SIGINT/SIGTERM.

use crate::config::Config;
use crate::discord::{self, Token, TokenError, TOKEN_ENV};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Read the bot token from this file instead of $DISCORD_TOKEN.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
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
    let token = read_token(args)?;
    tracing::info!(config = %config_path.display(), "configuration loaded");
    discord::run(config, token, discord::shutdown_signal()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "aaaa.bbbb.cccc\n").unwrap();
        let args = RunArgs {
            token_file: Some(path),
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
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/nonexistent/token") && err.contains("DISCORD_TOKEN"),
            "{err}"
        );
    }
}
