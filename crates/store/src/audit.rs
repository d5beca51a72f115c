//! The audit log: who changed what and when, with before/after values as JSON.

use crate::db::{audit_time, get, Store};
use crate::error::Context;
use crate::Result;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub unit: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Filters for reading the log; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub unit: Option<String>,
    /// RFC 3339 lower bound (inclusive).
    pub since: Option<String>,
    /// RFC 3339 upper bound (exclusive).
    pub until: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One change to record inside a transaction.
pub(crate) struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub unit: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The statement that records one change (also run by the SQLite bulk import's own connection).
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, actor, action, entity, entity_id, unit, before_json, after_json) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(crate) async fn record(tx: &mut crate::version::WriteTx, c: Change<'_>) -> Result<()> {
    tx.touches(crate::Tables::AUDIT);
    sqlx::query(INSERT_AUDIT)
        .bind(audit_time())
        .bind(c.actor)
        .bind(c.action)
        .bind(c.entity)
        .bind(c.entity_id)
        .bind(c.unit)
        .bind(c.before.map(|v| v.to_string()))
        .bind(c.after.map(|v| v.to_string()))
        .execute(&mut **tx)
        .await
        .ctx(|| format!("recording the audit of {} {}", c.entity, c.entity_id))?;
    Ok(())
}

impl Store {
    /// Record an event that changes no row (a scheduled backup written): one audit entry.
    pub async fn record_event(
        &self,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: &str,
        after: serde_json::Value,
    ) -> Result<()> {
        self.execute_for(
            crate::Tables::AUDIT,
            sqlx::query(INSERT_AUDIT)
                .bind(audit_time())
                .bind(actor)
                .bind(action)
                .bind(entity)
                .bind(entity_id)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(Some(after.to_string())),
        )
        .await
        .ctx(|| format!("recording the audit of {entity} {entity_id}"))?;
        Ok(())
    }

    /// How many entries the filter keeps (its `limit` and `offset` aside): the API's total.
    pub async fn audit_count(&self, f: &AuditFilter) -> Result<usize> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log \
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR entity = $2) AND ($3 IS NULL OR unit = $3) \
             AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5)",
        )
        .bind(f.actor.as_deref())
        .bind(f.entity.as_deref())
        .bind(f.unit.as_deref())
        .bind(f.since.as_deref())
        .bind(f.until.as_deref())
        .fetch_one(&self.pool)
        .await
        .ctx(|| "counting the audit log".into())?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Audit entries, newest first.
    pub async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let limit = if f.limit <= 0 { 100 } else { f.limit.min(1000) };
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, unit, before_json, after_json FROM audit_log \
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR entity = $2) AND ($3 IS NULL OR unit = $3) \
             AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
             ORDER BY id DESC LIMIT $6 OFFSET $7",
        )
        .bind(f.actor.as_deref())
        .bind(f.entity.as_deref())
        .bind(f.unit.as_deref())
        .bind(f.since.as_deref())
        .bind(f.until.as_deref())
        .bind(limit)
        .bind(f.offset.max(0))
        .fetch_all(&self.pool)
        .await
        .ctx(|| "reading the audit log".into())?;
        let parse = |s: Option<String>| s.and_then(|v| serde_json::from_str(&v).ok());
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: get(r, "id")?,
                    at: get(r, "at")?,
                    actor: get(r, "actor")?,
                    action: get(r, "action")?,
                    entity: get(r, "entity")?,
                    entity_id: get(r, "entity_id")?,
                    unit: get(r, "unit")?,
                    before: parse(get(r, "before_json")?),
                    after: parse(get(r, "after_json")?),
                })
            })
            .collect()
    }
}
