//! English words spelled right, which no typo correction may turn into a knowledge-base or
//! warning-sign word ("flooded" is not "floor", "weeding" is not "weeing").
//!
//! Two lists, for two appetites for correction:
//! - [`is_common`]: about 9,000 frequent words (`common.txt`, from the SCOWL spell-checker lists
//!   ranked by word frequency, with inflections and British and American spellings). The matcher
//!   corrects anything else towards the knowledge base's vocabulary, rare words included, since a
//!   wrong guess there only costs a ranking.
//! - [`is_word`]: SCOWL's large American and British lists, words of five letters or more
//!   (`large.txt`, rebuilt by `scripts/build-word-list`; copyright in `large.COPYRIGHT`). Triage
//!   corrects only what is not a word at all, since a wrong guess there is a false alarm.

use std::sync::LazyLock;

const COMMON: &str = include_str!("common.txt");
const LARGE: &str = include_str!("large.txt");

/// A sorted word list (checked by a test), searched by bisection.
struct WordList(LazyLock<Vec<&'static str>>);

impl WordList {
    fn contains(&self, word: &str) -> bool {
        self.0.binary_search(&word).is_ok()
    }
}

static COMMON_WORDS: WordList = WordList(LazyLock::new(|| COMMON.lines().collect()));
static LARGE_WORDS: WordList = WordList(LazyLock::new(|| LARGE.lines().collect()));

/// Whether `word` (lowercase) is a frequent English word.
pub fn is_common(word: &str) -> bool {
    COMMON_WORDS.contains(word)
}

/// Whether `word` (lowercase) is an English word at all: on the large list, or a frequent word
/// (which covers the short words the large list leaves out).
pub fn is_word(word: &str) -> bool {
    is_common(word) || LARGE_WORDS.contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_lowercase_and_unique() {
        for (name, list) in [("common", COMMON), ("large", LARGE)] {
            let words: Vec<&str> = list.lines().collect();
            assert!(
                words.windows(2).all(|w| w[0] < w[1]),
                "{name}: sorted, no duplicates"
            );
            assert!(
                words
                    .iter()
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{name}: lowercase letters only"
            );
        }
    }

    #[test]
    fn the_large_list_knows_words_the_common_one_does_not() {
        for word in ["weeding", "swears", "scaffold", "mezzanine"] {
            assert!(is_word(word), "{word}");
        }
        assert!(!is_common("mezzanine"));
        for typo in ["bladdar", "incontinance", "weeker"] {
            assert!(!is_word(typo), "{typo}");
        }
    }
}
