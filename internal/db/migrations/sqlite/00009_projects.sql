-- +goose Up
-- Renewal projects: the pool, scope (compounds and buildings), the findings that
-- started a project, work items with funding, spend and household shares, the
-- stage machine with its gate configuration per project type, approvals, the
-- four rounds of resident feedback, milestones with photos, documents,
-- priority weights, and per-household notes (一户一策).
CREATE TABLE projects (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    type               TEXT NOT NULL CHECK (type IN ('compound', 'village', 'industrial', 'heritage', 'micro')),
    mode               TEXT NOT NULL DEFAULT '' CHECK (mode IN ('', 'rebuild', 'renovate', 'mixed')),
    stage              TEXT NOT NULL CHECK (stage IN ('pool', 'consultation', 'design', 'sample', 'construction', 'acceptance', 'aftercare')),
    description        TEXT NOT NULL DEFAULT '',
    plan_year          INTEGER NOT NULL,
    region_id          INTEGER REFERENCES regions(id),
    region_path        TEXT NOT NULL,
    cutoff_year        INTEGER NOT NULL,
    compounds          INTEGER NOT NULL DEFAULT 0,
    buildings          INTEGER NOT NULL DEFAULT 0,
    eligible_buildings INTEGER NOT NULL DEFAULT 0,
    entrances          INTEGER NOT NULL DEFAULT 0,
    households         INTEGER NOT NULL DEFAULT 0,
    floor_area_dm2     INTEGER NOT NULL DEFAULT 0,
    lon                REAL,
    lat                REAL,
    sample_building_id INTEGER REFERENCES buildings(id),
    stage_entered_at   TIMESTAMP NOT NULL,
    created_by         TEXT NOT NULL,
    created_by_id      INTEGER,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX projects_region ON projects (region_path);
CREATE INDEX projects_stage ON projects (stage, plan_year);

CREATE TABLE project_scope (
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL CHECK (object_type IN ('compound', 'building')),
    object_id   INTEGER NOT NULL,
    PRIMARY KEY (project_id, object_type, object_id)
);
CREATE INDEX project_scope_object ON project_scope (object_type, object_id);

CREATE TABLE project_findings (
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    finding_id     INTEGER NOT NULL REFERENCES findings(id),
    value_before   REAL,
    threshold      REAL,
    severity_milli INTEGER NOT NULL DEFAULT 0,
    linked_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, finding_id)
);
CREATE INDEX project_findings_finding ON project_findings (finding_id);

CREATE TABLE project_items (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    class          TEXT NOT NULL CHECK (class IN ('basic', 'improvement', 'upgrade')),
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli >= 0),
    unit           TEXT NOT NULL,
    unit_cost_fen  INTEGER NOT NULL CHECK (unit_cost_fen >= 0),
    budget_fen     INTEGER NOT NULL CHECK (budget_fen >= 0),
    weight         INTEGER NOT NULL DEFAULT 0 CHECK (weight >= 0),
    progress_pct   INTEGER NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
    vote_matter    INTEGER NOT NULL DEFAULT 0 CHECK (vote_matter IN (0, 5, 6, 7, 8, 9)),
    target_type    TEXT NOT NULL DEFAULT '' CHECK (target_type IN ('', 'compound', 'building', 'entrance')),
    target_id      INTEGER NOT NULL DEFAULT 0,
    share_rule     TEXT NOT NULL DEFAULT 'by_area' CHECK (share_rule IN ('by_area', 'by_floor', 'equal')),
    share_params   TEXT NOT NULL DEFAULT '{}',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX project_items_project ON project_items (project_id);

CREATE TABLE project_funding (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES project_items(id) ON DELETE CASCADE,
    source     TEXT NOT NULL CHECK (source IN ('central', 'local', 'maintenance_fund', 'residents', 'provident_fund', 'enterprise')),
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (item_id, source)
);

CREATE TABLE project_spend (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    item_id    INTEGER NOT NULL REFERENCES project_items(id) ON DELETE CASCADE,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    spent_on   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX project_spend_item ON project_spend (item_id);

CREATE TABLE project_stage_events (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    from_stage   TEXT NOT NULL,
    to_stage     TEXT NOT NULL,
    overridden   BOOLEAN NOT NULL DEFAULT FALSE,
    reason       TEXT NOT NULL DEFAULT '',
    missing_json TEXT NOT NULL DEFAULT '[]',
    actor_name   TEXT NOT NULL,
    actor_id     INTEGER,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX project_stage_events_project ON project_stage_events (project_id, id);

-- Approvals and acceptances recorded on a project.
CREATE TABLE project_records (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('design_approval', 'sample_acceptance', 'completion_acceptance')),
    note          TEXT NOT NULL DEFAULT '',
    attachment_id INTEGER REFERENCES attachments(id),
    recorded_by   TEXT NOT NULL,
    recorded_at   TIMESTAMP NOT NULL
);
CREATE INDEX project_records_project ON project_records (project_id, kind);

-- Resident feedback of the four rounds and what was done with it.
CREATE TABLE project_feedback (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    round        TEXT NOT NULL CHECK (round IN ('survey', 'design', 'sample', 'construction')),
    household_id INTEGER REFERENCES households(id),
    channel      TEXT NOT NULL CHECK (channel IN ('meeting', 'door', 'phone', 'online', 'paper')),
    topic        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'adopted', 'explained')),
    response     TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    resolved_by  TEXT NOT NULL DEFAULT '',
    resolved_at  TIMESTAMP
);
CREATE INDEX project_feedback_project ON project_feedback (project_id, round, status);

CREATE TABLE project_milestones (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    item_id    INTEGER REFERENCES project_items(id) ON DELETE SET NULL,
    name       TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    actual_on  TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX project_milestones_project ON project_milestones (project_id, planned_on);

-- Photos (before/after on milestones) and documents of a project.
CREATE TABLE project_files (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    milestone_id  INTEGER REFERENCES project_milestones(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('before', 'after', 'document')),
    title         TEXT NOT NULL DEFAULT '',
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX project_files_project ON project_files (project_id, kind);

-- Gate conditions per project type and stage left; absent rows use the defaults.
CREATE TABLE project_gates (
    type        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    conditions  TEXT NOT NULL,
    support_num INTEGER NOT NULL DEFAULT 2,
    support_den INTEGER NOT NULL DEFAULT 3,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (type, stage)
);

CREATE TABLE project_settings (
    key        TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Per-household notes (一户一策): concerns, agreements and follow-ups.
CREATE TABLE household_notes (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    project_id   INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('concern', 'agreement', 'follow_up')),
    body         TEXT NOT NULL,
    due_on       TEXT NOT NULL DEFAULT '',
    done         BOOLEAN NOT NULL DEFAULT FALSE,
    author_name  TEXT NOT NULL,
    author_id    INTEGER,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX household_notes_household ON household_notes (household_id, created_at);

-- +goose Down
DROP TABLE household_notes;
DROP TABLE project_settings;
DROP TABLE project_gates;
DROP TABLE project_files;
DROP TABLE project_milestones;
DROP TABLE project_feedback;
DROP TABLE project_records;
DROP TABLE project_stage_events;
DROP TABLE project_spend;
DROP TABLE project_funding;
DROP TABLE project_items;
DROP TABLE project_findings;
DROP TABLE project_scope;
DROP TABLE projects;
