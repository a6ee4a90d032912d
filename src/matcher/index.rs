//! The inverted index over every entry's questions, keywords and title, and its scoring.
//!
//! Two signals, both computed from postings only (no scan of all entries per query):
//! - question similarity: idf-weighted cosine between the query and each stored question (best one per entry);
//! - entry relevance: BM25 over the entry's fields (title and keywords weigh more), normalised to 0..1.
//!
//! A bonus is added for each query bigram that also stands in the entry.

use super::analyze::{Analyzer, Origin, Term};
use crate::knowledge::KnowledgeBase;
use rustc_hash::{FxHashMap, FxHashSet};

/// Field weights for the entry-level BM25 term frequency.
const TITLE_WEIGHT: f32 = 2.0;
const KEYWORD_WEIGHT: f32 = 3.0;
const QUESTION_WEIGHT: f32 = 1.0;
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.5;
/// A corrected typo counts a little less than a word typed right.
const TYPO_FACTOR: f32 = 0.85;
/// Share of the question-similarity signal in the final score (the rest is entry relevance).
const QUESTION_SHARE: f32 = 0.6;
/// Question-level weight of a word the knowledge base never uses: it dilutes the match (an
/// off-topic message is mostly such words) without swamping long, story-like questions.
const UNKNOWN_WEIGHT: f32 = 3.5;
/// Share of `UNKNOWN_WEIGHT` an unknown word adds to the entry-level (BM25) normaliser.
const UNKNOWN_ENTRY_SHARE: f32 = 0.5;
/// A match on a general word ("tell", "exactly", "time") is weak evidence that a message is about
/// lifting at all; a match on a topic word ("hinge", "hamstring", "box") is strong; a context word
/// (`knowledge/context-words.toml`) sits between.
const GENERAL_WORD_FACTOR: f32 = 0.6;
const CONTEXT_WORD_FACTOR: f32 = 0.9;
/// A message with context words but no topic word ("how do I sit down in a chair properly", but also
/// "what shoes are good for running") is only matched when it closely resembles a stored question.
const CONTEXT_ONLY_MIN_SCORE: f32 = 0.6;
/// Words that may appear in keywords but never identify a topic on their own.
const NEVER_DOMAIN: &[&str] = &[
    "how", "what", "why", "when", "where", "which", "not", "cannot", "should", "need", "best",
    "good", "right", "wrong", "help", "make", "use", "way",
];
/// Queries up to this many distinct terms use `QUESTION_SHARE` as is...
const SHORT_QUERY_TERMS: f32 = 8.0;
/// ...longer ones shift this much of it per extra term to entry relevance, down to `MIN_QUESTION_SHARE`.
const LONG_QUERY_SHIFT: f32 = 0.02;
const MIN_QUESTION_SHARE: f32 = 0.3;
/// How fast an unknown word's weight falls with query length beyond `SHORT_QUERY_TERMS` (an exponent:
/// 1.0 keeps their total weight constant however long the story gets).
const LONG_QUERY_DILUTION: f32 = 1.0;
/// What a word counts for when it only names the setting of an injury the message reports ("did
/// my back in moving a sofa, now what" asks about the back, not the sofa; see `Term::setting`).
const SETTING_FACTOR: f32 = 0.3;
const BIGRAM_BONUS: f32 = 0.04;
const MAX_BIGRAM_BONUS: f32 = 0.12;

/// The searchable form of a knowledge base.
pub struct Index {
    terms: FxHashMap<String, u32>,
    /// Entry-level idf (BM25).
    idf: Vec<f32>,
    /// Question-similarity weight: question-level idf ("hinge" is in most entries but not most
    /// questions) times the term's evidence (see `GENERAL_WORD_FACTOR`).
    question_weight: Vec<f32>,
    /// Per term: (entry, weighted term frequency).
    entry_postings: Vec<Vec<(u32, f32)>>,
    /// Per term: question ids containing it.
    question_postings: Vec<Vec<u32>>,
    /// Per (term, term) bigram: entries containing it.
    bigrams: FxHashMap<(u32, u32), Vec<u32>>,
    question_entry: Vec<u32>,
    question_norm: Vec<f32>,
    entry_len: Vec<f32>,
    avg_len: f32,
    /// Per term: how strongly it says a message is about lifting.
    evidence: Vec<Evidence>,
    /// Context words that are no keyword's term, so they change nothing (reported by `kb check`).
    unused_context_words: Vec<String>,
    /// Adjacent term pairs of entry keywords ("wall drill", "touch toes"): two context words typed
    /// as such a pair name the topic together.
    keyword_pairs: FxHashSet<(u32, u32)>,
}

/// How strongly a word says that a message is about bending and lifting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Evidence {
    /// Not in any entry's keywords ("tell", "exactly"), or listed in `NEVER_DOMAIN`.
    General,
    /// A keyword that is also everyday chat (`KnowledgeBase::context_words`).
    Context,
    /// A keyword that names the topic ("hinge", "hamstring", "deadlift").
    Topic,
}

impl Evidence {
    /// How much a match on a word of this kind counts.
    fn factor(self) -> f32 {
        match self {
            Evidence::General => GENERAL_WORD_FACTOR,
            Evidence::Context => CONTEXT_WORD_FACTOR,
            Evidence::Topic => 1.0,
        }
    }

    /// A word for `--explain`.
    fn label(self) -> &'static str {
        match self {
            Evidence::General => "general",
            Evidence::Context => "context",
            Evidence::Topic => "topic",
        }
    }
}

/// A query after analysis, ready to score.
pub struct Query {
    pub terms: Vec<Term>,
    /// The index's id of each of `terms`, in order (for bigrams).
    ids: Vec<Option<u32>>,
    /// One per distinct term, in order.
    weighted: Vec<Weighted>,
    /// Norm of the question-similarity vector.
    norm: f32,
    /// The strongest evidence among the words typed (a corrected typo does not count).
    topic: Evidence,
}

/// A distinct query term and its weights.
struct Weighted {
    id: Option<u32>,
    /// Entry-level weight (BM25).
    entry: f32,
    /// Question-level weight (cosine).
    question: f32,
    /// How strongly the term says the message is about lifting.
    evidence: Evidence,
}

/// Term ids and bigram postings, collected while indexing.
#[derive(Default)]
struct Builder {
    terms: FxHashMap<String, u32>,
    bigrams: FxHashMap<(u32, u32), Vec<u32>>,
}

impl Builder {
    /// Analyses one field of entry `e`, adds `weight` per term to its term frequencies, records its
    /// bigrams, and returns the term ids in order.
    fn add(
        &mut self,
        analyzer: &Analyzer,
        e: u32,
        text: &str,
        weight: f32,
        tf: &mut FxHashMap<u32, f32>,
    ) -> Vec<u32> {
        let ids: Vec<u32> = analyzer
            .terms(text)
            .into_iter()
            .map(|t| {
                let next = self.terms.len() as u32;
                *self.terms.entry(t.text).or_insert(next)
            })
            .collect();
        for &id in &ids {
            *tf.entry(id).or_insert(0.0) += weight;
        }
        for pair in ids.windows(2) {
            let list = self.bigrams.entry((pair[0], pair[1])).or_default();
            if list.last() != Some(&e) {
                list.push(e);
            }
        }
        ids
    }
}

impl Index {
    /// Builds the index and gives the analyser its vocabulary for typo correction.
    pub fn build(kb: &KnowledgeBase, analyzer: &mut Analyzer) -> Index {
        let mut b = Builder::default();
        let mut entry_tf: Vec<FxHashMap<u32, f32>> = Vec::new();
        let mut question_terms: Vec<Vec<u32>> = Vec::new();
        let mut question_entry = Vec::new();
        let mut entry_len = Vec::new();
        let mut domain_ids: FxHashSet<u32> = FxHashSet::default();
        let mut keyword_pairs: FxHashSet<(u32, u32)> = FxHashSet::default();

        for (e_idx, entry) in kb.entries().iter().enumerate() {
            let e = e_idx as u32;
            let mut tf: FxHashMap<u32, f32> = FxHashMap::default();
            let mut len = 0.0;
            let title = b.add(analyzer, e, &entry.title, TITLE_WEIGHT, &mut tf);
            len += title.len() as f32 * TITLE_WEIGHT;
            for k in &entry.keywords {
                let ids = b.add(analyzer, e, k, KEYWORD_WEIGHT, &mut tf);
                len += ids.len() as f32 * KEYWORD_WEIGHT;
                keyword_pairs.extend(ids.windows(2).map(|w| (w[0], w[1])));
                domain_ids.extend(ids);
            }
            for q in &entry.questions {
                let mut ids = b.add(analyzer, e, q, QUESTION_WEIGHT, &mut tf);
                len += ids.len() as f32 * QUESTION_WEIGHT;
                ids.sort_unstable();
                ids.dedup();
                question_terms.push(ids);
                question_entry.push(e);
            }
            entry_tf.push(tf);
            entry_len.push(len);
        }

        let Builder { terms, bigrams } = b;
        let n_terms = terms.len();
        let mut context_ids: FxHashSet<u32> = FxHashSet::default();
        let mut unused_context_words = Vec::new();
        for word in kb.context_words() {
            let ids: Vec<u32> = analyzer
                .terms(word)
                .into_iter()
                .filter_map(|t| terms.get(&t.text).copied())
                .filter(|id| domain_ids.contains(id))
                .collect();
            if ids.is_empty() {
                unused_context_words.push(word.clone());
            }
            context_ids.extend(ids);
        }
        let mut evidence = vec![Evidence::General; n_terms];
        for (t, &id) in &terms {
            evidence[id as usize] =
                if !domain_ids.contains(&id) || NEVER_DOMAIN.contains(&t.as_str()) {
                    Evidence::General
                } else if context_ids.contains(&id) {
                    Evidence::Context
                } else {
                    Evidence::Topic
                };
        }
        let n_entries = entry_tf.len().max(1) as f32;
        let mut df = vec![0u32; n_terms];
        let mut entry_postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_terms];
        for (e, tf) in entry_tf.iter().enumerate() {
            let mut sorted: Vec<_> = tf.iter().collect();
            sorted.sort_unstable_by_key(|(id, _)| **id);
            for (&id, &f) in sorted {
                df[id as usize] += 1;
                entry_postings[id as usize].push((e as u32, f));
            }
        }
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| (1.0 + (n_entries - d as f32 + 0.5) / (d as f32 + 0.5)).ln())
            .collect();

        let mut question_postings: Vec<Vec<u32>> = vec![Vec::new(); n_terms];
        for (q, ids) in question_terms.iter().enumerate() {
            for &id in ids {
                question_postings[id as usize].push(q as u32);
            }
        }
        let n_questions = question_terms.len().max(1) as f32;
        let question_weight: Vec<f32> = question_postings
            .iter()
            .zip(&evidence)
            .map(|(p, &d)| {
                let idf =
                    (1.0 + (n_questions - p.len() as f32 + 0.5) / (p.len() as f32 + 0.5)).ln();
                idf * d.factor()
            })
            .collect();
        let question_norm: Vec<f32> = question_terms
            .iter()
            .map(|ids| {
                ids.iter()
                    .map(|&id| question_weight[id as usize].powi(2))
                    .sum::<f32>()
                    .sqrt()
            })
            .collect();
        let avg_len = entry_len.iter().sum::<f32>() / n_entries;

        // Typos are corrected towards the KB's own terms and towards single-word synonyms
        // (which the analyser then folds to their canonical term).
        let mut vocab: Vec<(String, u32)> = terms
            .iter()
            .map(|(t, &id)| (t.clone(), df[id as usize]))
            .chain(analyzer.synonym_words().map(|w| (w.to_string(), 0)))
            .collect();
        vocab.sort_unstable();
        analyzer.set_vocabulary(vocab);

        Index {
            terms,
            idf,
            question_weight,
            evidence,
            entry_postings,
            question_postings,
            bigrams,
            question_entry,
            question_norm,
            entry_len,
            avg_len,
            unused_context_words,
            keyword_pairs,
        }
    }

    /// Context words that no entry's keywords use: stale curation, harmless but worth removing.
    pub fn unused_context_words(&self) -> &[String] {
        &self.unused_context_words
    }

    /// How strongly a term says a message is about lifting ("topic", "context", "general"), for
    /// `--explain`; `None` for a word the knowledge base never uses.
    pub fn evidence_of(&self, term: &str) -> Option<&'static str> {
        let id = *self.terms.get(term)?;
        Some(self.evidence[id as usize].label())
    }

    pub fn is_empty(&self) -> bool {
        self.entry_len.is_empty()
    }

    /// Weighs the analysed terms of a query.
    ///
    /// `other_sense`: the message uses a topic word in another sense ("the lift is broken"); unless
    /// it names two topic words, its evidence drops a level (topic to context, context to none).
    pub fn query(&self, terms: Vec<Term>, other_sense: bool) -> Query {
        let ids: Vec<Option<u32>> = terms
            .iter()
            .map(|t| self.terms.get(&t.text).copied())
            .collect();
        let topic = self.message_evidence(&terms, &ids, other_sense);
        let mut weighted: Vec<Weighted> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (t, &id) in terms.iter().zip(&ids) {
            if seen.contains(&t.text.as_str()) {
                continue;
            }
            seen.push(&t.text);
            let mut factor = if matches!(t.origin, Origin::Typo(_)) {
                TYPO_FACTOR
            } else {
                1.0
            };
            // The first occurrence decides only when it is setting: then every other must be too.
            if t.setting && terms.iter().filter(|o| o.text == t.text).all(|o| o.setting) {
                factor *= SETTING_FACTOR;
            }
            // General words count for less on both sides of the cosine (see `question_weight`), so
            // a rare general word ("exactly") cannot swamp the topic words of a question.
            let (entry, question, evidence) = match id {
                Some(id) => (
                    self.idf[id as usize],
                    self.question_weight[id as usize],
                    self.evidence[id as usize],
                ),
                None => (0.0, UNKNOWN_WEIGHT, Evidence::General),
            };
            weighted.push(Weighted {
                id,
                entry: entry * factor,
                question: question * factor,
                evidence,
            });
        }
        // In a long story most words are incidental: each unknown one dilutes the match less.
        let n = weighted.len() as f32;
        if n > SHORT_QUERY_TERMS {
            let scale = (SHORT_QUERY_TERMS / n).powf(LONG_QUERY_DILUTION);
            for w in weighted.iter_mut().filter(|w| w.id.is_none()) {
                w.question *= scale;
            }
        }
        let norm = weighted
            .iter()
            .map(|w| w.question * w.question)
            .sum::<f32>()
            .sqrt();
        Query {
            terms,
            ids,
            weighted,
            norm,
            topic,
        }
    }

    /// How strongly the message as a whole is about lifting: the strongest evidence among its words,
    /// with three adjustments.
    /// - A corrected typo of a topic word counts as context: "dowl drill" is likely about the dowel,
    ///   but "printer" is one letter from "pointer".
    /// - Two context words typed as a keyword phrase ("wall drill", "touch my toes") name the topic.
    /// - A topic word used in another sense (`other_sense`) drops the message a level unless two
    ///   topic words stand in it.
    fn message_evidence(&self, terms: &[Term], ids: &[Option<u32>], other_sense: bool) -> Evidence {
        let evidence: Vec<(u32, Evidence)> = terms
            .iter()
            .zip(ids)
            .filter_map(|(t, id)| {
                let id = (*id)?;
                let e = self.evidence[id as usize];
                Some(match t.origin {
                    Origin::Typo(_) => (id, e.min(Evidence::Context)),
                    _ => (id, e),
                })
            })
            .collect();
        let mut topic = evidence
            .iter()
            .map(|&(_, e)| e)
            .max()
            .unwrap_or(Evidence::General);
        let typed_context = |i: usize| match (&terms[i].origin, ids[i]) {
            (Origin::Typo(_), _) | (_, None) => None,
            (_, Some(id)) if self.evidence[id as usize] == Evidence::Context => Some(id),
            _ => None,
        };
        let keyword_pair = || {
            (1..terms.len()).any(|i| {
                matches!((typed_context(i - 1), typed_context(i)),
                    (Some(a), Some(b)) if self.keyword_pairs.contains(&(a, b)))
            })
        };
        if topic == Evidence::Context && keyword_pair() {
            topic = Evidence::Topic;
        }
        if other_sense {
            let mut topic_ids: Vec<u32> = evidence
                .iter()
                .filter(|&&(_, e)| e == Evidence::Topic)
                .map(|&(id, _)| id)
                .collect();
            topic_ids.sort_unstable();
            topic_ids.dedup();
            if topic_ids.len() < 2 {
                topic = match topic {
                    Evidence::Topic => Evidence::Context,
                    _ => Evidence::General,
                };
            }
        }
        topic
    }

    /// Scores every entry that shares a term with the query; returns (entry index, score 0..1), best first.
    pub fn score(&self, query: &Query) -> Vec<(usize, f32)> {
        // A message with no topic word at all is not about lifting, however its general words match.
        if query.norm == 0.0 || self.is_empty() || query.topic == Evidence::General {
            return Vec::new();
        }
        // Dense accumulators plus the list of slots touched: every addition is positive (idf > 0),
        // so a slot still at zero has not been touched.
        let mut question_acc = vec![0.0f32; self.question_entry.len()];
        let mut touched_questions: Vec<u32> = Vec::new();
        let mut entry_acc = vec![0.0f32; self.entry_len.len()];
        let mut touched_entries: Vec<u32> = Vec::new();
        let mut max_bm = 0.0;
        for t in &query.weighted {
            let Some(id) = t.id else {
                max_bm += t.question * UNKNOWN_ENTRY_SHARE * (BM25_K1 + 1.0);
                continue;
            };
            max_bm += t.entry * (BM25_K1 + 1.0);
            let w = t.entry * t.evidence.factor();
            let qw = t.question * self.question_weight[id as usize];
            for &q in &self.question_postings[id as usize] {
                let slot = &mut question_acc[q as usize];
                if *slot == 0.0 {
                    touched_questions.push(q);
                }
                *slot += qw;
            }
            for &(e, tf) in &self.entry_postings[id as usize] {
                let len_norm = 1.0 - BM25_B + BM25_B * self.entry_len[e as usize] / self.avg_len;
                let sat = tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * len_norm);
                let slot = &mut entry_acc[e as usize];
                if *slot == 0.0 {
                    touched_entries.push(e);
                }
                *slot += w * sat;
            }
        }
        let mut best_question = vec![0.0f32; self.entry_len.len()];
        for &q in &touched_questions {
            let cos = question_acc[q as usize]
                / (query.norm * self.question_norm[q as usize]).max(f32::EPSILON);
            let slot = &mut best_question[self.question_entry[q as usize] as usize];
            if cos > *slot {
                *slot = cos;
            }
        }
        let mut bonus = vec![0.0f32; self.entry_len.len()];
        for pair in query.ids.windows(2) {
            if let (Some(a), Some(b)) = (pair[0], pair[1]) {
                if let Some(entries) = self.bigrams.get(&(a, b)) {
                    for &e in entries {
                        let slot = &mut bonus[e as usize];
                        *slot = (*slot + BIGRAM_BONUS).min(MAX_BIGRAM_BONUS);
                    }
                }
            }
        }
        // Long, story-like posts rarely resemble one stored question: lean on the whole entry instead.
        let n = query.weighted.len() as f32;
        let share = if n <= SHORT_QUERY_TERMS {
            QUESTION_SHARE
        } else {
            (QUESTION_SHARE - (n - SHORT_QUERY_TERMS) * LONG_QUERY_SHIFT).max(MIN_QUESTION_SHARE)
        };
        let mut scored: Vec<(usize, f32)> = touched_entries
            .iter()
            .map(|&e| {
                let e = e as usize;
                let s =
                    share * best_question[e] + (1.0 - share) * (entry_acc[e] / max_bm) + bonus[e];
                (e, s.min(1.0))
            })
            .collect();
        if query.topic == Evidence::Context {
            scored.retain(|s| s.1 >= CONTEXT_ONLY_MIN_SCORE);
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}
