//! Privacy-safe usage figures: the daily counts the store keeps, and the report a safety manager reads.
//!
//! Counts only: no user id and no message text, except unanswered questions, which arrive masked
//! by [`crate::privacy`] and are shown only once two people asked them or a curator confirmed them.
//! Everything here is pure: the store fills the row types with `GROUP BY` queries, and
//! [`UsageReport::build`] turns rows into what the HTML, CSV, JSON and Discord renderers show.
//! [`Outcome::of`] says how a reply counts; [`Reporting`] which local day it counts on and how
//! long rows are kept.

use crate::assistant::{Reply, ReplyKind};
use crate::config::ReportSettings;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// How many topics the report lists.
pub const TOP_TOPICS: usize = 5;
/// How many unanswered questions the report lists.
pub const TOP_UNANSWERED: usize = 10;
/// How many least helpful entries the report lists.
pub const LEAST_HELPFUL: usize = 5;
/// An unanswered question is shown once this many different people asked it (or a curator confirmed it).
pub const MIN_ASKERS: u64 = 2;
/// An entry needs this many votes in the period before it can be called least helpful: one
/// unlucky 👎 says little.
pub const MIN_VOTES: u64 = 3;
/// The longest period a report covers. Rows are purged after `retention_days` anyway, and the
/// previous period of the same length must still be a valid date.
pub const MAX_PERIOD_DAYS: i64 = 732;

/// How a question was handled, as counted.
///
/// The five outcomes partition the questions: an answer that carried a caution counts as
/// `Caution`, not also as `Answer`, so stacked bars add up to the questions asked. Empty messages
/// are not questions and are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A confident answer.
    Answer,
    /// "Did you mean…" suggestions.
    Suggest,
    /// Off-topic or unknown: nothing answered.
    Abstain,
    /// Warning signs: the urgent-care card.
    RedFlag,
    /// An answer shown with a caution line.
    Caution,
}

impl Outcome {
    /// Every outcome, in the order charts stack them (bottom first) and CSV columns list them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Answer,
        Outcome::Suggest,
        Outcome::Abstain,
        Outcome::RedFlag,
        Outcome::Caution,
    ];

    /// The name stored in the database and written in CSV and JSON (`redflag`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::Suggest => "suggest",
            Outcome::Abstain => "abstain",
            Outcome::RedFlag => "redflag",
            Outcome::Caution => "caution",
        }
    }

    /// Reads a stored name.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }

    /// How a reply counts: an answer with a caution as `Caution`, an empty message not at all
    /// (it was no question). The entry it counts for is [`Reply::first_entry`].
    pub fn of(reply: &Reply) -> Option<Outcome> {
        match reply.kind {
            ReplyKind::Answer if reply.caution.is_some() => Some(Outcome::Caution),
            ReplyKind::Answer => Some(Outcome::Answer),
            ReplyKind::Suggest => Some(Outcome::Suggest),
            ReplyKind::Abstain => Some(Outcome::Abstain),
            ReplyKind::RedFlag => Some(Outcome::RedFlag),
            ReplyKind::Empty => None,
        }
    }

    /// What a safety manager calls it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Answer => "Answered",
            Outcome::Suggest => "Did you mean",
            Outcome::Abstain => "Not answered",
            Outcome::RedFlag => "Warning signs",
            Outcome::Caution => "Answered with a caution",
        }
    }
}

/// Where a question was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    /// A direct message to the bot.
    Dm,
    /// A message that mentioned the bot in a server channel.
    Mention,
    /// A message in a channel the bot watches for safety questions.
    SafetyChannel,
    /// The `/ask` slash command.
    Slash,
}

impl ChannelKind {
    /// Every channel kind, in the order tables and CSV columns list them.
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Dm,
        ChannelKind::Mention,
        ChannelKind::SafetyChannel,
        ChannelKind::Slash,
    ];

    /// The name stored in the database (`safety-channel`).
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Dm => "dm",
            ChannelKind::Mention => "mention",
            ChannelKind::SafetyChannel => "safety-channel",
            ChannelKind::Slash => "slash",
        }
    }

    /// Reads a stored name.
    pub fn from_name(name: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What a safety manager calls it.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Dm => "Direct messages",
            ChannelKind::Mention => "Mentions",
            ChannelKind::SafetyChannel => "Safety channels",
            ChannelKind::Slash => "Slash command",
        }
    }
}

/// One value per [`Outcome`]; serialized with the outcome names as keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByOutcome<T> {
    pub answer: T,
    pub suggest: T,
    pub abstain: T,
    pub redflag: T,
    pub caution: T,
}

impl<T> ByOutcome<T> {
    /// The value for one outcome.
    pub fn get(&self, outcome: Outcome) -> &T {
        match outcome {
            Outcome::Answer => &self.answer,
            Outcome::Suggest => &self.suggest,
            Outcome::Abstain => &self.abstain,
            Outcome::RedFlag => &self.redflag,
            Outcome::Caution => &self.caution,
        }
    }

    fn get_mut(&mut self, outcome: Outcome) -> &mut T {
        match outcome {
            Outcome::Answer => &mut self.answer,
            Outcome::Suggest => &mut self.suggest,
            Outcome::Abstain => &mut self.abstain,
            Outcome::RedFlag => &mut self.redflag,
            Outcome::Caution => &mut self.caution,
        }
    }
}

impl ByOutcome<u64> {
    /// All questions, whatever the outcome.
    pub fn total(&self) -> u64 {
        Outcome::ALL.iter().map(|&o| *self.get(o)).sum()
    }

    /// Questions that got an answer (with or without a caution).
    pub fn answered(&self) -> u64 {
        self.answer + self.caution
    }
}

/// One value per [`ChannelKind`]; serialized with snake_case keys (`safety_channel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByChannel<T> {
    pub dm: T,
    pub mention: T,
    pub safety_channel: T,
    pub slash: T,
}

impl<T> ByChannel<T> {
    /// The value for one channel kind.
    pub fn get(&self, channel: ChannelKind) -> &T {
        match channel {
            ChannelKind::Dm => &self.dm,
            ChannelKind::Mention => &self.mention,
            ChannelKind::SafetyChannel => &self.safety_channel,
            ChannelKind::Slash => &self.slash,
        }
    }

    fn get_mut(&mut self, channel: ChannelKind) -> &mut T {
        match channel {
            ChannelKind::Dm => &mut self.dm,
            ChannelKind::Mention => &mut self.mention,
            ChannelKind::SafetyChannel => &mut self.safety_channel,
            ChannelKind::Slash => &mut self.slash,
        }
    }
}

/// Questions on one day, for one entry, outcome and channel kind.
///
/// Filled by `SELECT day, entry, outcome, channel, SUM(questions) … GROUP BY day, entry, outcome,
/// channel`: `day` is the local date as `YYYY-MM-DD`, `entry` is NULL when no entry was involved
/// (an abstain), `outcome` and `channel` hold [`Outcome::name`] and [`ChannelKind::name`].
/// A suggestion row names the first entry offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRow {
    pub day: Date,
    pub entry: Option<String>,
    pub outcome: Outcome,
    pub channel: ChannelKind,
    pub questions: u64,
}

/// 👍 and 👎 given on one day to replies showing one entry: `SELECT day, entry, SUM(up), SUM(down) … GROUP BY day, entry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRow {
    pub day: Date,
    pub entry: String,
    pub up: u64,
    pub down: u64,
}

/// Daily tips posted on one day, over all channels: `SELECT day, COUNT(*) … GROUP BY day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipRow {
    pub day: Date,
    pub posted: u64,
}

/// One unanswered question over the report period:
/// `SELECT text, COUNT(DISTINCT asker), COUNT(*), MAX(confirmed) … WHERE day BETWEEN ?1 AND ?2 GROUP BY text`.
///
/// `text` is normalized and masked; `people` counts different askers (the store keeps a salted
/// pseudonym per row for that, never the id); `confirmed` is set by a curator who checked that
/// the text holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredRow {
    pub text: String,
    pub people: u64,
    pub asked: u64,
    pub confirmed: bool,
}

/// Everything the store returns for one report. Question, vote and tip rows should cover the
/// previous period as well (for the comparison); rows outside both periods are ignored.
/// Unanswered rows cover the report period only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub questions: Vec<QuestionRow>,
    pub votes: Vec<VoteRow>,
    pub tips: Vec<TipRow>,
    pub unanswered: Vec<UnansweredRow>,
}

/// Why the `[report]` settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config: report.timezone: {0}")]
pub struct ReportingError(String);

/// The `[report]` settings, checked: the time zone whose local days everything is counted by,
/// and how many of those days are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Reporting {
    zone: TimeZone,
    zone_name: String,
    retention_days: u64,
}

impl Reporting {
    /// Reads `report.timezone` (an IANA name, as for tips) and `report.retention_days`.
    pub fn from_settings(settings: &ReportSettings) -> Result<Reporting, ReportingError> {
        let zone = crate::tips::schedule::parse_time_zone(&settings.timezone)
            .map_err(|e| ReportingError(e.to_string()))?;
        Ok(Reporting {
            zone_name: zone.iana_name().unwrap_or("UTC").to_string(),
            zone,
            retention_days: settings.retention_days.max(1),
        })
    }

    /// The time zone days are counted in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Its IANA name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// How many local days (today included) rows are kept.
    pub fn retention_days(&self) -> u64 {
        self.retention_days
    }

    /// The local day `now` falls on: what a reply or vote at `now` is filed under.
    pub fn day(&self, now: Timestamp) -> Date {
        now.to_zoned(self.zone.clone()).date()
    }

    /// The first day still kept on `today`: rows of earlier days are purged.
    pub fn keep_from(&self, today: Date) -> Date {
        // jiff refuses spans of millions of days; a retention of centuries keeps everything anyway.
        let days = i64::try_from(self.retention_days.saturating_sub(1))
            .unwrap_or(i64::MAX)
            .min(100 * 366);
        today.checked_sub(days.days()).unwrap_or(Date::MIN)
    }

    /// Every day still kept on `today`, as a period (at most [`MAX_PERIOD_DAYS`] long): where a
    /// curator's look-up of stored questions searches.
    pub fn kept(&self, today: Date) -> Period {
        let days = i64::try_from(self.retention_days)
            .unwrap_or(MAX_PERIOD_DAYS)
            .min(MAX_PERIOD_DAYS);
        Period::ending(today, days).unwrap_or(Period {
            since: today,
            until: today,
        })
    }
}

impl Default for Reporting {
    fn default() -> Reporting {
        Reporting {
            zone: TimeZone::UTC,
            zone_name: "UTC".to_string(),
            retention_days: ReportSettings::default().retention_days,
        }
    }
}

/// Why a period cannot be reported on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period starts ({since}) after it ends ({until})")]
    Reversed { since: Date, until: Date },
    #[error("a report covers at most {MAX_PERIOD_DAYS} days, not {days}")]
    TooLong { days: i64 },
    #[error("a period of {days} days ending {until} starts before the calendar does")]
    OutOfRange { until: Date, days: i64 },
}

/// A run of whole local days, both ends included. Made only by [`Period::new`] or
/// [`Period::ending`], so it is never reversed, too long, or without a previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    since: Date,
    until: Date,
}

impl Period {
    /// The first day.
    pub fn since(&self) -> Date {
        self.since
    }

    /// The last day.
    pub fn until(&self) -> Date {
        self.until
    }

    /// The days from `since` to `until`, both included.
    pub fn new(since: Date, until: Date) -> Result<Period, PeriodError> {
        if since > until {
            return Err(PeriodError::Reversed { since, until });
        }
        let period = Period { since, until };
        let days = period.days();
        if days > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong { days });
        }
        // The comparison period must exist too.
        period
            .since
            .checked_sub(days.days())
            .map_err(|_| PeriodError::OutOfRange { until, days })?;
        Ok(period)
    }

    /// The `days` days that end with `until` (`--since 7d` on a given day, or the digest's week).
    pub fn ending(until: Date, days: i64) -> Result<Period, PeriodError> {
        if days > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong { days });
        }
        let since = until
            .checked_sub((days.max(1) - 1).days())
            .map_err(|_| PeriodError::OutOfRange { until, days })?;
        Period::new(since, until)
    }

    /// How many days the period covers (at least 1).
    pub fn days(&self) -> i64 {
        self.since
            .until(self.until)
            .map(|span| i64::from(span.get_days()) + 1)
            .unwrap_or(1)
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        let days = self.days();
        // `new` checked that these dates exist; fall back to the period itself rather than panic.
        let until = self.since.checked_sub(1.day()).unwrap_or(self.since);
        let since = self.since.checked_sub(days.days()).unwrap_or(self.since);
        Period { since, until }
    }

    /// Whether `day` falls in the period.
    pub fn contains(&self, day: Date) -> bool {
        self.since <= day && day <= self.until
    }

    /// Every day of the period, in order.
    pub fn dates(&self) -> impl Iterator<Item = Date> {
        let until = self.until;
        self.since.series(1.day()).take_while(move |d| *d <= until)
    }
}

/// A figure this period against the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub current: u64,
    pub previous: u64,
}

impl Change {
    /// Current minus previous.
    pub fn delta(&self) -> i64 {
        i64::try_from(self.current)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(self.previous).unwrap_or(i64::MAX))
    }

    /// The change in whole percent of the previous value; `None` when there was nothing before.
    pub fn percent(&self) -> Option<i64> {
        if self.previous == 0 {
            return None;
        }
        Some((self.delta() as f64 * 100.0 / self.previous as f64).round() as i64)
    }

    /// The change in words, for cards and embeds: `+12% (was 110)`, `no change`, `up from 0`.
    pub fn describe(&self) -> String {
        match (self.percent(), self.delta()) {
            (_, 0) => "no change".to_string(),
            (None, _) => "up from 0".to_string(),
            (Some(p), _) if p > 0 => format!("+{p}% (was {})", self.previous),
            (Some(p), _) => format!("{p}% (was {})", self.previous),
        }
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape {
            current: u64,
            previous: u64,
            change: i64,
            change_percent: Option<i64>,
        }
        Shape {
            current: self.current,
            previous: self.previous,
            change: self.delta(),
            change_percent: self.percent(),
        }
        .serialize(serializer)
    }
}

/// Questions on one day of the period, by outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    pub date: Date,
    pub questions: ByOutcome<u64>,
    pub total: u64,
}

/// An entry people asked about, with how many questions it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub entry: String,
    pub title: String,
    pub questions: u64,
}

/// An unanswered question fit to show: masked, and asked by enough people or confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unanswered {
    pub text: String,
    pub people: u64,
    pub asked: u64,
    pub confirmed: bool,
}

/// How people rated one entry in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Helpfulness {
    pub entry: String,
    pub title: String,
    pub up: u64,
    pub down: u64,
}

/// 👍 and 👎 over all entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VoteTotals {
    pub up: Change,
    pub down: Change,
}

/// What the bot did over a period, against the period before: the content of `report --html`,
/// `--json` and the weekly digest. Its JSON shape is a public interface: fields are only added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    pub period: Period,
    pub previous_period: Period,
    /// Every question, whatever the outcome.
    pub questions: Change,
    pub by_outcome: ByOutcome<Change>,
    pub by_channel: ByChannel<Change>,
    /// One element per day of the period, quiet days included.
    pub days: Vec<DayCounts>,
    /// The entries that answered most questions (answers and cautions), at most [`TOP_TOPICS`].
    pub top_topics: Vec<Topic>,
    /// At most [`TOP_UNANSWERED`], most askers first.
    pub top_unanswered: Vec<Unanswered>,
    /// Entries with at least [`MIN_VOTES`] votes and a 👎, most 👎 first, at most [`LEAST_HELPFUL`].
    pub least_helpful: Vec<Helpfulness>,
    pub votes: VoteTotals,
    pub tips_posted: Change,
}

impl UsageReport {
    /// Computes the report for `period` from the store's rows; `title_of` names entries (an id no
    /// longer in the knowledge base shows as itself).
    pub fn build(
        figures: &Figures,
        period: Period,
        title_of: impl Fn(&str) -> Option<String>,
    ) -> UsageReport {
        let previous = period.previous();
        let title = |id: &str| title_of(id).unwrap_or_else(|| id.to_string());

        let mut by_outcome = ByOutcome::<Change>::default();
        let mut by_channel = ByChannel::<Change>::default();
        let mut per_day: BTreeMap<Date, ByOutcome<u64>> =
            period.dates().map(|d| (d, ByOutcome::default())).collect();
        let mut per_topic: BTreeMap<&str, u64> = BTreeMap::new();
        for row in &figures.questions {
            let current = period.contains(row.day);
            if !current && !previous.contains(row.day) {
                continue;
            }
            bump(by_outcome.get_mut(row.outcome), current, row.questions);
            bump(by_channel.get_mut(row.channel), current, row.questions);
            if !current {
                continue;
            }
            if let Some(day) = per_day.get_mut(&row.day) {
                *day.get_mut(row.outcome) += row.questions;
            }
            if let (Some(entry), Outcome::Answer | Outcome::Caution) = (&row.entry, row.outcome) {
                *per_topic.entry(entry).or_default() += row.questions;
            }
        }
        let questions = Outcome::ALL
            .iter()
            .fold(Change::default(), |sum, &o| add(sum, *by_outcome.get(o)));

        let mut top_topics: Vec<Topic> = per_topic
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(entry, questions)| Topic {
                entry: entry.to_string(),
                title: title(entry),
                questions,
            })
            .collect();
        top_topics.sort_by(|a, b| b.questions.cmp(&a.questions).then(a.entry.cmp(&b.entry)));
        top_topics.truncate(TOP_TOPICS);

        let mut votes = VoteTotals::default();
        let mut per_entry_votes: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for row in &figures.votes {
            let current = period.contains(row.day);
            if !current && !previous.contains(row.day) {
                continue;
            }
            bump(&mut votes.up, current, row.up);
            bump(&mut votes.down, current, row.down);
            if current {
                let tally = per_entry_votes.entry(&row.entry).or_default();
                tally.0 += row.up;
                tally.1 += row.down;
            }
        }
        let mut least_helpful: Vec<Helpfulness> = per_entry_votes
            .into_iter()
            .filter(|&(_, (up, down))| down > 0 && up + down >= MIN_VOTES)
            .map(|(entry, (up, down))| Helpfulness {
                entry: entry.to_string(),
                title: title(entry),
                up,
                down,
            })
            .collect();
        // Most 👎 first; at equal 👎, the larger share of 👎 (fewer 👍) is the less helpful.
        least_helpful.sort_by(|a, b| {
            b.down
                .cmp(&a.down)
                .then(a.up.cmp(&b.up))
                .then(a.entry.cmp(&b.entry))
        });
        least_helpful.truncate(LEAST_HELPFUL);

        let mut tips_posted = Change::default();
        for row in &figures.tips {
            if period.contains(row.day) {
                bump(&mut tips_posted, true, row.posted);
            } else if previous.contains(row.day) {
                bump(&mut tips_posted, false, row.posted);
            }
        }

        UsageReport {
            period,
            previous_period: previous,
            questions,
            by_outcome,
            by_channel,
            days: per_day
                .into_iter()
                .map(|(date, questions)| DayCounts {
                    date,
                    total: questions.total(),
                    questions,
                })
                .collect(),
            top_topics,
            top_unanswered: shown_unanswered(&figures.unanswered),
            least_helpful,
            votes,
            tips_posted,
        }
    }

    /// Replies that showed the warning-signs card. Only the count is kept, never what was said.
    pub fn red_flag_replies(&self) -> Change {
        self.by_outcome.redflag
    }

    /// Questions that got an answer, with or without a caution.
    pub fn answered(&self) -> Change {
        add(self.by_outcome.answer, self.by_outcome.caution)
    }
}

fn bump(change: &mut Change, current: bool, n: u64) {
    let slot = if current {
        &mut change.current
    } else {
        &mut change.previous
    };
    *slot = slot.saturating_add(n);
}

fn add(a: Change, b: Change) -> Change {
    Change {
        current: a.current.saturating_add(b.current),
        previous: a.previous.saturating_add(b.previous),
    }
}

/// The unanswered questions a report shows: [`showable_unanswered`], at most [`TOP_UNANSWERED`].
fn shown_unanswered(rows: &[UnansweredRow]) -> Vec<Unanswered> {
    let mut shown = showable_unanswered(rows);
    shown.truncate(TOP_UNANSWERED);
    shown
}

/// Every unanswered question fit to show, most askers first. The text is masked again here:
/// rows stored before masking existed, or by an older version, must not leak through a report.
/// Texts that mask to the same words are merged; their askers are added up, which may count one
/// person twice, the price of not knowing who asked. Questions asked by fewer than
/// [`MIN_ASKERS`] people stay hidden until a curator confirms them.
pub fn showable_unanswered(rows: &[UnansweredRow]) -> Vec<Unanswered> {
    let (shown, _) = sort_unanswered(rows);
    shown
}

/// Unanswered questions still waiting for a curator: asked by fewer than [`MIN_ASKERS`] people
/// and not confirmed, masked, most asked first. What `hingebot report pending` lists.
pub fn pending_unanswered(rows: &[UnansweredRow]) -> Vec<Unanswered> {
    let (_, pending) = sort_unanswered(rows);
    pending
}

/// Merges rows by masked text, then splits them into (showable, pending).
fn sort_unanswered(rows: &[UnansweredRow]) -> (Vec<Unanswered>, Vec<Unanswered>) {
    let mut merged: BTreeMap<String, Unanswered> = BTreeMap::new();
    for row in rows {
        if row.text.trim().is_empty() {
            continue;
        }
        let text = crate::privacy::mask(&row.text);
        let item = merged.entry(text.clone()).or_insert(Unanswered {
            text,
            people: 0,
            asked: 0,
            confirmed: false,
        });
        item.people = item.people.saturating_add(row.people);
        item.asked = item.asked.saturating_add(row.asked);
        item.confirmed |= row.confirmed;
    }
    let (mut shown, mut pending): (Vec<Unanswered>, Vec<Unanswered>) = merged
        .into_values()
        .partition(|u| u.people >= MIN_ASKERS || u.confirmed);
    for list in [&mut shown, &mut pending] {
        list.sort_by(|a, b| {
            b.people
                .cmp(&a.people)
                .then(b.asked.cmp(&a.asked))
                .then(a.text.cmp(&b.text))
        });
    }
    (shown, pending)
}

/// Questions and votes for one entry on one day: a row of the CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDay {
    pub date: Date,
    /// `None` for questions that involved no entry (abstains), and for the placeholder row of a
    /// day without any activity.
    pub entry: Option<String>,
    pub title: Option<String>,
    pub by_outcome: ByOutcome<u64>,
    pub by_channel: ByChannel<u64>,
    pub votes_up: u64,
    pub votes_down: u64,
}

/// One row per entry per day of `period` that had questions or votes, ordered by date then entry
/// (no entry first); a day without any activity still gets one all-zero row, so every day shows.
pub fn entry_days(
    figures: &Figures,
    period: Period,
    title_of: impl Fn(&str) -> Option<String>,
) -> Vec<EntryDay> {
    let mut rows: BTreeMap<(Date, Option<&str>), EntryDay> = BTreeMap::new();
    let slot = |date: Date, entry: Option<&'_ str>| -> EntryDay {
        EntryDay {
            date,
            entry: entry.map(str::to_string),
            title: entry.and_then(&title_of),
            by_outcome: ByOutcome::default(),
            by_channel: ByChannel::default(),
            votes_up: 0,
            votes_down: 0,
        }
    };
    for q in figures.questions.iter().filter(|q| period.contains(q.day)) {
        let key = (q.day, q.entry.as_deref());
        let row = rows.entry(key).or_insert_with(|| slot(key.0, key.1));
        *row.by_outcome.get_mut(q.outcome) += q.questions;
        *row.by_channel.get_mut(q.channel) += q.questions;
    }
    for v in figures.votes.iter().filter(|v| period.contains(v.day)) {
        let key = (v.day, Some(v.entry.as_str()));
        let row = rows.entry(key).or_insert_with(|| slot(key.0, key.1));
        row.votes_up += v.up;
        row.votes_down += v.down;
    }
    let active: std::collections::BTreeSet<Date> = rows.keys().map(|&(date, _)| date).collect();
    for date in period.dates().filter(|d| !active.contains(d)) {
        rows.insert((date, None), slot(date, None));
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn q(day: Date, entry: Option<&str>, outcome: Outcome, n: u64) -> QuestionRow {
        QuestionRow {
            day,
            entry: entry.map(str::to_string),
            outcome,
            channel: ChannelKind::Mention,
            questions: n,
        }
    }

    fn week() -> Period {
        Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap()
    }

    fn titles(id: &str) -> Option<String> {
        match id {
            "wall-drill" => Some("The wall drill".to_string()),
            "red-flags" => Some("Warning signs".to_string()),
            _ => None,
        }
    }

    fn unanswered(text: &str, people: u64, confirmed: bool) -> UnansweredRow {
        UnansweredRow {
            text: text.to_string(),
            people,
            asked: people + 1,
            confirmed,
        }
    }

    #[test]
    fn outcome_and_channel_names_round_trip_and_match_json() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_name(o.name()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.name());
        }
        for c in ChannelKind::ALL {
            assert_eq!(ChannelKind::from_name(c.name()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.name());
        }
        assert_eq!(Outcome::from_name("red-flag"), None);
        assert_eq!(ChannelKind::from_name("safety_channel"), None);
    }

    #[test]
    fn a_period_has_a_previous_period_of_the_same_length_just_before_it() {
        let p = week();
        assert_eq!(p.days(), 7);
        assert_eq!(
            (p.previous().since(), p.previous().until()),
            (date(2026, 2, 23), date(2026, 3, 1))
        );
        assert_eq!(p.dates().count(), 7);
        assert_eq!(p.dates().last(), Some(date(2026, 3, 8)));
        assert_eq!(Period::ending(date(2026, 3, 8), 7), Ok(p));
        let one = Period::ending(date(2026, 1, 1), 1).unwrap();
        assert_eq!(
            (one.days(), one.previous().until()),
            (1, date(2025, 12, 31))
        );
    }

    #[test]
    fn impossible_periods_are_refused_with_a_reason() {
        assert!(matches!(
            Period::new(date(2026, 3, 8), date(2026, 3, 2)),
            Err(PeriodError::Reversed { .. })
        ));
        assert!(matches!(
            Period::ending(date(2026, 3, 8), 10_000),
            Err(PeriodError::TooLong { days: 10_000 })
        ));
        assert!(matches!(
            Period::ending(date(-9999, 1, 3), 7),
            Err(PeriodError::OutOfRange { .. })
        ));
    }

    #[test]
    fn totals_compare_with_the_previous_period_and_ignore_rows_outside_both() {
        let figures = Figures {
            questions: vec![
                q(date(2026, 3, 2), Some("wall-drill"), Outcome::Answer, 6),
                q(date(2026, 3, 3), None, Outcome::Abstain, 2),
                q(date(2026, 3, 8), Some("red-flags"), Outcome::RedFlag, 1),
                q(date(2026, 2, 25), Some("wall-drill"), Outcome::Answer, 4),
                q(date(2026, 2, 1), Some("wall-drill"), Outcome::Answer, 100),
                q(date(2026, 3, 9), Some("wall-drill"), Outcome::Answer, 100),
            ],
            tips: vec![
                TipRow {
                    day: date(2026, 3, 4),
                    posted: 3,
                },
                TipRow {
                    day: date(2026, 2, 24),
                    posted: 2,
                },
            ],
            ..Figures::default()
        };
        let r = UsageReport::build(&figures, week(), titles);
        assert_eq!(
            r.questions,
            Change {
                current: 9,
                previous: 4
            }
        );
        assert_eq!(r.questions.describe(), "+125% (was 4)");
        assert_eq!(r.answered().current, 6);
        assert_eq!(
            r.red_flag_replies(),
            Change {
                current: 1,
                previous: 0
            }
        );
        assert_eq!(r.by_channel.mention.current, 9);
        assert_eq!(r.by_channel.dm, Change::default());
        assert_eq!(
            r.tips_posted,
            Change {
                current: 3,
                previous: 2
            }
        );
    }

    #[test]
    fn every_day_of_the_period_has_a_stack_even_a_quiet_one() {
        let figures = Figures {
            questions: vec![
                q(date(2026, 3, 2), Some("wall-drill"), Outcome::Answer, 6),
                q(date(2026, 3, 2), Some("wall-drill"), Outcome::Caution, 1),
                q(date(2026, 3, 2), None, Outcome::Abstain, 2),
            ],
            ..Figures::default()
        };
        let r = UsageReport::build(&figures, week(), titles);
        assert_eq!(r.days.len(), 7);
        assert_eq!(r.days[0].date, date(2026, 3, 2));
        assert_eq!(
            (
                r.days[0].questions.answer,
                r.days[0].questions.caution,
                r.days[0].questions.abstain,
                r.days[0].total
            ),
            (6, 1, 2, 9)
        );
        assert!(r.days[1..].iter().all(|d| d.total == 0));
    }

    #[test]
    fn top_topics_count_answers_and_cautions_only_and_keep_five() {
        let mut questions: Vec<QuestionRow> = (1..=7)
            .map(|i| {
                q(
                    date(2026, 3, 3),
                    Some(&format!("entry-{i}")),
                    Outcome::Answer,
                    i,
                )
            })
            .collect();
        questions.push(q(date(2026, 3, 3), Some("wall-drill"), Outcome::Caution, 5));
        questions.push(q(date(2026, 3, 3), Some("wall-drill"), Outcome::Answer, 1));
        // Suggestions and warning cards are not what people were answered about.
        questions.push(q(date(2026, 3, 3), Some("entry-1"), Outcome::Suggest, 50));
        questions.push(q(date(2026, 3, 3), Some("red-flags"), Outcome::RedFlag, 50));
        let r = UsageReport::build(
            &Figures {
                questions,
                ..Figures::default()
            },
            week(),
            titles,
        );
        let top: Vec<(&str, &str, u64)> = r
            .top_topics
            .iter()
            .map(|t| (t.entry.as_str(), t.title.as_str(), t.questions))
            .collect();
        assert_eq!(
            top,
            vec![
                ("entry-7", "entry-7", 7),
                ("entry-6", "entry-6", 6),
                ("wall-drill", "The wall drill", 6),
                ("entry-5", "entry-5", 5),
                ("entry-4", "entry-4", 4),
            ]
        );
    }

    #[test]
    fn unanswered_questions_show_only_when_two_people_asked_or_a_curator_confirmed() {
        let figures = Figures {
            unanswered: vec![
                unanswered("kettlebell swing weight", 3, false),
                unanswered("my badge 12345 does not work", 1, false),
                unanswered("forklift licence renewal", 1, true),
                unanswered("asked twice by one person", 1, false),
                unanswered("call me on 07700 900123 please", 2, false),
                unanswered("  ", 5, false),
            ],
            ..Figures::default()
        };
        let r = UsageReport::build(&figures, week(), titles);
        let shown: Vec<(&str, u64, bool)> = r
            .top_unanswered
            .iter()
            .map(|u| (u.text.as_str(), u.people, u.confirmed))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("kettlebell swing weight", 3, false),
                ("call me on [phone] please", 2, false),
                ("forklift licence renewal", 1, true),
            ]
        );
    }

    #[test]
    fn least_helpful_entries_have_enough_votes_and_most_thumbs_down_first() {
        let vote = |entry: &str, up, down| VoteRow {
            day: date(2026, 3, 4),
            entry: entry.to_string(),
            up,
            down,
        };
        let figures = Figures {
            votes: vec![
                vote("wall-drill", 1, 4),
                vote("stance", 0, 2),
                vote("stance", 0, 2),
                vote("one-unlucky-vote", 0, 1),
                vote("loved", 9, 0),
                vote("mixed", 5, 4),
                VoteRow {
                    day: date(2026, 2, 26),
                    ..vote("old", 0, 9)
                },
            ],
            ..Figures::default()
        };
        let r = UsageReport::build(&figures, week(), titles);
        let least: Vec<(&str, u64, u64)> = r
            .least_helpful
            .iter()
            .map(|h| (h.entry.as_str(), h.up, h.down))
            .collect();
        assert_eq!(
            least,
            vec![("stance", 0, 4), ("wall-drill", 1, 4), ("mixed", 5, 4)]
        );
        assert_eq!(r.least_helpful[1].title, "The wall drill");
        assert_eq!(
            r.votes.down,
            Change {
                current: 13,
                previous: 9
            }
        );
    }

    #[test]
    fn changes_are_described_in_words() {
        let c = |current, previous| Change { current, previous }.describe();
        assert_eq!(c(5, 5), "no change");
        assert_eq!(c(0, 0), "no change");
        assert_eq!(c(3, 0), "up from 0");
        assert_eq!(c(0, 4), "-100% (was 4)");
        assert_eq!(c(2, 3), "-33% (was 3)");
        assert_eq!(c(u64::MAX, 0), "up from 0");
    }

    #[test]
    fn entry_days_give_one_row_per_entry_per_day_and_one_for_quiet_days() {
        let figures = Figures {
            questions: vec![
                q(date(2026, 3, 2), Some("wall-drill"), Outcome::Answer, 2),
                QuestionRow {
                    channel: ChannelKind::Dm,
                    ..q(date(2026, 3, 2), Some("wall-drill"), Outcome::Caution, 1)
                },
                q(date(2026, 3, 2), None, Outcome::Abstain, 4),
                q(date(2026, 2, 2), None, Outcome::Abstain, 4),
            ],
            votes: vec![VoteRow {
                day: date(2026, 3, 3),
                entry: "stance".to_string(),
                up: 1,
                down: 2,
            }],
            ..Figures::default()
        };
        let rows = entry_days(&figures, week(), titles);
        let keys: Vec<(String, Option<&str>)> = rows
            .iter()
            .map(|r| (r.date.to_string(), r.entry.as_deref()))
            .collect();
        assert_eq!(keys.len(), 2 + 1 + 5, "{keys:?}");
        assert_eq!(keys[0], ("2026-03-02".to_string(), None));
        assert_eq!(keys[1], ("2026-03-02".to_string(), Some("wall-drill")));
        assert_eq!(keys[2], ("2026-03-03".to_string(), Some("stance")));
        assert_eq!(keys[3], ("2026-03-04".to_string(), None));
        let wall = &rows[1];
        assert_eq!(wall.title.as_deref(), Some("The wall drill"));
        assert_eq!((wall.by_outcome.answer, wall.by_outcome.caution), (2, 1));
        assert_eq!((wall.by_channel.mention, wall.by_channel.dm), (2, 1));
        assert_eq!((rows[2].votes_up, rows[2].votes_down), (1, 2));
    }

    #[test]
    fn the_json_shape_is_stable() {
        let r = UsageReport::build(&Figures::default(), week(), titles);
        let v = serde_json::to_value(&r).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec![
                "by_channel",
                "by_outcome",
                "days",
                "least_helpful",
                "period",
                "previous_period",
                "questions",
                "tips_posted",
                "top_topics",
                "top_unanswered",
                "votes",
            ]
        );
        assert_eq!(v["period"]["since"], "2026-03-02");
        assert_eq!(
            v["questions"],
            serde_json::json!({"current": 0, "previous": 0, "change": 0, "change_percent": null})
        );
        let mut channels: Vec<&str> = v["by_channel"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        channels.sort_unstable();
        assert_eq!(channels, vec!["dm", "mention", "safety_channel", "slash"]);
        assert_eq!(
            v["days"][0],
            serde_json::json!({"date": "2026-03-02", "questions": {"answer": 0, "suggest": 0, "abstain": 0, "redflag": 0, "caution": 0}, "total": 0})
        );
    }
}
