//! What can go wrong loading or running the sentence encoder, each naming the file at fault.

use std::path::PathBuf;

/// Why the sentence encoder could not be loaded or could not encode a text.
///
/// Loading never panics: a missing, altered or unreadable model is one of these, so a caller
/// can warn once and carry on without semantic matching.
#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    /// The model folder does not exist.
    #[error("model folder {} does not exist", dir.display())]
    MissingDir { dir: PathBuf },

    /// A file the loader needs is absent.
    #[error("model file {} is missing", path.display())]
    Missing { path: PathBuf },

    /// A file exists but could not be read.
    #[error("cannot read model file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `SHA256SUMS` is malformed or does not list a file the loader reads.
    #[error("{}: {problem}", path.display())]
    BadChecksumList { path: PathBuf, problem: String },

    /// A file's contents differ from what `SHA256SUMS` promises.
    #[error("model file {} is altered or corrupt: sha256 is {actual}, SHA256SUMS says {expected}", path.display())]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// `config.json` is unreadable as JSON or describes a model this encoder cannot run.
    #[error("model config {}: {problem}", path.display())]
    BadConfig { path: PathBuf, problem: String },

    /// A weight is missing from the safetensors file or has the wrong shape or type.
    #[error("model weights {}: tensor {tensor}: {problem}", path.display())]
    BadTensor {
        path: PathBuf,
        tensor: String,
        problem: String,
    },

    /// `tokenizer.json` could not be parsed or configured.
    #[error("tokenizer {}: {problem}", path.display())]
    BadTokenizer { path: PathBuf, problem: String },

    /// Tokenising a text failed.
    #[error("cannot tokenise text: {0}")]
    Tokenize(String),

    /// The forward pass failed (an internal error, not caused by the text).
    #[error("sentence encoder failed: {0}")]
    Inference(#[from] candle_core::Error),
}
