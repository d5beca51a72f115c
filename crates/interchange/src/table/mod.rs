//! Tables shared by every tabular format: CSV and XLSX sheets read into rows of cells, headers
//! matched to columns (case- and diacritic-insensitively), cells converted to text, decimals,
//! whole numbers, booleans and dates with a problem per bad cell, and tables written back out.

use crate::error::{ExportError, ImportError, Problem, ReadProblem};
use crate::xlsx_read::{read_all, Value, XlsxLimits};
use jiff::civil::Date;
use parindex_domain::text::{fold, nfc, restore_formula};
use std::io::{Read, Seek};
use std::path::Path;

mod convert;
pub(crate) use convert::*;
mod write;
pub(crate) use write::*;

// ---------------------------------------------------------------------------------------------
// File kinds
// ---------------------------------------------------------------------------------------------

/// The file formats, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub(crate) fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// The name used for a file in messages.
pub(crate) fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// The format of `path` if it is one of `allowed`, else an error naming the file.
pub(crate) fn format_for(
    path: &Path,
    allowed: &[Format],
    hint: &'static str,
) -> Result<Format, ImportError> {
    match Format::of(path) {
        Some(f) if allowed.contains(&f) => Ok(f),
        _ => Err(ImportError::read(
            file_name(path),
            ReadProblem::UnsupportedType {
                ext: path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_string),
                hint,
            },
        )),
    }
}

/// The format of an output path if it is one of `allowed`.
pub(crate) fn export_format(
    path: &Path,
    allowed: &[Format],
    hint: &'static str,
) -> Result<Format, ExportError> {
    match Format::of(path) {
        Some(f) if allowed.contains(&f) => Ok(f),
        _ => Err(ExportError::UnsupportedExtension(file_name(path), hint)),
    }
}

pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|e| {
        ImportError::read(
            file_name(path),
            ReadProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    })
}

pub(crate) fn read_text(path: &Path) -> Result<String, ImportError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| ImportError::read(file_name(path), ReadProblem::NotUtf8))
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|source| ExportError::Io {
        path: file_name(path),
        source,
    })
}

/// The UTF-8 byte order mark: written at the start of CSV files so that Excel shows Vietnamese
/// text correctly; skipped when reading.
pub(crate) const BOM: &str = "\u{feff}";

// ---------------------------------------------------------------------------------------------
// Cells and sheets
// ---------------------------------------------------------------------------------------------

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(Date),
    /// A spreadsheet error (`#N/A`, `#VALUE!`) or a value that is no use to us.
    Error(ReadProblem),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// One data row with its row number as a person sees it (1-based).
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// A sheet: a header row and the data rows under it (blank rows dropped).
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    pub name: Option<String>,
    pub header_row: usize,
    pub headers: Vec<String>,
    /// The first row's cells as read (the edition sheet has no header of its own).
    pub header_cells: Vec<Cell>,
    pub rows: Vec<Row>,
}

impl Sheet {
    fn from_rows(name: Option<String>, mut raw: Vec<Row>) -> Sheet {
        if raw.is_empty() {
            return Sheet {
                name,
                header_row: 1,
                headers: Vec::new(),
                header_cells: Vec::new(),
                rows: Vec::new(),
            };
        }
        let header = raw.remove(0);
        let headers = header
            .cells
            .iter()
            .map(|c| match cell_text(c) {
                Ok(Some(t)) => t.trim_start_matches('\u{feff}').trim().to_string(),
                _ => String::new(),
            })
            .collect();
        raw.retain(|r| !r.is_blank());
        Sheet {
            name,
            header_row: header.number,
            headers,
            header_cells: header.cells,
            rows: raw,
        }
    }

    /// All the rows including the first one (for the edition sheet, which has field/value pairs).
    pub(crate) fn all_rows(&self) -> Vec<Row> {
        let mut out = vec![Row {
            number: self.header_row,
            cells: self.header_cells.clone(),
        }];
        out.extend(self.rows.iter().cloned());
        out.retain(|r| !r.is_blank());
        out
    }
}

/// Pick the delimiter of a CSV file from its first line: `,`, `;` (Excel in locales with a
/// decimal comma) or a tab, whichever occurs most outside quotes.
pub(super) fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in first.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    let best = counts
        .iter()
        .max_by_key(|c| c.1)
        .copied()
        .unwrap_or((b',', 0));
    if best.1 == 0 {
        b','
    } else {
        best.0
    }
}

/// The most characters one cell may hold (Excel's own limit), in CSV as in XLSX.
pub const MAX_CELL_CHARS: usize = 32_767;

/// A text cell a person could have typed: no control character but tab, CR and LF, and at
/// most [`MAX_CELL_CHARS`] characters. `row` is 1-based, `col` 0-based.
fn check_text(t: &str, row: usize, col: usize) -> Result<(), ReadProblem> {
    let column = || crate::xlsx_read::column_name(col as u32 + 1);
    if let Some(c) = t
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(ReadProblem::ControlCharacter {
            row,
            column: column(),
            code: c as u32,
        });
    }
    if t.len() > MAX_CELL_CHARS && t.chars().count() > MAX_CELL_CHARS {
        return Err(ReadProblem::CellTooLong {
            row,
            column: column(),
            max: MAX_CELL_CHARS,
        });
    }
    Ok(())
}

fn check_rows(rows: &[Row]) -> Result<(), ReadProblem> {
    for r in rows {
        for (i, c) in r.cells.iter().enumerate() {
            if let Cell::Text(t) = c {
                check_text(t, r.number, i)?;
            }
        }
    }
    Ok(())
}

/// Read CSV text into a sheet. The first record is the header (row 1).
pub(crate) fn csv_sheet(text: &str) -> Result<Sheet, ReadProblem> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| ReadProblem::Csv {
            line: i + 1,
            detail: e.to_string(),
        })?;
        rows.push(Row {
            number: i + 1,
            cells: rec
                .iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        // What our exports guarded against formula injection reads back as written.
                        Cell::Text(restore_formula(s).to_string())
                    }
                })
                .collect(),
        });
    }
    check_rows(&rows)?;
    Ok(Sheet::from_rows(None, rows))
}

fn value_cell(v: &Value) -> Cell {
    match v {
        Value::Empty => Cell::Empty,
        Value::Text(s) => {
            if s.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(restore_formula(s).to_string())
            }
        }
        Value::Number(f) => Cell::Number(*f),
        Value::Bool(b) => Cell::Bool(*b),
        Value::DateTime(dt) => Cell::Date(dt.date()),
        Value::Duration(_) => Cell::Error(ReadProblem::Duration),
        Value::Error(e) => Cell::Error(ReadProblem::CellError {
            code: e.to_string(),
        }),
    }
}

/// Read every worksheet of an XLSX workbook, in order, through the bounded reader
/// ([`crate::xlsx_read`]) held to `limits`; a refusal names the file.
pub(crate) fn xlsx_sheets<RS: Read + Seek>(
    rs: RS,
    limits: XlsxLimits,
    file: &str,
) -> Result<Vec<Sheet>, ImportError> {
    let sheets = read_all(rs, limits).map_err(|e| ImportError::xlsx(file, &e))?;
    let mut out = Vec::with_capacity(sheets.len());
    for (name, rows) in sheets {
        let rows: Vec<Row> = rows
            .into_iter()
            .map(|(n, cells)| Row {
                number: n as usize,
                cells: cells.iter().map(value_cell).collect(),
            })
            .collect();
        check_rows(&rows).map_err(|k| {
            let mut p = Problems {
                list: Vec::new(),
                sheet: Some(name.clone()),
            };
            p.push(None, None, k);
            ImportError::new(file, p.list)
        })?;
        out.push(Sheet::from_rows(Some(name), rows));
    }
    Ok(out)
}

/// Read a tabular file (CSV or XLSX) into its sheets.
pub(crate) fn read_sheets(
    path: &Path,
    format: Format,
    limits: XlsxLimits,
) -> Result<Vec<Sheet>, ImportError> {
    let file = file_name(path);
    match format {
        Format::Csv => {
            let text = read_text(path)?;
            csv_sheet(&text)
                .map(|s| vec![s])
                .map_err(|m| ImportError::read(file, m))
        }
        Format::Xlsx => {
            let bytes = read_bytes(path)?;
            xlsx_sheets(std::io::Cursor::new(bytes), limits, &file)
        }
        Format::Toml | Format::Json => Err(ImportError::read(file, ReadProblem::NotATable)),
    }
}

/// Read an uploaded table (`.csv` or `.xlsx`, by the name's extension) as every import does,
/// held to `limits`: the entry point of the table readers' fuzz target and hostile-file tests.
pub fn read_table_bytes(
    file_name: &str,
    bytes: &[u8],
    limits: XlsxLimits,
) -> Result<usize, ImportError> {
    let sheets = match Format::of(Path::new(file_name)) {
        Some(Format::Csv) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ImportError::read(file_name, ReadProblem::NotUtf8))?;
            vec![csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?]
        }
        Some(Format::Xlsx) => xlsx_sheets(std::io::Cursor::new(bytes), limits, file_name)?,
        _ => {
            return Err(ImportError::read(
                file_name,
                ReadProblem::UnsupportedType {
                    ext: Path::new(file_name)
                        .extension()
                        .and_then(|e| e.to_str())
                        .map(str::to_string),
                    hint: ".csv or .xlsx",
                },
            ))
        }
    };
    Ok(sheets.iter().map(|s| s.rows.len()).sum())
}

/// Fold a header or sheet name for matching: lower case, no diacritics, `_` as a space,
/// whitespace collapsed.
pub(crate) fn fold_key(s: &str) -> String {
    fold(&nfc(s))
        .replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" /", "/")
        .replace("/ ", "/")
}

/// The sheet whose name matches one of `names` (folded), else `None`.
pub(crate) fn find_sheet<'a>(sheets: &'a [Sheet], names: &[&str]) -> Option<&'a Sheet> {
    let wanted: Vec<String> = names.iter().map(|n| fold_key(n)).collect();
    sheets.iter().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| wanted.contains(&fold_key(n)))
    })
}

/// The sheet holding a single table: one with one of `names`, else the first.
pub(crate) fn single_sheet(sheets: Vec<Sheet>, names: &[&str]) -> Option<Sheet> {
    let idx = {
        let wanted: Vec<String> = names.iter().map(|n| fold_key(n)).collect();
        sheets
            .iter()
            .position(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| wanted.contains(&fold_key(n)))
            })
            .unwrap_or(0)
    };
    sheets.into_iter().nth(idx)
}

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

/// Problems found while reading, optionally inside a named sheet of a workbook.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub list: Vec<Problem>,
    /// Set when reading a multi-sheet workbook: messages then start with the sheet's name.
    pub sheet: Option<String>,
}

impl Problems {
    pub(crate) fn push(&mut self, row: Option<usize>, column: Option<&str>, kind: ReadProblem) {
        let message = match &self.sheet {
            Some(s) => format!("sheet '{s}': {kind}"),
            None => kind.to_string(),
        };
        let mut p = Problem::new(
            row,
            column.map(str::to_string),
            message,
            crate::ProblemKind::Read(kind),
        );
        p.sheet = self.sheet.clone();
        self.list.push(p);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// A column with fixed names.
pub(crate) struct Col<K> {
    pub key: K,
    /// The English name (also how the column is written).
    pub en: &'static str,
    /// Vietnamese names, matched without regard to case and diacritics.
    pub vi: &'static [&'static str],
    pub required: bool,
}

impl<K: Clone> Col<K> {
    pub(crate) fn matches(&self, header: &str) -> bool {
        let h = fold_key(header);
        fold_key(self.en) == h || self.vi.iter().any(|v| fold_key(v) == h)
    }

    /// How a missing column is named: `code (Mã)`.
    pub(crate) fn label(&self) -> String {
        match self.vi.first() {
            Some(v) => format!("{} ({v})", self.en),
            None => self.en.to_string(),
        }
    }
}

/// The column among `cols` a header names.
pub(crate) fn match_col<K: Clone>(cols: &[Col<K>], header: &str) -> Option<K> {
    cols.iter()
        .find(|c| c.matches(header))
        .map(|c| c.key.clone())
}

/// Whether a header is a row-number column (`STT`, `No.`, `#`), which is ignored.
pub(crate) fn is_row_number_header(header: &str) -> bool {
    matches!(
        fold_key(header).trim_end_matches('.'),
        "stt" | "no" | "#" | "so thu tu"
    )
}

/// What a header means.
pub(crate) enum Resolved<K> {
    Column(K),
    /// A column read and ignored (a row number).
    Ignore,
    /// Not a known column: why.
    Unknown(ReadProblem),
}

/// The meaning of each column of a sheet.
pub(crate) struct Columns<K> {
    slots: Vec<Option<K>>,
    headers: Vec<String>,
}

impl<K: PartialEq + Clone> Columns<K> {
    pub(crate) fn index(&self, k: &K) -> Option<usize> {
        self.slots.iter().position(|s| s.as_ref() == Some(k))
    }

    pub(crate) fn has(&self, k: &K) -> bool {
        self.index(k).is_some()
    }

    /// The header of a column as written in the file.
    pub(crate) fn header(&self, k: &K) -> Option<&str> {
        self.index(k).map(|i| self.headers[i].as_str())
    }

    /// The keys of the columns present, in file order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.slots.iter().flatten()
    }

    /// The cell of column `k` in `row`: `None` when the file has no such column.
    pub(crate) fn cell<'r>(&self, row: &'r Row, k: &K) -> Option<&'r Cell> {
        static EMPTY: Cell = Cell::Empty;
        self.index(k).map(|i| row.cells.get(i).unwrap_or(&EMPTY))
    }
}

/// Match a sheet's headers. Unknown headers, columns given twice, data under an empty header
/// and missing required columns are problems on the header row.
pub(crate) fn resolve_columns<K: PartialEq + Clone>(
    sheet: &Sheet,
    resolve: impl Fn(&str) -> Resolved<K>,
    required: &[(K, String)],
    p: &mut Problems,
) -> Columns<K> {
    let hr = Some(sheet.header_row);
    let mut slots: Vec<Option<K>> = Vec::with_capacity(sheet.headers.len());
    for (i, h) in sheet.headers.iter().enumerate() {
        if h.is_empty() {
            let used = sheet
                .rows
                .iter()
                .any(|r| r.cells.get(i).is_some_and(|c| !c.is_blank()));
            if used {
                p.push(hr, None, ReadProblem::Unlabelled { index: i + 1 });
            }
            slots.push(None);
            continue;
        }
        match resolve(h) {
            Resolved::Column(k) => {
                if let Some(j) = slots.iter().position(|s| s.as_ref() == Some(&k)) {
                    p.push(
                        hr,
                        Some(h),
                        ReadProblem::ColumnTwice {
                            first: sheet.headers[j].clone(),
                            second: h.clone(),
                        },
                    );
                    slots.push(None);
                } else {
                    slots.push(Some(k));
                }
            }
            Resolved::Ignore => slots.push(None),
            Resolved::Unknown(m) => {
                p.push(hr, Some(h), m);
                slots.push(None);
            }
        }
    }
    if sheet.headers.iter().all(|h| h.is_empty()) {
        p.push(hr, None, ReadProblem::NoHeader);
    } else {
        for (k, label) in required {
            if !slots.iter().any(|s| s.as_ref() == Some(k)) {
                p.push(
                    hr,
                    None,
                    ReadProblem::MissingColumn {
                        label: label.clone(),
                    },
                );
            }
        }
    }
    Columns {
        slots,
        headers: sheet.headers.clone(),
    }
}

/// Resolve headers against fixed columns only.
pub(crate) fn resolve_fixed<K: PartialEq + Clone>(
    sheet: &Sheet,
    cols: &[Col<K>],
    p: &mut Problems,
) -> Columns<K> {
    let required: Vec<(K, String)> = cols
        .iter()
        .filter(|c| c.required)
        .map(|c| (c.key.clone(), c.label()))
        .collect();
    resolve_columns(
        sheet,
        |h| match match_col(cols, h) {
            Some(k) => Resolved::Column(k),
            None if is_row_number_header(h) => Resolved::Ignore,
            None => Resolved::Unknown(ReadProblem::UnknownColumn { header: h.into() }),
        },
        &required,
        p,
    )
}

#[cfg(test)]
mod tests;
