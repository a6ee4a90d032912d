//! The sentence encoder: tokenise, run BERT, mean-pool over the tokens and L2-normalise,
//! exactly as sentence-transformers does for all-MiniLM-L6-v2.

use super::bert::{Bert, BertConfig};
use super::error::SemanticError;
use super::files::{hex, ModelFiles};
use sha2::{Digest, Sha256};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// Texts longer than this many tokens (including `[CLS]` and `[SEP]`) are cut to their start.
///
/// 128 is the length the model was fine-tuned on, and it bounds the cost of one long post
/// (sentence-transformers would go to 256).
pub const MAX_TOKENS: usize = 128;

/// How many texts [`Encoder::embed_batch`] runs through the model at once.
const BATCH: usize = 32;

/// A loaded, verified sentence encoder. Cheap to share between threads (`Send + Sync`).
pub struct Encoder {
    tokenizer: Tokenizer,
    bert: Bert,
    model_checksum: String,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("model_checksum", &self.model_checksum)
            .field("dim", &self.dim())
            .finish_non_exhaustive()
    }
}

impl Encoder {
    /// Loads the model folder `dir` (see [`default_model_dir`](super::default_model_dir)).
    ///
    /// `config.json`, `tokenizer.json` and `model.safetensors` are read only if their sha256
    /// matches the folder's `SHA256SUMS`; any problem is an error naming the file, never a panic.
    pub fn load(dir: &Path) -> Result<Encoder, SemanticError> {
        let files = ModelFiles::open(dir)?;
        let config_file = files.read_verified("config.json")?;
        let tokenizer_file = files.read_verified("tokenizer.json")?;
        let model_file = files.read_verified("model.safetensors")?;

        let config = BertConfig::parse(&config_file.path, &config_file.bytes)?;
        let bad_tokenizer = |problem: String| SemanticError::BadTokenizer {
            path: tokenizer_file.path.clone(),
            problem,
        };
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_file.bytes)
            .map_err(|e| bad_tokenizer(e.to_string()))?;
        if tokenizer.get_vocab_size(true) > config.vocab_size {
            return Err(bad_tokenizer(format!(
                "{} tokens, but the model has only {} embeddings",
                tokenizer.get_vocab_size(true),
                config.vocab_size
            )));
        }
        let max_tokens = MAX_TOKENS.min(config.max_position_embeddings);
        // The shipped tokenizer pads every text to 128 tokens; a query costs what its own tokens cost.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| bad_tokenizer(e.to_string()))?;

        let bert = Bert::load(&model_file.path, &model_file.bytes, config)?;
        let fingerprint = Sha256::new()
            .chain_update(b"hingebot sentence vectors\n")
            .chain_update(model_file.sha256.as_bytes())
            .chain_update(b"\n")
            .chain_update(tokenizer_file.sha256.as_bytes())
            .chain_update(format!("\nmax_tokens {max_tokens}\n").as_bytes())
            .finalize()
            .into();
        Ok(Encoder {
            tokenizer,
            bert,
            model_checksum: model_file.sha256,
            fingerprint,
        })
    }

    /// The sentence vector of `text`: unit length, [`dim`](Encoder::dim) numbers.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, SemanticError> {
        let ids = self.token_ids(text)?;
        let hidden = self.bert.forward(&ids, 1, None)?;
        let hidden = hidden.flatten_all()?.to_vec1::<f32>()?;
        Ok(mean_pool_normalized(&hidden, self.dim(), None))
    }

    /// The sentence vectors of many texts, in order; faster than one [`embed`](Encoder::embed)
    /// each because texts of similar length run through the model together.
    ///
    /// The vectors agree with [`embed`](Encoder::embed)'s to rounding (cosine > 0.99999), not
    /// bit for bit, because padded batches sum in a different order.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, SemanticError> {
        let tokenized = texts
            .iter()
            .map(|t| self.token_ids(t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| tokenized[i].len());
        let mut vectors = vec![Vec::new(); texts.len()];
        let dim = self.dim();
        for chunk in order.chunks(BATCH) {
            let len = chunk.iter().map(|&i| tokenized[i].len()).max().unwrap_or(0);
            let mut ids = Vec::with_capacity(chunk.len() * len);
            let mut mask = Vec::with_capacity(chunk.len() * len);
            for &i in chunk {
                let seq = &tokenized[i];
                ids.extend_from_slice(seq);
                ids.resize(ids.len() + len - seq.len(), 0);
                mask.extend((0..len).map(|p| if p < seq.len() { 1.0 } else { 0.0 }));
            }
            let padded = mask.contains(&0.0);
            let hidden = self
                .bert
                .forward(&ids, chunk.len(), padded.then_some(mask.as_slice()))?;
            let hidden = hidden.flatten_all()?.to_vec1::<f32>()?;
            let per_seq = len * dim;
            for (n, &i) in chunk.iter().enumerate() {
                let rows = &hidden[n * per_seq..(n + 1) * per_seq];
                let seq_mask = &mask[n * len..(n + 1) * len];
                vectors[i] = mean_pool_normalized(rows, dim, Some(seq_mask));
            }
        }
        Ok(vectors)
    }

    /// The number of tokens the model sees for `text` (after truncation, with `[CLS]`/`[SEP]`).
    pub fn token_count(&self, text: &str) -> Result<usize, SemanticError> {
        Ok(self.token_ids(text)?.len())
    }

    /// The length of a sentence vector (384).
    pub fn dim(&self) -> usize {
        self.bert.hidden_size()
    }

    /// The sha256 (lowercase hex) of the loaded `model.safetensors`, as listed in `SHA256SUMS`.
    pub fn model_checksum(&self) -> &str {
        &self.model_checksum
    }

    /// A digest of everything a sentence vector depends on (weights, tokenizer, truncation):
    /// stored vectors are reusable exactly when this is unchanged.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// [`fingerprint`](Encoder::fingerprint) as lowercase hex.
    pub fn fingerprint_hex(&self) -> String {
        hex(&self.fingerprint)
    }

    fn token_ids(&self, text: &str) -> Result<Vec<u32>, SemanticError> {
        let encoding = self
            .tokenizer
            .encode_fast(text, true)
            .map_err(|e| SemanticError::Tokenize(e.to_string()))?;
        let ids = encoding.get_ids();
        debug_assert!(ids.len() <= self.bert.max_positions());
        Ok(ids.to_vec())
    }
}

/// The mean of the token rows (those with mask 1), scaled to unit length.
fn mean_pool_normalized(rows: &[f32], dim: usize, mask: Option<&[f32]>) -> Vec<f32> {
    let mut sum = vec![0f32; dim];
    let mut count = 0f32;
    for (n, row) in rows.chunks_exact(dim).enumerate() {
        let weight = mask.map_or(1.0, |m| m[n]);
        if weight == 0.0 {
            continue;
        }
        count += weight;
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v * weight;
        }
    }
    let count = count.max(1e-9);
    sum.iter_mut().for_each(|s| *s /= count);
    // torch.nn.functional.normalize: divide by max(norm, 1e-12).
    let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|s| *s /= norm);
    sum
}
