-- What real people send (issue 12): the day a violation became known, from which Bawaslu's 7-day window
-- runs; where the ASN works when the reporter cannot name the kabupaten/kota (region_id 'tidak-tahu');
-- witnesses, kept apart like the reporter's contact; and the bytes each sender stored as evidence, for a
-- daily disk quota.
ALTER TABLE reports ADD COLUMN known_date TEXT;
-- Reports before this migration were counted from their incident date: they keep that window.
UPDATE reports SET known_date = incident_date WHERE known_date IS NULL;
ALTER TABLE reports ADD COLUMN workplace TEXT;

-- The summary's deadline list and the morning reminder select by the known-day, as they did by incident date.
CREATE INDEX reports_by_known ON reports (known_date, state, created_at);

-- Names and how to reach people other than the reporter: not on the reports row, so that the contact
-- purge (storage/retention.py) deletes them with the reporter's contact.
CREATE TABLE witnesses (
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    reach      TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

-- Bytes of evidence written to disk per sender (original and derived copies), whether or not the photo
-- ends up in a report: a draft's disk use is bounded per day. Rows older than two days are pruned.
CREATE TABLE evidence_uploads (
    reporter_id INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX evidence_uploads_by_sender ON evidence_uploads (reporter_id, at);

-- A row written without a known-day (an older writer, a hand-made import) gets its incident day, so the
-- window's queries can select on the indexed column alone.
CREATE TRIGGER reports_known_default AFTER INSERT ON reports WHEN NEW.known_date IS NULL
BEGIN
    UPDATE reports SET known_date = NEW.incident_date WHERE id = NEW.id;
END;
