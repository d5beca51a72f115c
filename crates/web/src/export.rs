//! Exports: page tables downloaded as .xlsx (every table a user reads has one) and the content
//! types of the files the application sends. The sheets are written by the workspace's one sheet
//! writer, [`parindex_interchange::sheet`] (shared with the data files and the Chairman's
//! report); the file goes out through the one download, [`crate::download::attachment`].

use crate::download::attachment;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use axum::response::Response;
pub use parindex_interchange::sheet::{Cell, Sheet, XLSX_TYPE};

// ----- spreadsheets and downloads

/// A sheet named and headed from the catalogue: bold, frozen header row, automatic widths.
pub fn sheet(lang: Lang, name_key: &str, header_keys: &[&str]) -> Sheet {
    Sheet::new(
        i18n::t(lang, name_key),
        header_keys
            .iter()
            .map(|k| i18n::t(lang, k).to_string())
            .collect(),
    )
}

pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const TOML_TYPE: &str = "application/toml; charset=utf-8";

/// The sheets as a downloaded .xlsx file.
pub fn xlsx_response(file_stem: &str, sheets: &[Sheet]) -> Result<Response, PageError> {
    let bytes = parindex_interchange::sheet::xlsx_bytes(sheets).map_err(|e| {
        tracing::error!(error = %e, "cannot write a spreadsheet");
        PageError::Internal
    })?;
    Ok(attachment(XLSX_TYPE, &format!("{file_stem}.xlsx"), bytes))
}

/// A file name safe to keep and to send back; never empty.
pub fn safe_file_name(name: &str) -> String {
    crate::download::attachment_name(name, "tep-dinh-kem")
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
    }
}
