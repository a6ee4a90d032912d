//! Sentence encoder speed: one input at each length (a short question, a typical one, a long post,
//! and a post past the model's 128-token limit, which is truncated), loading the model, and the
//! stored question vectors built from scratch (cold) and from the cache file (warm).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hingebot::matcher::semantic::{Encoder, QuestionVectors};
use hingebot::KnowledgeBase;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SHORT: &str = "how do i hip hinge properly";
const MEDIUM: &str =
    "my lower back feels tight after a shift of lifting boxes, am I doing the hinge wrong?";
const LONG: &str =
    "hey all, quick one - I work in a distribution centre and we're constantly moving \
    cartons from pallets onto the conveyor, some of them are like 20kg. The induction video just \
    said bend your knees and keep your back straight, but by the end of a shift my lower back is \
    tight and my knees ache. Is there a better technique, and should I be asking my manager for a \
    lift table or something so the boxes aren't on the floor?";

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2")
}

fn stored_questions(kb: &KnowledgeBase) -> Vec<&str> {
    kb.entries()
        .iter()
        .flat_map(|e| e.questions.iter().map(String::as_str))
        .collect()
}

fn encode(c: &mut Criterion) {
    let encoder = Encoder::load(&model_dir()).expect("model loads");
    let longest = format!("{LONG} {LONG}");
    for (name, text) in [
        ("short", SHORT),
        ("medium", MEDIUM),
        ("long", LONG),
        ("truncated", longest.as_str()),
    ] {
        let tokens = encoder.token_count(text).expect("tokenises");
        c.bench_function(&format!("encode_{name}_{tokens}_tokens"), |b| {
            b.iter(|| encoder.embed(black_box(text)).expect("encodes"))
        });
    }
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("model", |b| {
        b.iter(|| Encoder::load(black_box(&model_dir())).expect("model loads"))
    });

    let encoder = Encoder::load(&model_dir()).expect("model loads");
    let kb = KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("bundled knowledge base loads");
    let texts = stored_questions(&kb);
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("questions.vec");
    let name = format!("question_vectors_cold_{}", texts.len());
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function(&name, |b| {
        b.iter(|| QuestionVectors::load_or_build(&encoder, None, black_box(&texts)))
    });
    QuestionVectors::load_or_build(&encoder, Some(&cache), &texts).expect("cache written");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    group.bench_function(format!("question_vectors_warm_{}", texts.len()), |b| {
        b.iter(|| QuestionVectors::load_or_build(&encoder, Some(&cache), black_box(&texts)))
    });
    group.finish();
}

criterion_group!(benches, encode, load);
criterion_main!(benches);
