//! Sentence vectors of the stored questions, kept in a cache file so a start encodes only the
//! questions that are new or changed since the last one.
//!
//! File format (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `HBQVECS\0` |
//! | 4 | format version, [`FORMAT_VERSION`] |
//! | 4 | vector length `dim` |
//! | 32 | [`Encoder::fingerprint`] of the encoder that made the vectors |
//! | 4 | entry count `n` |
//! | n × (16 + 4·dim) | per entry: the first 16 bytes of sha256(question text as UTF-8), then `dim` f32 |
//! | 32 | sha256 of every byte before it |
//!
//! The key hashes the exact text, so it is the same on every build and platform. A file that
//! is missing, truncated, corrupt, of another format version or made by another encoder is
//! ignored and rebuilt; a cache that cannot be written costs time at the next start, nothing else.

use super::encoder::Encoder;
use super::error::SemanticError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HBQVECS\0";
/// The cache file's format version; a file with another one is rebuilt.
pub const FORMAT_VERSION: u32 = 1;
const KEY_LEN: usize = 16;
const HEADER_LEN: usize = 8 + 4 + 4 + 32 + 4;
const DIGEST_LEN: usize = 32;

/// A question's cache key: the first 16 bytes of the sha256 of its exact text.
type Key = [u8; KEY_LEN];

fn text_key(text: &str) -> Key {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(&digest[..KEY_LEN]);
    key
}

/// What [`QuestionVectors::load_or_build`] did, counted over distinct question texts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Vectors taken from the cache file.
    pub reused: usize,
    /// Vectors computed now (new or changed texts, or all of them without a usable cache).
    pub encoded: usize,
    /// Cached vectors of texts no longer present, left out of the rewritten file.
    pub dropped: usize,
    /// Of `reused`, the vectors taken from the model folder's copy for the bundled knowledge
    /// base ([`Encoder::seed_path`]) rather than the cache file.
    pub seeded: usize,
    /// Whether the cache file was (re)written.
    pub written: bool,
}

/// One unit-length sentence vector per stored question, in the order the texts were given.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionVectors {
    dim: usize,
    data: Vec<f32>,
}

impl QuestionVectors {
    /// The vectors of `texts`, reusing those in the cache file at `cache_path` whose text is
    /// unchanged and encoding the rest (on all cores).
    ///
    /// The file is rewritten (to a temporary file, then renamed over it) only when something
    /// changed: a text was encoded, or a cached one is no longer present. Cache problems never
    /// fail this: an unusable file is ignored with a warning and rebuilt, an unwritable place is
    /// a warning. Texts the cache lacks are taken from the model folder's vectors of the bundled
    /// knowledge base ([`Encoder::seed_path`]) when it has them, and encoded otherwise. `None`
    /// uses only those and writes nothing. Only encoding itself can fail.
    pub fn load_or_build(
        encoder: &Encoder,
        cache_path: Option<&Path>,
        texts: &[&str],
    ) -> Result<(QuestionVectors, CacheStats), SemanticError> {
        let dim = encoder.dim();
        let fingerprint = encoder.fingerprint();
        let mut cached = match cache_path {
            Some(path) => read_cache(path, dim, &fingerprint),
            None => HashMap::new(),
        };

        // Each distinct text once, in order of first appearance; `slot[i]` is text i's.
        let mut slot_of: HashMap<Key, usize> = HashMap::new();
        let mut keys: Vec<Key> = Vec::new();
        let slot: Vec<usize> = texts
            .iter()
            .map(|text| {
                let key = text_key(text);
                *slot_of.entry(key).or_insert_with(|| {
                    keys.push(key);
                    keys.len() - 1
                })
            })
            .collect();
        let mut stats = CacheStats {
            dropped: cached.keys().filter(|k| !slot_of.contains_key(*k)).count(),
            ..CacheStats::default()
        };
        let mut vectors: Vec<Vec<f32>> = keys
            .iter()
            .map(|key| cached.remove(key).unwrap_or_default())
            .collect();
        let mut missing: Vec<usize> = (0..keys.len()).filter(|&s| vectors[s].is_empty()).collect();
        let seed = encoder.seed_path();
        if !missing.is_empty() && cache_path != Some(seed) {
            let mut seeded = read_seed(seed, dim, &fingerprint);
            missing.retain(|&s| match seeded.remove(&keys[s]) {
                Some(vector) => {
                    vectors[s] = vector;
                    stats.seeded += 1;
                    false
                }
                None => true,
            });
        }
        stats.reused = keys.len() - missing.len();
        stats.encoded = missing.len();
        let mut missing_texts: Vec<&str> = vec![""; missing.len()];
        for (i, &s) in slot.iter().enumerate() {
            if let Ok(m) = missing.binary_search(&s) {
                missing_texts[m] = texts[i];
            }
        }
        let fresh = encoder.embed_all(&missing_texts)?;
        for (&s, vector) in missing.iter().zip(fresh) {
            vectors[s] = vector;
        }

        if let Some(path) = cache_path {
            if stats.encoded > 0 || stats.dropped > 0 || stats.seeded > 0 {
                let bytes = encode_file(dim, &fingerprint, &keys, &vectors);
                match write_atomically(path, &bytes) {
                    Ok(()) => stats.written = true,
                    Err(e) => tracing::warn!(
                        "cannot write the question vector cache {}: {e}; it will be rebuilt next start",
                        path.display()
                    ),
                }
            }
        }
        let data = slot
            .iter()
            .flat_map(|&s| vectors[s].iter().copied())
            .collect();
        Ok((QuestionVectors { dim, data }, stats))
    }

    /// How many questions there are.
    pub fn len(&self) -> usize {
        self.data.len() / self.dim.max(1)
    }

    /// Whether there are no questions.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The length of each vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The vector of question `i` (in the order given to
    /// [`load_or_build`](QuestionVectors::load_or_build)), if there is one.
    pub fn get(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * self.dim..(i + 1) * self.dim)
    }

    /// Every vector, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(self.dim.max(1))
    }
}

/// The model folder's vectors of the bundled knowledge base, or none: a missing file is normal
/// (a model folder without one), an unusable one is a debug note (the vectors are encoded).
fn read_seed(path: &Path, dim: usize, fingerprint: &[u8; 32]) -> HashMap<Key, Vec<f32>> {
    let Ok(bytes) = std::fs::read(path) else {
        return HashMap::new();
    };
    decode_file(&bytes, dim, fingerprint).unwrap_or_else(|problem| {
        tracing::debug!("not using {}: {problem}", path.display());
        HashMap::new()
    })
}

/// The cached vectors in `path`, or none (with one warning) if the file is unusable.
fn read_cache(path: &Path, dim: usize, fingerprint: &[u8; 32]) -> HashMap<Key, Vec<f32>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!(
                "no question vector cache at {} yet; building it",
                path.display()
            );
            return HashMap::new();
        }
        Err(e) => {
            tracing::warn!(
                "cannot read the question vector cache {}: {e}; rebuilding it",
                path.display()
            );
            return HashMap::new();
        }
    };
    match decode_file(&bytes, dim, fingerprint) {
        Ok(entries) => entries,
        Err(problem) => {
            tracing::warn!(
                "ignoring the question vector cache {}: {problem}; rebuilding it",
                path.display()
            );
            HashMap::new()
        }
    }
}

fn encode_file(dim: usize, fingerprint: &[u8; 32], keys: &[Key], vectors: &[Vec<f32>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + keys.len() * (KEY_LEN + 4 * dim) + DIGEST_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(dim as u32).to_le_bytes());
    out.extend_from_slice(fingerprint);
    out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
    for (key, vector) in keys.iter().zip(vectors) {
        out.extend_from_slice(key);
        for v in vector {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// The entries of a cache file, or what is wrong with it.
fn decode_file(
    bytes: &[u8],
    dim: usize,
    fingerprint: &[u8; 32],
) -> Result<HashMap<Key, Vec<f32>>, String> {
    if bytes.len() < HEADER_LEN + DIGEST_LEN || &bytes[..8] != MAGIC {
        return Err("not a question vector cache".to_string());
    }
    let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
    let u32_at = |at: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&body[at..at + 4]);
        u32::from_le_bytes(word) as usize
    };
    let version = u32_at(8);
    if version != FORMAT_VERSION as usize {
        return Err(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        ));
    }
    if Sha256::digest(body).as_slice() != digest {
        return Err("checksum mismatch (truncated or corrupt)".to_string());
    }
    if u32_at(12) != dim || &body[16..48] != fingerprint {
        return Err("made by another model or encoder version".to_string());
    }
    let count = u32_at(48);
    let entry_len = KEY_LEN + 4 * dim;
    let entries = &body[HEADER_LEN..];
    if entries.len() != count.saturating_mul(entry_len) {
        return Err(format!(
            "{count} entries announced, {} bytes of them",
            entries.len()
        ));
    }
    let mut out = HashMap::with_capacity(count);
    for entry in entries.chunks_exact(entry_len) {
        let (key, floats) = entry.split_at(KEY_LEN);
        let mut k = [0u8; KEY_LEN];
        k.copy_from_slice(key);
        let vector = floats
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.insert(k, vector);
    }
    Ok(out)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a reader
/// never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_path(path);
    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<Key>, Vec<Vec<f32>>) {
        let keys = vec![text_key("a"), text_key("b")];
        let vectors = vec![vec![0.0, 0.5, -1.0], vec![1.0, 0.5, -1.0]];
        (keys, vectors)
    }

    #[test]
    fn a_written_file_reads_back_identically() {
        let (keys, vectors) = sample();
        let bytes = encode_file(3, &[7; 32], &keys, &vectors);
        assert_eq!(bytes.len(), HEADER_LEN + 2 * (KEY_LEN + 12) + DIGEST_LEN);
        let expected: HashMap<Key, Vec<f32>> = keys.into_iter().zip(vectors).collect();
        assert_eq!(decode_file(&bytes, 3, &[7; 32]), Ok(expected));
    }

    #[test]
    fn every_kind_of_damage_is_refused() {
        let (keys, vectors) = sample();
        let bytes = encode_file(3, &[7; 32], &keys, &vectors);
        for cut in [0, 10, HEADER_LEN, bytes.len() - 1] {
            assert!(
                decode_file(&bytes[..cut], 3, &[7; 32]).is_err(),
                "cut at {cut}"
            );
        }
        for at in [0, 9, 20, HEADER_LEN + 20, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert!(decode_file(&flipped, 3, &[7; 32]).is_err(), "flip at {at}");
        }
        assert!(decode_file(&bytes, 3, &[8; 32]).is_err(), "other encoder");
        assert!(decode_file(&bytes, 4, &[7; 32]).is_err(), "other dim");
    }

    #[test]
    fn text_keys_are_stable_and_exact() {
        // sha256("how do i hinge")[..16], fixed so a change of hashing is noticed.
        assert_eq!(
            hex(&text_key("how do i hinge")),
            "cfb59625f9feb27ef9be75e890f3921a"
        );
        assert_ne!(text_key("how do i hinge"), text_key("how do i hinge "));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
