//! What both adapters read from the config before they start: the knowledge base (the bundled one
//! unless a folder is named), the assistant over it, and the database.

use crate::config::{Config, MatcherSettings};
use crate::knowledge::bundled::KnowledgeSource;
use crate::matcher::semantic::{default_model_dir, Encoder};
use crate::store::{DatabaseLocation, Store};
use crate::{Assistant, KnowledgeBase};
use anyhow::Context;
use std::sync::Arc;

/// Where the knowledge base comes from: `knowledge_dir` when set, else the bundled copy.
pub fn knowledge_source(config: &Config) -> KnowledgeSource {
    KnowledgeSource::from_dir(config.knowledge_dir.as_deref())
}

/// Loads and validates the configured knowledge base.
pub fn load_knowledge(config: &Config) -> anyhow::Result<KnowledgeBase> {
    let source = knowledge_source(config);
    source.load().with_context(|| format!("loading {source}"))
}

/// The assistant over the configured knowledge base, with the configured thresholds.
///
/// With `matcher.semantic` on (the default) it also loads the sentence encoder; when the model
/// cannot be used (missing or altered files) it says so once, as a warning, and goes on matching
/// words only.
pub fn load_assistant(config: &Config) -> anyhow::Result<Assistant> {
    let mut assistant = Assistant::new(Arc::new(load_knowledge(config)?), config.matcher.clone());
    add_encoder(&mut assistant, &config.matcher);
    Ok(assistant)
}

/// Loads the model and the stored questions' vectors (through the cache file) into `assistant`.
fn add_encoder(assistant: &mut Assistant, settings: &MatcherSettings) {
    if !settings.semantic {
        assistant.note_semantic_off("turned off in the config (matcher.semantic = false)");
        return;
    }
    let dir = settings.model_dir.clone().unwrap_or_else(default_model_dir);
    let cache = settings.vector_cache_path();
    let added = Encoder::load(&dir)
        .and_then(|encoder| assistant.add_encoder(Arc::new(encoder), cache.as_deref()));
    if let Err(e) = added {
        tracing::warn!("semantic matching is off, answering from words only: {e}");
        assistant.note_semantic_off(e.to_string());
    }
}

/// Opens the configured database: a SQLite file (created, with its folder, when needed) or a
/// PostgreSQL server.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<Store>> {
    let location = config.database_location()?;
    if let DatabaseLocation::Sqlite(path) = &location {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("creating the database folder {}", folder.display()))?;
        }
    }
    Ok(Store::connect(&location).await?)
}
