//! Reads `knowledge/*.toml`, checks every rule, and reports all problems at once with file, line and entry id.

use super::check::{check_red_flags_entry, has_evidence, leak, source_problem, RedFlagsEntry};
use super::model::{
    Category, Citation, Entry, KnowledgeBase, Source, SourceKind, SynonymGroup, Tip, WarningSigns,
};
use super::problem::{key_offset, FileCheck, Problem};
use super::signs::{
    check_examples, check_warning_signs, ExamplesFile, ParsedExamples, ParsedSigns,
    RawFile as RedFlagsFile, EXAMPLES_FILE, RED_FLAGS_FILE, RED_FLAGS_ID,
};
use crate::toml_pos::line_of;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Longest answer, in characters (Discord-friendly, readable on a phone).
pub const MAX_ANSWER_CHARS: usize = 1500;
/// Longest tip, in characters.
pub const MAX_TIP_CHARS: usize = 280;
/// Longest one-line summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 150;
/// Fewest ways of asking an entry's question.
pub const MIN_QUESTIONS: usize = 4;

const TIPS_FILE: &str = "tips.toml";
const SYNONYMS_FILE: &str = "synonyms.toml";
const CONTEXT_FILE: &str = "context-words.toml";

/// Why the knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read knowledge base folder {dir}: {cause}")]
    Dir { dir: PathBuf, cause: std::io::Error },
    #[error("{} problem(s) in the knowledge base:\n{}", .0.len(), list(.0))]
    Invalid(Vec<Problem>),
}

impl KnowledgeError {
    /// The individual problems (empty for an unreadable folder).
    pub fn problems(&self) -> &[Problem] {
        match self {
            KnowledgeError::Invalid(p) => p,
            KnowledgeError::Dir { .. } => &[],
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    #[serde(default)]
    entry: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
struct RawEntry {
    id: Option<Spanned<String>>,
    title: Option<String>,
    category: Option<Spanned<String>>,
    questions: Option<Vec<Spanned<String>>>,
    keywords: Option<Vec<String>>,
    answer: Option<String>,
    summary: Option<String>,
    related: Option<Vec<Spanned<String>>>,
    sources: Option<Vec<Spanned<RawSource>>>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// A source as written: a full citation table, or a bare label.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Label(String),
    Cited(RawCitation),
}

#[derive(Deserialize)]
struct RawCitation {
    title: Option<String>,
    publisher: Option<String>,
    authors: Option<String>,
    year: Option<i64>,
    url: Option<String>,
    kind: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TipFile {
    #[serde(default)]
    tip: Vec<Spanned<RawTip>>,
}

#[derive(Deserialize)]
struct RawTip {
    id: Option<String>,
    text: Option<String>,
    entry: Option<Spanned<String>>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymFile {
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    #[serde(default)]
    words: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    canonical: String,
    words: Vec<String>,
    #[serde(default)]
    other_sense: bool,
    #[serde(default)]
    injury: bool,
}

/// An entry that passed its own checks, with the spans needed for cross-entry checks.
struct Parsed {
    entry: Entry,
    file: usize,
    /// Where the entry's table starts.
    start: usize,
    id_offset: usize,
    related_offsets: Vec<usize>,
    question_offsets: Vec<usize>,
}

impl KnowledgeBase {
    /// Loads and validates every file in `dir`. On failure, returns every problem found.
    /// Editorial problems (see [`KnowledgeBase::check`]) do not stop it: they are logged as one
    /// warning.
    pub fn load(dir: &Path) -> Result<KnowledgeBase, KnowledgeError> {
        Self::check(dir).map(logged)
    }

    /// What `hingebot kb check` runs: [`KnowledgeBase::load`], plus the editorial problems that
    /// must be fixed before a commit but are no reason to stop answering (wording, citations).
    pub fn check(dir: &Path) -> Result<(KnowledgeBase, Vec<Problem>), KnowledgeError> {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|cause| KnowledgeError::Dir {
                dir: dir.to_path_buf(),
                cause,
            })?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        let mut problems = Vec::new();
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        for name in names {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push((path, text)),
                Err(e) => problems.push(Problem {
                    file: path,
                    line: 1,
                    entry: None,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
        Self::validate(dir, files, problems)
    }

    /// Validates a knowledge base given as (path, text) pairs, e.g. files compiled into the binary;
    /// `dir` names the folder they stand for in messages about missing files.
    pub fn from_files(
        dir: &Path,
        files: Vec<(PathBuf, String)>,
    ) -> Result<KnowledgeBase, KnowledgeError> {
        Self::check_files(dir, files).map(logged)
    }

    /// [`KnowledgeBase::check`] for files given in memory.
    pub fn check_files(
        dir: &Path,
        files: Vec<(PathBuf, String)>,
    ) -> Result<(KnowledgeBase, Vec<Problem>), KnowledgeError> {
        Self::validate(dir, files, Vec::new())
    }

    fn validate(
        dir: &Path,
        mut texts: Vec<(PathBuf, String)>,
        mut problems: Vec<Problem>,
    ) -> Result<(KnowledgeBase, Vec<Problem>), KnowledgeError> {
        let mut notes = Vec::new();
        let name_of = |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string()
        };
        // Category files first, in browsing order, then any others alphabetically.
        texts.sort_by_key(|(path, _)| {
            let name = name_of(path);
            let stem = name.trim_end_matches(".toml");
            let rank = Category::ALL
                .iter()
                .position(|c| c.slug() == stem)
                .unwrap_or(Category::ALL.len());
            (rank, name)
        });
        for name in [TIPS_FILE, SYNONYMS_FILE, CONTEXT_FILE, RED_FLAGS_FILE] {
            if !texts.iter().any(|(p, _)| name_of(p) == name) {
                problems.push(Problem {
                    file: dir.join(name),
                    line: 1,
                    entry: None,
                    message: "file is missing".to_string(),
                });
            }
        }

        let mut parsed: Vec<Parsed> = Vec::new();
        let mut raw_tips: Vec<(usize, usize, RawTip)> = Vec::new();
        let mut synonyms = Vec::new();
        let mut context_words = Vec::new();
        let mut warning_signs: Option<(usize, ParsedSigns)> = None;
        let mut examples: Option<(usize, ParsedExamples)> = None;
        for (file_idx, (path, text)) in texts.iter().enumerate() {
            let mut check = FileCheck {
                path,
                text,
                problems: &mut problems,
                notes: &mut notes,
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == TIPS_FILE {
                if let Some(file) = check.parse::<TipFile>() {
                    for tip in file.tip {
                        let start = tip.span().start;
                        raw_tips.push((file_idx, start, tip.into_inner()));
                    }
                }
            } else if name == SYNONYMS_FILE {
                if let Some(file) = check.parse::<SynonymFile>() {
                    synonyms = check_synonyms(&mut check, file.group);
                }
            } else if name == CONTEXT_FILE {
                if let Some(file) = check.parse::<ContextFile>() {
                    context_words = check_context_words(&mut check, file.words);
                }
            } else if name == RED_FLAGS_FILE {
                if let Some(file) = check.parse::<RedFlagsFile>() {
                    warning_signs = check_warning_signs(&mut check, file).map(|s| (file_idx, s));
                }
            } else if name == EXAMPLES_FILE {
                if let Some(file) = check.parse::<ExamplesFile>() {
                    examples = Some((file_idx, check_examples(&mut check, file)));
                }
            } else if let Some(file) = check.parse::<EntryFile>() {
                let stem = name.trim_end_matches(".toml");
                for raw in file.entry {
                    if let Some(p) = check_entry(&mut check, raw, stem) {
                        parsed.push(Parsed {
                            file: file_idx,
                            ..p
                        });
                    }
                }
            }
        }

        // Cross-entry rules: unique ids, related ids exist, no question in two entries.
        let mut first_id: HashMap<String, (usize, usize)> = HashMap::new();
        let mut first_question: HashMap<String, String> = HashMap::new();
        for p in &parsed {
            let (path, text) = &texts[p.file];
            let at = |offset: usize| line_of(text, offset);
            if let Some(&(f, off)) = first_id.get(&p.entry.id) {
                problems.push(Problem {
                    file: path.clone(),
                    line: at(p.id_offset),
                    entry: Some(p.entry.id.clone()),
                    message: format!(
                        "duplicate id (first defined at {}:{})",
                        texts[f].0.display(),
                        line_of(&texts[f].1, off)
                    ),
                });
            } else {
                first_id.insert(p.entry.id.clone(), (p.file, p.id_offset));
            }
            for (q, &off) in p.entry.questions.iter().zip(&p.question_offsets) {
                let key = fold(q);
                match first_question.get(&key) {
                    Some(owner) => problems.push(Problem {
                        file: path.clone(),
                        line: at(off),
                        entry: Some(p.entry.id.clone()),
                        message: format!("question {q:?} is also a question of entry \"{owner}\""),
                    }),
                    None => {
                        first_question.insert(key, p.entry.id.clone());
                    }
                }
            }
        }
        for p in &parsed {
            let (path, text) = &texts[p.file];
            for (rel, &off) in p.entry.related.iter().zip(&p.related_offsets) {
                if !first_id.contains_key(rel) {
                    problems.push(Problem {
                        file: path.clone(),
                        line: line_of(text, off),
                        entry: Some(p.entry.id.clone()),
                        message: format!("related id \"{rel}\" does not exist"),
                    });
                }
            }
        }

        let tips = check_tips(&texts, raw_tips, &first_id, &mut problems, &mut notes);
        // Exemplars are checked against the sign groups only when red-flags.toml loaded: its
        // absence is one problem, not one per exemplar.
        let signs_loaded = warning_signs.is_some();
        let mut warning_signs = match warning_signs {
            Some((file, parsed)) => {
                let entry = &parsed.signs.caution.entry;
                if !first_id.contains_key(entry) {
                    let (path, text) = &texts[file];
                    problems.push(Problem {
                        file: path.clone(),
                        line: line_of(text, parsed.caution_entry_offset),
                        entry: None,
                        message: format!("the caution's entry id \"{entry}\" does not exist"),
                    });
                }
                parsed.signs
            }
            None => WarningSigns::default(),
        };
        if let Some((file, parsed)) = examples.filter(|_| signs_loaded) {
            let (path, text) = &texts[file];
            let mut check = FileCheck {
                path,
                text,
                problems: &mut problems,
                notes: &mut notes,
            };
            warning_signs.examples = parsed.checked(&mut check, &warning_signs);
        }
        let red_flags = parsed
            .iter()
            .find(|p| p.entry.id == RED_FLAGS_ID)
            .map(|p| RedFlagsEntry {
                file: p.file,
                entry: &p.entry,
                category_offset: key_offset(&texts[p.file].1, p.start, "category"),
                answer_offset: key_offset(&texts[p.file].1, p.start, "answer"),
            });
        check_red_flags_entry(
            dir,
            &texts,
            red_flags,
            &warning_signs,
            &mut problems,
            &mut notes,
        );

        if !problems.is_empty() {
            return Err(KnowledgeError::Invalid(problems));
        }
        let version = version_of(&texts);
        let entries = parsed.into_iter().map(|p| p.entry).collect();
        let kb = KnowledgeBase::new(entries, tips, synonyms, version)
            .with_context_words(context_words)
            .with_warning_signs(warning_signs);
        Ok((kb, notes))
    }
}

/// The knowledge base, with its editorial problems logged (they are `kb check`'s business).
fn logged((kb, notes): (KnowledgeBase, Vec<Problem>)) -> KnowledgeBase {
    if let Some(first) = notes.first() {
        tracing::warn!(
            count = notes.len(),
            %first,
            "the knowledge base has editorial problems; `hingebot kb check` lists them"
        );
    }
    kb
}

/// Case- and space-insensitive form for duplicate detection.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_entry(check: &mut FileCheck<'_>, raw: Spanned<RawEntry>, stem: &str) -> Option<Parsed> {
    let start = raw.span().start;
    let raw = raw.into_inner();
    let Some(id) = raw.id else {
        check.at(start, None, "entry has no `id`");
        return None;
    };
    let id_offset = id.span().start;
    let id = id.into_inner();
    let mut ok = true;
    let name = Some(id.as_str());
    if !is_kebab(&id) {
        check.at(id_offset, name, "id must be kebab-case (a-z, 0-9 and -)");
        ok = false;
    }
    for key in raw.unknown.keys() {
        let off = check.key_offset(start, key);
        check.at(
            off,
            name,
            format!("unknown field `{key}` (expected id, title, category, questions, keywords, answer, summary, related, sources)"),
        );
        ok = false;
    }
    let mut required = |field: &str, present: bool, check: &mut FileCheck<'_>| {
        if !present {
            check.at(start, name, format!("`{field}` is missing or empty"));
            ok = false;
        }
    };
    let nonblank = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    required("title", nonblank(&raw.title), check);
    required("answer", nonblank(&raw.answer), check);
    required("summary", nonblank(&raw.summary), check);
    required(
        "keywords",
        raw.keywords
            .as_ref()
            .is_some_and(|k| k.iter().any(|k| !k.trim().is_empty())),
        check,
    );
    required(
        "sources",
        raw.sources.as_ref().is_some_and(|s| !s.is_empty()),
        check,
    );
    required("category", raw.category.is_some(), check);
    required("questions", raw.questions.is_some(), check);
    required("related", raw.related.is_some(), check);

    let category = match raw.category {
        Some(c) => match Category::from_slug(c.get_ref()) {
            Some(cat) => {
                if Category::from_slug(stem).is_some_and(|file_cat| file_cat != cat) {
                    check.at(
                        c.span().start,
                        name,
                        format!(
                            "category \"{}\" does not match file {stem}.toml",
                            c.get_ref()
                        ),
                    );
                    ok = false;
                }
                Some(cat)
            }
            None => {
                let allowed: Vec<_> = Category::ALL.iter().map(|c| c.slug()).collect();
                check.at(
                    c.span().start,
                    name,
                    format!(
                        "unknown category \"{}\" (expected one of {})",
                        c.get_ref(),
                        allowed.join(", ")
                    ),
                );
                ok = false;
                None
            }
        },
        None => None,
    };

    let questions = raw.questions.unwrap_or_default();
    let question_offsets: Vec<usize> = questions.iter().map(|q| q.span().start).collect();
    let questions: Vec<String> = questions.into_iter().map(Spanned::into_inner).collect();
    if questions.iter().any(|q| q.trim().is_empty()) {
        check.at(
            check.key_offset(start, "questions"),
            name,
            "a question is empty",
        );
        ok = false;
    }
    if !questions.is_empty() && questions.len() < MIN_QUESTIONS {
        check.at(
            check.key_offset(start, "questions"),
            name,
            format!(
                "has {} questions; at least {MIN_QUESTIONS} are needed",
                questions.len()
            ),
        );
        ok = false;
    }
    let mut seen = HashMap::new();
    for (q, &off) in questions.iter().zip(&question_offsets) {
        if seen.insert(fold(q), ()).is_some() {
            check.at(off, name, format!("question {q:?} is listed twice"));
            ok = false;
        }
    }

    let related_given = raw.related.is_some();
    let related = raw.related.unwrap_or_default();
    let related_offsets: Vec<usize> = related.iter().map(|r| r.span().start).collect();
    let related: Vec<String> = related.into_iter().map(Spanned::into_inner).collect();
    if related_given && (related.is_empty() || related.len() > 3) {
        check.at(
            check.key_offset(start, "related"),
            name,
            "`related` must name 1 to 3 ids",
        );
        ok = false;
    }
    if let Some(off) = related
        .iter()
        .zip(&related_offsets)
        .find(|(r, _)| **r == id)
        .map(|(_, o)| *o)
    {
        check.at(off, name, "`related` names the entry itself");
        ok = false;
    }

    let answer = raw.answer.unwrap_or_default();
    let answer_chars = answer.trim().chars().count();
    if answer_chars > MAX_ANSWER_CHARS {
        check.at(
            check.key_offset(start, "answer"),
            name,
            format!("answer is {answer_chars} characters; the limit is {MAX_ANSWER_CHARS}"),
        );
        ok = false;
    }
    let summary = raw.summary.unwrap_or_default();
    if summary.trim().contains('\n') || summary.chars().count() > MAX_SUMMARY_CHARS {
        check.at(
            check.key_offset(start, "summary"),
            name,
            format!("summary must be one line of at most {MAX_SUMMARY_CHARS} characters"),
        );
        ok = false;
    }

    let sources_given = raw.sources.as_ref().is_some_and(|s| !s.is_empty());
    let mut sources = Vec::new();
    for source in raw.sources.unwrap_or_default() {
        let offset = source.span().start;
        match check_source(source.into_inner()) {
            Ok(s) => {
                if let Some(problem) = source_problem(&s) {
                    check.note(offset, name, problem);
                }
                sources.push(s);
            }
            Err(message) => {
                check.at(offset, name, message);
                ok = false;
            }
        }
    }
    if ok && sources_given && !has_evidence(&sources) {
        check.note(
            check.key_offset(start, "sources"),
            name,
            "has no guidance or research source: cite at least one (kind = \"guidance\" or \"research\")",
        );
    }
    for (field, text) in [
        ("title", raw.title.as_deref()),
        ("summary", Some(summary.as_str())),
        ("answer", Some(answer.as_str())),
    ] {
        if let Some(leak) = text.and_then(leak) {
            check.note(
                check.key_offset(start, field),
                name,
                format!("the {field} {leak}"),
            );
        }
    }

    let category = category?;
    if !ok {
        return None;
    }
    Some(Parsed {
        entry: Entry {
            id,
            title: raw.title.unwrap_or_default().trim().to_string(),
            category,
            questions,
            keywords: raw.keywords.unwrap_or_default(),
            answer: answer.trim().to_string(),
            summary: summary.trim().to_string(),
            related,
            sources,
        },
        file: 0,
        start,
        id_offset,
        related_offsets,
        question_offsets,
    })
}

/// The earliest and latest plausible publication years.
const SOURCE_YEARS: std::ops::RangeInclusive<i64> = 1900..=2100;

/// Checks one source: a citation needs a title, a publisher or authors, a year, an http(s) address
/// and a kind; a bare label must not be blank.
fn check_source(raw: RawSource) -> Result<Source, String> {
    let c = match raw {
        RawSource::Label(label) if label.trim().is_empty() => {
            return Err("a source is blank".to_string())
        }
        RawSource::Label(label) => return Ok(Source::Label(label.trim().to_string())),
        RawSource::Cited(c) => c,
    };
    let text = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut missing = Vec::new();
    if let Some(key) = c.unknown.keys().next() {
        return Err(format!(
            "source has unknown field `{key}` (expected title, publisher, authors, year, url, kind)"
        ));
    }
    let title = text(c.title);
    if title.is_none() {
        missing.push("title");
    }
    let (publisher, authors) = (text(c.publisher), text(c.authors));
    if publisher.is_none() && authors.is_none() {
        missing.push("publisher or authors");
    }
    if c.year.is_none() {
        missing.push("year");
    }
    let url = text(c.url);
    if url.is_none() {
        missing.push("url");
    }
    let kind = text(c.kind);
    if kind.is_none() {
        missing.push("kind");
    }
    let title_shown = title.as_deref().unwrap_or("?");
    if !missing.is_empty() {
        return Err(format!(
            "source {title_shown:?} has no {}",
            missing.join(", no ")
        ));
    }
    let year = c.year.unwrap_or_default();
    if !SOURCE_YEARS.contains(&year) {
        return Err(format!(
            "source {title_shown:?}: year {year} is not a publication year"
        ));
    }
    let url = url.unwrap_or_default();
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return Err(format!(
            "source {title_shown:?}: url {url:?} is not an http(s) address"
        ));
    }
    let kind_name = kind.unwrap_or_default();
    let Some(kind) = SourceKind::from_name(&kind_name) else {
        return Err(format!(
            "source {title_shown:?}: unknown kind {kind_name:?} (expected guidance, research or article)"
        ));
    };
    Ok(Source::Cited(Citation {
        title: title.unwrap_or_default(),
        publisher,
        authors,
        year: year as u16,
        url,
        kind,
    }))
}

fn check_tips(
    texts: &[(PathBuf, String)],
    raw: Vec<(usize, usize, RawTip)>,
    ids: &HashMap<String, (usize, usize)>,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<Problem>,
) -> Vec<Tip> {
    let mut tips = Vec::new();
    let mut seen_ids = HashMap::new();
    let mut seen_texts = HashMap::new();
    for (file, start, tip) in raw {
        let (path, text) = &texts[file];
        let mut check = FileCheck {
            path,
            text,
            problems,
            notes,
        };
        let id = tip.id.unwrap_or_default();
        let name = (!id.is_empty()).then_some(id.as_str());
        let mut ok = true;
        for key in tip.unknown.keys() {
            let off = check.key_offset(start, key);
            check.at(
                off,
                name,
                format!("unknown field `{key}` (expected id, text, entry)"),
            );
            ok = false;
        }
        if !is_kebab(&id) {
            check.at(start, name, "tip needs a kebab-case `id`");
            ok = false;
        } else if seen_ids.insert(id.clone(), ()).is_some() {
            check.at(check.key_offset(start, "id"), name, "duplicate tip id");
            ok = false;
        }
        let body = tip.text.unwrap_or_default().trim().to_string();
        let chars = body.chars().count();
        if body.is_empty() {
            check.at(start, name, "`text` is missing or empty");
            ok = false;
        } else if chars > MAX_TIP_CHARS {
            check.at(
                check.key_offset(start, "text"),
                name,
                format!("tip is {chars} characters; the limit is {MAX_TIP_CHARS}"),
            );
            ok = false;
        } else if seen_texts.insert(fold(&body), ()).is_some() {
            check.at(
                check.key_offset(start, "text"),
                name,
                "the same tip text appears twice",
            );
            ok = false;
        } else if let Some(leak) = leak(&body) {
            check.note(
                check.key_offset(start, "text"),
                name,
                format!("the tip {leak}"),
            );
        }
        let entry = match tip.entry {
            Some(e) if ids.contains_key(e.get_ref()) => e.into_inner(),
            Some(e) => {
                check.at(
                    e.span().start,
                    name,
                    format!("entry id \"{}\" does not exist", e.get_ref()),
                );
                ok = false;
                String::new()
            }
            None => {
                check.at(start, name, "`entry` is missing");
                ok = false;
                String::new()
            }
        };
        if ok {
            tips.push(Tip {
                id,
                text: body,
                entry,
            });
        }
    }
    tips
}

fn check_synonyms(check: &mut FileCheck<'_>, groups: Vec<Spanned<RawGroup>>) -> Vec<SynonymGroup> {
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for g in groups {
        let start = g.span().start;
        let g = g.into_inner();
        let canonical = fold(&g.canonical);
        if canonical.is_empty() || g.words.is_empty() {
            check.at(
                start,
                None,
                "synonym group needs a `canonical` word and at least one of `words`",
            );
            continue;
        }
        let mut words = Vec::new();
        for w in std::iter::once(&canonical).chain(g.words.iter()) {
            let w = fold(w);
            if w.is_empty() {
                continue;
            }
            match owner.get(&w) {
                Some(other) if *other != canonical => check.at(
                    start,
                    None,
                    format!(
                        "synonym {w:?} of group \"{canonical}\" is already in group \"{other}\""
                    ),
                ),
                Some(_) => {}
                None => {
                    owner.insert(w.clone(), canonical.clone());
                    if w != canonical {
                        words.push(w);
                    }
                }
            }
        }
        out.push(SynonymGroup {
            canonical,
            words,
            other_sense: g.other_sense,
            injury: g.injury,
        });
    }
    out
}

/// Context words: one lowercase word each, listed once.
fn check_context_words(check: &mut FileCheck<'_>, words: Vec<Spanned<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let start = w.span().start;
        let word = w.into_inner();
        if word.is_empty() || word.contains(char::is_whitespace) || word != word.to_lowercase() {
            check.at(
                start,
                None,
                format!("context word {word:?} must be one lowercase word"),
            );
        } else if out.contains(&word) {
            check.at(
                start,
                None,
                format!("context word {word:?} is listed twice"),
            );
        } else {
            out.push(word);
        }
    }
    out
}

/// FNV-1a over the file names and contents: a short, stable version string.
fn version_of(texts: &[(PathBuf, String)]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, text) in texts {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for b in name.bytes().chain(text.bytes()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", hash >> 32)
}
