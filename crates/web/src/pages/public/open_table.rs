//! A public table, defined once and written four ways: the page's HTML table (figures in the
//! reader's language: `85,58`), CSV (the csv crate; machine column names, exact decimals with a
//! point), JSON (decimals as exact strings) and XLSX (the one sheet writer,
//! `interchange::sheet`, headers from the catalogue). Text cells are guarded against formulas.

use super::{answer, Format};
use crate::error::PageError;
use crate::export::{Cell, Sheet, CSV_TYPE, JSON_TYPE, XLSX_TYPE};
use crate::i18n::{self, Lang};
use axum::http::HeaderMap;
use axum::response::Response;

/// How a column's figures are written on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Points,
    Pct,
    Count,
    Date,
}

/// A column: its machine name (CSV header, JSON key) and its catalogue key (page, XLSX).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub id: &'static str,
    pub key: &'static str,
    pub kind: Kind,
}

pub const fn col(id: &'static str, key: &'static str, kind: Kind) -> Column {
    Column { id, key, kind }
}

/// The table: a file stem, a sheet name key, its columns and rows of cells (one per column),
/// and, per row, an optional link for its first cell on the page.
pub struct OpenTable {
    pub id: &'static str,
    pub file: String,
    pub sheet_key: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub links: Vec<Option<String>>,
}

/// The table as the page shows it.
pub struct HtmlTable {
    pub id: &'static str,
    pub headers: Vec<(String, bool)>,
    /// (text, numeric, link)
    pub rows: Vec<Vec<(String, bool, Option<String>)>>,
}

fn shown(lang: Lang, kind: Kind, c: &Cell) -> String {
    match (c, kind) {
        (Cell::Empty, _) => "—".into(),
        (Cell::Dec(d), Kind::Pct) => i18n::pct(lang, *d),
        (Cell::Dec(d), _) => i18n::num(lang, *d),
        (Cell::Int(n), _) => i18n::count(lang, usize::try_from(*n).unwrap_or(0)),
        (Cell::Date(d), _) => crate::dates::date(*d),
        (Cell::Text(s) | Cell::Wrapped(s), _) => s.clone(),
        (Cell::Bool(b), _) => b.to_string(),
    }
}

fn raw(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Dec(d) => d.normalize().to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Text(s) | Cell::Wrapped(s) => parindex_interchange::sheet::safe(s),
        Cell::Bool(b) => b.to_string(),
    }
}

fn json_value(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Empty => serde_json::Value::Null,
        Cell::Int(n) => serde_json::Value::from(*n),
        Cell::Bool(b) => serde_json::Value::from(*b),
        Cell::Dec(d) => serde_json::Value::from(d.normalize().to_string()),
        Cell::Date(d) => serde_json::Value::from(d.to_string()),
        Cell::Text(s) | Cell::Wrapped(s) => serde_json::Value::from(s.clone()),
    }
}

impl OpenTable {
    pub fn html(&self, lang: Lang) -> HtmlTable {
        HtmlTable {
            id: self.id,
            headers: self
                .columns
                .iter()
                .map(|c| (i18n::t(lang, c.key).to_string(), c.kind != Kind::Text))
                .collect(),
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    self.columns
                        .iter()
                        .zip(r)
                        .enumerate()
                        .map(|(j, (c, cell))| {
                            let link = if j == 0 {
                                self.links.get(i).cloned().flatten()
                            } else {
                                None
                            };
                            (shown(lang, c.kind, cell), c.kind != Kind::Text, link)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    fn csv(&self) -> Result<Vec<u8>, PageError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| {
            tracing::error!(error = %e, "cannot write a CSV table");
            PageError::Internal
        };
        w.write_record(self.columns.iter().map(|c| c.id))
            .map_err(fail)?;
        for r in &self.rows {
            w.write_record(r.iter().map(raw)).map_err(fail)?;
        }
        w.into_inner().map_err(|e| {
            tracing::error!(error = %e, "cannot write a CSV table");
            PageError::Internal
        })
    }

    fn json(&self, lang: Lang, title: &str) -> Result<Vec<u8>, PageError> {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|r| {
                self.columns
                    .iter()
                    .zip(r)
                    .map(|(c, cell)| (c.id.to_string(), json_value(cell)))
                    .collect()
            })
            .collect();
        let doc = serde_json::json!({
            "title": title,
            "lang": lang.code(),
            "columns": self.columns.iter().map(|c| serde_json::json!({
                "id": c.id, "label": i18n::t(lang, c.key)
            })).collect::<Vec<_>>(),
            "rows": rows,
        });
        serde_json::to_vec_pretty(&doc).map_err(|e| {
            tracing::error!(error = %e, "cannot write a JSON table");
            PageError::Internal
        })
    }

    fn xlsx(&self, lang: Lang) -> Result<Vec<u8>, PageError> {
        let mut s = Sheet::new(
            i18n::t(lang, self.sheet_key),
            self.columns
                .iter()
                .map(|c| i18n::t(lang, c.key).to_string())
                .collect(),
        );
        s.rows = self.rows.clone();
        parindex_interchange::sheet::xlsx_bytes(&[s]).map_err(|e| {
            tracing::error!(error = %e, "cannot write a spreadsheet");
            PageError::Internal
        })
    }

    /// The table downloaded in `format`, as a cached public answer.
    pub fn download(
        &self,
        req: &HeaderMap,
        lang: Lang,
        format: Format,
        title: &str,
        modified: Option<jiff::Timestamp>,
    ) -> Result<Response, PageError> {
        let (ty, ext, body) = match format {
            Format::Csv => (CSV_TYPE, "csv", self.csv()?),
            Format::Json => (JSON_TYPE, "json", self.json(lang, title)?),
            Format::Xlsx => (XLSX_TYPE, "xlsx", self.xlsx(lang)?),
        };
        let name = format!("{}.{ext}", self.file);
        Ok(answer(req, ty, Some(&name), body, modified))
    }
}
