//! Backup and restore: one portable archive of the whole database and its evidence files
//! (docs/backup.md describes the format).
//!
//! - [`Store::backup`] reads one consistent view (a read-only `REPEATABLE READ` transaction on
//!   PostgreSQL, a deferred transaction whose first `SELECT` pins a WAL snapshot on SQLite),
//!   writes every data table as JSON lines in dependency order, ends the transaction, then adds
//!   the evidence files (content-addressed, never changed once stored) and the manifest. The
//!   archive is written beside the destination and renamed into place when complete.
//! - [`Archive`] reads an archive as an untrusted input: the entry count and the manifest's size
//!   are limited, every entry's declared size is checked against the manifest before anything is
//!   read, entries are streamed through a counting reader that refuses to inflate past the
//!   declared size, and lines are read with a length limit.
//! - [`Store::restore`] verifies every checksum first, then, in one transaction, empties the
//!   database when asked to replace it, restores every row with its ids, resets the id
//!   sequences and stores the evidence files.
//!
//! The tables are one list ([`TABLES`]) in dependency order; a test compares it with the
//! database catalogue and the foreign keys, so a new table cannot be forgotten.

use crate::db::{now_text, Backend, Store};
use crate::error::StoreError;
use crate::evidence::{restore_file, EvidenceConfig};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// The format's name, in every manifest.
pub const FORMAT: &str = "parindex-backup";
/// The version of the format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";

// ---------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------

/// Whether a table's rows are kept in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableRole {
    /// Data: backed up and restored.
    Data,
    /// State of the running service (sign-in sessions, sign-in counters): not backed up; emptied
    /// by a restore that replaces a database.
    State,
}

/// One table of the schema and how a backup treats it.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub role: TableRole,
    /// Columns holding state rather than data: left out of the archive; a restore leaves them
    /// to their defaults.
    pub state_columns: &'static [&'static str],
    /// A column referring to a key of the same table (`(column, key)`): restored in a second
    /// step, once every row is in.
    pub self_reference: Option<(&'static str, &'static str)>,
}

const fn data(name: &'static str) -> TableSpec {
    TableSpec {
        name,
        role: TableRole::Data,
        state_columns: &[],
        self_reference: None,
    }
}

/// Every table of the schema, a table after the tables it refers to.
pub const TABLES: &[TableSpec] = &[
    data("editions"),
    data("edition_components"),
    data("criteria"),
    data("subjects"),
    TableSpec {
        self_reference: Some(("parent", "slug")),
        ..data("units")
    },
    data("results"),
    data("rank_targets"),
    data("audit_log"),
    TableSpec {
        // Failed sign-ins and the lock they lead to are counters, not data.
        state_columns: &["failed_attempts", "locked_until"],
        ..data("users")
    },
    TableSpec {
        role: TableRole::State,
        ..data("sessions")
    },
    TableSpec {
        // Sign-in throttling: counters and locks, not data.
        role: TableRole::State,
        ..data("login_throttle")
    },
    data("dossier_imports"),
    data("dossier_stats"),
    data("overdue_dossiers"),
    data("dossier_explanations"),
    data("indicators"),
    data("indicator_observations"),
    data("indicator_criteria"),
    data("plans"),
    data("plan_findings"),
    data("plan_targets"),
    data("plan_tasks"),
    data("assignments"),
    data("reports"),
    data("attachments"),
    data("reminders_sent"),
    data("notifications"),
    data("holidays"),
    data("settings"),
    data("measures"),
    data("assessment_rounds"),
    data("assessment_units"),
    data("assessment_reopenings"),
    data("assessment_items"),
    data("assessment_corrections"),
    data("evidence_files"),
    data("evidence"),
    data("evidence_links"),
];

fn spec(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// What a backup leaves out, for the manifest and the documentation.
pub fn excluded() -> Vec<String> {
    let mut out = Vec::new();
    for t in TABLES {
        match t.role {
            TableRole::State => out.push(t.name.to_string()),
            TableRole::Data => {
                out.extend(t.state_columns.iter().map(|c| format!("{}.{c}", t.name)))
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The manifest
// ---------------------------------------------------------------------------------------------

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    /// A 64-bit integer: a JSON number.
    Integer,
    /// Text (decimals, dates and JSON documents included): a JSON string.
    Text,
    /// Bytes: `{"hex": "…"}`.
    Blob,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnEntry {
    pub name: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    /// `tables/NNN-name.jsonl`.
    pub file: String,
    pub rows: u64,
    /// The size of the file, in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    pub columns: Vec<ColumnEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    pub sha256: String,
    pub size: u64,
    /// `evidence/<sha256>`.
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationEntry {
    pub version: i64,
    pub description: String,
}

/// The schema version: the migrations applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaVersion {
    /// The last migration applied.
    pub version: i64,
    pub migrations: Vec<MigrationEntry>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The program that wrote it (`parindex-store 0.1.0`).
    pub producer: String,
    /// When the snapshot was taken (UTC, RFC 3339).
    pub taken_at: String,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    pub schema: SchemaVersion,
    /// Tables and `table.column`s left out (state, not data).
    pub excluded: Vec<String>,
    pub tables: Vec<TableEntry>,
    /// The last id handed out per table with a generated id (at least its largest id); tables
    /// that never handed one out are not listed.
    pub sequences: BTreeMap<String, i64>,
    pub evidence: Vec<EvidenceEntry>,
}

impl Manifest {
    /// The number of entries the archive holds.
    pub fn entry_count(&self) -> usize {
        1 + self.tables.len() + self.evidence.len()
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

pub fn table_file(position: usize, name: &str) -> String {
    format!("tables/{position:03}-{name}.jsonl")
}

pub fn evidence_file(sha256: &str) -> String {
    format!("evidence/{sha256}")
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What is wrong with one entry of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// Named by the manifest, absent from the archive.
    Missing,
    /// In the archive, not in the manifest.
    Unexpected,
    /// The content's SHA-256 is not the one the manifest gives.
    Checksum { expected: String, found: String },
    /// The entry's size differs from the manifest's.
    Size { declared: u64, found: u64 },
    /// The manifest declares more than the reader accepts.
    TooLarge { size: u64, limit: u64 },
    /// More bytes inflate than the entry declares.
    InflatesPastDeclared { declared: u64 },
    /// Inflates more than the accepted ratio.
    Ratio { limit: u64 },
    /// The number of lines is not the manifest's row count.
    Rows { declared: u64, found: u64 },
    /// A line is not a row of the table.
    BadLine { line: u64, reason: String },
    /// A line longer than the limit.
    LineTooLong { line: u64, limit: usize },
    /// The zip reader failed.
    Read(String),
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Missing => f.write_str("missing from the archive"),
            EntryProblem::Unexpected => f.write_str("not listed in the manifest"),
            EntryProblem::Checksum { expected, found } => write!(
                f,
                "checksum mismatch: the manifest says SHA-256 {expected}, the content has {found}"
            ),
            EntryProblem::Size { declared, found } => write!(
                f,
                "size mismatch: the manifest says {declared} bytes, the entry has {found}"
            ),
            EntryProblem::TooLarge { size, limit } => {
                write!(f, "declares {size} bytes, more than the limit of {limit}")
            }
            EntryProblem::InflatesPastDeclared { declared } => {
                write!(f, "inflates past its declared size of {declared} bytes")
            }
            EntryProblem::Ratio { limit } => {
                write!(f, "inflates more than {limit} times its packed size")
            }
            EntryProblem::Rows { declared, found } => write!(
                f,
                "row count mismatch: the manifest says {declared}, the file has {found}"
            ),
            EntryProblem::BadLine { line, reason } => write!(f, "line {line}: {reason}"),
            EntryProblem::LineTooLong { line, limit } => {
                write!(f, "line {line} is longer than {limit} bytes")
            }
            EntryProblem::Read(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// Why a backup, a verification or a restore failed.
#[derive(Debug, Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not a readable zip archive.
    #[error("the archive cannot be read: {0}")]
    Archive(String),
    #[error("the archive has {found} entries, more than the limit of {limit}")]
    TooManyEntries { found: usize, limit: usize },
    #[error("the manifest is not valid: {0}")]
    Manifest(String),
    /// One entry of the archive is wrong: named, with what is wrong.
    #[error("entry {entry}: {problem}")]
    Entry {
        entry: String,
        problem: EntryProblem,
    },
    /// The archive's schema does not fit this database.
    #[error("schema: {0}")]
    Schema(String),
    #[error("the database is not empty (table {table} has rows): restore into an empty database, or replace its content with --replace")]
    NotEmpty { table: String },
    /// An evidence file to back up is missing or changed on disk.
    #[error("evidence file {sha256} ({path}): {problem} (see `parindex evidence verify`)")]
    Evidence {
        sha256: String,
        path: PathBuf,
        problem: String,
    },
    /// The snapshot read a different number of rows than it counted.
    #[error("table {table}: {counted} rows counted but {written} read in the same snapshot")]
    Inconsistent {
        table: String,
        counted: u64,
        written: u64,
    },
    #[error("table {table}, column {column}: {problem}")]
    Column {
        table: String,
        column: String,
        problem: String,
    },
}

impl BackupError {
    /// The entry named by the error, if any.
    pub fn entry(&self) -> Option<&str> {
        match self {
            BackupError::Entry { entry, .. } => Some(entry),
            _ => None,
        }
    }
}

type Result<T> = std::result::Result<T, BackupError>;

fn db_err(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Store(StoreError::Db { context, source })
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn entry_err(entry: &str, problem: EntryProblem) -> BackupError {
    BackupError::Entry {
        entry: entry.to_string(),
        problem,
    }
}

fn zip_err(entry: &str) -> impl FnOnce(zip::result::ZipError) -> BackupError + '_ {
    move |e| entry_err(entry, EntryProblem::Read(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------------------------

/// Told how far a backup, a verification or a restore has gone (the CLI draws a bar).
pub trait Progress {
    /// A stage begins with this many steps (rows, bytes or files).
    fn start(&self, _stage: &str, _total: u64) {}
    fn advance(&self, _steps: u64) {}
    /// The stage is over.
    fn finish(&self) {}
}

/// No progress shown.
pub struct Silent;

impl Progress for Silent {}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Cell::Null => s.serialize_none(),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Blob(b) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("hex", &hex::encode(b))?;
                m.end()
            }
        }
    }
}

impl Cell {
    fn from_json(v: serde_json::Value, kind: ColumnKind) -> std::result::Result<Cell, String> {
        use serde_json::Value;
        match (v, kind) {
            (Value::Null, _) => Ok(Cell::Null),
            (Value::Number(n), ColumnKind::Integer) => n
                .as_i64()
                .map(Cell::Int)
                .ok_or_else(|| format!("{n} is not a 64-bit integer")),
            (Value::String(s), ColumnKind::Text) => Ok(Cell::Text(s)),
            (Value::Object(mut m), ColumnKind::Blob) if m.len() == 1 => match m.remove("hex") {
                Some(Value::String(h)) => hex::decode(&h)
                    .map(Cell::Blob)
                    .map_err(|_| "the bytes are not hexadecimal".to_string()),
                _ => Err("bytes are written {\"hex\": \"…\"}".to_string()),
            },
            (other, kind) => Err(format!(
                "{} where the column holds {}",
                match other {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "text",
                    Value::Array(_) => "an array",
                    Value::Object(_) => "an object",
                },
                match kind {
                    ColumnKind::Integer => "integers",
                    ColumnKind::Text => "text",
                    ColumnKind::Blob => "bytes",
                }
            )),
        }
    }

    fn approx_len(&self) -> usize {
        match self {
            Cell::Null | Cell::Int(_) => 8,
            Cell::Text(t) => t.len(),
            Cell::Blob(b) => b.len(),
        }
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------

struct CatalogueColumn {
    name: String,
    kind: std::result::Result<ColumnKind, String>,
    /// Position in the primary key (1-based), 0 when not part of it.
    pk: i64,
}

fn kind_of(declared: &str) -> std::result::Result<ColumnKind, String> {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Ok(ColumnKind::Integer)
    } else if t.contains("text") || t.contains("char") || t.contains("clob") {
        Ok(ColumnKind::Text)
    } else if t.contains("blob") || t == "bytea" {
        Ok(ColumnKind::Blob)
    } else {
        Err(format!("type '{declared}' cannot be carried by a backup"))
    }
}

async fn catalogue_tables(conn: &mut AnyConnection, backend: Backend) -> Result<BTreeSet<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading the catalogue"))?;
    Ok(names.into_iter().collect())
}

async fn catalogue_columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<CatalogueColumn>> {
    let rows: Vec<AnyRow> = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err(format!("reading the columns of {table}")))?,
        Backend::Postgres => sqlx::query(
            "SELECT CAST(c.column_name AS TEXT) AS name, CAST(c.data_type AS TEXT) AS type, \
             CAST(COALESCE((SELECT k.n FROM pg_index i \
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
               WHERE i.indrelid = CAST(quote_ident($1) AS regclass) AND i.indisprimary \
               AND a.attname = c.column_name), 0) AS BIGINT) AS pk \
             FROM information_schema.columns c \
             WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err(format!("reading the columns of {table}")))?,
    };
    rows.iter()
        .map(|r| {
            let name: String = r
                .try_get("name")
                .map_err(db_err(format!("reading the columns of {table}")))?;
            let ty: String = r
                .try_get("type")
                .map_err(db_err(format!("reading the columns of {table}")))?;
            let pk: i64 = r
                .try_get("pk")
                .map_err(db_err(format!("reading the columns of {table}")))?;
            Ok(CatalogueColumn {
                name,
                kind: kind_of(&ty),
                pk,
            })
        })
        .collect()
}

/// Foreign keys as (table, referenced table).
async fn foreign_keys(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<(String, String)>> {
    let rows: Vec<AnyRow> = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT m.name AS from_table, f.\"table\" AS to_table FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table'",
        )
        .fetch_all(&mut *conn)
        .await,
        Backend::Postgres => sqlx::query(
            "SELECT CAST(CAST(conrelid AS regclass) AS TEXT) AS from_table, CAST(CAST(confrelid AS regclass) AS TEXT) AS to_table \
             FROM pg_constraint WHERE contype = 'f' AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
        )
        .fetch_all(&mut *conn)
        .await,
    }
    .map_err(db_err("reading the foreign keys"))?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("from_table")
                    .map_err(db_err("reading the foreign keys"))?,
                r.try_get("to_table")
                    .map_err(db_err("reading the foreign keys"))?,
            ))
        })
        .collect()
}

async fn migrations(conn: &mut AnyConnection) -> Result<Vec<MigrationEntry>> {
    let rows = sqlx::query(
        "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("reading the migrations applied"))?;
    rows.iter()
        .map(|r| {
            Ok(MigrationEntry {
                version: r
                    .try_get("version")
                    .map_err(db_err("reading the migrations"))?,
                description: r
                    .try_get("description")
                    .map_err(db_err("reading the migrations"))?,
            })
        })
        .collect()
}

/// The sequence behind a table's generated `id` (PostgreSQL), if it has one.
async fn pg_sequence(conn: &mut AnyConnection, table: &str) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT CAST(pg_get_serial_sequence(quote_ident($1), 'id') AS TEXT)")
        .bind(table)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err(format!("reading the id sequence of {table}")))
}

async fn autoincrement(conn: &mut AnyConnection, table: &str) -> Result<bool> {
    let sql: Option<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(table)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err(format!("reading the definition of {table}")))?;
    Ok(sql.is_some_and(|s| s.to_ascii_uppercase().contains("AUTOINCREMENT")))
}

impl Store {
    /// Differences between [`TABLES`] and the database: tables missing from the list or from
    /// the database, a table listed before a table it refers to, a self-reference not declared.
    /// Empty when they agree.
    pub async fn backup_table_problems(&self) -> crate::Result<Vec<String>> {
        let mut conn = self.pool.acquire().await.map_err(|source| StoreError::Db {
            context: "connecting".into(),
            source,
        })?;
        let inner = async {
            let mut problems = Vec::new();
            let present = catalogue_tables(&mut conn, self.backend()).await?;
            for t in &present {
                if spec(t).is_none() {
                    problems.push(format!(
                        "table {t} is not in backup::TABLES: add it (data or state)"
                    ));
                }
            }
            for (i, t) in TABLES.iter().enumerate() {
                if !present.contains(t.name) {
                    problems.push(format!(
                        "backup::TABLES lists {}, absent from the database",
                        t.name
                    ));
                }
                if TABLES[..i].iter().any(|u| u.name == t.name) {
                    problems.push(format!("backup::TABLES lists {} twice", t.name));
                }
                if present.contains(t.name) {
                    let cols = catalogue_columns(&mut conn, self.backend(), t.name).await?;
                    for c in t.state_columns {
                        if !cols.iter().any(|x| x.name == *c) {
                            problems.push(format!(
                                "{}.{c} is listed as state but does not exist",
                                t.name
                            ));
                        }
                    }
                    for c in &cols {
                        if let Err(e) = &c.kind {
                            problems.push(format!("{}.{}: {e}", t.name, c.name));
                        }
                    }
                }
            }
            let position = |n: &str| TABLES.iter().position(|t| t.name == n);
            let mut self_refs = BTreeSet::new();
            for (from, to) in foreign_keys(&mut conn, self.backend()).await? {
                if from == to {
                    self_refs.insert(from.clone());
                }
                match (position(&from), position(&to)) {
                    (Some(f), Some(t)) if t > f => problems.push(format!(
                        "{from} refers to {to}, listed after it in backup::TABLES"
                    )),
                    _ => {}
                }
            }
            for t in TABLES {
                if t.self_reference.is_some() != self_refs.contains(t.name) {
                    problems.push(format!(
                        "{}: its reference to itself is not declared as self_reference (or is declared without one)",
                        t.name
                    ));
                }
            }
            Ok::<_, BackupError>(problems)
        };
        inner.await.map_err(|e| match e {
            BackupError::Store(s) => s,
            other => StoreError::Invalid(other.to_string()),
        })
    }
}

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
        let tmp = out.with_file_name(format!(".{name}.{}.partial", uuid::Uuid::new_v4().simple()));
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
        let file = File::create(path).map_err(io_err(path))?;
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

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// How much of an archive the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_manifest_bytes: u64,
    pub max_table_bytes: u64,
    pub max_evidence_bytes: u64,
    /// The longest line of a table file.
    pub max_line_bytes: usize,
    /// Past 1 MiB, no entry may inflate more than this many times its packed size.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entries: 500_000,
            max_manifest_bytes: 64 << 20,
            max_table_bytes: 64 << 30,
            max_evidence_bytes: 1 << 30,
            // An attachment (at most 10 MB) as hexadecimal, with room to spare.
            max_line_bytes: 32 << 20,
            max_ratio: 1000,
        }
    }
}

const RATIO_FLOOR: u64 = 1 << 20;

/// Refuses to read past a limit, and hashes what it reads.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    hasher: Sha256,
    tripped: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            self.tripped = true;
            return Err(io::Error::other("past the declared size"));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// An archive opened for reading: its manifest read and checked against the entries.
pub struct Archive {
    zip: zip::ZipArchive<BufReader<File>>,
    manifest: Manifest,
    limits: Limits,
}

/// What a verification found (everything is right, or it returns an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub tables: usize,
    pub rows: u64,
    pub evidence_files: usize,
    pub bytes: u64,
}

impl Archive {
    /// Open an archive: the entry count, the manifest (bounded), its consistency, and every
    /// entry's presence and declared size. Reads no table or evidence content.
    pub fn open(path: &Path, limits: Limits) -> Result<Archive> {
        let file = File::open(path).map_err(io_err(path))?;
        let mut zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| BackupError::Archive(format!("{}: {e}", path.display())))?;
        if zip.len() > limits.max_entries {
            return Err(BackupError::TooManyEntries {
                found: zip.len(),
                limit: limits.max_entries,
            });
        }
        let manifest = {
            let f = zip.by_name(MANIFEST).map_err(|e| match e {
                zip::result::ZipError::FileNotFound => entry_err(MANIFEST, EntryProblem::Missing),
                other => entry_err(MANIFEST, EntryProblem::Read(other.to_string())),
            })?;
            if f.size() > limits.max_manifest_bytes {
                return Err(entry_err(
                    MANIFEST,
                    EntryProblem::TooLarge {
                        size: f.size(),
                        limit: limits.max_manifest_bytes,
                    },
                ));
            }
            let declared = f.size();
            let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
            let mut b = Bounded {
                inner: f,
                read: 0,
                limit: declared,
                hasher: Sha256::new(),
                tripped: false,
            };
            if let Err(e) = b.read_to_end(&mut bytes) {
                return Err(entry_err(
                    MANIFEST,
                    if b.tripped {
                        EntryProblem::InflatesPastDeclared { declared }
                    } else {
                        EntryProblem::Read(e.to_string())
                    },
                ));
            }
            serde_json::from_slice::<Manifest>(&bytes)
                .map_err(|e| BackupError::Manifest(e.to_string()))?
        };
        let mut archive = Archive {
            zip,
            manifest,
            limits,
        };
        archive.check_manifest()?;
        archive.check_entries()?;
        Ok(archive)
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn check_manifest(&self) -> Result<()> {
        let m = &self.manifest;
        let bad = |s: String| Err(BackupError::Manifest(s));
        if m.format != FORMAT {
            return bad(format!("format '{}', expected '{FORMAT}'", m.format));
        }
        if m.format_version != FORMAT_VERSION {
            return bad(format!(
                "format version {}, this parindex reads version {FORMAT_VERSION}",
                m.format_version
            ));
        }
        if m.entry_count() > self.limits.max_entries {
            return Err(BackupError::TooManyEntries {
                found: m.entry_count(),
                limit: self.limits.max_entries,
            });
        }
        let mut names = BTreeSet::new();
        for (i, t) in m.tables.iter().enumerate() {
            if t.file != table_file(i + 1, &t.name) {
                return bad(format!(
                    "table {} is in '{}', expected '{}'",
                    t.name,
                    t.file,
                    table_file(i + 1, &t.name)
                ));
            }
            if !names.insert(t.name.as_str()) {
                return bad(format!("table {} is listed twice", t.name));
            }
            if t.columns.is_empty() {
                return bad(format!("table {} has no columns", t.name));
            }
            if !is_sha(&t.sha256) {
                return bad(format!("table {}: '{}' is not a SHA-256", t.name, t.sha256));
            }
            if t.bytes > self.limits.max_table_bytes {
                return Err(entry_err(
                    &t.file,
                    EntryProblem::TooLarge {
                        size: t.bytes,
                        limit: self.limits.max_table_bytes,
                    },
                ));
            }
        }
        let mut shas = BTreeSet::new();
        for e in &m.evidence {
            if !is_sha(&e.sha256) || e.file != evidence_file(&e.sha256) {
                return bad(format!(
                    "evidence entry '{}' is not evidence/<sha256>",
                    e.file
                ));
            }
            if !shas.insert(e.sha256.as_str()) {
                return bad(format!("evidence {} is listed twice", e.sha256));
            }
            if e.size > self.limits.max_evidence_bytes {
                return Err(entry_err(
                    &e.file,
                    EntryProblem::TooLarge {
                        size: e.size,
                        limit: self.limits.max_evidence_bytes,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Every entry of the manifest present with its declared size; nothing else in the archive;
    /// no entry inflating past the ratio limit; no overlapping entries.
    fn check_entries(&mut self) -> Result<()> {
        let mut declared: BTreeMap<String, u64> = BTreeMap::new();
        declared.insert(MANIFEST.into(), 0);
        for t in &self.manifest.tables {
            declared.insert(t.file.clone(), t.bytes);
        }
        for e in &self.manifest.evidence {
            declared.insert(e.file.clone(), e.size);
        }
        let mut seen = BTreeSet::new();
        let mut spans = Vec::with_capacity(self.zip.len());
        for i in 0..self.zip.len() {
            let f = self
                .zip
                .by_index_raw(i)
                .map_err(|e| BackupError::Archive(e.to_string()))?;
            let name = f
                .name()
                .map(|n| n.into_owned())
                .map_err(|e| BackupError::Archive(e.to_string()))?;
            let Some(&size) = declared.get(&name) else {
                return Err(entry_err(&name, EntryProblem::Unexpected));
            };
            if !seen.insert(name.clone()) {
                return Err(BackupError::Manifest(format!(
                    "entry {name} appears twice in the archive"
                )));
            }
            if name != MANIFEST && f.size() != size {
                return Err(entry_err(
                    &name,
                    EntryProblem::Size {
                        declared: size,
                        found: f.size(),
                    },
                ));
            }
            if f.size() > RATIO_FLOOR
                && f.size() / f.compressed_size().max(1) > self.limits.max_ratio
            {
                return Err(entry_err(
                    &name,
                    EntryProblem::Ratio {
                        limit: self.limits.max_ratio,
                    },
                ));
            }
            spans.push((f.header_start(), f.compressed_size()));
        }
        if let Some(missing) = declared.keys().find(|n| !seen.contains(*n)) {
            return Err(entry_err(missing, EntryProblem::Missing));
        }
        spans.sort_unstable();
        for w in spans.windows(2) {
            if w[0].0.saturating_add(30).saturating_add(w[0].1) > w[1].0 {
                return Err(BackupError::Archive("entries overlap".into()));
            }
        }
        Ok(())
    }

    /// Open a table's file for reading row by row.
    fn rows(&mut self, index: usize) -> Result<TableRows<'_>> {
        let t = self
            .manifest
            .tables
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no table {index}")))?;
        let f = self.zip.by_name(&t.file).map_err(zip_err(&t.file))?;
        let compressed = f.compressed_size();
        let ratio_limit = RATIO_FLOOR.max(compressed.saturating_mul(self.limits.max_ratio));
        Ok(TableRows {
            reader: BufReader::with_capacity(
                256 * 1024,
                Bounded {
                    inner: f,
                    read: 0,
                    limit: t.bytes.min(ratio_limit),
                    hasher: Sha256::new(),
                    tripped: false,
                },
            ),
            entry: t,
            line: 0,
            buf: Vec::new(),
            max_line: self.limits.max_line_bytes,
            ratio_limit,
        })
    }

    /// Read a whole evidence file (its declared size checked against the limit before).
    fn evidence_bytes(&mut self, index: usize) -> Result<Vec<u8>> {
        let e = self
            .manifest
            .evidence
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no evidence {index}")))?;
        if e.size > self.limits.max_evidence_bytes {
            return Err(entry_err(
                &e.file,
                EntryProblem::TooLarge {
                    size: e.size,
                    limit: self.limits.max_evidence_bytes,
                },
            ));
        }
        let f = self.zip.by_name(&e.file).map_err(zip_err(&e.file))?;
        let mut out = Vec::with_capacity(usize::try_from(e.size).unwrap_or(0));
        let mut b = Bounded {
            inner: f,
            read: 0,
            limit: e.size,
            hasher: Sha256::new(),
            tripped: false,
        };
        if let Err(err) = b.read_to_end(&mut out) {
            return Err(entry_err(
                &e.file,
                if b.tripped {
                    EntryProblem::InflatesPastDeclared { declared: e.size }
                } else {
                    EntryProblem::Read(err.to_string())
                },
            ));
        }
        check_end(&e.file, &e.sha256, e.size, b.read, b.hasher)?;
        Ok(out)
    }

    /// Stream an evidence file through its checks without keeping it.
    fn check_evidence(&mut self, index: usize) -> Result<u64> {
        let e = self
            .manifest
            .evidence
            .get(index)
            .ok_or_else(|| BackupError::Manifest(format!("no evidence {index}")))?;
        let f = self.zip.by_name(&e.file).map_err(zip_err(&e.file))?;
        let mut b = Bounded {
            inner: f,
            read: 0,
            limit: e.size,
            hasher: Sha256::new(),
            tripped: false,
        };
        if let Err(err) = io::copy(&mut b, &mut io::sink()) {
            return Err(entry_err(
                &e.file,
                if b.tripped {
                    EntryProblem::InflatesPastDeclared { declared: e.size }
                } else {
                    EntryProblem::Read(err.to_string())
                },
            ));
        }
        check_end(&e.file, &e.sha256, e.size, b.read, b.hasher)?;
        Ok(e.size)
    }

    /// Check every entry: each table file's checksum, size, rows (each parsed against its
    /// columns) and each evidence file's checksum and size; the evidence files the
    /// `evidence_files` table lists are all there. Writes nothing.
    pub fn verify(&mut self, progress: &dyn Progress) -> Result<Verified> {
        let total: u64 = self.manifest.tables.iter().map(|t| t.bytes).sum::<u64>()
            + self.manifest.evidence.iter().map(|e| e.size).sum::<u64>();
        progress.start("verify", total);
        let mut listed_files = BTreeSet::new();
        let mut rows = 0;
        for i in 0..self.manifest.tables.len() {
            let mut r = self.rows(i)?;
            let sha_col = (r.entry.name == "evidence_files")
                .then(|| r.entry.columns.iter().position(|c| c.name == "sha256"))
                .flatten();
            let mut last = 0;
            while let Some(cells) = r.next_row()? {
                if let Some(Cell::Text(s)) = sha_col.and_then(|i| cells.get(i)) {
                    listed_files.insert(s.clone());
                }
                let now = r.reader.get_ref().read;
                progress.advance(now - last);
                last = now;
            }
            rows += r.entry.rows;
        }
        for i in 0..self.manifest.evidence.len() {
            let n = self.check_evidence(i)?;
            progress.advance(n);
        }
        progress.finish();
        let have: BTreeSet<&String> = self.manifest.evidence.iter().map(|e| &e.sha256).collect();
        if let Some(missing) = listed_files.iter().find(|s| !have.contains(s)) {
            return Err(entry_err(&evidence_file(missing), EntryProblem::Missing));
        }
        Ok(Verified {
            tables: self.manifest.tables.len(),
            rows,
            evidence_files: self.manifest.evidence.len(),
            bytes: total,
        })
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_end(entry: &str, sha: &str, declared: u64, read: u64, hasher: Sha256) -> Result<()> {
    if read != declared {
        return Err(entry_err(
            entry,
            EntryProblem::Size {
                declared,
                found: read,
            },
        ));
    }
    let found = hex::encode(hasher.finalize());
    if found != sha {
        return Err(entry_err(
            entry,
            EntryProblem::Checksum {
                expected: sha.to_string(),
                found,
            },
        ));
    }
    Ok(())
}

/// A table file read line by line, each line parsed against the columns; its checksum, size
/// and row count checked at the end.
struct TableRows<'a> {
    reader: BufReader<Bounded<zip::read::ZipFile<'a, BufReader<File>>>>,
    entry: &'a TableEntry,
    line: u64,
    buf: Vec<u8>,
    max_line: usize,
    ratio_limit: u64,
}

impl TableRows<'_> {
    fn fail(&self, problem: EntryProblem) -> BackupError {
        entry_err(&self.entry.file, problem)
    }

    fn next_row(&mut self) -> Result<Option<Vec<Cell>>> {
        self.buf.clear();
        let limit = self.max_line as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf);
        if let Err(e) = read {
            let b = self.reader.get_ref();
            return Err(self.fail(if b.tripped && b.limit >= self.entry.bytes {
                EntryProblem::InflatesPastDeclared {
                    declared: self.entry.bytes,
                }
            } else if b.tripped {
                EntryProblem::Ratio {
                    limit: self.ratio_limit,
                }
            } else {
                EntryProblem::Read(e.to_string())
            }));
        }
        if self.buf.is_empty() {
            // The end: size, checksum, rows.
            let b = self.reader.get_ref();
            check_end(
                &self.entry.file,
                &self.entry.sha256,
                self.entry.bytes,
                b.read,
                b.hasher.clone(),
            )?;
            if self.line != self.entry.rows {
                return Err(self.fail(EntryProblem::Rows {
                    declared: self.entry.rows,
                    found: self.line,
                }));
            }
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() != Some(&b'\n') {
            if self.buf.len() as u64 >= limit {
                return Err(self.fail(EntryProblem::LineTooLong {
                    line: self.line,
                    limit: self.max_line,
                }));
            }
            return Err(self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: "the last line does not end with a newline".into(),
            }));
        }
        let values: Vec<serde_json::Value> = serde_json::from_slice(&self.buf).map_err(|e| {
            self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: format!("not a JSON array: {e}"),
            })
        })?;
        if values.len() != self.entry.columns.len() {
            return Err(self.fail(EntryProblem::BadLine {
                line: self.line,
                reason: format!(
                    "{} values for {} columns",
                    values.len(),
                    self.entry.columns.len()
                ),
            }));
        }
        let mut cells = Vec::with_capacity(values.len());
        for (v, c) in values.into_iter().zip(&self.entry.columns) {
            cells.push(Cell::from_json(v, c.kind).map_err(|reason| {
                self.fail(EntryProblem::BadLine {
                    line: self.line,
                    reason: format!("column {}: {reason}", c.name),
                })
            })?);
        }
        Ok(Some(cells))
    }
}

/// Open and verify an archive without restoring it.
pub fn verify_archive(
    path: &Path,
    limits: Limits,
    progress: &dyn Progress,
) -> Result<(Manifest, Verified)> {
    let mut a = Archive::open(path, limits)?;
    let v = a.verify(progress)?;
    Ok((a.manifest.clone(), v))
}

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
        let mut tx = match backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
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
        for s in TABLES.iter().filter(|s| present.contains(s.name)) {
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
            for s in TABLES.iter().rev().filter(|s| present.contains(s.name)) {
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
