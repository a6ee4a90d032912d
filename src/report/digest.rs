//! The weekly digest's content for the curators' channel, as plain data: the Discord adapter turns
//! a [`DigestCard`] into an embed with buttons and attaches the [`chart`](super::chart).
//!
//! Each unanswered question carries a "copy as KB stub" action id; clicking it answers with
//! [`kb_stub`], a TOML entry skeleton a curator pastes into the knowledge base and completes.

use super::{period_text, shorten};
use crate::knowledge::Category;
use crate::usage::{Change, Helpfulness, Period, Topic, UsageReport};

/// The custom-id prefix of the "copy as KB stub" button; the question's [`question_key`] follows.
pub const KB_STUB_ACTION_PREFIX: &str = "hb:kbstub:";
/// How many unanswered questions the digest lists.
pub const DIGEST_UNANSWERED: usize = 5;
/// Unanswered questions are shortened to this many characters in the card (the stub keeps them whole).
const QUESTION_CHARS: usize = 200;

/// One figure of the week against the week before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestFigure {
    pub name: &'static str,
    pub this_week: u64,
    pub last_week: u64,
    /// The change in words: `+12% (was 110)`, `no change`, `up from 0`.
    pub change: String,
}

/// An unanswered question as the digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestQuestion {
    /// Masked, normalized, shortened for the card.
    pub text: String,
    pub people: u64,
    /// The custom id of its "copy as KB stub" button.
    pub stub_action: String,
}

/// Everything the weekly digest shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCard {
    pub title: String,
    pub period: Period,
    /// Questions and votes, this week against last week.
    pub figures: Vec<DigestFigure>,
    pub top_topics: Vec<Topic>,
    pub top_unanswered: Vec<DigestQuestion>,
    /// Replies that showed the warning-signs card: a count, never what was said.
    pub red_flag_replies: DigestFigure,
    pub least_helpful: Vec<Helpfulness>,
    pub tips_posted: DigestFigure,
    /// A file name for the chart attachment: `hingebot-week-2026-03-08.png`.
    pub chart_file_name: String,
}

fn figure(name: &'static str, change: Change) -> DigestFigure {
    DigestFigure {
        name,
        this_week: change.current,
        last_week: change.previous,
        change: change.describe(),
    }
}

impl DigestCard {
    /// The digest for a report (normally over the seven days before the post).
    pub fn new(report: &UsageReport) -> DigestCard {
        DigestCard {
            title: format!("Weekly hingebot digest: {}", period_text(&report.period)),
            period: report.period,
            figures: vec![
                figure("Questions", report.questions),
                figure("Answered", report.answered()),
                figure("Did you mean", report.by_outcome.suggest),
                figure("Not answered", report.by_outcome.abstain),
                figure("Helpful votes 👍", report.votes.up),
                figure("Not helpful votes 👎", report.votes.down),
            ],
            top_topics: report.top_topics.clone(),
            top_unanswered: report
                .top_unanswered
                .iter()
                .take(DIGEST_UNANSWERED)
                .map(|u| DigestQuestion {
                    text: shorten(&u.text, QUESTION_CHARS),
                    people: u.people,
                    stub_action: kb_stub_action(&u.text),
                })
                .collect(),
            red_flag_replies: figure("Warning-sign replies", report.red_flag_replies()),
            least_helpful: report.least_helpful.clone(),
            tips_posted: figure("Tips posted", report.tips_posted),
            chart_file_name: format!("hingebot-week-{}.png", report.period.until()),
        }
    }
}

/// A stable key for a question's text (64-bit FNV-1a, in hex): short enough for a button's
/// custom id, and the same in every build, so a button posted last week still resolves.
pub fn question_key(question: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in question.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The custom id of the "copy as KB stub" button for `question`.
pub fn kb_stub_action(question: &str) -> String {
    kb_stub_action_for_key(&question_key(question))
}

/// The custom id of the "copy as KB stub" button for a question's [`question_key`].
pub fn kb_stub_action_for_key(key: &str) -> String {
    format!("{KB_STUB_ACTION_PREFIX}{key}")
}

/// The question key in a "copy as KB stub" custom id; `None` for any other id.
pub fn kb_stub_key(custom_id: &str) -> Option<&str> {
    let key = custom_id.strip_prefix(KB_STUB_ACTION_PREFIX)?;
    (key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key)
}

/// A TOML `[[entry]]` skeleton for an unanswered question: the question filled in, everything
/// else a TODO that `hingebot kb check` rejects until a curator completes it.
pub fn kb_stub(question: &str) -> String {
    let question = question.trim();
    let categories = Category::ALL
        .iter()
        .map(|c| c.slug())
        .collect::<Vec<_>>()
        .join(", ");
    // toml writes the string with whatever quoting and escapes it needs.
    let question_toml = toml::Value::String(question.to_string()).to_string();
    format!(
        r#"# Paste into the knowledge/*.toml file of its category, replace every TODO, then run `hingebot kb check`.
[[entry]]
id = "{id}"
title = "TODO: a short title people recognise"
category = "TODO: one of {categories}"
questions = [
  {question_toml},
  # TODO: at least three more ways people ask this, in their words
]
keywords = ["TODO"]
summary = "TODO: one line for 'did you mean', at most 150 characters"
answer = """
TODO: the answer in Discord markdown, at most 1,500 characters: steps or cues, then one line of *why*.
"""
related = []  # TODO: 1 to 3 existing entry ids
sources = []  # TODO: at least one {{ title = "…", publisher = "…", year = 2026, url = "https://…", kind = "guidance" }}
"#,
        id = stub_id(question),
    )
}

/// A kebab-case id from the question's first words, marked as a draft.
fn stub_id(question: &str) -> String {
    let words: Vec<String> = question
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "todo-new-entry".to_string()
    } else {
        format!("todo-{}", words.join("-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Figures, UnansweredRow};
    use jiff::civil::date;

    fn parse(stub: &str) -> toml::Table {
        stub.parse::<toml::Table>()
            .unwrap_or_else(|e| panic!("{e}\n{stub}"))
    }

    #[test]
    fn a_kb_stub_is_valid_toml_with_the_question_and_todos() {
        for question in [
            "how do i lift a gas cylinder off the van",
            "what's the \"max\" weight? \\ or 'min' # not a comment",
            "line one\nline two\ttab",
            "émoji 👍 and ünïcödé",
            "[number] badge [mention] help",
            "   ",
        ] {
            let stub = kb_stub(question);
            let table = parse(&stub);
            let entries = table["entry"].as_array().unwrap();
            assert_eq!(entries.len(), 1);
            let entry = entries[0].as_table().unwrap();
            assert_eq!(
                entry["questions"].as_array().unwrap()[0].as_str(),
                Some(question.trim()),
                "{stub}"
            );
            let id = entry["id"].as_str().unwrap();
            assert!(id.starts_with("todo-"), "{id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
            for field in ["title", "category", "summary", "answer"] {
                assert!(entry[field].as_str().unwrap().contains("TODO"), "{field}");
            }
        }
        assert_eq!(
            stub_id("How do I lift a gas cylinder off the van?"),
            "todo-how-do-i-lift-a-gas"
        );
    }

    #[test]
    fn the_knowledge_base_rejects_a_stub_until_the_todos_are_done() {
        let stub = kb_stub("how do i lift a gas cylinder off the van");
        let err = crate::knowledge::KnowledgeBase::from_files(
            std::path::Path::new("knowledge"),
            vec![("knowledge/workplace.toml".into(), stub)],
        )
        .unwrap_err();
        let messages: Vec<String> = err.problems().iter().map(|p| p.message.clone()).collect();
        for field in ["category", "sources", "related"] {
            assert!(
                messages.iter().any(|m| m.contains(field)),
                "nothing about {field}: {messages:#?}"
            );
        }
    }

    #[test]
    fn stub_actions_carry_a_stable_key_that_parses_back() {
        let action = kb_stub_action("how do i lift a gas cylinder off the van");
        assert_eq!(action, "hb:kbstub:9bea8c67a7006b11");
        assert!(action.len() <= 100, "Discord's custom id limit");
        assert_eq!(kb_stub_key(&action), Some("9bea8c67a7006b11"));
        assert_ne!(question_key("a"), question_key("b"));
        for other in [
            "hb:show:wall-drill",
            "hb:kbstub:",
            "hb:kbstub:zzzz",
            "kbstub:9bea8c67a7006b11",
        ] {
            assert_eq!(kb_stub_key(other), None, "{other}");
        }
    }

    #[test]
    fn the_card_has_the_weeks_figures_and_at_most_five_unanswered_questions() {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
        let figures = Figures {
            unanswered: (1..=8)
                .map(|i| UnansweredRow {
                    text: format!("question {i} {}", "long ".repeat(60)),
                    people: 10 - i,
                    asked: 10,
                    confirmed: false,
                })
                .collect(),
            ..Figures::default()
        };
        let report = UsageReport::build(&figures, week, |_| None);
        let card = DigestCard::new(&report);
        assert_eq!(
            card.title,
            "Weekly hingebot digest: 2 Mar 2026 – 8 Mar 2026"
        );
        assert_eq!(card.chart_file_name, "hingebot-week-2026-03-08.png");
        assert_eq!(card.top_unanswered.len(), DIGEST_UNANSWERED);
        let first = &card.top_unanswered[0];
        assert!(first.text.starts_with("question 1 "));
        assert!(first.text.chars().count() <= QUESTION_CHARS && first.text.ends_with('…'));
        assert_eq!(
            first.stub_action,
            kb_stub_action(&report.top_unanswered[0].text)
        );
        assert_eq!(card.figures[0].name, "Questions");
        assert_eq!(card.figures[0].change, "no change");
    }
}
