//! The core's one entry point: a message in, a plain [`Reply`] out. Knows nothing of Discord or terminals.

use crate::config::MatcherSettings;
use crate::knowledge::KnowledgeBase;
use crate::matcher::{normalize, Decision, Match, Matcher};
use crate::safety::Triage;
use serde::Serialize;
use std::sync::Arc;

/// What kind of reply the assistant decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyKind {
    /// A confident match: show `entry`.
    Answer,
    /// Not sure: offer `suggestions` ("did you mean…").
    Suggest,
    /// Off-topic or unknown: stay quiet in channels, say what we can help with when asked directly.
    Abstain,
    /// Warning symptoms: show the `red-flags` entry before anything else.
    RedFlag,
    /// Nothing was asked (empty or whitespace): prompt with what to ask.
    Empty,
}

impl ReplyKind {
    /// The kind as written in JSON output (`answer`, `suggest`, `abstain`, `redflag`, `empty`).
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::Answer => "answer",
            ReplyKind::Suggest => "suggest",
            ReplyKind::Abstain => "abstain",
            ReplyKind::RedFlag => "redflag",
            ReplyKind::Empty => "empty",
        }
    }
}

/// An entry offered as "did you mean…".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub score: f32,
    pub summary: String,
}

/// The assistant's decision for one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub kind: ReplyKind,
    /// The entry answered (`Answer`, `RedFlag`), if any.
    pub entry: Option<String>,
    /// The top match score (0 when nothing matched).
    pub score: f32,
    pub suggestions: Vec<Suggestion>,
    /// The answered entry's `related` ids, offered as follow-ups.
    pub followups: Vec<String>,
}

/// The assistant: the knowledge base plus everything needed to answer from it.
pub struct Assistant {
    kb: Arc<KnowledgeBase>,
    matcher: Matcher,
    triage: Triage,
    settings: MatcherSettings,
}

/// The entry every red-flag reply shows.
pub const RED_FLAGS_ID: &str = "red-flags";

impl Assistant {
    /// Builds the assistant (its search index and compiled warning signs) over a loaded knowledge base.
    pub fn new(kb: Arc<KnowledgeBase>, settings: MatcherSettings) -> Self {
        let matcher = Matcher::new(&kb);
        let triage = Triage::new(kb.warning_signs());
        Assistant {
            kb,
            matcher,
            triage,
            settings,
        }
    }

    /// The knowledge base this assistant answers from.
    pub fn kb(&self) -> &Arc<KnowledgeBase> {
        &self.kb
    }

    /// The thresholds in force.
    pub fn settings(&self) -> &MatcherSettings {
        &self.settings
    }

    /// The matcher, for `--explain` and evaluation.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// The compiled warning signs, for `--explain` and evaluation.
    pub fn triage(&self) -> &Triage {
        &self.triage
    }

    /// Decides how to answer one message: red flags first, then the matcher's verdict.
    pub fn reply(&self, text: &str) -> Reply {
        if text.trim().is_empty() {
            return Reply::bare(ReplyKind::Empty);
        }
        let normalized = normalize(text);
        if !self.triage.signs_normalized(&normalized).is_empty() {
            if let Some(entry) = self.kb.entry(RED_FLAGS_ID) {
                return Reply {
                    kind: ReplyKind::RedFlag,
                    entry: Some(entry.id.clone()),
                    score: 1.0,
                    suggestions: Vec::new(),
                    followups: entry.related.clone(),
                };
            }
        }
        let found = self.matcher.find_normalized(&normalized, &self.settings);
        self.reply_for(&found)
    }

    /// Turns a matcher verdict into a reply.
    pub fn reply_for(&self, found: &Match) -> Reply {
        let entries = self.kb.entries();
        let score = found.top_score();
        match &found.decision {
            Decision::Answer(i) => {
                let entry = &entries[*i];
                Reply {
                    kind: ReplyKind::Answer,
                    entry: Some(entry.id.clone()),
                    score,
                    suggestions: Vec::new(),
                    followups: entry.related.clone(),
                }
            }
            Decision::Suggest(picks) => Reply {
                kind: ReplyKind::Suggest,
                entry: None,
                score,
                suggestions: picks
                    .iter()
                    .map(|&i| Suggestion {
                        id: entries[i].id.clone(),
                        score: found.ranked.iter().find(|r| r.0 == i).map_or(0.0, |r| r.1),
                        summary: entries[i].summary.clone(),
                    })
                    .collect(),
                followups: Vec::new(),
            },
            Decision::Abstain => Reply {
                score,
                ..Reply::bare(ReplyKind::Abstain)
            },
        }
    }

    /// The normalized form of a message: what the store keeps for unanswered questions (no mentions, no markup).
    pub fn normalized(&self, text: &str) -> String {
        normalize(text)
    }
}

impl Reply {
    fn bare(kind: ReplyKind) -> Reply {
        Reply {
            kind,
            entry: None,
            score: 0.0,
            suggestions: Vec::new(),
            followups: Vec::new(),
        }
    }

    /// The entry a user would read first: the answer, or the first suggestion.
    pub fn first_entry(&self) -> Option<&str> {
        self.entry
            .as_deref()
            .or_else(|| self.suggestions.first().map(|s| s.id.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::ReplyKind;

    #[test]
    fn kind_names_are_the_json_names() {
        for kind in [
            ReplyKind::Answer,
            ReplyKind::Suggest,
            ReplyKind::Abstain,
            ReplyKind::RedFlag,
            ReplyKind::Empty,
        ] {
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.name()))
            );
        }
    }
}
