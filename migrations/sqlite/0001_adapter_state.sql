-- 1: the Discord adapter's state.
CREATE TABLE safety_channels (
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
);
