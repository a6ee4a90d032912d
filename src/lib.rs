//! hingebot: a pure core (knowledge, matching, safety, tips, lifting) with thin CLI and Discord adapters.
//!
//! Data flows one way: a message goes into [`Assistant::reply`], which returns a plain [`Reply`];
//! the adapters in [`cli`] and [`discord`] only render it.

pub mod assistant;
pub mod cli;
pub mod config;
pub mod discord;
pub mod eval;
pub mod knowledge;
pub mod lifting;
pub mod matcher;
pub mod privacy;
pub mod report;
pub mod safety;
pub mod store;
pub mod tips;
pub mod usage;

pub use assistant::{Assistant, Reply, ReplyKind, Suggestion};
pub use knowledge::{Entry, KnowledgeBase};

/// The one-line disclaimer every adapter shows as a footer.
pub const DISCLAIMER: &str = "Education, not medical advice.";
