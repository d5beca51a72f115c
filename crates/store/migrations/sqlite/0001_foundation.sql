-- Foundation schema (SQLite). Decimals are stored as exact decimal text, timestamps as RFC 3339 text.
CREATE TABLE editions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    year INTEGER NOT NULL,
    level TEXT NOT NULL,
    methodology_ref TEXT,
    max_points TEXT NOT NULL,
    peer_count INTEGER,
    sample INTEGER NOT NULL DEFAULT 0,
    notes TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX editions_level_year ON editions(level, year);

CREATE TABLE edition_components (
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT,
    max_points TEXT NOT NULL,
    PRIMARY KEY (edition_id, code)
);

CREATE TABLE criteria (
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    depth INTEGER NOT NULL,
    title_vi TEXT NOT NULL,
    title_en TEXT,
    title_folded TEXT NOT NULL,
    max_points TEXT,
    component TEXT,
    survey_scored INTEGER NOT NULL DEFAULT 0,
    evidence_required INTEGER NOT NULL DEFAULT 0,
    applies_to TEXT NOT NULL DEFAULT '',
    lead_agency TEXT,
    rule_json TEXT,
    PRIMARY KEY (edition_id, code)
);
CREATE INDEX criteria_folded ON criteria(title_folded);

CREATE TABLE subjects (
    slug TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT,
    name_folded TEXT NOT NULL
);
CREATE INDEX subjects_folded ON subjects(name_folded);

CREATE TABLE units (
    slug TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT,
    name_folded TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    parent TEXT REFERENCES units(slug),
    head_name TEXT,
    head_title TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX units_folded ON units(name_folded);

CREATE TABLE results (
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    subject TEXT NOT NULL REFERENCES subjects(slug),
    total TEXT NOT NULL,
    rank INTEGER,
    components_json TEXT NOT NULL DEFAULT '{}',
    node_scores_json TEXT NOT NULL DEFAULT '{}',
    node_ranks_json TEXT NOT NULL DEFAULT '{}',
    source TEXT,
    published_on TEXT,
    PRIMARY KEY (edition_id, subject)
);

CREATE TABLE rank_targets (
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    subject TEXT NOT NULL REFERENCES subjects(slug),
    scope TEXT NOT NULL,
    target_rank INTEGER NOT NULL,
    lead_agency TEXT REFERENCES units(slug),
    note TEXT,
    PRIMARY KEY (edition_id, subject, scope)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    unit TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_at ON audit_log(at);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
