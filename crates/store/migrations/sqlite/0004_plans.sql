-- The improvement plan (SQLite): plans, findings, targets, tasks, assignments, report versions,
-- attachments, reminders, notifications, the working-day calendar, accountability measures.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    signer TEXT NOT NULL,
    signer_title TEXT NOT NULL,
    edition_id TEXT NOT NULL REFERENCES editions(id),
    subject TEXT NOT NULL REFERENCES subjects(slug),
    year INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE plan_findings (
    plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    criteria_json TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    PRIMARY KEY (plan_id, id)
);

CREATE TABLE plan_targets (
    plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    goal_json TEXT NOT NULL,
    lead_agency TEXT REFERENCES units(slug),
    duties TEXT NOT NULL,
    PRIMARY KEY (plan_id, id)
);

CREATE TABLE plan_tasks (
    plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    section TEXT NOT NULL,
    title TEXT NOT NULL,
    title_folded TEXT NOT NULL,
    description TEXT NOT NULL,
    findings_json TEXT NOT NULL,
    targets_json TEXT NOT NULL,
    criteria_json TEXT NOT NULL,
    lead_agency TEXT NOT NULL REFERENCES units(slug),
    coordinating_json TEXT NOT NULL,
    assignees_json TEXT NOT NULL,
    deadline_json TEXT NOT NULL,
    deliverable TEXT NOT NULL,
    PRIMARY KEY (plan_id, id)
);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    unit TEXT NOT NULL REFERENCES units(slug),
    progress_pct INTEGER NOT NULL DEFAULT 0,
    UNIQUE (plan_id, task_id, unit),
    FOREIGN KEY (plan_id, task_id) REFERENCES plan_tasks(plan_id, id) ON DELETE CASCADE
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    version INTEGER NOT NULL,
    done TEXT NOT NULL,
    problems TEXT NOT NULL,
    proposals TEXT NOT NULL,
    progress_pct INTEGER NOT NULL,
    submitted_on TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    decision TEXT,
    review_comment TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    UNIQUE (assignment_id, period, version)
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);

CREATE TABLE reminders_sent (
    assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    emails INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (assignment_id, period, kind)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit TEXT NOT NULL REFERENCES units(slug),
    created_at TEXT NOT NULL,
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_unit ON notifications(unit, created_at);

CREATE TABLE holidays (
    day TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE measures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    unit TEXT NOT NULL REFERENCES units(slug),
    head_name TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    decision TEXT,
    decision_note TEXT,
    decided_by TEXT,
    decided_at TEXT
);

ALTER TABLE users ADD COLUMN email TEXT;
