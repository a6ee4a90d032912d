-- 3: leases on tip posts, so several processes can share one database and still post each tip once.
-- A claim left by an older build has no owner: the first process that claims it takes it over.
-- The nonce is filled in when a claim is next taken; it is derived from channel and date anyway.
ALTER TABLE tip_posts ADD COLUMN nonce TEXT;
ALTER TABLE tip_posts ADD COLUMN lease_owner TEXT;
ALTER TABLE tip_posts ADD COLUMN lease_expires_at INTEGER;
CREATE INDEX tip_posts_unsent ON tip_posts(channel_id, local_date)
    WHERE sent_at IS NULL AND skipped_reason IS NULL;
