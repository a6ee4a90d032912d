//! Question matching: normalize → synonyms → index → score → decide (answer / suggest / abstain). Deterministic.

mod analyze;
mod index;
pub mod normalize;
pub mod semantic;
mod typo;

pub use analyze::{stem, Origin, Term};
pub use normalize::{normalize, MAX_INPUT_CHARS};

use crate::config::MatcherSettings;
use crate::knowledge::KnowledgeBase;
use analyze::Analyzer;
use index::Index;

/// The matcher's verdict for one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Confident: this entry (index into the KB's entries) answers it.
    Answer(usize),
    /// Plausible but unsure: these entries, best first.
    Suggest(Vec<usize>),
    /// Nothing in the knowledge base fits.
    Abstain,
}

/// The scored outcome of a match, with what `--explain` shows.
#[derive(Debug, Clone)]
pub struct Match {
    pub decision: Decision,
    /// (entry index, score), best first; at most a handful.
    pub ranked: Vec<(usize, f32)>,
    pub terms: Vec<Term>,
}

impl Match {
    /// The top score (0 when nothing matched).
    pub fn top_score(&self) -> f32 {
        self.ranked.first().map_or(0.0, |r| r.1)
    }
}

/// The knowledge base's search index and the analyser that feeds it.
pub struct Matcher {
    analyzer: Analyzer,
    index: Index,
}

/// How many ranked entries a match keeps.
const KEEP: usize = 8;

impl Matcher {
    /// Indexes a knowledge base.
    pub fn new(kb: &KnowledgeBase) -> Matcher {
        let mut analyzer = Analyzer::new(kb.synonyms());
        let index = Index::build(kb, &mut analyzer);
        Matcher { analyzer, index }
    }

    /// How strongly a term says a message is about lifting, for `--explain`.
    pub fn evidence_of(&self, term: &str) -> Option<&'static str> {
        self.index.evidence_of(term)
    }

    /// Context words of the knowledge base that no entry's keywords use (they change nothing).
    pub fn unused_context_words(&self) -> &[String] {
        self.index.unused_context_words()
    }

    /// Ranks entries for a question and decides.
    pub fn find(&self, text: &str, settings: &MatcherSettings) -> Match {
        self.find_normalized(&normalize(text), settings)
    }

    /// [`Matcher::find`] for text already put through [`normalize`].
    pub fn find_normalized(&self, normalized: &str, settings: &MatcherSettings) -> Match {
        let terms = self.analyzer.terms_normalized(normalized);
        let other_sense = terms.iter().any(|t| self.analyzer.is_other_sense(&t.text));
        let query = self.index.query(terms, other_sense);
        let mut ranked = self.index.score(&query);
        ranked.truncate(KEEP);
        let decision = decide(&ranked, settings);
        Match {
            decision,
            ranked,
            terms: query.terms,
        }
    }
}

/// Answer when the top score clears the answer threshold and leads the runner-up by the margin;
/// suggest when it clears the suggest threshold; otherwise abstain.
pub fn decide(ranked: &[(usize, f32)], settings: &MatcherSettings) -> Decision {
    let Some(&(top, s1)) = ranked.first() else {
        return Decision::Abstain;
    };
    let s2 = ranked.get(1).map_or(0.0, |r| r.1);
    if s1 >= settings.answer_threshold && s1 - s2 >= settings.answer_margin {
        return Decision::Answer(top);
    }
    if s1 >= settings.suggest_threshold {
        let floor = (s1 * 0.6).max(settings.suggest_threshold * 0.8);
        let picks = ranked
            .iter()
            .take(settings.max_suggestions.max(1))
            .filter(|r| r.1 >= floor)
            .map(|r| r.0)
            .collect();
        return Decision::Suggest(picks);
    }
    Decision::Abstain
}
