//! Scores the assistant on a question set (`{"q","ids","kind"}` JSON lines): the figures that say
//! whether matching is good enough.

use crate::assistant::{Assistant, Reply, ReplyKind};
use serde::{Deserialize, Serialize};

/// One labelled question.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Case {
    pub q: String,
    pub ids: Vec<String>,
    pub kind: CaseKind,
}

/// What a question is labelled as.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    Positive,
    Redflag,
    Negative,
}

/// A wrongly handled question.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Miss {
    pub question: String,
    pub kind: CaseKind,
    pub expected: Vec<String>,
    /// The reply kind and first entry the assistant gave.
    pub got: String,
    pub score: f32,
}

/// The figures of an evaluation run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub total: usize,
    pub positives: usize,
    pub positives_right: usize,
    /// Positives answered outright (not just suggested) with a right entry.
    pub positives_confident: usize,
    pub redflags: usize,
    pub redflags_caught: usize,
    pub negatives: usize,
    pub negatives_abstained: usize,
    pub top1_accuracy: f64,
    pub redflag_recall: f64,
    pub abstention_accuracy: f64,
    pub overall: f64,
    pub misses: Vec<Miss>,
}

/// Why a question set could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CaseError {
    pub line: usize,
    pub message: String,
}

/// Parses JSON lines, skipping blank lines.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, CaseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| CaseError {
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

fn ratio(right: usize, all: usize) -> f64 {
    if all == 0 {
        1.0
    } else {
        right as f64 / all as f64
    }
}

/// Whether a reply handles a labelled question right: a positive's first entry (answer or first
/// suggestion) is one of the expected ids, whether or not a caution leads it; a red flag gets the
/// warning card (a caution is not enough); a negative gets no answer.
pub fn is_right(kind: CaseKind, expected: &[String], reply: &Reply) -> bool {
    match kind {
        CaseKind::Positive => reply
            .first_entry()
            .is_some_and(|f| expected.iter().any(|e| e == f)),
        CaseKind::Redflag => reply.kind == ReplyKind::RedFlag,
        CaseKind::Negative => matches!(reply.kind, ReplyKind::Abstain | ReplyKind::Empty),
    }
}

/// Runs every case through the assistant.
pub fn evaluate(assistant: &Assistant, cases: &[Case]) -> Report {
    let (mut pos, mut pos_right, mut pos_conf) = (0, 0, 0);
    let (mut red, mut red_right, mut neg, mut neg_right) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for case in cases {
        let reply = assistant.reply(&case.q);
        let right = is_right(case.kind, &case.ids, &reply);
        match case.kind {
            CaseKind::Positive => {
                pos += 1;
                pos_right += usize::from(right);
                pos_conf += usize::from(right && reply.kind == ReplyKind::Answer);
            }
            CaseKind::Redflag => {
                red += 1;
                red_right += usize::from(right);
            }
            CaseKind::Negative => {
                neg += 1;
                neg_right += usize::from(right);
            }
        }
        if !right {
            let kind = match reply.caution {
                Some(_) => format!("{}+caution", reply.kind.name()),
                None => reply.kind.name().to_string(),
            };
            misses.push(Miss {
                question: case.q.clone(),
                kind: case.kind,
                expected: case.ids.clone(),
                got: match reply.first_entry() {
                    Some(id) => format!("{kind} {id}"),
                    None => kind,
                },
                score: reply.score,
            });
        }
    }
    let total = cases.len();
    Report {
        total,
        positives: pos,
        positives_right: pos_right,
        positives_confident: pos_conf,
        redflags: red,
        redflags_caught: red_right,
        negatives: neg,
        negatives_abstained: neg_right,
        top1_accuracy: ratio(pos_right, pos),
        redflag_recall: ratio(red_right, red),
        abstention_accuracy: ratio(neg_right, neg),
        overall: ratio(pos_right + red_right + neg_right, total),
        misses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::{Caution, Concern, Sign};

    fn answer(entry: &str, caution: bool) -> Reply {
        Reply {
            kind: ReplyKind::Answer,
            entry: Some(entry.to_string()),
            score: 0.5,
            suggestions: Vec::new(),
            followups: Vec::new(),
            warning: None,
            caution: caution.then(|| Caution {
                line: "Usually a strain that settles.".to_string(),
                signs: vec![Sign {
                    group: "strain".to_string(),
                    label: "a sudden strain".to_string(),
                    concern: Concern::Caution,
                }],
            }),
        }
    }

    #[test]
    fn a_cautioned_answer_counts_by_its_entry() {
        let expected = ["back-tweak-recovery".to_string()];
        assert!(is_right(
            CaseKind::Positive,
            &expected,
            &answer("back-tweak-recovery", true)
        ));
        assert!(!is_right(
            CaseKind::Positive,
            &expected,
            &answer("groceries", true)
        ));
    }

    #[test]
    fn only_the_warning_card_counts_as_catching_a_red_flag() {
        let expected = ["red-flags".to_string()];
        assert!(!is_right(
            CaseKind::Redflag,
            &expected,
            &answer("red-flags", true)
        ));
        let red_flag = Reply {
            kind: ReplyKind::RedFlag,
            ..answer("red-flags", false)
        };
        assert!(is_right(CaseKind::Redflag, &expected, &red_flag));
    }
}
