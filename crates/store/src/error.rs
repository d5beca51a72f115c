use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error while {context}: {source}")]
    Db {
        context: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    /// The request is refused: which fields, and why ([`crate::refusal`]).
    #[error("{0}")]
    Invalid(crate::refusal::Refusals),
    /// A value could not be encoded for storage (a fault of the program, not of the request).
    #[error("encoding {0}")]
    Encode(String),
    /// The store was given an address or setting it cannot use (not a request's fault).
    #[error("{0}")]
    Config(String),
    #[error("stored data is corrupt ({0})")]
    Corrupt(String),
    /// No room left where the change goes: SQLite's `SQLITE_FULL` (a full disk or the file's
    /// `max_page_count`), PostgreSQL's `disk_full` (SQLSTATE 53100), `ENOSPC` or `EDQUOT` in the
    /// evidence folder. The change was rolled back: nothing stored.
    #[error("{storage} is full while {context}: {detail}")]
    Full {
        storage: Storage,
        context: String,
        detail: String,
    },
    /// The database cannot be reached now: connections refused, terminated by the server
    /// (`pg_terminate_backend`, a restart), timed out, or SQLite's file busy past the busy
    /// timeout. Nothing stored; the same request may succeed later.
    #[error("the database is unavailable while {context}: {source}")]
    Unavailable {
        context: String,
        #[source]
        source: sqlx::Error,
    },
    /// Where we keep data cannot be written: a read-only SQLite file or folder, an evidence
    /// folder on a read-only file system or without permission, an I/O error. Nothing stored.
    #[error("{storage} cannot be written{} while {context}: {detail}", place.as_ref().map(|p| format!(" ({})", p.display())).unwrap_or_default())]
    Unwritable {
        storage: Storage,
        /// The file or folder, when known.
        place: Option<PathBuf>,
        context: String,
        detail: String,
    },
}

/// Where data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Database,
    EvidenceFolder,
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Storage::Database => "the database",
            Storage::EvidenceFolder => "the evidence folder",
        })
    }
}

/// A fault of the system rather than of the request: what a user is told and which status a
/// page answers with (see `docs/deploy.md`, "Faults").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// [`StoreError::Full`].
    Full(Storage),
    /// [`StoreError::Unwritable`].
    Unwritable(Storage),
    /// [`StoreError::Unavailable`].
    Unavailable,
}

impl StoreError {
    /// A database error, classified: a full database, an unreachable one, a read-only SQLite
    /// file, or any other error (`Db`).
    pub fn from_sqlx(context: String, source: sqlx::Error) -> StoreError {
        match classify(&source) {
            Some(Fault::Full(storage)) => StoreError::Full {
                storage,
                context,
                detail: source.to_string(),
            },
            Some(Fault::Unavailable) => StoreError::Unavailable { context, source },
            Some(Fault::Unwritable(storage)) => StoreError::Unwritable {
                storage,
                place: None,
                context,
                detail: source.to_string(),
            },
            None => StoreError::Db { context, source },
        }
    }

    /// A file operation that failed (`what` we did with `place`): `ENOSPC`/`EDQUOT` make it
    /// [`StoreError::Full`], anything else [`StoreError::Unwritable`].
    pub fn from_io(storage: Storage, what: &str, place: PathBuf, e: &std::io::Error) -> StoreError {
        let context = format!("{what} {}", place.display());
        if io_is_full(e) {
            StoreError::Full {
                storage,
                context,
                detail: e.to_string(),
            }
        } else {
            StoreError::Unwritable {
                storage,
                place: Some(place),
                context,
                detail: e.to_string(),
            }
        }
    }

    /// Whether this is a fault of the system (full, unwritable, unreachable), and which.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            StoreError::Full { storage, .. } => Some(Fault::Full(*storage)),
            StoreError::Unwritable { storage, .. } => Some(Fault::Unwritable(*storage)),
            StoreError::Unavailable { .. } => Some(Fault::Unavailable),
            StoreError::Migrate(
                sqlx::migrate::MigrateError::Execute(e)
                | sqlx::migrate::MigrateError::ExecuteMigration(e, _),
            ) => classify(e),
            _ => None,
        }
    }
}

/// `ENOSPC` (no space left on the device) or `EDQUOT` (the user's quota is used up).
fn io_is_full(e: &std::io::Error) -> bool {
    // StorageFull is ENOSPC; EDQUOT's kind (QuotaExceeded) is not stable in std: its number.
    const EDQUOT: i32 = if cfg!(target_os = "linux") { 122 } else { 69 };
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(EDQUOT)
}

/// Which fault a database error is, if it is one.
pub(crate) fn classify(e: &sqlx::Error) -> Option<Fault> {
    use sqlx::Error as E;
    match e {
        E::Io(io) if io_is_full(io) => Some(Fault::Full(Storage::Database)),
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            Some(Fault::Unavailable)
        }
        E::Database(d) => {
            if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                pg_fault(pg.code())
            } else if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                let code: i32 = d.code().and_then(|c| c.parse().ok())?;
                sqlite_fault(code)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// PostgreSQL's SQLSTATE: class 08 (connection exception), 57P01–57P03 (the server shuts the
/// connection, or cannot take one now), 53300 (too many connections), 25006 (a read-only
/// standby after a failover): unavailable; 53100 (disk_full): full.
fn pg_fault(sqlstate: &str) -> Option<Fault> {
    match sqlstate {
        "53100" => Some(Fault::Full(Storage::Database)),
        "57P01" | "57P02" | "57P03" | "53300" | "25006" => Some(Fault::Unavailable),
        s if s.starts_with("08") => Some(Fault::Unavailable),
        _ => None,
    }
}

/// SQLite's result code (extended; the primary code is its low byte): `SQLITE_FULL` (13): full;
/// `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), past the busy timeout: unavailable;
/// `SQLITE_READONLY` (8), `SQLITE_CANTOPEN` (14), `SQLITE_PERM` (3): unwritable.
fn sqlite_fault(code: i32) -> Option<Fault> {
    match code & 0xff {
        13 => Some(Fault::Full(Storage::Database)),
        5 | 6 => Some(Fault::Unavailable),
        3 | 8 | 14 => Some(Fault::Unwritable(Storage::Database)),
        _ => None,
    }
}

/// Attach what we were doing to a sqlx error (and classify it: see [`StoreError::from_sqlx`]).
pub(crate) trait Context<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::from_sqlx(context(), source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(pg_fault("53100"), Some(Fault::Full(Storage::Database)));
        assert_eq!(pg_fault("57P01"), Some(Fault::Unavailable));
        assert_eq!(pg_fault("08006"), Some(Fault::Unavailable));
        assert_eq!(pg_fault("23505"), None);
        assert_eq!(pg_fault("53000"), None);
        assert_eq!(sqlite_fault(13), Some(Fault::Full(Storage::Database)));
        // SQLITE_BUSY_SNAPSHOT (517), SQLITE_READONLY_DIRECTORY (1544).
        assert_eq!(sqlite_fault(517), Some(Fault::Unavailable));
        assert_eq!(
            sqlite_fault(1544),
            Some(Fault::Unwritable(Storage::Database))
        );
        assert_eq!(sqlite_fault(19), None);
        let enospc = std::io::Error::from_raw_os_error(28);
        assert!(io_is_full(&enospc));
        assert!(matches!(
            StoreError::from_io(Storage::EvidenceFolder, "writing", "/x".into(), &enospc).fault(),
            Some(Fault::Full(Storage::EvidenceFolder))
        ));
        let erofs = std::io::Error::from_raw_os_error(30);
        assert!(matches!(
            StoreError::from_io(Storage::EvidenceFolder, "writing", "/x".into(), &erofs).fault(),
            Some(Fault::Unwritable(Storage::EvidenceFolder))
        ));
        assert_eq!(
            classify(&sqlx::Error::PoolTimedOut),
            Some(Fault::Unavailable)
        );
    }
}
