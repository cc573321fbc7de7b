-- A conversation turn's write as one statement: the processed update id and the new draft (or, with a
-- NULL draft, its removal). A single statement is atomic on its own, so a turn needs no BEGIN … COMMIT:
-- one round trip to aiosqlite's thread instead of four, on the path of every message (bench/README.md).
-- The view holds no rows; inserting into it runs the trigger.
CREATE VIEW turn_saves (channel, update_id, reporter_id, draft, at) AS
    SELECT NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER turn_saves_insert INSTEAD OF INSERT ON turn_saves
BEGIN
    INSERT OR IGNORE INTO processed_updates (channel, update_id, at)
        SELECT NEW.channel, NEW.update_id, NEW.at WHERE NEW.update_id IS NOT NULL;
    DELETE FROM drafts WHERE reporter_id = NEW.reporter_id AND NEW.draft IS NULL;
    INSERT INTO drafts (reporter_id, data, updated_at)
        SELECT NEW.reporter_id, NEW.draft, NEW.at WHERE NEW.draft IS NOT NULL
        ON CONFLICT (reporter_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at;
END;
