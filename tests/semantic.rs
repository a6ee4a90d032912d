//! The sentence encoder: agreement with reference vectors, meaning-based similarity, refusal of
//! missing or altered model files, and the question vector cache.

use hingebot::matcher::semantic::{
    similarity, CacheStats, Encoder, QuestionVectors, Semantic, SemanticError, MAX_TOKENS,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2")
}

/// The shipped model, loaded once for the whole test binary.
fn encoder() -> Arc<Encoder> {
    static ENCODER: OnceLock<Arc<Encoder>> = OnceLock::new();
    ENCODER
        .get_or_init(|| Arc::new(Encoder::load(&model_dir()).expect("the shipped model loads")))
        .clone()
}

#[derive(Deserialize)]
struct Reference {
    cases: Vec<ReferenceCase>,
}

#[derive(Deserialize)]
struct ReferenceCase {
    text: String,
    tokens: usize,
    vector: Vec<f32>,
}

/// Vectors from an independent float64 forward pass over the original float32 weights
/// (scripts/semantic-reference.py), which reproduces sentence-transformers' published output.
fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/semantic-reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn vectors_match_the_reference_forward_pass() {
    let encoder = encoder();
    let cases = reference().cases;
    assert!(
        cases.iter().any(|c| c.tokens == MAX_TOKENS),
        "the reference covers a text cut at the token limit"
    );
    for case in cases {
        assert_eq!(
            encoder.token_count(&case.text).unwrap(),
            case.tokens,
            "{}",
            case.text
        );
        let vector = encoder.embed(&case.text).unwrap();
        assert_eq!(vector.len(), case.vector.len());
        assert!((norm(&vector) - 1.0).abs() < 1e-5, "not unit length");
        let cosine = similarity(&vector, &case.vector) / norm(&case.vector);
        assert!(cosine >= 0.999, "cosine {cosine} for {:?}", case.text);
    }
}

#[test]
fn batched_vectors_are_the_single_ones() {
    let encoder = encoder();
    let cases = reference().cases;
    let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    let batched = encoder.embed_all(&texts).unwrap();
    assert_eq!(batched.len(), texts.len());
    for (text, vector) in texts.iter().zip(&batched) {
        assert_eq!(&encoder.embed(text).unwrap(), vector, "{text:?}");
    }
}

#[test]
fn paraphrases_score_higher_than_unrelated_sentences() {
    let encoder = encoder();
    let embed = |t: &str| encoder.embed(t).unwrap();
    let groups = [
        (
            "how do I lift a heavy box without hurting my back",
            "what's the safe way to pick up heavy boxes",
        ),
        (
            "my lower back hurts after bending over all day",
            "bending down all shift gives me low back pain",
        ),
        (
            "what does hip hinge mean",
            "can someone explain the hip hinge movement",
        ),
    ];
    let unrelated = [
        "what time does the canteen open",
        "my laptop keeps restarting after the update",
        "who won the football last night",
    ];
    for (a, b) in groups {
        let close = similarity(&embed(a), &embed(b));
        for other in unrelated {
            let far = similarity(&embed(a), &embed(other));
            assert!(
                close > far + 0.3,
                "{a:?} ~ {b:?} = {close}, but ~ {other:?} = {far}"
            );
        }
    }
}

#[test]
fn long_texts_are_cut_at_the_token_limit() {
    let encoder = encoder();
    let long = "my back hurts when I lift boxes at work ".repeat(40);
    assert_eq!(encoder.token_count(&long).unwrap(), MAX_TOKENS);
    let vector = encoder.embed(&long).unwrap();
    assert!((norm(&vector) - 1.0).abs() < 1e-5);
    assert_eq!(encoder.token_count("").unwrap(), 2, "[CLS] [SEP]");
    assert!(encoder.embed("").unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn the_model_checksum_is_the_one_in_sha256sums() {
    let sums = std::fs::read_to_string(model_dir().join("SHA256SUMS")).unwrap();
    let listed = sums
        .lines()
        .find(|l| l.ends_with(" model.safetensors"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    assert_eq!(encoder().model_checksum(), listed);
}

// --- refusing missing or altered models ---------------------------------------------------

/// A copy of the shipped model folder that a test may damage.
fn model_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(model_dir()).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
    }
    dir
}

fn rewrite_sums(dir: &Path) {
    let sums: String = ["config.json", "model.safetensors", "tokenizer.json"]
        .iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            format!(
                "{}  {name}\n",
                hingebot::matcher::semantic::sha256_hex(&bytes)
            )
        })
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

#[test]
fn a_corrupted_weight_file_is_refused_with_both_checksums() {
    let dir = model_copy();
    let path = dir.path().join("model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let err = Encoder::load(dir.path()).unwrap_err();
    match &err {
        SemanticError::ChecksumMismatch {
            path: at,
            expected,
            actual,
        } => {
            assert_eq!(at, &path);
            assert_eq!(expected, encoder().model_checksum());
            assert_eq!(actual, &hingebot::matcher::semantic::sha256_hex(&bytes));
        }
        other => panic!("expected a checksum mismatch, got {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("model.safetensors") && message.contains(encoder().model_checksum()));
}

#[test]
fn a_replaced_tokenizer_is_refused() {
    let dir = model_copy();
    std::fs::write(dir.path().join("tokenizer.json"), "{}").unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, SemanticError::ChecksumMismatch { path, .. } if path.ends_with("tokenizer.json")),
        "{err}"
    );
}

#[test]
fn a_missing_folder_or_file_is_named() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/no-such-model");
    let err = Encoder::load(&missing).unwrap_err();
    assert!(
        matches!(&err, SemanticError::MissingDir { dir } if dir == &missing),
        "{err}"
    );

    let dir = model_copy();
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, SemanticError::Missing { path } if path.ends_with("tokenizer.json")),
        "{err}"
    );

    std::fs::remove_file(dir.path().join("SHA256SUMS")).unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, SemanticError::Missing { path } if path.ends_with("SHA256SUMS")),
        "{err}"
    );
}

/// A minimal safetensors file holding one f16 tensor of the given shape.
fn safetensors_with(name: &str, shape: &[usize]) -> Vec<u8> {
    let count: usize = shape.iter().product();
    let header = format!(
        r#"{{"{name}":{{"dtype":"F16","shape":{shape:?},"data_offsets":[0,{}]}}}}"#,
        count * 2
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + count * 2, 0);
    bytes
}

#[test]
fn weights_of_the_wrong_shape_or_missing_are_named() {
    let dir = model_copy();
    let path = dir.path().join("model.safetensors");
    std::fs::write(
        &path,
        safetensors_with("embeddings.word_embeddings.weight", &[30522, 8]),
    )
    .unwrap();
    rewrite_sums(dir.path());
    let err = Encoder::load(dir.path()).unwrap_err();
    match &err {
        SemanticError::BadTensor {
            tensor, problem, ..
        } => {
            assert_eq!(tensor, "embeddings.word_embeddings.weight");
            assert!(problem.contains("[30522, 8]"), "{problem}");
        }
        other => panic!("expected a bad tensor, got {other}"),
    }

    std::fs::write(&path, safetensors_with("something.else", &[2])).unwrap();
    rewrite_sums(dir.path());
    let err = Encoder::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, SemanticError::BadTensor { tensor, .. } if tensor == "embeddings.word_embeddings.weight"),
        "{err}"
    );
}

#[test]
fn the_fallback_pattern_turns_a_bad_model_into_none() {
    let dir = tempfile::tempdir().unwrap();
    let kb =
        hingebot::KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
            .unwrap();
    let semantic = match Semantic::load(dir.path(), &kb, None) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(e.to_string().contains("SHA256SUMS"), "{e}");
            None
        }
    };
    assert!(semantic.is_none());
}

// --- the question vector cache --------------------------------------------------------------

const QUESTIONS: [&str; 5] = [
    "how do I hinge at the hips",
    "is it ok to round my back when lifting",
    "what weight can I lift at work",
    "how do I hinge at the hips",
    "my hamstrings feel tight when I hinge",
];

fn build(cache: &Path, texts: &[&str]) -> (QuestionVectors, CacheStats) {
    QuestionVectors::load_or_build(&encoder(), Some(cache), texts).unwrap()
}

#[test]
fn an_unchanged_cache_is_reused_without_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("questions.vec");
    let (cold, stats) = build(&cache, &QUESTIONS);
    assert_eq!((stats.reused, stats.encoded, stats.written), (0, 4, true));
    assert_eq!(cold.len(), 5);
    assert_eq!(cold.get(0), cold.get(3), "the same text, the same vector");

    let modified = std::fs::metadata(&cache).unwrap().modified().unwrap();
    let (warm, stats) = build(&cache, &QUESTIONS);
    assert_eq!(
        (stats.reused, stats.encoded, stats.dropped, stats.written),
        (4, 0, 0, false)
    );
    assert_eq!(
        warm, cold,
        "cached vectors are bit for bit the computed ones"
    );
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn an_edited_question_is_the_only_one_encoded_and_removed_ones_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("questions.vec");
    build(&cache, &QUESTIONS);

    let mut edited = QUESTIONS.to_vec();
    edited[2] = "what weight can I lift at work safely";
    let (vectors, stats) = build(&cache, &edited);
    assert_eq!((stats.reused, stats.encoded, stats.dropped), (3, 1, 1));
    assert!(stats.written);
    assert_eq!(vectors.get(2).unwrap(), encoder().embed(edited[2]).unwrap());

    let (_, stats) = build(&cache, &edited[..2]);
    assert_eq!((stats.reused, stats.encoded, stats.dropped), (2, 0, 2));
    let (_, stats) = build(&cache, &edited[..2]);
    assert_eq!((stats.reused, stats.encoded, stats.written), (2, 0, false));
}

#[test]
fn another_model_re_encodes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("questions.vec");
    build(&cache, &QUESTIONS);

    // Same weights, different file (a metadata string changed): a different model checksum.
    let other = model_copy();
    let path = other.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"f32 to f16")
        .expect("conversion note in the header");
    let mut changed = bytes.clone();
    changed[at..at + 10].copy_from_slice(b"F32 to F16");
    std::fs::write(&path, changed).unwrap();
    rewrite_sums(other.path());
    let other = Encoder::load(other.path()).unwrap();
    assert_ne!(other.model_checksum(), encoder().model_checksum());

    let (_, stats) = QuestionVectors::load_or_build(&other, Some(&cache), &QUESTIONS).unwrap();
    assert_eq!((stats.reused, stats.encoded, stats.written), (0, 4, true));
}

#[test]
fn a_corrupt_or_truncated_cache_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("questions.vec");
    let (cold, _) = build(&cache, &QUESTIONS);
    let good = std::fs::read(&cache).unwrap();

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    for damaged in [
        flipped,
        good[..good.len() - 7].to_vec(),
        b"garbage".to_vec(),
    ] {
        std::fs::write(&cache, damaged).unwrap();
        let (vectors, stats) = build(&cache, &QUESTIONS);
        assert_eq!((stats.reused, stats.encoded, stats.written), (0, 4, true));
        assert_eq!(vectors, cold);
        assert_eq!(std::fs::read(&cache).unwrap(), good, "rebuilt identically");
    }
}

#[test]
fn an_unwritable_cache_location_only_costs_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let cache = not_a_dir.join("questions.vec");
    let (vectors, stats) = build(&cache, &QUESTIONS[..2]);
    assert_eq!((stats.encoded, stats.written), (2, false));
    assert_eq!(vectors.len(), 2);
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file left behind");
}

// --- the facade -----------------------------------------------------------------------------

#[test]
fn best_per_entry_takes_each_entrys_closest_question() {
    let questions = [
        (0, "how do I hinge at the hips"),
        (0, "what is a hip hinge"),
        (2, "what weight can I lift at work"),
        (2, "is there a legal limit for lifting"),
    ];
    let semantic = Semantic::new(encoder(), 3, &questions, None).unwrap();
    assert_eq!(semantic.question_entry(), &[0, 0, 2, 2]);

    let query = semantic
        .embed("how heavy a load am I allowed to lift at my job")
        .unwrap();
    let best = semantic.best_per_entry(&query);
    assert_eq!(best.len(), 3);
    assert!(best[2] > best[0] + 0.2, "{best:?}");
    assert_eq!(best[1], -1.0, "an entry without questions");
    let expected = questions[2..]
        .iter()
        .map(|(_, q)| similarity(&query, &encoder().embed(q).unwrap()))
        .fold(f32::MIN, f32::max);
    assert!((best[2] - expected).abs() < 1e-4);

    let stored = semantic.embed("what is a hip hinge").unwrap();
    assert!((semantic.best_per_entry(&stored)[0] - 1.0).abs() < 1e-4);
}
