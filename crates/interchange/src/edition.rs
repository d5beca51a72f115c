//! Index editions in and out.
//!
//! - TOML and JSON hold the whole [`Edition`] in its serde form. Decimals are written as strings
//!   (`max_points = "66.5"`) to stay exact; on reading, a number is accepted too and read from the
//!   exact text it was written as.
//! - An XLSX workbook holds three sheets: `Edition` (field | value), `Components` and `Criteria`
//!   (Vietnamese names `Kỳ chỉ số`, `Thành phần`, `Tiêu chí` are accepted).
//! - A CSV holds the criteria table alone; [`read_criteria_into`] combines it with an existing
//!   edition's metadata.
//!
//! Every reader NFC-normalises text, sorts the criteria by code, runs [`Edition::validate`] and
//! reports each problem at the row where it is (criteria problems at the row of their code).

use crate::error::{
    json_syntax, toml_syntax, ExportError, ImportError, Problem, ProblemKind, ReadProblem,
};
use crate::exact::{quote_decimals, quote_json_decimals};
use crate::table::{
    self, cell_bool, cell_decimal, cell_i32, cell_text, cell_u32, find_sheet, fold_key, Cell,
    Columns, Format, Out, OutTable, Problems, RowReader, Sheet,
};
use parindex_domain::rules::ScoringRule;
use parindex_domain::text::nfc;
use parindex_domain::{
    Component, CriterionNode, Edition, EditionProblem, EditionProblemKind, Level, NodeCode,
    UnitType,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// Sheet names of an edition workbook: English first, then accepted Vietnamese names.
pub const EDITION_SHEET: &[&str] = &["Edition", "Kỳ chỉ số", "Ky chi so"];
pub const COMPONENTS_SHEET: &[&str] = &["Components", "Thành phần", "Thanh phan"];
pub const CRITERIA_SHEET: &[&str] = &["Criteria", "Tiêu chí", "Tieu chi"];

mod columns;
use columns::{crit_col_of_field, CompCol, CritCol, COMP_COLS, CRIT_COLS, ED_FIELDS};

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

fn nfc_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(nfc).filter(|t| !t.is_empty())
}

fn nfc_rule(rule: &mut ScoringRule) {
    if let ScoringRule::Choice { options } = rule {
        for o in options {
            o.key = nfc(&o.key);
            o.label_vi = nfc(&o.label_vi);
            o.label_en = nfc_opt(&o.label_en);
        }
    }
}

/// NFC-normalise every text of an edition and sort its criteria by code.
fn normalise(e: &mut Edition) {
    e.id = nfc(&e.id);
    e.name = nfc(&e.name);
    e.methodology_ref = nfc_opt(&e.methodology_ref);
    e.notes = nfc_opt(&e.notes);
    for c in &mut e.components {
        c.code = nfc(&c.code);
        c.name_vi = nfc(&c.name_vi);
        c.name_en = nfc_opt(&c.name_en);
    }
    for n in &mut e.criteria {
        n.title_vi = nfc(&n.title_vi);
        n.title_en = nfc_opt(&n.title_en);
        n.component = nfc_opt(&n.component);
        n.lead_agency = nfc_opt(&n.lead_agency);
        if let Some(r) = &mut n.rule {
            nfc_rule(r);
        }
    }
    e.sort();
}

// ---------------------------------------------------------------------------------------------
// Locating validation problems
// ---------------------------------------------------------------------------------------------

/// Where the parts of an edition are in a file, to turn an [`EditionProblem`] into a [`Problem`]
/// with a row and a column. Empty for TOML and JSON: the field itself is the column.
#[derive(Default)]
struct Locator {
    /// The edition sheet: field → row.
    edition_sheet: Option<String>,
    edition_rows: BTreeMap<&'static str, usize>,
    /// The components sheet: (code, row) in file order, and its columns.
    components_sheet: Option<String>,
    component_rows: Vec<(String, usize)>,
    component_cols: Option<Columns<CompCol>>,
    /// The criteria table: code → rows where it appears, and its columns.
    criteria_sheet: Option<String>,
    criteria_rows: BTreeMap<NodeCode, Vec<usize>>,
    criteria_cols: Option<Columns<CritCol>>,
    /// Whether criteria problems are located (a criteria table was read).
    has_criteria_table: bool,
}

fn prefixed(sheet: &Option<String>, message: &str) -> String {
    match sheet {
        Some(s) => format!("sheet '{s}': {message}"),
        None => message.to_string(),
    }
}

/// A problem in `sheet` (named in its English text too).
fn in_sheet(
    row: Option<usize>,
    column: String,
    sheet: &Option<String>,
    message: &str,
    kind: ProblemKind,
) -> Problem {
    let mut p = Problem::new(row, Some(column), prefixed(sheet, message), kind);
    p.sheet = sheet.clone();
    p
}

/// Split `criteria[1.2].max_points` into (`criteria`, `1.2`, `max_points`).
fn split_field(field: &str) -> Option<(&str, &str, &str)> {
    let open = field.find('[')?;
    let close = field[open..].find(']')? + open;
    let head = &field[..open];
    let key = &field[open + 1..close];
    let sub = field[close + 1..].trim_start_matches('.');
    Some((head, key, sub))
}

impl Locator {
    fn locate(&self, ep: &EditionProblem, dup_seen: &mut BTreeMap<String, usize>) -> Problem {
        let text = ep.kind.to_string();
        let kind = || ProblemKind::Edition(ep.kind.clone());
        let plain = || Problem::new(None, Some(ep.field.clone()), text.clone(), kind());
        match split_field(&ep.field) {
            Some(("criteria", key, sub)) if self.has_criteria_table => {
                let Ok(code) = NodeCode::parse(key) else {
                    return plain();
                };
                let Some(rows) = self.criteria_rows.get(&code) else {
                    return plain();
                };
                let mut message = text.clone();
                let row = if matches!(ep.kind, EditionProblemKind::DuplicateCode { .. }) {
                    let n = dup_seen.entry(key.to_string()).or_insert(0);
                    *n += 1;
                    message = format!("{message} (first on row {})", rows[0]);
                    rows.get(*n).copied().unwrap_or(rows[0])
                } else {
                    rows[0]
                };
                let column = crit_col_of_field(sub)
                    .and_then(|k| {
                        self.criteria_cols
                            .as_ref()
                            .and_then(|c| c.header(&k).map(str::to_string))
                    })
                    .unwrap_or_else(|| sub.to_string());
                in_sheet(Some(row), column, &self.criteria_sheet, &message, kind())
            }
            Some(("components", key, sub)) if self.components_sheet.is_some() => {
                let row = match key.parse::<usize>() {
                    Ok(i) => self.component_rows.get(i).map(|(_, r)| *r),
                    Err(_) => self
                        .component_rows
                        .iter()
                        .find(|(c, _)| c == key)
                        .map(|(_, r)| *r),
                };
                let col = match sub {
                    "code" => Some(CompCol::Code),
                    "max_points" => Some(CompCol::MaxPoints),
                    "name_vi" => Some(CompCol::NameVi),
                    _ => None,
                };
                let column = col
                    .and_then(|k| {
                        self.component_cols
                            .as_ref()
                            .and_then(|c| c.header(&k).map(str::to_string))
                    })
                    .unwrap_or_else(|| sub.to_string());
                in_sheet(row, column, &self.components_sheet, &text, kind())
            }
            None if self.edition_sheet.is_some() && !ep.field.contains('[') => {
                let row = self.edition_rows.get(ep.field.as_str()).copied();
                let sheet = match ep.field.as_str() {
                    "components" => &self.components_sheet,
                    "criteria" => &self.criteria_sheet,
                    _ => &self.edition_sheet,
                };
                in_sheet(row, ep.field.clone(), sheet, &text, kind())
            }
            _ => plain(),
        }
    }

    /// Validation problems as located problems, skipping those already reported on the same
    /// row and column while reading.
    fn locate_all(&self, eps: &[EditionProblem], already: &[Problem]) -> Vec<Problem> {
        let mut dup_seen = BTreeMap::new();
        let mut out: Vec<Problem> = Vec::new();
        for ep in eps {
            let p = self.locate(ep, &mut dup_seen);
            let repeated = p.row.is_some()
                && already
                    .iter()
                    .any(|a| a.row == p.row && a.column == p.column);
            if !repeated && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// TOML and JSON
// ---------------------------------------------------------------------------------------------

fn finish(
    mut e: Edition,
    loc: &Locator,
    mut problems: Vec<Problem>,
    file: &str,
) -> Result<Edition, ImportError> {
    normalise(&mut e);
    let found = loc.locate_all(&e.validate(), &problems);
    problems.extend(found);
    if problems.is_empty() {
        Ok(e)
    } else {
        Err(ImportError::new(file, problems))
    }
}

fn try_toml(e: &Edition) -> Result<String, toml::ser::Error> {
    toml::to_string(e)
}

/// An edition as TOML, decimals as strings (`max_points = "66.5"`).
pub fn edition_to_toml(e: &Edition) -> String {
    // The TOML serialiser only fails on values TOML cannot hold (a map with non-string keys, a
    // bare unit): an Edition has none. Should it ever fail, the text says why and cannot be read.
    try_toml(e)
        .unwrap_or_else(|err| format!("# this edition could not be written as TOML: {err}\n"))
}

/// Read an edition from TOML text. `file_name` names the file in problems.
pub fn edition_from_toml(s: &str, file_name: &str) -> Result<Edition, ImportError> {
    let quoted = quote_decimals(s).map_err(|ms| {
        let problems = ms
            .into_iter()
            .map(|k| Problem::read(None, None, k))
            .collect();
        ImportError::new(file_name, problems)
    })?;
    let e: Edition = toml::from_str(&quoted)
        .map_err(|err| ImportError::read(file_name, toml_syntax(&quoted, &err)))?;
    finish(e, &Locator::default(), Vec::new(), file_name)
}

/// An edition as pretty-printed JSON, decimals as strings.
pub fn edition_to_json(e: &Edition) -> String {
    // Serialising to JSON fails only for maps with non-string keys: an Edition has none.
    serde_json::to_string_pretty(e)
        .unwrap_or_else(|err| format!("\"this edition could not be written as JSON: {err}\""))
}

/// Read an edition from JSON text. Decimals may be strings or numbers (read exactly as written).
pub fn edition_from_json(s: &str, file_name: &str) -> Result<Edition, ImportError> {
    let quoted = quote_json_decimals(s);
    let e: Edition = serde_json::from_str(&quoted).map_err(|err| {
        // Report positions in the text as written.
        let err = serde_json::from_str::<Edition>(s).err().unwrap_or(err);
        ImportError::read(file_name, json_syntax(&err))
    })?;
    finish(e, &Locator::default(), Vec::new(), file_name)
}

// ---------------------------------------------------------------------------------------------
// Criteria table (XLSX sheet or CSV)
// ---------------------------------------------------------------------------------------------

fn crit_headers() -> Vec<String> {
    CRIT_COLS.iter().map(|c| c.en.to_string()).collect()
}

fn applies_to_text(types: &[UnitType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn criteria_table(sheet: &str, criteria: &[CriterionNode]) -> Result<OutTable, ExportError> {
    let mut t = OutTable::new(sheet, crit_headers());
    for n in criteria {
        let rule = match &n.rule {
            Some(r) => Out::Text(serde_json::to_string(r)?),
            None => Out::Empty,
        };
        t.rows.push(vec![
            Out::Text(n.code.to_string()),
            Out::Text(n.title_vi.clone()),
            Out::opt_text(&n.title_en),
            Out::opt_dec(n.max_points),
            Out::opt_text(&n.component),
            Out::Bool(n.survey_scored),
            Out::Bool(n.evidence_required),
            if n.applies_to.is_empty() {
                Out::Empty
            } else {
                Out::Text(applies_to_text(&n.applies_to))
            },
            Out::opt_text(&n.lead_agency),
            rule,
            Out::Bool(n.sample),
        ]);
    }
    Ok(t)
}

fn cell_rule(c: &Cell) -> Result<Option<ScoringRule>, ReadProblem> {
    let Some(t) = cell_text(c)? else {
        return Ok(None);
    };
    let mut r: ScoringRule =
        serde_json::from_str(&quote_json_decimals(&t)).map_err(|e| ReadProblem::NotARule {
            detail: e.to_string(),
        })?;
    nfc_rule(&mut r);
    Ok(Some(r))
}

fn cell_applies_to(c: &Cell) -> Result<Option<Vec<UnitType>>, ReadProblem> {
    let Some(t) = cell_text(c)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for part in t.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()) {
        match UnitType::parse(part) {
            Some(u) if !out.contains(&u) => out.push(u),
            Some(_) => {}
            None => bad.push(part.to_string()),
        }
    }
    if bad.is_empty() {
        Ok(Some(out))
    } else {
        Err(ReadProblem::NotUnitTypes { values: bad })
    }
}

/// The component code a cell names: its code, or its Vietnamese or English name.
fn component_code(text: &str, components: Option<&[Component]>) -> String {
    let Some(comps) = components else {
        return text.to_string();
    };
    if comps.iter().any(|c| c.code == text) {
        return text.to_string();
    }
    let f = fold_key(text);
    comps
        .iter()
        .find(|c| {
            fold_key(&c.code) == f
                || fold_key(&c.name_vi) == f
                || c.name_en.as_deref().is_some_and(|n| fold_key(n) == f)
        })
        .map(|c| c.code.clone())
        .unwrap_or_else(|| text.to_string())
}

struct CriteriaRead {
    nodes: Vec<CriterionNode>,
    rows: BTreeMap<NodeCode, Vec<usize>>,
    cols: Columns<CritCol>,
}

fn parse_criteria(
    sheet: &Sheet,
    components: Option<&[Component]>,
    p: &mut Problems,
) -> CriteriaRead {
    let cols = table::resolve_fixed(sheet, CRIT_COLS, p);
    let mut nodes = Vec::new();
    let mut rows: BTreeMap<NodeCode, Vec<usize>> = BTreeMap::new();
    let header_ok = cols.has(&CritCol::Code) && cols.has(&CritCol::TitleVi);
    if !header_ok {
        return CriteriaRead { nodes, rows, cols };
    }
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, p);
        let code_text = r.req(&CritCol::Code, cell_text);
        let code = code_text.and_then(|t| match NodeCode::parse(&t) {
            Ok(c) => Some(c),
            Err(m) => {
                r.problem(&CritCol::Code, ReadProblem::Code(m));
                None
            }
        });
        let title_vi = r.req(&CritCol::TitleVi, cell_text);
        let title_en = r.text(&CritCol::TitleEn);
        let max_points = r.decimal(&CritCol::MaxPoints);
        let component = r
            .text(&CritCol::Component)
            .map(|t| component_code(&t, components));
        let survey_scored = r.bool(&CritCol::SurveyScored);
        let evidence_required = r.bool(&CritCol::EvidenceRequired);
        let applies_to = r
            .get(&CritCol::AppliesTo, cell_applies_to)
            .ok()
            .flatten()
            .unwrap_or_default();
        let lead_agency = r.text(&CritCol::LeadAgency);
        let rule = r.get(&CritCol::Rule, cell_rule).ok().flatten();
        let sample = r.bool(&CritCol::Sample);
        let Some(code) = code else { continue };
        rows.entry(code.clone()).or_default().push(row.number);
        nodes.push(CriterionNode {
            code,
            // An empty title is reported above; keep the node so the tree stays whole.
            title_vi: title_vi.unwrap_or_else(|| "?".to_string()),
            title_en,
            max_points,
            component,
            survey_scored,
            evidence_required,
            applies_to,
            lead_agency,
            rule,
            sample,
        });
    }
    CriteriaRead { nodes, rows, cols }
}

/// Validate a criteria table on its own (no edition around it): the tree's structure, points,
/// rules and lead agencies. Component codes are not checked: the edition is not known.
fn validate_tree(criteria: &[CriterionNode]) -> Vec<EditionProblem> {
    let e = Edition {
        id: "criteria".into(),
        name: "criteria".into(),
        year: 2000,
        level: Level::Province,
        methodology_ref: None,
        max_points: Decimal::MAX,
        peer_count: None,
        sample: false,
        notes: None,
        components: Vec::new(),
        criteria: criteria.to_vec(),
    };
    e.validate()
        .into_iter()
        .filter(|p| p.field.starts_with("criteria[") && !p.field.ends_with(".component"))
        .collect()
}

fn criteria_from_sheet(sheet: &Sheet, file: &str) -> Result<Vec<CriterionNode>, ImportError> {
    let mut p = Problems::default();
    let read = parse_criteria(sheet, None, &mut p);
    let mut nodes = read.nodes;
    for n in &mut nodes {
        if let Some(r) = &mut n.rule {
            nfc_rule(r);
        }
    }
    nodes.sort_by(|a, b| a.code.cmp(&b.code));
    let loc = Locator {
        criteria_rows: read.rows,
        criteria_cols: Some(read.cols),
        has_criteria_table: true,
        ..Locator::default()
    };
    let mut problems = p.list;
    let found = loc.locate_all(&validate_tree(&nodes), &problems);
    problems.extend(found);
    if problems.is_empty() {
        Ok(nodes)
    } else {
        Err(ImportError::new(file, problems))
    }
}

/// The criteria table as CSV text (header `code,title_vi,…,rule`; rules as JSON).
pub fn criteria_to_csv(criteria: &[CriterionNode]) -> Result<String, ExportError> {
    table::csv_string(&criteria_table("Criteria", criteria)?)
}

/// Read a criteria table from CSV text, checking the tree on its own.
pub fn criteria_from_csv(text: &str, file_name: &str) -> Result<Vec<CriterionNode>, ImportError> {
    let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?;
    criteria_from_sheet(&sheet, file_name)
}

/// Read a criteria table from a `.csv` file, or from the `Criteria` sheet (else the first sheet)
/// of an `.xlsx` file.
pub fn read_criteria(path: &Path) -> Result<Vec<CriterionNode>, ImportError> {
    let file = table::file_name(path);
    let format = table::format_for(path, &[Format::Csv, Format::Xlsx], ".csv or .xlsx")?;
    let sheets = table::read_sheets(path, format, crate::xlsx_read::XlsxLimits::SMALL_TABLE)?;
    let sheet = table::single_sheet(sheets, CRITERIA_SHEET)
        .ok_or_else(|| ImportError::read(&file, ReadProblem::NoSheets))?;
    criteria_from_sheet(&sheet, &file)
}

/// Read a criteria table (`.csv` or `.xlsx`) as the criteria of `base`: the result is `base`
/// with its criteria replaced, validated as a whole, problems located at the table's rows.
/// Components may be named by code or by name.
pub fn read_criteria_into(path: &Path, base: &Edition) -> Result<Edition, ImportError> {
    let file = table::file_name(path);
    let format = table::format_for(path, &[Format::Csv, Format::Xlsx], ".csv or .xlsx")?;
    let sheets = table::read_sheets(path, format, crate::xlsx_read::XlsxLimits::SMALL_TABLE)?;
    let sheet = table::single_sheet(sheets, CRITERIA_SHEET)
        .ok_or_else(|| ImportError::read(&file, ReadProblem::NoSheets))?;
    let mut p = Problems::default();
    let read = parse_criteria(&sheet, Some(&base.components), &mut p);
    let mut e = base.clone();
    e.criteria = read.nodes;
    let loc = Locator {
        criteria_rows: read.rows,
        criteria_cols: Some(read.cols),
        has_criteria_table: true,
        ..Locator::default()
    };
    finish(e, &loc, p.list, &file)
}

/// Write a criteria table to a `.csv` or `.xlsx` file.
pub fn write_criteria(path: &Path, criteria: &[CriterionNode]) -> Result<(), ExportError> {
    match table::export_format(path, &[Format::Csv, Format::Xlsx], ".csv or .xlsx")? {
        Format::Xlsx => table::write_file(
            path,
            &table::xlsx_bytes(&[criteria_table(CRITERIA_SHEET[0], criteria)?])?,
        ),
        _ => table::write_csv_file(path, &criteria_to_csv(criteria)?),
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX workbook
// ---------------------------------------------------------------------------------------------

/// An edition as an XLSX workbook (sheets `Edition`, `Components`, `Criteria`), as bytes.
pub fn edition_to_xlsx(e: &Edition) -> Result<Vec<u8>, ExportError> {
    let mut ed = OutTable::new(EDITION_SHEET[0], vec!["field".into(), "value".into()]);
    let field = |name: &str, v: Out| vec![Out::Text(name.to_string()), v];
    ed.rows = vec![
        field("id", Out::Text(e.id.clone())),
        field("name", Out::Text(e.name.clone())),
        field("year", Out::Int(i64::from(e.year))),
        field("level", Out::Text(e.level.as_str().to_string())),
        field("methodology_ref", Out::opt_text(&e.methodology_ref)),
        field("max_points", Out::Dec(e.max_points)),
        field("peer_count", Out::opt_int(e.peer_count)),
        field("sample", Out::Bool(e.sample)),
        field("notes", Out::opt_text(&e.notes)),
    ];
    let mut comps = OutTable::new(
        COMPONENTS_SHEET[0],
        COMP_COLS.iter().map(|c| c.en.to_string()).collect(),
    );
    for c in &e.components {
        comps.rows.push(vec![
            Out::Text(c.code.clone()),
            Out::Text(c.name_vi.clone()),
            Out::opt_text(&c.name_en),
            Out::Dec(c.max_points),
        ]);
    }
    let crit = criteria_table(CRITERIA_SHEET[0], &e.criteria)?;
    table::xlsx_bytes(&[ed, comps, crit])
}

fn parse_edition_sheet(sheet: &Sheet, p: &mut Problems, loc: &mut Locator) -> Option<Edition> {
    let mut seen: BTreeMap<&'static str, (usize, Cell)> = BTreeMap::new();
    for (i, row) in sheet.all_rows().iter().enumerate() {
        let key = row.cells.first().and_then(|c| cell_text(c).ok().flatten());
        let Some(key) = key else {
            p.push(Some(row.number), None, ReadProblem::NoFieldName);
            continue;
        };
        let Some(field) = ED_FIELDS.iter().find(|f| f.matches(&key)) else {
            let k = fold_key(&key);
            if i == 0 && matches!(k.as_str(), "field" | "truong" | "thong tin") {
                continue; // The header row.
            }
            p.push(
                Some(row.number),
                Some(&key),
                ReadProblem::UnknownField { field: key.clone() },
            );
            continue;
        };
        if let Some((r, _)) = seen.get(field.en) {
            p.push(
                Some(row.number),
                Some(field.en),
                ReadProblem::FieldTwice { first_row: *r },
            );
            continue;
        }
        let value = row.cells.get(1).cloned().unwrap_or(Cell::Empty);
        seen.insert(field.en, (row.number, value));
        loc.edition_rows.insert(field.en, row.number);
    }
    let before = p.len();
    let mut get = |name: &'static str, p: &mut Problems| -> Option<(usize, Cell)> {
        let v = seen.remove(name);
        let required = ED_FIELDS.iter().any(|f| f.en == name && f.required);
        let empty = v.as_ref().is_none_or(|(_, c)| *c == Cell::Empty);
        if required && empty {
            p.push(
                v.as_ref().map(|(r, _)| *r),
                Some(name),
                ReadProblem::MissingField { field: name.into() },
            );
            return None;
        }
        v
    };
    fn conv<T>(
        p: &mut Problems,
        name: &str,
        v: Option<(usize, Cell)>,
        f: fn(&Cell) -> Result<Option<T>, ReadProblem>,
    ) -> Option<T> {
        let (row, cell) = v?;
        match f(&cell) {
            Ok(x) => x,
            Err(m) => {
                p.push(Some(row), Some(name), m);
                None
            }
        }
    }
    let v = get("id", p);
    let id = conv(p, "id", v, cell_text);
    let v = get("name", p);
    let name = conv(p, "name", v, cell_text);
    let v = get("year", p);
    let year = conv(p, "year", v, cell_i32);
    let v = get("level", p);
    let level_row = v.as_ref().map(|(r, _)| *r);
    let level = conv(p, "level", v, cell_text).and_then(|t| match Level::parse(&t) {
        Some(l) => Some(l),
        None => {
            p.push(
                level_row,
                Some("level"),
                ReadProblem::NotALevel { value: t },
            );
            None
        }
    });
    let v = get("methodology_ref", p);
    let methodology_ref = conv(p, "methodology_ref", v, cell_text);
    let v = get("max_points", p);
    let max_points = conv(p, "max_points", v, cell_decimal);
    let v = get("peer_count", p);
    let peer_count = conv(p, "peer_count", v, cell_u32);
    let v = get("sample", p);
    let sample = conv(p, "sample", v, cell_bool).unwrap_or(false);
    let v = get("notes", p);
    let notes = conv(p, "notes", v, cell_text);
    if p.len() > before {
        return None;
    }
    Some(Edition {
        id: id?,
        name: name?,
        year: year?,
        level: level?,
        methodology_ref,
        max_points: max_points?,
        peer_count,
        sample,
        notes,
        components: Vec::new(),
        criteria: Vec::new(),
    })
}

fn parse_components(sheet: &Sheet, p: &mut Problems, loc: &mut Locator) -> Vec<Component> {
    let cols = table::resolve_fixed(sheet, COMP_COLS, p);
    let mut out = Vec::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, p);
        let code = r.req(&CompCol::Code, cell_text);
        let name_vi = r.req(&CompCol::NameVi, cell_text);
        let name_en = r.text(&CompCol::NameEn);
        let max_points = r.req(&CompCol::MaxPoints, cell_decimal);
        if let (Some(code), Some(name_vi), Some(max_points)) = (code, name_vi, max_points) {
            loc.component_rows.push((code.clone(), row.number));
            out.push(Component {
                code,
                name_vi,
                name_en,
                max_points,
            });
        }
    }
    loc.component_cols = Some(cols);
    out
}

/// Read an edition from an XLSX workbook (any `Read + Seek`, e.g. a `Cursor` over bytes).
pub fn edition_from_xlsx<RS: Read + Seek>(rs: RS, file_name: &str) -> Result<Edition, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::SMALL_TABLE, file_name)?;
    let mut loc = Locator::default();
    let mut problems = Vec::new();
    let Some(ed_sheet) = find_sheet(&sheets, EDITION_SHEET) else {
        return Err(ImportError::read(file_name, ReadProblem::NoEditionSheet));
    };
    let ed_name = ed_sheet.name.clone();
    loc.edition_sheet = ed_name.clone();
    let mut p = Problems {
        sheet: ed_name,
        ..Problems::default()
    };
    let edition = parse_edition_sheet(ed_sheet, &mut p, &mut loc);
    problems.append(&mut p.list);

    let mut components = Vec::new();
    if let Some(s) = find_sheet(&sheets, COMPONENTS_SHEET) {
        loc.components_sheet = s.name.clone();
        let mut p = Problems {
            sheet: s.name.clone(),
            ..Problems::default()
        };
        components = parse_components(s, &mut p, &mut loc);
        problems.append(&mut p.list);
    }
    let mut criteria = Vec::new();
    if let Some(s) = find_sheet(&sheets, CRITERIA_SHEET) {
        loc.criteria_sheet = s.name.clone();
        let mut p = Problems {
            sheet: s.name.clone(),
            ..Problems::default()
        };
        let read = parse_criteria(s, Some(&components), &mut p);
        criteria = read.nodes;
        loc.criteria_rows = read.rows;
        loc.criteria_cols = Some(read.cols);
        loc.has_criteria_table = true;
        problems.append(&mut p.list);
    }
    let Some(mut e) = edition else {
        // The metadata is unusable: still check the criteria tree on its own.
        let found = loc.locate_all(&validate_tree(&criteria), &problems);
        problems.extend(found);
        return Err(ImportError::new(file_name, problems));
    };
    e.components = components;
    e.criteria = criteria;
    finish(e, &loc, problems, file_name)
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// Read an edition from a `.toml`, `.json` or `.xlsx` file.
pub fn read_edition(path: &Path) -> Result<Edition, ImportError> {
    let file = table::file_name(path);
    if Format::of(path) == Some(Format::Csv) {
        return Err(ImportError::read(file, ReadProblem::CriteriaOnly));
    }
    match table::format_for(
        path,
        &[Format::Toml, Format::Json, Format::Xlsx],
        ".toml, .json or .xlsx",
    )? {
        Format::Toml => edition_from_toml(&table::read_text(path)?, &file),
        Format::Json => edition_from_json(&table::read_text(path)?, &file),
        _ => edition_from_xlsx(std::io::Cursor::new(table::read_bytes(path)?), &file),
    }
}

/// Write an edition to a `.toml`, `.json` or `.xlsx` file, or its criteria table to a `.csv`.
pub fn write_edition(path: &Path, e: &Edition) -> Result<(), ExportError> {
    let format = table::export_format(
        path,
        &[Format::Toml, Format::Json, Format::Xlsx, Format::Csv],
        ".toml, .json, .xlsx or .csv",
    )?;
    match format {
        Format::Toml => table::write_file(path, try_toml(e)?.as_bytes()),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(e)?;
            s.push('\n');
            table::write_file(path, s.as_bytes())
        }
        Format::Xlsx => table::write_file(path, &edition_to_xlsx(e)?),
        Format::Csv => table::write_csv_file(path, &criteria_to_csv(&e.criteria)?),
    }
}
