//! Matcher speed: per-query latency on the bundled knowledge base and on a synthetic 10,000-entry one,
//! and the time to load and index the bundled knowledge base.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hingebot::config::MatcherSettings;
use hingebot::knowledge::{Category, Entry, KnowledgeBase};
use hingebot::Assistant;
use std::path::Path;
use std::sync::Arc;

const QUESTIONS: &[&str] = &[
    "how do i hip hindge properly",
    "my knees keep shooting forward when i try to hinge",
    "how should I pick up heavy boxes in the warehouse",
    "why cant i hinge at the hips",
    "what's for lunch today",
    "my leg goes numb and tingly when I bend over",
    "hey all, quick one - I work in a distribution centre and we're constantly moving cartons from pallets onto the conveyor, some of them are like 20kg. The induction video just said bend your knees. Is there a better technique?",
    "is it normal to be this sore two days after deadlifts",
];

fn knowledge_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

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
    KnowledgeBase::from_parts(entries, Vec::new(), bundled.synonyms().to_vec())
}

fn bench(c: &mut Criterion) {
    let kb = match KnowledgeBase::load(&knowledge_dir()) {
        Ok(kb) => Arc::new(kb),
        Err(e) => panic!("bundled knowledge base: {e}"),
    };
    let assistant = Assistant::new(Arc::clone(&kb), MatcherSettings::default());
    c.bench_function("reply/bundled_kb", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(assistant.reply(black_box(QUESTIONS[i])))
        })
    });

    let big = Assistant::new(
        Arc::new(synthetic_kb(&kb, 10_000)),
        MatcherSettings::default(),
    );
    c.bench_function("reply/synthetic_10k_entries", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUESTIONS.len();
            black_box(big.reply(black_box(QUESTIONS[i])))
        })
    });

    c.bench_function("load_and_index/bundled_kb", |b| {
        b.iter(|| {
            let kb = KnowledgeBase::load(&knowledge_dir()).map(Arc::new);
            black_box(
                kb.map(|kb| Assistant::new(kb, MatcherSettings::default()))
                    .is_ok(),
            )
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
