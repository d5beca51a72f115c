-- What the province makes public under /cong-khai (issue 13 point 1): the results of an
-- edition, a published ranking round, the dossier rates of a month or a year. A coordinator
-- publishes and withdraws; a withdrawn publication stays as a row (withdrawn_at set) and a new
-- publication of the same thing is a new row. At most one row per (kind, target) is live.
CREATE TABLE publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    decision_ref TEXT,
    decision_on TEXT,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_by TEXT,
    -- The dossier rates of the period as they stood when published (JSON: agency, month, counts,
    -- sample), so a later import of the same month does not change what was made public.
    snapshot_json TEXT
);
CREATE INDEX publications_target ON publications(kind, target);
