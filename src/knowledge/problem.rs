//! One thing wrong with the knowledge base, located by file, line and entry: what loading and
//! `kb check` report.

use crate::toml_pos::line_of;
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with the knowledge base, located precisely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    /// The entry (or tip) id, when the problem belongs to one.
    pub entry: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(id) = &self.entry {
            write!(f, "entry \"{id}\": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Collects problems while reading one file: `problems` stop the knowledge base from loading,
/// `notes` are editorial problems that only `kb check` fails on.
pub(super) struct FileCheck<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) problems: &'a mut Vec<Problem>,
    pub(super) notes: &'a mut Vec<Problem>,
}

impl FileCheck<'_> {
    /// How many problems have been found so far (in any file).
    pub(super) fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// The line number of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    /// Where a line starting with `header` (a table header such as `[tiers]`) begins; 0 if nowhere.
    pub(super) fn text_offset(&self, header: &str) -> usize {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            if line.trim_start().starts_with(header) {
                return offset;
            }
            offset += line.len();
        }
        0
    }

    pub(super) fn at(&mut self, offset: usize, entry: Option<&str>, message: impl Into<String>) {
        let problem = self.problem(offset, entry, message);
        self.problems.push(problem);
    }

    /// Records an editorial problem: reported by `kb check`, not a reason to refuse loading.
    pub(super) fn note(&mut self, offset: usize, entry: Option<&str>, message: impl Into<String>) {
        let problem = self.problem(offset, entry, message);
        self.notes.push(problem);
    }

    fn problem(&self, offset: usize, entry: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            file: self.path.to_path_buf(),
            line: line_of(self.text, offset),
            entry: entry.map(str::to_string),
            message: message.into(),
        }
    }

    /// The line of `key = …` inside the table that starts at `from`.
    pub(super) fn key_offset(&self, from: usize, key: &str) -> usize {
        key_offset(self.text, from, key)
    }

    pub(super) fn parse<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        match toml::from_str(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let offset = e.span().map(|s| s.start).unwrap_or(0);
                let message = e.message().trim().to_string();
                self.at(offset, None, message);
                None
            }
        }
    }
}

/// Where `key = …` is written in the table that starts at `from` (`from` itself if nowhere).
pub(super) fn key_offset(text: &str, from: usize, key: &str) -> usize {
    let mut offset = from;
    for line in text[from.min(text.len())..].split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return offset;
            }
        }
        offset += line.len();
    }
    from
}
