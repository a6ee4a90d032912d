//! `hingebot kb check|export`: what curators run before committing, and what evaluation tools read.

use crate::knowledge::{KnowledgeBase, KnowledgeError, Source};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Validate the knowledge base; exits 1 and lists every problem when it is invalid.
    Check {
        /// Knowledge folder (default: `knowledge_dir` from the config).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print the entries.
    Export {
        /// Print a JSON array of entries (the stable format evaluation tools read).
        #[arg(long)]
        json: bool,
        /// Knowledge folder (default: `knowledge_dir` from the config).
        #[arg(long)]
        dir: Option<PathBuf>,
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
pub fn check(dir: &std::path::Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    let problems = match KnowledgeBase::check(dir) {
        Ok((kb, notes)) if notes.is_empty() => {
            writeln!(
                out,
                "{}: ok — {} entries, {} tips, {} synonym groups, {} warning-sign groups (version {})",
                dir.display(),
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
                    dir.join("context-words.toml").display()
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
