//! SQLite persistence: safety channels, feedback, unanswered questions, tip subscriptions and tip state.
//!
//! One file, WAL mode, numbered migrations. The API is synchronous; async adapters call it through
//! `tokio::task::spawn_blocking` (see [`Store::call`]), never on the executor.

mod channels;
mod feedback;
mod tips;
mod unanswered;

pub use feedback::{EntryVotes, RecordedVote, UserHasher, Vote};
pub use tips::{SubscriptionChange, TipClaim, TipSubscription};
pub use unanswered::UnansweredCount;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The schema, one step per migration. Never edit a released step: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the Discord adapter's state.
    "CREATE TABLE safety_channels (
         channel_id INTEGER PRIMARY KEY,
         added_by_hash TEXT,
         added_at INTEGER NOT NULL
     );
     CREATE TABLE feedback (
         reply_id INTEGER NOT NULL,
         user_hash TEXT NOT NULL,
         entry_id TEXT NOT NULL,
         vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
         at INTEGER NOT NULL,
         PRIMARY KEY (reply_id, user_hash)
     );
     CREATE INDEX feedback_entry ON feedback(entry_id);
     CREATE TABLE unanswered (
         id INTEGER PRIMARY KEY,
         text TEXT NOT NULL,
         at INTEGER NOT NULL
     );
     CREATE INDEX unanswered_at ON unanswered(at);
     CREATE TABLE settings (
         key TEXT PRIMARY KEY,
         value TEXT NOT NULL
     );",
    // 2: daily tips.
    "CREATE TABLE tip_subscriptions (
         channel_id INTEGER PRIMARY KEY,
         time TEXT NOT NULL,
         timezone TEXT NOT NULL,
         days TEXT NOT NULL,
         paused_reason TEXT,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL
     );
     CREATE TABLE tip_rotation (
         channel_id INTEGER PRIMARY KEY,
         cycle INTEGER NOT NULL,
         posted TEXT NOT NULL
     );
     CREATE TABLE tip_posts (
         channel_id INTEGER NOT NULL,
         local_date TEXT NOT NULL,
         tip_id TEXT NOT NULL,
         claimed_at INTEGER NOT NULL,
         sent_at INTEGER,
         message_id INTEGER,
         skipped_reason TEXT,
         PRIMARY KEY (channel_id, local_date)
     );",
];

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {cause} (check that the folder exists and is writable, or set `database` in config.toml)")]
    Open {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("cannot upgrade database {path} to schema version {version}: {cause}")]
    Migrate {
        path: PathBuf,
        version: usize,
        cause: rusqlite::Error,
    },
    #[error("database {path} has schema version {found}, newer than this hingebot understands ({known}); upgrade hingebot")]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

/// The open database. Cheap to share: clone the `Arc` it comes in.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Arc<Store>, StoreError> {
        let open_err = |cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        Store::finish(conn, path.to_path_buf())
    }

    /// An in-memory database, for tests and the offline CLI.
    pub fn open_in_memory() -> Result<Arc<Store>, StoreError> {
        let conn = Connection::open_in_memory().map_err(|cause| StoreError::Open {
            path: PathBuf::from(":memory:"),
            cause,
        })?;
        Store::finish(conn, PathBuf::from(":memory:"))
    }

    fn finish(mut conn: Connection, path: PathBuf) -> Result<Arc<Store>, StoreError> {
        migrate(&mut conn, &path)?;
        Ok(Arc::new(Store {
            conn: Mutex::new(conn),
            path,
        }))
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.with(|c| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)))
            .map(|v| usize::try_from(v).unwrap_or(0))
    }

    /// Runs `f` with the connection. Blocking: from async code use [`Store::call`].
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(f(&mut conn)?)
    }

    /// Runs a blocking store call on tokio's blocking pool.
    pub async fn call<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Checkpoints the WAL into the main file; called on shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.with(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
    }
}

/// Applies every migration newer than the file's `user_version`, each in its own transaction.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(0);
    if found > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let version = i + 1;
        let err = |cause| StoreError::Migrate {
            path: path.to_path_buf(),
            version,
            cause,
        };
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

/// Seconds since the Unix epoch, for `at` columns.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
