//! Dossier exports of the one-stop-shop software, read as a stream in bounded memory.
//!
//! A file is CSV (`,`, `;` or tab, UTF-8, optional BOM) or XLSX with the header
//! `code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status`
//! (Vietnamese names accepted too; [`parse_column_map`] maps another export's names). The
//! definitions are in [`parindex_domain::dossiers`] and `docs/dossiers.md`.
//!
//! **How a CSV is read.** The file is split into one byte range per thread at line boundaries;
//! each thread reads its range in 4 MiB chunks with positioned reads, splits fields by hand,
//! reads the common ISO 8601 forms with a fixed-format parser, and counts into a small hash map
//! keyed by interned agency × month (or the dimensions asked for). The maps are merged at the
//! end. Memory is a few chunks per thread plus the distinct agencies and procedures, whatever
//! the file's size. Late and pending-overdue dossiers go to per-thread spool files on disk, read
//! back in file order. A file with a line break inside a quoted field is read again on one
//! thread by a full CSV reader, so the result never depends on where the ranges fell.
//!
//! **Bad rows** (wrong column count, invalid UTF-8, a bad or missing date, due before received,
//! closed before received, an unknown level) are counted with their line number and reason; the
//! caller decides whether they fail the whole file.

use crate::table::fold_key;
use parindex_domain::dossiers::{Counts, Dim};
use parindex_domain::text::nfc;

mod spool;
pub use spool::*;
mod bytes;
use bytes::*;
mod worker;
use worker::*;
mod row;
pub use row::*;
mod batch;
pub use batch::*;
mod csv_file;
pub use csv_file::*;
mod xlsx_file;
pub use xlsx_file::*;
mod stats;
pub use stats::*;
mod generate;
pub use generate::*;

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// The columns of a dossier file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Code,
    Agency,
    Procedure,
    Level,
    OnlineLevel,
    ReceivedAt,
    DueAt,
    ResultAt,
    ClosedAt,
    Status,
}

const NF: usize = 10;

impl Field {
    pub const ALL: [Field; NF] = [
        Field::Code,
        Field::Agency,
        Field::Procedure,
        Field::Level,
        Field::OnlineLevel,
        Field::ReceivedAt,
        Field::DueAt,
        Field::ResultAt,
        Field::ClosedAt,
        Field::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Agency => "agency",
            Field::Procedure => "procedure",
            Field::Level => "level",
            Field::OnlineLevel => "online_level",
            Field::ReceivedAt => "received_at",
            Field::DueAt => "due_at",
            Field::ResultAt => "result_at",
            Field::ClosedAt => "closed_at",
            Field::Status => "status",
        }
    }

    /// Vietnamese header names accepted (matched without case or diacritics).
    fn vi(self) -> &'static [&'static str] {
        match self {
            Field::Code => &["Mã hồ sơ", "Số hồ sơ", "Mã"],
            Field::Agency => &["Cơ quan", "Đơn vị", "Cơ quan giải quyết", "Đơn vị xử lý"],
            Field::Procedure => &["Thủ tục", "Thủ tục hành chính", "Mã thủ tục", "TTHC"],
            Field::Level => &["Cấp", "Cấp giải quyết", "Cấp thực hiện"],
            Field::OnlineLevel => &["Mức độ", "Mức độ DVC", "Mức độ trực tuyến", "Mức độ DVCTT"],
            Field::ReceivedAt => &["Ngày tiếp nhận", "Thời gian tiếp nhận", "Ngày nhận"],
            Field::DueAt => &[
                "Ngày hẹn trả",
                "Hạn giải quyết",
                "Hạn xử lý",
                "Ngày hẹn trả kết quả",
            ],
            Field::ResultAt => &[
                "Ngày có kết quả",
                "Ngày trả kết quả",
                "Thời gian có kết quả",
            ],
            Field::ClosedAt => &[
                "Ngày kết thúc",
                "Ngày hoàn thành",
                "Thời gian kết thúc",
                "Ngày đóng hồ sơ",
            ],
            Field::Status => &["Trạng thái", "Tình trạng"],
        }
    }

    fn required(self) -> bool {
        !matches!(self, Field::OnlineLevel | Field::ResultAt | Field::Status)
    }

    pub fn parse(s: &str) -> Option<Field> {
        let k = fold_key(s);
        Field::ALL
            .into_iter()
            .find(|f| fold_key(f.name()) == k || f.vi().iter().any(|v| fold_key(v) == k))
    }
}

/// Why a column map (`--columns`, the upload form's field) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnMapProblem {
    #[error("'{part}' is not COLUMN=HEADER")]
    NotAPair { part: String },
    #[error("'{name}' is not a dossier column (use {})", Field::ALL.map(|f| f.name()).join(", "))]
    UnknownColumn { name: String },
    #[error("'{field}' is mapped twice")]
    MappedTwice { field: &'static str },
}

/// `--columns code=Số hồ sơ,agency=Đơn vị xử lý`: which header of the file holds each column.
pub fn parse_column_map(s: &str) -> Result<Vec<(Field, String)>, ColumnMapProblem> {
    let mut out: Vec<(Field, String)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| ColumnMapProblem::NotAPair {
                part: part.to_string(),
            })?;
        let f = Field::parse(k).ok_or_else(|| ColumnMapProblem::UnknownColumn {
            name: k.trim().to_string(),
        })?;
        if out.iter().any(|(g, _)| *g == f) {
            return Err(ColumnMapProblem::MappedTwice { field: f.name() });
        }
        out.push((f, nfc(v)));
    }
    Ok(out)
}

/// Where each column is in the file.
#[derive(Debug, Clone)]
pub struct Layout {
    pub delimiter: u8,
    pub headers: Vec<String>,
    idx: [Option<usize>; NF],
}

impl Layout {
    /// Match a header row. Unknown headers are ignored (an export has more columns than we
    /// need); a missing required column, or one named twice, is an error.
    pub fn from_headers(
        headers: Vec<String>,
        delimiter: u8,
        map: &[(Field, String)],
    ) -> Result<Layout, Vec<LayoutProblem>> {
        let mut idx: [Option<usize>; NF] = [None; NF];
        let mut problems = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let hk = fold_key(h);
            let field = map
                .iter()
                .find(|(_, name)| fold_key(name) == hk)
                .map(|(f, _)| *f)
                .or_else(|| Field::parse(h).filter(|f| !map.iter().any(|(g, _)| g == f)));
            if let Some(f) = field {
                if let Some(j) = idx[f as usize] {
                    problems.push(LayoutProblem::Twice {
                        field: f.name(),
                        first: headers[j].clone(),
                        second: h.clone(),
                    });
                } else {
                    idx[f as usize] = Some(i);
                }
            }
        }
        for (f, name) in map {
            if idx[*f as usize].is_none() {
                problems.push(LayoutProblem::MappedMissing {
                    field: f.name(),
                    name: name.clone(),
                });
            }
        }
        for f in Field::ALL {
            if f.required() && idx[f as usize].is_none() {
                problems.push(LayoutProblem::Missing {
                    field: f.name(),
                    vi: f.vi().first().copied().unwrap_or(""),
                });
            }
        }
        if problems.is_empty() {
            Ok(Layout {
                delimiter,
                headers,
                idx,
            })
        } else {
            Err(problems)
        }
    }

    pub fn index(&self, f: Field) -> Option<usize> {
        self.idx[f as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------------------------

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Group by these (in this order).
    pub dims: Vec<Dim>,
    /// The as-of day (see [`parindex_domain::dossiers::day_of`]).
    pub as_of_day: i32,
    /// Threads for a CSV file (at least 1).
    pub threads: usize,
    /// `--columns`.
    pub columns: Vec<(Field, String)>,
    /// Spool the late and pending-overdue dossiers to disk.
    pub spool_overdue: bool,
}

/// Why a row of a dossier export is bad, typed: the web words it in the reader's language,
/// tests match it; its `Display` is the English the command line prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// Not as many fields as the header has.
    #[error("wrong column count: {found} instead of {expected}")]
    ColumnCount { found: usize, expected: usize },
    #[error("invalid UTF-8")]
    NotUtf8,
    /// A required field is empty.
    #[error("empty")]
    Empty,
    /// A time that cannot be read.
    #[error("{0}")]
    Time(parindex_domain::dossiers::TimeError),
    #[error("the year is out of range (1900–3999)")]
    YearOutOfRange,
    #[error("unknown level '{value}' (use province, district or commune)")]
    UnknownLevel { value: String },
    #[error("unknown online level '{value}' (use 1 to 4, or leave empty)")]
    UnknownOnlineLevel { value: String },
    /// The times out of order.
    #[error("{}", .0.message())]
    Times(parindex_domain::dossiers::TimesProblem),
    /// A JSON batch ([`read_batch`]): a field that is not a string, an integer or null.
    #[error("not a text (use a string, an integer or null)")]
    NotText,
    /// A JSON batch: a field longer than [`TEXT_MAX`] bytes.
    #[error("longer than {max} bytes")]
    TooLong { max: usize },
    /// A JSON batch: an element of the list that is not an object.
    #[error("not a dossier (an object)")]
    NotAnObject,
}

/// A bad row: its line number (1-based, the header is line 1 of a CSV) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub column: Option<&'static str>,
    pub reason: RowProblem,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column '{c}': {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// How many bad rows are kept with their reason (all are counted).
pub const BAD_ROWS_KEPT: usize = 100;

/// One group's key, one text per dimension (`month` as `YYYY-MM`, `online_level` as `0`-`4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<String>,
    pub counts: Counts,
}

/// What a file holds.
#[derive(Debug)]
pub struct Scan {
    pub file: String,
    pub dims: Vec<Dim>,
    /// Sorted by key.
    pub groups: Vec<Group>,
    pub total: Counts,
    /// Rows read without problems.
    pub rows: u64,
    pub bad_rows: u64,
    /// The first [`BAD_ROWS_KEPT`] bad rows, by line.
    pub bad: Vec<BadRow>,
    /// The late and pending-overdue dossiers, when asked for.
    pub overdue: Option<Spool>,
    /// Threads used (1 when the file had to be read sequentially).
    pub threads: usize,
    /// The line each part of the file starts after (see [`OverdueRow::part`]).
    pub line_bases: Vec<u64>,
}

impl Scan {
    /// The file's line of a dossier handed over as line `line` of part `part`.
    pub fn line_of(&self, part: u32, line: u64) -> u64 {
        self.line_bases.get(part as usize).copied().unwrap_or(0) + line
    }
}

/// What is wrong with a header row (`Layout::from_headers`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutProblem {
    #[error("column '{field}' appears twice ('{first}' and '{second}')")]
    Twice {
        field: &'static str,
        first: String,
        second: String,
    },
    /// `--columns` (the form's column map) names a header the file does not have.
    #[error("--columns maps {field} to '{name}', which is not in the header")]
    MappedMissing { field: &'static str, name: String },
    #[error("the required column '{field}' ({vi}) is missing")]
    Missing {
        field: &'static str,
        vi: &'static str,
    },
}

/// Why a file could not be read at all, typed: the web words it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanProblem {
    /// The system refused to read it (its reason).
    #[error("cannot be read: {detail}")]
    Unreadable { detail: String },
    /// A copy could not be written to the temporary folder.
    #[error("cannot be stored: {detail}")]
    Unstorable { detail: String },
    #[error("unsupported file type; use .csv or .xlsx")]
    UnsupportedType,
    /// Nothing but blank lines: no header.
    #[error("the file is empty: no header")]
    NoHeader,
    #[error("the header line is longer than 64 KiB")]
    HeaderTooLong,
    #[error("unbalanced quotes in the header")]
    UnbalancedQuotes,
    #[error("the header is not UTF-8 text")]
    HeaderNotUtf8,
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Layout(Vec<LayoutProblem>),
    /// The bounded XLSX reader refused the workbook (in English and Vietnamese).
    #[error("{0}")]
    Xlsx(crate::xlsx_read::XlsxError),
    /// A quoted field with a line break, which the parallel reader does not split.
    #[error("{0}")]
    Csv(String),
    /// Reading failed on the way (the overdue spool, a worker): the reason.
    #[error("{0}")]
    Failed(String),
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub file: String,
    pub line: Option<u64>,
    pub kind: ScanProblem,
}

impl ScanError {
    pub fn new(file: impl Into<String>, line: Option<u64>, kind: ScanProblem) -> ScanError {
        ScanError {
            file: file.into(),
            line,
            kind,
        }
    }
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {l}: {}", self.file, self.kind),
            None => write!(f, "{}: {}", self.file, self.kind),
        }
    }
}

impl std::error::Error for ScanError {}

#[cfg(test)]
mod tests;
