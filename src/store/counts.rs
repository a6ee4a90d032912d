//! Usage counts and unanswered questions as both backends store them: rows of plain text and
//! integers, turned into the [`crate::usage`] row types the report is built from.

use super::StoreError;
use crate::usage::{ChannelKind, Outcome, QuestionRow, TipRow, UnansweredRow, VoteRow};
use jiff::civil::Date;

/// How many rows a retention purge deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Daily count rows (one per day, entry, reply kind and channel kind).
    pub usage_rows: u64,
    pub unanswered: u64,
    pub votes: u64,
}

impl Purged {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.usage_rows + self.unanswered + self.votes
    }
}

/// The stored form of "no entry" in `usage_counts.entry_id` (part of the primary key, so not NULL).
pub(crate) const NO_ENTRY: &str = "";

pub(crate) fn entry_to_sql(entry: Option<&str>) -> &str {
    entry.unwrap_or(NO_ENTRY)
}

pub(crate) fn parse_day(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("`{text}` is not a local date: {e}")))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `SELECT day, entry_id, outcome, channel, questions FROM usage_counts`.
pub(crate) fn question_row(
    day: &str,
    entry: String,
    outcome: &str,
    channel: &str,
    questions: i64,
) -> Result<QuestionRow, StoreError> {
    Ok(QuestionRow {
        day: parse_day(day)?,
        entry: (entry != NO_ENTRY).then_some(entry),
        outcome: Outcome::from_name(outcome).ok_or_else(|| {
            StoreError::Corrupt(format!("usage_counts: unknown outcome `{outcome}`"))
        })?,
        channel: ChannelKind::from_name(channel).ok_or_else(|| {
            StoreError::Corrupt(format!("usage_counts: unknown channel kind `{channel}`"))
        })?,
        questions: count(questions),
    })
}

/// `SELECT day, entry_id, SUM(up), SUM(down) FROM feedback GROUP BY day, entry_id`.
pub(crate) fn vote_row(
    day: &str,
    entry: String,
    up: i64,
    down: i64,
) -> Result<VoteRow, StoreError> {
    Ok(VoteRow {
        day: parse_day(day)?,
        entry,
        up: count(up),
        down: count(down),
    })
}

/// `SELECT local_date, COUNT(*) FROM tip_posts WHERE sent_at IS NOT NULL GROUP BY local_date`.
pub(crate) fn tip_row(day: &str, posted: i64) -> Result<TipRow, StoreError> {
    Ok(TipRow {
        day: parse_day(day)?,
        posted: count(posted),
    })
}

/// `SELECT text, COUNT(DISTINCT asker), COUNT(*), MAX(confirmed) FROM unanswered GROUP BY text`.
pub(crate) fn unanswered_row(
    text: String,
    people: i64,
    asked: i64,
    confirmed: i64,
) -> UnansweredRow {
    UnansweredRow {
        text,
        people: count(people),
        asked: count(asked),
        confirmed: confirmed > 0,
    }
}

/// The unanswered-question query both backends run (`?1`/`$1` … `?2`/`$2`: the first and last day).
/// Askers are counted per question; rows without one (stored before askers were) count nobody.
pub(crate) fn unanswered_query(first: &str, last: &str) -> String {
    format!(
        "SELECT u.text, COUNT(DISTINCT u.asker), COUNT(*),
                CAST(MAX(CASE WHEN c.text IS NULL THEN 0 ELSE 1 END) AS BIGINT)
         FROM unanswered u LEFT JOIN unanswered_confirmed c ON c.text = u.text
         WHERE u.day BETWEEN {first} AND {last}
         GROUP BY u.text"
    )
}
