-- API tokens (sqlite): a Bearer token acts for its user on /api/v1, narrowed by its scope
-- ('read': GET only; 'write': also changes). Only the SHA-256 of the token is kept (the token
-- itself is shown once, when it is made); see docs/SECURITY.md, "API tokens".
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Chosen by the administrator (e.g. 'mot-cua'); unique among the tokens not revoked.
    name TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- NULL: never expires.
    expires_at TEXT,
    -- Written at most once a minute per token (state, not backed up).
    last_used_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens(user_id);
