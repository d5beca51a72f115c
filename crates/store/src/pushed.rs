//! Dossiers pushed through the API (`POST /api/v1/dossiers`), kept one by one in
//! `pushed_dossiers` keyed by agency and code, and the agency × month cells they fall in
//! recomputed from them in the same transaction (`dossier_stats`, `overdue_dossiers`).
//!
//! - **Idempotent**: a dossier sent again as stored is unchanged; a later state replaces the
//!   earlier one. A push that changes nothing writes nothing: no record, no audit entry, and the
//!   data version stays.
//! - **One source per cell**: a cell last imported from a file refuses pushed dossiers
//!   ([`PushRefusal::CellFromFile`]); a file import of a cell removes its pushed dossiers
//!   (`DossierImport::replace_cells`).
//! - Pending dossiers of a recomputed cell are overdue as of the push's day.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::Context;
use crate::version::WriteTx;
use crate::{Result, StoreError, Tables};
use parindex_domain::dossiers::{classify, day_of, parse_time, Counts, DossierLevel, Month};
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A pushed dossier that passed the file's row rules, its agency matched to a unit. Times are
/// local RFC 3339 (`+07:00`), as the file import stores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushedDossier {
    /// As stored: a unit slug when matched, else the agency's own name.
    pub agency: String,
    pub unit: Option<String>,
    pub code: String,
    pub procedure: String,
    pub level: DossierLevel,
    pub online_level: u8,
    pub received_at: String,
    pub due_at: String,
    pub result_at: Option<String>,
    pub closed_at: Option<String>,
    pub status: Option<String>,
    /// The month of receipt.
    pub month: Month,
}

/// Why the store refused a pushed dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushRefusal {
    /// The dossier's agency × month cell was imported from a file (that import): a cell has
    /// one source, and the file holds every dossier of its months.
    CellFromFile { import_id: i64 },
}

/// What became of one pushed dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushChange {
    Added,
    Updated,
    /// Sent as stored.
    Unchanged,
    Refused(PushRefusal),
}

/// What a push did: one change per dossier given, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushResult {
    pub changes: Vec<PushChange>,
    /// The push's record (`dossier_imports`, source `push`), when it changed anything.
    pub push_id: Option<i64>,
    /// The agency × month cells recomputed.
    pub cells: Vec<(String, Month)>,
}

const SELECT_COLS: &str = "agency, code, month, unit, procedure_code, level, online_level, \
     received_at, due_at, result_at, closed_at, status";

fn from_row(r: &AnyRow) -> Result<PushedDossier> {
    let level: String = get(r, "level")?;
    let month: String = get(r, "month")?;
    let online: i64 = get(r, "online_level")?;
    Ok(PushedDossier {
        agency: get(r, "agency")?,
        unit: get(r, "unit")?,
        code: get(r, "code")?,
        procedure: get(r, "procedure_code")?,
        level: DossierLevel::parse(level.as_bytes())
            .ok_or_else(|| StoreError::Corrupt(format!("level '{level}'")))?,
        online_level: u8::try_from(online).unwrap_or(0),
        received_at: get(r, "received_at")?,
        due_at: get(r, "due_at")?,
        result_at: get(r, "result_at")?,
        closed_at: get(r, "closed_at")?,
        status: get(r, "status")?,
        month: crate::dossiers::month_of(&month)?,
    })
}

/// Rows per multi-row statement (13 parameters each).
const CHUNK: usize = 100;

/// `INSERT INTO table (cols) VALUES ($1, …, $13), (…)` for `n` rows of 13 columns (`$n`: both
/// backends).
fn insert_sql(head: &str, n: usize) -> String {
    let mut sql = String::with_capacity(head.len() + n * 80);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..n {
        let marks: Vec<String> = (1..=13).map(|k| format!("${}", i * 13 + k)).collect();
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        sql.push_str(&marks.join(","));
        sql.push(')');
    }
    sql
}

impl Store {
    /// Store a batch of pushed dossiers (checked, agencies matched) in one transaction: each
    /// added, updated, unchanged or refused; the cells touched recomputed as of `as_of` (the
    /// push's day); one record and one audit entry when anything changed, nothing at all
    /// otherwise. A dossier given twice in `dossiers` must not happen (the caller refuses the
    /// repeat); the later one would win.
    pub async fn push_dossiers(
        &self,
        dossiers: &[PushedDossier],
        as_of: jiff::civil::Date,
        actor: &str,
    ) -> Result<PushResult> {
        let mut tx = self
            .write_tx_for(Tables::REST)
            .await
            .ctx(|| "starting a transaction".into())?;
        let mut changes = vec![PushChange::Unchanged; dossiers.len()];
        let from_file = file_cells(&mut tx, dossiers).await?;
        let stored = stored_of(&mut tx, dossiers).await?;
        let mut touched: BTreeSet<(String, Month)> = BTreeSet::new();
        let mut write: Vec<&PushedDossier> = Vec::new();
        for (i, d) in dossiers.iter().enumerate() {
            if let Some(&import_id) = from_file.get(&(d.agency.clone(), d.month)) {
                changes[i] = PushChange::Refused(PushRefusal::CellFromFile { import_id });
                continue;
            }
            match stored.get(&(d.agency.as_str(), d.code.as_str())) {
                Some(old) if old == d => continue,
                Some(old) => {
                    changes[i] = PushChange::Updated;
                    touched.insert((old.agency.clone(), old.month));
                }
                None => changes[i] = PushChange::Added,
            }
            touched.insert((d.agency.clone(), d.month));
            write.push(d);
        }
        if write.is_empty() {
            // Nothing changes: the transaction is dropped (rolled back), the version stays.
            return Ok(PushResult {
                changes,
                push_id: None,
                cells: Vec::new(),
            });
        }
        let count = |f: fn(&PushChange) -> bool| changes.iter().filter(|c| f(c)).count();
        let (added, updated) = (
            count(|c| *c == PushChange::Added),
            count(|c| *c == PushChange::Updated),
        );
        let refused = count(|c| matches!(c, PushChange::Refused(_)));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dossier_imports (file_name, imported_at, actor, as_of, rows_read, rows_skipped, sample, source) \
             VALUES ('API', $1, $2, $3, $4, $5, 0, 'push') RETURNING id",
        )
        .bind(now_text())
        .bind(actor)
        .bind(as_of.to_string())
        .bind(i64::try_from(dossiers.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(refused).unwrap_or(i64::MAX))
        .fetch_one(&mut *tx)
        .await
        .ctx(|| "recording the push".into())?;
        upsert(&mut tx, &write, id).await?;
        for (agency, month) in &touched {
            recompute_cell(&mut tx, agency, *month, as_of, id).await?;
        }
        let id_text = id.to_string();
        let cells: Vec<String> = touched.iter().map(|(a, m)| format!("{a} {m}")).collect();
        record(
            &mut tx,
            Change {
                actor,
                action: "push",
                entity: "dossier_push",
                entity_id: &id_text,
                unit: None,
                before: None,
                after: Some(serde_json::json!({
                    "as_of": as_of.to_string(),
                    "dossiers": dossiers.len(),
                    "added": added,
                    "updated": updated,
                    "unchanged": dossiers.len() - added - updated - refused,
                    "refused": refused,
                    "cells": cells,
                })),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing the push".into())?;
        Ok(PushResult {
            changes,
            push_id: Some(id),
            cells: touched.into_iter().collect(),
        })
    }

    /// The pushed dossiers per agency × month cell (what a file import of those cells would
    /// remove), by agency and month.
    pub async fn pushed_cells(&self) -> Result<Vec<(String, Month, u64)>> {
        let rows = sqlx::query(
            "SELECT agency, month, COUNT(*) AS n FROM pushed_dossiers GROUP BY agency, month ORDER BY agency, month",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "counting pushed dossiers".into())?;
        rows.iter()
            .map(|r| {
                let month: String = get(r, "month")?;
                let n: i64 = get(r, "n")?;
                Ok((
                    get(r, "agency")?,
                    Month::parse(&month)
                        .ok_or_else(|| StoreError::Corrupt(format!("month '{month}'")))?,
                    u64::try_from(n).unwrap_or(0),
                ))
            })
            .collect()
    }
}

/// The cells of the batch that a file fed: (agency, month) → the import.
async fn file_cells(
    tx: &mut WriteTx,
    dossiers: &[PushedDossier],
) -> Result<HashMap<(String, Month), i64>> {
    let cells: BTreeSet<(&str, Month)> = dossiers
        .iter()
        .map(|d| (d.agency.as_str(), d.month))
        .collect();
    let mut out = HashMap::new();
    for (agency, month) in cells {
        let r = sqlx::query(
            "SELECT s.import_id FROM dossier_stats s JOIN dossier_imports i ON i.id = s.import_id \
             WHERE s.agency = $1 AND s.month = $2 AND i.source = 'file'",
        )
        .bind(agency)
        .bind(month.to_string())
        .fetch_optional(&mut **tx)
        .await
        .ctx(|| format!("reading the cell {agency} {month}"))?;
        if let Some(r) = r {
            out.insert((agency.to_string(), month), get::<i64>(&r, "import_id")?);
        }
    }
    Ok(out)
}

/// The stored states of the batch's dossiers, by (agency, code).
async fn stored_of<'d>(
    tx: &mut WriteTx,
    dossiers: &'d [PushedDossier],
) -> Result<HashMap<(&'d str, &'d str), PushedDossier>> {
    let mut by_agency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in dossiers {
        by_agency.entry(&d.agency).or_default().push(&d.code);
    }
    let mut out = HashMap::new();
    for (agency, codes) in by_agency {
        for chunk in codes.chunks(CHUNK) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {SELECT_COLS} FROM pushed_dossiers WHERE agency = $1 AND code IN ({})",
                marks.join(",")
            );
            let mut q = sqlx::query(&sql).bind(agency);
            for c in chunk {
                q = q.bind(*c);
            }
            let rows = q
                .fetch_all(&mut **tx)
                .await
                .ctx(|| format!("reading the pushed dossiers of {agency}"))?;
            for r in &rows {
                let d = from_row(r)?;
                if let Some(code) = chunk.iter().find(|c| **c == d.code) {
                    out.insert((agency, *code), d);
                }
            }
        }
    }
    Ok(out)
}

/// Insert or replace the dossiers, a chunk per statement.
async fn upsert(tx: &mut WriteTx, rows: &[&PushedDossier], push_id: i64) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut sql = insert_sql(
            "INSERT INTO pushed_dossiers (agency, code, month, unit, procedure_code, level, online_level, \
             received_at, due_at, result_at, closed_at, status, push_id)",
            chunk.len(),
        );
        sql.push_str(
            " ON CONFLICT (agency, code) DO UPDATE SET month = excluded.month, unit = excluded.unit, \
             procedure_code = excluded.procedure_code, level = excluded.level, \
             online_level = excluded.online_level, received_at = excluded.received_at, \
             due_at = excluded.due_at, result_at = excluded.result_at, closed_at = excluded.closed_at, \
             status = excluded.status, push_id = excluded.push_id",
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.agency.as_str())
                .bind(d.code.as_str())
                .bind(d.month.to_string())
                .bind(d.unit.as_deref())
                .bind(d.procedure.as_str())
                .bind(d.level.as_str())
                .bind(i64::from(d.online_level))
                .bind(d.received_at.as_str())
                .bind(d.due_at.as_str())
                .bind(d.result_at.as_deref())
                .bind(d.closed_at.as_deref())
                .bind(d.status.as_deref())
                .bind(push_id);
        }
        q.execute(&mut **tx)
            .await
            .ctx(|| "saving pushed dossiers".into())?;
    }
    Ok(())
}

/// Recompute one agency × month cell from its pushed dossiers: its counts and its late and
/// pending-overdue dossiers, as of `as_of`.
async fn recompute_cell(
    tx: &mut WriteTx,
    agency: &str,
    month: Month,
    as_of: jiff::civil::Date,
    push_id: i64,
) -> Result<()> {
    let month_text = month.to_string();
    let rows = sqlx::query(&format!(
        "SELECT {SELECT_COLS} FROM pushed_dossiers WHERE agency = $1 AND month = $2 ORDER BY code"
    ))
    .bind(agency)
    .bind(&month_text)
    .fetch_all(&mut **tx)
    .await
    .ctx(|| format!("reading the pushed dossiers of {agency} {month}"))?;
    let as_of_day = day_of(as_of);
    let mut counts = Counts::default();
    let mut unit = None;
    let mut overdue = Vec::new();
    for r in &rows {
        let d = from_row(r)?;
        let time = |t: &str| {
            parse_time(t.as_bytes()).map_err(|_| StoreError::Corrupt(format!("time '{t}'")))
        };
        let due = time(&d.due_at)?;
        let closed = d.closed_at.as_deref().map(time).transpose()?;
        let outcome = classify(due.days, closed, as_of_day);
        counts.add(outcome, d.online_level);
        if outcome.is_overdue() {
            overdue.push((outcome, d.clone()));
        }
        unit = d.unit;
    }
    for sql in [
        "DELETE FROM dossier_stats WHERE agency = $1 AND month = $2",
        "DELETE FROM overdue_dossiers WHERE agency = $1 AND month = $2",
    ] {
        sqlx::query(sql)
            .bind(agency)
            .bind(&month_text)
            .execute(&mut **tx)
            .await
            .ctx(|| format!("replacing the cell {agency} {month}"))?;
    }
    if counts.received == 0 {
        return Ok(());
    }
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO dossier_stats (agency, month, unit, received, resolved, early, on_time, late, pending, pending_overdue, online, import_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(agency)
    .bind(&month_text)
    .bind(unit.as_deref())
    .bind(n(counts.received))
    .bind(n(counts.resolved))
    .bind(n(counts.early))
    .bind(n(counts.on_time))
    .bind(n(counts.late))
    .bind(n(counts.pending))
    .bind(n(counts.pending_overdue))
    .bind(counts.online.map(n))
    .bind(push_id)
    .execute(&mut **tx)
    .await
    .ctx(|| format!("saving the cell {agency} {month}"))?;
    for chunk in overdue.chunks(CHUNK) {
        let sql = insert_sql(
            "INSERT INTO overdue_dossiers (agency, code, month, outcome, procedure_code, level, \
             online_level, received_at, due_at, result_at, closed_at, status, import_id)",
            chunk.len(),
        );
        let mut q = sqlx::query(&sql);
        for (outcome, d) in chunk {
            q = q
                .bind(agency)
                .bind(d.code.as_str())
                .bind(&month_text)
                .bind(outcome.as_str())
                .bind(d.procedure.as_str())
                .bind(d.level.as_str())
                .bind(i64::from(d.online_level))
                .bind(d.received_at.as_str())
                .bind(d.due_at.as_str())
                .bind(d.result_at.as_deref())
                .bind(d.closed_at.as_deref())
                .bind(d.status.as_deref())
                .bind(push_id);
        }
        q.execute(&mut **tx)
            .await
            .ctx(|| format!("saving the overdue dossiers of {agency} {month}"))?;
    }
    Ok(())
}
