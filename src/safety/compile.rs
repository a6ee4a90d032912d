//! The triage engine: the sign groups' patterns compiled once into an index by first word, so a
//! message is read once instead of once per pattern.

use crate::knowledge::SignGroup;
use rustc_hash::FxHashMap;

/// How far apart the two halves of an `a ... b` pattern may be ("down the outside of my left leg").
pub(super) const NEAR: usize = 6;

/// Words that cancel a symptom word right after them ("no numbness", "without tingling").
const NEGATIONS: &[&str] = &[
    "no", "not", "without", "never", "nor", "zero", "none", "nothing", "nowt", "nobody", "noone",
];

/// One word of a pattern.
#[derive(Debug, Clone)]
pub(super) enum Tok {
    Exact(String),
    /// `numb*`; a lone `*` is the empty prefix.
    Prefix(String),
    /// `*kg`.
    Suffix(String),
}

impl Tok {
    pub(super) fn parse(word: &str) -> Tok {
        if let Some(prefix) = word.strip_suffix('*') {
            Tok::Prefix(prefix.to_string())
        } else if let Some(suffix) = word.strip_prefix('*') {
            Tok::Suffix(suffix.to_string())
        } else {
            Tok::Exact(word.to_string())
        }
    }

    fn matches(&self, word: &str) -> bool {
        match self {
            Tok::Exact(w) => w == word,
            Tok::Prefix(p) => word.starts_with(p.as_str()),
            Tok::Suffix(s) => word.ends_with(s.as_str()),
        }
    }
}

/// A written-out pattern split into its phrase and, for `a ... b`, the phrase `b` that must follow.
pub(super) fn split_pattern(pattern: &str) -> (Vec<Tok>, Option<Vec<Tok>>) {
    let phrase = |p: &str| p.split(' ').map(Tok::parse).collect::<Vec<_>>();
    match pattern.split_once(" ... ") {
        Some((first, near)) => (phrase(first), Some(phrase(near))),
        None => (phrase(pattern), None),
    }
}

/// A pattern of one rule list (its "slot").
struct Pattern {
    slot: usize,
    phrase: Vec<Tok>,
    near: Option<Vec<Tok>>,
    /// A `none` pattern: it matches whatever stands before it, since it names a context, not a
    /// symptom a negation could cancel.
    context: bool,
}

/// A compiled rule: its group, the slots that must all match, and the slot that must not.
struct Rule {
    group: usize,
    all: Vec<usize>,
    none: Option<usize>,
}

/// The sign groups in searchable form: every list of every rule is a slot, and a rule fires when
/// each of its slots has a pattern matching somewhere in the message.
pub(super) struct Compiled {
    patterns: Vec<Pattern>,
    /// Patterns by exact first word.
    by_word: FxHashMap<String, Vec<usize>>,
    /// Patterns by the prefix their first word must have.
    by_prefix: FxHashMap<String, Vec<usize>>,
    /// Patterns whose first word is a suffix or any word: tried at every position.
    always: Vec<usize>,
    rules: Vec<Rule>,
    slots: usize,
    groups: usize,
}

impl Compiled {
    pub(super) fn new(groups: &[SignGroup]) -> Compiled {
        let mut c = Compiled {
            patterns: Vec::new(),
            by_word: FxHashMap::default(),
            by_prefix: FxHashMap::default(),
            always: Vec::new(),
            rules: Vec::new(),
            slots: 0,
            groups: groups.len(),
        };
        for (group, g) in groups.iter().enumerate() {
            for rule in &g.rules {
                let all = rule
                    .all
                    .iter()
                    .map(|list| c.add_slot(list, false))
                    .collect();
                let none = (!rule.none.is_empty()).then(|| c.add_slot(&rule.none, true));
                c.rules.push(Rule { group, all, none });
            }
        }
        c
    }

    /// Indexes one rule list as a new slot, returning the slot.
    fn add_slot(&mut self, list: &[String], context: bool) -> usize {
        let slot = self.slots;
        self.slots += 1;
        for pattern in list {
            let (phrase, near) = split_pattern(pattern);
            let id = self.patterns.len();
            match phrase.first() {
                Some(Tok::Exact(w)) => self.by_word.entry(w.clone()).or_default().push(id),
                Some(Tok::Prefix(p)) if !p.is_empty() => {
                    self.by_prefix.entry(p.clone()).or_default().push(id)
                }
                _ => self.always.push(id),
            }
            self.patterns.push(Pattern {
                slot,
                phrase,
                near,
                context,
            });
        }
        slot
    }

    /// For each group (by index), whether one of its rules fires on these normalized words.
    pub(super) fn fired(&self, words: &[&str]) -> Vec<bool> {
        let mut matched = vec![false; self.slots];
        for (i, word) in words.iter().enumerate() {
            let by_prefix = word
                .char_indices()
                .skip(1)
                .map(|(end, _)| &word[..end])
                .chain(std::iter::once(*word))
                .filter_map(|prefix| self.by_prefix.get(prefix));
            let candidates = self
                .by_word
                .get(*word)
                .into_iter()
                .chain(by_prefix)
                .flatten()
                .chain(&self.always);
            for &id in candidates {
                let p = &self.patterns[id];
                if matched[p.slot]
                    || !phrase_at(&p.phrase, words, i)
                    || (!p.context && negated(words, i))
                {
                    continue;
                }
                let near_ok = match &p.near {
                    None => true,
                    Some(near) => {
                        (i + 1..words.len().min(i + 1 + NEAR)).any(|j| phrase_at(near, words, j))
                    }
                };
                if near_ok {
                    matched[p.slot] = true;
                }
            }
        }
        let mut fired = vec![false; self.groups];
        for rule in &self.rules {
            if rule.all.iter().all(|&s| matched[s]) && rule.none.is_none_or(|s| !matched[s]) {
                fired[rule.group] = true;
            }
        }
        fired
    }
}

/// Whether the phrase matches the words starting at `i`.
pub(super) fn phrase_at(phrase: &[Tok], words: &[&str], i: usize) -> bool {
    phrase.len() <= words.len().saturating_sub(i)
        && phrase.iter().zip(&words[i..]).all(|(t, w)| t.matches(w))
}

/// A symptom word is negated when a negation stands right before it, possibly across a list of
/// symptoms ("no numbness or tingling"). Anything else in between ends the search: "not sure if
/// it's numbness" is still a flag, because recall matters more than precision here.
///
/// The back itself is context, never a symptom, so nothing negates it: in "not sure if I need the
/// toilet or not, back gone after lifting" the "not" belongs to the previous clause.
pub(super) fn negated(words: &[&str], i: usize) -> bool {
    if matches!(words.get(i), Some(&("back" | "spine"))) {
        return false;
    }
    let before = &words[..i];
    for (k, w) in before.iter().enumerate().rev().take(4) {
        // "no one got hurt": "no" negates through "one".
        if NEGATIONS.contains(w) || (*w == "one" && k > 0 && before[k - 1] == "no") {
            return true;
        }
        let list_glue = matches!(
            *w,
            "or" | "and"
                | "any"
                | "nor"
                | "is"
                | "going"
                | "goes"
                | "pain"
                | "anything"
                | "was"
                | "were"
                | "got"
                | "get"
                | "getting"
                | "been"
        ) || w.starts_with("numb")
            || w.starts_with("tingl");
        if !list_glue {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn groups() -> &'static [SignGroup] {
        static GROUPS: OnceLock<Vec<SignGroup>> = OnceLock::new();
        GROUPS.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
            match KnowledgeBase::load(&dir) {
                Ok(kb) => kb.warning_signs().groups.clone(),
                Err(e) => panic!("bundled knowledge base: {e}"),
            }
        })
    }

    fn compiled() -> &'static Compiled {
        static COMPILED: OnceLock<Compiled> = OnceLock::new();
        COMPILED.get_or_init(|| Compiled::new(groups()))
    }

    /// The rules read literally, pattern by pattern: the specification the compiled index must meet.
    fn naive(words: &[&str]) -> Vec<bool> {
        let matches = |list: &[String], context: bool| {
            list.iter().any(|pattern| {
                let (first, then) = split_pattern(pattern);
                (0..words.len()).any(|i| {
                    phrase_at(&first, words, i)
                        && (context || !negated(words, i))
                        && then.as_ref().is_none_or(|then| {
                            (i + 1..words.len().min(i + 1 + NEAR))
                                .any(|j| phrase_at(then, words, j))
                        })
                })
            })
        };
        groups()
            .iter()
            .map(|g| {
                g.rules.iter().any(|r| {
                    r.all.iter().all(|list| matches(list, false)) && !matches(&r.none, true)
                })
            })
            .collect()
    }

    /// Words the rules use, plus filler, to build messages that exercise them.
    fn vocabulary() -> &'static [String] {
        static WORDS: OnceLock<Vec<String>> = OnceLock::new();
        WORDS.get_or_init(|| {
            let mut words: Vec<String> = groups()
                .iter()
                .flat_map(|g| &g.rules)
                .flat_map(|r| r.all.iter().flatten().chain(&r.none))
                .flat_map(|p| p.split(' '))
                .filter(|w| *w != "...")
                .map(|w| w.trim_matches('*').to_string())
                .filter(|w| !w.is_empty())
                .chain(
                    [
                        "no", "not", "my", "the", "and", "since", "back", "hinge", "lunch", "10kg",
                    ]
                    .map(String::from),
                )
                .collect();
            words.sort_unstable();
            words.dedup();
            words
        })
    }

    proptest! {
        #[test]
        fn the_compiled_rules_agree_with_the_rules_read_literally(
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..30)
        ) {
            let vocab = vocabulary();
            let words: Vec<&str> = picks.iter().map(|i| i.get(vocab).as_str()).collect();
            prop_assert_eq!(compiled().fired(&words), naive(&words), "{:?}", words);
        }
    }

    #[test]
    fn a_phrase_and_its_near_half_are_read_in_order() {
        let (first, then) = split_pattern("down ... leg*");
        let words = ["pain", "down", "the", "back", "of", "my", "leg"];
        assert!(phrase_at(&first, &words, 1));
        assert!(then.is_some_and(|t| (2..7).any(|j| phrase_at(&t, &words, j))));
    }

    #[test]
    fn a_negation_before_a_list_of_symptoms_cancels_each() {
        let words = ["no", "numbness", "or", "tingling"];
        assert!(negated(&words, 1));
        assert!(negated(&words, 3));
        assert!(!negated(&["not", "sure", "if", "numbness"], 3));
    }
}
