//! The core's one entry point: a message in, a plain [`Reply`] out. Knows nothing of Discord or terminals.

use crate::config::MatcherSettings;
use crate::knowledge::KnowledgeBase;
use crate::matcher::semantic::{Encoder, Semantic, SemanticError};
use crate::matcher::{normalize, Decision, Match, Matcher, Scoring, SemanticView};
use crate::safety::{Caution, Triage, Verdict, Warning, RED_FLAGS_ID};
use serde::Serialize;
use std::path::Path;
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
    /// Warning symptoms: show the `warning` and the `red-flags` entry before anything else.
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
    /// On every `RedFlag` reply: the signs noticed and the most urgent tier's headline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<Warning>,
    /// On an answer to a message describing what is usually an ordinary strain: the caution to
    /// show first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caution: Option<Caution>,
}

/// The assistant: the knowledge base plus everything needed to answer from it.
pub struct Assistant {
    kb: Arc<KnowledgeBase>,
    matcher: Matcher,
    triage: Triage,
    settings: MatcherSettings,
    scoring: Scoring,
    semantic_off: Option<String>,
}

/// Whether hybrid scoring has its sentence encoder.
#[derive(Debug)]
pub enum SemanticStatus<'a> {
    /// The model is loaded, with every stored question's vector.
    Active(&'a Semantic),
    /// Words only, and why.
    Off(&'a str),
}

impl Assistant {
    /// Builds the assistant (its search index and compiled warning signs) over a loaded knowledge
    /// base. It scores lexically until [`Assistant::with_encoder`] adds the sentence encoder.
    pub fn new(kb: Arc<KnowledgeBase>, settings: MatcherSettings) -> Self {
        let matcher = Matcher::new(&kb);
        let triage = Triage::new(kb.warning_signs());
        Assistant {
            kb,
            matcher,
            triage,
            settings,
            scoring: Scoring::Hybrid,
            semantic_off: None,
        }
    }

    /// Adds the sentence encoder (hybrid scoring and the semantic safety net), with the stored
    /// questions' vectors read from, and kept up to date in, `cache` when given.
    /// On an error the assistant is unchanged (lexical scoring).
    pub fn add_encoder(
        &mut self,
        encoder: Arc<Encoder>,
        cache: Option<&Path>,
    ) -> Result<(), SemanticError> {
        self.matcher = Matcher::new(&self.kb).with_encoder(&self.kb, encoder, cache)?;
        self.semantic_off = None;
        Ok(())
    }

    /// Notes why the sentence encoder is not in use, for `--explain`.
    pub fn note_semantic_off(&mut self, reason: impl Into<String>) {
        if self.matcher.semantic().is_none() {
            self.semantic_off = Some(reason.into());
        }
    }

    /// Whether the sentence encoder is in use, and if not, why.
    pub fn semantic_status(&self) -> SemanticStatus<'_> {
        match (self.matcher.semantic(), &self.semantic_off) {
            (Some(semantic), _) => SemanticStatus::Active(semantic),
            (None, Some(reason)) => SemanticStatus::Off(reason),
            (None, None) => SemanticStatus::Off("no model was loaded"),
        }
    }

    /// Scores with only one kind of evidence, for comparisons (`hingebot eval --scoring`).
    pub fn with_scoring(mut self, scoring: Scoring) -> Self {
        self.scoring = scoring;
        self
    }

    /// How messages are scored: hybrid, unless asked otherwise or the model is missing.
    pub fn scoring(&self) -> Scoring {
        match (self.scoring, self.matcher.semantic()) {
            (Scoring::Hybrid | Scoring::Semantic, None) => Scoring::Lexical,
            (s, _) => s,
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

    /// Decides how to answer one message: warning signs first, then the matcher's verdict.
    ///
    /// A message that fires a tiered sign group always gets a `RedFlag` reply, whatever the
    /// matcher thinks. One that fires only soft signs (a strain) gets the matcher's answer with a
    /// caution; when the matcher has no confident answer, it gets the caution's entry instead, so
    /// the caution is never left unsaid.
    pub fn reply(&self, text: &str) -> Reply {
        if text.trim().is_empty() {
            return Reply::bare(ReplyKind::Empty);
        }
        let normalized = normalize(text);
        let caution = match self.triage.verdict_normalized(&normalized) {
            Verdict::Warning(warning) => return self.red_flag(warning),
            Verdict::Caution(caution) => Some(caution),
            Verdict::Clear => None,
        };
        let view = match self.scoring {
            Scoring::Lexical => None,
            _ => self.matcher.semantic_view(text),
        };
        if let Some(warning) = view.as_ref().and_then(|v| self.net_warning(v)) {
            return self.red_flag(warning);
        }
        let found = self.matcher.find_with(
            text,
            &normalized,
            view.as_ref(),
            &self.settings,
            self.scoring,
        );
        let mut reply = self.reply_for(&found);
        if caution.is_some() && reply.kind != ReplyKind::Answer {
            if let Some(entry) = self.kb.entry(self.triage.caution_entry()) {
                reply = Reply {
                    kind: ReplyKind::Answer,
                    entry: Some(entry.id.clone()),
                    score: found.top_score(),
                    suggestions: Vec::new(),
                    followups: entry.related.clone(),
                    warning: None,
                    caution: None,
                };
            }
        }
        if caution.is_some() {
            // Whatever the answer, the way back from a strain is one tap away.
            let entry = self.triage.caution_entry();
            if reply.entry.as_deref() != Some(entry) && self.kb.entry(entry).is_some() {
                reply.followups.retain(|id| id != entry);
                reply.followups.insert(0, entry.to_string());
            }
        }
        reply.caution = caution;
        reply
    }

    /// The semantic safety net's warning for a message the encoder has read, if any (see
    /// [`Triage::net_warning`]): compared with the exemplars, and with every ordinary entry's
    /// stored questions (all but `red-flags`, whose questions are about warning signs themselves).
    pub fn net_warning(&self, view: &SemanticView) -> Option<Warning> {
        self.triage.net_warning(
            self.matcher.net_groups(),
            &view.groups,
            self.ordinary_similarity(view),
        )
    }

    /// The message's best cosine with a stored question of an ordinary entry (any but `red-flags`).
    pub fn ordinary_similarity(&self, view: &SemanticView) -> f32 {
        view.entries
            .iter()
            .zip(self.kb.entries())
            .filter(|(_, entry)| entry.id != RED_FLAGS_ID)
            .map(|(&similarity, _)| similarity)
            .fold(f32::MIN, f32::max)
    }

    fn red_flag(&self, warning: Warning) -> Reply {
        let entry = self.kb.entry(RED_FLAGS_ID);
        Reply {
            kind: ReplyKind::RedFlag,
            entry: entry.map(|e| e.id.clone()),
            score: 1.0,
            suggestions: Vec::new(),
            followups: entry.map(|e| e.related.clone()).unwrap_or_default(),
            warning: Some(warning),
            caution: None,
        }
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
                    warning: None,
                    caution: None,
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
                warning: None,
                caution: None,
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
            warning: None,
            caution: None,
        }
    }

    /// Whether the question went unanswered (only suggestions, or nothing): what curators are shown by
    /// `hingebot report` when it was asked directly.
    pub fn is_unanswered(&self) -> bool {
        matches!(self.kind, ReplyKind::Abstain | ReplyKind::Suggest)
    }

    /// An entry shown because someone picked it (a suggestion, a follow-up, a menu), not because of
    /// what they wrote: no warning, no caution.
    pub fn picked(entry: &crate::knowledge::Entry) -> Reply {
        Reply {
            kind: ReplyKind::Answer,
            entry: Some(entry.id.clone()),
            score: 1.0,
            suggestions: Vec::new(),
            followups: entry.related.clone(),
            warning: None,
            caution: None,
        }
    }

    /// Whether the reply must reach the person even unprompted or on cooldown: a warning, or a
    /// caution about what may be an injury.
    pub fn always_answered(&self) -> bool {
        self.kind == ReplyKind::RedFlag || self.caution.is_some()
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
