//! Published results of one edition in and out: one row per subject with its total, rank,
//! components, per-area scores and ranks, source and publication date.
//!
//! Readers (CSV, XLSX, JSON) need the edition (its components and criteria name the columns) and
//! the known subjects. After reading, the set is checked with
//! [`parindex_domain::results::check_set`] (totals against components, ranks against totals,
//! duplicates) and each problem is reported at the row and column it concerns.

use crate::error::{json_syntax, ExportError, ImportError, Problem, ProblemKind, ReadProblem};
use crate::table::{
    self, cell_text, fold_key, is_row_number_header, match_col, Col, Columns, Format, Out,
    OutTable, Problems, Resolved, RowReader, Sheet,
};
use parindex_domain::results::check_set;
use parindex_domain::text::{nfc, slugify};
use parindex_domain::{Edition, NodeCode, PublishedResult, ResultProblemKind};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::path::Path;

/// Sheet names tried for results in a workbook (else the first sheet is read).
pub const RESULTS_SHEET: &[&str] = &["Results", "Kết quả", "Ket qua"];

/// Which of two rows of one subject in one file is kept (`--prefer first|last`, or the choice
/// made in the web's preview); without a preference such a file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    First,
    Last,
}

impl Prefer {
    /// `first` or `last`.
    pub fn parse(s: &str) -> Option<Prefer> {
        match s {
            "first" => Some(Prefer::First),
            "last" => Some(Prefer::Last),
            _ => None,
        }
    }
}

/// A subject given twice in one file, settled by a [`Prefer`]: the row kept and the row set
/// aside (the file's row numbers; for JSON the entry's position from 1), with their totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub subject: String,
    pub kept_row: usize,
    pub kept_total: Option<rust_decimal::Decimal>,
    pub dropped_row: usize,
    pub dropped_total: Option<rust_decimal::Decimal>,
}

/// What a results file holds once read: the rows, and the duplicates a preference settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsRead {
    pub rows: Vec<PublishedResult>,
    pub settled: Vec<Settled>,
}

/// Keep one row per subject as `prefer` says (rows and their numbers stay parallel).
fn settle(
    rows: &mut Vec<PublishedResult>,
    row_numbers: &mut Vec<usize>,
    prefer: Option<Prefer>,
) -> Vec<Settled> {
    let Some(prefer) = prefer else {
        return Vec::new();
    };
    let mut kept: BTreeMap<String, usize> = BTreeMap::new();
    let mut drop = vec![false; rows.len()];
    let mut settled = Vec::new();
    for i in 0..rows.len() {
        let subject = rows[i].subject.clone();
        let Some(&k) = kept.get(&subject) else {
            kept.insert(subject, i);
            continue;
        };
        let (keep, gone) = match prefer {
            Prefer::First => (k, i),
            Prefer::Last => (i, k),
        };
        drop[gone] = true;
        kept.insert(subject.clone(), keep);
        settled.push(Settled {
            subject,
            kept_row: row_numbers[keep],
            kept_total: rows[keep].total,
            dropped_row: row_numbers[gone],
            dropped_total: rows[gone].total,
        });
    }
    let mut it = drop.iter();
    rows.retain(|_| !it.next().copied().unwrap_or(false));
    let mut it = drop.iter();
    row_numbers.retain(|_| !it.next().copied().unwrap_or(false));
    settled
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RCol {
    Subject,
    Name,
    Total,
    Rank,
    Component(String),
    Score(String),
    NodeRank(String),
    Source,
    PublishedOn,
}

const FIXED: &[Col<RCol>] = &[
    Col {
        key: RCol::Subject,
        en: "subject",
        vi: &["Mã", "Tỉnh", "Đơn vị"],
        required: true,
    },
    Col {
        key: RCol::Name,
        en: "name",
        vi: &["Tên"],
        required: false,
    },
    Col {
        key: RCol::Total,
        en: "total",
        vi: &["Tổng điểm"],
        required: false,
    },
    Col {
        key: RCol::Rank,
        en: "rank",
        vi: &["Xếp hạng", "Thứ hạng"],
        required: false,
    },
    Col {
        key: RCol::Source,
        en: "source",
        vi: &["Nguồn"],
        required: false,
    },
    Col {
        key: RCol::PublishedOn,
        en: "published_on",
        vi: &["Ngày công bố"],
        required: false,
    },
];

/// The node a `score:`/`rank:` header names, checked against the edition.
fn node_of(edition: &Edition, header: &str, rest: &str) -> Result<String, ReadProblem> {
    let code = NodeCode::parse(rest).map_err(|problem| ReadProblem::BadNodeColumn {
        header: header.into(),
        problem,
    })?;
    if edition.node(&code).is_none() {
        return Err(ReadProblem::NoSuchNode {
            header: header.into(),
            code: code.to_string(),
        });
    }
    Ok(code.to_string())
}

fn resolve_header(edition: &Edition, h: &str) -> Resolved<RCol> {
    if let Some(k) = match_col(FIXED, h) {
        return Resolved::Column(k);
    }
    let f = fold_key(h);
    if let Some(rest) = f.strip_prefix("component:") {
        let rest = rest.trim();
        return match edition
            .components
            .iter()
            .find(|c| fold_key(&c.code) == rest)
        {
            Some(c) => Resolved::Column(RCol::Component(c.code.clone())),
            None => Resolved::Unknown(ReadProblem::NoSuchComponent {
                header: h.into(),
                code: rest.into(),
            }),
        };
    }
    for (prefixes, score) in [(["score:", "diem "], true), (["rank:", "hang "], false)] {
        for (i, pre) in prefixes.iter().enumerate() {
            let Some(rest) = f.strip_prefix(pre) else {
                continue;
            };
            match node_of(edition, h, rest.trim()) {
                Ok(code) if score => return Resolved::Column(RCol::Score(code)),
                Ok(code) => return Resolved::Column(RCol::NodeRank(code)),
                // `score:x` is meant as a score column; `Điểm x` may just be an unknown header.
                Err(why) if i == 0 || NodeCode::parse(rest.trim()).is_ok() => {
                    return Resolved::Unknown(why)
                }
                Err(_) => {}
            }
        }
    }
    if let Some(c) = edition.components.iter().find(|c| {
        fold_key(&c.code) == f
            || fold_key(&c.name_vi) == f
            || c.name_en.as_deref().is_some_and(|n| fold_key(n) == f)
    }) {
        return Resolved::Column(RCol::Component(c.code.clone()));
    }
    if is_row_number_header(h) {
        return Resolved::Ignore;
    }
    Resolved::Unknown(ReadProblem::UnknownColumn { header: h.into() })
}

/// The subject slug a cell names: the slug itself, or a name whose slug is known.
fn subject_slug(text: &str, is_known: &dyn Fn(&str) -> bool) -> Option<String> {
    if is_known(text) {
        return Some(text.to_string());
    }
    let s = slugify(text);
    is_known(&s).then_some(s)
}

/// The column header a [`parindex_domain::ResultProblem`] field concerns.
fn column_of(cols: &Columns<RCol>, field: &str) -> Option<String> {
    let key = match field {
        "total" => RCol::Total,
        "rank" => RCol::Rank,
        "subject" => RCol::Subject,
        f => {
            if let Some(c) = f.strip_prefix("component ") {
                RCol::Component(c.to_string())
            } else if let Some(c) = f.strip_prefix("score ") {
                RCol::Score(c.to_string())
            } else if let Some(c) = f.strip_prefix("rank ") {
                RCol::NodeRank(c.to_string())
            } else {
                return Some(field.to_string());
            }
        }
    };
    Some(cols.header(&key).unwrap_or(field).to_string())
}

fn results_from_sheet(
    sheet: &Sheet,
    file: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    let mut p = Problems::default();
    let required = vec![(RCol::Subject, "subject (Mã)".to_string())];
    let cols = table::resolve_columns(sheet, |h| resolve_header(edition, h), &required, &mut p);
    // A row needs a total or a published rank: a file needs one of the two columns.
    if !cols.has(&RCol::Total) && !cols.has(&RCol::Rank) {
        p.push(
            Some(sheet.header_row),
            None,
            ReadProblem::MissingColumn {
                label: "total (Tổng điểm)".to_string(),
            },
        );
    }
    if !cols.has(&RCol::Subject) || !(cols.has(&RCol::Total) || cols.has(&RCol::Rank)) {
        return Err(ImportError::new(file, p.list));
    }
    // With a header problem the rows are still read cell by cell, but the set is not checked:
    // an unrecognised column would make the checks report nonsense.
    let header_problems = !p.is_empty();
    let keys: Vec<RCol> = cols.keys().cloned().collect();
    let mut rows = Vec::new();
    let mut row_numbers = Vec::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, &mut p);
        let subject =
            r.req(&RCol::Subject, cell_text)
                .and_then(|t| match subject_slug(&t, is_known) {
                    Some(s) => Some(s),
                    None => {
                        r.problem(&RCol::Subject, ReadProblem::UnknownSubject { value: t });
                        None
                    }
                });
        // An empty total is allowed when the row has a published rank (the set's checks say
        // so when it has neither); a total that is not a number is this row's problem.
        let total = r.get(&RCol::Total, table::cell_decimal);
        let rank = r.u32(&RCol::Rank);
        let mut result = PublishedResult {
            edition_id: edition.id.clone(),
            subject: subject.clone().unwrap_or_default(),
            total: total.unwrap_or_default(),
            rank,
            components: BTreeMap::new(),
            node_scores: BTreeMap::new(),
            node_ranks: BTreeMap::new(),
            source: r.text(&RCol::Source),
            published_on: r.date(&RCol::PublishedOn),
        };
        for k in &keys {
            match k {
                RCol::Component(c) => {
                    if let Some(v) = r.decimal(k) {
                        result.components.insert(c.clone(), v);
                    }
                }
                RCol::Score(c) => {
                    if let Some(v) = r.decimal(k) {
                        result.node_scores.insert(c.clone(), v);
                    }
                }
                RCol::NodeRank(c) => {
                    if let Some(v) = r.u32(k) {
                        result.node_ranks.insert(c.clone(), v);
                    }
                }
                _ => {}
            }
        }
        // A row without a subject or with an unreadable total cannot take part in the checks of
        // the set.
        if subject.is_some() && total.is_ok() {
            rows.push(result);
            row_numbers.push(row.number);
        }
    }
    if sheet.rows.is_empty() {
        p.push(None, None, ReadProblem::NoResults);
    }
    let settled = settle(&mut rows, &mut row_numbers, prefer);
    let mut problems = p.list;
    let set_problems = if header_problems {
        Vec::new()
    } else {
        check_set(edition, &rows)
    };
    for mut rp in set_problems {
        let row = rp.row.and_then(|i| row_numbers.get(i).copied());
        // A duplicate names the row of the first entry, as the file numbers it.
        if let ResultProblemKind::DuplicateSubject { first_row, .. } = &mut rp.kind {
            let first = first_row_of(&rows, &row_numbers, rp.row);
            *first_row = first;
        }
        let column = if rp.row.is_some() {
            column_of(&cols, &rp.field)
        } else {
            None
        };
        let q = Problem::new(
            row,
            column,
            rp.kind.to_string(),
            ProblemKind::Result(rp.kind.clone()),
        );
        let repeated = q.row.is_some()
            && problems
                .iter()
                .any(|a| a.row == q.row && a.column == q.column);
        if !repeated {
            problems.push(q);
        }
    }
    if problems.is_empty() {
        Ok(ResultsRead { rows, settled })
    } else {
        Err(ImportError::new(file, problems))
    }
}

/// Read results from CSV text.
pub fn results_from_csv(
    text: &str,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
) -> Result<Vec<PublishedResult>, ImportError> {
    results_from_csv_preferring(text, file_name, edition, is_known, None).map(|r| r.rows)
}

/// [`results_from_csv`], a subject given twice settled by `prefer`.
pub fn results_from_csv_preferring(
    text: &str,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(file_name, m))?;
    results_from_sheet(&sheet, file_name, edition, is_known, prefer)
}

/// Read results from an XLSX workbook: the `Results` sheet, else the first sheet.
pub fn results_from_xlsx<RS: Read + Seek>(
    rs: RS,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
) -> Result<Vec<PublishedResult>, ImportError> {
    results_from_xlsx_preferring(rs, file_name, edition, is_known, None).map(|r| r.rows)
}

/// [`results_from_xlsx`], a subject given twice settled by `prefer`.
pub fn results_from_xlsx_preferring<RS: Read + Seek>(
    rs: RS,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::TABLE, file_name)?;
    let sheet = table::single_sheet(sheets, RESULTS_SHEET)
        .ok_or_else(|| ImportError::read(file_name, ReadProblem::NoSheets))?;
    results_from_sheet(&sheet, file_name, edition, is_known, prefer)
}

/// Read results from JSON: an array of results in their serde form (decimals as strings).
pub fn results_from_json(
    text: &str,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
) -> Result<Vec<PublishedResult>, ImportError> {
    results_from_json_preferring(text, file_name, edition, is_known, None).map(|r| r.rows)
}

/// [`results_from_json`], a subject given twice settled by `prefer` (rows are the entries'
/// positions from 1).
pub fn results_from_json_preferring(
    text: &str,
    file_name: &str,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    let mut rows: Vec<PublishedResult> = serde_json::from_str(text).map_err(|e| {
        let mut kind = json_syntax(&e);
        if let ReadProblem::Syntax { detail, .. } = &mut kind {
            if detail.contains("Decimal") {
                detail.push_str(" (write points as strings, e.g. \"85.58\")");
            }
        }
        ImportError::read(file_name, kind)
    })?;
    for r in rows.iter_mut() {
        r.subject = nfc(&r.subject);
        r.source = r.source.as_deref().map(nfc).filter(|s| !s.is_empty());
    }
    let mut positions: Vec<usize> = (1..=rows.len()).collect();
    let settled = settle(&mut rows, &mut positions, prefer);
    let mut problems = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if !is_known(&r.subject) {
            problems.push(Problem::read(
                None,
                Some(format!("[{i}].subject")),
                ReadProblem::UnknownSubject {
                    value: r.subject.clone(),
                },
            ));
        }
    }
    for rp in check_set(edition, &rows) {
        let column = match rp.row {
            Some(i) => format!("[{i}].{}", rp.field),
            None => rp.field.clone(),
        };
        let message = match &rp.subject {
            Some(s) => format!("{s}: {}", rp.kind),
            None => rp.kind.to_string(),
        };
        problems.push(Problem::new(
            None,
            Some(column),
            message,
            ProblemKind::Result(rp.kind),
        ));
    }
    if problems.is_empty() {
        Ok(ResultsRead { rows, settled })
    } else {
        Err(ImportError::new(file_name, problems))
    }
}

/// Read results from a `.csv`, `.xlsx` or `.json` file. `is_known` says whether a subject slug
/// exists; a cell may also hold a subject's name whose slug is known (`Bắc Giang`).
pub fn read_results(
    path: &Path,
    edition: &Edition,
    is_known: &dyn Fn(&str) -> bool,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    let file = table::file_name(path);
    match table::format_for(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => {
            results_from_csv_preferring(&table::read_text(path)?, &file, edition, is_known, prefer)
        }
        Format::Json => {
            results_from_json_preferring(&table::read_text(path)?, &file, edition, is_known, prefer)
        }
        _ => results_from_xlsx_preferring(
            std::io::Cursor::new(table::read_bytes(path)?),
            &file,
            edition,
            is_known,
            prefer,
        ),
    }
}

/// [`read_results`] with the known subjects as a set of slugs.
pub fn read_results_known(
    path: &Path,
    edition: &Edition,
    known: &BTreeSet<String>,
    prefer: Option<Prefer>,
) -> Result<ResultsRead, ImportError> {
    read_results(path, edition, &|s| known.contains(s), prefer)
}

/// Codes in node-code order (unparsable codes last, as text).
fn sorted_codes(codes: BTreeSet<&String>) -> Vec<String> {
    let mut v: Vec<(Option<NodeCode>, String)> = codes
        .into_iter()
        .map(|c| (NodeCode::parse(c).ok(), c.clone()))
        .collect();
    v.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    v.into_iter().map(|(_, c)| c).collect()
}

fn results_table(
    edition: &Edition,
    results: &[PublishedResult],
    names: &BTreeMap<String, String>,
) -> OutTable {
    let score_codes = sorted_codes(results.iter().flat_map(|r| r.node_scores.keys()).collect());
    let rank_codes = sorted_codes(results.iter().flat_map(|r| r.node_ranks.keys()).collect());
    let mut headers: Vec<String> = vec![
        "subject".into(),
        "name".into(),
        "total".into(),
        "rank".into(),
    ];
    headers.extend(
        edition
            .components
            .iter()
            .map(|c| format!("component:{}", c.code)),
    );
    headers.extend(score_codes.iter().map(|c| format!("score:{c}")));
    headers.extend(rank_codes.iter().map(|c| format!("rank:{c}")));
    headers.push("source".into());
    headers.push("published_on".into());
    let mut t = OutTable::new(RESULTS_SHEET[0], headers);
    for r in results {
        let mut row = vec![
            Out::Text(r.subject.clone()),
            Out::opt_text(&names.get(&r.subject).cloned()),
            Out::opt_dec(r.total),
            Out::opt_int(r.rank),
        ];
        row.extend(
            edition
                .components
                .iter()
                .map(|c| Out::opt_dec(r.components.get(&c.code).copied())),
        );
        row.extend(
            score_codes
                .iter()
                .map(|c| Out::opt_dec(r.node_scores.get(c).copied())),
        );
        row.extend(
            rank_codes
                .iter()
                .map(|c| Out::opt_int(r.node_ranks.get(c).copied())),
        );
        row.push(Out::opt_text(&r.source));
        row.push(r.published_on.map(Out::Date).unwrap_or(Out::Empty));
        t.rows.push(row);
    }
    t
}

/// Results as CSV text: `subject,name,total,rank,component:<code>…,score:<code>…,rank:<code>…,
/// source,published_on`; every component of the edition, the score and rank columns any row
/// uses. `names` fills the informative `name` column.
pub fn results_to_csv(
    edition: &Edition,
    results: &[PublishedResult],
    names: &BTreeMap<String, String>,
) -> Result<String, ExportError> {
    table::csv_string(&results_table(edition, results, names))
}

/// Results as an XLSX workbook (one sheet, `Results`), as bytes.
pub fn results_to_xlsx(
    edition: &Edition,
    results: &[PublishedResult],
    names: &BTreeMap<String, String>,
) -> Result<Vec<u8>, ExportError> {
    table::xlsx_bytes(&[results_table(edition, results, names)])
}

/// Results as pretty-printed JSON (their serde form, decimals as strings).
pub fn results_to_json(results: &[PublishedResult]) -> Result<String, ExportError> {
    Ok(serde_json::to_string_pretty(results)?)
}

/// Write results to a `.csv`, `.xlsx` or `.json` file.
pub fn write_results(
    path: &Path,
    edition: &Edition,
    results: &[PublishedResult],
    names: &BTreeMap<String, String>,
) -> Result<(), ExportError> {
    match table::export_format(
        path,
        &[Format::Csv, Format::Xlsx, Format::Json],
        ".csv, .xlsx or .json",
    )? {
        Format::Csv => table::write_csv_file(path, &results_to_csv(edition, results, names)?),
        Format::Xlsx => table::write_file(path, &results_to_xlsx(edition, results, names)?),
        _ => table::write_file(path, results_to_json(results)?.as_bytes()),
    }
}

/// The file's row number of the first entry with the subject of entry `i` (a duplicate's
/// first occurrence).
fn first_row_of(
    rows: &[PublishedResult],
    row_numbers: &[usize],
    i: Option<usize>,
) -> Option<usize> {
    let subject = &rows.get(i?)?.subject;
    let first = rows.iter().position(|r| &r.subject == subject)?;
    row_numbers.get(first).copied()
}
