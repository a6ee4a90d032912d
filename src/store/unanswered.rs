//! Questions the assistant could not answer, kept as normalized text without user ids, for curators.

use super::{now_unix, Store, StoreError};
use rusqlite::params;

/// How often one normalized question went unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredCount {
    pub text: String,
    pub count: u64,
    /// When it was last asked (Unix seconds).
    pub last_at: i64,
}

impl Store {
    /// Records one unanswered question. `text` must already be normalized (no mentions or ids).
    pub fn record_unanswered(&self, text: &str) -> Result<(), StoreError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        self.with(|c| {
            c.execute(
                "INSERT INTO unanswered (text, at) VALUES (?1, ?2)",
                params![text, now_unix()],
            )?;
            Ok(())
        })
    }

    /// The most frequent unanswered questions asked at or after `since` (Unix seconds), most
    /// frequent first, then most recent, at most `limit`.
    pub fn top_unanswered(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT text, COUNT(*) AS n, MAX(at) AS last FROM unanswered
                 WHERE at >= ?1 GROUP BY text
                 ORDER BY n DESC, last DESC, text LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![since, limit], |r| {
                Ok(UnansweredCount {
                    text: r.get(0)?,
                    count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    last_at: r.get(2)?,
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
    fn unanswered_questions_are_grouped_by_text_most_frequent_first() {
        let store = Store::open_in_memory().unwrap();
        for text in [
            "kettlebell swing weight",
            "what's for lunch",
            "kettlebell swing weight",
            "  ",
        ] {
            store.record_unanswered(text).unwrap();
        }
        let top = store.top_unanswered(0, 10).unwrap();
        let counts: Vec<_> = top.iter().map(|u| (u.text.as_str(), u.count)).collect();
        assert_eq!(
            counts,
            vec![("kettlebell swing weight", 2), ("what's for lunch", 1)]
        );
        assert_eq!(store.top_unanswered(0, 1).unwrap().len(), 1);
        assert!(store
            .top_unanswered(now_unix() + 60, 10)
            .unwrap()
            .is_empty());
    }
}
