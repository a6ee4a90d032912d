//! The command-line adapter: parses arguments and renders core replies as terminal text or JSON.

pub mod ask;
pub mod eval;
pub mod kb;
pub mod lift;
pub mod render;
pub mod report;
pub mod run;
pub mod tips;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// hingebot: learn to lift and bend safely with the hip hinge.
#[derive(Debug, Parser)]
#[command(name = "hingebot", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: $HINGEBOT_CONFIG, then ./config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
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
    /// For curators: the most frequent unanswered questions and 👍/👎 per entry.
    Report(report::ReportArgs),
}
