-- The stale-card watch's open episodes (bot/watch.py): a group late since `started_at`, warned once then.
-- Kept in the database so a restart in the middle of an episode does not announce it a second time.
CREATE TABLE stale_episodes (
    chat       TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
