//! Exports: sheets written as .xlsx (every table a user reads has one), the content types of
//! the files the application sends, and the one `attachment` download.

use crate::error::PageError;
use crate::i18n::{self, Lang};
use axum::response::Response;
use parindex_domain::text::neutralise_formula;
use std::collections::BTreeSet;

// ----- spreadsheets and downloads

/// One cell of an exported sheet.
pub enum Cell {
    Text(String),
    Num(f64),
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
        Cell::Num(n as f64)
    }
}
impl From<u8> for Cell {
    fn from(n: u8) -> Cell {
        Cell::Num(f64::from(n))
    }
}

/// One worksheet: a header row and the rows.
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(lang: Lang, name_key: &str, header_keys: &[&str]) -> Sheet {
        Sheet {
            name: i18n::t(lang, name_key).to_string(),
            headers: header_keys
                .iter()
                .map(|k| i18n::t(lang, k).to_string())
                .collect(),
            rows: Vec::new(),
        }
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> PageError {
    tracing::error!(error = %e, "cannot write a spreadsheet");
    PageError::Internal
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
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

/// The sheets as an .xlsx workbook: bold, frozen header row; counts as numbers.
pub fn xlsx_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, PageError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let mut taken = BTreeSet::new();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.name, &mut taken))
            .map_err(xlsx_error)?;
        for (c, h) in s.headers.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, neutralise_formula(h), &bold)
                .map_err(xlsx_error)?;
            let widest = s
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|cell| match cell {
                    Cell::Text(t) => t.chars().count(),
                    Cell::Num(_) => 6,
                })
                .max()
                .unwrap_or(0)
                .max(h.chars().count());
            ws.set_column_width(col, (widest as f64 + 2.0).clamp(8.0, 60.0))
                .map_err(xlsx_error)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        for (r, row) in s.rows.iter().enumerate() {
            let rn = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        // Never a formula: `write_string`, and the one rule of every export.
                        ws.write_string(rn, col, neutralise_formula(t))
                            .map_err(xlsx_error)?;
                    }
                    Cell::Num(n) => {
                        ws.write_number(rn, col, *n).map_err(xlsx_error)?;
                    }
                }
            }
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const TOML_TYPE: &str = "application/toml; charset=utf-8";

/// The sheets as a downloaded .xlsx file.
pub fn xlsx_response(file_stem: &str, sheets: &[Sheet]) -> Result<Response, PageError> {
    let bytes = xlsx_bytes(sheets)?;
    Ok(download(XLSX_TYPE, &format!("{file_stem}.xlsx"), bytes))
}

/// A file name safe to keep and to send back; never empty.
pub fn safe_file_name(name: &str) -> String {
    crate::download::attachment_name(name, "tep-dinh-kem")
}

/// `attachment` download with an ASCII fallback name and the UTF-8 name.
pub fn download(content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    crate::download::attachment(content_type, file_name, body)
}

/// The content type of a file from its extension: the usual office, image and archive types;
/// anything else is opaque bytes (never HTML, never script).
pub fn content_type_of(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => XLSX_TYPE,
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "rar" => "application/vnd.rar",
        "7z" => "application/x-7z-compressed",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_types_are_safe() {
        assert_eq!(safe_file_name("C:\\x\\bao cao \"7\".pdf"), "bao cao 7.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..."), "tep-dinh-kem");
        assert_eq!(content_type_of("Báo cáo.PDF"), "application/pdf");
        assert_eq!(content_type_of("x.html"), "application/octet-stream");
        let mut taken = BTreeSet::new();
        assert_eq!(sheet_name("Nhiệm vụ", &mut taken), "Nhiệm vụ");
        assert_eq!(sheet_name("nhiệm vụ", &mut taken), "nhiệm vụ 2");
    }
}
