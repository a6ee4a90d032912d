//! Semantic similarity: a sentence encoder (all-MiniLM-L6-v2) that scores how close a message is
//! in meaning to each entry's stored questions, for the matcher to weigh with its lexical score.
//!
//! ```no_run
//! use hingebot::matcher::semantic::{default_model_dir, Semantic};
//! # let kb = hingebot::KnowledgeBase::load(std::path::Path::new("knowledge")).unwrap();
//! let semantic = match Semantic::load(&default_model_dir(), &kb, None) {
//!     Ok(s) => Some(s),
//!     Err(e) => {
//!         tracing::warn!("semantic matching is off: {e}");
//!         None
//!     }
//! };
//! if let Some(s) = &semantic {
//!     let query = s.embed("how do I pick up a heavy box").unwrap();
//!     let per_entry = s.best_per_entry(&query); // one cosine per KB entry
//! }
//! ```

mod bert;
mod cache;
mod encoder;
mod error;
mod files;
mod kernels;
mod linear;

pub use cache::{CacheStats, QuestionVectors, FORMAT_VERSION};
pub use encoder::{Encoder, MAX_TOKENS, SEED_FILE};
pub use error::SemanticError;
pub use files::{default_model_dir, sha256_hex, MODEL_DIR_ENV, MODEL_DIR_NAME};

use crate::knowledge::KnowledgeBase;
use std::path::Path;
use std::sync::Arc;

/// The encoder plus the vectors of every stored question of a knowledge base.
#[derive(Debug)]
pub struct Semantic {
    encoder: Arc<Encoder>,
    questions: QuestionVectors,
    /// The entry (index into the KB's entries) each stored question belongs to.
    question_entry: Vec<u32>,
    entry_count: usize,
    cache_stats: CacheStats,
}

impl Semantic {
    /// Loads the encoder from `model_dir` and the vectors of `kb`'s stored questions, through
    /// the cache file at `cache_path` when given (see [`QuestionVectors::load_or_build`]).
    ///
    /// An error means semantic matching is unavailable (missing or altered model); the caller
    /// should warn once and go on without it.
    pub fn load(
        model_dir: &Path,
        kb: &KnowledgeBase,
        cache_path: Option<&Path>,
    ) -> Result<Semantic, SemanticError> {
        let encoder = Arc::new(Encoder::load(model_dir)?);
        let questions: Vec<(u32, &str)> = kb
            .entries()
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.questions.iter().map(move |q| (i as u32, q.as_str())))
            .collect();
        Semantic::new(encoder, kb.entries().len(), &questions, cache_path)
    }

    /// [`Semantic::load`] for an encoder already loaded (shared, e.g. across knowledge base
    /// reloads) and any list of `(entry index, question)`.
    pub fn new(
        encoder: Arc<Encoder>,
        entry_count: usize,
        questions: &[(u32, &str)],
        cache_path: Option<&Path>,
    ) -> Result<Semantic, SemanticError> {
        let texts: Vec<&str> = questions.iter().map(|(_, q)| *q).collect();
        let (vectors, cache_stats) = QuestionVectors::load_or_build(&encoder, cache_path, &texts)?;
        tracing::debug!(
            reused = cache_stats.reused,
            encoded = cache_stats.encoded,
            dropped = cache_stats.dropped,
            seeded = cache_stats.seeded,
            "question vectors ready"
        );
        Ok(Semantic {
            encoder,
            questions: vectors,
            question_entry: questions.iter().map(|(e, _)| *e).collect(),
            entry_count,
            cache_stats,
        })
    }

    /// The unit-length sentence vector of a message.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, SemanticError> {
        self.encoder.embed(text)
    }

    /// For each KB entry (by index), the highest cosine similarity between `query` (from
    /// [`embed`](Semantic::embed)) and that entry's stored questions, in −1..=1; −1 for an
    /// entry without stored questions.
    pub fn best_per_entry(&self, query: &[f32]) -> Vec<f32> {
        let mut best = vec![-1.0f32; self.entry_count];
        for (vector, &entry) in self.questions.iter().zip(&self.question_entry) {
            if let Some(slot) = best.get_mut(entry as usize) {
                *slot = slot.max(similarity(query, vector));
            }
        }
        best
    }

    /// The encoder, e.g. for [`Encoder::model_checksum`].
    pub fn encoder(&self) -> &Arc<Encoder> {
        &self.encoder
    }

    /// The stored questions' vectors, in KB order (entries in order, each entry's questions in order).
    pub fn question_vectors(&self) -> &QuestionVectors {
        &self.questions
    }

    /// The entry index of each stored question, parallel to [`question_vectors`](Semantic::question_vectors).
    pub fn question_entry(&self) -> &[u32] {
        &self.question_entry
    }

    /// What loading the question vectors reused and encoded.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache_stats
    }
}

/// Cosine similarity of two unit-length vectors (their dot product), in −1..=1.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    // Eight running sums let the compiler use vector registers (a single sum is sequential).
    let mut sums = [0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}
