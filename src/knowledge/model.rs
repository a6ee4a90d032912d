//! The validated, immutable shape of the knowledge base that the rest of the core reads.

use serde::Serialize;
use std::collections::HashMap;

/// The categories people browse by, one TOML file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Basics,
    Cues,
    Faults,
    Progressions,
    DailyLife,
    Workplace,
    Safety,
}

impl Category {
    /// Every category, in the order people browse them.
    pub const ALL: [Category; 7] = [
        Category::Basics,
        Category::Cues,
        Category::Faults,
        Category::Progressions,
        Category::DailyLife,
        Category::Workplace,
        Category::Safety,
    ];

    /// The id used in the TOML files and file names (`daily-life`).
    pub fn slug(self) -> &'static str {
        match self {
            Category::Basics => "basics",
            Category::Cues => "cues",
            Category::Faults => "faults",
            Category::Progressions => "progressions",
            Category::DailyLife => "daily-life",
            Category::Workplace => "workplace",
            Category::Safety => "safety",
        }
    }

    /// A heading for people.
    pub fn label(self) -> &'static str {
        match self {
            Category::Basics => "Basics",
            Category::Cues => "How to hinge",
            Category::Faults => "Faults and causes",
            Category::Progressions => "Progressions and exercises",
            Category::DailyLife => "Daily life and work",
            Category::Workplace => "At work: tasks, equipment and rules",
            Category::Safety => "Safety",
        }
    }

    /// Parses a slug as written in the TOML files.
    pub fn from_slug(slug: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

/// One FAQ entry: the questions it answers and the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub answer: String,
    pub summary: String,
    pub related: Vec<String>,
    pub sources: Vec<Source>,
}

/// Where an entry's facts come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Source {
    /// A full citation: what a reader needs to find the source and judge it.
    Cited(Citation),
    /// A bare label from before citations were structured ("NHS: Back pain").
    Label(String),
}

/// A citation a reader can follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    pub title: String,
    /// The organisation that published it (NHS, HSE, NIOSH, a journal, a company blog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The people who wrote it, as usually cited ("Verbeek J, et al.").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    pub year: u16,
    pub url: String,
    pub kind: SourceKind,
}

/// How much weight a source carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Official or professional guidance (NIOSH, HSE, OSHA, NHS, NICE, physiotherapy bodies).
    Guidance,
    /// Peer-reviewed research or a systematic review (Cochrane, journals).
    Research,
    /// A magazine, blog or company article.
    Article,
}

impl SourceKind {
    /// Parses the kind as written in the TOML files.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        match name {
            "guidance" => Some(SourceKind::Guidance),
            "research" => Some(SourceKind::Research),
            "article" => Some(SourceKind::Article),
            _ => None,
        }
    }
}

/// One daily tip and the entry its "learn more" opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tip {
    pub id: String,
    pub text: String,
    pub entry: String,
}

/// Words people use for the same thing; the matcher rewrites each to `canonical`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynonymGroup {
    pub canonical: String,
    pub words: Vec<String>,
    /// The phrases give a topic word another sense ("the lift is broken", "door hinge"): unless a
    /// message using one also names two topic words, its evidence drops a level.
    pub other_sense: bool,
}

/// The whole validated knowledge base. Immutable once loaded; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    tips: Vec<Tip>,
    synonyms: Vec<SynonymGroup>,
    /// Keyword words that are also everyday chat (`context-words.toml`).
    context_words: Vec<String>,
    by_id: HashMap<String, usize>,
    version: String,
}

impl KnowledgeBase {
    pub(crate) fn new(
        entries: Vec<Entry>,
        tips: Vec<Tip>,
        synonyms: Vec<SynonymGroup>,
        version: String,
    ) -> Self {
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        KnowledgeBase {
            entries,
            tips,
            synonyms,
            context_words: Vec::new(),
            by_id,
            version,
        }
    }

    /// The same knowledge base with these context words (see [`KnowledgeBase::context_words`]).
    pub fn with_context_words(mut self, words: Vec<String>) -> Self {
        self.context_words = words;
        self
    }

    /// A knowledge base built in memory (benchmarks, evaluation tools), without the file checks of
    /// [`KnowledgeBase::load`]: the caller vouches for unique ids and existing `related` ids.
    pub fn from_parts(entries: Vec<Entry>, tips: Vec<Tip>, synonyms: Vec<SynonymGroup>) -> Self {
        let version = format!("memory-{}", entries.len());
        KnowledgeBase::new(entries, tips, synonyms, version)
    }

    /// All entries, in file order (basics first).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// The entries of one category, in file order.
    pub fn in_category(&self, category: Category) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.category == category)
    }

    /// The daily tips, in file order.
    pub fn tips(&self) -> &[Tip] {
        &self.tips
    }

    /// The synonym groups.
    pub fn synonyms(&self) -> &[SynonymGroup] {
        &self.synonyms
    }

    /// Words from entry keywords that are also everyday workplace chat ("floor", "desk", "pallet"):
    /// they place a question but do not, on their own, make a message about lifting.
    pub fn context_words(&self) -> &[String] {
        &self.context_words
    }

    /// A short content hash of the files, so people can tell which knowledge base answered them.
    pub fn version(&self) -> &str {
        &self.version
    }
}
