//! Renders a core [`Reply`] as terminal text: a warning or caution first, the answer and its
//! sources, follow-ups, and the disclaimer as a footer.

use crate::assistant::{Reply, ReplyKind};
use crate::knowledge::KnowledgeBase;
use crate::safety::{CAUTION_MARK, WARNING_MARK};
use crate::DISCLAIMER;
use std::fmt::Write;

/// What the assistant says when asked something it does not cover, or nothing at all.
pub const CAN_HELP_WITH: &str = "I help with lifting and bending safely using the hip hinge: how to hinge, \
why you can't yet, common faults, drills and progressions, lifting at work and at home, and when to see \
a clinician. Try: \"how do I hip hinge?\" or \"how should I lift boxes at work?\"";

/// The full terminal text for a reply.
pub fn reply_text(reply: &Reply, kb: &KnowledgeBase) -> String {
    let mut out = String::new();
    match reply.kind {
        ReplyKind::Answer | ReplyKind::RedFlag => {
            if let Some(warning) = &reply.warning {
                let _ = writeln!(out, "{WARNING_MARK} {}\n", warning.lead());
            } else if let Some(caution) = &reply.caution {
                let _ = writeln!(out, "{CAUTION_MARK} {}\n", caution.lead());
            }
            if let Some(entry) = reply.entry.as_deref().and_then(|id| kb.entry(id)) {
                let _ = writeln!(out, "## {}\n\n{}", entry.title, entry.answer);
                if !entry.sources.is_empty() {
                    let sources: Vec<String> = entry.sources.iter().map(|s| s.short()).collect();
                    let _ = writeln!(out, "\nSources: {}", sources.join("; "));
                }
            }
            let followups: Vec<String> = reply
                .followups
                .iter()
                .filter_map(|id| kb.entry(id))
                .map(|e| format!("{} ({})", e.title, e.id))
                .collect();
            if !followups.is_empty() {
                let _ = writeln!(out, "\nRelated: {}", followups.join(" · "));
            }
        }
        ReplyKind::Suggest => {
            let _ = writeln!(out, "I'm not sure I understood. Did you mean:");
            for (n, s) in reply.suggestions.iter().enumerate() {
                let title = kb.entry(&s.id).map_or(s.id.as_str(), |e| e.title.as_str());
                let _ = writeln!(out, "  {}. {} — {}", n + 1, title, s.summary);
            }
        }
        ReplyKind::Abstain => {
            let _ = writeln!(
                out,
                "Sorry, I don't have an answer for that. {CAN_HELP_WITH}"
            );
        }
        ReplyKind::Empty => {
            let _ = writeln!(
                out,
                "Ask me anything about bending and lifting. {CAN_HELP_WITH}"
            );
        }
    }
    let _ = write!(out, "\n— {DISCLAIMER}");
    out
}
