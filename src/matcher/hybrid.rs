//! Hybrid scoring: the lexical score and the sentence-embedding similarity fused into one score per
//! entry, and the semantic view of a message that the warning-sign net also reads.
//!
//! Lexical and semantic evidence fail on different questions: the index knows the knowledge base's
//! own words, typos and synonyms, and refuses chatter that names no topic word; the encoder knows
//! that "those wearable back-assist harness things" and "exoskeletons" mean the same. The fused
//! score is `(lexical + SEMANTIC_WEIGHT · lift(cosine)) / (1 + SEMANTIC_WEIGHT)`, in 0..1. The
//! weights were fitted on the tune question sets (see `docs/matching.md`).

use super::semantic::Semantic;
use super::Thresholds;

/// Weight of the semantic similarity beside the lexical score, which weighs 1.
const SEMANTIC_WEIGHT: f32 = 0.6;
/// Cosine similarity at or below which the encoder's evidence counts for nothing (unrelated
/// sentences score about 0 to 0.2 with this model).
const SEMANTIC_FLOOR: f32 = 0.2;
/// A message that shares no word with any entry (no lexical evidence at all) is only matched when
/// it is at least this similar to a stored question: the encoder alone finds some resemblance in
/// almost anything.
const SEMANTIC_ONLY_MIN: f32 = 0.75;
/// How much of a long post's question sentences' lexical score counts beside the whole post's.
const FOCUS_LEXICAL: f32 = 0.6;
/// How much lower the question sentences' similarity is taken than the whole post's: a short
/// sentence is similar to more things by chance.
const FOCUS_SEMANTIC_DISCOUNT: f32 = 0.05;

/// Thresholds when only the encoder scores (`Scoring::Semantic`, for comparisons): on the cosine.
pub const SEMANTIC_ONLY: Thresholds = Thresholds {
    answer: 0.6,
    margin: 0.03,
    suggest: 0.5,
};

/// How a message is scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scoring {
    /// Lexical and semantic evidence fused (lexical alone when the model is unavailable).
    #[default]
    Hybrid,
    /// The index only, as without a model.
    Lexical,
    /// The encoder only (best cosine per entry), for comparisons.
    Semantic,
}

impl Scoring {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scoring::Hybrid => "hybrid",
            Scoring::Lexical => "lexical",
            Scoring::Semantic => "semantic",
        }
    }
}

/// What the encoder says about one message: its similarity to each entry and to each warning-sign
/// group's exemplars.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticView {
    /// Per entry (KB order): the best cosine with its stored questions.
    pub entries: Vec<f32>,
    /// Per tiered warning-sign group with exemplars (in the order of `Matcher::net_groups`): the
    /// best cosine.
    pub groups: Vec<f32>,
}

impl SemanticView {
    /// Encodes a message, and its question sentences when it is a long post, and keeps for each
    /// target the better of the two (the sentences a little discounted). `None` when the encoder
    /// fails on this text (it is logged; the message is then scored lexically).
    pub fn of(
        semantic: &Semantic,
        entry_count: usize,
        text: &str,
        focus: Option<&str>,
    ) -> Option<SemanticView> {
        let scores = |t: &str| match semantic.embed(t) {
            Ok(v) => Some(semantic.best_per_entry(&v)),
            Err(e) => {
                tracing::warn!("semantic scoring skipped for one message: {e}");
                None
            }
        };
        let mut all = scores(text)?;
        if let Some(sentences) = focus {
            if let Some(more) = scores(sentences) {
                for (a, b) in all.iter_mut().zip(more) {
                    *a = a.max(b - FOCUS_SEMANTIC_DISCOUNT);
                }
            }
        }
        let groups = all.split_off(entry_count.min(all.len()));
        Some(SemanticView {
            entries: all,
            groups,
        })
    }
}

/// Scores of one entry for one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Components {
    /// The index's score, 0..1 (the better of the whole post and, discounted, its question sentences).
    pub lexical: f32,
    /// The best cosine with the entry's stored questions, -1..1; `None` without a model.
    pub semantic: Option<f32>,
}

/// Raises a cosine into 0..1 above [`SEMANTIC_FLOOR`].
fn lift(cosine: f32) -> f32 {
    ((cosine - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR)).max(0.0)
}

/// Lexical scores per entry: the whole message's, and its question sentences' discounted.
pub fn lexical_scores(
    entry_count: usize,
    whole: &[(usize, f32)],
    focus: Option<&[(usize, f32)]>,
) -> Vec<f32> {
    let mut lexical = vec![0.0f32; entry_count];
    for &(e, s) in whole {
        lexical[e] = s;
    }
    for &(e, s) in focus.unwrap_or_default() {
        lexical[e] = lexical[e].max(FOCUS_LEXICAL * s);
    }
    lexical
}

/// Fuses per-entry lexical scores with a semantic view; returns (entry, fused score, components),
/// best first, keeping only entries with some evidence.
pub fn fuse(
    lexical: &[f32],
    view: Option<&SemanticView>,
    scoring: Scoring,
) -> Vec<(usize, f32, Components)> {
    let any_lexical = lexical.iter().any(|&s| s > 0.0);
    let mut scored: Vec<(usize, f32, Components)> = lexical
        .iter()
        .enumerate()
        .filter_map(|(e, &lex)| {
            let semantic = view.and_then(|v| v.entries.get(e).copied());
            let components = Components {
                lexical: lex,
                semantic,
            };
            let score = match (scoring, semantic) {
                (Scoring::Lexical, _) | (Scoring::Hybrid, None) => lex,
                (Scoring::Semantic, Some(cos)) => cos,
                (Scoring::Semantic, None) => 0.0,
                (Scoring::Hybrid, Some(cos)) => {
                    if !any_lexical && cos < SEMANTIC_ONLY_MIN {
                        0.0
                    } else {
                        (lex + SEMANTIC_WEIGHT * lift(cos)) / (1.0 + SEMANTIC_WEIGHT)
                    }
                }
            };
            (score > 0.0).then_some((e, score, components))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(entries: &[f32]) -> SemanticView {
        SemanticView {
            entries: entries.to_vec(),
            groups: Vec::new(),
        }
    }

    #[test]
    fn semantic_evidence_can_overturn_a_narrow_lexical_lead() {
        let lexical = [0.40, 0.35];
        let fused = fuse(&lexical, Some(&view(&[0.30, 0.80])), Scoring::Hybrid);
        assert_eq!(fused[0].0, 1, "{fused:?}");
        let lexical_only = fuse(&lexical, None, Scoring::Hybrid);
        assert_eq!(lexical_only[0].0, 0, "{lexical_only:?}");
    }

    #[test]
    fn without_any_shared_word_only_a_close_paraphrase_counts() {
        let none = [0.0, 0.0];
        assert!(fuse(&none, Some(&view(&[0.70, 0.10])), Scoring::Hybrid).is_empty());
        let close = fuse(&none, Some(&view(&[0.85, 0.10])), Scoring::Hybrid);
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].0, 0);
    }

    #[test]
    fn the_fused_score_stays_between_zero_and_one() {
        let fused = fuse(&[1.0], Some(&view(&[1.0])), Scoring::Hybrid);
        assert!((fused[0].1 - 1.0).abs() < 1e-6, "{fused:?}");
    }

    #[test]
    fn question_sentences_count_but_less_than_the_whole_post() {
        let scores = lexical_scores(2, &[(0, 0.5)], Some(&[(0, 0.6), (1, 0.5)]));
        assert_eq!(scores, vec![0.5, FOCUS_LEXICAL * 0.5]);
    }
}
