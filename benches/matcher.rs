//! Reply speed as users get it: the hybrid assistant (lexical score fused with the sentence
//! encoder's, built as `setup::load_assistant` builds it with the default config) and the lexical
//! one (`matcher.semantic = false`), on a mix of questions, one by one and together; the median and
//! p99 of one reply to every question of the real-question sets (printed); the lexical matcher on a
//! synthetic 10,000-entry knowledge base; and start-up (knowledge base, matcher, and for the hybrid
//! the model and the stored questions' vectors from a warm cache).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use hingebot::assistant::SemanticStatus;
use hingebot::config::{Config, MatcherSettings};
use hingebot::knowledge::{Category, Entry, KnowledgeBase};
use hingebot::Assistant;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The question mix, each with a short name for its own benchmark.
const QUESTIONS: &[(&str, &str)] = &[
    ("typo", "how do i hip hindge properly"),
    ("fault", "my knees keep shooting forward when i try to hinge"),
    ("workplace", "how should I pick up heavy boxes in the warehouse"),
    ("why", "why cant i hinge at the hips"),
    ("off_topic", "what's for lunch today"),
    ("red_flag", "my leg goes numb and tingly when I bend over"),
    ("long_post", "hey all, quick one - I work in a distribution centre and we're constantly moving cartons from pallets onto the conveyor, some of them are like 20kg. The induction video just said bend your knees. Is there a better technique?"),
    ("soreness", "is it normal to be this sore two days after deadlifts"),
];

/// A deterministic pseudo-random word source (splitmix64), so every run builds the same KB.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn sentence(&mut self, vocab: &[String], len: usize) -> String {
        (0..len)
            .map(|_| vocab[(self.next() % vocab.len() as u64) as usize].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// 10,000 entries built from the bundled KB's own vocabulary plus synthetic words, 8 questions each.
fn synthetic_kb(bundled: &KnowledgeBase, n: usize) -> KnowledgeBase {
    let mut vocab: Vec<String> = bundled
        .entries()
        .iter()
        .flat_map(|e| e.questions.iter().chain(&e.keywords))
        .flat_map(|q| q.split_whitespace().map(str::to_lowercase))
        .collect();
    vocab.extend((0..20_000).map(|i| format!("term{i}")));
    vocab.sort();
    vocab.dedup();
    let mut words = Words(42);
    let entries = (0..n)
        .map(|i| Entry {
            id: format!("synthetic-{i}"),
            title: words.sentence(&vocab, 4),
            category: Category::ALL[i % Category::ALL.len()],
            questions: (0..8).map(|_| words.sentence(&vocab, 9)).collect(),
            keywords: (0..4).map(|_| words.sentence(&vocab, 2)).collect(),
            answer: "synthetic".to_string(),
            summary: "synthetic".to_string(),
            related: Vec::new(),
            sources: Vec::new(),
        })
        .collect();
    KnowledgeBase::from_parts(
        entries,
        Vec::new(),
        bundled.synonyms().to_vec(),
        bundled.warning_signs().clone(),
    )
    .with_context_words(bundled.context_words().to_vec())
}

/// The config `setup::load_assistant` reads: the default one (bundled knowledge base, the model
/// from `models/`), with the vector cache at `cache`.
fn config(cache: &Path, semantic: bool) -> Config {
    Config {
        matcher: MatcherSettings {
            semantic,
            vector_cache: Some(cache.to_path_buf()),
            ..MatcherSettings::default()
        },
        ..Config::default()
    }
}

/// A warm vector cache: a copy of the vectors the model folder ships for the bundled knowledge
/// base (a copy, so a stale seed is rewritten in the temporary folder, never in `models/`).
fn warm_cache(dir: &Path) -> PathBuf {
    let seed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2/question-vectors.bin");
    let cache = dir.join("question-vectors.bin");
    std::fs::copy(&seed, &cache).expect("the model folder ships question-vectors.bin");
    // Brought up to date once (if the knowledge base changed since the seed was made): warm after.
    hybrid(&cache);
    cache
}

/// The hybrid assistant, as `hingebot ask`/`chat`/`run` build it; panics if the model is not in use.
fn hybrid(cache: &Path) -> Assistant {
    let assistant = hingebot::setup::load_assistant(&config(cache, true)).expect("assistant loads");
    if let SemanticStatus::Off(why) = assistant.semantic_status() {
        panic!("the sentence encoder is off: {why}");
    }
    assistant
}

/// Start-up: what every `hingebot` command does before its first reply. Runs before the other
/// benchmarks, whose large synthetic KB would otherwise sit in the heap and slow every allocation.
fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = warm_cache(dir.path());
    {
        let mut group = c.benchmark_group("startup");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(12));
        // Each result is dropped after its own timing (`PerIteration`), outside it, as a process
        // frees it at exit.
        group.bench_function("hybrid_warm_cache", |b| {
            b.iter_batched(|| (), |()| hybrid(&cache), BatchSize::PerIteration)
        });
        group.finish();
    }

    let kb = match KnowledgeBase::bundled() {
        Ok(kb) => Arc::new(kb),
        Err(e) => panic!("bundled knowledge base: {e}"),
    };
    c.bench_function("load_and_index/bundled_kb", |b| {
        b.iter_batched(
            || (),
            |()| {
                KnowledgeBase::bundled()
                    .map(|kb| Assistant::new(Arc::new(kb), MatcherSettings::default()))
            },
            BatchSize::PerIteration,
        )
    });
    c.bench_function("load/bundled_kb", |b| {
        b.iter_batched(
            || (),
            |()| KnowledgeBase::bundled(),
            BatchSize::PerIteration,
        )
    });
    c.bench_function("index/bundled_kb", |b| {
        b.iter_batched(
            || (),
            |()| Assistant::new(Arc::clone(&kb), MatcherSettings::default()),
            BatchSize::PerIteration,
        )
    });
}

/// `reply/{hybrid,lexical}` (the mix in turn) and `reply_each/{hybrid,lexical}/*` (one by one).
fn reply_group(c: &mut Criterion, name: &str, assistant: &Assistant, slow: bool) {
    let configure = |group: &mut criterion::BenchmarkGroup<'_, _>| {
        if slow {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(2));
        }
    };
    let mut mix = c.benchmark_group("reply");
    configure(&mut mix);
    mix.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(assistant.reply(black_box(QUESTIONS[i].1)))
        })
    });
    mix.finish();
    let mut each = c.benchmark_group(format!("reply_each/{name}"));
    configure(&mut each);
    for (question_name, question) in QUESTIONS {
        each.bench_function(*question_name, |b| {
            b.iter(|| black_box(assistant.reply(black_box(question))))
        });
    }
    each.finish();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = warm_cache(dir.path());
    let hybrid = hybrid(&cache);
    let lexical = hingebot::setup::load_assistant(&config(&cache, false)).expect("assistant loads");

    report_real_sets("hybrid", &hybrid);
    report_real_sets("lexical", &lexical);
    reply_group(c, "hybrid", &hybrid, true);
    reply_group(c, "lexical", &lexical, false);
    drop(hybrid);

    let kb = Arc::clone(lexical.kb());
    let big = Assistant::new(
        Arc::new(synthetic_kb(&kb, 10_000)),
        MatcherSettings::default(),
    );
    c.bench_function("reply/lexical_synthetic_10k_entries", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(big.reply(black_box(QUESTIONS[i].1)))
        })
    });
}

/// The real-question sets: the tune set and holdout in `tests/data/`, and the shared study set.
fn real_sets() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![
        root.join("tests/data/real-tune.jsonl"),
        root.join("tests/data/real-holdout.jsonl"),
        root.join("../shared/eval/real-1.jsonl"),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints the median and p99 of one reply to every question of the real sets, each timed alone
/// with `Instant` (the figures docs/performance.md quotes against the targets).
fn report_real_sets(name: &str, assistant: &Assistant) {
    let mut questions = Vec::new();
    let mut used = Vec::new();
    for path in real_sets() {
        let cases = match std::fs::read_to_string(&path) {
            Ok(text) => hingebot::eval::parse_cases(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            Err(_) => {
                println!(
                    "reply over the real sets: {} is missing, skipped",
                    path.display()
                );
                continue;
            }
        };
        used.push(format!(
            "{} ({})",
            path.file_name().unwrap_or_default().to_string_lossy(),
            cases.len()
        ));
        questions.extend(cases.into_iter().map(|case| case.q));
    }
    if questions.is_empty() {
        return;
    }
    // Warm up (caches, the thread pool), untimed.
    for q in questions.iter().take(20) {
        black_box(assistant.reply(q));
    }
    let mut times: Vec<Duration> = questions
        .iter()
        .map(|q| {
            let start = Instant::now();
            black_box(assistant.reply(black_box(q)));
            start.elapsed()
        })
        .collect();
    times.sort();
    let target = if name == "hybrid" {
        " (targets: median <= 10 ms, p99 <= 60 ms)"
    } else {
        ""
    };
    println!(
        "reply/{name} over the real sets, one reply each, {} questions [{}]: median {:?}, p90 {:?}, p99 {:?}, max {:?}{target}",
        times.len(),
        used.join(", "),
        percentile(&times, 50.0),
        percentile(&times, 90.0),
        percentile(&times, 99.0),
        times[times.len() - 1],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = startup, bench
}
criterion_main!(benches);
