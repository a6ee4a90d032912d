//! The command-line adapter: parses arguments and renders core replies as terminal text or JSON.

pub mod ask;
pub mod eval;
pub mod kb;
pub mod lift;
pub mod render;
pub mod report;
pub mod run;
pub mod tips;

use crate::config::{default_database, default_vector_cache, CONFIG_ENV, DATABASE_URL_ENV};
use crate::matcher::semantic::{default_model_dir, MODEL_DIR_ENV};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// hingebot: learn to lift and bend safely with the hip hinge.
#[derive(Debug, Parser)]
#[command(name = "hingebot", about, long_about = None, disable_version_flag = true)]
pub struct Cli {
    /// Config file (default: $HINGEBOT_CONFIG, then ./config.toml; without one, every setting has its default).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Answer from the knowledge base in this folder instead of the bundled one (overrides `knowledge_dir`).
    #[arg(long, global = true, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
    /// Print the version and the knowledge base's entry count and checksum.
    #[arg(short = 'V', long)]
    pub version: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the process's arguments (exiting on `--help` or a usage error). The help ends with where
    /// hingebot keeps its files on this machine.
    pub fn from_args() -> Cli {
        let matches = Cli::command().after_help(files_help()).get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// The "Files:" section of `hingebot --help`, with this machine's default database path.
pub fn files_help() -> String {
    let database = default_database().map_or_else(
        || "none by default on this machine (no home folder): set `database`".to_string(),
        |path| path.display().to_string(),
    );
    let model = default_model_dir();
    let vectors = default_vector_cache().map_or_else(
        || "none (no home folder): vectors are encoded at every start".to_string(),
        |path| path.display().to_string(),
    );
    format!(
        "Files (hingebot runs from any folder; none of these is required):\n  \
         config          ./config.toml, or --config PATH, or ${CONFIG_ENV}\n  \
         knowledge base  compiled into the binary; --knowledge DIR or `knowledge_dir` answers from a folder\n  \
         database        {database}\n                  \
         (used by run, report and tips; `database` in the config or ${DATABASE_URL_ENV} picks another file)\n  \
         sentence model  {model}\n                  \
         (`model_dir` in the config or ${MODEL_DIR_ENV}; without it, words-only matching)\n  \
         vector cache    {vectors}",
        model = model.display()
    )
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask one question and print the reply.
    Ask(ask::AskArgs),
    /// Chat with the assistant offline (reads lines from stdin when it is not a terminal).
    Chat,
    /// Score the matcher on a question set (JSON lines).
    Eval(eval::EvalArgs),
    /// Check or export the knowledge base.
    Kb(kb::KbArgs),
    /// Print today's hip-hinge tip and the entry it comes from.
    Tip(tips::TipArgs),
    /// Daily tips in channels: preview what a channel will get next.
    Tips(tips::TipsArgs),
    /// Evaluate a lifting task with the revised NIOSH lifting equation.
    Lift(Box<lift::LiftArgs>),
    /// Run the Discord bot (token from DISCORD_TOKEN or --token-file).
    Run(run::RunArgs),
    /// For safety managers and curators: what the bot did (text, --json, --html FILE, --csv),
    /// and the unanswered questions waiting for a curator (pending, confirm).
    Report(report::ReportArgs),
}
