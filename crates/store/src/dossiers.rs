//! One-stop-shop dossiers: the aggregates per agency × month, the individual late and
//! pending-overdue dossiers, and their explanations.
//!
//! An import is one transaction ([`Store::begin_dossier_import`] … [`DossierImport::commit`]):
//! the agency × month cells of the file replace what was stored for them (their aggregates and
//! their overdue dossiers); explanations are kept by agency and dossier code, so they survive a
//! re-import of the same period. Nothing is visible until the commit; dropping the import rolls
//! it back.

use crate::audit::{record, Change, INSERT_AUDIT};
use crate::db::{get, now_text, Backend, Store};
use crate::error::{Context, StoreError};
use crate::pg_bulk::PgBulk;
use crate::refusal::{refuse, RefusalKind, Refusals};
use crate::sqlite_bulk::BulkConn;
use crate::Result;
use crate::Tables;
use parindex_domain::dossiers::{Counts, DossierLevel, Month, Outcome, OverdueDossier};
use parindex_domain::text::nfc;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

/// What an import is.
#[derive(Debug, Clone)]
pub struct DossierImportMeta {
    pub file_name: String,
    pub as_of: jiff::civil::Date,
    /// Synthetic or sample data: labelled as such wherever it is shown.
    pub sample: bool,
    pub rows: u64,
    pub skipped: u64,
}

/// The counts of one agency in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DossierCell {
    /// A unit slug when matched, else the export's own name.
    pub agency: String,
    /// The unit, when the agency is one.
    pub unit: Option<String>,
    pub month: Month,
    pub counts: Counts,
}

/// A stored cell with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCell {
    pub cell: DossierCell,
    pub import_id: i64,
    pub sample: bool,
}

/// An overdue dossier's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Explanation {
    pub reason: String,
    pub responsible: String,
    pub remedy: String,
    #[serde(default)]
    pub written_by: String,
    #[serde(default)]
    pub written_at: String,
}

impl Explanation {
    /// Problems with the texts, by field (each required, at most 2,000 characters).
    pub fn problems(&self) -> Refusals {
        let mut out = Refusals::new();
        for (field, v) in [
            ("reason", &self.reason),
            ("responsible", &self.responsible),
            ("remedy", &self.remedy),
        ] {
            if v.trim().is_empty() {
                out.push(field, RefusalKind::Required);
            } else if v.chars().count() > 2000 {
                out.push(field, RefusalKind::TooLong { max: 2000 });
            }
        }
        out
    }
}

/// A late or pending-overdue dossier with its explanation, if written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueEntry {
    pub dossier: OverdueDossier,
    pub explanation: Option<Explanation>,
    pub sample: bool,
}

/// Explained and unexplained overdue dossiers of one agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplanationCount {
    pub agency: String,
    pub overdue: i64,
    pub explained: i64,
}

impl ExplanationCount {
    pub fn unexplained(&self) -> i64 {
        self.overdue - self.explained
    }
}

/// A late or pending-overdue dossier to store, borrowed (see [`DossierImport::add_overdue_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverdueRef<'a> {
    pub outcome: Outcome,
    pub code: &'a str,
    /// As stored: a unit slug when matched, else the export's own name.
    pub agency: &'a str,
    pub procedure: &'a str,
    pub level: DossierLevel,
    pub online_level: u8,
    pub received_at: &'a str,
    pub due_at: &'a str,
    pub result_at: Option<&'a str>,
    pub closed_at: Option<&'a str>,
    pub status: Option<&'a str>,
    pub month: Month,
}

impl<'a> From<&'a OverdueDossier> for OverdueRef<'a> {
    fn from(d: &'a OverdueDossier) -> Self {
        OverdueRef {
            outcome: d.outcome,
            code: &d.code,
            agency: &d.agency,
            procedure: &d.procedure,
            level: d.level,
            online_level: d.online_level,
            received_at: &d.received_at,
            due_at: &d.due_at,
            result_at: d.result_at.as_deref(),
            closed_at: d.closed_at.as_deref(),
            status: d.status.as_deref(),
            month: d.month,
        }
    }
}

/// Where an import's statements go: a connection of the import's own — a SQLite file: a native
/// connection whose overdue dossiers are inserted through SQLite's C API (see `sqlite_bulk`);
/// PostgreSQL: a typed connection whose overdue dossiers are loaded with `COPY` (see
/// `pg_bulk`) — or, for an in-memory SQLite database, a transaction of the pool.
enum ImportConn {
    Pool(crate::version::WriteTx),
    Bulk(Box<BulkConn>),
    Pg(Box<PgBulk>),
}

/// Run one statement on an import's connection, giving the rows affected:
/// `exec!(conn, "SQL", binds…)`.
/// `exec!(conn, "SQL", binds…; fetch_one)`: the one value of a statement's one row.
macro_rules! exec {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            ImportConn::Pool(tx) => sqlx::query($sql)
                $(.bind($arg))*
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
            ImportConn::Bulk(b) => sqlx::query($sql)
                $(.bind($arg))*
                .execute(b.conn())
                .await
                .map(|r| r.rows_affected()),
            // The dossiers not sent yet go first, in order.
            ImportConn::Pg(p) => match p.ready().await {
                Ok(c) => sqlx::query($sql)
                    $(.bind($arg))*
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()),
                Err(e) => Err(e),
            },
        }
    };
    ($conn:expr, $sql:expr $(, $arg:expr)*; fetch_one) => {
        match $conn {
            ImportConn::Pool(tx) => sqlx::query_scalar($sql)
                $(.bind($arg))*
                .fetch_one(&mut **tx)
                .await,
            ImportConn::Bulk(b) => sqlx::query_scalar($sql)
                $(.bind($arg))*
                .fetch_one(b.conn())
                .await,
            ImportConn::Pg(p) => match p.ready().await {
                Ok(c) => sqlx::query_scalar($sql)
                    $(.bind($arg))*
                    .fetch_one(c)
                    .await,
                Err(e) => Err(e),
            },
        }
    };
}

/// An import in progress: one open transaction.
pub struct DossierImport {
    conn: ImportConn,
    id: i64,
    actor: String,
    overdue: u64,
    cells: usize,
    meta: DossierImportMeta,
    months: Vec<Month>,
    replaced: u64,
    /// Pushed dossiers removed: their cells are now the file's (a cell has one source).
    pushed_removed: u64,
    /// The file's duplicate codes, as the reader found them (for the audit entry).
    duplicates: Option<serde_json::Value>,
    /// Streaming ([`Store::open_dossier_import`]): the agency × month cells whose earlier
    /// overdue dossiers were already deleted (at the first dossier of the cell, or by
    /// [`DossierImport::replace_cells`]). `None`: [`Store::begin_dossier_import`] replaced
    /// every cell up front.
    cleared: Option<HashMap<Month, HashSet<String>>>,
    /// The rows read and skipped changed since the import record was written.
    counts_changed: bool,
    /// The store's data version, bumped once the import is committed.
    version: crate::version::DataVersion,
}

const OVERDUE_COLS: usize = 13;
const OVERDUE_INSERT_COLS: &str =
    "INSERT INTO overdue_dossiers (agency, code, month, outcome, procedure_code, level, \
     online_level, received_at, due_at, result_at, closed_at, status, import_id)";

const OVERDUE_BATCH: usize = 500;

impl DossierImport {
    /// Add late and pending-overdue dossiers (any number; appended in multi-row batches).
    pub async fn add_overdue(&mut self, rows: &[OverdueDossier]) -> Result<()> {
        let refs: Vec<OverdueRef<'_>> = rows.iter().map(OverdueRef::from).collect();
        self.add_overdue_rows(&refs).await
    }

    /// Add late and pending-overdue dossiers, borrowed. In a streaming import, the first
    /// dossier of an agency × month cell first deletes what was stored for the cell.
    pub async fn add_overdue_rows(&mut self, rows: &[OverdueRef<'_>]) -> Result<()> {
        if let Some(cleared) = self.cleared.as_mut() {
            let mut fresh: Vec<(&str, Month)> = Vec::new();
            for d in rows {
                let done = cleared.get(&d.month).is_some_and(|s| s.contains(d.agency));
                if !done {
                    cleared
                        .entry(d.month)
                        .or_default()
                        .insert(d.agency.to_string());
                    fresh.push((d.agency, d.month));
                }
            }
            for (agency, month) in fresh {
                delete_overdue_of(&mut self.conn, agency, month).await?;
            }
        }
        // The months as text, bound by reference.
        let mut month_texts: Vec<(Month, String)> = Vec::new();
        for d in rows {
            if !month_texts.iter().any(|(m, _)| *m == d.month) {
                month_texts.push((d.month, d.month.to_string()));
            }
        }
        let month_text = |m: Month| -> &str {
            month_texts
                .iter()
                .find(|(x, _)| *x == m)
                .map(|(_, t)| t.as_str())
                .unwrap_or_default()
        };
        let id = self.id;
        let tx = match &mut self.conn {
            ImportConn::Bulk(b) => {
                b.insert_overdue(rows, &month_texts, id).await?;
                self.overdue += rows.len() as u64;
                return Ok(());
            }
            ImportConn::Pg(p) => {
                p.add_overdue(rows, &month_texts, id).await?;
                self.overdue += rows.len() as u64;
                return Ok(());
            }
            ImportConn::Pool(tx) => tx,
        };
        for chunk in rows.chunks(OVERDUE_BATCH) {
            let sql = overdue_insert_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q
                    .bind(d.agency)
                    .bind(d.code)
                    .bind(month_text(d.month))
                    .bind(d.outcome.as_str())
                    .bind(d.procedure)
                    .bind(d.level.as_str())
                    .bind(i64::from(d.online_level))
                    .bind(d.received_at)
                    .bind(d.due_at)
                    .bind(d.result_at)
                    .bind(d.closed_at)
                    .bind(d.status)
                    .bind(id);
            }
            q.execute(&mut **tx)
                .await
                .ctx(|| "saving overdue dossiers".into())?;
            self.overdue += chunk.len() as u64;
        }
        Ok(())
    }

    /// Forget the overdue dossiers added so far by this import (the file is read again).
    pub async fn discard_overdue(&mut self) -> Result<()> {
        if let ImportConn::Pg(p) = &mut self.conn {
            p.discard();
        }
        exec!(
            &mut self.conn,
            "DELETE FROM overdue_dossiers WHERE import_id = $1",
            self.id
        )
        .ctx(|| "discarding overdue dossiers".into())?;
        self.overdue = 0;
        Ok(())
    }

    /// The rows read and skipped, when known only at the end (streaming).
    pub fn set_rows(&mut self, rows: u64, skipped: u64) {
        self.meta.rows = rows;
        self.meta.skipped = skipped;
        self.counts_changed = true;
    }

    /// Replace the counts of these agency × month cells (and, in a streaming import, the
    /// overdue dossiers of those that had none in the file).
    pub async fn replace_cells(&mut self, cells: &[DossierCell]) -> Result<()> {
        check_cells(cells)?;
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for c in cells {
            let month = c.month.to_string();
            self.replaced += exec!(
                &mut self.conn,
                "DELETE FROM dossier_stats WHERE agency = $1 AND month = $2",
                &c.agency,
                &month
            )
            .ctx(|| format!("replacing {} {month}", c.agency))?;
            let done = match self.cleared.as_mut() {
                None => false,
                Some(cleared) => !cleared.entry(c.month).or_default().insert(c.agency.clone()),
            };
            if !done {
                delete_overdue_of(&mut self.conn, &c.agency, c.month).await?;
            }
            // A cell has one source: the file holds every dossier of its months, so the
            // dossiers pushed into the cell through the API go.
            self.pushed_removed += exec!(
                &mut self.conn,
                "DELETE FROM pushed_dossiers WHERE agency = $1 AND month = $2",
                &c.agency,
                &month
            )
            .ctx(|| format!("replacing the pushed dossiers of {} {month}", c.agency))?;
            let k = &c.counts;
            exec!(
                &mut self.conn,
                "INSERT INTO dossier_stats (agency, month, unit, received, resolved, early, on_time, late, pending, pending_overdue, online, import_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &c.agency,
                &month,
                c.unit.as_deref(),
                to_i64(k.received),
                to_i64(k.resolved),
                to_i64(k.early),
                to_i64(k.on_time),
                to_i64(k.late),
                to_i64(k.pending),
                to_i64(k.pending_overdue),
                k.online.map(to_i64),
                self.id
            )
            .ctx(|| format!("saving {} {month}", c.agency))?;
        }
        self.cells += cells.len();
        self.months.extend(cells.iter().map(|c| c.month));
        self.months.sort();
        self.months.dedup();
        Ok(())
    }

    /// The dossiers pushed through the API into the cells replaced so far, removed by this
    /// import.
    pub fn pushed_removed(&self) -> u64 {
        self.pushed_removed
    }

    /// Note the codes the file holds more than once (`{"count", "codes": [{code, agency,
    /// lines}]}`), kept in the import's audit entry for the notice after the import.
    pub fn note_duplicates(&mut self, duplicates: serde_json::Value) {
        self.duplicates = Some(duplicates);
    }

    /// Record the audit entry and commit. Returns the import's id.
    pub async fn commit(mut self) -> Result<i64> {
        if self.counts_changed {
            let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            exec!(
                &mut self.conn,
                "UPDATE dossier_imports SET rows_read = $1, rows_skipped = $2 WHERE id = $3",
                to_i64(self.meta.rows),
                to_i64(self.meta.skipped),
                self.id
            )
            .ctx(|| "recording the dossier import".into())?;
        }
        let after = serde_json::json!({
            "file": self.meta.file_name,
            "as_of": self.meta.as_of.to_string(),
            "sample": self.meta.sample,
            "rows": self.meta.rows,
            "skipped": self.meta.skipped,
            "cells": self.cells,
            "cells_replaced": self.replaced,
            "pushed_removed": self.pushed_removed,
            "duplicates": self.duplicates,
            "overdue": self.overdue,
            "months": self.months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        });
        let id = self.id.to_string();
        let change = Change {
            actor: &self.actor,
            action: "import",
            entity: "dossier_import",
            entity_id: &id,
            unit: None,
            before: None,
            after: Some(after),
        };
        match self.conn {
            ImportConn::Pool(mut tx) => {
                record(&mut tx, change).await?;
                tx.commit()
                    .await
                    .ctx(|| "committing the dossier import".into())?;
            }
            ImportConn::Bulk(mut b) => {
                sqlx::query(INSERT_AUDIT)
                    .bind(crate::db::audit_time())
                    .bind(change.actor)
                    .bind(change.action)
                    .bind(change.entity)
                    .bind(change.entity_id)
                    .bind(change.unit)
                    .bind(change.before.map(|v| v.to_string()))
                    .bind(change.after.map(|v| v.to_string()))
                    .execute(b.conn())
                    .await
                    .ctx(|| format!("recording the audit of dossier_import {id}"))?;
                if let Some(sql) = crate::version::bump_sql(Backend::Sqlite, Tables::ALL) {
                    sqlx::query(&sql)
                        .execute(b.conn())
                        .await
                        .ctx(|| "counting the dossier import in the data versions".into())?;
                }
                let committed = b.commit().await;
                self.version.bump();
                committed?;
            }
            ImportConn::Pg(mut p) => {
                let conn = p.ready().await.ctx(|| "saving overdue dossiers".into())?;
                sqlx::query(INSERT_AUDIT)
                    .bind(crate::db::audit_time())
                    .bind(change.actor)
                    .bind(change.action)
                    .bind(change.entity)
                    .bind(change.entity_id)
                    .bind(change.unit)
                    .bind(change.before.map(|v| v.to_string()))
                    .bind(change.after.map(|v| v.to_string()))
                    .execute(&mut *conn)
                    .await
                    .ctx(|| format!("recording the audit of dossier_import {id}"))?;
                if let Some(sql) = crate::version::bump_sql(Backend::Postgres, Tables::ALL) {
                    sqlx::query(&sql)
                        .execute(&mut *conn)
                        .await
                        .ctx(|| "counting the dossier import in the data versions".into())?;
                }
                let committed = p.commit().await;
                self.version.bump();
                committed?;
            }
        }
        Ok(self.id)
    }
}

/// The multi-row insert of `n` overdue dossiers, one parameter per column (SQLite: an
/// in-memory database goes through the pool).
fn overdue_insert_sql(n: usize) -> String {
    let mut sql = String::with_capacity(160 + n * 64);
    sql.push_str(OVERDUE_INSERT_COLS);
    sql.push_str(" VALUES ");
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..OVERDUE_COLS {
            if c > 0 {
                sql.push(',');
            }
            // SQLite looks named parameters up one by one (quadratic in a long
            // statement); plain `?` are bound in order.
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

fn check_cells(cells: &[DossierCell]) -> Result<()> {
    for c in cells {
        if !c.counts.consistent() {
            return refuse(
                format!("cells[{}]", c.agency),
                RefusalKind::CountsDisagree {
                    month: c.month.to_string(),
                },
            );
        }
        if c.agency.trim().is_empty() {
            return refuse("cells[].agency", RefusalKind::Required);
        }
    }
    Ok(())
}

/// Delete the stored overdue dossiers of one agency × month cell.
async fn delete_overdue_of(conn: &mut ImportConn, agency: &str, month: Month) -> Result<()> {
    let month = month.to_string();
    exec!(
        conn,
        "DELETE FROM overdue_dossiers WHERE agency = $1 AND month = $2",
        agency,
        &month
    )
    .ctx(|| format!("replacing the overdue dossiers of {agency} {month}"))?;
    Ok(())
}

fn count(r: &AnyRow, col: &str) -> Result<u64> {
    let v: i64 = get(r, col)?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v} is negative")))
}

/// A count that may be unknown (NULL): the online dossiers of a cell stored before they were
/// counted.
pub(crate) fn optional_count(r: &AnyRow, col: &str) -> Result<Option<u64>> {
    let v: Option<i64> = get(r, col)?;
    v.map(|v| u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v} is negative"))))
        .transpose()
}

pub(crate) fn month_of(s: &str) -> Result<Month> {
    Month::parse(s).ok_or_else(|| StoreError::Corrupt(format!("month '{s}'")))
}

fn overdue_from_row(r: &AnyRow) -> Result<OverdueDossier> {
    let outcome: String = get(r, "outcome")?;
    let level: String = get(r, "level")?;
    let online: i64 = get(r, "online_level")?;
    let month: String = get(r, "month")?;
    Ok(OverdueDossier {
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("outcome '{outcome}'")))?,
        code: get(r, "code")?,
        agency: get(r, "agency")?,
        procedure: get(r, "procedure_code")?,
        level: DossierLevel::parse(level.as_bytes())
            .ok_or_else(|| StoreError::Corrupt(format!("level '{level}'")))?,
        online_level: u8::try_from(online).unwrap_or(0),
        received_at: get(r, "received_at")?,
        due_at: get(r, "due_at")?,
        result_at: get(r, "result_at")?,
        closed_at: get(r, "closed_at")?,
        status: get(r, "status")?,
        month: month_of(&month)?,
    })
}

fn explanation_from_row(r: &AnyRow) -> Result<Option<Explanation>> {
    let reason: Option<String> = get(r, "reason")?;
    Ok(match reason {
        None => None,
        Some(reason) => Some(Explanation {
            reason,
            responsible: get::<Option<String>>(r, "responsible")?.unwrap_or_default(),
            remedy: get::<Option<String>>(r, "remedy")?.unwrap_or_default(),
            written_by: get::<Option<String>>(r, "written_by")?.unwrap_or_default(),
            written_at: get::<Option<String>>(r, "written_at")?.unwrap_or_default(),
        }),
    })
}

const OVERDUE_SELECT: &str =
    "SELECT o.agency, o.code, o.month, o.outcome, o.procedure_code, o.level, o.online_level, \
     o.received_at, o.due_at, o.result_at, o.closed_at, o.status, i.sample, \
     e.reason, e.responsible, e.remedy, e.written_by, e.written_at \
     FROM overdue_dossiers o JOIN dossier_imports i ON i.id = o.import_id \
     LEFT JOIN dossier_explanations e ON e.agency = o.agency AND e.code = o.code";

impl Store {
    /// Open an import: record it, replace the agency × month cells of the file. Add the overdue
    /// dossiers with [`DossierImport::add_overdue`], then [`DossierImport::commit`].
    pub async fn begin_dossier_import(
        &self,
        meta: &DossierImportMeta,
        cells: &[DossierCell],
        actor: &str,
    ) -> Result<DossierImport> {
        check_cells(cells)?;
        let mut imp = self.open_import(meta, actor, false).await?;
        imp.replace_cells(cells).await?;
        Ok(imp)
    }

    /// Open a streaming import, before the file is read: record it; then add the overdue
    /// dossiers as they are read ([`DossierImport::add_overdue_rows`]: the first dossier of an
    /// agency × month cell deletes what was stored for it), give the cells at the end
    /// ([`DossierImport::replace_cells`], [`DossierImport::set_rows`]) and
    /// [`DossierImport::commit`]. Nothing is visible before the commit.
    pub async fn open_dossier_import(
        &self,
        meta: &DossierImportMeta,
        actor: &str,
    ) -> Result<DossierImport> {
        self.open_import(meta, actor, true).await
    }

    async fn open_import(
        &self,
        meta: &DossierImportMeta,
        actor: &str,
        streaming: bool,
    ) -> Result<DossierImport> {
        let mut conn = match (self.sqlite_file_url(), self.postgres_url()) {
            (Some(url), _) => ImportConn::Bulk(Box::new(
                BulkConn::begin(url, self.sqlite_max_page_count()).await?,
            )),
            (None, Some(url)) => ImportConn::Pg(Box::new(PgBulk::begin(url).await?)),
            (None, None) => {
                let mut tx = self
                    .write_tx()
                    .await
                    .ctx(|| "starting a transaction".into())?;
                if self.backend() == crate::Backend::Sqlite {
                    // An in-memory database: let SQLite keep the pages of a large import (up
                    // to 256 MiB) rather than write and re-read them.
                    sqlx::query("PRAGMA cache_size = -262144")
                        .execute(&mut *tx)
                        .await
                        .ctx(|| "sizing the page cache".into())?;
                }
                ImportConn::Pool(tx)
            }
        };
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        const SQL: &str = "INSERT INTO dossier_imports (file_name, imported_at, actor, as_of, rows_read, rows_skipped, sample) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let file_name = nfc(&meta.file_name);
        let (now, as_of) = (now_text(), meta.as_of.to_string());
        let (rows, skipped, sample) = (
            to_i64(meta.rows),
            to_i64(meta.skipped),
            i64::from(meta.sample),
        );
        let id: i64 = exec!(
            &mut conn,
            SQL,
            &file_name,
            &now,
            actor,
            &as_of,
            rows,
            skipped,
            sample;
            fetch_one
        )
        .ctx(|| "recording the dossier import".into())?;
        Ok(DossierImport {
            conn,
            id,
            actor: actor.to_string(),
            overdue: 0,
            cells: 0,
            meta: meta.clone(),
            months: Vec::new(),
            replaced: 0,
            pushed_removed: 0,
            duplicates: None,
            cleared: streaming.then(HashMap::new),
            counts_changed: false,
            version: self.version_handle(),
        })
    }

    /// Every stored agency × month cell, by agency then month.
    pub async fn dossier_cells(&self) -> Result<Vec<StoredCell>> {
        let rows = sqlx::query(
            "SELECT s.*, i.sample FROM dossier_stats s JOIN dossier_imports i ON i.id = s.import_id ORDER BY s.agency, s.month",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "reading dossier statistics".into())?;
        rows.iter()
            .map(|r| {
                let month: String = get(r, "month")?;
                let sample: i64 = get(r, "sample")?;
                Ok(StoredCell {
                    cell: DossierCell {
                        agency: get(r, "agency")?,
                        unit: get(r, "unit")?,
                        month: month_of(&month)?,
                        counts: Counts {
                            received: count(r, "received")?,
                            resolved: count(r, "resolved")?,
                            early: count(r, "early")?,
                            on_time: count(r, "on_time")?,
                            late: count(r, "late")?,
                            pending: count(r, "pending")?,
                            pending_overdue: count(r, "pending_overdue")?,
                            online: optional_count(r, "online")?,
                        },
                    },
                    import_id: get(r, "import_id")?,
                    sample: sample != 0,
                })
            })
            .collect()
    }

    /// The late and pending-overdue dossiers of an agency (optionally one month), oldest due
    /// first, with their explanations.
    pub async fn overdue_dossiers(
        &self,
        agency: &str,
        month: Option<Month>,
    ) -> Result<Vec<OverdueEntry>> {
        let rows = sqlx::query(&format!(
            "{OVERDUE_SELECT} WHERE o.agency = $1 AND ($2 IS NULL OR o.month = $2) ORDER BY o.due_at, o.code"
        ))
        .bind(agency)
        .bind(month.map(|m| m.to_string()))
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the overdue dossiers of {agency}"))?;
        rows.iter()
            .map(|r| {
                let sample: i64 = get(r, "sample")?;
                Ok(OverdueEntry {
                    dossier: overdue_from_row(r)?,
                    explanation: explanation_from_row(r)?,
                    sample: sample != 0,
                })
            })
            .collect()
    }

    /// One overdue dossier with its explanation.
    pub async fn overdue_dossier(&self, agency: &str, code: &str) -> Result<Option<OverdueEntry>> {
        let r = sqlx::query(&format!(
            "{OVERDUE_SELECT} WHERE o.agency = $1 AND o.code = $2 ORDER BY o.month LIMIT 1"
        ))
        .bind(agency)
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("reading dossier {code} of {agency}"))?;
        r.map(|r| {
            let sample: i64 = get(&r, "sample")?;
            Ok(OverdueEntry {
                dossier: overdue_from_row(&r)?,
                explanation: explanation_from_row(&r)?,
                sample: sample != 0,
            })
        })
        .transpose()
    }

    /// Write (or rewrite) the explanation of an overdue dossier, with an audit record.
    pub async fn explain_dossier(
        &self,
        agency: &str,
        code: &str,
        e: &Explanation,
        actor: &str,
    ) -> Result<()> {
        let e = Explanation {
            reason: nfc(&e.reason),
            responsible: nfc(&e.responsible),
            remedy: nfc(&e.remedy),
            written_by: actor.to_string(),
            written_at: now_text(),
        };
        if let Some(r) = e.problems().0.into_iter().next() {
            return Err(r.into());
        }
        let Some(current) = self.overdue_dossier(agency, code).await? else {
            return Err(StoreError::NotFound(format!("dossier {code} of {agency}")));
        };
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "INSERT INTO dossier_explanations (agency, code, reason, responsible, remedy, written_by, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (agency, code) DO UPDATE SET reason = excluded.reason, \
             responsible = excluded.responsible, remedy = excluded.remedy, written_by = excluded.written_by, \
             written_at = excluded.written_at",
        )
        .bind(agency)
        .bind(code)
        .bind(&e.reason)
        .bind(&e.responsible)
        .bind(&e.remedy)
        .bind(&e.written_by)
        .bind(&e.written_at)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("saving the explanation of {code}"))?;
        let entity_id = format!("{agency}/{code}");
        record(
            &mut tx,
            Change {
                actor,
                action: if current.explanation.is_some() {
                    "update"
                } else {
                    "create"
                },
                entity: "dossier_explanation",
                entity_id: &entity_id,
                unit: Some(agency),
                before: current
                    .explanation
                    .as_ref()
                    .and_then(|b| serde_json::to_value(b).ok()),
                after: serde_json::to_value(&e).ok(),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing the explanation".into())?;
        Ok(())
    }

    /// Overdue and explained dossiers per agency (optionally one month), by agency.
    pub async fn explanation_counts(&self, month: Option<Month>) -> Result<Vec<ExplanationCount>> {
        let rows = sqlx::query(
            "SELECT o.agency, COUNT(*) AS overdue, COUNT(e.code) AS explained FROM overdue_dossiers o \
             LEFT JOIN dossier_explanations e ON e.agency = o.agency AND e.code = o.code \
             WHERE ($1 IS NULL OR o.month = $1) GROUP BY o.agency ORDER BY o.agency",
        )
        .bind(month.map(|m| m.to_string()))
        .fetch_all(&self.pool)
        .await
        .ctx(|| "counting explanations".into())?;
        rows.iter()
            .map(|r| {
                Ok(ExplanationCount {
                    agency: get(r, "agency")?,
                    overdue: get(r, "overdue")?,
                    explained: get(r, "explained")?,
                })
            })
            .collect()
    }
}
