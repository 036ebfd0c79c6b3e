-- +goose Up
-- Recurring case clusters (the same grid and category, many cases in one
-- period) proposed from the KPI page as candidates for the project pool, with
-- the case ids that are their evidence. The project pool takes them up later.
CREATE TABLE case_cluster_candidates (
    id          INTEGER PRIMARY KEY,
    grid_id     INTEGER NOT NULL REFERENCES regions(id),
    region_path TEXT NOT NULL,
    category    TEXT NOT NULL,
    period_from TIMESTAMP NOT NULL,
    period_to   TIMESTAMP NOT NULL,
    cases       INTEGER NOT NULL,
    previous    INTEGER NOT NULL DEFAULT 0,
    case_ids    TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL DEFAULT 'proposed',
    created_by  INTEGER REFERENCES users(id),
    created_by_name TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (grid_id, category, period_from, period_to)
);
CREATE INDEX case_cluster_candidates_path ON case_cluster_candidates (region_path, created_at);

-- +goose Down
DROP TABLE case_cluster_candidates;
