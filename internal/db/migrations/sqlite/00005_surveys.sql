-- +goose Up
-- Surveys: rounds with their questions, the audience taken when a round opens,
-- and responses per household (the current one counts, earlier ones are history).
CREATE TABLE surveys (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    audience_type TEXT NOT NULL CHECK (audience_type IN ('region', 'compounds', 'buildings', 'entrances')),
    audience_json TEXT NOT NULL,
    project_id    INTEGER,
    created_by    TEXT NOT NULL,
    created_by_id INTEGER,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX surveys_project ON surveys (project_id);

CREATE TABLE survey_rounds (
    id             INTEGER PRIMARY KEY,
    survey_id      INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    round_no       INTEGER NOT NULL,
    stage          TEXT NOT NULL DEFAULT '' CHECK (stage IN ('', 'survey', 'design', 'sample', 'construction')),
    title          TEXT NOT NULL,
    questions_json TEXT NOT NULL,
    opens_at       TIMESTAMP NOT NULL,
    closes_at      TIMESTAMP NOT NULL,
    status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opened_at      TIMESTAMP,
    closed_at      TIMESTAMP,
    households     INTEGER NOT NULL DEFAULT 0,
    response_seq   INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (survey_id, round_no)
);
CREATE INDEX survey_rounds_status ON survey_rounds (status);

-- The audience of a round, copied from the places tables when it opens.
CREATE TABLE survey_audience (
    round_id       INTEGER NOT NULL REFERENCES survey_rounds(id) ON DELETE CASCADE,
    household_id   INTEGER NOT NULL,
    household_code TEXT NOT NULL,
    building_id    INTEGER NOT NULL,
    entrance_id    INTEGER,
    floor          INTEGER NOT NULL,
    room           TEXT NOT NULL,
    area_dm2       INTEGER NOT NULL,
    area_source    TEXT NOT NULL,
    PRIMARY KEY (round_id, household_id)
);
CREATE INDEX survey_audience_household ON survey_audience (household_id);

CREATE TABLE survey_responses (
    id              INTEGER PRIMARY KEY,
    round_id        INTEGER NOT NULL REFERENCES survey_rounds(id) ON DELETE CASCADE,
    household_id    INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    is_current      BOOLEAN NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('online', 'door', 'phone', 'paper')),
    answers_json    TEXT NOT NULL,
    respondent_name TEXT NOT NULL DEFAULT '',
    relation        TEXT NOT NULL CHECK (relation IN ('owner', 'tenant', 'family')),
    confirmation    TEXT NOT NULL DEFAULT '' CHECK (confirmation IN ('', 'signature', 'verbal')),
    confirmed_at    TIMESTAMP,
    attachment_id   INTEGER REFERENCES attachments(id),
    note            TEXT NOT NULL DEFAULT '',
    entered_by      TEXT NOT NULL,
    entered_by_id   INTEGER,
    submitted_at    TIMESTAMP NOT NULL,
    UNIQUE (round_id, seq)
);
CREATE INDEX survey_responses_household ON survey_responses (round_id, household_id);
CREATE UNIQUE INDEX survey_responses_current ON survey_responses (round_id, household_id) WHERE is_current;

-- +goose Down
DROP TABLE survey_responses;
DROP TABLE survey_audience;
DROP TABLE survey_rounds;
DROP TABLE surveys;
