-- +goose Up
-- Deadline notifications: when a stage of a case comes near its due time or
-- passes it, the timer runner leaves one notification per recipient (the
-- assignee and their supervisor) in the same transaction as the case event;
-- each user reads and marks their own in the case inbox.
CREATE TABLE case_notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    recipient  TEXT NOT NULL CHECK (recipient IN ('assignee', 'supervisor')),
    kind       TEXT NOT NULL,
    stage      TEXT NOT NULL,
    due        TIMESTAMP NOT NULL,
    at         TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
CREATE INDEX case_notifications_user ON case_notifications (user_id, id);
CREATE INDEX case_notifications_unread ON case_notifications (user_id) WHERE read_at IS NULL;

-- The Open311 list pages a category's cases newest first, often filtered by
-- state: an index in that order which also holds the id and the state finds
-- a page without reading the rows it skips. It extends, and replaces, the
-- index on (category, reported_at).
CREATE INDEX cases_category_time ON cases (category, reported_at, id, state);
DROP INDEX cases_category;

-- +goose Down
CREATE INDEX cases_category ON cases (category, reported_at);
DROP INDEX cases_category_time;
DROP TABLE case_notifications;
