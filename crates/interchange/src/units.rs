//! The province's units in and out: slug, names, type, parent unit and head of agency.
//!
//! Readers: CSV, XLSX (the `Units` sheet, else the first), JSON. An empty slug is derived from
//! the Vietnamese name. Every unit is normalised with [`Unit::normalise`]; duplicate slugs and
//! parents that are neither in the file nor among the caller's known units are problems. A parent
//! may be given by slug or by the name of a unit in the file.

use crate::error::{json_syntax, ExportError, ImportError, Problem, ReadProblem};
use crate::table::{
    self, cell_text, fold_key, Cell, Col, Format, Out, OutTable, Problems, RowReader, Sheet,
};
use parindex_domain::text::slugify;
use parindex_domain::units::FieldProblem;
use parindex_domain::{Unit, UnitType};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::path::Path;

/// Sheet names tried for units in a workbook (else the first sheet is read).
pub const UNITS_SHEET: &[&str] = &["Units", "Đơn vị", "Don vi"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UCol {
    Slug,
    NameVi,
    NameEn,
    Type,
    Parent,
    HeadName,
    HeadTitle,
}

const COLS: &[Col<UCol>] = &[
    Col {
        key: UCol::Slug,
        en: "slug",
        vi: &["Mã"],
        required: true,
    },
    Col {
        key: UCol::NameVi,
        en: "name_vi",
        vi: &["Tên", "Tên đơn vị"],
        required: true,
    },
    Col {
        key: UCol::NameEn,
        en: "name_en",
        vi: &["Tên tiếng Anh"],
        required: false,
    },
    Col {
        key: UCol::Type,
        en: "type",
        vi: &["Loại", "Loại đơn vị"],
        required: true,
    },
    Col {
        key: UCol::Parent,
        en: "parent",
        vi: &["Đơn vị cấp trên"],
        required: false,
    },
    Col {
        key: UCol::HeadName,
        en: "head_name",
        vi: &["Người đứng đầu"],
        required: false,
    },
    Col {
        key: UCol::HeadTitle,
        en: "head_title",
        vi: &["Chức vụ"],
        required: false,
    },
];

fn cell_unit_type(c: &Cell) -> Result<Option<UnitType>, ReadProblem> {
    match cell_text(c)? {
        None => Ok(None),
        Some(t) => UnitType::parse(&t)
            .map(Some)
            .ok_or(ReadProblem::NotAUnitType { value: t }),
    }
}

/// A unit's field problem (`Unit::normalise`) as the reader's kind.
fn field_problem(u: &Unit, p: FieldProblem) -> ReadProblem {
    match p {
        FieldProblem::Required => ReadProblem::Empty,
        FieldProblem::TooLong { max } => ReadProblem::TooLong { max },
        FieldProblem::NotSlug => ReadProblem::NotASlug {
            value: u.slug.clone(),
            hint: None,
        },
        FieldProblem::OwnParent => ReadProblem::OwnParent,
    }
}

fn units_from_sheet(
    sheet: &Sheet,
    file: &str,
    known_units: &BTreeSet<String>,
) -> Result<Vec<Unit>, ImportError> {
    let mut p = Problems::default();
    let cols = table::resolve_fixed(sheet, COLS, &mut p);
    let mut read: Vec<(Unit, usize)> = Vec::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, &mut p);
        let slug = r.text(&UCol::Slug);
        let name_vi = r.req(&UCol::NameVi, cell_text);
        let unit_type = r.req(&UCol::Type, cell_unit_type);
        let name_en = r.text(&UCol::NameEn);
        let parent = r.text(&UCol::Parent);
        let head_name = r.text(&UCol::HeadName);
        let head_title = r.text(&UCol::HeadTitle);
        let (Some(name_vi), Some(unit_type)) = (name_vi, unit_type) else {
            continue;
        };
        let slug = slug.unwrap_or_else(|| slugify(&name_vi));
        read.push((
            Unit {
                slug,
                name_vi,
                name_en,
                unit_type,
                parent,
                head_name,
                head_title,
            },
            row.number,
        ));
    }
    let header = |k: UCol| cols.header(&k).map(str::to_string);
    // Slugs and names in the file, for parents.
    let mut first_row: BTreeMap<String, usize> = BTreeMap::new();
    let in_file: BTreeSet<String> = read.iter().map(|(u, _)| u.slug.clone()).collect();
    let by_name: BTreeMap<String, String> = read
        .iter()
        .map(|(u, _)| (fold_key(&u.name_vi), u.slug.clone()))
        .collect();
    let known = |s: &str| in_file.contains(s) || known_units.contains(s);
    let mut units = Vec::new();
    for (mut u, row) in read {
        if let Some(par) = u.parent.clone() {
            let resolved = if known(&par) {
                Some(par.clone())
            } else if known(&slugify(&par)) {
                Some(slugify(&par))
            } else {
                by_name.get(&fold_key(&par)).cloned()
            };
            match resolved {
                Some(s) => u.parent = Some(s),
                None => p.list.push(Problem::read(
                    Some(row),
                    header(UCol::Parent),
                    ReadProblem::UnknownParent { value: par },
                )),
            }
        }
        for (field, problem) in u.normalise() {
            let col = match field {
                "slug" => UCol::Slug,
                "parent" => UCol::Parent,
                _ => UCol::NameVi,
            };
            p.list.push(Problem::read(
                Some(row),
                header(col),
                field_problem(&u, problem),
            ));
        }
        if let Some(first) = first_row.get(&u.slug) {
            p.list.push(Problem::read(
                Some(row),
                header(UCol::Slug),
                ReadProblem::DuplicateSlug {
                    slug: u.slug.clone(),
                    first_row: Some(*first),
                },
            ));
        } else {
            first_row.insert(u.slug.clone(), row);
        }
        units.push(u);
    }
    if p.is_empty() {
        Ok(units)
    } else {
        Err(ImportError::new(file, p.list))
    }
}

/// Read units from CSV text.
pub fn units_from_csv(
    text: &str,
    file_name: &str,
    known_units: &BTreeSet<String>,
) -> Result<Vec<Unit>, ImportError> {
    let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?;
    units_from_sheet(&sheet, file_name, known_units)
}

/// Read units from an XLSX workbook: the `Units` sheet, else the first sheet.
pub fn units_from_xlsx<RS: Read + Seek>(
    rs: RS,
    file_name: &str,
    known_units: &BTreeSet<String>,
) -> Result<Vec<Unit>, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::TABLE, file_name)?;
    let sheet = table::single_sheet(sheets, UNITS_SHEET)
        .ok_or_else(|| ImportError::read(file_name, ReadProblem::NoSheets))?;
    units_from_sheet(&sheet, file_name, known_units)
}

/// Read units from JSON (an array of units in their serde form, as written by
/// [`units_to_json`]), with the same checks as the tables.
pub fn units_from_json(
    text: &str,
    file_name: &str,
    known_units: &BTreeSet<String>,
) -> Result<Vec<Unit>, ImportError> {
    let mut units: Vec<Unit> =
        serde_json::from_str(text).map_err(|e| ImportError::read(file_name, json_syntax(&e)))?;
    let mut problems = Vec::new();
    let in_file: BTreeSet<String> = units.iter().map(|u| u.slug.clone()).collect();
    let mut seen = BTreeSet::new();
    for (i, u) in units.iter_mut().enumerate() {
        for (field, problem) in u.normalise() {
            let kind = field_problem(u, problem);
            problems.push(Problem::read(None, Some(format!("[{i}].{field}")), kind));
        }
        if let Some(par) = &u.parent {
            if !in_file.contains(par) && !known_units.contains(par) {
                problems.push(Problem::read(
                    None,
                    Some(format!("[{i}].parent")),
                    ReadProblem::UnknownParent { value: par.clone() },
                ));
            }
        }
        if !seen.insert(u.slug.clone()) {
            problems.push(Problem::read(
                None,
                Some(format!("[{i}].slug")),
                ReadProblem::DuplicateSlug {
                    slug: u.slug.clone(),
                    first_row: None,
                },
            ));
        }
    }
    if problems.is_empty() {
        Ok(units)
    } else {
        Err(ImportError::new(file_name, problems))
    }
}

/// Read units from a `.csv`, `.xlsx` or `.json` file. `known_units` are the slugs already
/// known (e.g. in the database), which parents may name.
pub fn read_units(path: &Path, known_units: &BTreeSet<String>) -> Result<Vec<Unit>, ImportError> {
    let file = table::file_name(path);
    match table::format_for(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => units_from_csv(&table::read_text(path)?, &file, known_units),
        Format::Json => units_from_json(&table::read_text(path)?, &file, known_units),
        _ => units_from_xlsx(
            std::io::Cursor::new(table::read_bytes(path)?),
            &file,
            known_units,
        ),
    }
}

fn units_table(units: &[Unit]) -> OutTable {
    let mut t = OutTable::new(
        UNITS_SHEET[0],
        COLS.iter().map(|c| c.en.to_string()).collect(),
    );
    for u in units {
        t.rows.push(vec![
            Out::Text(u.slug.clone()),
            Out::Text(u.name_vi.clone()),
            Out::opt_text(&u.name_en),
            Out::Text(u.unit_type.as_str().to_string()),
            Out::opt_text(&u.parent),
            Out::opt_text(&u.head_name),
            Out::opt_text(&u.head_title),
        ]);
    }
    t
}

/// Units as CSV text (`slug,name_vi,name_en,type,parent,head_name,head_title`).
pub fn units_to_csv(units: &[Unit]) -> Result<String, ExportError> {
    table::csv_string(&units_table(units))
}

/// Units as an XLSX workbook (one sheet, `Units`), as bytes.
pub fn units_to_xlsx(units: &[Unit]) -> Result<Vec<u8>, ExportError> {
    table::xlsx_bytes(&[units_table(units)])
}

/// Units as pretty-printed JSON (their serde form).
pub fn units_to_json(units: &[Unit]) -> Result<String, ExportError> {
    Ok(serde_json::to_string_pretty(units)?)
}

/// Write units to a `.csv`, `.xlsx` or `.json` file.
pub fn write_units(path: &Path, units: &[Unit]) -> Result<(), ExportError> {
    match table::export_format(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => table::write_csv_file(path, &units_to_csv(units)?),
        Format::Xlsx => table::write_file(path, &units_to_xlsx(units)?),
        _ => table::write_file(path, units_to_json(units)?.as_bytes()),
    }
}
