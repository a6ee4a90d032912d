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

impl Source {
    /// The source in one short line: "NHS — Back pain (2024)", or the bare label.
    pub fn short(&self) -> String {
        match self {
            Source::Cited(c) => format!("{} — {} ({})", c.by(), c.title, c.year),
            Source::Label(label) => label.clone(),
        }
    }
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

impl Citation {
    /// Who stands behind it: the publisher, or else the authors.
    pub fn by(&self) -> &str {
        self.publisher
            .as_deref()
            .or(self.authors.as_deref())
            .unwrap_or_default()
    }
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
    /// The phrases report an injury that happened ("did my back in"): an activity named right after
    /// one ("… moving a sofa") says where it happened, so it counts for less than what is asked.
    pub injury: bool,
}

/// How urgent a warning sign is, most urgent first. Each tier has one headline, shown verbatim on
/// every warning card and in the `red-flags` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Call 999 / 112 / 911 or go to A&E now.
    Emergency,
    /// See a doctor today.
    SameDay,
    /// See a GP or physiotherapist in the next few days.
    GpSoon,
}

impl Tier {
    /// Every tier, most urgent first.
    pub const ALL: [Tier; 3] = [Tier::Emergency, Tier::SameDay, Tier::GpSoon];

    /// The id used in `red-flags.toml` and in JSON output.
    pub fn id(self) -> &'static str {
        match self {
            Tier::Emergency => "emergency",
            Tier::SameDay => "same-day",
            Tier::GpSoon => "gp-soon",
        }
    }

    /// Parses a tier id.
    pub fn from_id(id: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// What a group of signs calls for: one of the tiers, or only a caution (usually an ordinary strain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Concern {
    Tier(Tier),
    Caution,
}

impl Concern {
    /// The id used in `red-flags.toml` and in JSON output: a tier id, or `caution`.
    pub fn id(self) -> &'static str {
        match self {
            Concern::Tier(tier) => tier.id(),
            Concern::Caution => "caution",
        }
    }

    /// Parses a tier id or `caution`.
    pub fn from_id(id: &str) -> Option<Concern> {
        match id {
            "caution" => Some(Concern::Caution),
            _ => Tier::from_id(id).map(Concern::Tier),
        }
    }

    /// The tier, unless this is only a caution.
    pub fn tier(self) -> Option<Tier> {
        match self {
            Concern::Tier(tier) => Some(tier),
            Concern::Caution => None,
        }
    }
}

impl Serialize for Concern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// One named group of warning signs ("saddle", "chest-pain"…) and the rules that find it in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignGroup {
    pub id: String,
    pub concern: Concern,
    /// What the card says the person mentioned, in plain words ("a history of cancer").
    pub label: String,
    pub rules: Vec<SignRule>,
}

impl SignGroup {
    /// The group ids, fixed because other tools (the semantic safety net) name them too.
    pub const IDS: [&'static str; 18] = [
        "saddle",
        "bladder-bowel",
        "sexual-function",
        "both-legs",
        "weakness",
        "chest-pain",
        "shoulder-blades",
        "tummy-pain",
        "trauma",
        "systemic",
        "cancer-history",
        "immune",
        "night-pain",
        "osteoporosis-fall",
        "lump",
        "worsening",
        "one-leg",
        "strain",
    ];
}

/// A rule fires when every one of its `all` lists has a pattern matching somewhere in the message,
/// and none of its `none` patterns does ("cannot stand", but not "cannot stand up straight").
/// Patterns are written out: no `a|b` alternatives and no `@list` references are left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignRule {
    pub all: Vec<Vec<String>>,
    pub none: Vec<String>,
}

/// What an ordinary strain gets: a caution line first, and an entry when nothing else matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CautionText {
    pub line: String,
    pub entry: String,
}

/// The warning-sign triage data (`red-flags.toml`): tier headlines, the caution, the sign groups;
/// and the exemplars of the semantic safety net (`warning-sign-examples.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarningSigns {
    /// One headline per tier, in [`Tier::ALL`] order.
    headlines: [String; 3],
    pub caution: CautionText,
    pub groups: Vec<SignGroup>,
    /// Sentences describing a tiered sign in everyday words; a message close enough in meaning to
    /// one fires its group even when no rule does.
    pub examples: Vec<WarningExample>,
}

/// One exemplar of the semantic safety net.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningExample {
    /// The id of a tiered group of `red-flags.toml`.
    pub group: String,
    pub text: String,
}

impl WarningSigns {
    /// Warning signs from their parts; `headline` gives each tier's headline.
    pub fn new(
        headline: impl Fn(Tier) -> String,
        caution: CautionText,
        groups: Vec<SignGroup>,
    ) -> Self {
        WarningSigns {
            headlines: Tier::ALL.map(headline),
            caution,
            groups,
            examples: Vec::new(),
        }
    }

    /// The tier's headline, e.g. "Emergency now: call 999 / 112 / 911 or go to A&E / the ER".
    pub fn headline(&self, tier: Tier) -> &str {
        &self.headlines[tier as usize]
    }
}

/// The whole validated knowledge base. Immutable once loaded; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    tips: Vec<Tip>,
    synonyms: Vec<SynonymGroup>,
    /// Keyword words that are also everyday chat (`context-words.toml`).
    context_words: Vec<String>,
    /// The warning-sign triage data (`red-flags.toml`).
    warning_signs: WarningSigns,
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
            warning_signs: WarningSigns::default(),
            by_id,
            version,
        }
    }

    /// The same knowledge base with these context words (see [`KnowledgeBase::context_words`]).
    pub fn with_context_words(mut self, words: Vec<String>) -> Self {
        self.context_words = words;
        self
    }

    /// The same knowledge base with this warning-sign data (see [`KnowledgeBase::warning_signs`]).
    pub(crate) fn with_warning_signs(mut self, signs: WarningSigns) -> Self {
        self.warning_signs = signs;
        self
    }

    /// A knowledge base built in memory (benchmarks, evaluation tools), without the file checks of
    /// [`KnowledgeBase::load`]: the caller vouches for unique ids and existing `related` ids.
    pub fn from_parts(
        entries: Vec<Entry>,
        tips: Vec<Tip>,
        synonyms: Vec<SynonymGroup>,
        warning_signs: WarningSigns,
    ) -> Self {
        let version = format!("memory-{}", entries.len());
        KnowledgeBase::new(entries, tips, synonyms, version).with_warning_signs(warning_signs)
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

    /// The warning signs every message is checked for before it is answered (`red-flags.toml`).
    pub fn warning_signs(&self) -> &WarningSigns {
        &self.warning_signs
    }

    /// A short content hash of the files, so people can tell which knowledge base answered them.
    pub fn version(&self) -> &str {
        &self.version
    }
}
