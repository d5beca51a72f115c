-- One-stop-shop dossiers and operational indicators (SQLite). Decimals are exact decimal text,
-- timestamps RFC 3339 text, months `YYYY-MM`.

-- One import of a dossier export.
CREATE TABLE dossier_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    as_of TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_skipped INTEGER NOT NULL,
    sample INTEGER NOT NULL DEFAULT 0
);

-- Counts per agency (a unit slug when the export's agency matched a unit, else its own name)
-- and month of receipt. Re-importing a cell replaces it.
CREATE TABLE dossier_stats (
    agency TEXT NOT NULL,
    month TEXT NOT NULL,
    unit TEXT,
    received INTEGER NOT NULL,
    resolved INTEGER NOT NULL,
    early INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
    late INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    pending_overdue INTEGER NOT NULL,
    import_id INTEGER NOT NULL REFERENCES dossier_imports(id),
    PRIMARY KEY (agency, month)
);

-- The late and pending-overdue dossiers themselves (not every dossier). Rows arrive in file
-- order and are appended; the only index is (agency, month), which serves each agency's list,
-- the lookup of one dossier within its agency, and the replacement of a re-imported period.
CREATE TABLE overdue_dossiers (
    agency TEXT NOT NULL,
    code TEXT NOT NULL,
    month TEXT NOT NULL,
    outcome TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    level TEXT NOT NULL,
    online_level INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    result_at TEXT,
    closed_at TEXT,
    status TEXT,
    import_id INTEGER NOT NULL
);
CREATE INDEX overdue_dossiers_agency_month ON overdue_dossiers(agency, month);

-- Explanations outlive re-imports: keyed by agency and dossier code.
CREATE TABLE dossier_explanations (
    agency TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    responsible TEXT NOT NULL,
    remedy TEXT NOT NULL,
    written_by TEXT NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (agency, code)
);

CREATE TABLE indicators (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT,
    name_folded TEXT NOT NULL,
    unit TEXT NOT NULL,
    measure TEXT NOT NULL,
    direction TEXT NOT NULL,
    target TEXT,
    deadline TEXT,
    frequency TEXT NOT NULL,
    source TEXT NOT NULL,
    lead_agency TEXT,
    note TEXT,
    updated_at TEXT NOT NULL
);

-- unit '' = the province as a whole.
CREATE TABLE indicator_observations (
    indicator_id TEXT NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    unit TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL,
    period_end TEXT NOT NULL,
    value TEXT NOT NULL,
    numerator TEXT,
    denominator TEXT,
    source TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (indicator_id, unit, period)
);

-- An indicator feeds a criterion's scoring rule; the score is computed on read.
CREATE TABLE indicator_criteria (
    indicator_id TEXT NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    node_code TEXT NOT NULL,
    PRIMARY KEY (indicator_id, edition_id, node_code)
);
