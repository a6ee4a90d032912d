//! What a button or menu does, written into its custom id (`hb:` + action) when a card is drawn and read
//! back when it is clicked. Shared by the cards in `render.rs` and the click handler in `buttons.rs`.

use crate::report::digest::{kb_stub_action_for_key, kb_stub_key};
use crate::store::Vote;

/// What a component does, encoded in its custom id (`hb:` + action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show an entry to the clicker only (follow-ups, "did you mean", tip "more").
    Show(String),
    /// A vote on the reply the button is attached to.
    Vote(Vote, String),
    /// The `/topics` category menu.
    Topics,
    /// A category's entry menu.
    Entries,
    /// The weekly digest's "copy as KB stub" for the unanswered question with this key.
    KbStub(String),
}

const PREFIX: &str = "hb:";

impl Action {
    /// The custom id for this action.
    pub fn custom_id(&self) -> String {
        match self {
            Action::Show(id) => format!("{PREFIX}show:{id}"),
            Action::Vote(Vote::Up, id) => format!("{PREFIX}vote:up:{id}"),
            Action::Vote(Vote::Down, id) => format!("{PREFIX}vote:down:{id}"),
            Action::Topics => format!("{PREFIX}topics"),
            Action::Entries => format!("{PREFIX}entries"),
            Action::KbStub(key) => kb_stub_action_for_key(key),
        }
    }

    /// Reads a custom id; `None` for ids that are not ours or are malformed.
    pub fn parse(custom_id: &str) -> Option<Action> {
        if let Some(key) = kb_stub_key(custom_id) {
            return Some(Action::KbStub(key.to_string()));
        }
        let rest = custom_id.strip_prefix(PREFIX)?;
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        if let Some(id) = rest.strip_prefix("show:") {
            return nonempty(id).map(Action::Show);
        }
        if let Some(id) = rest.strip_prefix("vote:up:") {
            return nonempty(id).map(|id| Action::Vote(Vote::Up, id));
        }
        if let Some(id) = rest.strip_prefix("vote:down:") {
            return nonempty(id).map(|id| Action::Vote(Vote::Down, id));
        }
        match rest {
            "topics" => Some(Action::Topics),
            "entries" => Some(Action::Entries),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        for action in [
            Action::Show("wall-drill".into()),
            Action::Vote(Vote::Up, "wall-drill".into()),
            Action::Vote(Vote::Down, "how-to-hip-hinge".into()),
            Action::Topics,
            Action::Entries,
            Action::KbStub("9bea8c67a7006b11".into()),
        ] {
            assert_eq!(Action::parse(&action.custom_id()), Some(action));
        }
    }

    #[test]
    fn foreign_or_malformed_ids_are_ignored() {
        for id in [
            "",
            "show:x",
            "hb:show:",
            "hb:vote:sideways:x",
            "hb:vote:up:",
            "other:topics",
            "hb:nope",
            "hb:kbstub:",
            "hb:kbstub:not-hex!",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
    }
}
