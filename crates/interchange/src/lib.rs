//! ParIndex interchange: the file formats people bring in and take away.
//!
//! - [`edition`]: index editions as TOML, JSON or an XLSX workbook; the criteria table alone as CSV.
//! - [`results`]: published results of an edition (CSV, XLSX, JSON).
//! - [`units`]: the province's units (CSV, XLSX, JSON).
//! - [`subjects`]: subjects compared nationally (CSV, XLSX, JSON).
//! - [`targets`]: rank targets (CSV, XLSX, JSON).
//!
//! Readers dispatch on the file's extension (`.toml`, `.json`, `.csv`, `.xlsx`), match headers
//! without regard to case or diacritics (English or Vietnamese names), NFC-normalise all text,
//! read points as exact decimals, and either return a fully valid value or an [`ImportError`]
//! listing every problem with its row and column. Writers produce files the readers read back
//! to an equal value. `docs/formats.md` documents every column.

#![forbid(unsafe_code)]

pub mod dossiers;
pub mod edition;
pub mod error;
mod exact;
pub mod fuzzing;
pub mod hostile;
pub mod indicators;
pub mod plan;
pub mod results;
pub mod self_assessment;
pub mod sheet;
pub mod subjects;
mod table;
pub mod targets;
pub mod units;
pub use table::{read_table_bytes, MAX_CELL_CHARS};
pub mod xlsx_read;

pub use error::{ExportError, ImportError, Problem, ProblemKind, ReadProblem};
