-- +goose Up
-- Cases: residents' reports and work orders with their events, the stored SLA
-- clocks of each stage (which double as timers), followers who joined a
-- report, follow-up visits with ratings, and the departments that handle
-- non-grid work.
CREATE TABLE departments (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    region_id  INTEGER REFERENCES regions(id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE department_members (
    department_code TEXT NOT NULL REFERENCES departments(code) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (department_code, user_id)
);
CREATE INDEX department_members_user ON department_members (user_id);

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    category       TEXT NOT NULL,
    policy         TEXT NOT NULL,
    grade          TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,
    resume_state   TEXT NOT NULL DEFAULT '',
    pause_reason   TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL CHECK (channel IN ('resident', 'hotline', 'patrol', 'open311')),
    description    TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    lon            REAL,
    lat            REAL,
    region_id      INTEGER REFERENCES regions(id),
    region_path    TEXT NOT NULL DEFAULT '',
    grid_id        INTEGER REFERENCES regions(id),
    department     TEXT NOT NULL DEFAULT '',
    assignee_id    INTEGER REFERENCES users(id),
    dispatcher_id  INTEGER REFERENCES users(id),
    owner_id       INTEGER REFERENCES users(id),
    route_note     TEXT NOT NULL DEFAULT '',
    reporter_id    INTEGER REFERENCES users(id),
    reporter_name  TEXT NOT NULL DEFAULT '',
    anonymous      BOOLEAN NOT NULL DEFAULT FALSE,
    contact_enc    BLOB,
    contact_hash   TEXT,
    photos         TEXT NOT NULL DEFAULT '[]',
    merged_into    INTEGER REFERENCES cases(id),
    reopens        INTEGER NOT NULL DEFAULT 0,
    rating         TEXT NOT NULL DEFAULT '',
    reported_at    TIMESTAMP NOT NULL,
    accepted_at    TIMESTAMP,
    resolved_at    TIMESTAMP,
    closed_at      TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_path ON cases (region_path);
CREATE INDEX cases_category ON cases (category, reported_at);
CREATE INDEX cases_assignee ON cases (assignee_id, state);
CREATE INDEX cases_reporter ON cases (reporter_id);
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_lonlat ON cases (lon, lat);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL DEFAULT '',
    to_state    TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    photos      TEXT NOT NULL DEFAULT '[]',
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- One clock per case and stage; next_check is the stored timer (NULL when
-- nothing is pending) that RunTimers claims.
CREATE TABLE case_clocks (
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    clock      TEXT NOT NULL,
    due        TIMESTAMP,
    done_at    TIMESTAMP,
    paused     BOOLEAN NOT NULL DEFAULT FALSE,
    cancelled  BOOLEAN NOT NULL DEFAULT FALSE,
    next_check TIMESTAMP,
    PRIMARY KEY (case_id, stage)
);
CREATE INDEX case_clocks_next ON case_clocks (next_check) WHERE next_check IS NOT NULL;
CREATE INDEX case_clocks_due ON case_clocks (due) WHERE done_at IS NULL AND cancelled = FALSE;

CREATE TABLE case_followers (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users(id),
    contact_enc BLOB,
    contact_hash TEXT,
    joined_at   TIMESTAMP NOT NULL
);
CREATE INDEX case_followers_case ON case_followers (case_id);
CREATE INDEX case_followers_user ON case_followers (user_id);

CREATE TABLE case_followups (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    rating     TEXT NOT NULL DEFAULT '' CHECK (rating IN ('', 'satisfied', 'basically_satisfied', 'dissatisfied')),
    comment    TEXT NOT NULL DEFAULT '',
    method     TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL,
    actor_id   INTEGER,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX case_followups_case ON case_followups (case_id);

-- +goose Down
DROP TABLE case_followups;
DROP TABLE case_followers;
DROP TABLE case_clocks;
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE department_members;
DROP TABLE departments;
