//! Finds the sentences of a long, story-like post that carry its question, so matching can weigh them more.
//!
//! People write stories: who they are, what happened, and only then (or never quite) what they want
//! to know. The whole story still counts, but the sentences that ask — ending in `?`, opening with
//! "how/why/should/can…", or saying "any advice", "I'm wondering" — are the best summary of it.

/// Posts shorter than this many words are their own focus.
const MIN_STORY_WORDS: usize = 25;
/// A focus shorter than this many words ("What should I do?") takes the sentence before it along.
const MIN_FOCUS_WORDS: usize = 8;
/// At most this many sentences make the focus (the last ones asked win).
const MAX_FOCUS_SENTENCES: usize = 3;

/// Words that open a question, after any filler ("so", "but", "anyway").
const QUESTION_OPENERS: &[&str] = &[
    "how",
    "why",
    "what",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "should",
    "shall",
    "can",
    "could",
    "would",
    "will",
    "is",
    "isnt",
    "are",
    "arent",
    "am",
    "do",
    "does",
    "did",
    "has",
    "have",
    "any",
    "anyone",
    "anybody",
    "need",
    "help",
    "advice",
    "tips",
    "wondering",
    "thoughts",
];
/// Filler that may stand before a question's opening word.
const FILLER: &[&str] = &[
    "so",
    "but",
    "and",
    "anyway",
    "anyways",
    "ok",
    "okay",
    "basically",
    "also",
    "now",
    "well",
    "then",
    "hi",
    "hey",
    "hello",
    "please",
    "question",
    "my",
    "q",
];
/// Phrases that mark a sentence as the ask wherever they stand in it.
const ASKING_PHRASES: &[&str] = &[
    "wondering",
    "any advice",
    "any tips",
    "any ideas",
    "any suggestions",
    "what should",
    "how do i",
    "how can i",
    "how should",
    "is it normal",
    "is it ok",
    "is this normal",
    "is that normal",
    "should i",
    "do i need",
    "help me",
    "need help",
    "please help",
    "want to know",
    "would like to know",
    "need to know",
    "my question",
    "can someone",
    "can anyone",
    "does anyone",
    "anyone know",
    "recommend",
];

/// The question-carrying sentences of a long post, in their original order, or `None` when the
/// post is short or no sentence stands out as the ask.
pub fn focus(text: &str) -> Option<String> {
    if text.split_whitespace().count() < MIN_STORY_WORDS {
        return None;
    }
    let sentences = sentences(text);
    if sentences.len() < 2 {
        return None;
    }
    let scores: Vec<u32> = sentences.iter().map(|s| asking_score(s)).collect();
    let mut picked: Vec<usize> = (0..sentences.len()).filter(|&i| scores[i] > 0).collect();
    if picked.is_empty() || picked.len() == sentences.len() {
        return None;
    }
    // Keep the strongest asks; on a tie the later one wins (the question usually comes last).
    picked.sort_by_key(|&i| (std::cmp::Reverse(scores[i]), std::cmp::Reverse(i)));
    picked.truncate(MAX_FOCUS_SENTENCES);
    picked.sort_unstable();
    let words = |i: usize| sentences[i].split_whitespace().count();
    let mut total: usize = picked.iter().map(|&i| words(i)).sum();
    while total < MIN_FOCUS_WORDS && picked[0] > 0 {
        let before = picked[0] - 1;
        total += words(before);
        picked.insert(0, before);
    }
    Some(
        picked
            .iter()
            .map(|&i| sentences[i])
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// How strongly a sentence asks something: a question mark, a question's opening word, an asking phrase.
fn asking_score(sentence: &str) -> u32 {
    let lower = sentence.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\'', ""))
        .collect();
    let mut score = 0;
    if sentence.trim_end().ends_with('?') {
        score += 2;
    }
    if let Some(first) = words.iter().find(|w| !FILLER.contains(&w.as_str())) {
        if QUESTION_OPENERS.contains(&first.as_str()) {
            score += 1;
        }
    }
    let joined = words.join(" ");
    if ASKING_PHRASES.iter().any(|p| contains_phrase(&joined, p)) {
        score += 1;
    }
    score
}

/// Whether `phrase` stands in `words` (space-separated) as whole words.
fn contains_phrase(words: &str, phrase: &str) -> bool {
    words.match_indices(phrase).any(|(at, _)| {
        let before = at == 0 || words.as_bytes()[at - 1] == b' ';
        let end = at + phrase.len();
        let after = end == words.len() || words.as_bytes()[end] == b' ';
        before && after
    })
}

/// Splits text into sentences at `.`, `!`, `?`, `;` or a line break followed by a space or the end
/// (so "2.5 kg" and "e.g." inside a word stay whole); each keeps its closing mark.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let closes = matches!(c, '.' | '!' | '?' | ';' | '\n' | '…');
        if !closes {
            continue;
        }
        // Runs of closing marks ("?!", "...") end one sentence.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if matches!(d, '.' | '!' | '?' | '…') {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let at_boundary = chars
            .peek()
            .is_none_or(|&(_, d)| d.is_whitespace() || d == '"');
        if (at_boundary && !(c == '.' && ends_with_abbreviation(&text[start..i]))) || c == '\n' {
            let s = text[start..end].trim();
            if s.chars().any(char::is_alphanumeric) {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if rest.chars().any(char::is_alphanumeric) {
        out.push(rest);
    }
    out
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "st", "no",
];

/// Whether the text before a full stop ends with one of [`ABBREVIATIONS`].
fn ends_with_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    ABBREVIATIONS.contains(&last.as_str())
}

#[cfg(test)]
mod tests {
    use super::{focus, sentences};

    #[test]
    fn a_story_is_reduced_to_its_question() {
        let post = "I've worked in the same warehouse for six years and never had a problem. Last month \
                    they moved us onto the night shift and the pallets come in much fuller. By the end of \
                    the week my lower back is stiff and it takes ages to loosen up in the morning. Is there \
                    a better way to pick the boxes up off the bottom of the pallet?";
        assert_eq!(
            focus(post).as_deref(),
            Some("Is there a better way to pick the boxes up off the bottom of the pallet?")
        );
    }

    #[test]
    fn a_short_final_question_keeps_the_sentence_before_it() {
        let post =
            "Started deadlifting three months ago and I'm up to 100 kg now which I'm proud of. \
                    Yesterday I felt my lower back burning on every rep instead of my hamstrings. \
                    What am I doing wrong?";
        assert_eq!(
            focus(post).as_deref(),
            Some(
                "Yesterday I felt my lower back burning on every rep instead of my hamstrings. \
                 What am I doing wrong?"
            )
        );
    }

    #[test]
    fn short_messages_and_stories_without_an_ask_have_no_focus() {
        assert_eq!(focus("how do I hinge?"), None);
        let story =
            "I lift boxes all day at work. My back is fine. The shifts are long and the pay is \
                     fine too. We start at six and finish at two, and the canteen is good.";
        assert_eq!(focus(story), None);
    }

    #[test]
    fn decimals_and_abbreviations_do_not_split_sentences() {
        assert_eq!(
            sentences("I lift 2.5kg plates, e.g. at the gym. Is that ok?"),
            vec!["I lift 2.5kg plates, e.g. at the gym.", "Is that ok?"]
        );
    }
}
