//! `hingebot kb check|export`: what curators run before committing, and what evaluation tools read.

use crate::knowledge::bundled::{self, KnowledgeSource};
use crate::knowledge::{KnowledgeBase, KnowledgeError, Source};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Validate the knowledge base; exits 1 and lists every problem when it is invalid.
    Check {
        /// Knowledge folder (default: the one in use: --knowledge, else `knowledge_dir`, else the bundled one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print the entries, or write the bundled knowledge base out as TOML files to start curating from.
    Export {
        /// Print a JSON array of entries (the stable format evaluation tools read).
        #[arg(long, conflicts_with = "toml")]
        json: bool,
        /// Knowledge folder (default: the one in use: --knowledge, else `knowledge_dir`, else the bundled one).
        #[arg(long, conflicts_with = "toml")]
        dir: Option<PathBuf>,
        /// Write the bundled knowledge base's TOML files into this folder (created when missing; existing
        /// files are never overwritten). Point --knowledge or `knowledge_dir` at it to answer from your edits.
        #[arg(long, value_name = "DIR")]
        toml: Option<PathBuf>,
    },
}

/// One entry in the stable export format.
#[derive(Serialize)]
struct ExportedEntry<'a> {
    id: &'a str,
    title: &'a str,
    category: &'a str,
    questions: &'a [String],
    keywords: &'a [String],
    answer: &'a str,
    summary: &'a str,
    related: &'a [String],
    sources: &'a [Source],
}

/// Outcome of `kb check`: valid, or the problems to print (exit code 1). Editorial problems
/// (wording, citations) fail the check too, though the bot still loads such a knowledge base.
pub fn check(source: &KnowledgeSource, out: &mut dyn Write) -> anyhow::Result<bool> {
    let label = match source {
        KnowledgeSource::Bundled => "bundled knowledge base".to_string(),
        KnowledgeSource::Folder(dir) => dir.display().to_string(),
    };
    let problems = match source.check() {
        Ok((kb, notes)) if notes.is_empty() => {
            writeln!(
                out,
                "{label}: ok — {} entries, {} tips, {} synonym groups, {} warning-sign groups (version {})",
                kb.entries().len(),
                kb.tips().len(),
                kb.synonyms().len(),
                kb.warning_signs().groups.len(),
                kb.version()
            )?;
            let matcher = crate::matcher::Matcher::new(&kb);
            for word in matcher.unused_context_words() {
                writeln!(
                    out,
                    "warning: {}: context word {word:?} is in no entry's keywords, so it changes nothing",
                    source.file("context-words.toml").display()
                )?;
            }
            return Ok(true);
        }
        Ok((_, notes)) => notes,
        Err(KnowledgeError::Invalid(problems)) => problems,
        Err(e) => return Err(e.into()),
    };
    for p in &problems {
        writeln!(out, "{p}")?;
    }
    writeln!(out, "{} problem(s) found", problems.len())?;
    Ok(false)
}

/// Writes the bundled knowledge base's files into `dir` and says how to use them. Refuses, before
/// writing anything, when one of the files is already there.
pub fn export_toml(dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let files = bundled::FILES;
    if let Some((name, _)) = files.iter().find(|(name, _)| dir.join(name).exists()) {
        bail!(
            "{} already exists: export into an empty or new folder (nothing was written)",
            dir.join(name).display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    writeln!(
        out,
        "wrote {} files to {dir}; answer from them with `--knowledge {dir}` or `knowledge_dir = {dir:?}` \
         in config.toml, and check edits with `hingebot kb check --dir {dir}`",
        files.len(),
        dir = dir.display()
    )?;
    Ok(())
}

/// Writes every entry, as JSON (`json`) or as a short listing.
pub fn export(kb: &KnowledgeBase, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        let entries: Vec<ExportedEntry<'_>> = kb
            .entries()
            .iter()
            .map(|e| ExportedEntry {
                id: &e.id,
                title: &e.title,
                category: e.category.slug(),
                questions: &e.questions,
                keywords: &e.keywords,
                answer: &e.answer,
                summary: &e.summary,
                related: &e.related,
                sources: &e.sources,
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
    } else {
        for e in kb.entries() {
            writeln!(out, "{:<24} {:<13} {}", e.id, e.category.slug(), e.title)?;
        }
    }
    Ok(())
}
