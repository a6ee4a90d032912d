//! 👍/👎 votes on replies: one vote per user per reply, a second click changes it.
//!
//! Users are stored as a salted hash of their Discord id; the salt is random, made once per
//! database and kept in the `settings` table, so the file alone does not say who voted.

use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher, RandomState};

/// The `settings` key holding the user-id salt.
pub(crate) const SALT_KEY: &str = "user_hash_salt";
/// Mixed into the key of asker pseudonyms, so they never equal a vote's user hash.
const ASKER_DOMAIN: u64 = 0x6173_6b65_7220_6964;

/// A vote on a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
}

impl Vote {
    pub(crate) fn to_sql(self) -> i64 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
        }
    }

    pub(crate) fn from_sql(v: i64) -> Vote {
        if v > 0 {
            Vote::Up
        } else {
            Vote::Down
        }
    }
}

/// Vote totals for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryVotes {
    pub entry_id: String,
    pub up: u64,
    pub down: u64,
}

/// One stored vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedVote {
    pub reply_id: u64,
    pub user_hash: String,
    pub entry_id: String,
    pub vote: Vote,
    pub at: i64,
}

/// Turns Discord user ids into stable pseudonyms with this database's secret salt.
#[derive(Clone)]
pub struct UserHasher {
    keys: [u64; 4],
}

impl std::fmt::Debug for UserHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserHasher { .. }")
    }
}

impl UserHasher {
    /// The pseudonym of one user: 128 bits of keyed SipHash-2-4, in hex.
    pub fn hash(&self, user_id: u64) -> String {
        let mut out = String::with_capacity(32);
        for pair in self.keys.chunks_exact(2) {
            #[allow(deprecated)]
            // std's SipHasher is SipHash-2-4 with caller-chosen keys: exactly a keyed PRF.
            let mut h = std::hash::SipHasher::new_with_keys(pair[0], pair[1]);
            h.write_u64(user_id);
            let _ = write!(out, "{:016x}", h.finish());
        }
        out
    }

    /// The pseudonym of one user as the asker of one question (64 bits of keyed SipHash-2-4 over
    /// both, in hex): two people asking the same question get different ones, one person asking
    /// it twice the same one, and nothing links one person's questions to each other or to their
    /// votes.
    pub fn asker(&self, user_id: u64, question: &str) -> String {
        #[allow(deprecated)]
        // As in `hash`: SipHash-2-4 keyed with this database's secret.
        let mut h = std::hash::SipHasher::new_with_keys(self.keys[2] ^ ASKER_DOMAIN, self.keys[3]);
        h.write_u64(user_id);
        h.write(question.as_bytes());
        format!("{:016x}", h.finish())
    }

    pub(crate) fn from_hex(text: &str) -> Option<UserHasher> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut keys = [0u64; 4];
        for (i, key) in keys.iter_mut().enumerate() {
            *key = u64::from_str_radix(&text[i * 16..(i + 1) * 16], 16).ok()?;
        }
        Some(UserHasher { keys })
    }

    pub(crate) fn random() -> UserHasher {
        // RandomState is seeded from the operating system's randomness; hashing distinct inputs
        // with fresh states yields independent, unpredictable words.
        let mut keys = [0u64; 4];
        for (i, key) in keys.iter_mut().enumerate() {
            *key =
                RandomState::new().hash_one((i, std::time::SystemTime::now(), std::process::id()));
        }
        UserHasher { keys }
    }

    pub(crate) fn to_hex(&self) -> String {
        self.keys
            .iter()
            .fold(String::with_capacity(64), |mut s, k| {
                let _ = write!(s, "{k:016x}");
                s
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hasher_survives_its_stored_form_and_hides_the_id() {
        let hasher = UserHasher::random();
        let again = UserHasher::from_hex(&hasher.to_hex()).unwrap();
        assert_eq!(hasher.hash(123456789), again.hash(123456789));
        assert_eq!(hasher.hash(123456789).len(), 32);
        assert!(!hasher.hash(123456789).contains("123456789"));
        assert_ne!(hasher.hash(1), hasher.hash(2));
        assert_ne!(UserHasher::random().hash(1), hasher.hash(1));
        assert!(UserHasher::from_hex("not hex").is_none());
    }

    #[test]
    fn askers_are_told_apart_per_question_and_never_equal_a_user_hash() {
        let hasher = UserHasher::random();
        let q = "kettlebell swing weight";
        assert_eq!(hasher.asker(7, q), hasher.asker(7, q));
        assert_ne!(hasher.asker(7, q), hasher.asker(8, q));
        assert_ne!(hasher.asker(7, q), hasher.asker(7, "forklift licence"));
        assert!(!hasher.hash(7).contains(&hasher.asker(7, q)));
        assert_ne!(UserHasher::random().asker(7, q), hasher.asker(7, q));
    }
}
