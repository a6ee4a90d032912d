//! Typo correction towards the knowledge base's vocabulary: a deletion index (SymSpell) finds
//! candidates in a few hash look-ups, and Damerau-Levenshtein (strsim) confirms them.

use rustc_hash::FxHashMap;
use std::hash::BuildHasher;

/// Vocabulary terms and their deletion variants.
#[derive(Debug, Default)]
pub struct TypoIndex {
    /// Term → its id in `by_id`.
    ids: FxHashMap<String, u32>,
    /// Per id: the term and how many entries use it (breaks ties towards common terms).
    by_id: Vec<(String, u32)>,
    /// Hash of a string with up to two characters deleted → the first node of its list in `nodes`.
    /// Keyed by hash so that building allocates no string per variant; a (rare) collision only adds
    /// a candidate, which the edit-distance check then rejects.
    heads: FxHashMap<u64, u32>,
    /// Linked lists of term ids: (term id, next node or `NO_NODE`).
    nodes: Vec<(u32, u32)>,
}

const NO_NODE: u32 = u32::MAX;

/// Words longer than this are never indexed or corrected (no real word is this long).
const MAX_WORD_BYTES: usize = 40;

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
        let mut variants = Vec::new();
        for (term, weight) in terms {
            if index.ids.contains_key(&term) {
                continue;
            }
            let id = index.by_id.len() as u32;
            let n = term.len();
            if (4..=MAX_WORD_BYTES).contains(&n) && term.is_ascii() {
                deletion_hashes(term.as_bytes(), max_edits(n), &mut variants);
                for &h in &variants {
                    let node = index.nodes.len() as u32;
                    let head = index.heads.entry(h).or_insert(NO_NODE);
                    index.nodes.push((id, *head));
                    *head = node;
                }
            }
            index.ids.insert(term.clone(), id);
            index.by_id.push((term, weight));
        }
        index
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn contains(&self, term: &str) -> bool {
        self.ids.contains_key(term)
    }

    /// The closest vocabulary term within the allowed edits, if any; ties go to the more common term,
    /// then alphabetical order, so the result is deterministic.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let n = word.chars().count();
        let allowed = max_edits(n);
        // Numbers ("20kg", "2pm") are never typos of each other.
        if allowed == 0
            || !word.is_ascii()
            || word.len() > MAX_WORD_BYTES
            || word.bytes().any(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut variants = Vec::new();
        deletion_hashes(word.as_bytes(), allowed, &mut variants);
        let mut best: Option<(usize, u32, &str)> = None;
        for h in variants {
            let mut node = self.heads.get(&h).copied().unwrap_or(NO_NODE);
            while let Some(&(id, next)) = self.nodes.get(node as usize) {
                node = next;
                let (cand, weight) = &self.by_id[id as usize];
                let cand = cand.as_str();
                // Typos rarely change the first letter; requiring it avoids most false friends.
                if cand.as_bytes().first() != word.as_bytes().first() {
                    continue;
                }
                let dist = strsim::damerau_levenshtein(word, cand);
                if dist == 0 || dist > allowed.min(max_edits(cand.chars().count()).max(1)) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bd, bw, bc)) => {
                        (dist, std::cmp::Reverse(*weight), cand) < (bd, std::cmp::Reverse(bw), bc)
                    }
                };
                if better {
                    best = Some((dist, *weight, cand));
                }
            }
        }
        best.map(|(_, _, c)| c)
    }
}

/// Hashes of the word itself and of every string made by deleting up to `max` (at most two) of its
/// bytes, de-duplicated, into `out`. Callers pass ASCII words of at most `MAX_WORD_BYTES`.
fn deletion_hashes(word: &[u8], max: usize, out: &mut Vec<u64>) {
    let hasher = rustc_hash::FxBuildHasher;
    let mut buf = [0u8; MAX_WORD_BYTES];
    let n = word.len().min(MAX_WORD_BYTES);
    let word = &word[..n];
    out.clear();
    out.push(hasher.hash_one(word));
    if max >= 1 && n > 2 {
        for i in 0..n {
            buf[..i].copy_from_slice(&word[..i]);
            buf[i..n - 1].copy_from_slice(&word[i + 1..]);
            out.push(hasher.hash_one(&buf[..n - 1]));
        }
    }
    if max >= 2 && n > 3 {
        for i in 0..n {
            for j in i + 1..n {
                buf[..i].copy_from_slice(&word[..i]);
                buf[i..j - 1].copy_from_slice(&word[i + 1..j]);
                buf[j - 1..n - 2].copy_from_slice(&word[j + 1..]);
                out.push(hasher.hash_one(&buf[..n - 2]));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
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

    /// The strings themselves, made the slow way, for comparison.
    fn naive_deletions(word: &str, max: usize) -> Vec<String> {
        let mut all = vec![word.to_string()];
        let mut frontier = all.clone();
        for _ in 0..max {
            frontier = frontier
                .iter()
                .flat_map(|w| (0..w.len()).map(move |i| format!("{}{}", &w[..i], &w[i + 1..])))
                .collect();
            all.extend(frontier.iter().cloned());
        }
        all.sort();
        all.dedup();
        all
    }

    #[test]
    fn deletion_hashes_are_the_hashes_of_every_deleted_variant() {
        let hasher = rustc_hash::FxBuildHasher;
        for (word, max) in [("hinge", 1), ("hamstring", 2), ("aabba", 2), ("lift", 1)] {
            let mut expected: Vec<u64> = naive_deletions(word, max)
                .iter()
                .map(|d| hasher.hash_one(d.as_bytes()))
                .collect();
            expected.sort_unstable();
            expected.dedup();
            let mut got = Vec::new();
            deletion_hashes(word.as_bytes(), max, &mut got);
            assert_eq!(got, expected, "{word}");
        }
    }

    #[test]
    fn unrelated_words_stay_unknown() {
        assert_eq!(index().correct("password"), None);
    }
}
