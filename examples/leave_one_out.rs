//! Leave-one-out check of the matcher: each knowledge-base question is asked against an index built
//! without it. A curator's view of how well an entry's questions generalise to new wordings.
//!
//! `cargo run --release --example leave_one_out [-- knowledge] [--misses]`

use hingebot::config::MatcherSettings;
use hingebot::{Assistant, KnowledgeBase, ReplyKind};
use std::collections::BTreeMap;
use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("knowledge", String::as_str);
    let kb = KnowledgeBase::load(std::path::Path::new(dir))?;
    let settings = MatcherSettings::default();
    let (mut total, mut right, mut confident) = (0, 0, 0);
    let mut per_entry: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (e_idx, entry) in kb.entries().iter().enumerate() {
        for (q_idx, question) in entry.questions.iter().enumerate() {
            let mut entries = kb.entries().to_vec();
            entries[e_idx].questions.remove(q_idx);
            let held_out = KnowledgeBase::from_parts(entries, Vec::new(), kb.synonyms().to_vec());
            let assistant = Assistant::new(Arc::new(held_out), settings.clone());
            let reply = assistant.reply(question);
            total += 1;
            let slot = per_entry.entry(entry.id.clone()).or_default();
            slot.0 += 1;
            let ok = reply.first_entry() == Some(entry.id.as_str())
                || (reply.kind == ReplyKind::RedFlag && entry.category.slug() == "safety");
            if ok {
                right += 1;
                slot.1 += 1;
                if reply.kind == ReplyKind::Answer {
                    confident += 1;
                }
            } else if show_misses {
                println!(
                    "MISS {:<24} {:?} -> {:?} {:?} ({:.3})",
                    entry.id,
                    question,
                    reply.kind,
                    reply.first_entry(),
                    reply.score
                );
            }
        }
    }
    println!(
        "leave-one-out: {right}/{total} = {:.1}% right first ({confident} answered outright)",
        100.0 * right as f64 / total as f64
    );
    let mut worst: Vec<_> = per_entry
        .iter()
        .map(|(id, (n, r))| (*r as f64 / *n as f64, id))
        .collect();
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (share, id) in worst.iter().take(10) {
        println!("  {:>5.1}%  {id}", share * 100.0);
    }
    Ok(())
}
