//! Matcher speed: per-query latency on the bundled knowledge base (each question of a mix, the mix, and
//! the median over the development set) and on a synthetic 10,000-entry one,
//! and the time to load and index the bundled knowledge base.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use hingebot::config::MatcherSettings;
use hingebot::knowledge::{Category, Entry, KnowledgeBase};
use hingebot::Assistant;
use std::path::Path;
use std::sync::Arc;

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

/// Start-up: load + validate the bundled KB, and build the matcher over it. Runs before the other
/// benchmarks, whose large synthetic KB would otherwise sit in the heap and slow every allocation.
fn startup(c: &mut Criterion) {
    let kb = match KnowledgeBase::bundled() {
        Ok(kb) => Arc::new(kb),
        Err(e) => panic!("bundled knowledge base: {e}"),
    };
    // Start-up work only: each result is dropped after its own timing (`PerIteration`), outside it,
    // as a process frees it at exit, and without piling up a batch of results in memory first.
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

fn bench(c: &mut Criterion) {
    let kb = match KnowledgeBase::bundled() {
        Ok(kb) => Arc::new(kb),
        Err(e) => panic!("bundled knowledge base: {e}"),
    };
    let assistant = Assistant::new(Arc::clone(&kb), MatcherSettings::default());
    c.bench_function("reply/bundled_kb", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(assistant.reply(black_box(QUESTIONS[i].1)))
        })
    });
    report_dev_set_median(&assistant);

    // One benchmark per question: the median query time is the median of these.
    let mut each = c.benchmark_group("reply_each/bundled_kb");
    for (name, question) in QUESTIONS {
        each.bench_function(*name, |b| {
            b.iter(|| black_box(assistant.reply(black_box(question))))
        });
    }
    each.finish();

    let big = Assistant::new(
        Arc::new(synthetic_kb(&kb, 10_000)),
        MatcherSettings::default(),
    );
    c.bench_function("reply/synthetic_10k_entries", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(big.reply(black_box(QUESTIONS[i].1)))
        })
    });
}

/// Prints the median reply time over the development question set: each question timed 200 times,
/// its own median taken, then the median across questions (the figure docs/performance.md quotes).
fn report_dev_set_median(assistant: &Assistant) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dev.jsonl");
    let cases = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| hingebot::eval::parse_cases(&text).ok())
        .unwrap_or_default();
    let mut per_question: Vec<std::time::Duration> = cases
        .iter()
        .map(|case| {
            let mut times: Vec<std::time::Duration> = (0..200)
                .map(|_| {
                    let start = std::time::Instant::now();
                    black_box(assistant.reply(black_box(&case.q)));
                    start.elapsed()
                })
                .collect();
            times.sort();
            times[times.len() / 2]
        })
        .collect();
    if per_question.is_empty() {
        println!(
            "reply median over the dev set: no dev set at {}",
            path.display()
        );
        return;
    }
    per_question.sort();
    println!(
        "reply median over the dev set ({} questions): {:?} (slowest question {:?}; target <= 20 µs)",
        per_question.len(),
        per_question[per_question.len() / 2],
        per_question[per_question.len() - 1]
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = startup, bench
}
criterion_main!(benches);
