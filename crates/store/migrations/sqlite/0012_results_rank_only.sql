-- A published result may carry a rank without a total (issue 13 point 5): `total` becomes
-- nullable. SQLite cannot drop a NOT NULL constraint, so the table is rebuilt (no other table
-- references it and it has no index of its own).
CREATE TABLE results_new (
    edition_id TEXT NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    subject TEXT NOT NULL REFERENCES subjects(slug),
    total TEXT,
    rank INTEGER,
    components_json TEXT NOT NULL DEFAULT '{}',
    node_scores_json TEXT NOT NULL DEFAULT '{}',
    node_ranks_json TEXT NOT NULL DEFAULT '{}',
    source TEXT,
    published_on TEXT,
    PRIMARY KEY (edition_id, subject),
    CHECK (total IS NOT NULL OR rank IS NOT NULL)
);
INSERT INTO results_new SELECT edition_id, subject, total, rank, components_json, node_scores_json,
    node_ranks_json, source, published_on FROM results;
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
