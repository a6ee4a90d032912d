//! The sentence encoder: tokenise, run BERT, mean-pool over the tokens and L2-normalise,
//! exactly as sentence-transformers does for all-MiniLM-L6-v2.

use super::bert::{Bert, BertConfig};
use super::error::SemanticError;
use super::files::{hex, ModelFiles};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};

/// Texts longer than this many tokens (including `[CLS]` and `[SEP]`) are cut to their start.
///
/// 128 is the length the model was fine-tuned on, and it bounds the cost of one long post
/// (sentence-transformers would go to 256).
pub const MAX_TOKENS: usize = 128;

/// A loaded, verified sentence encoder. Cheap to share between threads (`Send + Sync`).
pub struct Encoder {
    tokenizer: Tokenizer,
    bert: Bert,
    model_checksum: String,
    fingerprint: [u8; 32],
    /// The model folder's vectors of the bundled knowledge base ([`SEED_FILE`]).
    seed: PathBuf,
}

/// The file in the model folder with the vectors of the bundled knowledge base's stored
/// questions and warning-sign exemplars, so that even a first start encodes nothing
/// (`scripts/refresh-vectors` rewrites it after a knowledge base edit; a test checks it is current).
pub const SEED_FILE: &str = "question-vectors.bin";

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
            seed: dir.join(SEED_FILE),
        })
    }

    /// Where the model folder's vectors of the bundled knowledge base are ([`SEED_FILE`]; the file
    /// may be missing).
    pub fn seed_path(&self) -> &Path {
        &self.seed
    }

    /// The sentence vector of `text`: unit length, [`dim`](Encoder::dim) numbers.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, SemanticError> {
        let ids = self.token_ids(text)?;
        let hidden = self.bert.forward(&ids)?;
        let hidden = hidden.flatten_all()?.to_vec1::<f32>()?;
        Ok(mean_pool_normalized(&hidden, self.dim()))
    }

    /// The sentence vectors of many texts, in order, spread over the CPU's cores; each is
    /// bit for bit what [`embed`](Encoder::embed) gives.
    ///
    /// Texts run one at a time rather than as padded batches: a single text's products are
    /// already efficient, and a text's vector then never depends on what it was encoded with.
    pub fn embed_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, SemanticError> {
        texts.par_iter().map(|text| self.embed(text)).collect()
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

/// The mean of the token rows, scaled to unit length.
fn mean_pool_normalized(rows: &[f32], dim: usize) -> Vec<f32> {
    let mut sum = vec![0f32; dim];
    let mut count = 0f32;
    for row in rows.chunks_exact(dim) {
        count += 1.0;
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
    let count = count.max(1.0);
    sum.iter_mut().for_each(|s| *s /= count);
    // torch.nn.functional.normalize: divide by max(norm, 1e-12).
    let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    sum.iter_mut().for_each(|s| *s /= norm);
    sum
}
