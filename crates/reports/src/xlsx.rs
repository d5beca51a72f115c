//! The Chairman's monthly report as a workbook: the same content as the Word document, as
//! sheets — "Tổng hợp" (the baseline and one row per area), "Kết quả tháng" (the reports of
//! the month), "Quá hạn" (task, unit, head, due date) and "Tuân thủ" (one row per agency).
//! Dates are real dates shown dd/mm/yyyy.

use crate::chairman::{outline, ReportData};
use crate::text::dmy;
use crate::{ReportError, Result};
use jiff::civil::Date;
use parindex_domain::text::neutralise_formula;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// Sheet names.
pub const SUMMARY: &str = "Tổng hợp";
pub const DONE: &str = "Kết quả tháng";
pub const OVERDUE: &str = "Quá hạn";
pub const COMPLIANCE: &str = "Tuân thủ";

struct Formats {
    bold: Format,
    title: Format,
    date: Format,
    wrap: Format,
}

fn header(ws: &mut Worksheet, row: u32, cols: &[(&str, f64)], f: &Formats) -> Result<()> {
    for (i, (h, w)) in cols.iter().enumerate() {
        let c = i as u16;
        ws.write_string_with_format(row, c, neutralise_formula(h), &f.bold)
            .map_err(ReportError::xlsx)?;
        ws.set_column_width(c, *w).map_err(ReportError::xlsx)?;
    }
    ws.set_freeze_panes(row + 1, 0).map_err(ReportError::xlsx)?;
    // Printed, the header row repeats at the top of every page, as in the Word document.
    ws.set_repeat_rows(row, row).map_err(ReportError::xlsx)?;
    Ok(())
}

fn date(ws: &mut Worksheet, row: u32, col: u16, d: Date, f: &Formats) -> Result<()> {
    let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
        .map_err(ReportError::xlsx)?;
    ws.write_datetime_with_format(row, col, &x, &f.date)
        .map_err(ReportError::xlsx)?;
    Ok(())
}

fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<()> {
    if !s.is_empty() {
        ws.write_string(row, col, neutralise_formula(s))
            .map_err(ReportError::xlsx)?;
    }
    Ok(())
}

fn wrapped(ws: &mut Worksheet, row: u32, col: u16, s: &str, f: &Formats) -> Result<()> {
    if !s.is_empty() {
        ws.write_string_with_format(row, col, neutralise_formula(s), &f.wrap)
            .map_err(ReportError::xlsx)?;
    }
    Ok(())
}

fn int(ws: &mut Worksheet, row: u32, col: u16, n: usize) -> Result<()> {
    ws.write_number(row, col, n as f64)
        .map_err(ReportError::xlsx)?;
    Ok(())
}

fn opt_int(ws: &mut Worksheet, row: u32, col: u16, n: Option<u32>) -> Result<()> {
    match n {
        Some(n) => int(ws, row, col, n as usize),
        None => Ok(()),
    }
}

/// The report as an .xlsx file.
pub fn chairman_xlsx(data: &ReportData) -> Result<Vec<u8>> {
    let o = outline(data);
    let f = Formats {
        bold: Format::new().set_bold(),
        title: Format::new().set_bold().set_font_size(14),
        date: Format::new().set_num_format("dd/mm/yyyy"),
        wrap: Format::new().set_text_wrap(),
    };
    let mut wb = Workbook::new();
    let area_label = |code: &str| {
        if code.is_empty() {
            "Chung".to_string()
        } else {
            code.to_string()
        }
    };

    // Tổng hợp: the title, the baseline and the overview, then one row per area.
    {
        let ws = wb.add_worksheet();
        ws.set_name(SUMMARY).map_err(ReportError::xlsx)?;
        let lh = &data.letterhead;
        let title = format!("{} {}", o.kind, o.title);
        ws.write_string_with_format(0, 0, neutralise_formula(&title), &f.title)
            .map_err(ReportError::xlsx)?;
        text(ws, 1, 0, &format!("{} — {}", lh.issuer, o.place_date))?;
        let mut row = 2;
        for p in o.baseline.iter().chain(o.overview.iter()) {
            text(ws, row, 0, p)?;
            row += 1;
        }
        row += 1;
        header(
            ws,
            row,
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
                ("Nguy cơ", 60.0),
                ("Đánh giá", 40.0),
            ],
            &f,
        )?;
        for a in &o.areas {
            row += 1;
            text(ws, row, 0, &area_label(&a.code))?;
            wrapped(ws, row, 1, &a.title, &f)?;
            text(ws, row, 2, a.lead.as_deref().unwrap_or(""))?;
            opt_int(ws, row, 3, a.rank)?;
            opt_int(ws, row, 4, a.target_rank)?;
            int(ws, row, 5, a.done.len())?;
            int(ws, row, 6, a.overdue.len())?;
            int(ws, row, 7, a.overdue_units())?;
            int(ws, row, 8, a.due_soon)?;
            wrapped(ws, row, 9, &a.risks.join(" "), &f)?;
            text(ws, row, 10, &a.assessment)?;
        }
    }

    // Kết quả tháng: the reports of the month.
    {
        let ws = wb.add_worksheet();
        ws.set_name(DONE).map_err(ReportError::xlsx)?;
        header(
            ws,
            0,
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
            &f,
        )?;
        let mut row = 0;
        for a in &o.areas {
            for d in &a.done {
                row += 1;
                text(ws, row, 0, &area_label(&a.code))?;
                text(ws, row, 1, &d.section)?;
                wrapped(ws, row, 2, &d.task_title, &f)?;
                text(ws, row, 3, &d.unit_name)?;
                text(ws, row, 4, &d.period)?;
                date(ws, row, 5, d.submitted_on, &f)?;
                text(ws, row, 6, d.status_label())?;
                wrapped(ws, row, 7, &d.text, &f)?;
            }
        }
    }

    // Quá hạn: task, unit, head, due date.
    {
        let ws = wb.add_worksheet();
        ws.set_name(OVERDUE).map_err(ReportError::xlsx)?;
        header(
            ws,
            0,
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
            &f,
        )?;
        let mut row = 0;
        for a in &o.areas {
            for x in &a.overdue {
                row += 1;
                text(ws, row, 0, &area_label(&a.code))?;
                text(ws, row, 1, &x.section)?;
                wrapped(ws, row, 2, &x.task_title, &f)?;
                text(ws, row, 3, &x.unit_name)?;
                text(ws, row, 4, &x.head)?;
                text(ws, row, 5, &x.period)?;
                date(ws, row, 6, x.due, &f)?;
                text(ws, row, 7, x.status_label())?;
            }
        }
    }

    // Tuân thủ: one row per agency.
    {
        let ws = wb.add_worksheet();
        ws.set_name(COMPLIANCE).map_err(ReportError::xlsx)?;
        header(
            ws,
            0,
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
            &f,
        )?;
        for (i, c) in o.compliance.iter().enumerate() {
            let row = i as u32 + 1;
            text(ws, row, 0, &c.unit_name)?;
            text(ws, row, 1, &c.head)?;
            int(ws, row, 2, c.assignments)?;
            int(ws, row, 3, c.accepted)?;
            int(ws, row, 4, c.submitted)?;
            int(ws, row, 5, c.overdue)?;
            int(ws, row, 6, c.missing_reports)?;
            int(ws, row, 7, c.late_reports)?;
            text(ws, row, 8, &c.areas_below_target)?;
            text(ws, row, 9, &c.measures)?;
        }
    }

    wb.save_to_buffer()
        .map_err(|e: XlsxError| ReportError::xlsx(format!("{e} (report of {})", dmy(data.today))))
}
