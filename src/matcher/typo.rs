//! Typo correction towards the knowledge base's vocabulary: a deletion index (SymSpell) finds
//! candidates in a few hash look-ups, and Damerau-Levenshtein (strsim) confirms them.

use std::collections::HashMap;

/// Vocabulary terms and their deletion variants.
#[derive(Debug, Default)]
pub struct TypoIndex {
    /// Term → how many entries use it (breaks ties towards common terms).
    terms: HashMap<String, u32>,
    /// A string with up to two characters deleted → the terms it came from.
    deletes: HashMap<String, Vec<u32>>,
    by_id: Vec<String>,
}

/// Edits allowed for a word of this many characters: none for short words, where a single edit
/// turns one real word into another ("lift"/"left"); one (a transposition counts as one) up to eight
/// letters, since two edits there turn ordinary words into topic words ("printer"/"pointer"); two beyond.
fn max_edits(chars: usize) -> usize {
    match chars {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

impl TypoIndex {
    /// Indexes the vocabulary (term, weight).
    pub fn build(terms: impl IntoIterator<Item = (String, u32)>) -> TypoIndex {
        let mut index = TypoIndex::default();
        for (term, weight) in terms {
            if index.terms.contains_key(&term) {
                continue;
            }
            let id = index.by_id.len() as u32;
            let n = term.chars().count();
            if n >= 4 && term.is_ascii() {
                for d in deletions(&term, max_edits(n)) {
                    index.deletes.entry(d).or_default().push(id);
                }
            }
            index.terms.insert(term.clone(), weight);
            index.by_id.push(term);
        }
        index
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn contains(&self, term: &str) -> bool {
        self.terms.contains_key(term)
    }

    /// The closest vocabulary term within the allowed edits, if any; ties go to the more common term,
    /// then alphabetical order, so the result is deterministic.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let n = word.chars().count();
        let allowed = max_edits(n);
        // Numbers ("20kg", "2pm") are never typos of each other.
        if allowed == 0 || !word.is_ascii() || word.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut best: Option<(usize, u32, &str)> = None;
        for d in deletions(word, allowed) {
            let Some(ids) = self.deletes.get(&d) else {
                continue;
            };
            for &id in ids {
                let cand = self.by_id[id as usize].as_str();
                let dist = strsim::damerau_levenshtein(word, cand);
                if dist == 0 || dist > allowed.min(max_edits(cand.chars().count()).max(1)) {
                    continue;
                }
                // Typos rarely change the first letter; requiring it avoids most false friends.
                if cand.as_bytes().first() != word.as_bytes().first() {
                    continue;
                }
                let weight = self.terms.get(cand).copied().unwrap_or(0);
                let better = match best {
                    None => true,
                    Some((bd, bw, bc)) => {
                        (dist, std::cmp::Reverse(weight), cand) < (bd, std::cmp::Reverse(bw), bc)
                    }
                };
                if better {
                    best = Some((dist, weight, cand));
                }
            }
        }
        best.map(|(_, _, c)| c)
    }
}

/// The word itself and every string made by deleting up to `max` characters (ASCII only).
fn deletions(word: &str, max: usize) -> Vec<String> {
    let mut out = vec![word.to_string()];
    let mut frontier = vec![word.to_string()];
    for _ in 0..max {
        let mut next = Vec::new();
        for w in &frontier {
            if w.len() <= 2 {
                continue;
            }
            for i in 0..w.len() {
                let mut d = String::with_capacity(w.len() - 1);
                d.push_str(&w[..i]);
                d.push_str(&w[i + 1..]);
                next.push(d);
            }
        }
        next.sort_unstable();
        next.dedup();
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> TypoIndex {
        TypoIndex::build(
            ["hing", "hamstring", "deadlift", "lift", "left", "glut"]
                .into_iter()
                .map(|t| (t.to_string(), 1)),
        )
    }

    #[test]
    fn common_typos_find_the_intended_term() {
        let i = index();
        assert_eq!(i.correct("hindg"), Some("hing"));
        assert_eq!(i.correct("hamstirng"), Some("hamstring"));
        assert_eq!(i.correct("deadlfit"), Some("deadlift"));
    }

    #[test]
    fn short_words_are_never_rewritten() {
        assert_eq!(index().correct("lft"), None);
    }

    #[test]
    fn unrelated_words_stay_unknown() {
        assert_eq!(index().correct("password"), None);
    }
}
