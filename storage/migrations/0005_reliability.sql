-- Reliability (issue 5): the durable inbox of channel updates, and an index for the contact purge.

-- Every update a channel handed us, written before we confirm it to the channel (Telegram: the next
-- getUpdates offset), so that a crash between confirming and handling cannot lose it. A row is deleted
-- once handled; rows whose update id is in `processed_updates` were handled too. `attempts` counts the
-- replays that began handling it, so that an update which crashes the process is given up after a few.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, update_id)
);

-- The contact purge asks when each closed report reached its closing state.
CREATE INDEX events_by_report_to_state ON events (report_id, to_state) WHERE to_state IS NOT NULL;
