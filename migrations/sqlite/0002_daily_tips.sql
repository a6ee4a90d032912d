-- 2: daily tips.
CREATE TABLE tip_subscriptions (
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
);
