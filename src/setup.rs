//! What both adapters read from the config before they start: the knowledge base (the bundled one
//! unless a folder is named), the assistant over it, and the database.

use crate::config::Config;
use crate::knowledge::bundled::KnowledgeSource;
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
pub fn load_assistant(config: &Config) -> anyhow::Result<Assistant> {
    Ok(Assistant::new(
        Arc::new(load_knowledge(config)?),
        config.matcher.clone(),
    ))
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
