//! The knowledge base: FAQ entries, daily tips and synonym groups, loaded once from
//! `knowledge/*.toml` and validated.

pub mod bundled;
mod load;
mod model;

pub use load::{KnowledgeError, Problem};
pub use model::{Category, Citation, Entry, KnowledgeBase, Source, SourceKind, SynonymGroup, Tip};
