//! Subjects compared nationally (provinces) in and out: slug and names.
//!
//! Readers: CSV, XLSX (the `Subjects` sheet, else the first), JSON. An empty slug is derived from
//! the Vietnamese name; malformed and duplicate slugs are problems. Writers: CSV, XLSX, JSON.

use crate::error::{json_syntax, ExportError, ImportError, Problem, ReadProblem};
use crate::table::{self, cell_text, Col, Format, Out, OutTable, Problems, RowReader, Sheet};
use parindex_domain::text::{is_slug, nfc, slugify};
use parindex_domain::Subject;
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// Sheet names tried for subjects in a workbook (else the first sheet is read).
pub const SUBJECTS_SHEET: &[&str] = &["Subjects", "Tỉnh", "Danh sách"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SCol {
    Slug,
    NameVi,
    NameEn,
}

const COLS: &[Col<SCol>] = &[
    Col {
        key: SCol::Slug,
        en: "slug",
        vi: &["Mã"],
        required: true,
    },
    Col {
        key: SCol::NameVi,
        en: "name_vi",
        vi: &["Tên"],
        required: true,
    },
    Col {
        key: SCol::NameEn,
        en: "name_en",
        vi: &["Tên tiếng Anh"],
        required: false,
    },
];

/// Problems with one subject: (field, problem).
fn check(s: &Subject) -> Vec<(SCol, ReadProblem)> {
    let mut out = Vec::new();
    if !is_slug(&s.slug) {
        out.push((
            SCol::Slug,
            ReadProblem::NotASlug {
                value: s.slug.clone(),
                hint: None,
            },
        ));
    }
    if s.name_vi.is_empty() {
        out.push((SCol::NameVi, ReadProblem::Empty));
    }
    out
}

fn subjects_from_sheet(sheet: &Sheet, file: &str) -> Result<Vec<Subject>, ImportError> {
    let mut p = Problems::default();
    let cols = table::resolve_fixed(sheet, COLS, &mut p);
    let mut out = Vec::new();
    let mut first_row: BTreeMap<String, usize> = BTreeMap::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, &mut p);
        let slug = r.text(&SCol::Slug);
        let name_vi = r.req(&SCol::NameVi, cell_text);
        let name_en = r.text(&SCol::NameEn);
        let Some(name_vi) = name_vi else { continue };
        let s = Subject {
            slug: slug.unwrap_or_else(|| slugify(&name_vi)),
            name_vi,
            name_en,
        };
        for (k, m) in check(&s) {
            r.problem(&k, m);
        }
        if let Some(first) = first_row.get(&s.slug) {
            r.problem(
                &SCol::Slug,
                ReadProblem::DuplicateSlug {
                    slug: s.slug.clone(),
                    first_row: Some(*first),
                },
            );
        } else {
            first_row.insert(s.slug.clone(), row.number);
        }
        out.push(s);
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file, p.list))
    }
}

/// Read subjects from CSV text.
pub fn subjects_from_csv(text: &str, file_name: &str) -> Result<Vec<Subject>, ImportError> {
    let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?;
    subjects_from_sheet(&sheet, file_name)
}

/// Read subjects from an XLSX workbook: the `Subjects` sheet, else the first sheet.
pub fn subjects_from_xlsx<RS: Read + Seek>(
    rs: RS,
    file_name: &str,
) -> Result<Vec<Subject>, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::TABLE, file_name)?;
    let sheet = table::single_sheet(sheets, SUBJECTS_SHEET)
        .ok_or_else(|| ImportError::read(file_name, ReadProblem::NoSheets))?;
    subjects_from_sheet(&sheet, file_name)
}

/// Read subjects from JSON (an array in their serde form).
pub fn subjects_from_json(text: &str, file_name: &str) -> Result<Vec<Subject>, ImportError> {
    let mut list: Vec<Subject> =
        serde_json::from_str(text).map_err(|e| ImportError::read(file_name, json_syntax(&e)))?;
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in list.iter_mut().enumerate() {
        s.slug = s.slug.trim().to_string();
        s.name_vi = nfc(&s.name_vi);
        s.name_en = s.name_en.as_deref().map(nfc).filter(|t| !t.is_empty());
        for (k, m) in check(s) {
            let field = if k == SCol::Slug { "slug" } else { "name_vi" };
            problems.push(Problem::read(None, Some(format!("[{i}].{field}")), m));
        }
        if !seen.insert(s.slug.clone()) {
            problems.push(Problem::read(
                None,
                Some(format!("[{i}].slug")),
                ReadProblem::DuplicateSlug {
                    slug: s.slug.clone(),
                    first_row: None,
                },
            ));
        }
    }
    if problems.is_empty() {
        Ok(list)
    } else {
        Err(ImportError::new(file_name, problems))
    }
}

/// Read subjects from a `.csv`, `.xlsx` or `.json` file.
pub fn read_subjects(path: &Path) -> Result<Vec<Subject>, ImportError> {
    let file = table::file_name(path);
    match table::format_for(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => subjects_from_csv(&table::read_text(path)?, &file),
        Format::Json => subjects_from_json(&table::read_text(path)?, &file),
        _ => subjects_from_xlsx(std::io::Cursor::new(table::read_bytes(path)?), &file),
    }
}

fn subjects_table(list: &[Subject]) -> OutTable {
    let mut t = OutTable::new(
        SUBJECTS_SHEET[0],
        COLS.iter().map(|c| c.en.to_string()).collect(),
    );
    for s in list {
        t.rows.push(vec![
            Out::Text(s.slug.clone()),
            Out::Text(s.name_vi.clone()),
            Out::opt_text(&s.name_en),
        ]);
    }
    t
}

/// Subjects as CSV text (`slug,name_vi,name_en`).
pub fn subjects_to_csv(list: &[Subject]) -> Result<String, ExportError> {
    table::csv_string(&subjects_table(list))
}

/// Subjects as an XLSX workbook (one sheet, `Subjects`), as bytes.
pub fn subjects_to_xlsx(list: &[Subject]) -> Result<Vec<u8>, ExportError> {
    table::xlsx_bytes(&[subjects_table(list)])
}

/// Subjects as pretty-printed JSON.
pub fn subjects_to_json(list: &[Subject]) -> Result<String, ExportError> {
    Ok(serde_json::to_string_pretty(list)?)
}

/// Write subjects to a `.csv`, `.xlsx` or `.json` file.
pub fn write_subjects(path: &Path, list: &[Subject]) -> Result<(), ExportError> {
    match table::export_format(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => table::write_csv_file(path, &subjects_to_csv(list)?),
        Format::Xlsx => table::write_file(path, &subjects_to_xlsx(list)?),
        _ => table::write_file(path, subjects_to_json(list)?.as_bytes()),
    }
}
