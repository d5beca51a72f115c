//! The Chairman's report as a document: its letterhead, body, closing and appendices, every
//! sentence and every cell already written. The Word document ([`crate::chairman_docx`]) and
//! the PDF ([`crate::chairman_pdf`]) both lay out this one value, so they say the same thing.
//!
//! The body is a one-page summary a Chairman reads in a minute: the baseline in a sentence or
//! two, the month at a glance (figures, not lists), one row of counts per area in a small table,
//! the slowest agencies by name, the proposals; then the recipients and the signature. Whatever
//! is long follows the signature as appendices, each named in the body by its label: Phụ lục I,
//! every overdue item with the unit and who answers for it; Phụ lục II, every agency's
//! compliance (and the month's overdue dossiers not explained); Phụ lục III, per area what was
//! done in the month, what is overdue and the risks to the target.

use crate::chairman::{outline, AreaSection, Outline, ReportData};
use crate::pdf::{DocRow, DocTable};
use crate::text::{dmy, month_label};
use serde::Serialize;

/// One block of the body, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// `I. …`, `1. …`: bold.
    Heading { text: String },
    /// `a) …`: bold italic.
    Subheading { text: String },
    /// A justified paragraph, first line indented.
    Para { text: String },
    /// A small table across the text width.
    Table { table: DocTable },
}

/// An appendix: its label, title, the line tying it to the report, and its table.
#[derive(Debug, Clone, Serialize)]
pub struct Appendix {
    /// `Phụ lục I`.
    pub label: String,
    /// `DANH SÁCH NHIỆM VỤ QUÁ HẠN ĐẾN NGÀY 15/08/2021`.
    pub title: String,
    /// `(Kèm theo Báo cáo số …/BC-SNV ngày 15/08/2021 của Sở Nội vụ)`.
    pub attached_to: String,
    /// A sentence before the table (who answers for the items), may be empty.
    pub note: String,
    /// The table, when it has one (no rows: none).
    pub table: DocTable,
    /// What follows the table: headings and paragraphs.
    pub blocks: Vec<Block>,
}

/// The report as it is laid out.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument {
    /// `BÁO CÁO Tình hình … tháng 08/2021` (the PDF's title).
    pub title: String,
    pub governing_body: String,
    pub issuer: String,
    pub number: String,
    pub motto: String,
    pub motto_sub: String,
    pub place_date: String,
    /// `BÁO CÁO`.
    pub kind: String,
    /// `Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng 08/2021`.
    pub heading: String,
    pub body: Vec<Block>,
    pub recipients_head: String,
    pub recipients: Vec<String>,
    pub signer_title: String,
    /// `(đã ký)` once the report is signed; empty on a draft. Nothing in ParIndex records a
    /// signature, so the report is always a draft: the signature space stays blank.
    pub signed_mark: String,
    /// The signer's name when the issuer's head is known; otherwise empty (a blank block).
    pub signer_name: String,
    pub appendices: Vec<Appendix>,
}

fn heading(text: impl Into<String>) -> Block {
    Block::Heading { text: text.into() }
}
fn subheading(text: impl Into<String>) -> Block {
    Block::Subheading { text: text.into() }
}
fn para(text: impl Into<String>) -> Block {
    Block::Para { text: text.into() }
}

/// Roman numerals for the appendices and the body's parts.
const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

/// The label of the `n`th appendix (from 0): `Phụ lục I`.
fn label(n: usize) -> String {
    format!("Phụ lục {}", ROMAN.get(n).copied().unwrap_or("?"))
}

/// The body's table: one row per area (and the common tasks) — tasks, done, overdue, units
/// with overdue items.
fn area_table(o: &Outline, details: &str) -> DocTable {
    let rows = o
        .areas
        .iter()
        .map(|a| {
            DocRow::new(vec![
                if a.code.is_empty() {
                    a.title.clone()
                } else {
                    format!("{}. {}", a.code, a.title)
                },
                a.tasks.to_string(),
                a.tasks_done.to_string(),
                a.tasks_overdue.to_string(),
                a.overdue_units().to_string(),
            ])
        })
        .collect();
    DocTable {
        caption: String::new(),
        headers: vec![
            format!("Lĩnh vực (chi tiết tại {details})"),
            "Nhiệm vụ".into(),
            "Hoàn thành".into(),
            "Quá hạn".into(),
            "Đơn vị quá hạn".into(),
        ],
        widths: vec![61, 10, 10, 8, 11],
        align: vec!["left", "center", "center", "center", "center"],
        rows,
    }
}

/// The lines of one area (Phụ lục III).
fn area_blocks(out: &mut Vec<Block>, n: usize, a: &AreaSection) {
    out.push(heading(format!("{n}. {}", a.title)));
    if !a.standing.is_empty() {
        out.push(para(format!("{}.", a.standing)));
    }
    out.push(subheading("a) Kết quả thực hiện trong tháng"));
    if a.done.is_empty() {
        out.push(para(
            "Không có báo cáo nào được nộp hoặc được chấp nhận trong tháng.",
        ));
    }
    for d in &a.done {
        out.push(para(format!("- {}", d.line())));
    }
    out.push(subheading("b) Nhiệm vụ quá hạn và trách nhiệm"));
    if a.overdue.is_empty() {
        out.push(para("Không có nhiệm vụ quá hạn."));
    } else {
        let returned = a.overdue.iter().filter(|o| o.returned).count();
        let detail = if returned == 0 {
            String::new()
        } else {
            format!(" ({returned} báo cáo bị trả lại, chưa nộp lại)")
        };
        out.push(para(format!(
            "{} lượt nhiệm vụ quá hạn của {} cơ quan, đơn vị{detail}; danh sách và người chịu trách nhiệm tại Phụ lục I.",
            a.overdue.len(),
            a.overdue_units()
        )));
    }
    out.push(subheading("c) Nguy cơ đối với mục tiêu"));
    for r in &a.risks {
        out.push(para(format!("- {r}")));
    }
    out.push(para(format!("- Đánh giá: {}", a.assessment)));
}

/// Phụ lục I: every overdue item, grouped by area.
fn overdue_appendix(data: &ReportData, o: &Outline, attached_to: &str) -> Appendix {
    let items = || o.areas.iter().flat_map(|a| a.overdue.iter());
    // Who answers: the head of the unit. When no head's name is recorded for any of the units,
    // the column would repeat "Người đứng đầu …" on every row: say it once instead.
    let named = |slug: &str| {
        data.units
            .get(slug)
            .and_then(|u| u.head_name.as_deref())
            .is_some_and(|n| !n.trim().is_empty())
    };
    let any_named = items().any(|i| named(&i.unit));
    let mut headers = vec!["TT", "Cơ quan, đơn vị"];
    let mut widths = vec![2, 14];
    let mut align = vec!["center", "left"];
    if any_named {
        headers.push("Người chịu trách nhiệm");
        widths.push(12);
        align.push("left");
    }
    headers.push("Tình trạng");
    widths.push(10);
    align.push("left");
    // Grouped by area, then by task and period (a row spanning the table), then one row per
    // unit: the task's long title is written once, not on each of its units' rows.
    let mut rows = Vec::new();
    let mut n = 0;
    for a in &o.areas {
        if a.overdue.is_empty() {
            continue;
        }
        rows.push(DocRow::new(vec![if a.code.is_empty() {
            a.title.clone()
        } else {
            format!("{}. {}", a.code, a.title)
        }]));
        // The tasks in the order they come, each task's periods by due date, its units in order.
        let mut items: Vec<&crate::chairman::OverdueItem> = a.overdue.iter().collect();
        let first = |id: &str| a.overdue.iter().position(|o| o.task_id == id);
        items.sort_by_key(|i| (first(&i.task_id), i.due, i.period.clone()));
        let mut task: Option<(&str, &str, jiff::civil::Date)> = None;
        for i in items {
            let key = (i.task_id.as_str(), i.period.as_str(), i.due);
            if task != Some(key) {
                task = Some(key);
                let when = if i.period.is_empty() {
                    format!("hạn {}", dmy(i.due))
                } else {
                    format!("kỳ {}, hạn {}", i.period, dmy(i.due))
                };
                rows.push(DocRow::new(vec![format!(
                    "- {} ({}), {when}",
                    i.task_title, i.section
                )]));
            }
            n += 1;
            let mut cells = vec![n.to_string(), i.unit_name.clone()];
            if any_named {
                cells.push(if named(&i.unit) {
                    i.head.clone()
                } else {
                    "chưa cập nhật".into()
                });
            }
            cells.push(i.status_label().to_string());
            rows.push(DocRow::new(cells));
        }
    }
    let note = if n == 0 {
        "Không có nhiệm vụ quá hạn.".to_string()
    } else if any_named {
        "Người chịu trách nhiệm: người đứng đầu cơ quan, đơn vị được giao (mục IV.4 của Kế hoạch)."
            .to_string()
    } else {
        "Người chịu trách nhiệm: người đứng đầu cơ quan, đơn vị được giao (mục IV.4 của Kế hoạch); tên người đứng đầu chưa được cập nhật."
            .to_string()
    };
    Appendix {
        label: label(0),
        title: format!("DANH SÁCH NHIỆM VỤ QUÁ HẠN ĐẾN NGÀY {}", dmy(data.today)),
        attached_to: attached_to.to_string(),
        note,
        blocks: Vec::new(),
        table: DocTable {
            caption: String::new(),
            headers: headers.into_iter().map(String::from).collect(),
            widths,
            align,
            rows,
        },
    }
}

/// Phụ lục II: every agency's compliance, then the month's overdue dossiers not explained.
fn compliance_appendix(o: &Outline, attached_to: &str) -> Appendix {
    let rows = o
        .compliance
        .iter()
        .enumerate()
        .map(|(i, c)| {
            DocRow::new(vec![
                (i + 1).to_string(),
                c.unit_name.clone(),
                c.assignments.to_string(),
                c.accepted.to_string(),
                c.submitted.to_string(),
                c.overdue.to_string(),
                c.missing_reports.to_string(),
                c.late_reports.to_string(),
                c.measures.clone(),
            ])
        })
        .collect();
    let mut blocks = Vec::new();
    if !o.dossiers.is_empty() {
        blocks.push(heading("Hồ sơ thủ tục hành chính quá hạn chưa giải trình"));
        // The summary sentence of the body, then one line per agency.
        blocks.extend(o.dossier_summary.iter().map(para));
        blocks.extend(o.dossiers.iter().map(|l| para(format!("- {l}"))));
    }
    Appendix {
        label: label(1),
        title: "TÌNH HÌNH THỰC HIỆN CỦA CÁC CƠ QUAN, ĐƠN VỊ".into(),
        attached_to: attached_to.to_string(),
        note: if o.compliance.is_empty() {
            "Chưa có nhiệm vụ nào được giao.".into()
        } else {
            String::new()
        },
        blocks,
        table: DocTable {
            caption: String::new(),
            headers: [
                "TT",
                "Cơ quan, đơn vị",
                "Lượt giao",
                "Đã chấp nhận",
                "Chờ xem xét",
                "Quá hạn",
                "Kỳ chưa báo cáo",
                "Báo cáo trễ hạn",
                "Biện pháp trách nhiệm",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            widths: vec![3, 14, 5, 5, 5, 5, 5, 5, 10],
            align: vec![
                "center", "left", "center", "center", "center", "center", "center", "center",
                "left",
            ],
            rows,
        },
    }
}

/// Phụ lục III: per area, its standing, what was done in the month, what is overdue and the
/// risks to its target.
fn areas_appendix(o: &Outline, attached_to: &str, month: &str) -> Appendix {
    let mut blocks = Vec::new();
    for (i, a) in o.areas.iter().enumerate() {
        area_blocks(&mut blocks, i + 1, a);
    }
    Appendix {
        label: label(2),
        title: format!("KẾT QUẢ THỰC HIỆN THÁNG {month} VÀ NGUY CƠ THEO TỪNG LĨNH VỰC"),
        attached_to: attached_to.to_string(),
        note: String::new(),
        table: DocTable::default(),
        blocks,
    }
}

/// `3 đơn vị chậm nhất: Sở A (12 lượt quá hạn), Sở B (9), Sở C (9)`.
pub(crate) fn worst_sentence(worst: &[(String, usize)]) -> Option<String> {
    let (first, rest) = worst.split_first()?;
    let mut names = vec![format!("{} ({} lượt quá hạn)", first.0, first.1)];
    names.extend(rest.iter().map(|(n, k)| format!("{n} ({k})")));
    let who = if worst.len() == 1 {
        "Đơn vị chậm nhất".to_string()
    } else {
        format!("{} đơn vị chậm nhất", worst.len())
    };
    Some(format!("{who}: {}.", names.join(", ")))
}

/// The report, from its data. Pure.
pub fn report_document(data: &ReportData) -> ReportDocument {
    let o = outline(data);
    let lh = &data.letterhead;
    let month = month_label(data.month);
    let year = data.state.doc.plan.year;
    let mut body = vec![para(o.intro.clone())];
    body.push(heading(format!(
        "{}. KẾT QUẢ CHỈ SỐ CCHC NĂM {} VÀ MỤC TIÊU NĂM {year}",
        ROMAN[0],
        data.edition_year.unwrap_or(year - 1)
    )));
    body.push(para(o.baseline.join(" ")));
    body.push(heading(format!(
        "{}. TÌNH HÌNH THỰC HIỆN THÁNG {month}",
        ROMAN[1]
    )));
    body.extend(o.overview.iter().map(para));
    body.push(Block::Table {
        table: area_table(&o, &label(2)),
    });
    if o.compliance.is_empty() {
        body.push(para("Chưa có nhiệm vụ nào được giao."));
    } else {
        let with_overdue = o.compliance.iter().filter(|c| c.overdue > 0).count();
        let mut s = format!(
            "{with_overdue}/{} cơ quan, đơn vị có nhiệm vụ quá hạn.",
            o.compliance.len()
        );
        if let Some(w) = worst_sentence(&o.worst) {
            s.push(' ');
            s.push_str(&w);
        }
        s.push_str(&format!(
            " Danh sách nhiệm vụ quá hạn tại {}. Chi tiết từng cơ quan, đơn vị tại {}.",
            label(0),
            label(1)
        ));
        body.push(para(s));
    }
    body.push(heading(format!("{}. ĐỀ XUẤT, KIẾN NGHỊ", ROMAN[2])));
    body.push(para(o.proposals.join(" ")));
    body.push(para(format!(
        "Trên đây là báo cáo tháng {month} của {}./.",
        lh.issuer_name
    )));
    let attached_to = format!(
        "(Kèm theo Báo cáo {} ngày {} của {})",
        lh.number.trim_start_matches("Số: ").replace('…', "số …"),
        dmy(data.today),
        lh.issuer_name
    );
    let appendices = vec![
        overdue_appendix(data, &o, &attached_to),
        compliance_appendix(&o, &attached_to),
        areas_appendix(&o, &attached_to, &month),
    ];
    ReportDocument {
        title: format!("{} {}", o.kind, o.title),
        governing_body: lh.governing_body.clone(),
        issuer: lh.issuer.clone(),
        number: lh.number.clone(),
        motto: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
        motto_sub: "Độc lập - Tự do - Hạnh phúc".into(),
        place_date: o.place_date.clone(),
        kind: o.kind.clone(),
        heading: o.title.clone(),
        body,
        recipients_head: "Nơi nhận:".into(),
        recipients: lh.recipients.clone(),
        signer_title: lh.signer_title.clone(),
        signed_mark: String::new(),
        signer_name: lh.signer_name.clone().unwrap_or_default(),
        appendices,
    }
}

/// The report as a PDF: the same document as the Word file, through the typst template
/// `templates/chairman.typ`.
pub fn chairman_pdf(data: &ReportData) -> crate::Result<Vec<u8>> {
    crate::pdf::render(crate::pdf::Template::Chairman, &report_document(data))
}
