-- Dossiers pushed one by one through the API (POST /api/v1/dossiers), kept individually and
-- keyed by agency (a unit slug when matched, else the agency's own name) and code: a later state
-- of a dossier replaces the earlier one. The agency × month cells they fall in are recomputed
-- from them (dossier_stats, overdue_dossiers) in the push's transaction. A cell has one source:
-- a file import of a cell removes the pushed dossiers of that cell. Times are local RFC 3339
-- (+07:00), as overdue_dossiers keeps them.

-- Where a dossier_imports row came from: 'file' (an export imported) or 'push' (one API batch
-- that changed something; file_name is then 'API').
ALTER TABLE dossier_imports ADD COLUMN source TEXT NOT NULL DEFAULT 'file';

CREATE TABLE pushed_dossiers (
    agency TEXT NOT NULL,
    code TEXT NOT NULL,
    month TEXT NOT NULL,
    unit TEXT,
    procedure_code TEXT NOT NULL,
    level TEXT NOT NULL,
    online_level BIGINT NOT NULL,
    received_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    result_at TEXT,
    closed_at TEXT,
    status TEXT,
    push_id BIGINT NOT NULL REFERENCES dossier_imports(id),
    PRIMARY KEY (agency, code)
);
CREATE INDEX pushed_dossiers_cell ON pushed_dossiers(agency, month);
