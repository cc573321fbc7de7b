-- The referrals in the daily summary (issue 14): Teruskan, /rujukan and /hasil are events, found by action
-- and time (forwards of the last 7 days, outcomes since a forward, forwards still without one).
-- Not partial: SQLite uses a partial index only when the query's WHERE implies the index's, and the action
-- names are bound parameters.
CREATE INDEX events_by_action_at ON events (action, at);
