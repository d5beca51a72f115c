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

/// `?export=xlsx`: a page's table asked for as a spreadsheet — the one convention of the page
/// exports (the page's own address, its own handler, so its filters, its route policy and its
/// row authorisation apply as they do to the page). Any other value is refused.
pub fn wants_xlsx(export: Option<&str>) -> Result<bool, PageError> {
    match export.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(false),
        Some("xlsx") => Ok(true),
        Some(other) => Err(PageError::refused(
            "export",
            parindex_store::RefusalKind::NotOneOf {
                value: other.to_string(),
                allowed: &["xlsx"],
            },
        )),
    }
}

/// The export link of the page at `uri`: its own address and filters, without the page number
/// or a notice, with `export=xlsx` (every row the filters keep, not one page of them).
pub fn export_href(uri: &axum::http::Uri) -> String {
    let pairs: Vec<(String, String)> = uri
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let mut kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "page" | "export" | "done" | "saved" | "imported" | "import"
            )
        })
        .collect();
    kept.push(("export".into(), "xlsx".into()));
    format!(
        "{}?{}",
        uri.path(),
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    )
}

/// A sheet whose header row is `headers` (the texts of the page's table header) and whose rows
/// are `rows`, named from the catalogue.
pub fn table_sheet(
    lang: Lang,
    name_key: &str,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
) -> Sheet {
    let mut s = Sheet::new(i18n::t(lang, name_key), headers);
    s.rows = rows;
    s
}

/// The texts of message keys, in order: a table's header row.
pub fn texts(lang: Lang, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| i18n::t(lang, k).to_string()).collect()
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

    #[test]
    fn the_export_link_keeps_the_filters_and_drops_the_page() {
        let uri: axum::http::Uri = "/audit?actor=sonoivu&from=01%2F08%2F2021&page=3"
            .parse()
            .unwrap();
        assert_eq!(
            export_href(&uri),
            "/audit?actor=sonoivu&from=01%2F08%2F2021&export=xlsx"
        );
        let bare: axum::http::Uri = "/rankings/r1".parse().unwrap();
        assert_eq!(export_href(&bare), "/rankings/r1?export=xlsx");
        assert_eq!(wants_xlsx(None).ok(), Some(false));
        assert_eq!(wants_xlsx(Some("xlsx")).ok(), Some(true));
        assert!(wants_xlsx(Some("pdf")).is_err());
    }
}
