-- The daily summary for the governor's office (issue 4).

-- One row per summarized local day (YYYY-MM-DD in TIMEZONE). The primary key is what makes "exactly one
-- summary per day" hold: the row and the summary's outbox item are written in one transaction, so a
-- restart, a second scheduler firing or a start-up catch-up can never queue the same day twice.
CREATE TABLE summary_runs (
    day         TEXT PRIMARY KEY,
    late        INTEGER NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL
) WITHOUT ROWID;

-- "First supervisor action" looks up the supervisors' moves of one day; triage logs them with actor
-- 'supervisor:<id>'. The partial index leaves out the far more numerous reporter/system events.
CREATE INDEX events_supervisor_by_at ON events (at) WHERE actor GLOB 'supervisor:*';

-- Reports whose 7-day Bawaslu window is about to end: a range of incident dates, filtered by state and
-- creation time; counting them reads this index alone.
CREATE INDEX reports_by_incident ON reports (incident_date, state, created_at);
