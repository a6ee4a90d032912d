-- 3: the server (guild) of each subscribed channel, so that with several shard processes the one
-- running the guild's shard posts its tips. NULL (subscriptions from before, or config entries
-- without `guild`) is posted by the process running shard 0 until /tips subscribe records it.
-- (Migration 2 is the usage tables.)
ALTER TABLE tip_subscriptions ADD COLUMN guild_id BIGINT;
-- Digest subscriptions share the subscription queries, so they get the column too; it stays NULL
-- (a digest is posted by whichever process claims it first).
ALTER TABLE digest_subscriptions ADD COLUMN guild_id BIGINT;
