//! `report --html`: the usage report as one self-contained page a safety manager can open
//! anywhere, phone included: inline CSS and SVG charts, no script, no fonts or images to fetch.
//!
//! A Content-Security-Policy in the page forbids every fetch and script, so a browser reports
//! anything that slips in. Every string from the data (entry ids, titles, unanswered questions) is
//! HTML-escaped; each chart has a title, a description and a data table next to it.

use super::{colour, period_text, shorten};
use crate::usage::{Change, DayCounts, Outcome, Topic, UsageReport, MIN_ASKERS, MIN_VOTES};
use std::fmt::{self, Display, Write};

/// The charts' drawing width in SVG units; they scale to the page width.
const VIEW_WIDTH: f64 = 360.0;
/// Topic titles longer than this are shortened in the chart (the table has them in full).
const TOPIC_LABEL_CHARS: usize = 48;

const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1b1b; --muted: #595959; --line: #d6d6d6; --card: #f2f4f7;
  --answer: #0072b2; --suggest: #56b4e9; --abstain: #999999; --redflag: #d55e00; --caution: #e69f00; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #141414; --fg: #ececec; --muted: #b0b0b0; --line: #444444; --card: #202226; --answer: #3d9bd9; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.45rem; margin: 0.25rem 0; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
p { margin: 0.4rem 0; }
.muted, .note { color: var(--muted); }
.note { font-size: 0.9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: 0.5rem; margin: 0; }
.card { background: var(--card); border-radius: 0.5rem; padding: 0.55rem 0.75rem; }
.card dt { font-size: 0.85rem; color: var(--muted); }
.card dd { margin: 0; }
.big { display: block; font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.delta { font-size: 0.85rem; color: var(--muted); }
figure { margin: 0.5rem 0; }
svg { display: block; width: 100%; height: auto; max-width: 36rem; }
svg text { fill: var(--fg); font-size: 12px; }
svg .tick { fill: var(--muted); font-size: 11px; }
.grid { stroke: var(--line); stroke-width: 1; }
.k-answer { fill: var(--answer); background: var(--answer); }
.k-suggest { fill: var(--suggest); background: var(--suggest); }
.k-abstain { fill: var(--abstain); background: var(--abstain); }
.k-redflag { fill: var(--redflag); background: var(--redflag); }
.k-caution { fill: var(--caution); background: var(--caution); }
.legend { list-style: none; padding: 0; margin: 0.25rem 0; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; font-size: 0.9rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; margin-right: 0.35rem; vertical-align: -0.05rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; padding: 0.2rem 0; }
th, td { text-align: left; padding: 0.3rem 0.4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.n { text-align: right; white-space: nowrap; }
details { margin: 0.4rem 0; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 2rem; padding-top: 0.75rem; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.85rem; }
"#;

/// The whole page.
pub fn render(report: &UsageReport) -> String {
    let mut page = String::with_capacity(32 * 1024);
    // Writing into a String cannot fail.
    let _ = write_page(&mut page, report);
    page
}

/// Text made safe to place in HTML content and attribute values.
struct Escaped<'a>(&'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

fn write_page(out: &mut String, r: &UsageReport) -> fmt::Result {
    let period = period_text(&r.period);
    writeln!(out, "<!doctype html>")?;
    writeln!(out, r#"<html lang="en">"#)?;
    writeln!(out, "<head>")?;
    writeln!(out, r#"<meta charset="utf-8">"#)?;
    writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
    )?;
    writeln!(
        out,
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">"#
    )?;
    writeln!(out, r#"<meta name="referrer" content="no-referrer">"#)?;
    writeln!(out, "<title>hingebot report: {}</title>", esc(&period))?;
    writeln!(out, "<style>{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<main>")?;
    writeln!(out, "<header>")?;
    writeln!(out, "<h1>hingebot usage report</h1>")?;
    writeln!(
        out,
        r#"<p class="muted">{} ({} days), compared with {}.</p>"#,
        esc(&period),
        r.period.days(),
        esc(&period_text(&r.previous_period))
    )?;
    writeln!(out, "</header>")?;
    write_cards(out, r)?;
    write_days(out, r)?;
    write_topics(out, &r.top_topics)?;
    write_unanswered(out, r)?;
    write_least_helpful(out, r)?;
    write_channels(out, r)?;
    writeln!(out, "<footer>")?;
    writeln!(
        out,
        "<p>Counts only: hingebot keeps no user ids and no message text, except unanswered \
         questions, which are stored masked (e-mail addresses, phone numbers, ids, mentions and \
         links replaced) and shown here only once {MIN_ASKERS} or more people asked them or a \
         curator confirmed them. Warning-sign replies are counted, never recorded.</p>"
    )?;
    writeln!(
        out,
        "<p>hingebot {}. {}</p>",
        env!("CARGO_PKG_VERSION"),
        esc(crate::DISCLAIMER)
    )?;
    writeln!(out, "</footer>")?;
    writeln!(out, "</main>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

fn write_cards(out: &mut String, r: &UsageReport) -> fmt::Result {
    let cards: [(&str, Change); 8] = [
        ("Questions", r.questions),
        ("Answered", r.answered()),
        ("Did you mean", r.by_outcome.suggest),
        ("Not answered", r.by_outcome.abstain),
        ("Warning-sign replies", r.red_flag_replies()),
        ("Tips posted", r.tips_posted),
        ("Helpful votes", r.votes.up),
        ("Not helpful votes", r.votes.down),
    ];
    writeln!(out, r#"<section aria-labelledby="glance">"#)?;
    writeln!(out, r#"<h2 id="glance">At a glance</h2>"#)?;
    writeln!(out, r#"<dl class="cards">"#)?;
    for (name, change) in cards {
        writeln!(
            out,
            r#"<div class="card"><dt>{}</dt><dd><span class="big">{}</span> <span class="delta">{}</span></dd></div>"#,
            esc(name),
            change.current,
            esc(&change.describe())
        )?;
    }
    writeln!(out, "</dl>")?;
    writeln!(out, "</section>")
}

/// A round axis maximum at or above `max`, and its step: four or five gridlines.
fn axis(max: u64) -> (u64, u64) {
    let mut magnitude = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if max.div_ceil(step.max(1)) <= 5 {
                let top = max.div_ceil(step).max(1).saturating_mul(step);
                return (top, step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

fn short_day(date: jiff::civil::Date) -> String {
    date.strftime("%a %-d %b").to_string()
}

fn write_days(out: &mut String, r: &UsageReport) -> fmt::Result {
    writeln!(out, r#"<section aria-labelledby="per-day">"#)?;
    writeln!(out, r#"<h2 id="per-day">Questions per day</h2>"#)?;
    writeln!(out, "<figure>")?;
    write_days_chart(out, &r.days)?;
    writeln!(out, "<figcaption>")?;
    writeln!(out, r#"<ul class="legend">"#)?;
    for outcome in Outcome::ALL {
        writeln!(
            out,
            r#"<li><span class="swatch k-{}" aria-hidden="true"></span>{}</li>"#,
            outcome.name(),
            esc(outcome.label())
        )?;
    }
    writeln!(out, "</ul>")?;
    writeln!(out, "</figcaption>")?;
    writeln!(out, "</figure>")?;
    writeln!(out, "<details>")?;
    writeln!(out, "<summary>Questions per day as a table</summary>")?;
    writeln!(out, r#"<div class="table-wrap"><table>"#)?;
    writeln!(
        out,
        "<caption>Questions per day by reply kind, {}</caption>",
        esc(&period_text(&r.period))
    )?;
    write!(out, r#"<thead><tr><th scope="col">Day</th>"#)?;
    for outcome in Outcome::ALL {
        write!(
            out,
            r#"<th scope="col" class="n">{}</th>"#,
            esc(outcome.label())
        )?;
    }
    writeln!(out, r#"<th scope="col" class="n">Total</th></tr></thead>"#)?;
    writeln!(out, "<tbody>")?;
    for day in &r.days {
        write!(
            out,
            r#"<tr><th scope="row">{}</th>"#,
            esc(&short_day(day.date))
        )?;
        for outcome in Outcome::ALL {
            write!(out, r#"<td class="n">{}</td>"#, day.questions.get(outcome))?;
        }
        writeln!(out, r#"<td class="n">{}</td></tr>"#, day.total)?;
    }
    writeln!(out, "</tbody></table></div>")?;
    writeln!(out, "</details>")?;
    writeln!(out, "</section>")
}

fn write_days_chart(out: &mut String, days: &[DayCounts]) -> fmt::Result {
    const HEIGHT: f64 = 210.0;
    const LEFT: f64 = 30.0;
    const RIGHT: f64 = 6.0;
    const TOP: f64 = 8.0;
    const BOTTOM: f64 = 34.0;
    let plot_w = VIEW_WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let busiest = days
        .iter()
        .max_by_key(|d| (d.total, std::cmp::Reverse(d.date)));
    let max = busiest.map_or(0, |d| d.total);
    let total: u64 = days.iter().map(|d| d.total).sum();
    let (top, step) = axis(max);
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;

    writeln!(
        out,
        r#"<svg role="img" aria-labelledby="days-title days-desc" viewBox="0 0 {VIEW_WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">"#
    )?;
    writeln!(
        out,
        r#"<title id="days-title">Questions per day, stacked by reply kind</title>"#
    )?;
    let description = match busiest {
        Some(d) if max > 0 => format!(
            "{total} questions over {} days; the busiest day was {} with {max}.",
            days.len(),
            short_day(d.date)
        ),
        _ => format!("No questions over {} days.", days.len()),
    };
    writeln!(out, r#"<desc id="days-desc">{}</desc>"#, esc(&description))?;
    let mut v = 0;
    while v <= top {
        let gy = y(v);
        writeln!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{gy:.1}" y2="{gy:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"#,
            VIEW_WIDTH - RIGHT,
            LEFT - 4.0,
            gy + 3.5
        )?;
        match v.checked_add(step) {
            Some(next) => v = next,
            None => break,
        }
    }
    let band = plot_w / days.len().max(1) as f64;
    let bar = (band * 0.7).max(1.0);
    // A week or so: every day, weekday and date. Longer: about seven evenly spaced dates.
    let two_lines = days.len() <= 8;
    let label_every = if two_lines { 1 } else { days.len().div_ceil(7) };
    for (i, day) in days.iter().enumerate() {
        let x = LEFT + band * i as f64 + (band - bar) / 2.0;
        let mut base = 0;
        for outcome in Outcome::ALL {
            let n = *day.questions.get(outcome);
            if n == 0 {
                continue;
            }
            let (y0, y1) = (y(base), y(base + n));
            writeln!(
                out,
                r#"<rect class="k-{}" x="{x:.1}" y="{y1:.1}" width="{bar:.1}" height="{:.1}"><title>{}: {n} {}</title></rect>"#,
                outcome.name(),
                (y0 - y1).max(0.5),
                esc(&short_day(day.date)),
                esc(&outcome.label().to_lowercase())
            )?;
            base += n;
        }
        if i % label_every == 0 {
            let cx = LEFT + band * (i as f64 + 0.5);
            let label_y = TOP + plot_h + 13.0;
            if two_lines {
                writeln!(
                    out,
                    r#"<text class="tick" x="{cx:.1}" y="{label_y:.1}" text-anchor="middle">{}</text><text class="tick" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    day.date.strftime("%a"),
                    label_y + 12.0,
                    day.date.strftime("%-d %b")
                )?;
            } else {
                writeln!(
                    out,
                    r#"<text class="tick" x="{cx:.1}" y="{label_y:.1}" text-anchor="middle">{}</text>"#,
                    day.date.strftime("%-d %b")
                )?;
            }
        }
    }
    if max == 0 {
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">No questions in this period</text>"#,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        )?;
    }
    writeln!(out, "</svg>")
}

fn write_topics(out: &mut String, topics: &[Topic]) -> fmt::Result {
    writeln!(out, r#"<section aria-labelledby="topics">"#)?;
    writeln!(out, r#"<h2 id="topics">Top topics</h2>"#)?;
    if topics.is_empty() {
        writeln!(
            out,
            r#"<p class="note">No questions were answered in this period.</p>"#
        )?;
        return writeln!(out, "</section>");
    }
    const ROW: f64 = 32.0;
    let height = ROW * topics.len() as f64 + 4.0;
    let max = topics.iter().map(|t| t.questions).max().unwrap_or(1).max(1);
    let (r, g, b) = colour(Outcome::Answer);
    writeln!(out, "<figure>")?;
    writeln!(
        out,
        r#"<svg role="img" aria-labelledby="topics-title topics-desc" viewBox="0 0 {VIEW_WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">"#
    )?;
    writeln!(
        out,
        r#"<title id="topics-title">Top topics by questions answered</title>"#
    )?;
    let summary = topics
        .iter()
        .map(|t| format!("{}: {}", t.title, t.questions))
        .collect::<Vec<_>>()
        .join("; ");
    writeln!(out, r#"<desc id="topics-desc">{}</desc>"#, esc(&summary))?;
    let bar_space = VIEW_WIDTH - 40.0;
    for (i, topic) in topics.iter().enumerate() {
        let top = ROW * i as f64 + 2.0;
        let width = (bar_space * topic.questions as f64 / max as f64).max(1.0);
        writeln!(
            out,
            r#"<text x="0" y="{:.1}">{}</text>"#,
            top + 10.0,
            esc(&shorten(&topic.title, TOPIC_LABEL_CHARS))
        )?;
        writeln!(
            out,
            r#"<rect x="0" y="{:.1}" width="{width:.1}" height="12" fill="rgb({r},{g},{b})" class="k-answer"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}">{}</text>"#,
            top + 15.0,
            esc(&topic.title),
            topic.questions,
            width + 4.0,
            top + 25.0,
            topic.questions
        )?;
    }
    writeln!(out, "</svg>")?;
    writeln!(out, "</figure>")?;
    writeln!(out, "<details>")?;
    writeln!(out, "<summary>Top topics as a table</summary>")?;
    writeln!(out, r#"<div class="table-wrap"><table>"#)?;
    writeln!(
        out,
        r#"<thead><tr><th scope="col">Topic</th><th scope="col">Entry id</th><th scope="col" class="n">Questions answered</th></tr></thead><tbody>"#
    )?;
    for topic in topics {
        writeln!(
            out,
            r#"<tr><th scope="row">{}</th><td><code>{}</code></td><td class="n">{}</td></tr>"#,
            esc(&topic.title),
            esc(&topic.entry),
            topic.questions
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    writeln!(out, "</details>")?;
    writeln!(out, "</section>")
}

fn write_unanswered(out: &mut String, r: &UsageReport) -> fmt::Result {
    writeln!(out, r#"<section aria-labelledby="unanswered">"#)?;
    writeln!(
        out,
        r#"<h2 id="unanswered">Questions it could not answer</h2>"#
    )?;
    if r.top_unanswered.is_empty() {
        writeln!(
            out,
            r#"<p class="note">None asked by {MIN_ASKERS} or more people, and none confirmed by a curator.</p>"#
        )?;
        return writeln!(out, "</section>");
    }
    writeln!(
        out,
        r#"<p class="note">Candidates for new knowledge-base entries. Shown once {MIN_ASKERS} or more people asked, or a curator confirmed the text holds no personal data.</p>"#
    )?;
    writeln!(out, r#"<div class="table-wrap"><table>"#)?;
    writeln!(
        out,
        r#"<thead><tr><th scope="col">Question (normalized, masked)</th><th scope="col" class="n">People</th><th scope="col" class="n">Times</th></tr></thead><tbody>"#
    )?;
    for u in &r.top_unanswered {
        let confirmed = if u.confirmed {
            r#" <span class="muted">(confirmed)</span>"#
        } else {
            ""
        };
        writeln!(
            out,
            r#"<tr><td>{}{confirmed}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            esc(&u.text),
            u.people,
            u.asked
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    writeln!(out, "</section>")
}

fn write_least_helpful(out: &mut String, r: &UsageReport) -> fmt::Result {
    writeln!(out, r#"<section aria-labelledby="least-helpful">"#)?;
    writeln!(out, r#"<h2 id="least-helpful">Least helpful answers</h2>"#)?;
    if r.least_helpful.is_empty() {
        writeln!(
            out,
            r#"<p class="note">No entry had {MIN_VOTES} or more votes including a "not helpful" in this period.</p>"#
        )?;
        return writeln!(out, "</section>");
    }
    writeln!(out, r#"<div class="table-wrap"><table>"#)?;
    writeln!(
        out,
        r#"<thead><tr><th scope="col">Entry</th><th scope="col" class="n">Helpful</th><th scope="col" class="n">Not helpful</th></tr></thead><tbody>"#
    )?;
    for h in &r.least_helpful {
        writeln!(
            out,
            r#"<tr><th scope="row">{} <span class="muted"><code>{}</code></span></th><td class="n">{}</td><td class="n">{}</td></tr>"#,
            esc(&h.title),
            esc(&h.entry),
            h.up,
            h.down
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    writeln!(out, "</section>")
}

fn write_channels(out: &mut String, r: &UsageReport) -> fmt::Result {
    writeln!(out, r#"<section aria-labelledby="channels">"#)?;
    writeln!(out, r#"<h2 id="channels">Where people asked</h2>"#)?;
    writeln!(out, r#"<div class="table-wrap"><table>"#)?;
    writeln!(
        out,
        r#"<thead><tr><th scope="col">Channel</th><th scope="col" class="n">This period</th><th scope="col" class="n">Previous</th></tr></thead><tbody>"#
    )?;
    for channel in crate::usage::ChannelKind::ALL {
        let c = r.by_channel.get(channel);
        writeln!(
            out,
            r#"<tr><th scope="row">{}</th><td class="n">{}</td><td class="n">{}</td></tr>"#,
            esc(channel.label()),
            c.current,
            c.previous
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    writeln!(out, "</section>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{ChannelKind, Figures, Period, QuestionRow, UnansweredRow, VoteRow};
    use jiff::civil::date;

    fn week() -> Period {
        Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap()
    }

    fn figures() -> Figures {
        let q = |day: i8, entry: &str, outcome: Outcome, n: u64| QuestionRow {
            day: date(2026, 3, day),
            entry: Some(entry.to_string()),
            outcome,
            channel: ChannelKind::SafetyChannel,
            questions: n,
        };
        Figures {
            questions: vec![
                q(2, "wall-drill", Outcome::Answer, 5),
                q(2, "stance", Outcome::Caution, 2),
                q(4, "stance", Outcome::Answer, 3),
                q(8, "red-flags", Outcome::RedFlag, 1),
            ],
            votes: vec![VoteRow {
                day: date(2026, 3, 3),
                entry: "stance".to_string(),
                up: 1,
                down: 3,
            }],
            unanswered: vec![UnansweredRow {
                text: "<script>alert(\"x\")</script> & 'quotes'".to_string(),
                people: 2,
                asked: 2,
                confirmed: false,
            }],
            ..Figures::default()
        }
    }

    fn titles(id: &str) -> Option<String> {
        match id {
            "wall-drill" => Some("The wall drill <for> \"beginners\"".to_string()),
            "stance" => Some("Stance & feet".to_string()),
            _ => None,
        }
    }

    fn page() -> String {
        render(&UsageReport::build(&figures(), week(), titles))
    }

    #[test]
    fn every_string_from_the_data_is_escaped() {
        let html = page();
        assert!(
            html.contains(
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"
            ),
            "{html}"
        );
        assert!(html.contains("The wall drill &lt;for&gt; &quot;beginners&quot;"));
        assert!(html.contains("Stance &amp; feet"));
        assert!(!html.contains("<script"), "no script of any kind");
        assert!(!html.contains("<for>"));
    }

    #[test]
    fn the_page_fetches_nothing_and_fits_a_phone() {
        let html = page();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html
            .contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
        assert!(html.contains("default-src 'none'"));
        for external in ["src=", "href=", "url(", "@import", "@font-face"] {
            assert!(!html.contains(external), "{external} in the page");
        }
    }

    #[test]
    fn charts_have_titles_descriptions_and_data_tables() {
        let html = page();
        assert_eq!(html.matches(r#"<svg role="img""#).count(), 2);
        assert!(html.contains(
            r#"<title id="days-title">Questions per day, stacked by reply kind</title>"#
        ));
        assert!(html.contains("11 questions over 7 days; the busiest day was Mon 2 Mar with 7."));
        assert!(html.contains("<summary>Questions per day as a table</summary>"));
        assert!(html.contains(r#"<tr><th scope="row">Mon 2 Mar</th><td class="n">5</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">2</td><td class="n">7</td></tr>"#), "{html}");
        assert!(html.contains("<title>Mon 2 Mar: 2 answered with a caution</title>"));
        assert!(html.contains("<title>Stance &amp; feet: 5</title>"));
    }

    #[test]
    fn stacked_bars_are_as_tall_as_their_day() {
        let html = page();
        // Mon: 7 questions on an axis of 8 (steps of 2): 5 answered then 2 cautions on top.
        let heights: Vec<f64> = html
            .lines()
            .filter(|l| l.contains("<title>Mon 2 Mar:"))
            .filter_map(|l| l.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(heights.len(), 2);
        let plot = 210.0 - 8.0 - 34.0;
        assert!((heights[0] - plot * 5.0 / 8.0).abs() < 0.1, "{heights:?}");
        assert!((heights[1] - plot * 2.0 / 8.0).abs() < 0.1, "{heights:?}");
    }

    #[test]
    fn the_cards_compare_with_the_previous_period() {
        let html = page();
        assert!(html.contains(r#"<dt>Questions</dt><dd><span class="big">11</span> <span class="delta">up from 0</span>"#), "{html}");
        assert!(html.contains(r#"<dt>Warning-sign replies</dt><dd><span class="big">1</span>"#));
    }

    #[test]
    fn an_empty_period_says_so_instead_of_drawing_nothing() {
        let html = render(&UsageReport::build(&Figures::default(), week(), titles));
        assert!(html.contains("No questions in this period"));
        assert!(html.contains("No questions were answered in this period."));
        assert!(html.contains("None asked by 2 or more people"));
        assert!(html.contains("No entry had 3 or more votes"));
    }

    #[test]
    fn a_long_period_labels_about_seven_days() {
        let month = Period::new(date(2026, 2, 7), date(2026, 3, 8)).unwrap();
        let html = render(&UsageReport::build(&figures(), month, titles));
        let labels = html.matches(r#"text-anchor="middle">"#).count();
        assert_eq!(labels, 6, "every 5th of 30 days");
        assert!(html.contains(r#"text-anchor="middle">7 Feb</text>"#));
        let week = page();
        assert_eq!(
            week.matches(r#"text-anchor="middle">"#).count(),
            14,
            "weekday and date"
        );
    }

    #[test]
    fn axes_end_on_a_round_number() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(3), (3, 1));
        assert_eq!(axis(7), (8, 2));
        assert_eq!(axis(11), (15, 5));
        assert_eq!(axis(48), (50, 10));
        assert_eq!(axis(1234), (1500, 500));
        assert_eq!(axis(u64::MAX).0, u64::MAX);
    }
}
