-- 2: SQLite's migration 4 in PostgreSQL types: privacy-safe usage counts and the weekly digest.
-- Counts only: one row per local day, entry, reply kind and channel kind, incremented in place.
-- entry_id is '' when the reply showed no entry (an abstain), so the key has no NULL in it.
CREATE TABLE usage_counts (
    day TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('answer', 'suggest', 'abstain', 'redflag', 'caution')),
    channel TEXT NOT NULL CHECK (channel IN ('dm', 'mention', 'safety-channel', 'slash')),
    questions BIGINT NOT NULL CHECK (questions > 0),
    PRIMARY KEY (day, entry_id, outcome, channel)
);
-- Unanswered questions get the local day they were asked and a pseudonym of the asker for that
-- question (a keyed hash of the user id and the text: it tells two askers apart, and links no one
-- across questions). Rows from before have no asker and count as nobody's until a curator confirms them.
ALTER TABLE unanswered ADD COLUMN day TEXT;
ALTER TABLE unanswered ADD COLUMN asker TEXT;
UPDATE unanswered SET day = to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD');
CREATE INDEX unanswered_day ON unanswered (day, text);
-- Texts a curator checked for personal data: shown even when only one person asked them.
CREATE TABLE unanswered_confirmed (
    text TEXT PRIMARY KEY,
    confirmed_at BIGINT NOT NULL
);
-- Votes get the local day they were cast, for the report's days and the retention purge.
ALTER TABLE feedback ADD COLUMN day TEXT;
UPDATE feedback SET day = to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD');
CREATE INDEX feedback_day ON feedback (day);
-- The weekly digest: subscriptions and leased claims shaped like the daily tip's (`days` holds the
-- one weekday; `week_until` is the last day of the week a post covers).
CREATE TABLE digest_subscriptions (
    channel_id BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    days TEXT NOT NULL,
    paused_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE digest_posts (
    channel_id BIGINT NOT NULL,
    local_date TEXT NOT NULL,
    week_until TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    sent_at BIGINT,
    message_id BIGINT,
    skipped_reason TEXT,
    nonce TEXT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    PRIMARY KEY (channel_id, local_date)
);
CREATE INDEX digest_posts_unsent ON digest_posts (channel_id, local_date)
    WHERE sent_at IS NULL AND skipped_reason IS NULL;
