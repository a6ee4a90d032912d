//! Channels where the bot answers without being mentioned, as added by `/hingebot channels add`.

use super::{now_unix, Store, StoreError};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Adds a safety channel. Returns `false` when it was already there (nothing changes then).
    pub fn add_safety_channel(
        &self,
        channel_id: u64,
        added_by_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let changed = c.execute(
                "INSERT OR IGNORE INTO safety_channels (channel_id, added_by_hash, added_at)
                 VALUES (?1, ?2, ?3)",
                params![to_sql_id(channel_id), added_by_hash, now_unix()],
            )?;
            Ok(changed == 1)
        })
    }

    /// Removes a safety channel. Returns `false` when it was not there.
    pub fn remove_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            let changed = c.execute(
                "DELETE FROM safety_channels WHERE channel_id = ?1",
                params![to_sql_id(channel_id)],
            )?;
            Ok(changed == 1)
        })
    }

    /// Whether a channel was added by command.
    pub fn is_safety_channel(&self, channel_id: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT 1 FROM safety_channels WHERE channel_id = ?1",
                params![to_sql_id(channel_id)],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
        })
    }

    /// Every channel added by command, in ascending id order.
    pub fn safety_channels(&self) -> Result<Vec<u64>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT channel_id FROM safety_channels ORDER BY channel_id")?;
            let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
            rows.map(|r| r.map(from_sql_id)).collect()
        })
    }
}

/// Discord ids are 64-bit snowflakes below 2^63; SQLite integers are signed 64-bit. The cast keeps every bit.
pub(crate) fn to_sql_id(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`to_sql_id`].
pub(crate) fn from_sql_id(id: i64) -> u64 {
    id as u64
}

#[cfg(test)]
mod tests {
    use super::super::MIGRATIONS;
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn added_channels_are_listed_once_and_can_be_removed() {
        let store = Store::open_in_memory().unwrap();
        assert!(store.add_safety_channel(30, Some("h")).unwrap());
        assert!(store.add_safety_channel(10, None).unwrap());
        assert!(
            !store.add_safety_channel(30, None).unwrap(),
            "second add is a no-op"
        );
        assert_eq!(store.safety_channels().unwrap(), vec![10, 30]);
        assert!(store.is_safety_channel(10).unwrap());

        assert!(store.remove_safety_channel(10).unwrap());
        assert!(!store.remove_safety_channel(10).unwrap(), "already gone");
        assert_eq!(store.safety_channels().unwrap(), vec![30]);
        assert!(!store.is_safety_channel(10).unwrap());
    }

    #[test]
    fn snowflakes_above_i64_max_round_trip() {
        let store = Store::open_in_memory().unwrap();
        let big = u64::MAX - 5;
        store.add_safety_channel(big, None).unwrap();
        assert_eq!(store.safety_channels().unwrap(), vec![big]);
    }

    #[test]
    fn a_file_from_schema_version_1_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO safety_channels VALUES (42, 'abc', 1000);
                 INSERT INTO feedback VALUES (7, 'user-a', 'wall-drill', 1, 1000);
                 INSERT INTO unanswered (text, at) VALUES ('what about kettlebells', 1000);",
            )
            .unwrap();
        }

        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(store.safety_channels().unwrap(), vec![42]);
        let votes = store.votes_since(0).unwrap();
        assert_eq!(votes.len(), 1);
        assert_eq!(
            (votes[0].entry_id.as_str(), votes[0].up, votes[0].down),
            ("wall-drill", 1, 0)
        );
        let top = store.top_unanswered(0, 10).unwrap();
        assert_eq!(top[0].text, "what about kettlebells");
    }

    #[test]
    fn reopening_a_file_keeps_channels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite3");
        Store::open(&path)
            .unwrap()
            .add_safety_channel(5, None)
            .unwrap();
        assert_eq!(
            Store::open(&path).unwrap().safety_channels().unwrap(),
            vec![5]
        );
    }
}
