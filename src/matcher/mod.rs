//! Question matching: normalize → synonyms → index → score → fuse with the sentence encoder →
//! decide (answer / suggest / abstain). Deterministic.

mod analyze;
mod focus;
mod hybrid;
mod index;
pub mod normalize;
pub mod semantic;
mod typo;

pub use analyze::{stem, Origin, Term};
pub use focus::focus;
pub use hybrid::{Components, Scoring, SemanticView, SEMANTIC_ONLY};
pub use normalize::{normalize, MAX_INPUT_CHARS};
pub use typo::TypoIndex;

use crate::config::MatcherSettings;
use crate::knowledge::KnowledgeBase;
use analyze::Analyzer;
use index::Index;
use semantic::{Encoder, Semantic, SemanticError};
use std::path::Path;
use std::sync::Arc;

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
    /// What each of `ranked` was made of, in the same order.
    pub components: Vec<Components>,
    pub terms: Vec<Term>,
    /// The question sentences of a long post, when they were weighed on their own.
    pub focus: Option<String>,
    /// How the scores were made (hybrid falls back to lexical without a model).
    pub scoring: Scoring,
}

impl Match {
    /// The top score (0 when nothing matched).
    pub fn top_score(&self) -> f32 {
        self.ranked.first().map_or(0.0, |r| r.1)
    }
}

/// When to answer and when to suggest, on a scoring's scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Minimum top score to answer outright.
    pub answer: f32,
    /// Minimum lead of the top score over the runner-up to answer outright.
    pub margin: f32,
    /// Minimum top score to offer "did you mean" suggestions; below it, abstain.
    pub suggest: f32,
}

impl Thresholds {
    /// The configured thresholds, which apply to hybrid scoring.
    pub fn configured(settings: &MatcherSettings) -> Thresholds {
        Thresholds {
            answer: settings.answer_threshold,
            margin: settings.answer_margin,
            suggest: settings.suggest_threshold,
        }
    }

    /// The thresholds a scoring decides on: the configured ones for hybrid scores, fixed ones for
    /// the single-evidence scales.
    pub fn of(scoring: Scoring, settings: &MatcherSettings) -> Thresholds {
        match scoring {
            Scoring::Hybrid => Thresholds::configured(settings),
            Scoring::Lexical => LEXICAL_ONLY,
            Scoring::Semantic => SEMANTIC_ONLY,
        }
    }
}

/// Thresholds of the index alone (no model, or `Scoring::Lexical`), calibrated on the question
/// sets as the configured hybrid ones are.
pub const LEXICAL_ONLY: Thresholds = Thresholds {
    answer: 0.45,
    margin: 0.05,
    suggest: 0.25,
};

/// The knowledge base's search index, the analyser that feeds it, and (when the model loaded) the
/// sentence encoder with every stored question's vector.
pub struct Matcher {
    analyzer: Analyzer,
    index: Index,
    semantic: Option<Semantic>,
    entry_count: usize,
    /// The warning-sign groups whose exemplars the encoder holds after the entries, in order.
    net_groups: Vec<String>,
}

/// How many ranked entries a match keeps.
const KEEP: usize = 8;

impl Matcher {
    /// Indexes a knowledge base (lexical scoring only; see [`Matcher::with_encoder`]).
    pub fn new(kb: &KnowledgeBase) -> Matcher {
        let mut analyzer = Analyzer::new(kb.synonyms());
        let index = Index::build(kb, &mut analyzer);
        Matcher {
            analyzer,
            index,
            semantic: None,
            entry_count: kb.entries().len(),
            net_groups: Vec::new(),
        }
    }

    /// Adds the sentence encoder: the vectors of every stored question and warning-sign exemplar
    /// come from the cache file when it has them (only new or edited texts are encoded, and the
    /// file is brought up to date).
    pub fn with_encoder(
        mut self,
        kb: &KnowledgeBase,
        encoder: Arc<Encoder>,
        cache: Option<&Path>,
    ) -> Result<Matcher, SemanticError> {
        let mut targets: Vec<(u32, &str)> = kb
            .entries()
            .iter()
            .enumerate()
            .flat_map(|(e, entry)| entry.questions.iter().map(move |q| (e as u32, q.as_str())))
            .collect();
        let mut net_groups: Vec<String> = Vec::new();
        for example in &kb.warning_signs().examples {
            let slot = match net_groups.iter().position(|g| *g == example.group) {
                Some(slot) => slot,
                None => {
                    net_groups.push(example.group.clone());
                    net_groups.len() - 1
                }
            };
            targets.push(((self.entry_count + slot) as u32, example.text.as_str()));
        }
        let target_count = self.entry_count + net_groups.len();
        self.semantic = Some(Semantic::new(encoder, target_count, &targets, cache)?);
        self.net_groups = net_groups;
        Ok(self)
    }

    /// The encoder and stored vectors, when the model is in use.
    pub fn semantic(&self) -> Option<&Semantic> {
        self.semantic.as_ref()
    }

    /// The warning-sign groups of [`SemanticView::groups`], in order.
    pub fn net_groups(&self) -> &[String] {
        &self.net_groups
    }

    /// How strongly a term says a message is about lifting, for `--explain`.
    pub fn evidence_of(&self, term: &str) -> Option<&'static str> {
        self.index.evidence_of(term)
    }

    /// Context words of the knowledge base that no entry's keywords use (they change nothing).
    pub fn unused_context_words(&self) -> &[String] {
        self.index.unused_context_words()
    }

    /// What the encoder says about a message (and its question sentences), when the model is in use.
    pub fn semantic_view(&self, text: &str) -> Option<SemanticView> {
        let semantic = self.semantic.as_ref()?;
        SemanticView::of(semantic, self.entry_count, text, focus(text).as_deref())
    }

    /// Ranks entries for a question and decides, the way [`crate::Assistant::reply`] does.
    pub fn find(&self, text: &str, settings: &MatcherSettings, scoring: Scoring) -> Match {
        let view = match scoring {
            Scoring::Lexical => None,
            _ => self.semantic_view(text),
        };
        self.find_with(text, &normalize(text), view.as_ref(), settings, scoring)
    }

    /// [`Matcher::find`] for text already normalized and a semantic view already computed.
    pub fn find_with(
        &self,
        text: &str,
        normalized: &str,
        view: Option<&SemanticView>,
        settings: &MatcherSettings,
        scoring: Scoring,
    ) -> Match {
        let (whole, terms) = self.lexical(normalized);
        let focus = focus(text);
        let focus_ranked = focus.as_deref().map(|f| self.lexical(&normalize(f)).0);
        let lexical = hybrid::lexical_scores(self.entry_count, &whole, focus_ranked.as_deref());
        let view = view.filter(|_| scoring != Scoring::Lexical);
        let scoring = match (scoring, view) {
            (Scoring::Hybrid, None) => Scoring::Lexical,
            (s, _) => s,
        };
        let mut fused = hybrid::fuse(&lexical, view, scoring);
        fused.truncate(KEEP);
        let thresholds = Thresholds::of(scoring, settings);
        let ranked: Vec<(usize, f32)> = fused.iter().map(|&(e, s, _)| (e, s)).collect();
        let decision = decide(&ranked, &thresholds, settings.max_suggestions);
        Match {
            decision,
            ranked,
            components: fused.into_iter().map(|(_, _, c)| c).collect(),
            terms,
            focus,
            scoring,
        }
    }

    /// The index's ranking of every entry sharing evidence with the text, and its analysed terms.
    fn lexical(&self, normalized: &str) -> (Vec<(usize, f32)>, Vec<Term>) {
        let terms = self.analyzer.terms_normalized(normalized);
        let other_sense = terms.iter().any(|t| self.analyzer.is_other_sense(&t.text));
        let query = self.index.query(terms, other_sense);
        (self.index.score(&query), query.terms)
    }
}

/// Answer when the top score clears the answer threshold and leads the runner-up by the margin;
/// suggest when it clears the suggest threshold; otherwise abstain.
pub fn decide(
    ranked: &[(usize, f32)],
    thresholds: &Thresholds,
    max_suggestions: usize,
) -> Decision {
    let Some(&(top, s1)) = ranked.first() else {
        return Decision::Abstain;
    };
    let s2 = ranked.get(1).map_or(0.0, |r| r.1);
    if s1 >= thresholds.answer && s1 - s2 >= thresholds.margin {
        return Decision::Answer(top);
    }
    if s1 >= thresholds.suggest {
        let floor = (s1 * 0.6).max(thresholds.suggest * 0.8);
        let picks = ranked
            .iter()
            .take(max_suggestions.max(1))
            .filter(|r| r.1 >= floor)
            .map(|r| r.0)
            .collect();
        return Decision::Suggest(picks);
    }
    Decision::Abstain
}
