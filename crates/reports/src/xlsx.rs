//! The Chairman's monthly report as a workbook: the same content as the Word document, as
//! sheets — "Tổng hợp" (the one-page body: the baseline, the month at a glance, the slowest
//! agencies, the month's overdue dossiers, then one row per area), "Kết quả tháng" (the reports
//! of the month), "Quá hạn" (task, unit, head, due date) and "Tuân thủ" (one row per agency).
//! Dates are real dates shown dd/mm/yyyy. The sheets are written by the workspace's one sheet
//! writer, [`parindex_interchange::sheet`]; this module only says what goes in them.

use crate::chairman::{outline, ReportData};
use crate::text::dmy;
use crate::{ReportError, Result};
use parindex_interchange::sheet::{xlsx_bytes, Cell, Sheet};

/// Sheet names.
pub const SUMMARY: &str = "Tổng hợp";
pub const DONE: &str = "Kết quả tháng";
pub const OVERDUE: &str = "Quá hạn";
pub const COMPLIANCE: &str = "Tuân thủ";

/// A sheet with these columns (header, width); printed, the header row repeats at the top of
/// every page, as in the Word document.
fn sheet(name: &str, columns: &[(&str, f64)]) -> Sheet {
    let mut s = Sheet::with_columns(name, columns);
    s.repeat_header = true;
    s
}

fn area_label(code: &str) -> Cell {
    if code.is_empty() {
        Cell::from("Chung")
    } else {
        Cell::from(code)
    }
}

/// The report as an .xlsx file.
pub fn chairman_xlsx(data: &ReportData) -> Result<Vec<u8>> {
    let o = outline(data);

    // Tổng hợp: the title, the baseline and the overview, then one row per area.
    let mut summary = sheet(
        SUMMARY,
        &[
            ("Lĩnh vực", 9.0),
            ("Tên lĩnh vực", 45.0),
            ("Cơ quan chủ trì", 24.0),
            ("Xếp hạng năm trước", 10.0),
            ("Mục tiêu (nhóm)", 10.0),
            ("Báo cáo trong tháng", 10.0),
            ("Lượt quá hạn", 10.0),
            ("Đơn vị quá hạn", 10.0),
            ("Đến hạn trong 7 ngày", 10.0),
            ("Nhiệm vụ", 10.0),
            ("Nhiệm vụ hoàn thành", 10.0),
            ("Nhiệm vụ quá hạn", 10.0),
            ("Nguy cơ", 60.0),
            ("Đánh giá", 40.0),
        ],
    );
    let lh = &data.letterhead;
    summary.preamble = [
        format!("{} {}", o.kind, o.title),
        format!("{} — {}", lh.issuer, o.place_date),
    ]
    .into_iter()
    .chain(o.baseline.iter().chain(o.overview.iter()).cloned())
    .chain(crate::document::worst_sentence(&o.worst))
    .chain(o.dossiers.iter().cloned())
    .chain(o.proposals.iter().cloned())
    .collect();
    summary.rows = o
        .areas
        .iter()
        .map(|a| {
            vec![
                area_label(&a.code),
                Cell::Wrapped(a.title.clone()),
                Cell::from(a.lead.as_deref().unwrap_or("")),
                Cell::from(a.rank),
                Cell::from(a.target_rank),
                Cell::from(a.done.len()),
                Cell::from(a.overdue.len()),
                Cell::from(a.overdue_units()),
                Cell::from(a.due_soon),
                Cell::from(a.tasks),
                Cell::from(a.tasks_done),
                Cell::from(a.tasks_overdue),
                Cell::Wrapped(a.risks.join(" ")),
                Cell::from(a.assessment.as_str()),
            ]
        })
        .collect();

    // Kết quả tháng: the reports of the month.
    let mut done = sheet(
        DONE,
        &[
            ("Lĩnh vực", 9.0),
            ("Mục", 9.0),
            ("Nhiệm vụ", 50.0),
            ("Cơ quan, đơn vị", 28.0),
            ("Kỳ", 16.0),
            ("Ngày nộp", 12.0),
            ("Tình trạng", 18.0),
            ("Nội dung đã thực hiện", 70.0),
        ],
    );
    for a in &o.areas {
        for d in &a.done {
            done.rows.push(vec![
                area_label(&a.code),
                Cell::from(d.section.as_str()),
                Cell::Wrapped(d.task_title.clone()),
                Cell::from(d.unit_name.as_str()),
                Cell::from(d.period.as_str()),
                Cell::Date(d.submitted_on),
                Cell::from(d.status_label()),
                Cell::Wrapped(d.text.clone()),
            ]);
        }
    }

    // Quá hạn: task, unit, head, due date.
    let mut overdue = sheet(
        OVERDUE,
        &[
            ("Lĩnh vực", 9.0),
            ("Mục", 9.0),
            ("Nhiệm vụ", 50.0),
            ("Cơ quan, đơn vị", 28.0),
            ("Người chịu trách nhiệm", 30.0),
            ("Kỳ", 16.0),
            ("Hạn", 12.0),
            ("Tình trạng", 30.0),
        ],
    );
    for a in &o.areas {
        for x in &a.overdue {
            overdue.rows.push(vec![
                area_label(&a.code),
                Cell::from(x.section.as_str()),
                Cell::Wrapped(x.task_title.clone()),
                Cell::from(x.unit_name.as_str()),
                Cell::from(x.head.as_str()),
                Cell::from(x.period.as_str()),
                Cell::Date(x.due),
                Cell::from(x.status_label()),
            ]);
        }
    }

    // Tuân thủ: one row per agency.
    let mut compliance = sheet(
        COMPLIANCE,
        &[
            ("Cơ quan, đơn vị", 34.0),
            ("Người đứng đầu", 32.0),
            ("Lượt giao", 10.0),
            ("Đã chấp nhận", 10.0),
            ("Chờ xem xét", 10.0),
            ("Quá hạn", 10.0),
            ("Kỳ chưa báo cáo", 10.0),
            ("Báo cáo trễ hạn", 10.0),
            ("Lĩnh vực chủ trì dưới mục tiêu", 30.0),
            ("Biện pháp trách nhiệm", 36.0),
        ],
    );
    compliance.rows = o
        .compliance
        .iter()
        .map(|c| {
            vec![
                Cell::from(c.unit_name.as_str()),
                Cell::from(c.head.as_str()),
                Cell::from(c.assignments),
                Cell::from(c.accepted),
                Cell::from(c.submitted),
                Cell::from(c.overdue),
                Cell::from(c.missing_reports),
                Cell::from(c.late_reports),
                Cell::from(c.areas_below_target.as_str()),
                Cell::from(c.measures.as_str()),
            ]
        })
        .collect();

    xlsx_bytes(&[summary, done, overdue, compliance])
        .map_err(|e| ReportError::xlsx(format!("{e} (report of {})", dmy(data.today))))
}
