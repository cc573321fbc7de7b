-- Regional supervisors' groups (issue 13). `group_chat_id` is the group a report belongs to: decided when it
-- is first forwarded (from REGION_GROUPS_FILE) and kept, so that a later change of the file does not move
-- a report whose card is already in a group; a supervisor's move ("Pindah wilayah") changes it.
-- `card_kind` says how the current card (card_chat_id, card_message_id) was posted: 'text' (a message,
-- edited with editMessageText) or 'caption' (the first photo's caption, edited with editMessageCaption).
ALTER TABLE reports ADD COLUMN group_chat_id INTEGER;
ALTER TABLE reports ADD COLUMN card_kind TEXT NOT NULL DEFAULT 'text' CHECK (card_kind IN ('text', 'caption'));
CREATE INDEX reports_by_group ON reports (group_chat_id, state, created_at);

-- Every card a report has had, per group: the one in use is the report's (card_chat_id, card_message_id);
-- an older one (a moved report's, a card replaced by /laporan) stays findable, so a reply to it still
-- names its report. `evidence_message_id` is the first message of the photos posted on demand under it
-- ("📷 Bukti (n)"), once.
CREATE TABLE report_cards (
    report_id           INTEGER NOT NULL REFERENCES reports (id),
    chat_id             INTEGER NOT NULL,
    message_id          INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('text', 'caption')),
    posted_at           TEXT NOT NULL,
    evidence_message_id INTEGER,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX report_cards_by_report ON report_cards (report_id, chat_id);

-- Reports already forwarded keep the group they are in.
UPDATE reports SET group_chat_id = card_chat_id WHERE card_chat_id IS NOT NULL;
INSERT INTO report_cards (report_id, chat_id, message_id, kind, posted_at)
    SELECT id, card_chat_id, card_message_id, 'text', updated_at FROM reports
    WHERE card_chat_id IS NOT NULL AND card_message_id IS NOT NULL;
