-- 1: everything SQLite reached in its migrations 1 to 3, in PostgreSQL types.
-- Ids and times are BIGINT (Discord snowflakes cast to signed, Unix seconds), local dates are
-- ISO 'YYYY-MM-DD' text: the same values as in SQLite, so both backends share one row mapping.
CREATE TABLE safety_channels (
    channel_id BIGINT PRIMARY KEY,
    added_by_hash TEXT,
    added_at BIGINT NOT NULL
);
CREATE TABLE feedback (
    reply_id BIGINT NOT NULL,
    user_hash TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    vote SMALLINT NOT NULL CHECK (vote IN (-1, 1)),
    at BIGINT NOT NULL,
    PRIMARY KEY (reply_id, user_hash)
);
CREATE INDEX feedback_entry ON feedback (entry_id);
CREATE TABLE unanswered (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    text TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX unanswered_at ON unanswered (at);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE tip_subscriptions (
    channel_id BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    days TEXT NOT NULL,
    paused_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE tip_rotation (
    channel_id BIGINT PRIMARY KEY,
    cycle BIGINT NOT NULL,
    posted TEXT NOT NULL
);
CREATE TABLE tip_posts (
    channel_id BIGINT NOT NULL,
    local_date TEXT NOT NULL,
    tip_id TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    sent_at BIGINT,
    message_id BIGINT,
    skipped_reason TEXT,
    nonce TEXT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    PRIMARY KEY (channel_id, local_date)
);
CREATE INDEX tip_posts_unsent ON tip_posts (channel_id, local_date)
    WHERE sent_at IS NULL AND skipped_reason IS NULL;
