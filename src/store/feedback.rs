//! 👍/👎 votes on replies: one vote per user per reply, a second click changes it.
//!
//! Users are stored as a salted hash of their Discord id; the salt is random, made once per
//! database and kept in the `settings` table, so the file alone does not say who voted.

use super::channels::{from_sql_id, to_sql_id};
use super::{now_unix, Store, StoreError};
use rusqlite::{params, OptionalExtension};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher, RandomState};

/// The `settings` key holding the user-id salt.
const SALT_KEY: &str = "user_hash_salt";

/// A vote on a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
}

impl Vote {
    fn to_sql(self) -> i64 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
        }
    }

    fn from_sql(v: i64) -> Vote {
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

    fn from_hex(text: &str) -> Option<UserHasher> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut keys = [0u64; 4];
        for (i, key) in keys.iter_mut().enumerate() {
            *key = u64::from_str_radix(&text[i * 16..(i + 1) * 16], 16).ok()?;
        }
        Some(UserHasher { keys })
    }

    fn random() -> UserHasher {
        // RandomState is seeded from the operating system's randomness; hashing distinct inputs
        // with fresh states yields independent, unpredictable words.
        let mut keys = [0u64; 4];
        for (i, key) in keys.iter_mut().enumerate() {
            *key =
                RandomState::new().hash_one((i, std::time::SystemTime::now(), std::process::id()));
        }
        UserHasher { keys }
    }

    fn to_hex(&self) -> String {
        self.keys
            .iter()
            .fold(String::with_capacity(64), |mut s, k| {
                let _ = write!(s, "{k:016x}");
                s
            })
    }
}

impl Store {
    /// This database's user hasher, creating (and saving) its random salt on first use.
    pub fn user_hasher(&self) -> Result<UserHasher, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    [SALT_KEY],
                    |r| r.get(0),
                )
                .optional()?;
            let hasher = match existing.as_deref().and_then(UserHasher::from_hex) {
                Some(h) => h,
                None => {
                    let h = UserHasher::random();
                    tx.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
                        params![SALT_KEY, h.to_hex()],
                    )?;
                    h
                }
            };
            tx.commit()?;
            Ok(hasher)
        })
    }

    /// Records a vote; the same user voting again on the same reply replaces their vote.
    pub fn record_vote(
        &self,
        reply_id: u64,
        user_hash: &str,
        entry_id: &str,
        vote: Vote,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO feedback (reply_id, user_hash, entry_id, vote, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (reply_id, user_hash)
                 DO UPDATE SET vote = excluded.vote, entry_id = excluded.entry_id, at = excluded.at",
                params![to_sql_id(reply_id), user_hash, entry_id, vote.to_sql(), now_unix()],
            )?;
            Ok(())
        })
    }

    /// The votes cast on one reply (one per user).
    pub fn votes_on_reply(&self, reply_id: u64) -> Result<Vec<RecordedVote>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT reply_id, user_hash, entry_id, vote, at FROM feedback
                 WHERE reply_id = ?1 ORDER BY at, user_hash",
            )?;
            let rows = stmt.query_map([to_sql_id(reply_id)], |r| {
                Ok(RecordedVote {
                    reply_id: from_sql_id(r.get(0)?),
                    user_hash: r.get(1)?,
                    entry_id: r.get(2)?,
                    vote: Vote::from_sql(r.get(3)?),
                    at: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    /// 👍/👎 totals per entry for votes cast at or after `since` (Unix seconds), by entry id.
    pub fn votes_since(&self, since: i64) -> Result<Vec<EntryVotes>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT entry_id,
                        SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END)
                 FROM feedback WHERE at >= ?1
                 GROUP BY entry_id ORDER BY entry_id",
            )?;
            let rows = stmt.query_map([since], |r| {
                Ok(EntryVotes {
                    entry_id: r.get(0)?,
                    up: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    down: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_click_by_the_same_user_changes_the_vote_instead_of_adding_one() {
        let store = Store::open_in_memory().unwrap();
        store
            .record_vote(100, "u1", "wall-drill", Vote::Up)
            .unwrap();
        store
            .record_vote(100, "u1", "wall-drill", Vote::Down)
            .unwrap();
        let votes = store.votes_on_reply(100).unwrap();
        assert_eq!(votes.len(), 1);
        assert_eq!(votes[0].vote, Vote::Down);
    }

    #[test]
    fn different_users_and_replies_each_count() {
        let store = Store::open_in_memory().unwrap();
        store.record_vote(1, "u1", "wall-drill", Vote::Up).unwrap();
        store
            .record_vote(1, "u2", "wall-drill", Vote::Down)
            .unwrap();
        store.record_vote(2, "u1", "wall-drill", Vote::Up).unwrap();
        store.record_vote(3, "u1", "stance", Vote::Down).unwrap();
        assert_eq!(
            store.votes_since(0).unwrap(),
            vec![
                EntryVotes {
                    entry_id: "stance".into(),
                    up: 0,
                    down: 1
                },
                EntryVotes {
                    entry_id: "wall-drill".into(),
                    up: 2,
                    down: 1
                },
            ]
        );
        assert!(
            store.votes_since(now_unix() + 60).unwrap().is_empty(),
            "nothing is in the future"
        );
    }

    #[test]
    fn user_hashes_are_stable_per_database_and_hide_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite3");
        let first = Store::open(&path)
            .unwrap()
            .user_hasher()
            .unwrap()
            .hash(123456789);
        let again = Store::open(&path)
            .unwrap()
            .user_hasher()
            .unwrap()
            .hash(123456789);
        assert_eq!(first, again, "same database, same salt");
        assert_eq!(first.len(), 32);
        assert!(!first.contains("123456789"));

        let other = Store::open_in_memory()
            .unwrap()
            .user_hasher()
            .unwrap()
            .hash(123456789);
        assert_ne!(first, other, "each database has its own salt");
        let hasher = Store::open(&path).unwrap().user_hasher().unwrap();
        assert_ne!(hasher.hash(1), hasher.hash(2));
    }
}
