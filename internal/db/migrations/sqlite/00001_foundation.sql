-- +goose Up
-- Places: the region tree, compounds, buildings, entrances, households, owners, facilities.
CREATE TABLE regions (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES regions(id),
    code        TEXT NOT NULL UNIQUE,
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'subdistrict', 'community', 'grid')),
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    geometry    TEXT,
    min_lon     REAL,
    min_lat     REAL,
    max_lon     REAL,
    max_lat     REAL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_id);
CREATE INDEX regions_path ON regions (path);

CREATE TABLE compounds (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    region_id         INTEGER NOT NULL REFERENCES regions(id),
    region_path       TEXT NOT NULL,
    name              TEXT NOT NULL,
    address           TEXT NOT NULL DEFAULT '',
    built_year        INTEGER,
    property_mode     TEXT NOT NULL DEFAULT 'none',
    renovation_status TEXT NOT NULL DEFAULT 'none',
    gates             TEXT,
    geometry          TEXT,
    lon               REAL,
    lat               REAL,
    min_lon           REAL,
    min_lat           REAL,
    max_lon           REAL,
    max_lat           REAL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX compounds_region ON compounds (region_id);
CREATE INDEX compounds_path ON compounds (region_path);
CREATE INDEX compounds_name ON compounds (name);

CREATE TABLE buildings (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    compound_id     INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    storeys         INTEGER NOT NULL,
    built_year      INTEGER,
    structure       TEXT NOT NULL DEFAULT 'other',
    entrance_count  INTEGER NOT NULL DEFAULT 1,
    has_elevator    BOOLEAN NOT NULL DEFAULT FALSE,
    has_ramp        BOOLEAN NOT NULL DEFAULT FALSE,
    gas_pipe_year   INTEGER,
    household_count INTEGER NOT NULL DEFAULT 0,
    footprint       TEXT,
    lon             REAL,
    lat             REAL,
    min_lon         REAL,
    min_lat         REAL,
    max_lon         REAL,
    max_lat         REAL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX buildings_compound ON buildings (compound_id);

CREATE TABLE entrances (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    building_id  INTEGER NOT NULL REFERENCES buildings(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    number       INTEGER NOT NULL,
    has_elevator BOOLEAN NOT NULL DEFAULT FALSE,
    lon          REAL,
    lat          REAL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX entrances_building ON entrances (building_id);

CREATE TABLE households (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    building_id         INTEGER NOT NULL REFERENCES buildings(id) ON DELETE CASCADE,
    entrance_id         INTEGER REFERENCES entrances(id) ON DELETE SET NULL,
    room                TEXT NOT NULL,
    floor               INTEGER NOT NULL,
    registered_area_dm2 INTEGER,
    surveyed_area_dm2   INTEGER,
    contract_area_dm2   INTEGER,
    occupancy           TEXT NOT NULL DEFAULT 'unknown',
    has_kitchen         BOOLEAN NOT NULL DEFAULT TRUE,
    has_toilet          BOOLEAN NOT NULL DEFAULT TRUE,
    developer_held      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX households_building ON households (building_id);
CREATE INDEX households_entrance ON households (entrance_id);

CREATE TABLE owners (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    name           TEXT NOT NULL,
    is_developer   BOOLEAN NOT NULL DEFAULT FALSE,
    id_number_enc  BLOB,
    id_number_hash TEXT,
    phone_enc      BLOB,
    phone_hash     TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX owners_id_number_hash ON owners (id_number_hash);
CREATE INDEX owners_phone_hash ON owners (phone_hash);

CREATE TABLE household_owners (
    household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    owner_id     INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,
    share_bp     INTEGER NOT NULL DEFAULT 10000,
    is_voter     BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (household_id, owner_id)
);
CREATE INDEX household_owners_owner ON household_owners (owner_id);

CREATE TABLE facilities (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    category       TEXT NOT NULL,
    name           TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    region_id      INTEGER REFERENCES regions(id),
    region_path    TEXT NOT NULL DEFAULT '',
    capacity       INTEGER,
    floor_area_dm2 INTEGER,
    site_area_dm2  INTEGER,
    lon            REAL NOT NULL,
    lat            REAL NOT NULL,
    geometry       TEXT,
    source         TEXT NOT NULL DEFAULT 'manual',
    osm_ref        TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX facilities_category ON facilities (category);
CREATE INDEX facilities_path ON facilities (region_path);

-- Accounts.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    region_id     INTEGER REFERENCES regions(id),
    locale        TEXT NOT NULL DEFAULT 'zh-CN',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE resident_links (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected')),
    requested_at TIMESTAMP NOT NULL,
    decided_by   INTEGER REFERENCES users(id),
    decided_at   TIMESTAMP,
    UNIQUE (user_id, household_id)
);
CREATE INDEX resident_links_household ON resident_links (household_id);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    role         TEXT NOT NULL,
    region_id    INTEGER REFERENCES regions(id),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

-- The audit log: append-only and hash-chained; audit_head serialises writers.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    at          TIMESTAMP NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_name);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '');

-- Import reports.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL,
    format      TEXT NOT NULL,
    filename    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('committed', 'rejected')),
    row_count   INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    errors_json TEXT NOT NULL DEFAULT '[]',
    actor_name  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- Deployment settings an administrator may change.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE imports;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE resident_links;
DROP TABLE users;
DROP TABLE facilities;
DROP TABLE household_owners;
DROP TABLE owners;
DROP TABLE households;
DROP TABLE entrances;
DROP TABLE buildings;
DROP TABLE compounds;
DROP TABLE regions;
