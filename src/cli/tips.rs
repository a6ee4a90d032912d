//! `hingebot tip` and `hingebot tips preview`: today's tip, and the posts a channel will get next —
//! what a safety manager checks before a week starts.

use crate::config::Config;
use crate::knowledge::KnowledgeBase;
use crate::store::{DatabaseLocation, Store};
use crate::tips::{default_schedule, next_post, next_tip, tip_of_the_day, TipSchedule};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;
use std::sync::Arc;

/// `hingebot tip`: prints today's tip.
#[derive(Debug, Args)]
pub struct TipArgs {}

/// `hingebot tips …`.
#[derive(Debug, Args)]
pub struct TipsArgs {
    #[command(subcommand)]
    pub command: TipsCommand,
}

#[derive(Debug, Subcommand)]
pub enum TipsCommand {
    /// List the next posts a channel would get (date, local time, tip). Changes nothing.
    Preview(TipsPreviewArgs),
}

#[derive(Debug, Args)]
pub struct TipsPreviewArgs {
    /// The Discord channel id.
    #[arg(long, value_name = "ID")]
    pub channel: u64,
    /// How many posts to list.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..=366))]
    pub days: u16,
    /// Print a JSON array of {"date","time","timezone","tip"} objects.
    #[arg(long)]
    pub json: bool,
}

/// Prints today's tip and the entry its "learn more" opens.
pub fn run_tip(kb: &KnowledgeBase, today: Date, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(tip) = tip_of_the_day(kb.tips(), today) else {
        bail!("the knowledge base has no tips; add some to knowledge/tips.toml");
    };
    writeln!(out, "Tip of the day ({today}): {}", tip.text)?;
    match kb.entry(&tip.entry) {
        Some(entry) => writeln!(out, "Learn more: {} (entry `{}`)", entry.title, entry.id)?,
        None => writeln!(out, "Learn more: entry `{}`", tip.entry)?,
    }
    Ok(())
}

/// Today's date for `hingebot tip`: [`crate::tips::today`] under the configured tip settings.
pub fn today(config: &Config, now: Timestamp) -> anyhow::Result<Date> {
    crate::tips::today(&config.tips, now)
        .context("config: tips.default_time / tips.default_timezone")
}

/// The store `tips preview` reads: the configured database when it exists, else an empty one in
/// memory, so a preview never creates a database file.
pub async fn preview_store(config: &Config) -> anyhow::Result<Arc<Store>> {
    Ok(match config.database_location()? {
        DatabaseLocation::Sqlite(path) if !path.exists() => Store::open_in_memory().await?,
        location => Store::connect(&location).await?,
    })
}

/// One previewed post, in the stable `--json` shape.
#[derive(Debug, Serialize, PartialEq)]
struct PreviewedPost {
    date: String,
    time: String,
    timezone: String,
    tip: String,
}

/// Where a previewed channel's schedule comes from.
enum ScheduleSource {
    Stored { paused_reason: Option<String> },
    ConfigNotYetApplied,
    Default,
}

/// Lists the next posts a channel would get, from its stored schedule and rotation. Reads only.
/// A channel without a subscription previews the default schedule and says so.
pub async fn run_preview(
    args: &TipsPreviewArgs,
    kb: &KnowledgeBase,
    store: &Store,
    config: &Config,
    now: Timestamp,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let channel = args.channel;
    let (schedule, source) = preview_schedule(channel, store, config).await?;
    let mut state = store.tip_rotation(channel).await?;
    let mut posts = Vec::with_capacity(usize::from(args.days));
    let mut after = now;
    for _ in 0..args.days {
        let Some(post) = next_post(&schedule, after) else {
            break;
        };
        let Some((tip, next_state)) = next_tip(kb.tips(), channel, &state) else {
            bail!("the knowledge base has no tips; add some to knowledge/tips.toml");
        };
        posts.push((
            post.date,
            PreviewedPost {
                date: post.date.to_string(),
                time: schedule.local_hhmm(post.at),
                timezone: schedule.timezone_name().to_string(),
                tip: tip.text.clone(),
            },
        ));
        state = next_state;
        after = post.at;
    }

    if args.json {
        let rows: Vec<&PreviewedPost> = posts.iter().map(|(_, p)| p).collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    match source {
        ScheduleSource::Stored { paused_reason } => {
            writeln!(out, "Channel {channel}: {}.", schedule.describe())?;
            if let Some(reason) = paused_reason {
                writeln!(
                    out,
                    "Paused ({reason}): nothing is posted until someone runs /tips subscribe there \
                     again. Once resumed, the next posts would be:"
                )?;
            }
        }
        ScheduleSource::ConfigNotYetApplied => writeln!(
            out,
            "Channel {channel}: {} (from config.toml; applied when the bot starts).",
            schedule.describe()
        )?,
        ScheduleSource::Default => writeln!(
            out,
            "Channel {channel} has no tip subscription. With the default schedule ({}) it would get:",
            schedule.describe()
        )?,
    }
    for (date, p) in &posts {
        writeln!(
            out,
            "  {} {}  {} {}  {}",
            date.strftime("%a"),
            p.date,
            p.time,
            p.timezone,
            p.tip
        )?;
    }
    Ok(())
}

async fn preview_schedule(
    channel: u64,
    store: &Store,
    config: &Config,
) -> anyhow::Result<(TipSchedule, ScheduleSource)> {
    if let Some(sub) = store.tip_subscription(channel).await? {
        let schedule = sub
            .schedule()
            .with_context(|| format!("channel {channel}'s stored subscription is invalid"))?;
        return Ok((
            schedule,
            ScheduleSource::Stored {
                paused_reason: sub.paused_reason,
            },
        ));
    }
    if let Some(setting) = config
        .tips
        .subscriptions
        .iter()
        .find(|s| s.channel == channel)
    {
        let schedule = TipSchedule::parse(&setting.time, &setting.timezone, &setting.days)
            .with_context(|| format!("config: tips.subscriptions for channel {channel}"))?;
        return Ok((schedule, ScheduleSource::ConfigNotYetApplied));
    }
    let schedule = default_schedule(&config.tips)
        .context("config: tips.default_time / tips.default_timezone")?;
    Ok((schedule, ScheduleSource::Default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Category, Entry, Tip};
    use crate::tips::RotationState;
    use std::collections::HashSet;

    fn kb(n: usize) -> KnowledgeBase {
        let entry = Entry {
            id: "what-is-a-hip-hinge".into(),
            title: "What is a hip hinge?".into(),
            category: Category::Basics,
            questions: vec!["what is a hip hinge".into()],
            keywords: vec![],
            answer: "Bend at the hips.".into(),
            summary: "Bend at the hips.".into(),
            related: vec![],
            sources: vec![],
        };
        let tips = (0..n)
            .map(|i| Tip {
                id: format!("tip-{i:02}"),
                text: format!("Tip {i}."),
                entry: "what-is-a-hip-hinge".into(),
            })
            .collect();
        KnowledgeBase::new(vec![entry], tips, vec![], "test".into())
    }

    async fn preview_text(
        args: &TipsPreviewArgs,
        kb: &KnowledgeBase,
        store: &Store,
        config: &Config,
        now: Timestamp,
    ) -> String {
        let mut out = Vec::new();
        run_preview(args, kb, store, config, now, &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn text(f: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn monday_morning() -> Timestamp {
        // Monday 2025-01-06, 06:00 UTC (07:00 in Berlin).
        "2025-01-06T06:00:00Z".parse().unwrap()
    }

    fn preview(channel: u64, days: u16, json: bool) -> TipsPreviewArgs {
        TipsPreviewArgs {
            channel,
            days,
            json,
        }
    }

    #[test]
    fn tip_prints_todays_tip_and_its_entry_title() {
        let out = text(|o| run_tip(&kb(3), jiff::civil::date(1970, 1, 2), o));
        assert_eq!(
            out,
            "Tip of the day (1970-01-02): Tip 1.\nLearn more: What is a hip hinge? (entry `what-is-a-hip-hinge`)\n"
        );
    }

    #[test]
    fn today_is_the_date_in_the_default_time_zone() {
        let mut config = Config::default();
        let late_evening_utc: Timestamp = "2025-01-06T22:00:00Z".parse().unwrap();
        assert_eq!(
            today(&config, late_evening_utc).unwrap(),
            jiff::civil::date(2025, 1, 6)
        );
        config.tips.default_timezone = "Asia/Kolkata".into();
        assert_eq!(
            today(&config, late_evening_utc).unwrap(),
            jiff::civil::date(2025, 1, 7)
        );
    }

    #[tokio::test]
    async fn preview_lists_the_channels_next_workday_posts_without_changing_state() {
        let store = Store::open_in_memory().await.unwrap();
        let schedule = TipSchedule::parse("08:30", "Europe/Berlin", "workdays").unwrap();
        store
            .upsert_tip_subscription(42, &schedule, monday_morning())
            .await
            .unwrap();
        let kb = kb(10);
        let config = Config::default();
        let out = preview_text(
            &preview(42, 6, false),
            &kb,
            &store,
            &config,
            monday_morning(),
        )
        .await;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "Channel 42: 08:30 Europe/Berlin, workdays (Mon–Fri)."
        );
        let dates: Vec<&str> = lines[1..].iter().map(|l| &l[2..16]).collect();
        assert_eq!(
            dates,
            [
                "Mon 2025-01-06",
                "Tue 2025-01-07",
                "Wed 2025-01-08",
                "Thu 2025-01-09",
                "Fri 2025-01-10",
                "Mon 2025-01-13"
            ]
        );
        assert!(lines[1].contains("08:30 Europe/Berlin"));
        assert_eq!(
            store.tip_rotation(42).await.unwrap(),
            RotationState::default()
        );
        assert!(store.tip_claims(42).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn preview_follows_the_persisted_rotation() {
        let store = Store::open_in_memory().await.unwrap();
        let schedule = TipSchedule::parse("08:30", "UTC", "everyday").unwrap();
        store
            .upsert_tip_subscription(42, &schedule, monday_morning())
            .await
            .unwrap();
        let kb = kb(10);
        let (first, state) = next_tip(kb.tips(), 42, &RotationState::default()).unwrap();
        let (second, _) = next_tip(kb.tips(), 42, &state).unwrap();
        store.save_tip_rotation(42, &state).await.unwrap();
        let json = preview_text(
            &preview(42, 1, true),
            &kb,
            &store,
            &Config::default(),
            monday_morning(),
        )
        .await;
        let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            rows,
            serde_json::json!([{"date": "2025-01-06", "time": "08:30", "timezone": "UTC", "tip": second.text}])
        );
        assert_ne!(first.id, second.id);
    }

    #[tokio::test]
    async fn preview_of_an_unsubscribed_channel_uses_the_default_schedule_and_says_so() {
        let store = Store::open_in_memory().await.unwrap();
        let config = Config::default();
        let out = preview_text(
            &preview(7, 2, false),
            &kb(3),
            &store,
            &config,
            monday_morning(),
        )
        .await;
        assert!(
            out.starts_with("Channel 7 has no tip subscription. With the default schedule (08:30 UTC, workdays (Mon–Fri)) it would get:\n"),
            "{out}"
        );
        assert_eq!(out.lines().count(), 3);
        assert!(store.tip_subscription(7).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn preview_json_is_an_array_of_date_time_timezone_tip() {
        let store = Store::open_in_memory().await.unwrap();
        let out = preview_text(
            &preview(7, 3, true),
            &kb(3),
            &store,
            &Config::default(),
            monday_morning(),
        )
        .await;
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(&out).unwrap();
        assert_eq!(rows.len(), 3);
        for row in &rows {
            let keys: Vec<&str> = row.keys().map(String::as_str).collect();
            assert_eq!(keys, ["date", "time", "timezone", "tip"]);
        }
        // A full cycle of three tips: all different.
        let tips: HashSet<&str> = rows.iter().map(|r| r["tip"].as_str().unwrap()).collect();
        assert_eq!(tips.len(), 3);
    }
}
