//! Words to index terms: stop words out, light stemming, synonym groups folded, typos corrected against the KB vocabulary.

use super::normalize::normalize;
use super::typo::TypoIndex;
use crate::knowledge::SynonymGroup;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

/// Words that carry no topic. Question words (how, why, what, where, when) and negations stay: they
/// tell "what is a hinge" from "how do I hinge" and "why can't I".
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "actually",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "are",
    "as",
    "at",
    "be",
    "been",
    "being",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "each",
    "even",
    "ever",
    "for",
    "from",
    "get",
    "getting",
    "got",
    "guy",
    "guys",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "hey",
    "hi",
    "him",
    "his",
    "honestly",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "kind",
    "kinda",
    "know",
    "like",
    "lol",
    "me",
    "might",
    "mine",
    "more",
    "much",
    "must",
    "my",
    "myself",
    "of",
    "oh",
    "ok",
    "okay",
    "on",
    "one",
    "or",
    "other",
    "our",
    "out",
    "please",
    "quick",
    "quite",
    "really",
    "she",
    "so",
    "some",
    "someone",
    "something",
    "sort",
    "still",
    "such",
    "super",
    "sure",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "though",
    "to",
    "too",
    "totally",
    "um",
    "very",
    "was",
    "we",
    "well",
    "were",
    "which",
    "while",
    "who",
    "will",
    "with",
    "would",
    "yeah",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
    "bit",
    "lot",
    "lots",
    "way",
    "go",
    "going",
    "want",
    "wanna",
    "gonna",
    "trying",
    "try",
    "tried",
    "thanks",
    "thank",
    "hello",
    "definitely",
    "basically",
    "anyway",
    "exactly",
    "literally",
    "btw",
    "truly",
    "tbh",
    "anyways",
    "probably",
    "maybe",
    "pretty",
    "simply",
    "perhaps",
];

/// One analysed term of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub text: String,
    /// How the term came about, for `--explain`.
    pub origin: Origin,
    /// Typed in the setting of an injury the message reports: "moving a sofa" in "did my back in
    /// moving a sofa, now what". The message asks about the injury, not the sofa.
    pub setting: bool,
}

/// Where a term came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The word as typed (stemmed).
    Word,
    /// A synonym group folded these words into the canonical term.
    Synonym(String),
    /// A likely typo of a known term.
    Typo(String),
    /// Not in the knowledge base's vocabulary.
    Unknown,
}

/// The text analyser shared by indexing and querying, so both sides agree on every term.
pub struct Analyzer {
    stop: FxHashSet<&'static str>,
    /// Stemmed word sequences → canonical term; longest phrase first.
    phrases: FxHashMap<Vec<String>, String>,
    /// Canonical terms of the groups that give a topic word another sense (`other_sense`).
    other_sense: FxHashSet<String>,
    /// Canonical terms of the groups that report an injury (`injury`).
    injury: FxHashSet<String>,
    longest_phrase: usize,
    typo: TypoIndex,
}

impl Analyzer {
    /// An analyser with the synonym groups but no vocabulary yet (used to index the knowledge base).
    pub fn new(groups: &[SynonymGroup]) -> Analyzer {
        let mut phrases = FxHashMap::default();
        let mut other_sense = FxHashSet::default();
        let mut injury = FxHashSet::default();
        let mut longest_phrase = 1;
        for g in groups {
            let canonical = stem_phrase(&g.canonical).join("_");
            if g.other_sense {
                other_sense.insert(canonical.clone());
            }
            if g.injury {
                injury.insert(canonical.clone());
            }
            for w in std::iter::once(&g.canonical).chain(&g.words) {
                let key = stem_phrase(w);
                if key.is_empty() {
                    continue;
                }
                longest_phrase = longest_phrase.max(key.len());
                phrases.entry(key).or_insert_with(|| canonical.clone());
            }
        }
        Analyzer {
            stop: STOP_WORDS.iter().copied().collect(),
            phrases,
            other_sense,
            injury,
            longest_phrase,
            typo: TypoIndex::default(),
        }
    }

    /// Sets the vocabulary that typos are corrected towards (the knowledge base's own terms).
    pub fn set_vocabulary(&mut self, terms: impl IntoIterator<Item = (String, u32)>) {
        self.typo = TypoIndex::build(terms);
    }

    /// Whether a term says a topic word was used in another sense ("the lift is broken").
    pub fn is_other_sense(&self, term: &str) -> bool {
        self.other_sense.contains(term)
    }

    /// Every single-word synonym (stemmed), so typos of them can be corrected too.
    pub fn synonym_words(&self) -> impl Iterator<Item = &str> {
        self.phrases
            .keys()
            .filter(|k| k.len() == 1)
            .map(|k| k[0].as_str())
    }

    /// Analyses text: normalize, fold synonym phrases, drop stop words, stem, correct typos.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        self.terms_normalized(&normalize(text))
    }

    /// [`Analyzer::terms`] for text already put through [`normalize`].
    pub fn terms_normalized(&self, normalized: &str) -> Vec<Term> {
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        // Possessives are stop words, so reading them as "my" changes phrase lookups only.
        let stems: Vec<String> = words
            .iter()
            .map(|w| phrase_key(&stem(w)).to_string())
            .collect();
        let mut out = Vec::with_capacity(words.len());
        // Words in this range are the setting of an injury just reported.
        let mut setting = 0..0;
        let mut i = 0;
        while i < words.len() {
            if let Some((len, canonical)) = self.phrase_at(&stems[i..]) {
                let source = words[i..i + len].join(" ");
                let origin = if source == canonical {
                    Origin::Word
                } else {
                    Origin::Synonym(source)
                };
                let injury = self.injury.contains(canonical);
                out.push(Term {
                    text: canonical.to_string(),
                    origin,
                    setting: setting.contains(&i),
                });
                i += len;
                if injury {
                    if let Some(found) = setting_of(&words, i) {
                        setting = found;
                    }
                }
                continue;
            }
            let in_setting = setting.contains(&i);
            let word = words[i];
            i += 1;
            if self.stop.contains(word) || word.chars().count() > 40 {
                continue;
            }
            let s = &stems[i - 1];
            if self.typo.is_empty() || self.typo.contains(s) {
                out.push(Term {
                    text: s.clone(),
                    origin: Origin::Word,
                    setting: in_setting,
                });
            } else if let Some(fixed) = (!crate::english::is_common(word))
                .then(|| self.typo.correct(s))
                .flatten()
            {
                let text = self
                    .phrases
                    .get(std::slice::from_ref(&fixed.to_string()))
                    .cloned()
                    .unwrap_or_else(|| fixed.to_string());
                out.push(Term {
                    text,
                    origin: Origin::Typo(word.to_string()),
                    setting: in_setting,
                });
            } else {
                out.push(Term {
                    text: s.clone(),
                    origin: Origin::Unknown,
                    setting: in_setting,
                });
            }
        }
        out
    }

    fn phrase_at(&self, stems: &[String]) -> Option<(usize, &str)> {
        let max = self.longest_phrase.min(stems.len());
        (1..=max)
            .rev()
            .find_map(|len| self.phrases.get(&stems[..len]).map(|c| (len, c.as_str())))
    }
}

/// Words that end the setting of a reported injury: when it happened, and what is being asked.
const SETTING_ENDS: &[&str] = &[
    "yesterday",
    "today",
    "tonight",
    "this",
    "last",
    "on",
    "at",
    "now",
    "and",
    "but",
    "so",
    "then",
    "what",
    "how",
    "why",
    "should",
    "can",
    "could",
    "is",
    "it",
    "i",
    "any",
    "do",
    "does",
    "will",
    "would",
    "since",
    "after",
    "before",
    "when",
    "ago",
    "please",
    "help",
    "tips",
    "advice",
];
/// At most this many words after the activity's "-ing" word belong to the setting.
const SETTING_MAX_WORDS: usize = 4;

/// At most this many words may stand between an injury and its activity.
const BEFORE_ACTIVITY_MAX_WORDS: usize = 6;
/// Words that may stand between an injury and its activity: where it hurts ("pulled something in
/// my lower back lifting …") and "while".
const BEFORE_ACTIVITY: &[&str] = &[
    "in", "to", "my", "his", "her", "their", "the", "lower", "low", "upper", "back", "while",
    "whilst", "from", "by",
];

/// The words of the setting of an injury reported just before word `start`: an activity in "-ing"
/// ("… moving a sofa", "… in my back while lifting a crate") up to a word of [`SETTING_ENDS`].
/// `None` when no activity follows.
fn setting_of(words: &[&str], start: usize) -> Option<Range<usize>> {
    let mut i = start;
    while i < start + BEFORE_ACTIVITY_MAX_WORDS
        && words.get(i).is_some_and(|w| BEFORE_ACTIVITY.contains(w))
    {
        i += 1;
    }
    let is_activity = |w: &str| w.len() >= 5 && w.ends_with("ing");
    if !words.get(i).is_some_and(|w| is_activity(w)) {
        return None;
    }
    let mut end = i + 1;
    while end < words.len() && end <= i + SETTING_MAX_WORDS && !SETTING_ENDS.contains(&words[end]) {
        end += 1;
    }
    Some(i..end)
}

/// A phrase's words as synonym phrases are looked up: stemmed, with every possessive read as "my",
/// so "did my back in" also reads "did his back in" and "push your hips back" "push her hips back".
fn stem_phrase(phrase: &str) -> Vec<String> {
    normalize(phrase)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| phrase_key(&stem(w)).to_string())
        .collect()
}

/// A stemmed word as phrase lookups see it: possessives are all "my".
fn phrase_key(stem: &str) -> &str {
    match stem {
        "his" | "her" | "their" | "your" | "our" => "my",
        other => other,
    }
}

/// A light, deterministic suffix stripper: enough to join "hinging"/"hinges"/"hinged" to "hing".
/// Both the knowledge base and queries go through it, so consistency matters more than linguistics.
pub fn stem(word: &str) -> String {
    let n = word.chars().count();
    if n <= 3 || !word.is_ascii() {
        return word.to_string();
    }
    let w = word;
    let cut = |suffix: &str| &w[..w.len() - suffix.len()];
    let s: String = if w.ends_with("ies") && n > 4 {
        format!("{}y", cut("ies"))
    } else if w.ends_with("sses") {
        cut("es").to_string()
    } else if w.ends_with("ness") && n > 6 {
        cut("ness").to_string()
    } else if w.ends_with("ing") && n > 5 {
        undouble(cut("ing"))
    } else if w.ends_with("edly") && n > 6 {
        undouble(cut("edly"))
    } else if w.ends_with("ly") && n > 5 {
        cut("ly").to_string()
    } else if w.ends_with("ed") && n > 4 {
        undouble(cut("ed"))
    } else if w.ends_with("es")
        && n > 4
        && (w.ends_with("ches") || w.ends_with("shes") || w.ends_with("xes"))
    {
        cut("es").to_string()
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        cut("s").to_string()
    } else {
        w.to_string()
    };
    // Fold a final "e" so "hinge"/"hinging" and "squeeze"/"squeezing" meet.
    match s.strip_suffix('e') {
        Some(base) if base.chars().count() >= 3 => base.to_string(),
        _ => s,
    }
}

fn undouble(base: &str) -> String {
    let b = base.as_bytes();
    if b.len() >= 3
        && b[b.len() - 1] == b[b.len() - 2]
        && !matches!(b[b.len() - 1], b'l' | b's' | b'z')
    {
        base[..base.len() - 1].to_string()
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_english_words_are_not_corrected_into_topic_words() {
        let mut a = Analyzer::new(&[]);
        a.set_vocabulary([("floor".to_string(), 3), ("bridg".to_string(), 2)]);
        for word in ["flooded", "bring"] {
            let terms = a.terms(word);
            assert_eq!(terms[0].origin, Origin::Unknown, "{word}: {terms:?}");
        }
        assert!(matches!(a.terms("flor")[0].origin, Origin::Typo(_)));
    }

    #[test]
    fn inflections_share_a_stem() {
        for (a, b) in [
            ("hinging", "hinge"),
            ("hinges", "hinge"),
            ("hinged", "hinge"),
            ("squats", "squat"),
            ("squatting", "squat"),
            ("rounding", "rounds"),
            ("bodies", "body"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} vs {b}");
        }
    }

    #[test]
    fn synonym_phrases_fold_to_the_canonical_term() {
        let a = Analyzer::new(&[SynonymGroup {
            canonical: "lift".into(),
            words: vec!["pick up".into(), "grab".into()],
            other_sense: false,
            injury: false,
        }]);
        let terms: Vec<String> = a
            .terms("how do I pick up boxes")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(terms, vec!["how", "lift", "box"]);
    }

    /// An analyser with one injury group, "tweak".
    fn injury_analyzer(words: &[&str]) -> Analyzer {
        Analyzer::new(&[SynonymGroup {
            canonical: "tweak".into(),
            words: words.iter().map(|w| w.to_string()).collect(),
            other_sense: false,
            injury: true,
        }])
    }

    #[test]
    fn the_activity_after_a_reported_injury_is_its_setting() {
        let a = injury_analyzer(&["did my back in", "pulled something"]);
        let setting = |text: &str| -> Vec<String> {
            a.terms(text)
                .into_iter()
                .filter(|t| t.setting)
                .map(|t| t.text)
                .collect()
        };
        let plain =
            |text: &str| -> Vec<String> { a.terms(text).into_iter().map(|t| t.text).collect() };
        assert_eq!(
            setting("did my back in moving a sofa yesterday, now what"),
            plain("moving a sofa")
        );
        // Where it hurts is not the setting; the activity after it is.
        assert_eq!(
            setting("pulled something in my lower back while lifting a crate at work"),
            plain("lifting a crate")
        );
        // No activity right after the injury: nothing is setting.
        assert!(setting("did my back in, how do I lift boxes now").is_empty());
        // The setting ends where the question starts.
        assert_eq!(
            setting("did my back in lifting, how should I lift"),
            plain("lifting")
        );
    }

    #[test]
    fn a_phrase_with_my_also_reads_with_his_her_their_and_your() {
        let a = injury_analyzer(&["did my back in"]);
        for text in [
            "did my back in",
            "he did his back in",
            "she did her back in",
            "they did their back in",
            "you did your back in",
        ] {
            let terms: Vec<String> = a.terms(text).into_iter().map(|t| t.text).collect();
            assert!(terms.contains(&"tweak".to_string()), "{text}: {terms:?}");
        }
    }
}
