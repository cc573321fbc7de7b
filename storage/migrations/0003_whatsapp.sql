-- WhatsApp: the customer-service window of each reporter, the notices we sent them, and the delivery
-- statuses WhatsApp reports. Phone numbers stay in `reporters.address`; nothing here repeats them.

-- When a reporter last wrote to us, as WhatsApp timestamps it: free-form messages are allowed for 24
-- hours after it, templates only afterwards. `refused_at` is when WhatsApp refused a free-form message
-- as outside the window (error 131047), which closes the window until the reporter writes again.
CREATE TABLE whatsapp_windows (
    reporter_id     INTEGER PRIMARY KEY REFERENCES reporters (id) ON DELETE CASCADE,
    first_seen_at   TEXT NOT NULL,
    last_inbound_at TEXT NOT NULL,
    refused_at      TEXT
);

-- Notices delivered through the outbox, by the wamid WhatsApp gave them, so that a late failure can
-- be retried as a template.
CREATE TABLE whatsapp_notices (
    message_id   TEXT PRIMARY KEY,
    outbox_id    INTEGER NOT NULL,
    reporter_id  INTEGER NOT NULL REFERENCES reporters (id) ON DELETE CASCADE,
    as_template  INTEGER NOT NULL,
    sent_at      TEXT NOT NULL
) WITHOUT ROWID;

-- Delivery statuses of messages we sent (sent, delivered, read, failed): one row per status reached.
CREATE TABLE whatsapp_statuses (
    message_id  TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          TEXT NOT NULL,
    error_code  INTEGER,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (message_id, status)
) WITHOUT ROWID;
CREATE INDEX whatsapp_statuses_by_recorded ON whatsapp_statuses (recorded_at);
