//! `hingebot report`: what curators read to grow the knowledge base: unanswered questions and 👍/👎
//! per entry.

use crate::store::{EntryVotes, Store, UnansweredCount};
use clap::Args;
use serde::Serialize;
use std::io::Write;

/// How many unanswered questions the report lists.
const TOP_UNANSWERED: usize = 20;
/// How many least helpful entries the report lists.
const LEAST_HELPFUL: usize = 5;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How far back to look: Nh (hours), Nd (days) or Nw (weeks).
    #[arg(long, default_value = "7d", value_parser = Since::parse, value_name = "AGE")]
    pub since: Since,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A look-back period, as typed (`7d`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    pub seconds: i64,
    pub label: String,
}

impl Since {
    /// Parses `Nh`, `Nd` or `Nw` (N a positive whole number).
    pub fn parse(text: &str) -> Result<Since, String> {
        let text = text.trim();
        let err = || format!("expected a period like 24h, 7d or 2w, got {text:?}");
        let unit = text.chars().last().ok_or_else(err)?;
        let per = match unit.to_ascii_lowercase() {
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(err()),
        };
        let n: i64 = text[..text.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| err())?;
        if n <= 0 {
            return Err(err());
        }
        let seconds = n.checked_mul(per).ok_or_else(err)?;
        Ok(Since {
            seconds,
            label: text.to_string(),
        })
    }
}

#[derive(Serialize)]
struct Report<'a> {
    since: &'a str,
    from_unix: i64,
    unanswered: Vec<UnansweredJson<'a>>,
    entries: Vec<EntryJson<'a>>,
    least_helpful: Vec<EntryJson<'a>>,
}

#[derive(Serialize)]
struct UnansweredJson<'a> {
    text: &'a str,
    count: u64,
    last_at_unix: i64,
}

#[derive(Serialize)]
struct EntryJson<'a> {
    entry: &'a str,
    up: u64,
    down: u64,
    helpful_share: f64,
}

fn helpful_share(v: &EntryVotes) -> f64 {
    let total = v.up + v.down;
    if total == 0 {
        return 0.0;
    }
    (v.up as f64 / total as f64 * 100.0).round() / 100.0
}

fn entry_json(v: &EntryVotes) -> EntryJson<'_> {
    EntryJson {
        entry: &v.entry_id,
        up: v.up,
        down: v.down,
        helpful_share: helpful_share(v),
    }
}

/// Entries with at least one 👎, least helpful first. The ranking adds one imaginary 👍 and 👎
/// so that one unlucky vote does not outrank a consistently disliked answer.
pub fn least_helpful(votes: &[EntryVotes], limit: usize) -> Vec<&EntryVotes> {
    let mut disliked: Vec<&EntryVotes> = votes.iter().filter(|v| v.down > 0).collect();
    let rank = |v: &EntryVotes| (v.up as f64 + 1.0) / ((v.up + v.down) as f64 + 2.0);
    disliked.sort_by(|a, b| {
        rank(a)
            .total_cmp(&rank(b))
            .then(b.down.cmp(&a.down))
            .then(a.entry_id.cmp(&b.entry_id))
    });
    disliked.truncate(limit);
    disliked
}

/// Writes the report for the period `args.since` ending now.
pub async fn run(args: &ReportArgs, store: &Store, out: &mut dyn Write) -> anyhow::Result<()> {
    let from = crate::store::now_unix() - args.since.seconds;
    let unanswered = store.top_unanswered(from, TOP_UNANSWERED).await?;
    let mut votes = store.votes_since(from).await?;
    votes.sort_by(|a, b| {
        (b.up + b.down)
            .cmp(&(a.up + a.down))
            .then(a.entry_id.cmp(&b.entry_id))
    });
    let least = least_helpful(&votes, LEAST_HELPFUL);
    if args.json {
        let report = Report {
            since: &args.since.label,
            from_unix: from,
            unanswered: unanswered
                .iter()
                .map(|u| UnansweredJson {
                    text: &u.text,
                    count: u.count,
                    last_at_unix: u.last_at,
                })
                .collect(),
            entries: votes.iter().map(entry_json).collect(),
            least_helpful: least.iter().map(|v| entry_json(v)).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(out, &args.since.label, from, &unanswered, &votes, &least)?;
    }
    Ok(())
}

fn write_text(
    out: &mut dyn Write,
    label: &str,
    from: i64,
    unanswered: &[UnansweredCount],
    votes: &[EntryVotes],
    least: &[&EntryVotes],
) -> std::io::Result<()> {
    let from_text = jiff::Timestamp::from_second(from)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| from.to_string());
    writeln!(out, "hingebot report: the last {label} (since {from_text})")?;
    writeln!(out)?;
    writeln!(out, "Most frequent unanswered questions")?;
    if unanswered.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for u in unanswered {
        writeln!(out, "  {:>4}×  {}", u.count, u.text)?;
    }
    writeln!(out)?;
    writeln!(out, "Feedback per entry (👍 / 👎)")?;
    if votes.is_empty() {
        writeln!(out, "  (no votes)")?;
    }
    let width = votes.iter().map(|v| v.entry_id.len()).max().unwrap_or(0);
    for v in votes {
        writeln!(out, "  {:<width$}  {:>4} / {:<4}", v.entry_id, v.up, v.down)?;
    }
    writeln!(out)?;
    writeln!(out, "Least helpful entries")?;
    if least.is_empty() {
        writeln!(out, "  (none with a 👎)")?;
    }
    for v in least {
        writeln!(
            out,
            "  {}: {} 👍 / {} 👎 ({:.0}% helpful)",
            v.entry_id,
            v.up,
            v.down,
            helpful_share(v) * 100.0
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Vote;

    fn args(since: &str, json: bool) -> ReportArgs {
        ReportArgs {
            since: Since::parse(since).unwrap(),
            json,
        }
    }

    async fn store_with_activity() -> std::sync::Arc<Store> {
        let store = Store::open_in_memory().await.unwrap();
        for q in [
            "how heavy is too heavy",
            "kettlebell swing",
            "how heavy is too heavy",
        ] {
            store.record_unanswered(q).await.unwrap();
        }
        for (reply, user, entry, vote) in [
            (1, "a", "wall-drill", Vote::Up),
            (1, "b", "wall-drill", Vote::Up),
            (2, "a", "stance", Vote::Down),
            (2, "b", "stance", Vote::Down),
            (3, "a", "knee-bend", Vote::Up),
            (3, "b", "knee-bend", Vote::Down),
        ] {
            store.record_vote(reply, user, entry, vote).await.unwrap();
        }
        store
    }

    #[test]
    fn periods_in_hours_days_and_weeks() {
        assert_eq!(Since::parse("24h").unwrap().seconds, 86_400);
        assert_eq!(Since::parse("7d").unwrap().seconds, 7 * 86_400);
        assert_eq!(Since::parse("2w").unwrap().seconds, 14 * 86_400);
        for bad in [
            "",
            "7",
            "d",
            "0d",
            "-1d",
            "7y",
            "1.5d",
            "99999999999999999w",
        ] {
            assert!(Since::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_text_report_lists_unanswered_questions_votes_and_least_helpful_entries() {
        let store = store_with_activity().await;
        let mut out = Vec::new();
        run(&args("7d", false), &store, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("   2×  how heavy is too heavy"), "{text}");
        assert!(text.contains("   1×  kettlebell swing"), "{text}");
        assert!(text.contains("stance: 0 👍 / 2 👎 (0% helpful)"), "{text}");
        assert!(
            text.contains("knee-bend: 1 👍 / 1 👎 (50% helpful)"),
            "{text}"
        );
        assert!(
            !text.contains("wall-drill: "),
            "no 👎, not in the least helpful list: {text}"
        );
        let least = text.split("Least helpful entries").nth(1).unwrap();
        assert!(
            least.find("stance").unwrap() < least.find("knee-bend").unwrap(),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_json_report_has_the_same_facts() {
        let store = store_with_activity().await;
        let mut out = Vec::new();
        run(&args("24h", true), &store, &mut out).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["since"], "24h");
        assert_eq!(v["unanswered"][0]["text"], "how heavy is too heavy");
        assert_eq!(v["unanswered"][0]["count"], 2);
        assert_eq!(v["entries"].as_array().unwrap().len(), 3);
        assert_eq!(v["least_helpful"][0]["entry"], "stance");
        assert_eq!(v["least_helpful"][1]["helpful_share"], 0.5);
    }

    #[tokio::test]
    async fn an_empty_database_gives_an_empty_report() {
        let mut out = Vec::new();
        run(
            &args("7d", false),
            &Store::open_in_memory().await.unwrap(),
            &mut out,
        )
        .await
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("(none)") && text.contains("(no votes)"),
            "{text}"
        );
    }
}
