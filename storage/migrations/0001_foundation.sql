-- Foundation: reporters, drafts, reports and their evidence, contacts kept apart, the event log,
-- the outbox and processed update ids. Instants are UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ'.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A person who writes to the bot. `address` (chat id / phone) is used only to write back to them.
CREATE TABLE reporters (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    locale     TEXT,
    pseudonym  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (channel, address)
);

CREATE TABLE drafts (
    reporter_id INTEGER PRIMARY KEY REFERENCES reporters (id),
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    reporter_id      INTEGER NOT NULL REFERENCES reporters (id),
    channel          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'baru',
    category         TEXT NOT NULL,
    subject_name     TEXT,
    subject_agency   TEXT,
    subject_status   TEXT NOT NULL,
    region_id        TEXT NOT NULL,
    place            TEXT NOT NULL,
    latitude         REAL,
    longitude        REAL,
    incident_date    TEXT NOT NULL,
    description      TEXT NOT NULL,
    contact_shared   INTEGER NOT NULL DEFAULT 0,
    locale           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    card_chat_id     INTEGER,
    card_message_id  INTEGER
);
CREATE INDEX reports_by_reporter ON reports (reporter_id, created_at);
CREATE INDEX reports_by_created ON reports (created_at);
CREATE INDEX reports_by_state ON reports (state, created_at);

CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('photo', 'link')),
    sha256      TEXT,
    url         TEXT,
    mime        TEXT,
    size_bytes  INTEGER,
    width       INTEGER,
    height      INTEGER,
    captured_at TEXT,
    latitude    REAL,
    longitude   REAL,
    dhash       TEXT,
    added_at    TEXT NOT NULL,
    CHECK ((kind = 'photo' AND sha256 IS NOT NULL) OR (kind = 'link' AND url IS NOT NULL))
);
CREATE INDEX evidence_by_report ON evidence (report_id, position);
CREATE INDEX evidence_by_sha256 ON evidence (sha256);

-- Shared only by choice, purged after retention; never joined into group cards or exports.
CREATE TABLE contacts (
    report_id  INTEGER PRIMARY KEY REFERENCES reports (id),
    name       TEXT,
    phone      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    note       TEXT
);
CREATE INDEX events_by_report ON events (report_id, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    progress        TEXT NOT NULL DEFAULT '{}',
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE processed_updates (
    channel   TEXT NOT NULL,
    update_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;
