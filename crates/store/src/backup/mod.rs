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

mod read;
mod restore;
mod write;

pub use read::*;
pub use restore::*;

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
    /// The data versions (`data_versions`, see `crate::version`): not backed up, not emptied by
    /// a restore (whose commit adds one to each, as any write's does), and not counted when a
    /// restore asks whether the database is empty (its rows are there from the migration on).
    Version,
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
        // API tokens (hashes only) are data: a restored server keeps its integrations; when
        // each was last used is state.
        state_columns: &["last_used_at"],
        ..data("api_tokens")
    },
    TableSpec {
        // Sign-in throttling: counters and locks, not data.
        role: TableRole::State,
        ..data("login_throttle")
    },
    data("dossier_imports"),
    data("pushed_dossiers"),
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
    data("publications"),
    TableSpec {
        role: TableRole::Version,
        ..data("data_versions")
    },
];

fn spec(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// What a backup leaves out, for the manifest and the documentation.
pub fn excluded() -> Vec<String> {
    let mut out = Vec::new();
    for t in TABLES {
        match t.role {
            TableRole::State | TableRole::Version => out.push(t.name.to_string()),
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
    move |source| BackupError::Store(StoreError::from_sqlx(context, source))
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
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|source| StoreError::from_sqlx("connecting".into(), source))?;
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
            other => StoreError::Corrupt(other.to_string()),
        })
    }
}
