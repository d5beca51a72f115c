//! Restoring an archive into an empty database (or one replaced) in one transaction: rows with
//! their ids, sequences, evidence files.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Restoring
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Replace the content of a database that is not empty (in the same transaction).
    pub replace: bool,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    pub taken_at: String,
    pub schema_version: i64,
    /// Rows restored per table, in the archive's order.
    pub tables: Vec<(String, u64)>,
    pub evidence_files: usize,
    /// Evidence files written (the others were in the folder already).
    pub evidence_written: usize,
    /// Whether a database that had content was replaced.
    pub replaced: bool,
}

/// The most values bound in one statement (SQLite allows 32766, PostgreSQL 65535).
const MAX_PARAMS: usize = 30_000;
/// The most rows in one statement.
const MAX_BATCH_ROWS: usize = 500;
/// A batch is sent when its values pass this size.
const MAX_BATCH_BYTES: usize = 8 << 20;

async fn insert_batch(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[ColumnEntry],
    batch: &mut Vec<Vec<Cell>>,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(table),
        columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut n = 0;
    for (r, _) in batch.iter().enumerate() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&format!("${n}"));
        }
        sql.push(')');
    }
    let mut q = sqlx::query(&sql);
    for row in batch.drain(..) {
        for (cell, col) in row.into_iter().zip(columns) {
            q = match (cell, col.kind) {
                (Cell::Null, ColumnKind::Integer) => q.bind(None::<i64>),
                (Cell::Null, ColumnKind::Text) => q.bind(None::<String>),
                (Cell::Null, ColumnKind::Blob) => q.bind(None::<Vec<u8>>),
                (Cell::Int(i), _) => q.bind(i),
                (Cell::Text(t), _) => q.bind(t),
                (Cell::Blob(b), _) => q.bind(b),
            };
        }
    }
    q.execute(&mut *conn)
        .await
        .map_err(db_err(format!("restoring the rows of {table}")))?;
    Ok(())
}

impl Store {
    /// Restore an archive into this database and its evidence files into `evidence`. Every
    /// checksum is verified before anything is written; the rows go in one transaction (which
    /// first empties the database when `replace` is set; a database with content is refused
    /// otherwise); the id sequences continue after the restored ids.
    pub async fn restore(
        &self,
        path: &Path,
        evidence: &EvidenceConfig,
        options: RestoreOptions,
        limits: Limits,
        progress: &dyn Progress,
    ) -> Result<RestoreSummary> {
        let mut archive = Archive::open(path, limits)?;
        archive.verify(progress)?;
        let backend = self.backend();
        let mut tx = self
            .write_tx()
            .await
            .map_err(db_err("starting the restore"))?;

        // The schema: the archive's migrations are this database's, or the first of them.
        let here = migrations(&mut tx).await?;
        let theirs = &archive.manifest.schema.migrations;
        let fits = theirs.len() <= here.len()
            && theirs
                .iter()
                .zip(&here)
                .all(|(a, b)| a.version == b.version);
        if !fits {
            return Err(BackupError::Schema(format!(
                "the archive has schema version {} ({} migrations), this database {} ({}): restore with the parindex that wrote it, or a newer one",
                archive.manifest.schema.version,
                theirs.len(),
                here.last().map(|m| m.version).unwrap_or(0),
                here.len()
            )));
        }
        for t in &archive.manifest.tables {
            let Some(s) = spec(&t.name).filter(|s| s.role == TableRole::Data) else {
                return Err(BackupError::Schema(format!(
                    "the archive holds table {}, which this parindex does not restore",
                    t.name
                )));
            };
            let cols = catalogue_columns(&mut tx, backend, s.name).await?;
            for c in &t.columns {
                match cols.iter().find(|x| x.name == c.name) {
                    Some(x) if x.kind.as_ref().ok() == Some(&c.kind) => {}
                    Some(_) => {
                        return Err(BackupError::Schema(format!(
                            "column {}.{} is not of the archive's type",
                            t.name, c.name
                        )))
                    }
                    None => {
                        return Err(BackupError::Schema(format!(
                            "column {}.{} does not exist in this database",
                            t.name, c.name
                        )))
                    }
                }
            }
        }

        // Empty, or emptied.
        let present = catalogue_tables(&mut tx, backend).await?;
        let mut replaced = false;
        let emptied = |s: &&TableSpec| s.role != TableRole::Version && present.contains(s.name);
        for s in TABLES.iter().filter(emptied) {
            let any: Option<i64> =
                sqlx::query_scalar(&format!("SELECT 1 FROM {} LIMIT 1", quote(s.name)))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err(format!("looking into {}", s.name)))?;
            if any.is_some() {
                if !options.replace {
                    return Err(BackupError::NotEmpty {
                        table: s.name.into(),
                    });
                }
                replaced = true;
                break;
            }
        }
        if replaced {
            for s in TABLES.iter().rev().filter(emptied) {
                sqlx::query(&format!("DELETE FROM {}", quote(s.name)))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(format!("emptying {}", s.name)))?;
            }
        }

        // The rows, with their ids.
        let mut counts = Vec::new();
        progress.start("restore", archive.manifest.total_rows());
        for i in 0..archive.manifest.tables.len() {
            let entry = archive.manifest.tables[i].clone();
            let s = spec(&entry.name)
                .ok_or_else(|| BackupError::Schema(format!("unknown table {}", entry.name)))?;
            let self_ref = s.self_reference.and_then(|(col, key)| {
                let c = entry.columns.iter().position(|x| x.name == col)?;
                let k = entry.columns.iter().position(|x| x.name == key)?;
                Some((col, key, c, k))
            });
            let per_batch = (MAX_PARAMS / entry.columns.len()).clamp(1, MAX_BATCH_ROWS);
            let mut later: Vec<(Cell, Cell)> = Vec::new();
            let mut batch = Vec::with_capacity(per_batch);
            let mut batch_bytes = 0usize;
            let mut n = 0u64;
            let mut rows = archive.rows(i)?;
            while let Some(mut cells) = rows.next_row()? {
                if let Some((_, _, c, k)) = self_ref {
                    if cells[c] != Cell::Null {
                        let parent = std::mem::replace(&mut cells[c], Cell::Null);
                        later.push((parent, cells[k].clone()));
                    }
                }
                batch_bytes += cells.iter().map(Cell::approx_len).sum::<usize>();
                batch.push(cells);
                n += 1;
                if batch.len() >= per_batch || batch_bytes >= MAX_BATCH_BYTES {
                    let k = batch.len() as u64;
                    insert_batch(&mut tx, &entry.name, &entry.columns, &mut batch).await?;
                    progress.advance(k);
                    batch_bytes = 0;
                }
            }
            drop(rows);
            let rest = batch.len() as u64;
            insert_batch(&mut tx, &entry.name, &entry.columns, &mut batch).await?;
            progress.advance(rest);
            if let Some((col, key, _, _)) = self_ref {
                let sql = format!(
                    "UPDATE {} SET {} = $1 WHERE {} = $2",
                    quote(&entry.name),
                    quote(col),
                    quote(key)
                );
                for (parent, k) in later {
                    let q = sqlx::query(&sql);
                    let q = match parent {
                        Cell::Int(v) => q.bind(v),
                        Cell::Text(v) => q.bind(v),
                        _ => q.bind(None::<String>),
                    };
                    let q = match k {
                        Cell::Int(v) => q.bind(v),
                        Cell::Text(v) => q.bind(v),
                        _ => q.bind(None::<String>),
                    };
                    q.execute(&mut *tx)
                        .await
                        .map_err(db_err(format!("restoring {}.{col}", entry.name)))?;
                }
            }
            counts.push((entry.name.clone(), n));
        }
        progress.finish();

        // Ids continue after the restored ones (and after any the source had handed out).
        for t in &archive.manifest.tables {
            if !t
                .columns
                .iter()
                .any(|c| c.name == "id" && c.kind == ColumnKind::Integer)
            {
                continue;
            }
            let max: Option<i64> =
                sqlx::query_scalar(&format!("SELECT MAX(id) FROM {}", quote(&t.name)))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err(format!("reading the largest id of {}", t.name)))?;
            let last = max.unwrap_or(0).max(
                archive
                    .manifest
                    .sequences
                    .get(&t.name)
                    .copied()
                    .unwrap_or(0),
            );
            match backend {
                Backend::Sqlite => {
                    if !autoincrement(&mut tx, &t.name).await? {
                        continue;
                    }
                    sqlx::query("DELETE FROM sqlite_sequence WHERE name = $1")
                        .bind(&t.name)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err("resetting sqlite_sequence"))?;
                    if last > 0 {
                        sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)")
                            .bind(&t.name)
                            .bind(last)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err("setting sqlite_sequence"))?;
                    }
                }
                Backend::Postgres => {
                    let Some(seq) = pg_sequence(&mut tx, &t.name).await? else {
                        continue;
                    };
                    let q = if last > 0 {
                        sqlx::query("SELECT setval(CAST($1 AS regclass), $2, true)")
                            .bind(&seq)
                            .bind(last)
                    } else {
                        sqlx::query("SELECT setval(CAST($1 AS regclass), 1, false)").bind(&seq)
                    };
                    q.fetch_one(&mut *tx)
                        .await
                        .map_err(db_err(format!("setting {seq}")))?;
                }
            }
        }

        // The evidence files, checked again as they are written.
        progress.start("evidence", archive.manifest.evidence.len() as u64);
        let mut written = 0;
        for i in 0..archive.manifest.evidence.len() {
            let bytes = archive.evidence_bytes(i)?;
            let sha = &archive.manifest.evidence[i].sha256;
            if restore_file(evidence, sha, &bytes).await? {
                written += 1;
            }
            progress.advance(1);
        }
        progress.finish();
        tx.commit()
            .await
            .map_err(db_err("committing the restore"))?;
        Ok(RestoreSummary {
            taken_at: archive.manifest.taken_at.clone(),
            schema_version: archive.manifest.schema.version,
            tables: counts,
            evidence_files: archive.manifest.evidence.len(),
            evidence_written: written,
            replaced,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_written_and_read_back() {
        let cells = vec![
            Cell::Null,
            Cell::Int(-5),
            Cell::Text("85.58 \"Bắc Giang\"\n".into()),
            Cell::Blob(vec![0, 255, 16]),
        ];
        let text = serde_json::to_string(&cells).unwrap();
        assert_eq!(
            text,
            r#"[null,-5,"85.58 \"Bắc Giang\"\n",{"hex":"00ff10"}]"#
        );
        let values: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let kinds = [
            ColumnKind::Text,
            ColumnKind::Integer,
            ColumnKind::Text,
            ColumnKind::Blob,
        ];
        let back: Vec<Cell> = values
            .into_iter()
            .zip(kinds)
            .map(|(v, k)| Cell::from_json(v, k).unwrap())
            .collect();
        assert_eq!(back, cells);
        // A decimal score as a number, a float, text in an integer column: refused.
        assert!(Cell::from_json(serde_json::json!(85.58), ColumnKind::Integer).is_err());
        assert!(Cell::from_json(serde_json::json!(85.58), ColumnKind::Text).is_err());
        assert!(Cell::from_json(serde_json::json!("1"), ColumnKind::Integer).is_err());
        assert!(Cell::from_json(serde_json::json!({"hex": "zz"}), ColumnKind::Blob).is_err());
    }

    #[test]
    fn kinds_of_declared_types() {
        assert_eq!(kind_of("INTEGER"), Ok(ColumnKind::Integer));
        assert_eq!(kind_of("bigint"), Ok(ColumnKind::Integer));
        assert_eq!(kind_of("TEXT"), Ok(ColumnKind::Text));
        assert_eq!(kind_of("text"), Ok(ColumnKind::Text));
        assert_eq!(kind_of("BLOB"), Ok(ColumnKind::Blob));
        assert_eq!(kind_of("bytea"), Ok(ColumnKind::Blob));
        assert!(kind_of("double precision").is_err());
        assert!(kind_of("REAL").is_err());
    }

    #[test]
    fn state_is_excluded() {
        let x = excluded();
        assert!(x.contains(&"sessions".to_string()));
        assert!(x.contains(&"users.failed_attempts".to_string()));
        assert!(x.contains(&"users.locked_until".to_string()));
        assert_eq!(table_file(7, "audit_log"), "tables/007-audit_log.jsonl");
    }
}
