//! Calibrates the hybrid matcher's thresholds: ranks every question of the given sets once (with
//! the sentence encoder, as the assistant does), then sweeps answer and suggest thresholds.
//!
//! Tune on tune sets only: the holdout (`tests/data/real-holdout.jsonl`) is for reporting.
//! Off-topic chatter (`tests/data/offtopic.jsonl`) is always added.
//!
//! `cargo run --release --example calibrate -- tests/data/real-tune.jsonl tests/data/dev.jsonl [--misses]`

use hingebot::config::MatcherSettings;
use hingebot::eval::{is_right, parse_cases, CaseKind};
use hingebot::matcher::semantic::{default_model_dir, Encoder};
use hingebot::matcher::{decide, normalize, Match, Scoring, Thresholds};
use hingebot::safety::{Verdict, RED_FLAGS_ID};
use hingebot::{Assistant, KnowledgeBase, Reply, ReplyKind};
use std::sync::Arc;

/// One question, ranked once, with what counts as right.
struct Ranked {
    question: String,
    kind: CaseKind,
    expected: Vec<String>,
    found: Match,
    /// The rules or the semantic net raised a warning.
    warned: bool,
    /// The rules noticed only a soft sign (a strain).
    cautioned: bool,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let kb = Arc::new(KnowledgeBase::bundled()?);
    let defaults = MatcherSettings::default();
    let mut assistant = Assistant::new(Arc::clone(&kb), defaults.clone());
    assistant.add_encoder(Arc::new(Encoder::load(&default_model_dir())?), None)?;
    let matcher = assistant.matcher();

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
            .map(|c| {
                let verdict = assistant.triage().verdict(&c.q);
                let view = matcher.semantic_view(&c.q);
                let net = view.as_ref().and_then(|v| assistant.net_warning(v));
                let found = matcher.find_with(
                    &c.q,
                    &normalize(&c.q),
                    view.as_ref(),
                    &defaults,
                    Scoring::Hybrid,
                );
                Ranked {
                    warned: matches!(verdict, Verdict::Warning(_)) || net.is_some(),
                    cautioned: matches!(verdict, Verdict::Caution(_)),
                    found,
                    question: c.q,
                    kind: c.kind,
                    expected: c.ids,
                }
            })
            .collect();
        sets.push((file.to_string(), ranked));
    }

    let red_flag = Reply {
        kind: ReplyKind::RedFlag,
        entry: Some(RED_FLAGS_ID.to_string()),
        score: 1.0,
        suggestions: Vec::new(),
        followups: Vec::new(),
        warning: None,
        caution: None,
    };
    let cautioned = kb
        .entry(assistant.triage().caution_entry())
        .map(Reply::picked);
    let score = |set: &[Ranked], t: &Thresholds, misses: bool| -> (f64, f64, f64) {
        let (mut pos, mut pos_ok, mut neg, mut neg_ok, mut red, mut red_ok) = (0, 0, 0, 0, 0, 0);
        for r in set {
            let reply = if r.warned {
                red_flag.clone()
            } else {
                let reply = assistant.reply_for(&Match {
                    decision: decide(&r.found.ranked, t, defaults.max_suggestions),
                    ..r.found.clone()
                });
                match &cautioned {
                    Some(entry) if r.cautioned && reply.kind != ReplyKind::Answer => entry.clone(),
                    _ => reply,
                }
            };
            let ok = is_right(r.kind, &r.expected, &reply);
            let (n, n_ok) = match r.kind {
                CaseKind::Positive => (&mut pos, &mut pos_ok),
                CaseKind::Negative => (&mut neg, &mut neg_ok),
                CaseKind::Redflag => (&mut red, &mut red_ok),
            };
            *n += 1;
            *n_ok += usize::from(ok);
            if !ok && misses {
                let top = r
                    .found
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
            ratio(pos_ok + neg_ok + red_ok, pos + neg + red),
        )
    };

    let configured = Thresholds::configured(&defaults);
    println!("with the configured thresholds ({configured:?}):");
    for (name, set) in &sets {
        let (p, n, o) = score(set, &configured, show_misses);
        println!(
            "{name:>36}: positives {:.1}%  abstention {:.1}%  overall {:.1}%",
            p * 100.0,
            n * 100.0,
            o * 100.0
        );
    }

    println!(
        "\nby suggest threshold (answer {:.2}, margin {:.2}): overall per set, then the mean",
        configured.answer, configured.margin
    );
    for suggest in (18..=40).map(|x| x as f32 / 100.0) {
        let t = Thresholds {
            suggest,
            answer: configured.answer.max(suggest),
            ..configured
        };
        let figures: Vec<(f64, f64, f64)> =
            sets.iter().map(|(_, set)| score(set, &t, false)).collect();
        let mean: f64 = figures.iter().map(|f| f.2).sum::<f64>() / figures.len() as f64;
        let f: Vec<String> = figures
            .iter()
            .map(|f| format!("{:.1}/{:.1}", f.0 * 100.0, f.1 * 100.0))
            .collect();
        println!(
            "  suggest {suggest:.2}: mean {:.1}% [pos/abst per set: {}]",
            mean * 100.0,
            f.join(", ")
        );
    }

    println!("\nby answer threshold (margin {:.2}): how often questions in scope are answered outright, and how often that answer is right", configured.margin);
    for answer in (30..=70).step_by(2).map(|x| x as f32 / 100.0) {
        let (mut asked, mut answered, mut right, mut wrongly) = (0, 0, 0, 0);
        for r in sets.iter().flat_map(|(_, set)| set).filter(|r| !r.warned) {
            let t = Thresholds {
                answer,
                ..configured
            };
            let decision = decide(&r.found.ranked, &t, defaults.max_suggestions);
            let reply = assistant.reply_for(&Match {
                decision,
                ..r.found.clone()
            });
            if r.kind == CaseKind::Positive {
                asked += 1;
            }
            if reply.kind == ReplyKind::Answer {
                answered += usize::from(r.kind == CaseKind::Positive);
                if is_right(r.kind, &r.expected, &reply) {
                    right += 1;
                } else {
                    wrongly += 1;
                }
            }
        }
        println!(
            "  answer {answer:.2}: {:.1}% of in-scope questions answered outright; {:.1}% of outright answers right",
            100.0 * answered as f64 / asked.max(1) as f64,
            100.0 * right as f64 / (right + wrongly).max(1) as f64
        );
    }
    Ok(())
}
