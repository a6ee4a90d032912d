//! Calibrates the matcher's thresholds: ranks every question once, then sweeps the decision settings.
//!
//! Question sets: a labelled JSONL file (the development set), off-topic chatter
//! (`tests/data/offtopic.jsonl`), and a leave-one-out run over the knowledge base's own questions —
//! each asked against an index built without it, which measures generalisation to new wordings.
//!
//! `cargo run --release --example calibrate -- tests/data/dev.jsonl [--misses]`

use hingebot::config::MatcherSettings;
use hingebot::eval::{is_right, parse_cases, CaseKind};
use hingebot::knowledge::Category;
use hingebot::matcher::{decide, Match};
use hingebot::safety::{Verdict, RED_FLAGS_ID};
use hingebot::{Assistant, KnowledgeBase, Reply, ReplyKind};
use std::sync::Arc;

/// One question with its ranked entries (ids, best first) and what counts as right.
struct Ranked {
    question: String,
    kind: CaseKind,
    expected: Vec<String>,
    ranked: Vec<(usize, f32)>,
    verdict: Verdict,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let kb = Arc::new(KnowledgeBase::load(std::path::Path::new("knowledge"))?);
    let defaults = MatcherSettings::default();
    let assistant = Assistant::new(Arc::clone(&kb), defaults.clone());
    let rank = |a: &Assistant, q: &str| a.matcher().find(q, &defaults).ranked;

    let mut sets: Vec<(String, Vec<Ranked>)> = Vec::new();
    for file in args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .chain(["tests/data/offtopic.jsonl"])
    {
        let cases = parse_cases(&std::fs::read_to_string(file)?)?;
        let ranked = cases
            .into_iter()
            .map(|c| Ranked {
                ranked: rank(&assistant, &c.q),
                verdict: assistant.triage().verdict(&c.q),
                question: c.q,
                kind: c.kind,
                expected: c.ids,
            })
            .collect();
        sets.push((file.to_string(), ranked));
    }
    let mut loo = Vec::new();
    for (e_idx, entry) in kb.entries().iter().enumerate() {
        if entry.id == RED_FLAGS_ID {
            continue;
        }
        for (q_idx, question) in entry.questions.iter().enumerate() {
            let mut entries = kb.entries().to_vec();
            entries[e_idx].questions.remove(q_idx);
            let held_out = Arc::new(
                KnowledgeBase::from_parts(
                    entries,
                    Vec::new(),
                    kb.synonyms().to_vec(),
                    kb.warning_signs().clone(),
                )
                .with_context_words(kb.context_words().to_vec()),
            );
            let a = Assistant::new(held_out, defaults.clone());
            loo.push(Ranked {
                ranked: rank(&a, question),
                verdict: assistant.triage().verdict(question),
                question: question.clone(),
                kind: CaseKind::Positive,
                expected: vec![entry.id.clone()],
            });
        }
    }
    sets.push(("leave-one-out".to_string(), loo));

    // What a triaged message gets, whatever the thresholds.
    let red_flag = Reply {
        kind: ReplyKind::RedFlag,
        entry: Some(RED_FLAGS_ID.to_string()),
        score: 1.0,
        suggestions: Vec::new(),
        followups: Vec::new(),
        warning: None,
        caution: None,
    };
    // What a cautioned message gets when the matcher is not confident.
    let cautioned = kb
        .entry(assistant.triage().caution_entry())
        .map(Reply::picked);
    let score = |set: &[Ranked], s: &MatcherSettings, misses: bool| -> (f64, f64, f64) {
        let (mut pos, mut pos_ok, mut neg, mut neg_ok) = (0, 0, 0, 0);
        for r in set {
            let redflag = matches!(r.verdict, Verdict::Warning(_));
            let reply = if redflag {
                red_flag.clone()
            } else {
                let reply = assistant.reply_for(&Match {
                    decision: decide(&r.ranked, s),
                    ranked: r.ranked.clone(),
                    terms: Vec::new(),
                });
                match (&r.verdict, &cautioned) {
                    (Verdict::Caution(_), Some(entry)) if reply.kind != ReplyKind::Answer => {
                        entry.clone()
                    }
                    _ => reply,
                }
            };
            // In leave-one-out, a safety entry's question that triage catches is handled right too.
            let ok = is_right(r.kind, &r.expected, &reply)
                || (r.kind == CaseKind::Positive
                    && redflag
                    && r.expected
                        .iter()
                        .any(|e| kb.entry(e).is_some_and(|x| x.category == Category::Safety)));
            match r.kind {
                CaseKind::Positive => {
                    pos += 1;
                    pos_ok += usize::from(ok);
                }
                CaseKind::Negative => {
                    neg += 1;
                    neg_ok += usize::from(ok);
                }
                CaseKind::Redflag => {}
            }
            if !ok && misses {
                let top = r
                    .ranked
                    .first()
                    .map(|(i, s)| format!("{} {:.3}", kb.entries()[*i].id, s))
                    .unwrap_or_default();
                println!(
                    "  MISS {:?} expected {:?} got {:?} top {}",
                    r.question,
                    r.expected,
                    reply.first_entry(),
                    top
                );
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        (
            ratio(pos_ok, pos),
            ratio(neg_ok, neg),
            ratio(pos_ok + neg_ok, pos + neg),
        )
    };

    println!("with config defaults ({:?}):", defaults);
    for (name, set) in &sets {
        let (p, n, o) = score(set, &defaults, show_misses);
        println!(
            "{name:>28}: positives {:.1}%  abstention {:.1}%  overall {:.1}%",
            p * 100.0,
            n * 100.0,
            o * 100.0
        );
    }

    let mut grid = Vec::new();
    for st in (10..=45).step_by(1).map(|x| x as f32 / 100.0) {
        for at in (30..=70).step_by(5).map(|x| x as f32 / 100.0) {
            if at < st {
                continue;
            }
            let s = MatcherSettings {
                suggest_threshold: st,
                answer_threshold: at,
                ..defaults.clone()
            };
            let figures: Vec<(f64, f64, f64)> =
                sets.iter().map(|(_, set)| score(set, &s, false)).collect();
            let neg_ok = figures.iter().all(|f| f.1 >= 0.9);
            let mean: f64 = figures.iter().map(|f| f.2).sum::<f64>() / figures.len() as f64;
            grid.push((neg_ok, mean, st, at, figures));
        }
    }
    grid.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));
    println!("\nbest settings (abstention >= 90% on every set first, then mean overall):");
    for (neg_ok, mean, st, at, figures) in grid.iter().take(8) {
        let f: Vec<String> = figures
            .iter()
            .map(|f| format!("{:.1}/{:.1}", f.0 * 100.0, f.1 * 100.0))
            .collect();
        println!(
            "  suggest {st:.2} answer {at:.2}: mean {:.1}% abst-ok {neg_ok} [pos/abst per set: {}]",
            mean * 100.0,
            f.join(", ")
        );
    }
    Ok(())
}
