//! The one XLSX sheet writer of the workspace: every table a user downloads as a spreadsheet —
//! the data files of this crate, the Chairman's report workbook (`parindex-reports`) and the page
//! exports of the web — is written here, so that they all follow the same rules:
//!
//! - a header row in bold, frozen (and, on request, repeated on every printed page);
//! - column widths from the content (clamped to 8–60 characters) or given by the caller;
//! - text always written as a string, never a formula, through [`neutralise_formula`];
//! - decimals as numbers only when a number reads back as exactly the same decimal, else text;
//! - dates as real dates shown `dd/mm/yyyy`;
//! - sheet names Excel accepts (at most 31 characters, none of `[]:*?/\`, unique).
//!
//! Forms laid out cell by cell (the self-assessment template) use the cell functions
//! ([`write_decimal`], [`safe`]) for the same rules.

use crate::table::decimal_to_f64;
use jiff::civil::Date;
use parindex_domain::text::neutralise_formula;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::collections::BTreeSet;

/// The content type of an .xlsx file.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The number format of date cells.
pub const DATE_FORMAT: &str = "dd/mm/yyyy";
/// How a decimal cell is shown: 2 decimals, as every page shows points and percentages
/// (`parindex_domain::figures`); the cell holds the exact number.
pub const DECIMAL_FORMAT: &str = "0.00";

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// Long text, wrapped in its cell.
    Wrapped(String),
    Dec(Decimal),
    Int(i64),
    Bool(bool),
    /// A real date, shown `dd/mm/yyyy`.
    Date(Date),
}

impl Cell {
    /// The width of the cell's content in characters, for automatic column widths.
    fn width(&self) -> usize {
        match self {
            Cell::Empty => 0,
            Cell::Text(t) | Cell::Wrapped(t) => t.chars().count(),
            Cell::Dec(d) => d.to_string().chars().count(),
            Cell::Int(i) => i.to_string().chars().count(),
            Cell::Bool(_) => 5,
            Cell::Date(_) => 10,
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<usize> for Cell {
    fn from(n: usize) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u8> for Cell {
    fn from(n: u8) -> Cell {
        Cell::Int(i64::from(n))
    }
}
impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Int(i64::from(n))
    }
}
impl From<i32> for Cell {
    fn from(n: i32) -> Cell {
        Cell::Int(i64::from(n))
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}
impl From<Decimal> for Cell {
    fn from(d: Decimal) -> Cell {
        Cell::Dec(d)
    }
}
impl From<Date> for Cell {
    fn from(d: Date) -> Cell {
        Cell::Date(d)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Cell {
        o.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// One worksheet: lines above the table (the first a title), a header row and the rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    /// Lines written above the table, then one blank row: the first in large bold type.
    pub preamble: Vec<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Column widths in characters; automatic (from the content) for columns not given.
    pub widths: Vec<f64>,
    /// The first row is a header: bold and frozen. Off for field/value sheets.
    pub bold_header: bool,
    /// Printed, the header row repeats at the top of every page.
    pub repeat_header: bool,
}

impl Sheet {
    /// A sheet with a bold, frozen header, automatic widths and no preamble.
    pub fn new(name: impl Into<String>, headers: Vec<String>) -> Sheet {
        Sheet {
            name: name.into(),
            preamble: Vec::new(),
            headers,
            rows: Vec::new(),
            widths: Vec::new(),
            bold_header: true,
            repeat_header: false,
        }
    }

    /// A sheet whose header row gives each column's width: `[("Hạn", 12.0), …]`.
    pub fn with_columns(name: impl Into<String>, columns: &[(&str, f64)]) -> Sheet {
        let mut s = Sheet::new(name, columns.iter().map(|(h, _)| h.to_string()).collect());
        s.widths = columns.iter().map(|(_, w)| *w).collect();
        s
    }

    /// The row (0-based) the header is written on: after the preamble and one blank row.
    pub fn header_row(&self) -> u32 {
        if self.preamble.is_empty() {
            0
        } else {
            u32::try_from(self.preamble.len() + 1).unwrap_or(u32::MAX)
        }
    }

    /// The automatic width of column `c`: its widest cell or header, plus 2, within 8–60.
    fn auto_width(&self, c: usize) -> f64 {
        let widest = self
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(Cell::width)
            .max()
            .unwrap_or(0)
            .max(self.headers.get(c).map_or(0, |h| h.chars().count()));
        (widest as f64 + 2.0).clamp(8.0, 60.0)
    }
}

/// A cell's text as written to a file: text a spreadsheet could read as a formula gets its
/// guarding apostrophe ([`neutralise_formula`], the one rule of every export).
pub fn safe(s: &str) -> String {
    neutralise_formula(s).into_owned()
}

/// Write a decimal: a number when one reads back as exactly this decimal, else its text.
pub fn write_decimal(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    d: Decimal,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match (decimal_to_f64(d), format) {
        (Some(f), Some(fmt)) => ws.write_number_with_format(row, col, f, fmt)?,
        (Some(f), None) => ws.write_number(row, col, f)?,
        (None, Some(fmt)) => ws.write_string_with_format(row, col, safe(&d.to_string()), fmt)?,
        (None, None) => ws.write_string(row, col, safe(&d.to_string()))?,
    };
    Ok(())
}

/// The formats a sheet is written with.
struct Formats {
    bold: Format,
    title: Format,
    date: Format,
    wrap: Format,
    dec: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(14),
            date: Format::new().set_num_format(DATE_FORMAT),
            wrap: Format::new().set_text_wrap(),
            dec: Format::new().set_num_format(DECIMAL_FORMAT),
        }
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) if s.is_empty() => {}
        Cell::Wrapped(s) if s.is_empty() => {}
        Cell::Text(s) => {
            ws.write_string(row, col, safe(s))?;
        }
        Cell::Wrapped(s) => {
            ws.write_string_with_format(row, col, safe(s), &f.wrap)?;
        }
        Cell::Dec(d) => write_decimal(ws, row, col, *d, Some(&f.dec))?,
        Cell::Int(i) => {
            ws.write_number(row, col, *i as f64)?;
        }
        Cell::Bool(b) => {
            ws.write_boolean(row, col, *b)?;
        }
        Cell::Date(d) => {
            let x = ExcelDateTime::from_ymd(
                u16::try_from(d.year()).unwrap_or(1900),
                d.month().unsigned_abs(),
                d.day().unsigned_abs(),
            )?;
            ws.write_datetime_with_format(row, col, &x, &f.date)?;
        }
    }
    Ok(())
}

/// A sheet name Excel accepts: a valid name not yet taken is kept; otherwise `[]:*?/\` become
/// `-`, the name is cut to 28 characters and numbered (" 2", " 3", …) until unique.
pub fn sheet_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let valid = !name.trim().is_empty()
        && name.chars().count() <= 31
        && !name
            .chars()
            .any(|c| matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        && !name.starts_with('\'')
        && !name.ends_with('\'');
    if valid && taken.insert(name.to_lowercase()) {
        return name.to_string();
    }
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\'') {
                '-'
            } else {
                c
            }
        })
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let mut candidate = clean.clone();
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{clean} {n}");
        n += 1;
    }
    candidate
}

/// Add a sheet to a workbook under the name [`sheet_name`] gives it.
pub fn add_sheet(
    wb: &mut Workbook,
    s: &Sheet,
    taken: &mut BTreeSet<String>,
) -> Result<(), XlsxError> {
    let f = Formats::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(&s.name, taken))?;
    for (i, line) in s.preamble.iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(u32::MAX);
        if i == 0 {
            ws.write_string_with_format(row, 0, safe(line), &f.title)?;
        } else if !line.is_empty() {
            ws.write_string(row, 0, safe(line))?;
        }
    }
    let head = s.header_row();
    for (c, h) in s.headers.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        if s.bold_header {
            ws.write_string_with_format(head, col, safe(h), &f.bold)?;
        } else {
            ws.write_string(head, col, safe(h))?;
        }
        let width = s.widths.get(c).copied().unwrap_or_else(|| s.auto_width(c));
        ws.set_column_width(col, width)?;
    }
    if s.bold_header {
        ws.set_freeze_panes(head + 1, 0)?;
    }
    if s.repeat_header {
        ws.set_repeat_rows(head, head)?;
    }
    for (r, row) in s.rows.iter().enumerate() {
        let rn = head + 1 + u32::try_from(r).unwrap_or(u32::MAX - head - 1);
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, rn, u16::try_from(c).unwrap_or(u16::MAX), cell, &f)?;
        }
    }
    Ok(())
}

/// The sheets as an .xlsx workbook, as bytes.
pub fn xlsx_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let mut taken = BTreeSet::new();
    for s in sheets {
        add_sheet(&mut wb, s, &mut taken)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests;
