//! `report --csv`: the period's counts for spreadsheets, one row per entry per day.
//!
//! Columns (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break):
//!
//! | column | meaning |
//! |---|---|
//! | `date` | local date, `YYYY-MM-DD` |
//! | `entry` | knowledge-base entry id; empty for questions that involved no entry (not answered), and for the one all-zero row of a day without activity |
//! | `title` | the entry's title today (empty when the entry is gone or there is none) |
//! | `questions` | all questions on that day for that entry: the sum of the five outcome columns, and of the four channel columns |
//! | `answer`, `suggest`, `abstain`, `redflag`, `caution` | questions by reply kind; an answer shown with a caution counts as `caution` only; a "did you mean" counts for the first entry offered |
//! | `dm`, `mention`, `safety_channel`, `slash` | the same questions by where they were asked |
//! | `votes_up`, `votes_down` | 👍 and 👎 given that day on replies showing the entry |
//!
//! No column holds user-written text: ids and titles come from the curated knowledge base, so
//! no field can smuggle a spreadsheet formula in from a user.

use crate::usage::{ChannelKind, EntryDay, Outcome};
use std::borrow::Cow;
use std::fmt::Write;

/// The header line, without its line end.
pub const HEADER: &str = "date,entry,title,questions,answer,suggest,abstain,redflag,caution,dm,mention,safety_channel,slash,votes_up,votes_down";

/// The CSV file for `rows` (from [`crate::usage::entry_days`]).
pub fn render(rows: &[EntryDay]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(HEADER);
    out.push_str("\r\n");
    for row in rows {
        let mut fields: Vec<Cow<'_, str>> = vec![
            Cow::Owned(row.date.to_string()),
            quoted(row.entry.as_deref().unwrap_or_default()),
            quoted(row.title.as_deref().unwrap_or_default()),
            Cow::Owned(row.by_outcome.total().to_string()),
        ];
        fields.extend(
            Outcome::ALL
                .iter()
                .map(|&o| Cow::Owned(row.by_outcome.get(o).to_string())),
        );
        fields.extend(
            ChannelKind::ALL
                .iter()
                .map(|&c| Cow::Owned(row.by_channel.get(c).to_string())),
        );
        fields.push(Cow::Owned(row.votes_up.to_string()));
        fields.push(Cow::Owned(row.votes_down.to_string()));
        // Writing into a String cannot fail.
        let _ = write!(out, "{}\r\n", fields.join(","));
    }
    out
}

/// A field as RFC 4180 wants it: quoted (inner quotes doubled) when it holds a comma, a quote, a
/// line break, or spaces at either end that a spreadsheet would otherwise trim.
fn quoted(field: &str) -> Cow<'_, str> {
    let needs_quotes =
        field.contains([',', '"', '\r', '\n']) || field.starts_with(' ') || field.ends_with(' ');
    if needs_quotes {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{entry_days, Figures, Period, QuestionRow, VoteRow};
    use jiff::civil::date;

    /// Splits one CSV record (without its line end) the way a spreadsheet reads it.
    fn parse_record(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(String::new()),
                (c, _) => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(quoted("wall-drill"), "wall-drill");
        assert_eq!(quoted("Stance, feet"), "\"Stance, feet\"");
        assert_eq!(quoted("The \"wall\" drill"), "\"The \"\"wall\"\" drill\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
        assert_eq!(quoted(" padded"), "\" padded\"");
        assert_eq!(quoted(""), "");
    }

    #[test]
    fn one_row_per_entry_per_day_with_a_header_and_crlf_line_ends() {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 3)).unwrap();
        let figures = Figures {
            questions: vec![
                QuestionRow {
                    day: date(2026, 3, 2),
                    entry: Some("lift".to_string()),
                    outcome: Outcome::Caution,
                    channel: ChannelKind::SafetyChannel,
                    questions: 4,
                },
                QuestionRow {
                    day: date(2026, 3, 2),
                    entry: Some("lift".to_string()),
                    outcome: Outcome::Answer,
                    channel: ChannelKind::Slash,
                    questions: 1,
                },
            ],
            votes: vec![VoteRow {
                day: date(2026, 3, 2),
                entry: "lift".to_string(),
                up: 2,
                down: 1,
            }],
            ..Figures::default()
        };
        let rows = entry_days(&figures, week, |_| {
            Some("Lifting \"heavy\", awkward loads".to_string())
        });
        let csv = render(&rows);
        let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 3, "{csv:?}");
        assert!(!csv.replace("\r\n", "").contains('\n'));
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "2026-03-02,lift,\"Lifting \"\"heavy\"\", awkward loads\",5,1,0,0,0,4,0,0,4,1,2,1"
        );
        assert_eq!(lines[2], "2026-03-03,,,0,0,0,0,0,0,0,0,0,0,0,0");
        let header = parse_record(lines[0]);
        let record = parse_record(lines[1]);
        assert_eq!(header.len(), record.len());
        assert_eq!(record[2], "Lifting \"heavy\", awkward loads");
    }
}
