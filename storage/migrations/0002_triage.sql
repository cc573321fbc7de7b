-- Triage: supervisors' moves on reports, questions to reporters and their answers.

-- Who made a move, as the group saw them (a supervisor's display name); `actor` keeps the stable id
-- ("supervisor:<telegram user id>", "reporter"). `detail` holds a machine-readable code next to the
-- human note: a rejection reason ("reason:not_asn"), a forwarding target ("target:bawaslu"), or the
-- photo an answer carried ("photo:<sha256>").
ALTER TABLE events ADD COLUMN actor_name TEXT;
ALTER TABLE events ADD COLUMN detail TEXT;

-- One question relayed to a reporter. `message_id` is the channel's id of the relayed notice, filled
-- in once it was sent, so that a reply to it is recognised as the answer.
CREATE TABLE triage_info_requests (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports (id),
    reporter_id  INTEGER NOT NULL REFERENCES reporters (id),
    event_id     INTEGER NOT NULL REFERENCES events (id),
    question     TEXT NOT NULL,
    asked_at     TEXT NOT NULL,
    message_id   TEXT,
    answered_at  TEXT
);
CREATE INDEX triage_info_requests_by_report ON triage_info_requests (report_id, id);
CREATE INDEX triage_info_requests_by_message ON triage_info_requests (reporter_id, message_id);

-- A force-reply prompt posted in the group ("reply with your question / your reason"): the supervisor's
-- reply to it, or to the card, carries the text of a move started with a button.
CREATE TABLE triage_prompts (
    chat_id        INTEGER NOT NULL,
    message_id     INTEGER NOT NULL,
    report_id      INTEGER NOT NULL REFERENCES reports (id),
    kind           TEXT NOT NULL CHECK (kind IN ('question', 'reason')),
    user_id        INTEGER NOT NULL,
    expected_state TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    used_at        TEXT,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX triage_prompts_by_user ON triage_prompts (report_id, user_id, created_at);

-- A reporter who pressed "Answer" under a question: their next texts and photos are the answer.
CREATE TABLE triage_answer_modes (
    reporter_id INTEGER PRIMARY KEY REFERENCES reporters (id),
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    until       TEXT NOT NULL
);

-- A /cari query, kept so that its page buttons carry only a short id.
CREATE TABLE triage_searches (
    id         INTEGER PRIMARY KEY,
    query      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX reports_by_subject ON reports (region_id, incident_date);
