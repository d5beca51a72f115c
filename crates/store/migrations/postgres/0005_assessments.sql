-- Self-assessment, appraisal, evidence and the province's own ranking (PostgreSQL).
-- Decimals are exact decimal text; dates are YYYY-MM-DD text; timestamps RFC 3339 UTC text.
CREATE TABLE assessment_rounds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    sample BIGINT NOT NULL DEFAULT 0,
    self_scoring_due TEXT NOT NULL,
    explanation_due TEXT NOT NULL,
    appraisal1_due TEXT NOT NULL,
    appraisal2_due TEXT NOT NULL,
    publication_due TEXT NOT NULL,
    classes_json TEXT NOT NULL,
    source_round TEXT,
    note TEXT NOT NULL DEFAULT '',
    published_on TEXT,
    published_by TEXT,
    snapshot_json TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assessment_rounds_edition ON assessment_rounds(edition_id);

CREATE TABLE assessment_units (
    round_id TEXT NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    position BIGINT NOT NULL,
    submitted_on TEXT,
    submitted_by TEXT,
    PRIMARY KEY (round_id, unit)
);
CREATE INDEX assessment_units_unit ON assessment_units(unit);

CREATE TABLE assessment_reopenings (
    id BIGSERIAL PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    stage TEXT NOT NULL,
    open_until TEXT NOT NULL,
    reason TEXT NOT NULL,
    reopened_by TEXT NOT NULL,
    reopened_at TEXT NOT NULL
);
CREATE INDEX assessment_reopenings_round ON assessment_reopenings(round_id, unit);

CREATE TABLE assessment_items (
    round_id TEXT NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    code TEXT NOT NULL,
    input_json TEXT,
    self_score TEXT,
    note TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    self_by TEXT,
    self_at TEXT,
    appraisal1 TEXT,
    comment1 TEXT NOT NULL DEFAULT '',
    appraisal1_by TEXT,
    appraisal1_at TEXT,
    dispute TEXT,
    disputed_by TEXT,
    disputed_at TEXT,
    appraisal2 TEXT,
    comment2 TEXT NOT NULL DEFAULT '',
    appraisal2_by TEXT,
    appraisal2_at TEXT,
    PRIMARY KEY (round_id, unit, code)
);

CREATE TABLE assessment_corrections (
    id BIGSERIAL PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    code TEXT NOT NULL,
    old_score TEXT NOT NULL,
    new_score TEXT NOT NULL,
    reason TEXT NOT NULL,
    decision_ref TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
CREATE INDEX assessment_corrections_round ON assessment_corrections(round_id);

-- Evidence files: stored once per content, on disk under the evidence folder, named by SHA-256.
CREATE TABLE evidence_files (
    sha256 TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    stored_at TEXT NOT NULL
);

-- Evidence documents: an uploaded file (its original name kept) or a reference to an official
-- document (number and symbol, date, issuing body, excerpt). `unit` is the unit that added it.
CREATE TABLE evidence (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    title_folded TEXT NOT NULL,
    sha256 TEXT REFERENCES evidence_files(sha256),
    original_name TEXT,
    content_type TEXT,
    size_bytes BIGINT,
    doc_number TEXT,
    doc_date TEXT,
    doc_issuer TEXT,
    doc_excerpt TEXT,
    unit TEXT REFERENCES units(slug),
    sample BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX evidence_unit ON evidence(unit);
CREATE INDEX evidence_sha ON evidence(sha256);

-- One document can back several criteria and several units' claims.
CREATE TABLE evidence_links (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    round_id TEXT NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    code TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (evidence_id, round_id, unit, code)
);
CREATE INDEX evidence_links_item ON evidence_links(round_id, unit, code);
