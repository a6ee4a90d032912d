//! The rules that tie entries to the warning signs, and the editorial rules `hingebot kb check`
//! enforces on top of loading (wording every card repeats, citations a reader can follow).

use super::model::{Category, Entry, Source, SourceKind, Tier, WarningSigns};
use super::problem::Problem;
use super::signs::RED_FLAGS_ID;
use crate::toml_pos::line_of;
use std::path::{Path, PathBuf};

/// The `red-flags` entry as found, with where its fields are written.
pub(super) struct RedFlagsEntry<'a> {
    pub file: usize,
    pub entry: &'a Entry,
    pub category_offset: usize,
    pub answer_offset: usize,
}

/// Every warning card shows the `red-flags` entry, so it must exist, in category `safety` (a load
/// error), and its answer must repeat each tier's headline verbatim, so the card and the entry use
/// one wording (an editorial problem).
pub(super) fn check_red_flags_entry(
    dir: &Path,
    texts: &[(PathBuf, String)],
    found: Option<RedFlagsEntry<'_>>,
    signs: &WarningSigns,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<Problem>,
) {
    let Some(found) = found else {
        let safety_file = format!("{}.toml", Category::Safety.slug());
        problems.push(Problem {
            file: texts
                .iter()
                .map(|(path, _)| path)
                .find(|p| p.file_name().is_some_and(|n| n == safety_file.as_str()))
                .cloned()
                .unwrap_or_else(|| dir.join(&safety_file)),
            line: 1,
            entry: None,
            message: format!(
                "there is no entry \"{RED_FLAGS_ID}\": every warning card shows it, so it must exist (in category safety)"
            ),
        });
        return;
    };
    let (path, text) = &texts[found.file];
    let at = |offset: usize, message: String| Problem {
        file: path.clone(),
        line: line_of(text, offset),
        entry: Some(RED_FLAGS_ID.to_string()),
        message,
    };
    if found.entry.category != Category::Safety {
        problems.push(at(
            found.category_offset,
            format!(
                "must be in category safety (every warning card shows it), not \"{}\"",
                found.entry.category.slug()
            ),
        ));
    }
    for tier in Tier::ALL {
        let headline = signs.headline(tier);
        if !headline.is_empty() && !found.entry.answer.contains(headline) {
            notes.push(at(
                found.answer_offset,
                format!(
                    "the answer does not contain the {} headline verbatim: {headline:?}",
                    tier.id()
                ),
            ));
        }
    }
}

/// What a reader would stumble on in user-facing text (answer, summary, title, tip, citation): an
/// internal label ("seed 002"), a file name or a path. Says what it found.
pub(super) fn leak(text: &str) -> Option<String> {
    // ASCII folding keeps byte offsets, so what is found can be quoted from `text`.
    let lower = text.to_ascii_lowercase();
    if lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word == "seed")
    {
        return Some(
            "mentions \"seed\", an internal label readers cannot look up: name the source instead"
                .to_string(),
        );
    }
    let is_name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    for ext in [".txt", ".toml", ".md"] {
        for (at, _) in lower.match_indices(ext) {
            let after = lower[at + ext.len()..].chars().next();
            let before = lower[..at].chars().next_back();
            if before.is_some_and(is_name_char) && !after.is_some_and(char::is_alphanumeric) {
                let start = lower[..at]
                    .rfind(|c: char| !is_name_char(c))
                    .map_or(0, |i| i + 1);
                let name = &text[start..at + ext.len()];
                return Some(format!("names the file {name:?}: readers cannot open it"));
            }
        }
    }
    for path in ["../", "/work/", "src/"] {
        let found = lower.match_indices(path).find(|(at, _)| {
            path != "src/"
                || !lower[..*at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        });
        if found.is_some() {
            return Some(format!("names the path {path:?}: readers cannot open it"));
        }
    }
    None
}

/// What is wrong with a source readers will see, if anything.
pub(super) fn source_problem(source: &Source) -> Option<String> {
    match source {
        Source::Label(label) => Some(format!(
            "source {label:?} is a bare label: cite title, publisher or authors, year, url and kind"
        )),
        Source::Cited(c) => [Some(&c.title), c.publisher.as_ref(), c.authors.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|text| leak(text))
            .map(|leak| format!("source {:?} {leak}", c.title)),
    }
}

/// Whether the sources include official guidance or research, not only articles.
pub(super) fn has_evidence(sources: &[Source]) -> bool {
    sources.iter().any(|s| {
        matches!(
            s,
            Source::Cited(c) if matches!(c.kind, SourceKind::Guidance | SourceKind::Research)
        )
    })
}
