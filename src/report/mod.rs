//! The usage report's renderers: a self-contained HTML page, CSV for spreadsheets, the PNG chart
//! and the content of the weekly Discord digest. All pure: a [`UsageReport`](crate::usage::UsageReport) in, text or bytes out.

pub mod chart;
pub mod csv;
pub mod digest;
pub mod html;

use crate::usage::{Outcome, Period};

/// Each outcome's colour in charts, as RGB: the Okabe–Ito palette, told apart with any colour vision.
pub(crate) fn colour(outcome: Outcome) -> (u8, u8, u8) {
    match outcome {
        Outcome::Answer => (0x00, 0x72, 0xb2),
        Outcome::Suggest => (0x56, 0xb4, 0xe9),
        Outcome::Abstain => (0x99, 0x99, 0x99),
        Outcome::RedFlag => (0xd5, 0x5e, 0x00),
        Outcome::Caution => (0xe6, 0x9f, 0x00),
    }
}

/// A period for people: `2 Mar 2026 – 8 Mar 2026`, or `8 Mar 2026` for a single day.
pub(crate) fn period_text(period: &Period) -> String {
    let day = |d: jiff::civil::Date| d.strftime("%-d %b %Y").to_string();
    if period.since() == period.until() {
        day(period.until())
    } else {
        format!("{} – {}", day(period.since()), day(period.until()))
    }
}

/// Shortens `text` to at most `max` characters, ending with `…` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods_read_as_dates() {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
        assert_eq!(period_text(&week), "2 Mar 2026 – 8 Mar 2026");
        let day = Period::new(date(2026, 3, 8), date(2026, 3, 8)).unwrap();
        assert_eq!(period_text(&day), "8 Mar 2026");
    }

    #[test]
    fn long_text_is_shortened_on_a_character_boundary() {
        assert_eq!(shorten("lift", 10), "lift");
        assert_eq!(shorten("lift with the hips", 10), "lift with…");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }
}
