-- Sign-in throttling (PostgreSQL): one row per throttled thing, e.g. ('pair', 'admin|203.0.113.7'),
-- ('account', 'admin') or ('address', '203.0.113.7'). Keyed by the name typed, not by a user
-- id, so an unknown name is throttled exactly like a real one. See docs/SECURITY.md.
CREATE TABLE login_throttle (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    -- Attempts counted in the current run (since the last quiet window, lock or success).
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Locks so far; each lock lasts longer than the one before.
    lock_count BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX login_throttle_last ON login_throttle(last_at);
