//! Misspelt sign words read as the word the rules know ("bladdar", "incontinance", "weeker"), so a
//! typo never hides a warning sign.
//!
//! Only a word that is neither English nor already a word of the rules is corrected, and only into a
//! word of the rules' `all` lists: a correction can make a rule fire, never stop one firing (a `none`
//! list's words are never targets, a word the rules already read is never changed, and the rules
//! read both the message as written and as corrected). "English" here is the large dictionary of
//! [`crate::english::is_word`], not the matcher's list of common words: "weeding" and "swears" are
//! not typos of "weeing" and "sweats".

use crate::knowledge::SignGroup;
use crate::matcher::TypoIndex;
use rustc_hash::FxHashSet;
use std::borrow::Cow;

/// Words shorter than this are never corrected: one edit turns a short word into another real one
/// ("wee" and "pee", "week" and "weak").
const MIN_WORD_CHARS: usize = 5;
/// A stem (`incontinen*`) shorter than this is never a correction target on its own.
const MIN_STEM_CHARS: usize = 4;
/// A misspelt short stem ("week" for `weak*`) only counts before an ending words take ("weeker"), so
/// a word that merely starts alike ("numpty") is left alone; a long stem may go on with anything.
const SHORT_STEM_CHARS: usize = 6;
/// The endings a misspelt short stem may take (`SHORT_STEM_CHARS`).
const ENDINGS: &[&str] = &[
    "", "s", "es", "ed", "er", "ers", "est", "ing", "ness", "y", "ly", "ish",
];

/// The words and stems of the sign rules, for spotting and correcting misspellings of them.
pub(super) struct Spelling {
    /// Whole words of the rules (`bladder`, `retention`).
    words: FxHashSet<String>,
    /// Stems of the rules (`numb`, `incontinen`), matching any word they begin.
    stems: FxHashSet<String>,
    /// Endings of the rules (`*kg`), matching any word they end.
    endings: Vec<String>,
    /// `words` and `stems`, for finding the closest one to a misspelling.
    typo: TypoIndex,
    /// The longest stem, in bytes: a word's longer beginnings need no look-up.
    longest_stem: usize,
}

impl Spelling {
    pub(super) fn new(groups: &[SignGroup]) -> Spelling {
        let mut words = FxHashSet::default();
        let mut stems = FxHashSet::default();
        let mut endings = Vec::new();
        let mut targets: Vec<String> = Vec::new();
        let lists = groups.iter().flat_map(|g| &g.rules).flat_map(|r| {
            r.all
                .iter()
                .flatten()
                .map(|p| (p, true))
                .chain(r.none.iter().map(|p| (p, false)))
        });
        for (pattern, target) in lists {
            for token in pattern.split(' ').filter(|t| *t != "...") {
                if let Some(stem) = token.strip_suffix('*') {
                    if stem.is_empty() {
                        continue;
                    }
                    if stems.insert(stem.to_string())
                        && target
                        && stem.chars().count() >= MIN_STEM_CHARS
                    {
                        targets.push(stem.to_string());
                    }
                } else if let Some(ending) = token.strip_prefix('*') {
                    endings.push(ending.to_string());
                } else if words.insert(token.to_string())
                    && target
                    && token.chars().count() >= MIN_WORD_CHARS
                {
                    targets.push(token.to_string());
                }
            }
        }
        let longest_stem = stems.iter().map(String::len).max().unwrap_or(0);
        Spelling {
            words,
            stems,
            endings,
            typo: TypoIndex::build(targets.into_iter().map(|t| (t, 1))),
            longest_stem,
        }
    }

    /// Whether a rule reads this word as it stands.
    fn known(&self, word: &str) -> bool {
        self.words.contains(word)
            || word
                .char_indices()
                .skip(1)
                .map(|(end, _)| &word[..end])
                .chain(std::iter::once(word))
                .take_while(|prefix| prefix.len() <= self.longest_stem)
                .any(|prefix| self.stems.contains(prefix))
            || self.endings.iter().any(|e| word.ends_with(e.as_str()))
    }

    /// The rules' word a misspelt word stands for: the closest word or stem of an `all` list (ties go
    /// as in [`TypoIndex::correct`]), or `None` when the word is fine or close to none.
    fn correct(&self, word: &str) -> Option<String> {
        if word.chars().count() < MIN_WORD_CHARS
            || self.known(word)
            || crate::english::is_word(word)
        {
            return None;
        }
        if let Some(fixed) = self.typo.correct(word) {
            return Some(fixed.to_string());
        }
        // A misspelt stem: "weeker" begins with "week", one letter from "weak", so it reads "weaker".
        (MIN_STEM_CHARS..word.len())
            .filter(|&end| word.is_char_boundary(end))
            .find_map(|end| {
                let (head, tail) = word.split_at(end);
                let stem = self.typo.correct(head)?;
                // One edit only: a stem is short, and its ending is free.
                if strsim::damerau_levenshtein(head, stem) > 1 {
                    return None;
                }
                let ending_ok = stem.chars().count() >= SHORT_STEM_CHARS || ENDINGS.contains(&tail);
                (self.stems.contains(stem) && ending_ok).then(|| format!("{stem}{tail}"))
            })
    }

    /// The message's words with misspelt sign words corrected; `None` when none needed it.
    pub(super) fn corrected<'a>(&self, words: &[&'a str]) -> Option<Vec<Cow<'a, str>>> {
        let mut out: Option<Vec<Cow<'a, str>>> = None;
        for (i, word) in words.iter().enumerate() {
            if let Some(fixed) = self.correct(word) {
                let all =
                    out.get_or_insert_with(|| words.iter().map(|w| Cow::Borrowed(*w)).collect());
                all[i] = Cow::Owned(fixed);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;

    fn spelling() -> Spelling {
        match KnowledgeBase::bundled() {
            Ok(kb) => Spelling::new(&kb.warning_signs().groups),
            Err(e) => panic!("bundled knowledge base: {e}"),
        }
    }

    #[test]
    fn misspelt_sign_words_read_as_the_rules_words() {
        let s = spelling();
        for (typed, read) in [
            ("bladdar", "bladder"),
            ("controll", "control"),
            ("incontinance", "incontinence"),
            ("weeker", "weaker"),
        ] {
            assert_eq!(s.correct(typed).as_deref(), Some(read), "{typed}");
        }
    }

    #[test]
    fn english_words_and_the_rules_own_words_are_left_alone() {
        let s = spelling();
        for word in [
            "weeding", "swears", "arching", "numpty", "bladder", "week", "numbness",
        ] {
            assert_eq!(s.correct(word), None, "{word}");
        }
    }

    #[test]
    fn a_message_without_misspellings_is_not_copied() {
        assert!(spelling()
            .corrected(&["my", "back", "hurts", "when", "i", "lift"])
            .is_none());
    }
}
