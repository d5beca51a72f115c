//! Sign-in throttling: counters of attempts per (kind, key) — e.g. `("pair", "admin|203.0.113.7")`,
//! `("account", "admin")`, `("address", "203.0.113.7")` — each locked for a while once it
//! reaches its limit. The web crate decides the policy (docs/SECURITY.md); the store only counts,
//! and counts atomically: one statement both adds the attempt and decides the lock, and it does
//! neither while the key is locked, so a burst of parallel requests gets at most `limit` of
//! them through.

use crate::db::{get, Store};
use crate::error::Context;
use crate::Result;

/// One attempt to count against a key. Times are stored timestamps (`timestamp_text`).
#[derive(Debug, Clone)]
pub struct ThrottleHit<'a> {
    pub kind: &'a str,
    pub key: &'a str,
    pub now: &'a str,
    /// Attempts last made at or before this start a new run from one (the quiet window).
    pub quiet_before: &'a str,
    /// Locks from a key last used at or before this are forgotten (the lock lengths start over).
    pub forget_before: &'a str,
    /// The attempt that makes the run this long locks the key.
    pub limit: i64,
    /// When the first, second, third and any later lock end (as of `now`).
    pub lock_until: [&'a str; 4],
}

/// The key's state after an attempt was counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleCount {
    /// Attempts in the current run, this one included.
    pub attempts: i64,
    /// Set when this attempt locked the key.
    pub locked_until: Option<String>,
}

impl Store {
    /// Count one attempt against `(kind, key)` and lock the key when the run reaches the limit —
    /// one statement, so parallel attempts are counted one after the other. `None` when the key
    /// is locked at `now`: nothing is counted and the attempt must be refused.
    pub async fn throttle_hit(&self, h: &ThrottleHit<'_>) -> Result<Option<ThrottleCount>> {
        const T: &str = "login_throttle";
        let run = format!(
            "(CASE WHEN {T}.locked_until IS NOT NULL OR {T}.last_at <= $4 THEN 1 ELSE {T}.attempts + 1 END)"
        );
        let locks = format!("(CASE WHEN {T}.last_at <= $10 THEN 0 ELSE {T}.lock_count END)");
        let sql = format!(
            "INSERT INTO {T} (kind, key, attempts, lock_count, locked_until, last_at) \
             VALUES ($1, $2, 1, CASE WHEN 1 >= $5 THEN 1 ELSE 0 END, CASE WHEN 1 >= $5 THEN $6 ELSE NULL END, $3) \
             ON CONFLICT (kind, key) DO UPDATE SET \
               attempts = {run}, \
               lock_count = CASE WHEN {run} >= $5 THEN {locks} + 1 ELSE {locks} END, \
               locked_until = CASE WHEN {run} >= $5 THEN \
                   (CASE {locks} WHEN 0 THEN $6 WHEN 1 THEN $7 WHEN 2 THEN $8 ELSE $9 END) \
                 ELSE NULL END, \
               last_at = $3 \
             WHERE {T}.locked_until IS NULL OR {T}.locked_until <= $3 \
             RETURNING attempts, locked_until"
        );
        let row = sqlx::query(&sql)
            .bind(h.kind)
            .bind(h.key)
            .bind(h.now)
            .bind(h.quiet_before)
            .bind(h.limit)
            .bind(h.lock_until[0])
            .bind(h.lock_until[1])
            .bind(h.lock_until[2])
            .bind(h.lock_until[3])
            .bind(h.forget_before)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("counting a sign-in attempt ({})", h.kind))?;
        self.wrote_to(crate::Tables::SIGN_IN);
        row.map(|r| {
            Ok(ThrottleCount {
                attempts: get(&r, "attempts")?,
                locked_until: get(&r, "locked_until")?,
            })
        })
        .transpose()
    }

    /// When the key's lock ends, if it is locked at `now`.
    pub async fn throttle_locked(
        &self,
        kind: &str,
        key: &str,
        now: &str,
    ) -> Result<Option<String>> {
        sqlx::query_scalar(
            "SELECT locked_until FROM login_throttle WHERE kind = $1 AND key = $2 AND locked_until > $3",
        )
        .bind(kind)
        .bind(key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("reading a sign-in lock ({kind})"))
    }

    /// Forget the key's attempts and locks (after a successful sign-in).
    pub async fn throttle_reset(&self, kind: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_throttle WHERE kind = $1 AND key = $2")
            .bind(kind)
            .bind(key)
            .execute(&self.pool)
            .await
            .ctx(|| format!("resetting a sign-in counter ({kind})"))?;
        self.wrote_to(crate::Tables::SIGN_IN);
        Ok(())
    }

    /// Accounts (`kind = 'account'` keys) locked at `now`.
    pub async fn throttled_accounts(&self, now: &str) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT key FROM login_throttle WHERE kind = 'account' AND locked_until > $1 ORDER BY key",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing locked accounts".into())
    }

    /// Remove counters last used at or before `before` that are not locked at `now`.
    pub async fn purge_throttle(&self, before: &str, now: &str) -> Result<u64> {
        let r = sqlx::query(
            "DELETE FROM login_throttle WHERE last_at <= $1 AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(before)
        .bind(now)
        .execute(&self.pool)
        .await
        .ctx(|| "purging sign-in counters".into())?;
        self.wrote_to(crate::Tables::SIGN_IN);
        Ok(r.rows_affected())
    }
}

/// The `pair` key of an account name and a client address.
pub fn pair_key(account: &str, address: &str) -> String {
    format!("{account}|{address}")
}

/// A `LIKE` pattern matching every `pair` key of `account` (its `%`, `_` and `\` escaped).
pub(crate) fn pair_pattern(account: &str) -> String {
    let mut p = String::with_capacity(account.len() + 2);
    for c in account.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push_str("|%");
    p
}
