//! hingebot: a workplace lifting-safety assistant that teaches the hip hinge, offline from the
//! command line or on Discord.
//!
//! A pure core with thin adapters. Data flows one way: a message goes into [`Assistant::reply`],
//! which returns a plain [`Reply`]; the adapters in [`cli`] and [`discord`] only decide when to
//! speak and how a reply looks. `tests/architecture.rs` keeps the layers apart.
//!
//! # Layout
//!
//! The core, pure and free of any framework (no tokio, serenity, poise, rusqlite or clap):
//!
//! - [`knowledge`]: the FAQ entries, tips, synonyms and context words from `knowledge/*.toml`,
//!   compiled into the binary ([`knowledge::bundled`]) or read from a folder, validated with file
//!   and line for every problem.
//! - [`matcher`]: normalize, synonyms, typo correction, the inverted index, scoring and the
//!   answer / suggest / abstain decision (`docs/matching.md`).
//! - [`safety`]: red-flag triage, run before matching.
//! - [`english`]: the English word lists that keep typo correction from turning real words into
//!   topic or warning-sign words.
//! - [`tips`]: which tip a day gets, each channel's rotation, and when its next post is due.
//! - [`lifting`]: the revised NIOSH lifting equation, from typed values ([`lifting::LiftText`]) to
//!   the report both adapters show.
//! - [`assistant`]: the one entry point, knowledge base + matcher + triage → [`Reply`].
//!
//! Built on the core:
//!
//! - [`config`]: typed settings from `config.toml`, every default in one place.
//! - [`setup`]: from the config to the knowledge base, the assistant and the database.
//! - [`store`]: SQLite or PostgreSQL persistence (safety channels, feedback, unanswered questions,
//!   usage counts, tip and digest state).
//! - [`daily_tips`]: the task that posts each channel's daily tip exactly once.
//! - [`shards`]: which gateway shards a process runs, and which shard a guild is on (Discord's formula).
//! - [`usage`], [`privacy`] and [`report`]: the safety manager's figures (counts only, masked
//!   unanswered questions) and their HTML, CSV, chart and digest renderings.
//! - [`weekly_digest`]: the task that posts each curator channel's weekly digest exactly once, and
//!   purges usage rows past their retention.
//! - [`eval`]: scores the assistant on a labelled question set (`docs/evaluation.md`).
//! - [`failure_log`]: warnings for failures that repeat during an outage, at most once a minute each.
//! - [`toml_pos`]: file-and-line positions for TOML messages.
//!
//! The adapters:
//!
//! - [`cli`]: the `hingebot` commands (clap), rendering replies as terminal text or JSON.
//! - [`discord`]: the bot (serenity and poise): message policy, slash commands, buttons, cards.
//!   Only `hingebot run` ([`cli::run`]) starts it.
//!
//! `src/main.rs` is the binary: it reads the arguments and the config and calls one CLI command.

pub mod assistant;
pub mod cli;
pub mod config;
pub mod daily_tips;
pub mod discord;
pub mod english;
pub mod eval;
pub mod failure_log;
pub mod knowledge;
pub mod lifting;
pub mod matcher;
pub mod privacy;
pub mod report;
pub mod safety;
pub mod setup;
pub mod shards;
pub mod store;
pub mod tips;
pub mod toml_pos;
pub mod usage;
pub mod weekly_digest;

pub use assistant::{Assistant, Reply, ReplyKind, Suggestion};
pub use knowledge::{Entry, KnowledgeBase};

/// The one-line disclaimer every adapter shows as a footer.
pub const DISCLAIMER: &str = "Education, not medical advice.";

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// "hingebot 0.2.0, knowledge base: 54 entries, checksum 4a6071dd": what `hingebot --version` prints
/// and `/hingebot about` shows, so people can tell which build and which knowledge base answered them.
pub fn version_line(kb: &KnowledgeBase) -> String {
    format!(
        "hingebot {VERSION}, knowledge base: {} entries, checksum {}",
        kb.entries().len(),
        kb.version()
    )
}
