//! Masks personal data (e-mail addresses, phone numbers, ids, mentions, links) out of a question
//! before it is stored as unanswered, and again before a report shows it.
//!
//! Placeholders: `[email]`, `[phone]`, `[number]` (any word holding 5 or more digits: badge
//! numbers, employee ids, order numbers), `[mention]` (`<@1>`, `<@!1>`, `<@&1>`, `<#1>`,
//! `@everyone`, `@here`, `@name`) and `[link]` (`http://`, `https://`, `www.`). The rules lean
//! towards masking too much: a list of weights such as `20 25 30 35 kg` is masked as a phone
//! number rather than risk keeping a real one. Text is compatibility-folded first (NFKC), so
//! full-width digits and `＠` are seen for what they are, and invisible format characters
//! (zero-width spaces and joiners, soft hyphens) cannot split a number into harmless pieces.
//! Linear in the length of the input.

use unicode_normalization::UnicodeNormalization;

/// What a stretch of masked text stood for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Email,
    Phone,
    Number,
    Mention,
    Link,
}

impl Placeholder {
    fn text(self) -> &'static str {
        match self {
            Placeholder::Email => "[email]",
            Placeholder::Phone => "[phone]",
            Placeholder::Number => "[number]",
            Placeholder::Mention => "[mention]",
            Placeholder::Link => "[link]",
        }
    }
}

/// A piece of masked text: kept as written, or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Masked(Placeholder),
}

/// A phone number has at least this many digits, in at least two groups (or after a `+`).
const MIN_PHONE_DIGITS: usize = 7;
/// A word with at least this many digits is an id of some kind.
const MIN_ID_DIGITS: usize = 5;
/// What may stand between the digit groups of a phone number, at most three in a row (` - `).
const PHONE_SEPARATORS: [char; 6] = [' ', '-', '.', '(', ')', '\u{a0}'];
/// Characters that end a link when they are its last: sentence punctuation and closing brackets.
const LINK_TRAILERS: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '>', '\'', '"', '»', '”', '’',
];

/// Replaces personal data in `text` with placeholders; everything else is kept as written
/// (after NFKC folding).
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for segment in segments(text) {
        match segment {
            Segment::Text(t) => out.push_str(&t),
            Segment::Masked(p) => out.push_str(p.text()),
        }
    }
    out
}

/// The text to store for an unanswered question: masked, then normalized like the matcher
/// normalizes questions, with the placeholders kept intact (normalizing first would break an
/// e-mail address into words that no longer look like one).
pub fn storable_question(raw: &str) -> String {
    let capped: String = raw.chars().take(crate::matcher::MAX_INPUT_CHARS).collect();
    let mut words = Vec::new();
    for segment in segments(&capped) {
        match segment {
            Segment::Text(t) => {
                let normalized = crate::matcher::normalize(&t);
                if !normalized.is_empty() {
                    words.push(normalized);
                }
            }
            Segment::Masked(p) => words.push(p.text().to_string()),
        }
    }
    words.join(" ")
}

fn segments(text: &str) -> Vec<Segment> {
    let chars: Vec<char> = text.nfkc().filter(|&c| !is_invisible(c)).collect();
    let mut segments = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        match match_at(&chars, i) {
            Some((len, placeholder)) => {
                if !plain.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut plain)));
                }
                segments.push(Segment::Masked(placeholder));
                i += len.max(1);
            }
            None => {
                plain.push(chars[i]);
                i += 1;
            }
        }
    }
    if !plain.is_empty() {
        segments.push(Segment::Text(plain));
    }
    segments
}

/// Format characters that render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// The length and kind of the personal data starting at `i`, if any. Each rule only starts at
/// the beginning of a word, so every character is looked at a bounded number of times.
fn match_at(chars: &[char], i: usize) -> Option<(usize, Placeholder)> {
    let c = chars[i];
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let word_start = prev.is_none_or(|p| !p.is_alphanumeric());
    if c == '<' {
        if let Some(len) = discord_mention(chars, i) {
            return Some((len, Placeholder::Mention));
        }
    }
    if c == '@' {
        return at_mention(chars, i).map(|len| (len, Placeholder::Mention));
    }
    if let Some(len) = link(chars, i, word_start) {
        return Some((len, Placeholder::Link));
    }
    if prev.is_none_or(|p| !is_local_part(p)) && is_local_part(c) {
        if let Some(len) = email(chars, i) {
            return Some((len, Placeholder::Email));
        }
    }
    if word_start && (c == '+' || c == '(' || c.is_numeric()) {
        if let Some(len) = phone(chars, i) {
            return Some((len, Placeholder::Phone));
        }
    }
    if word_start && c.is_alphanumeric() {
        let len = run(chars, i, char::is_alphanumeric);
        let digits = chars[i..i + len].iter().filter(|c| c.is_numeric()).count();
        if digits >= MIN_ID_DIGITS {
            return Some((len, Placeholder::Number));
        }
    }
    None
}

/// How many characters from `i` on satisfy `keep`.
fn run(chars: &[char], i: usize, keep: impl Fn(char) -> bool) -> usize {
    run_upto(chars, i, usize::MAX, keep)
}

/// Like [`run`], but looks at no more than `max` characters.
fn run_upto(chars: &[char], i: usize, max: usize, keep: impl Fn(char) -> bool) -> usize {
    chars
        .get(i..)
        .unwrap_or_default()
        .iter()
        .take(max)
        .take_while(|&&c| keep(c))
        .count()
}

fn starts_with_ignore_case(chars: &[char], i: usize, prefix: &str) -> bool {
    let mut at = i;
    for p in prefix.chars() {
        match chars.get(at) {
            Some(c) if c.to_ascii_lowercase() == p => at += 1,
            _ => return false,
        }
    }
    true
}

/// `<@123>`, `<@!123>`, `<@&123>`, `<#123>`.
fn discord_mention(chars: &[char], i: usize) -> Option<usize> {
    let mut at = i + 1;
    match chars.get(at)? {
        '@' => {
            at += 1;
            if matches!(chars.get(at), Some('!' | '&')) {
                at += 1;
            }
        }
        '#' => at += 1,
        _ => return None,
    }
    let digits = run(chars, at, |c| c.is_ascii_digit());
    if digits == 0 || chars.get(at + digits) != Some(&'>') {
        return None;
    }
    Some(at + digits + 1 - i)
}

/// `@everyone`, `@here` or `@name` (letters, digits, `_` and `.`, not ending in `.`).
fn at_mention(chars: &[char], i: usize) -> Option<usize> {
    let name = run(chars, i + 1, |c| {
        c.is_alphanumeric() || c == '_' || c == '.'
    });
    let name = chars[i + 1..i + 1 + name]
        .iter()
        .rposition(|&c| c != '.')
        .map_or(0, |last| last + 1);
    (name > 0).then_some(1 + name)
}

/// `http://…`, `https://…` or (at the start of a word, so "awww." is safe) `www.…`, up to the
/// next space, without trailing punctuation.
fn link(chars: &[char], i: usize, word_start: bool) -> Option<usize> {
    let prefix = ["https://", "http://", "www."]
        .into_iter()
        .filter(|p| word_start || p.ends_with("//"))
        .find(|p| starts_with_ignore_case(chars, i, p))?;
    let len = run(chars, i, |c| !c.is_whitespace());
    let trimmed = chars[i..i + len]
        .iter()
        .rposition(|c| !LINK_TRAILERS.contains(c))
        .map_or(0, |last| last + 1);
    // A bare scheme is still a link being typed; a bare "www" is just a word.
    let enough = if prefix.ends_with("//") {
        trimmed >= prefix.len()
    } else {
        trimmed > prefix.len()
    };
    enough.then_some(trimmed)
}

fn is_local_part(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

/// `local@domain.tld`, the top-level domain at least two letters.
fn email(chars: &[char], i: usize) -> Option<usize> {
    let local = run(chars, i, is_local_part);
    if local == 0 || chars.get(i + local) != Some(&'@') || chars[i] == '.' {
        return None;
    }
    let start = i + local + 1;
    let domain = run(chars, start, |c| {
        c.is_alphanumeric() || c == '.' || c == '-'
    });
    let domain = &chars[start..start + domain];
    let end = domain.iter().rposition(|c| c.is_alphanumeric())? + 1;
    let domain = &domain[..end];
    let dot = domain.iter().rposition(|&c| c == '.')?;
    let tld = &domain[dot + 1..];
    if dot == 0 || tld.len() < 2 || !tld.iter().all(|c| c.is_alphabetic()) {
        return None;
    }
    Some(local + 1 + end)
}

/// Digit groups joined by spaces, dashes, dots or brackets: `+44 7700 900123`, `(555) 123-4567`,
/// `06 12 34 56 78`. Dates such as `12.03.2024` are not phone numbers.
fn phone(chars: &[char], i: usize) -> Option<usize> {
    let mut at = i;
    let plus = chars[at] == '+';
    if plus {
        at += 1;
    }
    let mut groups: Vec<usize> = Vec::new();
    let mut end = at;
    loop {
        at += run_upto(chars, at, 1, |c| c == '(');
        let digits = run(chars, at, char::is_numeric);
        if digits == 0 {
            break;
        }
        let after = at + digits;
        if chars.get(after).is_some_and(|c| c.is_alphabetic()) {
            // "12kg": a measurement, not part of a number.
            break;
        }
        groups.push(digits);
        end = after;
        if chars.get(end) == Some(&')') {
            end += 1;
        }
        let gap = run_upto(chars, end, 3, |c| PHONE_SEPARATORS.contains(&c));
        if gap == 0 {
            break;
        }
        at = end + gap;
    }
    let total: usize = groups.iter().sum();
    let long_enough = total >= MIN_PHONE_DIGITS && (groups.len() >= 2 || plus);
    (long_enough && !is_date(&groups)).then_some(end - i)
}

fn is_date(groups: &[usize]) -> bool {
    let day_or_month = |n: &usize| (1..=2).contains(n);
    match groups {
        [4, m, d] => day_or_month(m) && day_or_month(d),
        [d, m, y] => day_or_month(d) && day_or_month(m) && (*y == 2 || *y == 4),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn personal_data_is_replaced_by_placeholders() {
        let cases: &[(&str, &str)] = &[
            // E-mail addresses.
            (
                "mail me at jo.bloggs+hr@example.co.uk",
                "mail me at [email]",
            ),
            ("JO@EXAMPLE.COM, thanks", "[email], thanks"),
            ("(ops-team@depot.example.org)", "([email])"),
            ("o'brien@site.ie is my address", "[email] is my address"),
            (
                "user@localhost is not an address",
                "user[mention] is not an address",
            ),
            // Phone numbers.
            ("call 07700 900123 tonight", "call [phone] tonight"),
            ("ring +44 7700 900123", "ring [phone]"),
            ("my cell is (555) 123-4567.", "my cell is [phone]."),
            ("555.123.4567", "[phone]"),
            ("06 12 34 56 78", "[phone]"),
            ("+4915112345678", "[phone]"),
            // Ids and other long numbers.
            ("badge 123456 won't scan", "badge [number] won't scan"),
            ("employee no. EMP0012345 here", "employee no. [number] here"),
            ("ticket #98765", "ticket #[number]"),
            ("order 12345-AB", "order [number]-AB"),
            // Discord mentions.
            (
                "<@123456789012345678> can you help",
                "[mention] can you help",
            ),
            (
                "ask <@!42> or <@&7> in <#99>",
                "ask [mention] or [mention] in [mention]",
            ),
            (
                "@everyone lift with your hips",
                "[mention] lift with your hips",
            ),
            ("hey @here!", "hey [mention]!"),
            ("@sarah.jones said so.", "[mention] said so."),
            // Links.
            ("see https://example.com/a?b=1.", "see [link]."),
            ("(www.example.com/page)", "([link])"),
            ("HTTP://EXAMPLE.COM", "[link]"),
            ("see:https://example.com", "see:[link]"),
            ("awww. thanks", "awww. thanks"),
            ("call 555 - 123 - 4567", "call [phone]"),
            ("<https://example.com/x>", "<[link]>"),
            // Kept: short numbers, weights, dates, times, a lone @.
            (
                "is 25 kg too heavy for 3 reps",
                "is 25 kg too heavy for 3 reps",
            ),
            (
                "lifted 1200 boxes on 12.03.2024 at 10:30",
                "lifted 1200 boxes on 12.03.2024 at 10:30",
            ),
            ("2024-03-12 shift", "2024-03-12 shift"),
            ("I'm @ work", "I'm @ work"),
            ("20kg 25kg 30kg 35kg", "20kg 25kg 30kg 35kg"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(mask(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn odd_unicode_cannot_hide_personal_data() {
        let cases: &[(&str, &str)] = &[
            // Full-width digits and at sign fold to ASCII first.
            ("ｍｙ ｂａｄｇｅ １２３４５６", "my badge [number]"),
            ("jo＠example.com", "[email]"),
            // Zero-width spaces and soft hyphens inside a number.
            ("id 1\u{200b}2\u{200b}3\u{200b}4\u{200b}5", "id [number]"),
            ("07700\u{00ad}900\u{00ad}123", "[number]"),
            // Other scripts' digits are digits.
            ("رقم ٠١٢٣٤٥٦", "رقم [number]"),
            // Accents and emoji around data survive untouched.
            ("café ☕ josé@exemplo.pt 👍", "café ☕ [email] 👍"),
            ("Ｈｔｔｐｓ://ＥＸＡＭＰＬＥ.com", "[link]"),
            // Combining marks stay with their letters.
            ("z\u{0301}a\u{0301}", "źá"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn very_long_input_is_masked_throughout() {
        let piece = "lift from the hips, call 07700 900123 or mail a@b.org; ";
        let text = piece.repeat(5_000);
        let masked = mask(&text);
        assert_eq!(masked.matches("[phone]").count(), 5_000);
        assert_eq!(masked.matches("[email]").count(), 5_000);
        assert!(!masked.contains("900123"));
        let digits = "9".repeat(200_000);
        assert_eq!(mask(&digits), "[number]");
        let dots = ".".repeat(100_000) + "@example.com";
        assert!(mask(&dots).ends_with("[mention]"));
    }

    #[test]
    fn a_storable_question_is_masked_then_normalized_with_placeholders_intact() {
        assert_eq!(
            storable_question(
                "Hi <@123>! My badge 55512 won't open the HOIST, mail Jo@Example.com"
            ),
            "hi [mention] my badge [number] will not open the hoist mail [email]"
        );
        assert_eq!(storable_question("   "), "");
        assert_eq!(storable_question("@here"), "[mention]");
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}",
            "[0-9]{1,9}",
            "[a-z]{1,5}@[a-z]{1,5}\\.[a-z]{2,3}",
            "\\+?[0-9]{2,4}[ .-][0-9]{3,4}[ .-][0-9]{3,4}",
            "<[@#][!&]?[0-9]{1,19}>",
            "https?://[a-z./]{1,12}",
            "[ .,@#<>()+-]{1,3}",
            "[\u{200b}\u{ff10}-\u{ff19}é👍]",
        ]
    }

    proptest! {
        #[test]
        fn masking_is_idempotent_and_leaves_no_long_digit_run_or_address(
            parts in proptest::collection::vec(fragment(), 0..12)
        ) {
            let text = parts.join(" ");
            let once = mask(&text);
            prop_assert_eq!(mask(&once), once.clone());
            let mut digits = 0;
            for c in once.chars() {
                digits = if c.is_numeric() { digits + 1 } else { 0 };
                prop_assert!(digits < MIN_ID_DIGITS, "{once:?}");
            }
            prop_assert!(!once.contains("://"), "{once:?}");
            let chars: Vec<char> = once.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                if *c == '@' {
                    prop_assert!(
                        !chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()),
                        "{once:?}"
                    );
                }
            }
        }
    }
}
