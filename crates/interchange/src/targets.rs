//! Rank targets in and out: per baseline edition and subject, the rank to reach overall or on one
//! area, with the unit answerable and a note.
//!
//! Readers: CSV, XLSX (the `Targets` sheet, else the first), JSON. The scope is `overall`
//! (`tổng thể`; empty means overall) or an area code; the target rank is a whole number from 1.
//! Slugs are checked for form only (the caller checks that they exist); the same edition,
//! subject and scope twice is a problem. Writers: CSV, XLSX, JSON.

use crate::error::{json_syntax, ExportError, ImportError, Problem, ReadProblem};
use crate::table::{
    self, cell_text, cell_u32, Cell, Col, Format, Out, OutTable, Problems, RowReader, Sheet,
};
use parindex_domain::text::{is_slug, nfc, slugify};
use parindex_domain::{RankTarget, TargetScope};
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// Sheet names tried for targets in a workbook (else the first sheet is read).
pub const TARGETS_SHEET: &[&str] = &["Targets", "Mục tiêu", "Muc tieu"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TCol {
    Edition,
    Subject,
    Scope,
    TargetRank,
    LeadAgency,
    Note,
}

const COLS: &[Col<TCol>] = &[
    Col {
        key: TCol::Edition,
        en: "edition",
        vi: &["Kỳ chỉ số"],
        required: true,
    },
    Col {
        key: TCol::Subject,
        en: "subject",
        vi: &["Đơn vị"],
        required: true,
    },
    Col {
        key: TCol::Scope,
        en: "scope",
        vi: &["Phạm vi"],
        required: false,
    },
    Col {
        key: TCol::TargetRank,
        en: "target_rank",
        vi: &["Thứ hạng mục tiêu"],
        required: true,
    },
    Col {
        key: TCol::LeadAgency,
        en: "lead_agency",
        vi: &["Cơ quan chủ trì"],
        required: false,
    },
    Col {
        key: TCol::Note,
        en: "note",
        vi: &["Ghi chú"],
        required: false,
    },
];

fn cell_scope(c: &Cell) -> Result<Option<TargetScope>, ReadProblem> {
    match cell_text(c)? {
        None => Ok(None),
        Some(t) => TargetScope::parse(&t)
            .map(Some)
            .map_err(|problem| ReadProblem::NotAScope { value: t, problem }),
    }
}

/// A slug cell: must be a slug; a name is refused with the slug it would make as a hint.
fn slug_problem(s: &str) -> Option<ReadProblem> {
    if is_slug(s) {
        return None;
    }
    let hint = slugify(s);
    Some(ReadProblem::NotASlug {
        value: s.to_string(),
        hint: (!hint.is_empty()).then_some(hint),
    })
}

/// Problems with one target: (column, problem).
fn check(t: &RankTarget) -> Vec<(TCol, ReadProblem)> {
    let mut out = Vec::new();
    if let Some(m) = slug_problem(&t.edition_id) {
        out.push((TCol::Edition, m));
    }
    if let Some(m) = slug_problem(&t.subject) {
        out.push((TCol::Subject, m));
    }
    if let Some(m) = t.lead_agency.as_deref().and_then(slug_problem) {
        out.push((TCol::LeadAgency, m));
    }
    if t.target_rank == 0 {
        out.push((TCol::TargetRank, ReadProblem::RankZero));
    }
    out
}

fn key_of(t: &RankTarget) -> (String, String, String) {
    (t.edition_id.clone(), t.subject.clone(), t.scope.to_string())
}

fn targets_from_sheet(sheet: &Sheet, file: &str) -> Result<Vec<RankTarget>, ImportError> {
    let mut p = Problems::default();
    let cols = table::resolve_fixed(sheet, COLS, &mut p);
    let mut out = Vec::new();
    let mut first_row: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, &mut p);
        let edition_id = r.req(&TCol::Edition, cell_text);
        let subject = r.req(&TCol::Subject, cell_text);
        let scope = r.get(&TCol::Scope, cell_scope);
        let target_rank = r.req(&TCol::TargetRank, cell_u32);
        let lead_agency = r.text(&TCol::LeadAgency);
        let note = r.text(&TCol::Note);
        let (Some(edition_id), Some(subject), Ok(scope), Some(target_rank)) =
            (edition_id, subject, scope, target_rank)
        else {
            continue;
        };
        let t = RankTarget {
            edition_id,
            subject,
            scope: scope.unwrap_or(TargetScope::Overall),
            target_rank,
            lead_agency,
            note,
        };
        for (k, m) in check(&t) {
            r.problem(&k, m);
        }
        let key = key_of(&t);
        if let Some(first) = first_row.get(&key) {
            r.problem(
                &TCol::Scope,
                ReadProblem::SecondTarget {
                    subject: t.subject.clone(),
                    scope: t.scope.to_string(),
                    edition: t.edition_id.clone(),
                    first_row: Some(*first),
                },
            );
        } else {
            first_row.insert(key, row.number);
        }
        out.push(t);
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file, p.list))
    }
}

/// Read targets from CSV text.
pub fn targets_from_csv(text: &str, file_name: &str) -> Result<Vec<RankTarget>, ImportError> {
    let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?;
    targets_from_sheet(&sheet, file_name)
}

/// Read targets from an XLSX workbook: the `Targets` sheet, else the first sheet.
pub fn targets_from_xlsx<RS: Read + Seek>(
    rs: RS,
    file_name: &str,
) -> Result<Vec<RankTarget>, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::SMALL_TABLE, file_name)?;
    let sheet = table::single_sheet(sheets, TARGETS_SHEET)
        .ok_or_else(|| ImportError::read(file_name, ReadProblem::NoSheets))?;
    targets_from_sheet(&sheet, file_name)
}

/// Read targets from JSON (an array in their serde form).
pub fn targets_from_json(text: &str, file_name: &str) -> Result<Vec<RankTarget>, ImportError> {
    let mut list: Vec<RankTarget> =
        serde_json::from_str(text).map_err(|e| ImportError::read(file_name, json_syntax(&e)))?;
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in list.iter_mut().enumerate() {
        t.edition_id = t.edition_id.trim().to_string();
        t.subject = t.subject.trim().to_string();
        t.lead_agency = t.lead_agency.as_deref().map(nfc).filter(|s| !s.is_empty());
        t.note = t.note.as_deref().map(nfc).filter(|s| !s.is_empty());
        for (k, m) in check(t) {
            let field = COLS
                .iter()
                .find(|c| c.key == k)
                .map(|c| c.en)
                .unwrap_or("?");
            problems.push(Problem::read(None, Some(format!("[{i}].{field}")), m));
        }
        if !seen.insert(key_of(t)) {
            problems.push(Problem::read(
                None,
                Some(format!("[{i}]")),
                ReadProblem::SecondTarget {
                    subject: t.subject.clone(),
                    scope: t.scope.to_string(),
                    edition: t.edition_id.clone(),
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

/// Read targets from a `.csv`, `.xlsx` or `.json` file.
pub fn read_targets(path: &Path) -> Result<Vec<RankTarget>, ImportError> {
    let file = table::file_name(path);
    match table::format_for(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => targets_from_csv(&table::read_text(path)?, &file),
        Format::Json => targets_from_json(&table::read_text(path)?, &file),
        _ => targets_from_xlsx(std::io::Cursor::new(table::read_bytes(path)?), &file),
    }
}

fn targets_table(list: &[RankTarget]) -> OutTable {
    let mut t = OutTable::new(
        TARGETS_SHEET[0],
        COLS.iter().map(|c| c.en.to_string()).collect(),
    );
    for x in list {
        t.rows.push(vec![
            Out::Text(x.edition_id.clone()),
            Out::Text(x.subject.clone()),
            Out::Text(x.scope.to_string()),
            Out::Int(i64::from(x.target_rank)),
            Out::opt_text(&x.lead_agency),
            Out::opt_text(&x.note),
        ]);
    }
    t
}

/// Targets as CSV text (`edition,subject,scope,target_rank,lead_agency,note`).
pub fn targets_to_csv(list: &[RankTarget]) -> Result<String, ExportError> {
    table::csv_string(&targets_table(list))
}

/// Targets as an XLSX workbook (one sheet, `Targets`), as bytes.
pub fn targets_to_xlsx(list: &[RankTarget]) -> Result<Vec<u8>, ExportError> {
    table::xlsx_bytes(&[targets_table(list)])
}

/// Targets as pretty-printed JSON.
pub fn targets_to_json(list: &[RankTarget]) -> Result<String, ExportError> {
    Ok(serde_json::to_string_pretty(list)?)
}

/// Write targets to a `.csv`, `.xlsx` or `.json` file.
pub fn write_targets(path: &Path, list: &[RankTarget]) -> Result<(), ExportError> {
    match table::export_format(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => table::write_csv_file(path, &targets_to_csv(list)?),
        Format::Xlsx => table::write_file(path, &targets_to_xlsx(list)?),
        _ => table::write_file(path, targets_to_json(list)?.as_bytes()),
    }
}
