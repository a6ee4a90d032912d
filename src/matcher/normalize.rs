//! Turns raw chat text into plain lowercase words: Unicode compatibility-folded (NFKC's folding, then accents
//! and zalgo marks dropped), no markup, mentions, emoji or punctuation.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Input beyond this many characters is ignored: questions are short, and work must stay bounded.
pub const MAX_INPUT_CHARS: usize = 2000;

/// Normalizes `text` into space-separated lowercase words, contractions expanded.
pub fn normalize(text: &str) -> String {
    let capped: String = text.chars().take(MAX_INPUT_CHARS).collect();
    let stripped = strip_markup(&capped);
    let mut folded = String::with_capacity(stripped.len());
    if stripped.is_ascii() {
        // Most messages (and all of the knowledge base): no folding to do, so skip the Unicode tables.
        folded.extend(
            stripped
                .bytes()
                .map(|b| fold_char(char::from(b.to_ascii_lowercase()))),
        );
    } else {
        let unmarked = stripped.nfkd().filter(|&c| !is_combining_mark(c));
        folded.extend(unmarked.flat_map(char::to_lowercase).map(fold_char));
    }
    let mut words = Vec::new();
    for raw in folded.split_whitespace() {
        let word = raw.trim_matches('\'');
        if word.is_empty() {
            continue;
        }
        expand(word, &mut words);
    }
    rephrase(&mut words);
    words.join(" ")
}

/// Rewrites phrases whose words would otherwise be read literally: "not able to" and "unable to"
/// say "cannot" ("I am not able to control the toilet"), and falling asleep is no fall (a limb
/// that "fell asleep" still reads as asleep).
fn rephrase(words: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let at = |k: usize| words.get(i + k).map(String::as_str);
        let cannot = match (at(0), at(1), at(2)) {
            (Some("not"), Some("able"), Some("to")) => Some(3),
            (Some("unable"), Some("to"), _) => Some(2),
            _ => None,
        };
        let asleep = matches!(
            (at(0), at(1)),
            (
                Some("fall" | "falls" | "fell" | "falling" | "fallen"),
                Some("asleep")
            )
        );
        if let Some(len) = cannot {
            // "was not able to" is "could not".
            if matches!(out.last().map(String::as_str), Some("was" | "were")) {
                out.pop();
                out.extend(["could".to_string(), "not".to_string()]);
            } else {
                out.push("cannot".to_string());
            }
            i += len;
        } else {
            out.push(if asleep {
                "got".to_string()
            } else {
                std::mem::take(&mut words[i])
            });
            i += 1;
        }
    }
    *words = out;
}

/// Keeps letters, digits and apostrophes (curly or not); anything else separates words.
fn fold_char(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => '\'',
        c if c.is_alphanumeric() || c == '\'' => c,
        _ => ' ',
    }
}

/// Removes Discord mentions (`<@123>`, `<@&1>`, `<#1>`), custom emoji (`<:name:1>`), `@everyone`/`@here` and URLs.
fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['<', '@', 'h']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let skip = if tail.starts_with('<') {
            tail.find('>')
                .filter(|&end| end <= 80 && is_discord_token(&tail[1..end]))
                .map(|end| end + 1)
        } else if tail.starts_with("@everyone") {
            Some("@everyone".len())
        } else if tail.starts_with("@here") {
            Some("@here".len())
        } else if tail.starts_with("http://") || tail.starts_with("https://") {
            Some(tail.find(char::is_whitespace).unwrap_or(tail.len()))
        } else {
            None
        };
        match skip {
            Some(n) => {
                out.push(' ');
                rest = &tail[n..];
            }
            None => {
                let c = tail.chars().next().map_or(1, char::len_utf8);
                out.push_str(&tail[..c]);
                rest = &tail[c..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_discord_token(inner: &str) -> bool {
    let body = inner
        .trim_start_matches(['@', '#', '!', '&', 'a'])
        .trim_start_matches(':');
    let id = body.rsplit(':').next().unwrap_or(body);
    !id.is_empty() && id.chars().all(|c| c.is_ascii_digit())
}

/// Contractions and their apostrophe-less chat spellings.
const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "cannot"),
    ("cant", "cannot"),
    ("won't", "will not"),
    ("wont", "will not"),
    ("shan't", "shall not"),
    ("ain't", "is not"),
    ("i'm", "i am"),
    ("im", "i am"),
    ("ive", "i have"),
    ("dont", "do not"),
    ("doesnt", "does not"),
    ("didnt", "did not"),
    ("isnt", "is not"),
    ("arent", "are not"),
    ("wasnt", "was not"),
    ("shouldnt", "should not"),
    ("couldnt", "could not"),
    ("wouldnt", "would not"),
    ("hasnt", "has not"),
    ("havent", "have not"),
    ("whats", "what is"),
    ("thats", "that is"),
    ("hows", "how is"),
    ("wheres", "where is"),
    ("whos", "who is"),
    ("youre", "you are"),
    ("theyre", "they are"),
    ("u", "you"),
    ("ur", "your"),
    ("pls", "please"),
    ("plz", "please"),
    ("w", "with"),
    ("thru", "through"),
    ("tho", "though"),
    ("n", "and"),
    ("r", "are"),
    ("abt", "about"),
    ("b4", "before"),
    ("bc", "because"),
    ("cuz", "because"),
    ("coz", "because"),
];

/// Words whose "'s" is always "is" (or "has"), never a possessive.
const IS_AFTER: &[&str] = &[
    "what", "that", "how", "where", "who", "when", "why", "it", "there", "here", "he", "she",
];

fn expand(word: &str, out: &mut Vec<String>) {
    if let Some((_, full)) = CONTRACTIONS.iter().find(|(short, _)| *short == word) {
        out.extend(full.split(' ').map(str::to_string));
        return;
    }
    if let Some(stem) = word.strip_suffix("n't") {
        out.push(stem.to_string());
        out.push("not".to_string());
        return;
    }
    for (suffix, full) in [
        ("'re", "are"),
        ("'ve", "have"),
        ("'ll", "will"),
        ("'d", "would"),
        ("'m", "am"),
    ] {
        if let Some(stem) = word.strip_suffix(suffix) {
            out.push(stem.to_string());
            out.push(full.to_string());
            return;
        }
    }
    if let Some(stem) = word.strip_suffix("'s") {
        // "what's" is "what is", as "whats" already is; after a noun it is a possessive.
        out.push(stem.to_string());
        if IS_AFTER.contains(&stem) {
            out.push("is".to_string());
        }
        return;
    }
    let clean: String = word.chars().filter(|&c| c != '\'').collect();
    if !clean.is_empty() {
        out.push(clean);
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn contractions_are_expanded_with_or_without_apostrophes() {
        assert_eq!(normalize("Why can't I hinge?"), "why cannot i hinge");
        assert_eq!(normalize("why cant i hinge"), "why cannot i hinge");
        assert_eq!(normalize("I don’t get it"), "i do not get it");
        assert_eq!(normalize("where's it leaking?"), "where is it leaking");
        assert_eq!(normalize("wheres it leaking"), "where is it leaking");
        assert_eq!(normalize("it's my dad's back"), "it is my dad back");
    }

    #[test]
    fn not_able_to_is_cannot_and_falling_asleep_is_no_fall() {
        assert_eq!(
            normalize("I am not able to control the toilet"),
            "i am cannot control the toilet"
        );
        assert_eq!(normalize("he was unable to stand"), "he could not stand");
        assert_eq!(normalize("I wasn't able to walk"), "i could not walk");
        assert_eq!(
            normalize("fell asleep on the sofa"),
            "got asleep on the sofa"
        );
        assert_eq!(normalize("I fell off the ladder"), "i fell off the ladder");
    }

    #[test]
    fn mentions_emoji_urls_and_markdown_are_dropped() {
        assert_eq!(
            normalize("<@123456> **how** do I <:hinge:98765> hinge? @everyone https://x.y/z"),
            "how do i hinge"
        );
    }

    #[test]
    fn fullwidth_and_zalgo_fold_to_plain_words() {
        assert_eq!(normalize("ＨＩＮＧＥ"), "hinge");
        assert_eq!(normalize("h\u{0336}i\u{0301}nge"), "hinge");
    }

    #[test]
    fn input_is_capped() {
        let long = "hinge ".repeat(10_000);
        assert!(normalize(&long).len() <= super::MAX_INPUT_CHARS);
    }
}
