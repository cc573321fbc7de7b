-- The reporter's channel's id for a photo's exact bytes (a Telegram file_id), kept only when the photo
-- carries no metadata: the supervisors' group is then sent that copy again instead of an upload of the
-- preview (bot/telegram_group.py). NULL for everything else and for every row before this migration.
ALTER TABLE evidence ADD COLUMN source_id TEXT;
