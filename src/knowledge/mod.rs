//! The knowledge base: FAQ entries, daily tips, synonym groups and the warning-sign triage data,
//! loaded once from `knowledge/*.toml` (or the copy compiled into the binary) and validated.

pub mod bundled;
mod check;
mod load;
mod model;
mod problem;
mod signs;

pub use load::KnowledgeError;
pub use model::{
    Category, CautionText, Citation, Concern, Entry, KnowledgeBase, SignGroup, SignRule, Source,
    SourceKind, SynonymGroup, Tier, Tip, WarningExample, WarningSigns,
};
pub use problem::Problem;
pub use signs::RED_FLAGS_ID;
