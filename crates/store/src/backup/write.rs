//! Writing an archive: one read transaction, table files hashed as they are written, evidence
//! files copied by SHA-256, the manifest last.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where a table's rows are read: its columns kept and its order.
struct TablePlan {
    columns: Vec<ColumnEntry>,
    order: Vec<String>,
}

async fn table_plan(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &TableSpec,
) -> Result<TablePlan> {
    let cols = catalogue_columns(conn, backend, spec.name).await?;
    if cols.is_empty() {
        return Err(BackupError::Schema(format!(
            "table {} is missing from the database",
            spec.name
        )));
    }
    let mut columns = Vec::new();
    for c in &cols {
        if spec.state_columns.contains(&c.name.as_str()) {
            continue;
        }
        let kind = c.kind.clone().map_err(|problem| BackupError::Column {
            table: spec.name.into(),
            column: c.name.clone(),
            problem,
        })?;
        columns.push(ColumnEntry {
            name: c.name.clone(),
            kind,
        });
    }
    // The primary key's order when there is one, else every column: deterministic, and the
    // same on both backends (text in byte order, NULLs first).
    let mut pk: Vec<&CatalogueColumn> = cols.iter().filter(|c| c.pk > 0).collect();
    pk.sort_by_key(|c| c.pk);
    let keyed: Vec<&ColumnEntry> = if pk.is_empty() {
        columns
            .iter()
            .filter(|c| c.kind != ColumnKind::Blob)
            .collect()
    } else {
        pk.iter()
            .filter_map(|p| columns.iter().find(|c| c.name == p.name))
            .collect()
    };
    let order = keyed
        .into_iter()
        .map(|c| {
            let collate = if backend == Backend::Postgres && c.kind == ColumnKind::Text {
                " COLLATE \"C\""
            } else {
                ""
            };
            format!("{}{collate} ASC NULLS FIRST", quote(&c.name))
        })
        .collect();
    Ok(TablePlan { columns, order })
}

fn read_cell(row: &AnyRow, i: usize, kind: ColumnKind) -> std::result::Result<Cell, sqlx::Error> {
    Ok(match kind {
        ColumnKind::Integer => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Cell::Null, Cell::Int),
        ColumnKind::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Cell::Null, Cell::Text),
        ColumnKind::Blob => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Cell::Null, Cell::Blob),
    })
}

/// The name an archive is written under until it is complete: beside it, hidden, naming the
/// process that writes it (`.NAME.PID.RANDOM.partial`).
fn partial_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.{}.partial", uuid::Uuid::new_v4().simple())
}

/// Remove the unfinished archives of `out` that a backup killed before it finished left behind
/// (`.NAME.PID.RANDOM.partial` whose process is gone), so that backups killed again and again
/// (a crash, an out-of-memory kill, a reboot during the nightly backup) do not fill the disk
/// with archive-sized files. One that a running process is still writing is left alone. Which
/// processes run is read from `/proc` (Linux); elsewhere nothing is removed. Returns how many
/// were removed.
pub(crate) fn remove_abandoned_partials(out: &Path, name: &str) -> usize {
    let proc_root = Path::new("/proc");
    if !proc_root.join("self").exists() {
        return 0;
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".partial"))
        else {
            continue;
        };
        let Some(pid) = rest
            .split_once('.')
            .and_then(|(pid, random)| Some(pid).filter(|_| random.len() == 32))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !proc_root.join(pid.to_string()).exists()
            && e.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

impl Store {
    /// Write a backup of the database and of the evidence files in `evidence` to `out`.
    pub async fn backup(
        &self,
        out: &Path,
        evidence: &EvidenceConfig,
        progress: &dyn Progress,
    ) -> Result<Manifest> {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".into());
        remove_abandoned_partials(out, &name);
        let tmp = out.with_file_name(partial_name(&name, std::process::id()));
        let result = self.backup_to_file(&tmp, evidence, progress).await;
        match result {
            Ok(m) => {
                std::fs::rename(&tmp, out).map_err(io_err(out))?;
                Ok(m)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    async fn backup_to_file(
        &self,
        path: &Path,
        evidence: &EvidenceConfig,
        progress: &dyn Progress,
    ) -> Result<Manifest> {
        // The archive holds every record and password hash: readable by this user only.
        let file = crate::files::create_private_file(path).map_err(io_err(path))?;
        let mut zip =
            zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file)).set_auto_large_file();
        let backend = self.backend();
        let mut tx = match backend {
            Backend::Sqlite => self.pool.begin().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
        .map_err(db_err("starting the snapshot"))?;
        // The first read pins the snapshot: everything below sees the database as it is now.
        let applied = migrations(&mut tx).await?;
        let taken_at = now_text();
        let Some(last) = applied.last().map(|m| m.version) else {
            return Err(BackupError::Schema("no migration applied".into()));
        };
        let present = catalogue_tables(&mut tx, backend).await?;
        let mut tables = Vec::new();
        let mut position = 0;
        let mut line = Vec::with_capacity(4096);
        for spec in TABLES.iter().filter(|t| t.role == TableRole::Data) {
            if !present.contains(spec.name) {
                return Err(BackupError::Schema(format!(
                    "table {} is missing from the database",
                    spec.name
                )));
            }
            position += 1;
            let plan = table_plan(&mut tx, backend, spec).await?;
            let counted: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quote(spec.name)))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err(format!("counting {}", spec.name)))?;
            let counted = u64::try_from(counted).unwrap_or(0);
            progress.start(spec.name, counted);
            let file_name = table_file(position, spec.name);
            let opts = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .large_file(true);
            zip.start_file(file_name.as_str(), opts)
                .map_err(|e| BackupError::Archive(format!("{file_name}: {e}")))?;
            let mut w = BufWriter::with_capacity(
                256 * 1024,
                Hashing {
                    inner: &mut zip,
                    hasher: Sha256::new(),
                    bytes: 0,
                },
            );
            let select = format!(
                "SELECT {} FROM {}{}{}",
                plan.columns
                    .iter()
                    .map(|c| quote(&c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote(spec.name),
                if plan.order.is_empty() {
                    ""
                } else {
                    " ORDER BY "
                },
                plan.order.join(", ")
            );
            let mut written = 0u64;
            let mut pending = 0u64;
            {
                let mut rows = sqlx::query(&select).fetch(&mut *tx);
                let mut cells = Vec::with_capacity(plan.columns.len());
                while let Some(row) = rows
                    .try_next()
                    .await
                    .map_err(db_err(format!("reading {}", spec.name)))?
                {
                    cells.clear();
                    for (i, c) in plan.columns.iter().enumerate() {
                        cells.push(read_cell(&row, i, c.kind).map_err(|e| {
                            BackupError::Column {
                                table: spec.name.into(),
                                column: c.name.clone(),
                                problem: e.to_string(),
                            }
                        })?);
                    }
                    line.clear();
                    serde_json::to_writer(&mut line, &cells)
                        .map_err(|e| BackupError::Archive(format!("{file_name}: {e}")))?;
                    line.push(b'\n');
                    w.write_all(&line).map_err(io_err(path))?;
                    written += 1;
                    pending += 1;
                    if pending == 1024 {
                        progress.advance(pending);
                        pending = 0;
                    }
                }
            }
            progress.advance(pending);
            progress.finish();
            let hashing = w.into_inner().map_err(|e| BackupError::Io {
                path: path.to_path_buf(),
                source: e.into_error(),
            })?;
            if written != counted {
                return Err(BackupError::Inconsistent {
                    table: spec.name.into(),
                    counted,
                    written,
                });
            }
            tables.push(TableEntry {
                name: spec.name.into(),
                file: file_name,
                rows: written,
                bytes: hashing.bytes,
                sha256: hex::encode(hashing.hasher.finalize()),
                columns: plan.columns,
            });
        }
        // The last id handed out per table, so that a restore continues after it.
        let mut sequences = BTreeMap::new();
        match backend {
            Backend::Sqlite => {
                let rows = sqlx::query("SELECT name, seq FROM sqlite_sequence")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err("reading sqlite_sequence"))?;
                for r in &rows {
                    let name: String = r
                        .try_get("name")
                        .map_err(db_err("reading sqlite_sequence"))?;
                    let seq: i64 = r
                        .try_get("seq")
                        .map_err(db_err("reading sqlite_sequence"))?;
                    if seq > 0 && spec(&name).is_some_and(|s| s.role == TableRole::Data) {
                        sequences.insert(name, seq);
                    }
                }
            }
            Backend::Postgres => {
                for t in &tables {
                    if !t.columns.iter().any(|c| c.name == "id") {
                        continue;
                    }
                    if let Some(seq) = pg_sequence(&mut tx, &t.name).await? {
                        let (last, called): (i64, bool) =
                            sqlx::query_as(&format!("SELECT last_value, is_called FROM {seq}"))
                                .fetch_one(&mut *tx)
                                .await
                                .map_err(db_err(format!("reading {seq}")))?;
                        if called && last > 0 {
                            sequences.insert(t.name.clone(), last);
                        }
                    }
                }
            }
        }
        let files: Vec<(String, i64)> =
            sqlx::query_as("SELECT sha256, size_bytes FROM evidence_files ORDER BY sha256")
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err("listing evidence files"))?;
        // The snapshot is read: let it go before copying the files.
        tx.rollback().await.map_err(db_err("ending the snapshot"))?;

        let mut evidence_entries = Vec::new();
        progress.start("evidence", files.len() as u64);
        for (sha, size) in files {
            let src = evidence.path_of(&sha);
            let fail = |problem: String| BackupError::Evidence {
                sha256: sha.clone(),
                path: src.clone(),
                problem,
            };
            let mut f = File::open(&src).map_err(|e| fail(format!("cannot be read: {e}")))?;
            let on_disk = f
                .metadata()
                .map_err(|e| fail(format!("cannot be read: {e}")))?
                .len();
            if i64::try_from(on_disk).ok() != Some(size) {
                return Err(fail(format!(
                    "has {on_disk} bytes, the database says {size}"
                )));
            }
            let name = evidence_file(&sha);
            let opts = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .large_file(on_disk >= u64::from(u32::MAX));
            zip.start_file(name.as_str(), opts)
                .map_err(|e| BackupError::Archive(format!("{name}: {e}")))?;
            let mut h = Hashing {
                inner: &mut zip,
                hasher: Sha256::new(),
                bytes: 0,
            };
            io::copy(&mut f, &mut h).map_err(|e| fail(format!("cannot be copied: {e}")))?;
            let found = hex::encode(h.hasher.finalize());
            if found != sha || h.bytes != on_disk {
                return Err(fail(format!("its content has SHA-256 {found}")));
            }
            evidence_entries.push(EvidenceEntry {
                sha256: sha.clone(),
                size: on_disk,
                file: name,
            });
            progress.advance(1);
        }
        progress.finish();
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            producer: format!("parindex-store {}", env!("CARGO_PKG_VERSION")),
            taken_at,
            source_backend: match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
            .into(),
            schema: SchemaVersion {
                version: last,
                migrations: applied,
            },
            excluded: excluded(),
            tables,
            sequences,
            evidence: evidence_entries,
        };
        zip.start_file(MANIFEST, SimpleFileOptions::default())
            .map_err(|e| BackupError::Archive(format!("{MANIFEST}: {e}")))?;
        serde_json::to_writer_pretty(&mut zip, &manifest)
            .map_err(|e| BackupError::Archive(format!("{MANIFEST}: {e}")))?;
        let buf = zip
            .finish()
            .map_err(|e| BackupError::Archive(e.to_string()))?;
        let file = buf.into_inner().map_err(|e| BackupError::Io {
            path: path.to_path_buf(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(path))?;
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::{partial_name, remove_abandoned_partials};

    /// A killed backup's unfinished archive is removed by the next backup of the same file; one
    /// a live process writes, another file's, and anything else are kept.
    #[cfg(target_os = "linux")]
    #[test]
    fn abandoned_partials_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sao-luu.zip");
        let gone = u32::MAX - 5; // above any pid Linux hands out
        let abandoned = dir.path().join(partial_name("sao-luu.zip", gone));
        let live = dir
            .path()
            .join(partial_name("sao-luu.zip", std::process::id()));
        let other = dir.path().join(partial_name("khac.zip", gone));
        let odd = dir.path().join(".sao-luu.zip.khong-phai.partial");
        let archive = dir.path().join("sao-luu.zip");
        for f in [&abandoned, &live, &other, &odd, &archive] {
            std::fs::write(f, b"x").unwrap();
        }
        assert_eq!(remove_abandoned_partials(&out, "sao-luu.zip"), 1);
        assert!(!abandoned.exists());
        for f in [&live, &other, &odd, &archive] {
            assert!(f.exists(), "{} kept", f.display());
        }
    }
}
