//! Writing tables back out: CSV text and XLSX sheets.

use super::*;
use crate::error::ExportError;
use jiff::civil::Date;
use parindex_domain::text::neutralise_formula;
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

/// A cell's text as written to a file: text a spreadsheet could read as a formula gets its
/// guarding apostrophe ([`neutralise_formula`], the one rule of every export).
fn safe(s: &str) -> String {
    neutralise_formula(s).into_owned()
}

/// The table as CSV text (comma-separated, `\n` line ends, no byte order mark). Every cell goes
/// through [`neutralise_formula`]: a title `=HYPERLINK(…)` is written `'=HYPERLINK(…)`.
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

fn width_of(o: &Out) -> usize {
    o.text().chars().count()
}

/// Add a table as a worksheet: bold header, sensible column widths, header row frozen. Text is
/// written as strings (never formulas) and, as in CSV, through [`neutralise_formula`].
fn add_sheet(wb: &mut rust_xlsxwriter::Workbook, t: &OutTable) -> Result<(), ExportError> {
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(&t.sheet)?;
    for (c, h) in t.headers.iter().enumerate() {
        let col = c as u16;
        if t.bold_header {
            ws.write_string_with_format(0, col, safe(h), &bold)?;
        } else {
            ws.write_string(0, col, safe(h))?;
        }
        let widest = t
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(width_of)
            .max()
            .unwrap_or(0)
            .max(h.chars().count());
        ws.set_column_width(col, (widest as f64 + 2.0).clamp(8.0, 60.0))?;
    }
    if t.bold_header {
        ws.set_freeze_panes(1, 0)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let rn = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Out::Empty => {}
                Out::Text(s) => {
                    ws.write_string(rn, col, safe(s))?;
                }
                Out::Dec(d) => match decimal_to_f64(*d) {
                    Some(f) => {
                        ws.write_number(rn, col, f)?;
                    }
                    // No f64 reads back as exactly this decimal: keep it as text.
                    None => {
                        ws.write_string(rn, col, safe(&d.to_string()))?;
                    }
                },
                Out::Int(i) => {
                    ws.write_number(rn, col, *i as f64)?;
                }
                Out::Bool(b) => {
                    ws.write_boolean(rn, col, *b)?;
                }
                Out::Date(d) => {
                    ws.write_string(rn, col, safe(&d.to_string()))?;
                }
            }
        }
    }
    Ok(())
}

/// A workbook of the given tables, as bytes.
pub(crate) fn xlsx_bytes(tables: &[OutTable]) -> Result<Vec<u8>, ExportError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for t in tables {
        add_sheet(&mut wb, t)?;
    }
    Ok(wb.save_to_buffer()?)
}
