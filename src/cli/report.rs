//! `hingebot report`: what the bot did, for safety managers and curators: questions by reply and
//! channel kind against the period before, top topics, unanswered questions, 👍/👎 per entry and
//! tips posted, as text, JSON, one self-contained HTML page or CSV; and the curator's chores on
//! unanswered questions (`pending`, `confirm`) and retention (`purge`).
//!
//! The CLI never records usage itself: it is a local tool that reads what the bot counted, and
//! `hingebot ask`/`chat` are how curators try questions out, not traffic to report on.

use crate::report::{csv, html};
use crate::store::Store;
use crate::usage::{
    entry_days, pending_unanswered, Change, Figures, Helpfulness, Outcome, Period, Reporting,
    UsageReport, MIN_ASKERS,
};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// How far back to look, in whole local days ending today (report.timezone): Nd, Nw, or Nh
    /// (rounded up to days). Compared with the period of the same length before it.
    #[arg(long, default_value = "7d", value_parser = Since::parse, value_name = "AGE")]
    pub since: Since,
    /// Print the report as JSON.
    #[arg(long, group = "format")]
    pub json: bool,
    /// Write the report as one self-contained HTML page (charts inline, nothing fetched) to FILE.
    #[arg(long, value_name = "FILE", group = "format")]
    pub html: Option<PathBuf>,
    /// Print one CSV row per entry per day, for spreadsheets.
    #[arg(long, group = "format")]
    pub csv: bool,
    /// Write the text, JSON or CSV to FILE instead of standard output.
    #[arg(long, value_name = "FILE", conflicts_with = "html")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// List the unanswered questions only one person asked, which reports hide until a curator
    /// confirms them (masked, as stored).
    Pending,
    /// Confirm that an unanswered question (as `report pending` lists it) holds no personal data,
    /// so reports and the digest show it.
    Confirm {
        /// The question, exactly as `hingebot report pending` prints it.
        text: String,
    },
    /// Delete usage counts, unanswered questions and votes older than report.retention_days now
    /// (the running bot does this daily).
    Purge,
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

    /// Whole days, rounded up: `36h` is 2 days, `1w` 7.
    pub fn days(&self) -> i64 {
        (self.seconds + 86_399) / 86_400
    }
}

/// What a report reads besides its arguments.
pub struct ReportInputs<'a> {
    pub store: &'a Store,
    /// An entry's title by id (`None` for an id no longer in the knowledge base).
    pub title_of: &'a dyn Fn(&str) -> Option<String>,
    pub reporting: &'a Reporting,
    pub now: Timestamp,
}

/// Runs `hingebot report` (or one of its subcommands), writing to `out` unless `--html` or
/// `--out` name a file.
pub async fn run(
    args: &ReportArgs,
    inputs: &ReportInputs<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match &args.command {
        Some(ReportCommand::Pending) => return pending(inputs, out).await,
        Some(ReportCommand::Confirm { text }) => return confirm(inputs, text, out).await,
        Some(ReportCommand::Purge) => return purge(inputs, out).await,
        None => {}
    }
    let today = inputs.reporting.day(inputs.now);
    let period = Period::ending(today, args.since.days())
        .with_context(|| format!("--since {}", args.since.label))?;
    let figures = inputs.store.usage_figures(period).await?;
    let report = UsageReport::build(&figures, period, inputs.title_of);
    if let Some(path) = &args.html {
        std::fs::write(path, html::render(&report))
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            out,
            "Wrote the report for {} – {} to {}",
            period.since(),
            period.until(),
            path.display()
        )?;
        return Ok(());
    }
    let text = if args.csv {
        csv::render(&entry_days(&figures, period, inputs.title_of))
    } else if args.json {
        let mut json = serde_json::to_string_pretty(&json_report(
            &args.since.label,
            &figures,
            &report,
            inputs.reporting,
        )?)?;
        json.push('\n');
        json
    } else {
        text_report(&args.since.label, &figures, &report)
    };
    match &args.out {
        Some(path) => std::fs::write(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Votes per entry over the report period, most votes first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntryVotes {
    entry: String,
    up: u64,
    down: u64,
}

fn votes_per_entry(figures: &Figures, period: Period) -> Vec<EntryVotes> {
    let mut per: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for v in figures.votes.iter().filter(|v| period.contains(v.day)) {
        let tally = per.entry(&v.entry).or_default();
        tally.0 += v.up;
        tally.1 += v.down;
    }
    let mut votes: Vec<EntryVotes> = per
        .into_iter()
        .map(|(entry, (up, down))| EntryVotes {
            entry: entry.to_string(),
            up,
            down,
        })
        .collect();
    votes.sort_by(|a, b| {
        (b.up + b.down)
            .cmp(&(a.up + a.down))
            .then(a.entry.cmp(&b.entry))
    });
    votes
}

fn helpful_share(up: u64, down: u64) -> f64 {
    let total = up + down;
    if total == 0 {
        return 0.0;
    }
    (up as f64 / total as f64 * 100.0).round() / 100.0
}

/// `--json`: [`UsageReport`]'s fields (docs/report.md), plus the keys the report had before it
/// (`since`, `from_unix`, `unanswered`, `entries`, and `helpful_share` on `least_helpful`), so
/// scripts written against either keep working.
fn json_report(
    label: &str,
    figures: &Figures,
    report: &UsageReport,
    reporting: &Reporting,
) -> anyhow::Result<serde_json::Value> {
    #[derive(Serialize)]
    struct UnansweredJson<'a> {
        text: &'a str,
        count: u64,
        people: u64,
        confirmed: bool,
    }
    #[derive(Serialize)]
    struct EntryJson<'a> {
        entry: &'a str,
        up: u64,
        down: u64,
        helpful_share: f64,
    }
    #[derive(Serialize)]
    struct LeastHelpfulJson<'a> {
        #[serde(flatten)]
        entry: &'a Helpfulness,
        helpful_share: f64,
    }
    let mut value = serde_json::to_value(report)?;
    let from_unix = report
        .period
        .since()
        .to_zoned(reporting.zone().clone())
        .map(|z| z.timestamp().as_second())
        .context("the period's first day in report.timezone")?;
    let entries = votes_per_entry(figures, report.period);
    let object = value
        .as_object_mut()
        .context("a usage report serializes to a JSON object")?;
    object.insert("since".into(), label.into());
    object.insert("from_unix".into(), from_unix.into());
    object.insert(
        "unanswered".into(),
        serde_json::to_value(
            report
                .top_unanswered
                .iter()
                .map(|u| UnansweredJson {
                    text: &u.text,
                    count: u.asked,
                    people: u.people,
                    confirmed: u.confirmed,
                })
                .collect::<Vec<_>>(),
        )?,
    );
    object.insert(
        "entries".into(),
        serde_json::to_value(
            entries
                .iter()
                .map(|v| EntryJson {
                    entry: &v.entry,
                    up: v.up,
                    down: v.down,
                    helpful_share: helpful_share(v.up, v.down),
                })
                .collect::<Vec<_>>(),
        )?,
    );
    object.insert(
        "least_helpful".into(),
        serde_json::to_value(
            report
                .least_helpful
                .iter()
                .map(|h| LeastHelpfulJson {
                    entry: h,
                    helpful_share: helpful_share(h.up, h.down),
                })
                .collect::<Vec<_>>(),
        )?,
    );
    Ok(value)
}

fn change_text(change: Change) -> String {
    format!("{} ({})", change.current, change.describe())
}

fn text_report(label: &str, figures: &Figures, report: &UsageReport) -> String {
    let mut lines = vec![
        format!(
            "hingebot report: the last {label} ({} to {}), against the {} days before",
            report.period.since(),
            report.period.until(),
            report.period.days()
        ),
        String::new(),
        format!("Questions: {}", change_text(report.questions)),
    ];
    for outcome in Outcome::ALL {
        lines.push(format!(
            "  {:<24} {}",
            outcome.label(),
            change_text(*report.by_outcome.get(outcome))
        ));
    }
    lines.push("By where they were asked".to_string());
    for channel in crate::usage::ChannelKind::ALL {
        lines.push(format!(
            "  {:<24} {}",
            channel.label(),
            change_text(*report.by_channel.get(channel))
        ));
    }
    lines.push(format!("Tips posted: {}", change_text(report.tips_posted)));
    lines.push(String::new());
    lines.push("Top topics".to_string());
    if report.top_topics.is_empty() {
        lines.push("  (none)".to_string());
    }
    for t in &report.top_topics {
        lines.push(format!("  {:>4}  {} ({})", t.questions, t.title, t.entry));
    }
    lines.push(String::new());
    lines.push(format!(
        "Most frequent unanswered questions (asked by {MIN_ASKERS}+ people, or confirmed)"
    ));
    if report.top_unanswered.is_empty() {
        lines.push("  (none)".to_string());
    }
    for u in &report.top_unanswered {
        lines.push(format!(
            "  {:>4}×  {}  ({} people{})",
            u.asked,
            u.text,
            u.people,
            if u.confirmed { ", confirmed" } else { "" }
        ));
    }
    let waiting = pending_unanswered(&figures.unanswered).len();
    if waiting > 0 {
        lines.push(format!(
            "  {waiting} more asked by one person wait for a curator: `hingebot report pending`"
        ));
    }
    lines.push(String::new());
    lines.push("Feedback per entry (👍 / 👎)".to_string());
    let votes = votes_per_entry(figures, report.period);
    if votes.is_empty() {
        lines.push("  (no votes)".to_string());
    }
    let width = votes.iter().map(|v| v.entry.len()).max().unwrap_or(0);
    for v in &votes {
        lines.push(format!(
            "  {:<width$}  {:>4} / {:<4}",
            v.entry, v.up, v.down
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Least helpful entries ({} or more votes)",
        crate::usage::MIN_VOTES
    ));
    if report.least_helpful.is_empty() {
        lines.push("  (none with a 👎)".to_string());
    }
    for h in &report.least_helpful {
        lines.push(format!(
            "  {}: {} 👍 / {} 👎 ({:.0}% helpful)",
            h.entry,
            h.up,
            h.down,
            helpful_share(h.up, h.down) * 100.0
        ));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Every unanswered question still kept.
async fn kept_figures(inputs: &ReportInputs<'_>) -> anyhow::Result<Figures> {
    let kept = inputs.reporting.kept(inputs.reporting.day(inputs.now));
    Ok(inputs.store.usage_figures(kept).await?)
}

async fn pending(inputs: &ReportInputs<'_>, out: &mut dyn Write) -> anyhow::Result<()> {
    let figures = kept_figures(inputs).await?;
    let pending = pending_unanswered(&figures.unanswered);
    writeln!(
        out,
        "Unanswered questions asked by one person (hidden from reports until confirmed)"
    )?;
    if pending.is_empty() {
        writeln!(out, "  (none)")?;
        return Ok(());
    }
    for u in &pending {
        writeln!(out, "  {:>4}×  {}", u.asked, u.text)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "If one holds no personal data (no names, no health details about a person), show it with:\n  hingebot report confirm \"TEXT\""
    )?;
    Ok(())
}

async fn confirm(inputs: &ReportInputs<'_>, text: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let wanted = text.trim();
    let figures = kept_figures(inputs).await?;
    // Reports show stored texts masked again; a curator confirms what they were shown.
    let stored: Vec<&str> = figures
        .unanswered
        .iter()
        .filter(|u| u.text == wanted || crate::privacy::mask(&u.text) == wanted)
        .map(|u| u.text.as_str())
        .collect();
    if stored.is_empty() {
        bail!("no unanswered question reads exactly {wanted:?}; `hingebot report pending` lists them as stored");
    }
    for text in stored {
        inputs.store.confirm_unanswered(text).await?;
    }
    writeln!(
        out,
        "Confirmed: \"{wanted}\" holds no personal data; reports and the digest show it."
    )?;
    Ok(())
}

async fn purge(inputs: &ReportInputs<'_>, out: &mut dyn Write) -> anyhow::Result<()> {
    let today = inputs.reporting.day(inputs.now);
    let keep_from = inputs.reporting.keep_from(today);
    let purged = inputs.store.purge_usage(keep_from).await?;
    writeln!(
        out,
        "Deleted what is older than {keep_from} (report.retention_days = {}): {} daily count rows, {} unanswered questions, {} votes.",
        inputs.reporting.retention_days(),
        purged.usage_rows,
        purged.unanswered,
        purged.votes
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Vote;
    use crate::usage::ChannelKind;
    use clap::Parser;
    use jiff::civil::{date, Date};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        report: ReportArgs,
    }

    fn args(line: &[&str]) -> ReportArgs {
        Cli::try_parse_from(std::iter::once("report").chain(line.iter().copied()))
            .unwrap()
            .report
    }

    /// Wednesday 2026-03-11, noon UTC.
    fn now() -> Timestamp {
        "2026-03-11T12:00:00Z".parse().unwrap()
    }

    fn title(id: &str) -> Option<String> {
        (id == "stance").then(|| "Stance and feet".to_string())
    }

    async fn run_to_string(line: &[&str], store: &Store) -> String {
        let reporting = Reporting::default();
        let inputs = ReportInputs {
            store,
            title_of: &title,
            reporting: &reporting,
            now: now(),
        };
        let mut out = Vec::new();
        run(&args(line), &inputs, &mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    const TODAY: Date = date(2026, 3, 11);

    async fn store_with_activity() -> std::sync::Arc<Store> {
        let store = Store::open_in_memory().await.unwrap();
        for (q, asker) in [
            ("how heavy is too heavy", 1),
            ("kettlebell swing", 1),
            ("how heavy is too heavy", 2),
            ("call me on 07700 900123", 3),
        ] {
            store.record_unanswered(q, asker, TODAY).await.unwrap();
        }
        for (reply, user, entry, vote) in [
            (1, "a", "wall-drill", Vote::Up),
            (1, "b", "wall-drill", Vote::Up),
            (2, "a", "stance", Vote::Down),
            (2, "b", "stance", Vote::Down),
            (2, "c", "stance", Vote::Down),
            (3, "a", "knee-bend", Vote::Up),
            (3, "b", "knee-bend", Vote::Down),
            (3, "c", "knee-bend", Vote::Down),
        ] {
            store
                .record_vote(reply, user, entry, vote, TODAY)
                .await
                .unwrap();
        }
        for (day, outcome) in [
            (TODAY, Outcome::Answer),
            (TODAY, Outcome::Answer),
            (date(2026, 3, 2), Outcome::Answer),
        ] {
            store
                .record_usage(day, Some("stance"), outcome, ChannelKind::Mention)
                .await
                .unwrap();
        }
        store
    }

    #[test]
    fn periods_in_hours_days_and_weeks() {
        assert_eq!(Since::parse("24h").unwrap().seconds, 86_400);
        assert_eq!(Since::parse("7d").unwrap().seconds, 7 * 86_400);
        assert_eq!(Since::parse("2w").unwrap().seconds, 14 * 86_400);
        assert_eq!(Since::parse("36h").unwrap().days(), 2);
        assert_eq!(Since::parse("1w").unwrap().days(), 7);
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
    async fn the_text_report_compares_periods_and_lists_unanswered_questions_votes_and_least_helpful_entries(
    ) {
        let store = store_with_activity().await;
        let text = run_to_string(&["--since", "7d"], &store).await;
        assert!(
            text.contains("the last 7d (2026-03-05 to 2026-03-11)"),
            "{text}"
        );
        assert!(text.contains("Questions: 2 (+100% (was 1))"), "{text}");
        assert!(
            text.contains("   2×  how heavy is too heavy  (2 people)"),
            "{text}"
        );
        assert!(
            !text.contains("kettlebell swing"),
            "asked by one person: hidden: {text}"
        );
        assert!(!text.contains("07700"), "{text}");
        assert!(text.contains("2 more asked by one person"), "{text}");
        assert!(text.contains("stance: 0 👍 / 3 👎 (0% helpful)"), "{text}");
        assert!(
            text.contains("knee-bend: 1 👍 / 2 👎 (33% helpful)"),
            "{text}"
        );
        assert!(
            !text.contains("wall-drill: "),
            "no 👎, not in the least helpful list: {text}"
        );
        assert!(text.contains("Stance and feet (stance)"), "{text}");
    }

    #[tokio::test]
    async fn the_json_report_keeps_the_old_keys_and_adds_the_usage_report() {
        let store = store_with_activity().await;
        let text = run_to_string(&["--since", "24h", "--json"], &store).await;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["since"], "24h");
        assert_eq!(
            v["from_unix"],
            "2026-03-11T00:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_second()
        );
        assert_eq!(v["unanswered"][0]["text"], "how heavy is too heavy");
        assert_eq!(v["unanswered"][0]["count"], 2);
        assert_eq!(v["unanswered"].as_array().unwrap().len(), 1);
        assert_eq!(v["entries"].as_array().unwrap().len(), 3);
        assert_eq!(v["least_helpful"][0]["entry"], "stance");
        assert_eq!(v["least_helpful"][0]["title"], "Stance and feet");
        assert_eq!(v["least_helpful"][1]["helpful_share"], 0.33);
        assert_eq!(v["questions"]["current"], 2);
        assert_eq!(v["by_channel"]["mention"]["current"], 2);
        assert_eq!(v["period"]["since"], "2026-03-11");
    }

    #[tokio::test]
    async fn csv_goes_to_stdout_or_a_file_and_html_to_its_file() {
        let store = store_with_activity().await;
        let csv_text = run_to_string(&["--csv"], &store).await;
        assert!(csv_text.starts_with(csv::HEADER), "{csv_text}");
        assert!(
            csv_text.contains("2026-03-11,stance,Stance and feet,2,2,"),
            "{csv_text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let csv_file = dir.path().join("week.csv");
        let said = run_to_string(&["--csv", "--out", csv_file.to_str().unwrap()], &store).await;
        assert!(said.is_empty(), "{said}");
        assert_eq!(std::fs::read_to_string(&csv_file).unwrap(), csv_text);
        let html_file = dir.path().join("report.html");
        let said = run_to_string(&["--html", html_file.to_str().unwrap()], &store).await;
        assert!(said.contains("report.html"), "{said}");
        let page = std::fs::read_to_string(&html_file).unwrap();
        assert!(page.starts_with("<!doctype html>"), "{}", &page[..40]);
        assert!(page.contains("how heavy is too heavy"));
        assert!(!page.contains("kettlebell swing"));
    }

    #[test]
    fn only_one_format_at_a_time_and_no_flags_with_a_subcommand() {
        for line in [
            &["--json", "--csv"][..],
            &["--html", "a.html", "--json"],
            &["--html", "a.html", "--out", "b"],
            &["--json", "confirm", "x"],
        ] {
            assert!(
                Cli::try_parse_from(std::iter::once("report").chain(line.iter().copied())).is_err(),
                "{line:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_curator_confirms_a_pending_question_and_reports_then_show_it() {
        let store = store_with_activity().await;
        let pending = run_to_string(&["pending"], &store).await;
        assert!(pending.contains("   1×  kettlebell swing"), "{pending}");
        assert!(pending.contains("call me on [phone]"), "{pending}");
        assert!(!pending.contains("how heavy"), "{pending}");
        let said = run_to_string(&["confirm", "kettlebell swing"], &store).await;
        assert!(said.starts_with("Confirmed"), "{said}");
        let text = run_to_string(&[], &store).await;
        assert!(
            text.contains("kettlebell swing  (1 people, confirmed)"),
            "{text}"
        );
        let reporting = Reporting::default();
        let inputs = ReportInputs {
            store: &store,
            title_of: &title,
            reporting: &reporting,
            now: now(),
        };
        let err = run(&args(&["confirm", "never asked"]), &inputs, &mut Vec::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("report pending"), "{err}");
    }

    #[tokio::test]
    async fn purge_deletes_what_is_past_the_retention() {
        let store = store_with_activity().await;
        store
            .record_usage(date(2025, 1, 1), None, Outcome::Abstain, ChannelKind::Dm)
            .await
            .unwrap();
        let said = run_to_string(&["purge"], &store).await;
        assert!(
            said.contains("older than 2025-09-13")
                && said.contains(": 1 daily count rows, 0 unanswered questions, 0 votes"),
            "{said}"
        );
    }

    #[tokio::test]
    async fn an_empty_database_gives_an_empty_report() {
        let text = run_to_string(&[], &Store::open_in_memory().await.unwrap()).await;
        assert!(
            text.contains("(none)") && text.contains("(no votes)"),
            "{text}"
        );
        assert!(text.contains("Questions: 0 (no change)"), "{text}");
    }
}
