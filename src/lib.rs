//! hingebot: a pure core (knowledge, matching, safety, tips, lifting) with thin CLI and Discord adapters.
//!
//! Data flows one way: a message goes into [`Assistant::reply`], which returns a plain [`Reply`];
//! the adapters in [`cli`] and [`discord`] only render it.

pub mod assistant;
pub mod cli;
pub mod config;
pub mod daily_tips;
pub mod discord;
pub mod eval;
pub mod knowledge;
pub mod lifting;
pub mod matcher;
pub mod safety;
pub mod setup;
pub mod store;
pub mod tips;
pub mod toml_pos;

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
