-- +goose Up
-- City health check: stored walk networks, parameter overrides, runs, indicator
-- values and results, life-circle distances, and the findings ledger.
CREATE TABLE walk_networks (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('osm-xml', 'osm-pbf')),
    data       BLOB NOT NULL,
    bytes      INTEGER NOT NULL,
    nodes      INTEGER NOT NULL,
    edges      INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE indicator_overrides (
    code        TEXT PRIMARY KEY,
    params_json TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE checkup_runs (
    id                  INTEGER PRIMARY KEY,
    year                INTEGER NOT NULL,
    scope_region_id     INTEGER REFERENCES regions(id) ON DELETE SET NULL,
    scope_path          TEXT NOT NULL DEFAULT '',
    scope_name          TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    progress_done       INTEGER NOT NULL DEFAULT 0,
    progress_total      INTEGER NOT NULL DEFAULT 0,
    catalogue_version   TEXT NOT NULL,
    params_json         TEXT NOT NULL,
    network_id          INTEGER REFERENCES walk_networks(id) ON DELETE SET NULL,
    variants            TEXT NOT NULL DEFAULT '',
    indicators_computed INTEGER NOT NULL DEFAULT 0,
    indicators_skipped  INTEGER NOT NULL DEFAULT 0,
    values_count        INTEGER NOT NULL DEFAULT 0,
    findings_new        INTEGER NOT NULL DEFAULT 0,
    findings_open       INTEGER NOT NULL DEFAULT 0,
    findings_resolved   INTEGER NOT NULL DEFAULT 0,
    notes_json          TEXT NOT NULL DEFAULT '[]',
    created_by          TEXT NOT NULL DEFAULT '',
    started_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP,
    error               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checkup_runs_started ON checkup_runs (started_at);

CREATE TABLE indicator_results (
    run_id         INTEGER NOT NULL REFERENCES checkup_runs(id) ON DELETE CASCADE,
    indicator_code TEXT NOT NULL,
    level          TEXT NOT NULL,
    variant        TEXT NOT NULL DEFAULT '',
    computed       BOOLEAN NOT NULL,
    value          REAL,
    threshold      REAL,
    passed         BOOLEAN,
    objects        INTEGER NOT NULL DEFAULT 0,
    failing        INTEGER NOT NULL DEFAULT 0,
    unknown        INTEGER NOT NULL DEFAULT 0,
    note           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, indicator_code, variant)
);

CREATE TABLE indicator_values (
    run_id         INTEGER NOT NULL REFERENCES checkup_runs(id) ON DELETE CASCADE,
    indicator_code TEXT NOT NULL,
    level          TEXT NOT NULL,
    variant        TEXT NOT NULL DEFAULT '',
    object_type    TEXT NOT NULL,
    object_id      INTEGER NOT NULL,
    object_name    TEXT NOT NULL DEFAULT '',
    region_path    TEXT NOT NULL DEFAULT '',
    value          REAL,
    threshold      REAL,
    passed         BOOLEAN,
    detail_json    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX indicator_values_object ON indicator_values (run_id, indicator_code, variant, object_type, object_id);
CREATE INDEX indicator_values_level ON indicator_values (run_id, level);

CREATE TABLE life_circle_distances (
    run_id             INTEGER NOT NULL REFERENCES checkup_runs(id) ON DELETE CASCADE,
    compound_id        INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    circle             INTEGER NOT NULL,
    radius_m           REAL NOT NULL,
    walk_facility_id   INTEGER,
    walk_facility_name TEXT NOT NULL DEFAULT '',
    walk_m             REAL,
    line_facility_id   INTEGER,
    line_facility_name TEXT NOT NULL DEFAULT '',
    line_m             REAL,
    PRIMARY KEY (run_id, compound_id, kind)
);
CREATE INDEX life_circle_distances_compound ON life_circle_distances (compound_id);

CREATE TABLE findings (
    id              INTEGER PRIMARY KEY,
    indicator_code  TEXT NOT NULL,
    level           TEXT NOT NULL,
    variant         TEXT NOT NULL DEFAULT '',
    object_type     TEXT NOT NULL,
    object_id       INTEGER NOT NULL,
    object_code     TEXT NOT NULL DEFAULT '',
    object_name     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('new', 'open', 'in_project', 'resolved', 'verified')),
    value           REAL,
    threshold       REAL,
    geometry        TEXT,
    lon             REAL,
    lat             REAL,
    region_path     TEXT NOT NULL DEFAULT '',
    evidence_json   TEXT NOT NULL DEFAULT '{}',
    first_run_id    INTEGER NOT NULL REFERENCES checkup_runs(id),
    last_run_id     INTEGER NOT NULL REFERENCES checkup_runs(id),
    resolved_run_id INTEGER REFERENCES checkup_runs(id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (indicator_code, variant, object_type, object_id)
);
CREATE INDEX findings_status ON findings (status);
CREATE INDEX findings_path ON findings (region_path);
CREATE INDEX findings_position ON findings (lon, lat);

CREATE TABLE finding_events (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    run_id      INTEGER REFERENCES checkup_runs(id) ON DELETE SET NULL,
    actor_name  TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          TIMESTAMP NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (finding_id);

-- +goose Down
DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE life_circle_distances;
DROP TABLE indicator_values;
DROP TABLE indicator_results;
DROP TABLE checkup_runs;
DROP TABLE indicator_overrides;
DROP TABLE walk_networks;
