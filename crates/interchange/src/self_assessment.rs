//! The self-scoring summary table (*bảng tổng hợp tự chấm điểm*) as an XLSX workbook, in the
//! layout provinces use, printable on A4:
//!
//! | STT | Lĩnh vực / Tiêu chí / Tiêu chí thành phần | Điểm tối đa | Điểm tự đánh giá | Điểm thẩm định | Tài liệu kiểm chứng | Giải trình / Ghi chú | Số liệu kê khai |
//!
//! Title lines above the header (the round, the unit, the criteria set — "MẪU" for a sample),
//! a numbered line `(1) … (8)` under it, one line per area (with its subtotal), criterion and
//! sub-criterion in code order, the total, a line explaining column (8), and signature blocks.
//! `STT` holds the criterion's code (`1`, `1.2`, `1.2.3`), written as text. Columns (1)–(7) are
//! the provinces' form; (8) holds the declared figure (a number or a rate) behind each item
//! scored by bands or in proportion, its cell shaded grey on every other line.
//!
//! The same layout reads back: rows are matched to the edition's codes (an unknown code, a
//! code twice or a max that differs from the edition's is a problem with its row number);
//! [`import_items`] turns the leaf rows into declared figures for the application, refusing
//! scores a rule cannot produce. Only `Điểm tự đánh giá`, `Giải trình / Ghi chú` and
//! `Số liệu kê khai` are taken in; the other columns are informative. A table without the
//! figure column (the seven-column layout written before it) still reads: its figures are then
//! the unit's current ones.
//!
//! The layout is a form (merged title lines, borders, print setup), not a plain table, so it is
//! laid out cell by cell here; its cells follow the shared writer's rules ([`crate::sheet`]:
//! text through [`safe`], decimals through [`write_decimal`]).

use crate::error::{ExportError, ImportError, Problem, ReadProblem};
use crate::sheet::{safe, write_decimal};
use crate::table::{cell_decimal, cell_text, fold_key, xlsx_sheets, Cell, Row};
use parindex_domain::assessment::{
    final_scores, input_kind, leaves, self_score, self_totals, InputKind, Item,
};
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::rules::{ScoreInput, ScoringRule};
use parindex_domain::text::{nfc, restore_formula};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use std::collections::{BTreeMap, BTreeSet};

/// The sheet's name.
pub const SHEET: &str = "Tự chấm điểm";

/// The eight columns as written: the provinces' seven, then the declared figure.
pub const HEADERS: [&str; 8] = [
    "STT",
    "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
    "Điểm tối đa",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Tài liệu kiểm chứng",
    "Giải trình / Ghi chú",
    FIGURE_HEADER,
];

/// The header of column (8): the declared figure behind a band or proportional item.
pub const FIGURE_HEADER: &str = "Số liệu kê khai";

/// The line under the total that says what column (8) holds.
pub const FIGURE_NOTE: &str = "(8) Số liệu kê khai: chỉ điền cho tiêu chí chấm theo mức hoặc theo tỷ lệ (số lượng hoặc tỷ lệ %); điểm tự đánh giá được tính từ số liệu này. Ô tô xám: không áp dụng.";

/// The self-score column's header (where a score is refused).
const SELF_SCORE_HEADER: &str = HEADERS[3];

/// The prefix of a note in the remarks column (what follows an explanation).
pub const NOTE_PREFIX: &str = "Ghi chú:";

/// The lines above the table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SummaryHeader {
    pub round_name: String,
    pub unit_name: String,
    pub edition_name: String,
    pub sample: bool,
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub code: NodeCode,
    pub title: String,
    pub max: Option<Decimal>,
    pub self_score: Option<Decimal>,
    pub appraised: Option<Decimal>,
    pub evidence: String,
    pub remarks: String,
    /// The declared figure (`Số liệu kê khai`) of an item scored by bands or in proportion.
    pub figure: Option<Decimal>,
    /// Whether the line takes a figure: a leaf scored by bands or in proportion.
    pub takes_figure: bool,
}

/// The totals line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SummaryTotal {
    pub max: Option<Decimal>,
    pub self_score: Option<Decimal>,
    pub appraised: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SummaryTable {
    pub header: SummaryHeader,
    pub rows: Vec<SummaryRow>,
    pub total: SummaryTotal,
}

/// The remarks cell: the explanation, then the note after [`NOTE_PREFIX`] on its own line.
pub fn remarks_text(explanation: &str, note: &str) -> String {
    match (explanation.trim().is_empty(), note.trim().is_empty()) {
        (_, true) => explanation.trim().to_string(),
        (true, false) => format!("{NOTE_PREFIX} {}", note.trim()),
        (false, false) => format!("{}\n{NOTE_PREFIX} {}", explanation.trim(), note.trim()),
    }
}

/// Split a remarks cell back into (explanation, note).
pub fn split_remarks(text: &str) -> (String, String) {
    let text = nfc(text);
    let folded_prefix = fold_key(NOTE_PREFIX);
    let mut lines = text.lines();
    let mut explanation = Vec::new();
    let mut note = Vec::new();
    let mut in_note = false;
    for line in lines.by_ref() {
        let trimmed = line.trim_start();
        let head: String = trimmed.chars().take(NOTE_PREFIX.chars().count()).collect();
        if !in_note && fold_key(&head) == folded_prefix {
            in_note = true;
            let rest: String = trimmed.chars().skip(NOTE_PREFIX.chars().count()).collect();
            note.push(rest.trim().to_string());
        } else if in_note {
            note.push(line.to_string());
        } else {
            explanation.push(line.to_string());
        }
    }
    (
        explanation.join("\n").trim().to_string(),
        note.join("\n").trim().to_string(),
    )
}

/// Whether a node is a leaf scored from a declared figure (bands or a proportion).
fn takes_figure(node: &parindex_domain::edition::CriterionNode, leaf: bool) -> bool {
    leaf && input_kind(node) == InputKind::Number
}

/// Build the table of one unit's assessment: `edition` as it applies to the unit, its items,
/// and the descriptions of the evidence of each item (by code).
pub fn build_summary(
    header: SummaryHeader,
    edition: &Edition,
    items: &BTreeMap<NodeCode, Item>,
    evidence: &BTreeMap<String, Vec<String>>,
) -> SummaryTable {
    let self_t = self_totals(edition, items);
    let finals = final_scores(items);
    let final_t = edition.totals(&finals);
    let leaf_codes: BTreeSet<&NodeCode> = leaves(edition).iter().map(|n| &n.code).collect();
    let rows = edition
        .criteria
        .iter()
        .map(|n| {
            let key = n.code.to_string();
            let leaf = leaf_codes.contains(&n.code);
            let item = items.get(&n.code);
            let takes_figure = takes_figure(n, leaf);
            let figure = match item.and_then(|i| i.input.as_ref()) {
                Some(ScoreInput::Number(d)) if takes_figure => Some(*d),
                _ => None,
            };
            let (self_score, appraised) = if leaf {
                (
                    item.and_then(|i| i.self_score),
                    item.and_then(Item::final_score),
                )
            } else {
                (
                    self_t.nodes.get(&key).map(|t| t.achieved),
                    final_t.nodes.get(&key).map(|t| t.achieved),
                )
            };
            SummaryRow {
                code: n.code.clone(),
                title: n.title_vi.clone(),
                max: n.max_points,
                self_score,
                appraised,
                evidence: evidence.get(&key).map(|v| v.join("\n")).unwrap_or_default(),
                remarks: item
                    .map(|i| remarks_text(&i.explanation, &i.note))
                    .unwrap_or_default(),
                figure,
                takes_figure,
            }
        })
        .collect();
    let any_self = items.values().any(|i| i.self_score.is_some());
    SummaryTable {
        header,
        rows,
        total: SummaryTotal {
            max: Some(edition.max_points),
            self_score: any_self.then_some(self_t.overall.achieved),
            appraised: (!finals.is_empty()).then_some(final_t.overall.achieved),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// The row (0-based) of the header line.
const HEADER_ROW: u32 = 5;

/// The last column (0-based): the declared figure.
const LAST_COL: u16 = 7;

fn write_dec(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    d: Option<Decimal>,
    fmt: &Format,
) -> Result<(), ExportError> {
    match d {
        None => {
            ws.write_blank(row, col, fmt)?;
        }
        Some(d) => write_decimal(ws, row, col, d, Some(fmt))?,
    }
    Ok(())
}

/// The table as XLSX bytes: A4 landscape, one page wide, the header lines repeated on every
/// page, page numbers in the footer.
pub fn write_summary_xlsx(t: &SummaryTable) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let centered = Format::new().set_align(FormatAlign::Center);
    let warn = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_font_color(rust_xlsxwriter::Color::RGB(0x8a5a00));
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let head = cell
        .clone()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(rust_xlsxwriter::Color::RGB(0xf2f5f8));
    let numbers = cell.clone().set_italic().set_align(FormatAlign::Center);
    let area = cell.clone().set_bold();
    let criterion = cell.clone().set_indent(1);
    let sub = cell.clone().set_indent(2);
    let num = cell
        .clone()
        .set_align(FormatAlign::Right)
        .set_num_format(crate::sheet::DECIMAL_FORMAT);
    let num_bold = num.clone().set_bold();
    // Column (8) on a line that takes no figure: shaded, not applicable.
    let not_applicable = cell
        .clone()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xd9d9d9));
    ws.merge_range(
        0,
        0,
        0,
        LAST_COL,
        "BẢNG TỔNG HỢP TỰ CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH",
        &title,
    )?;
    ws.merge_range(1, 0, 1, LAST_COL, &safe(&t.header.round_name), &centered)?;
    ws.merge_range(
        2,
        0,
        2,
        LAST_COL,
        &safe(&format!("Đơn vị: {}", t.header.unit_name)),
        &centered,
    )?;
    ws.merge_range(
        3,
        0,
        3,
        LAST_COL,
        &safe(&format!("Bộ tiêu chí: {}", t.header.edition_name)),
        &centered,
    )?;
    if t.header.sample {
        ws.merge_range(
            4,
            0,
            4,
            LAST_COL,
            "MẪU — số liệu minh họa, không phải số liệu chính thức (SAMPLE — not official data)",
            &warn,
        )?;
    }
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *h, &head)?;
        ws.write_string_with_format(HEADER_ROW + 1, c as u16, format!("({})", c + 1), &numbers)?;
    }
    ws.set_row_height(HEADER_ROW, 32)?;
    for (c, w) in [7.0, 60.0, 10.0, 11.0, 11.0, 34.0, 38.0, 12.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut r = HEADER_ROW + 2;
    for row in &t.rows {
        let (text_fmt, n_fmt) = match row.code.depth() {
            1 => (&area, &num_bold),
            2 => (&criterion, &num),
            _ => (&sub, &num),
        };
        let stt_fmt = if row.code.depth() == 1 { &area } else { &cell };
        ws.write_string_with_format(r, 0, safe(&row.code.to_string()), stt_fmt)?;
        ws.write_string_with_format(r, 1, safe(&row.title), text_fmt)?;
        write_dec(ws, r, 2, row.max, n_fmt)?;
        write_dec(ws, r, 3, row.self_score, n_fmt)?;
        write_dec(ws, r, 4, row.appraised, n_fmt)?;
        ws.write_string_with_format(r, 5, safe(&row.evidence), &cell)?;
        ws.write_string_with_format(r, 6, safe(&row.remarks), &cell)?;
        if row.takes_figure {
            write_dec(ws, r, LAST_COL, row.figure, &num)?;
        } else {
            ws.write_blank(r, LAST_COL, &not_applicable)?;
        }
        r += 1;
    }
    ws.write_string_with_format(r, 0, "", &area)?;
    ws.write_string_with_format(r, 1, "TỔNG CỘNG", &area)?;
    write_dec(ws, r, 2, t.total.max, &num_bold)?;
    write_dec(ws, r, 3, t.total.self_score, &num_bold)?;
    write_dec(ws, r, 4, t.total.appraised, &num_bold)?;
    ws.write_string_with_format(r, 5, "", &area)?;
    ws.write_string_with_format(r, 6, "", &area)?;
    ws.write_blank(r, LAST_COL, &not_applicable)?;
    // What column (8) holds, under the total (the reader stops at the total).
    let note = Format::new().set_italic().set_text_wrap();
    ws.merge_range(r + 1, 1, r + 1, LAST_COL, FIGURE_NOTE, &note)?;
    ws.set_row_height(r + 1, 30)?;
    let last = r + 1;
    let bold_center = Format::new().set_bold().set_align(FormatAlign::Center);
    let italic_center = Format::new().set_italic().set_align(FormatAlign::Center);
    ws.write_string_with_format(last + 2, 1, "NGƯỜI LẬP BIỂU", &bold_center)?;
    ws.write_string_with_format(last + 3, 1, "(Ký, ghi rõ họ tên)", &italic_center)?;
    ws.merge_range(
        last + 2,
        5,
        last + 2,
        LAST_COL,
        "THỦ TRƯỞNG ĐƠN VỊ",
        &bold_center,
    )?;
    ws.merge_range(
        last + 3,
        5,
        last + 3,
        LAST_COL,
        "(Ký tên, đóng dấu)",
        &italic_center,
    )?;
    // Printing: A4 (paper size 9), landscape, one page wide, header lines on every page.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW + 1)?;
    ws.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&CTrang &P/&N");
    ws.set_print_area(0, 0, last + 3, LAST_COL)?;
    ws.set_freeze_panes(HEADER_ROW + 2, 0)?;
    Ok(wb.save_to_buffer()?)
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// What a summary file holds: its lines and the total line (when there is one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadSummary {
    pub rows: Vec<SummaryRow>,
    pub total: Option<SummaryTotal>,
    /// Spreadsheet row number of each line (1-based, as a person sees it).
    pub row_numbers: Vec<usize>,
    /// Whether the file has the figure column (`Số liệu kê khai`); a seven-column table of
    /// before it has not, and its figures are the unit's current ones.
    pub has_figures: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ColKey {
    Stt,
    Title,
    Max,
    SelfScore,
    Appraised,
    Evidence,
    Remarks,
    Figure,
}

const COLUMNS: [(ColKey, &[&str]); 8] = [
    (ColKey::Stt, &["STT", "Mã", "Mã số", "code", "No."]),
    (
        ColKey::Title,
        &[
            "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
            "Lĩnh vực/Tiêu chí/Tiêu chí thành phần",
            "Tiêu chí",
            "Nội dung",
            "title",
        ],
    ),
    (ColKey::Max, &["Điểm tối đa", "max", "max points"]),
    (
        ColKey::SelfScore,
        &["Điểm tự đánh giá", "Điểm tự chấm", "self score"],
    ),
    (
        ColKey::Appraised,
        &["Điểm thẩm định", "appraised", "appraised score"],
    ),
    (ColKey::Evidence, &["Tài liệu kiểm chứng", "evidence"]),
    (
        ColKey::Remarks,
        &["Giải trình / Ghi chú", "Giải trình", "Ghi chú", "remarks"],
    ),
    (
        ColKey::Figure,
        &[
            FIGURE_HEADER,
            "Số liệu",
            "Số liệu tự kê khai",
            "figure",
            "declared figure",
        ],
    ),
];

fn col_of(header: &str) -> Option<ColKey> {
    let h = fold_key(header);
    COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|n| fold_key(n) == h))
        .map(|(k, _)| *k)
}

fn header_of(k: ColKey) -> &'static str {
    match k {
        ColKey::Stt => HEADERS[0],
        ColKey::Title => HEADERS[1],
        ColKey::Max => HEADERS[2],
        ColKey::SelfScore => HEADERS[3],
        ColKey::Appraised => HEADERS[4],
        ColKey::Evidence => HEADERS[5],
        ColKey::Remarks => HEADERS[6],
        ColKey::Figure => HEADERS[7],
    }
}

/// A text cell as written by [`write_summary_xlsx`]: its formula guard removed, so that a
/// downloaded, filled-in and uploaded table keeps an explanation that starts with `-` as it was.
fn text_at(row: &Row, i: Option<usize>) -> Result<String, ReadProblem> {
    match i.and_then(|i| row.cells.get(i)) {
        None => Ok(String::new()),
        Some(c) => cell_text(c).map(|t| restore_formula(&t.unwrap_or_default()).to_string()),
    }
}

fn dec_at(row: &Row, i: Option<usize>) -> Result<Option<Decimal>, ReadProblem> {
    match i.and_then(|i| row.cells.get(i)) {
        None => Ok(None),
        Some(c) => cell_decimal(c),
    }
}

/// A declared figure: a number cell, or text such as `87,5` or `87,5 %` (as the web form takes
/// it: a rate's `%` sign is left out).
fn figure_at(row: &Row, i: Option<usize>) -> Result<Option<Decimal>, ReadProblem> {
    match i.and_then(|i| row.cells.get(i)) {
        Some(Cell::Text(t)) => {
            let t = t.trim();
            match t.strip_suffix('%').map(str::trim_end) {
                Some(bare) if !bare.is_empty() => cell_decimal(&Cell::Text(bare.to_string())),
                _ => cell_decimal(&Cell::Text(t.to_string())),
            }
        }
        other => other.map_or(Ok(None), cell_decimal),
    }
}

/// Read a summary table, matching its lines to `edition`'s codes. Every problem is reported at
/// its row and column; nothing is returned when there is any.
pub fn read_summary_xlsx(
    bytes: &[u8],
    file_name: &str,
    edition: &Edition,
) -> Result<ReadSummary, ImportError> {
    let sheets = xlsx_sheets(
        std::io::Cursor::new(bytes),
        crate::xlsx_read::XlsxLimits::SMALL_TABLE,
        file_name,
    )?;
    let sheet = sheets
        .iter()
        .find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| fold_key(n) == fold_key(SHEET))
        })
        .or_else(|| sheets.first())
        .ok_or_else(|| ImportError::read(file_name, ReadProblem::NoSheets))?;
    let rows = sheet.all_rows();
    // The header line: the first with an STT column and a self-score column.
    let header_at = rows.iter().position(|r| {
        let keys: Vec<Option<ColKey>> = r
            .cells
            .iter()
            .map(|c| cell_text(c).ok().flatten().and_then(|t| col_of(&t)))
            .collect();
        keys.contains(&Some(ColKey::Stt)) && keys.contains(&Some(ColKey::SelfScore))
    });
    let Some(header_at) = header_at else {
        return Err(ImportError::read(
            file_name,
            ReadProblem::NoSummaryHeader {
                stt: HEADERS[0],
                self_score: HEADERS[3],
            },
        ));
    };
    let header = &rows[header_at];
    let mut idx: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut problems: Vec<Problem> = Vec::new();
    for (i, c) in header.cells.iter().enumerate() {
        let Some(text) = cell_text(c).ok().flatten() else {
            continue;
        };
        match col_of(&text) {
            Some(k) => {
                if let Some(j) = idx.insert(header_of(k), i) {
                    let first = cell_text(&header.cells[j]).ok().flatten();
                    problems.push(Problem::read(
                        Some(header.number),
                        Some(text.clone()),
                        ReadProblem::ColumnTwice {
                            first: first.unwrap_or_default(),
                            second: text.clone(),
                        },
                    ));
                }
            }
            None => problems.push(Problem::read(
                Some(header.number),
                Some(text.clone()),
                ReadProblem::UnknownColumn {
                    header: text.clone(),
                },
            )),
        }
    }
    for k in [ColKey::Stt, ColKey::Title, ColKey::Max, ColKey::SelfScore] {
        if !idx.contains_key(header_of(k)) {
            problems.push(Problem::read(
                Some(header.number),
                None,
                ReadProblem::MissingColumn {
                    label: header_of(k).to_string(),
                },
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::new(file_name, problems));
    }
    let at = |k: ColKey| idx.get(header_of(k)).copied();
    let leaf_codes: BTreeSet<&NodeCode> = leaves(edition).iter().map(|n| &n.code).collect();
    let mut out = ReadSummary {
        has_figures: at(ColKey::Figure).is_some(),
        ..ReadSummary::default()
    };
    let mut seen: BTreeMap<NodeCode, usize> = BTreeMap::new();
    for row in rows.iter().skip(header_at + 1) {
        let stt = text_at(row, at(ColKey::Stt)).unwrap_or_default();
        let title = text_at(row, at(ColKey::Title)).unwrap_or_default();
        // The numbered line under the header: (1) (2) …
        if stt.starts_with('(') && stt.ends_with(')') {
            continue;
        }
        let is_total = fold_key(&title) == fold_key("TỔNG CỘNG") || fold_key(&stt) == "tong cong";
        let mut cell_problem = |k: ColKey, m: ReadProblem| {
            problems.push(Problem::read(
                Some(row.number),
                Some(header_of(k).to_string()),
                m,
            ));
        };
        let max = dec_at(row, at(ColKey::Max)).unwrap_or_else(|m| {
            cell_problem(ColKey::Max, m);
            None
        });
        let self_score = dec_at(row, at(ColKey::SelfScore)).unwrap_or_else(|m| {
            cell_problem(ColKey::SelfScore, m);
            None
        });
        let appraised = dec_at(row, at(ColKey::Appraised)).unwrap_or_else(|m| {
            cell_problem(ColKey::Appraised, m);
            None
        });
        if is_total {
            out.total = Some(SummaryTotal {
                max,
                self_score,
                appraised,
            });
            break;
        }
        if stt.is_empty() && title.is_empty() {
            continue;
        }
        let code = match NodeCode::parse(&stt) {
            Ok(c) => c,
            Err(e) => {
                cell_problem(ColKey::Stt, ReadProblem::Code(e));
                continue;
            }
        };
        let Some(node) = edition.node(&code) else {
            cell_problem(
                ColKey::Stt,
                ReadProblem::NotACriterion {
                    code: code.to_string(),
                    edition: edition.id.clone(),
                },
            );
            continue;
        };
        if let Some(first) = seen.insert(code.clone(), row.number) {
            cell_problem(
                ColKey::Stt,
                ReadProblem::CodeTwice {
                    code: code.to_string(),
                    first_row: first,
                },
            );
            continue;
        }
        if max != node.max_points {
            let shown = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
            cell_problem(
                ColKey::Max,
                ReadProblem::MaxDiffers {
                    code: code.to_string(),
                    here: shown(max),
                    there: shown(node.max_points),
                    edition: edition.id.clone(),
                },
            );
        }
        let evidence = text_at(row, at(ColKey::Evidence)).unwrap_or_else(|m| {
            cell_problem(ColKey::Evidence, m);
            String::new()
        });
        let remarks = text_at(row, at(ColKey::Remarks)).unwrap_or_else(|m| {
            cell_problem(ColKey::Remarks, m);
            String::new()
        });
        let figure = figure_at(row, at(ColKey::Figure)).unwrap_or_else(|m| {
            cell_problem(ColKey::Figure, m);
            None
        });
        out.rows.push(SummaryRow {
            takes_figure: takes_figure(node, leaf_codes.contains(&code)),
            code,
            title,
            max,
            self_score,
            appraised,
            evidence,
            remarks,
            figure,
        });
        out.row_numbers.push(row.number);
    }
    if out.rows.is_empty() && problems.is_empty() {
        problems.push(Problem::read(None, None, ReadProblem::NoCriterionLines));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file_name, problems))
    }
}

// ---------------------------------------------------------------------------------------------
// From the table to declared figures
// ---------------------------------------------------------------------------------------------

/// One leaf line of an imported table as the application takes it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedItem {
    /// The spreadsheet row.
    pub row: usize,
    pub code: NodeCode,
    /// The declared figure that gives the self-score (`None`: no self-score).
    pub input: Option<ScoreInput>,
    pub self_score: Option<Decimal>,
    pub explanation: String,
    pub note: String,
}

/// The declared figure that gives `score` on this node, if the rule allows exactly one (or the
/// current figure already gives it).
fn input_for(
    node: &parindex_domain::edition::CriterionNode,
    score: Decimal,
    current: Option<&ScoreInput>,
) -> Result<ScoreInput, ReadProblem> {
    let code = || node.code.to_string();
    if let Some(c) = current {
        if self_score(node, c).ok() == Some(score) {
            return Ok(c.clone());
        }
    }
    let candidates: Vec<ScoreInput> = match (&node.rule, input_kind(node)) {
        (_, InputKind::Survey) => return Err(ReadProblem::NotSelfScored { code: code() }),
        (_, InputKind::Points { .. }) => vec![ScoreInput::Points(score)],
        (Some(ScoringRule::Choice { options }), _) => options
            .iter()
            .map(|o| ScoreInput::Choice(o.key.clone()))
            .collect(),
        (Some(ScoringRule::YesNo { .. }), _) => {
            vec![ScoreInput::YesNo(true), ScoreInput::YesNo(false)]
        }
        (Some(ScoringRule::Bonus { per_unit, .. }), _)
        | (Some(ScoringRule::Penalty { per_unit, .. }), _) => {
            let n = (score.abs() / *per_unit).normalize();
            match u32::try_from(n.mantissa()).ok().filter(|_| n.scale() == 0) {
                Some(n) => vec![ScoreInput::Count(n)],
                None => Vec::new(),
            }
        }
        _ => return Err(ReadProblem::FromAFigure { code: code() }),
    };
    let mut fits: Vec<ScoreInput> = candidates
        .into_iter()
        .filter(|i| self_score(node, i).ok() == Some(score))
        .collect();
    match (fits.pop(), fits.is_empty()) {
        (Some(only), true) => Ok(only),
        (Some(_), false) => Err(ReadProblem::SeveralAnswersGive {
            code: code(),
            score,
        }),
        (None, _) => match (&node.rule, input_kind(node)) {
            (_, InputKind::Points { .. }) => match self_score(node, &ScoreInput::Points(score)) {
                Err(problem) => Err(ReadProblem::Score {
                    code: code(),
                    problem,
                }),
                Ok(_) => Err(ReadProblem::CannotBeGiven {
                    code: code(),
                    score,
                }),
            },
            _ => Err(ReadProblem::NoAnswerGives {
                code: code(),
                score,
            }),
        },
    }
}

/// The declared figure and self-score of a line scored from a figure, in a table with the
/// figure column: the figure through the rule, as the web form saves it
/// ([`parindex_domain::assessment::self_score`]); a self-score typed beside it must be the one
/// the figure gives, and one typed without a figure is refused. The error names its column.
#[allow(clippy::type_complexity)]
fn from_figure(
    node: &parindex_domain::edition::CriterionNode,
    figure: Option<Decimal>,
    typed: Option<Decimal>,
) -> Result<(Option<ScoreInput>, Option<Decimal>), (&'static str, ReadProblem)> {
    let code = node.code.to_string();
    let Some(figure) = figure else {
        return match typed {
            None => Ok((None, None)),
            Some(_) => Err((SELF_SCORE_HEADER, ReadProblem::FromAFigure { code })),
        };
    };
    let input = ScoreInput::Number(figure);
    let score = self_score(node, &input).map_err(|problem| {
        let code = code.clone();
        (FIGURE_HEADER, ReadProblem::Score { code, problem })
    })?;
    match typed {
        Some(typed) if typed != score => Err((
            SELF_SCORE_HEADER,
            ReadProblem::FigureGivesOther {
                code,
                figure,
                score,
                typed,
            },
        )),
        _ => Ok((Some(input), Some(score))),
    }
}

/// Turn the leaf lines of a read table into declared figures, explanations and notes,
/// against the unit's current items. Lines of areas and criteria with sub-criteria are
/// subtotals and are not taken in. On a line scored from a figure, the figure column decides
/// (see [`from_figure`]); in a table without that column, the score is matched to the unit's
/// current figure as before. A figure on a line that takes none is refused.
pub fn import_items(
    file_name: &str,
    edition: &Edition,
    read: &ReadSummary,
    current: &BTreeMap<NodeCode, Item>,
) -> Result<Vec<ImportedItem>, ImportError> {
    let leaf_codes: BTreeSet<NodeCode> = leaves(edition).iter().map(|n| n.code.clone()).collect();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (row, number) in read.rows.iter().zip(&read.row_numbers) {
        if !leaf_codes.contains(&row.code) {
            continue;
        }
        let Some(node) = edition.node(&row.code) else {
            continue;
        };
        let cur = current.get(&row.code);
        let (explanation, note) = split_remarks(&row.remarks);
        let problem = |column: &str, m: ReadProblem| {
            Problem::read(Some(*number), Some(column.to_string()), m)
        };
        if row.figure.is_some() && !row.takes_figure {
            let code = row.code.to_string();
            problems.push(problem(FIGURE_HEADER, ReadProblem::FigureNotTaken { code }));
            continue;
        }
        let taken = if read.has_figures && row.takes_figure {
            from_figure(node, row.figure, row.self_score)
        } else {
            match row.self_score {
                None => Ok((None, None)),
                Some(s) => input_for(node, s, cur.and_then(|i| i.input.as_ref()))
                    .map(|i| (Some(i), Some(s)))
                    .map_err(|m| (SELF_SCORE_HEADER, m)),
            }
        };
        let (input, self_score) = match taken {
            Ok(x) => x,
            Err((column, m)) => {
                problems.push(problem(column, m));
                continue;
            }
        };
        out.push(ImportedItem {
            row: *number,
            code: row.code.clone(),
            self_score,
            input,
            explanation,
            note,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file_name, problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remarks_split_back() {
        for (e, n) in [
            ("", ""),
            ("Chưa có văn bản", ""),
            ("", "Đã gửi bản giấy"),
            ("Dòng 1\nDòng 2", "Ghi chú dài\nhai dòng"),
        ] {
            assert_eq!(
                split_remarks(&remarks_text(e, n)),
                (e.to_string(), n.to_string())
            );
        }
        assert_eq!(
            split_remarks("Giải trình thôi\nghi chu: viết thường"),
            ("Giải trình thôi".into(), "viết thường".into())
        );
    }
}
