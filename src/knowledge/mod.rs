//! The knowledge base: FAQ entries, daily tips, synonym groups and the warning-sign triage data,
//! loaded once from `knowledge/*.toml` and validated.

mod check;
mod load;
mod model;
mod signs;

pub use load::{KnowledgeError, Problem};
pub use model::{
    Category, CautionText, Citation, Concern, Entry, KnowledgeBase, SignGroup, SignRule, Source,
    SourceKind, SynonymGroup, Tier, Tip, WarningSigns,
};
