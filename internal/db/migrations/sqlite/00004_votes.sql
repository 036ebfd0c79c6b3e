-- +goose Up
-- Owner votes (Civil Code art. 278): votes, the roll taken when a vote opens,
-- append-only hash-chained ballots, scanned attachments and elevator consents.
CREATE TABLE attachments (
    id             INTEGER PRIMARY KEY,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size_bytes     INTEGER NOT NULL,
    data           BLOB NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_by_id INTEGER,
    uploaded_at    TIMESTAMP NOT NULL
);

CREATE TABLE votes (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    matter           INTEGER NOT NULL CHECK (matter BETWEEN 1 AND 9),
    rules            TEXT NOT NULL,
    rules_json       TEXT NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'general' CHECK (kind IN ('general', 'elevator')),
    scope_type       TEXT NOT NULL CHECK (scope_type IN ('compound', 'building', 'entrance')),
    scope_id         INTEGER NOT NULL,
    compound_id      INTEGER NOT NULL REFERENCES compounds(id),
    project_id       INTEGER,
    uses_common_land BOOLEAN NOT NULL DEFAULT FALSE,
    requires_vote_id INTEGER REFERENCES votes(id),
    affected_json    TEXT NOT NULL DEFAULT '[]',
    opens_at         TIMESTAMP NOT NULL,
    closes_at        TIMESTAMP NOT NULL,
    status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opened_at        TIMESTAMP,
    closed_at        TIMESTAMP,
    roll_hash        TEXT NOT NULL DEFAULT '',
    ballot_seq       INTEGER NOT NULL DEFAULT 0,
    last_hash        TEXT NOT NULL DEFAULT '',
    result           TEXT CHECK (result IN ('passed', 'failed', 'no_quorum')),
    result_json      TEXT,
    created_by       TEXT NOT NULL,
    created_by_id    INTEGER,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX votes_scope ON votes (scope_type, scope_id);
CREATE INDEX votes_compound ON votes (compound_id);
CREATE INDEX votes_project ON votes (project_id);

-- The roll: one row per household of the scope when the vote opened (a snapshot,
-- so no foreign keys to the places tables), grouped into heads by unit_no.
CREATE TABLE vote_roll (
    vote_id          INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    household_id     INTEGER NOT NULL,
    unit_no          INTEGER NOT NULL,
    household_code   TEXT NOT NULL,
    building_id      INTEGER NOT NULL,
    entrance_id      INTEGER,
    floor            INTEGER NOT NULL,
    room             TEXT NOT NULL,
    area_dm2         INTEGER NOT NULL,
    area_source      TEXT NOT NULL,
    developer_held   BOOLEAN NOT NULL,
    consent_required BOOLEAN NOT NULL DEFAULT FALSE,
    cost_share_fen   INTEGER,
    PRIMARY KEY (vote_id, household_id)
);
CREATE INDEX vote_roll_unit ON vote_roll (vote_id, unit_no);

CREATE TABLE vote_roll_owners (
    vote_id      INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    household_id INTEGER NOT NULL,
    owner_id     INTEGER NOT NULL,
    unit_no      INTEGER NOT NULL,
    is_voter     BOOLEAN NOT NULL,
    PRIMARY KEY (vote_id, household_id, owner_id)
);
CREATE INDEX vote_roll_owners_owner ON vote_roll_owners (owner_id, vote_id);

-- Ballots: append-only, hash-chained per vote; votes.ballot_seq/last_hash is the head.
CREATE TABLE ballots (
    id                INTEGER PRIMARY KEY,
    vote_id           INTEGER NOT NULL REFERENCES votes(id),
    seq               INTEGER NOT NULL,
    unit_no           INTEGER NOT NULL,
    owner_id          INTEGER NOT NULL,
    choice            TEXT NOT NULL CHECK (choice IN ('agree', 'disagree', 'abstain')),
    channel           TEXT NOT NULL CHECK (channel IN ('online', 'paper', 'proxy')),
    entered_by        TEXT NOT NULL,
    entered_by_id     INTEGER,
    attachment_id     INTEGER REFERENCES attachments(id),
    attachment_sha256 TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    cast_at           TIMESTAMP NOT NULL,
    receipt           TEXT NOT NULL UNIQUE,
    prev_hash         TEXT NOT NULL,
    hash              TEXT NOT NULL,
    UNIQUE (vote_id, seq)
);
CREATE INDEX ballots_unit ON ballots (vote_id, unit_no);

-- Individual consents of households whose exclusive part an elevator affects;
-- the newest row of a household counts.
CREATE TABLE vote_consents (
    id             INTEGER PRIMARY KEY,
    vote_id        INTEGER NOT NULL REFERENCES votes(id),
    household_id   INTEGER NOT NULL,
    consent        BOOLEAN NOT NULL,
    attachment_id  INTEGER REFERENCES attachments(id),
    note           TEXT NOT NULL DEFAULT '',
    recorded_by    TEXT NOT NULL,
    recorded_by_id INTEGER,
    recorded_at    TIMESTAMP NOT NULL
);
CREATE INDEX vote_consents_vote ON vote_consents (vote_id, household_id);

-- +goose Down
DROP TABLE vote_consents;
DROP TABLE ballots;
DROP TABLE vote_roll_owners;
DROP TABLE vote_roll;
DROP TABLE votes;
DROP TABLE attachments;
