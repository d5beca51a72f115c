//! Why an import failed, typed: the web shows a file's bad rows, an unreadable file or a
//! refusal of the store each its own way, and the command line prints the sentence.

use std::path::PathBuf;

use parindex_interchange::dossiers::ScanError;
use parindex_interchange::ImportError;
use parindex_store::StoreError;

use crate::dossiers::BadRows;

/// Why an import (or the demo's load) failed. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file to import does not exist.
    #[error("{}: no such file", .0.display())]
    NoFile(PathBuf),
    /// The `--columns` map (the web form's column field) cannot be read.
    #[error("--columns: {0}")]
    Columns(parindex_interchange::dossiers::ColumnMapProblem),
    /// The file cannot be read: its name, the line when known, and why.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// A JSON batch of dossiers (`POST /api/v1/dossiers`) refused whole: not a batch, or too
    /// many dossiers.
    #[error("{0}")]
    Batch(parindex_interchange::dossiers::BatchProblem),
    /// The file has bad rows and they were not to be skipped: nothing was used.
    #[error(transparent)]
    BadRows(#[from] BadRows),
    /// A month the reader grouped the rows by is not a month (a fault of the reader).
    #[error("{file}: '{month}' is not a month")]
    Month { file: String, month: String },
    /// The overdue dossiers spooled while reading could not be read back.
    #[error("{file}: reading the overdue dossiers back: {detail}")]
    Spool { file: String, detail: String },
    /// The thread reading the file failed (it panicked, or the runtime stopped).
    #[error("{file}: the reading task failed: {source}")]
    Task {
        file: String,
        #[source]
        source: tokio::task::JoinError,
    },
    /// The store refused the import ([`StoreError::Invalid`]) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A built-in demo file cannot be read.
    #[error(transparent)]
    Data(#[from] ImportError),
    /// A built-in demo file's content was refused or not stored.
    #[error("loading {file}: {source}")]
    Load {
        file: &'static str,
        #[source]
        source: StoreError,
    },
    /// Writing the demo's synthetic month.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl IngestError {
    /// The store's error, when the store failed or refused.
    pub fn store(&self) -> Option<&StoreError> {
        match self {
            IngestError::Store(e) | IngestError::Load { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, IngestError>;
