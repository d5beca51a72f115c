//! Writing tables back out: CSV text and XLSX sheets.

use super::*;
use crate::error::ExportError;
use crate::sheet::{safe, Cell, Sheet};
use jiff::civil::Date;
use rust_decimal::Decimal;
use std::path::Path;

/// One cell to write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Empty,
    Text(String),
    Dec(Decimal),
    Int(i64),
    Bool(bool),
    Date(Date),
}

impl Out {
    pub(crate) fn opt_text(s: &Option<String>) -> Out {
        match s {
            Some(t) => Out::Text(t.clone()),
            None => Out::Empty,
        }
    }

    pub(crate) fn opt_dec(d: Option<Decimal>) -> Out {
        d.map(Out::Dec).unwrap_or(Out::Empty)
    }

    pub(crate) fn opt_int(i: Option<u32>) -> Out {
        i.map(|v| Out::Int(i64::from(v))).unwrap_or(Out::Empty)
    }

    fn text(&self) -> String {
        match self {
            Out::Empty => String::new(),
            Out::Text(t) => t.clone(),
            Out::Dec(d) => d.to_string(),
            Out::Int(i) => i.to_string(),
            Out::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Out::Date(d) => d.to_string(),
        }
    }
}

/// A table to write: a header and rows.
#[derive(Debug, Clone)]
pub(crate) struct OutTable {
    pub sheet: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Out>>,
    /// Write the first row in bold (a header); the edition sheet's field/value pairs too.
    pub bold_header: bool,
}

impl OutTable {
    pub(crate) fn new(sheet: &str, headers: Vec<String>) -> OutTable {
        OutTable {
            sheet: sheet.to_string(),
            headers,
            rows: Vec::new(),
            bold_header: true,
        }
    }
}

/// The table as CSV text (comma-separated, `\n` line ends, no byte order mark). Every cell goes
/// through [`neutralise_formula`](parindex_domain::text::neutralise_formula): a title `=HYPERLINK(…)` is written `'=HYPERLINK(…)`.
pub(crate) fn csv_string(t: &OutTable) -> Result<String, ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(t.headers.iter().map(|h| safe(h)))?;
    for r in &t.rows {
        w.write_record(r.iter().map(|c| safe(&c.text())))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))?;
    String::from_utf8(bytes).map_err(|e| {
        ExportError::Csv(csv::Error::from(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e,
        )))
    })
}

/// Write CSV text to a file, with a byte order mark so that Excel reads it as UTF-8.
pub(crate) fn write_csv_file(path: &Path, text: &str) -> Result<(), ExportError> {
    let mut s = String::with_capacity(text.len() + 3);
    s.push_str(BOM);
    s.push_str(text);
    write_file(path, s.as_bytes())
}

impl Out {
    /// The cell as the shared sheet writer writes it. Dates stay ISO text (`2021-08-15`), as
    /// the data files have always held them and every importer reads them.
    fn cell(&self) -> Cell {
        match self {
            Out::Empty => Cell::Empty,
            Out::Text(t) => Cell::Text(t.clone()),
            Out::Dec(d) => Cell::Dec(*d),
            Out::Int(i) => Cell::Int(*i),
            Out::Bool(b) => Cell::Bool(*b),
            Out::Date(d) => Cell::Text(d.to_string()),
        }
    }
}

impl OutTable {
    /// The table as a sheet of the shared writer ([`crate::sheet`]).
    fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(self.sheet.clone(), self.headers.clone());
        s.bold_header = self.bold_header;
        s.rows = self
            .rows
            .iter()
            .map(|r| r.iter().map(Out::cell).collect())
            .collect();
        s
    }
}

/// A workbook of the given tables, as bytes.
pub(crate) fn xlsx_bytes(tables: &[OutTable]) -> Result<Vec<u8>, ExportError> {
    let sheets: Vec<Sheet> = tables.iter().map(OutTable::sheet).collect();
    Ok(crate::sheet::xlsx_bytes(&sheets)?)
}
