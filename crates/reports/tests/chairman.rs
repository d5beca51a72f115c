//! The Chairman's monthly report, generated from the Bắc Giang 2021 plan as of 15/8/2021 with a
//! few reports submitted and reviewed: the Word document is opened (it is a zip) and its text
//! checked — header, every area, the overdue items of 31/7/2021 with their units and heads, the
//! recipients and the signature — and the workbook is read back with calamine. On SQLite, and on
//! PostgreSQL when TEST_DATABASE_URL is set.

mod common;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::{seed, PLAN};
use jiff::civil::{date, Date};
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::{Decision, Status};
use parindex_reports::{chairman_docx, chairman_report_data, chairman_xlsx, parse_month};
use parindex_store::{ReportInput, Store};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use parindex_store::on_both_backends;

on_both_backends!(
    the_word_report_as_of_15_august,
    the_word_body_is_a_summary_and_the_lists_are_appendices,
    the_draft_leaves_the_signature_blank,
    a_month_counts_the_reports_submitted_in_it_whatever_their_period,
    a_july_report_accepted_on_15_august_counts_in_august,
    table_headers_repeat_on_every_page_and_rows_do_not_split,
    overdue_dossier_explanations_are_reported,
    the_workbook_as_of_15_august
);

const TODAY: Date = date(2021, 8, 15);

fn input(period: &str, done: &str) -> ReportInput {
    ReportInput {
        period: period.into(),
        done: done.into(),
        problems: String::new(),
        proposals: String::new(),
        progress_pct: 100,
    }
}

/// The plan with four reports: two accepted in July, one pending in August, one returned.
async fn with_reports(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let r = s
        .submit_report(
            PLAN,
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input(
                "once",
                "Đã trình UBND tỉnh dự thảo Quy định danh mục tài sản cố định vô hình",
            ),
            &[],
            date(2021, 7, 28),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    s.review_report(
        r.id,
        Decision::Accepted,
        "Đạt",
        "sonoivu",
        date(2021, 7, 29),
    )
    .await
    .unwrap();
    let r = s
        .submit_report(
            PLAN,
            "III.1-monthly-report",
            "so-tu-phap",
            &input("2021-07", "Báo cáo CCHC tháng 7 của Sở Tư pháp"),
            &[],
            date(2021, 7, 30),
            &cal,
            "sotuphap",
        )
        .await
        .unwrap();
    s.review_report(r.id, Decision::Accepted, "", "sonoivu", date(2021, 7, 31))
        .await
        .unwrap();
    s.submit_report(
        PLAN,
        "III.1-monthly-report",
        "so-tu-phap",
        &input("2021-08", "Báo cáo CCHC tháng 8 của Sở Tư pháp"),
        &[],
        date(2021, 8, 14),
        &cal,
        "sotuphap",
    )
    .await
    .unwrap();
    let r = s
        .submit_report(
            PLAN,
            "II.5-portal-explain",
            "so-tttt",
            &input("once", "Giải trình chưa đầy đủ"),
            &[],
            date(2021, 8, 2),
            &cal,
            "sotttt",
        )
        .await
        .unwrap();
    s.review_report(
        r.id,
        Decision::Returned,
        "Thiếu số liệu",
        "sonoivu",
        date(2021, 8, 3),
    )
    .await
    .unwrap();
}

/// The overdue periods due 31/7/2021 as the store sees them: (task title, unit slug).
async fn overdue_of_31_july(s: &Store) -> Vec<(String, String, String)> {
    let st = s.plan_state(PLAN, TODAY, None).await.unwrap();
    let mut out = Vec::new();
    for t in &st.tasks {
        for a in &t.assignments {
            if a.periods
                .iter()
                .any(|p| p.status == Status::Overdue && p.period.due == date(2021, 7, 31))
            {
                out.push((
                    t.task.id.clone(),
                    t.task.title.clone(),
                    a.assignment.unit.clone(),
                ));
            }
        }
    }
    out
}

/// Each unit's head as the report names them: the name and title of the data (the demo's are
/// sample names, "(tên mẫu)"), or "Người đứng đầu <unit>" when no name is recorded.
async fn heads(s: &Store) -> BTreeMap<String, String> {
    s.units(None)
        .await
        .unwrap()
        .into_iter()
        .map(|u| {
            let shown = match (u.head_name.as_deref(), u.head_title.as_deref()) {
                (Some(n), Some(t)) if !n.is_empty() && !t.is_empty() => format!("{n} ({t})"),
                (Some(n), _) if !n.is_empty() => n.to_string(),
                _ => format!("Người đứng đầu {}", u.name_vi),
            };
            (u.slug, shown)
        })
        .collect()
}

async fn unit_names(s: &Store) -> BTreeMap<String, String> {
    s.units(None)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.slug, u.name_vi))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text of an XML fragment: the tags dropped, the entities decoded.
fn text_of(xml: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

fn document_xml(docx: &[u8]) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(docx)).expect("a .docx is a zip");
    let mut f = z.by_name("word/document.xml").expect("word/document.xml");
    let mut xml = String::new();
    f.read_to_string(&mut xml).unwrap();
    xml
}

/// The text of every table row.
fn rows_of(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = [rest.find("<w:tr>"), rest.find("<w:tr ")]
        .into_iter()
        .flatten()
        .min()
    {
        let row = &rest[i..];
        let end = row.find("</w:tr>").unwrap_or(row.len());
        out.push(text_of(&row[..end]));
        rest = &row[end..];
    }
    out
}

/// The tables of the body (none is nested), each as the XML of its rows.
fn tables_of(xml: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = [rest.find("<w:tbl>"), rest.find("<w:tbl ")]
        .into_iter()
        .flatten()
        .min()
    {
        let table = &rest[i..];
        let end = table.find("</w:tbl>").expect("a closed table");
        let mut rows = Vec::new();
        let mut r = &table[..end];
        while let Some(j) = [r.find("<w:tr>"), r.find("<w:tr ")]
            .into_iter()
            .flatten()
            .min()
        {
            let row = &r[j..];
            let e = row.find("</w:tr>").expect("a closed row") + "</w:tr>".len();
            rows.push(row[..e].to_string());
            r = &row[e..];
        }
        out.push(rows);
        rest = &table[end..];
    }
    out
}

/// The row's properties (`<w:trPr>…</w:trPr>`), empty when it has none.
fn row_properties(row: &str) -> &str {
    match (row.find("<w:trPr>"), row.find("</w:trPr>")) {
        (Some(a), Some(b)) if a < b => &row[a..b],
        _ => "",
    }
}

async fn table_headers_repeat_on_every_page_and_rows_do_not_split(s: &Store) {
    with_reports(s).await;
    let data = chairman_report_data(s, PLAN, parse_month("2021-08").unwrap(), TODAY)
        .await
        .unwrap();
    let bytes = chairman_docx(&data).unwrap();
    docx_rs::read_docx(&bytes).expect("the document reads back");
    let xml = document_xml(&bytes);
    let tables = tables_of(&xml);
    // The letterhead, the body's table of the areas, the recipients and signature, then the
    // appendices' tables: the overdue items (Phụ lục I) and the compliance of every agency
    // (Phụ lục II).
    assert_eq!(tables.len(), 5, "{} tables", tables.len());
    let letterhead = &tables[0];
    let closing = &tables[2];
    assert!(text_of(&closing[0]).contains("Nơi nhận:"));
    let grids = [&tables[1], &tables[3], &tables[4]];
    for (what, t) in [("letterhead", letterhead), ("closing", closing)] {
        assert_eq!(t.len(), 1, "{what}: one row");
        assert!(!t[0].contains("tblHeader"), "{what}: no header row");
        assert!(row_properties(&t[0]).contains("<w:cantSplit"), "{what}");
    }
    let mut long = 0;
    for (n, t) in grids.iter().enumerate() {
        assert!(t.len() >= 2, "table {n}: a header and rows");
        let head = row_properties(&t[0]);
        assert_eq!(
            head.matches("<w:tblHeader").count(),
            1,
            "table {n}: the first row repeats: {head}"
        );
        assert!(head.contains("<w:cantSplit"), "table {n}: {head}");
        assert!(
            text_of(&t[0]).starts_with(if n == 0 {
                "Lĩnh vực (chi tiết tại Phụ lục III)"
            } else {
                "TT"
            }),
            "table {n}: the header row is the first: {}",
            text_of(&t[0])
        );
        for (i, row) in t.iter().enumerate().skip(1) {
            assert!(!row.contains("tblHeader"), "table {n}, row {i} repeats");
            assert!(
                row_properties(row).contains("<w:cantSplit"),
                "table {n}, row {i} may split"
            );
        }
        if t.len() > 30 {
            long += 1;
        }
    }
    assert!(long >= 1, "a table long enough to run onto a second page");
    assert_eq!(
        xml.matches("<w:tblHeader").count(),
        grids.len(),
        "one repeated header row per table, nowhere else"
    );
    assert!(
        !xml.contains("<w:trHeight"),
        "every header-row marker was replaced"
    );
    // The workbook's four tables print with their header row on every page too.
    let wb = chairman_xlsx(&data).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(wb)).unwrap();
    let mut workbook = String::new();
    z.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut workbook)
        .unwrap();
    assert_eq!(
        workbook.matches("_xlnm.Print_Titles").count(),
        4,
        "{workbook}"
    );
}

async fn the_word_report_as_of_15_august(s: &Store) {
    with_reports(s).await;
    let data = chairman_report_data(s, PLAN, parse_month("2021-08").unwrap(), TODAY)
        .await
        .unwrap();
    let bytes = chairman_docx(&data).unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip");
    docx_rs::read_docx(&bytes).expect("the document reads back");
    let xml = document_xml(&bytes);
    let text = text_of(&xml);

    // Decree 30: header, type and title, font and sizes, page.
    for s in [
        "UBND TỈNH BẮC GIANG",
        "SỞ NỘI VỤ",
        "Số: …/BC-SNV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bắc Giang, ngày 15 tháng 8 năm 2021",
        "BÁO CÁO",
        "Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng 08/2021",
    ] {
        assert!(text.contains(s), "missing {s:?}");
    }
    let header = &rows_of(&xml)[0];
    assert!(
        header.contains("UBND TỈNH BẮC GIANG") && header.contains("Độc lập - Tự do - Hạnh phúc"),
        "the two-column header is the first table: {header}"
    );
    assert!(xml.contains("Times New Roman"));
    assert!(
        xml.contains(r#"<w:sz w:val="26" />"#) || xml.contains(r#"<w:sz w:val="26"/>"#),
        "13 pt body"
    );
    assert!(xml.contains(r#"w:val="26""#), "13 pt header lines");
    assert!(
        xml.contains(r#"w:w="11906""#) && xml.contains(r#"w:h="16838""#),
        "A4"
    );
    assert!(xml.contains(r#"w:left="1701""#), "left margin 30 mm");
    assert!(xml.contains(r#"w:top="1134""#), "top margin 20 mm");

    // The baseline.
    for s in [
        "85,58 điểm",
        "13/63",
        "nhóm 10",
        "0,16 điểm",
        "Phú Thọ",
        "3,74 điểm và 12 bậc",
    ] {
        assert!(text.contains(s), "baseline: missing {s:?}");
    }

    // Every area of the edition, in order.
    let e = s.edition("par-2020-province").await.unwrap().unwrap();
    let mut at = 0;
    for (i, a) in e.areas().enumerate() {
        let h = format!("{}. {}", i + 1, a.title_vi);
        let pos = text[at..]
            .find(&h)
            .unwrap_or_else(|| panic!("area heading {h:?}"));
        at += pos;
    }
    assert_eq!(e.areas().count(), 8);
    assert!(text.contains(
        "Xếp hạng năm 2020: 38/63; mục tiêu: trong nhóm 15; cơ quan chủ trì: Văn phòng UBND tỉnh"
    ));

    // Every overdue item of 31/7/2021 with its unit and its head, in a row with the due date.
    let names = unit_names(s).await;
    let heads = heads(s).await;
    let rows = rows_of(&xml);
    let overdue = overdue_of_31_july(s).await;
    assert!(
        overdue.len() > 100,
        "the fanned-out tasks: {}",
        overdue.len()
    );
    // The appendix says who answers once (the heads are named in the data: sample names), not
    // "Người đứng đầu …" on every row.
    assert!(text.contains("Phụ lục I"));
    assert!(text.contains("DANH SÁCH NHIỆM VỤ QUÁ HẠN ĐẾN NGÀY 15/08/2021"));
    assert!(
        heads.values().any(|h| h.contains("(tên mẫu)")),
        "sample heads: {heads:?}"
    );
    assert!(text.contains(
        "Người chịu trách nhiệm: người đứng đầu cơ quan, đơn vị được giao (mục IV.4 của Kế hoạch)."
    ));
    assert!(!text.contains("tên người đứng đầu chưa được cập nhật"));
    // Phụ lục I is grouped: a row per task and period (title, section, due date), then a row
    // per unit (number, unit, status). Pair every unit row with the task row above it.
    let mut grouped: Vec<(String, String)> = Vec::new();
    let mut group = String::new();
    for r in &rows {
        if r.starts_with("TT") {
            // A table's header row: a new table begins (Phụ lục II has no task rows).
            group.clear();
        } else if r.starts_with("- ") {
            group = r.clone();
        } else if r.chars().next().is_some_and(|c| c.is_ascii_digit())
            && !r
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with(". ")
            && !group.is_empty()
        {
            // A unit's row (`12Sở Tư pháp…`), not an area's (`1. Công tác…`).
            grouped.push((group.clone(), r.clone()));
        }
    }
    for (id, title, unit) in &overdue {
        let name = &names[unit];
        assert!(text.contains(title.as_str()), "{id}: title");
        assert!(
            grouped.iter().any(|(g, r)| g.contains(title.as_str())
                && g.contains("31/07/2021")
                && r.contains(name.as_str())
                && !r.contains("Người đứng đầu")),
            "{id}: no row of {name} under {title}, due 31/07/2021"
        );
    }
    let items: usize = parindex_reports::chairman::outline(&data)
        .areas
        .iter()
        .map(|a| a.overdue.len())
        .sum();
    assert_eq!(
        grouped.len(),
        items,
        "one unit row per overdue item, each under its task"
    );
    for (id, unit) in [
        ("II.3-deputies-report", "so-noi-vu"),
        ("II.4-culture-violations", "so-vhttdl"),
        ("II.4-college-violations", "truong-cd-nghe-viet-han"),
        ("II.5-portal-explain", "so-tttt"),
        ("II.2-review-procedures", "huyen-yen-the"),
    ] {
        assert!(
            overdue.iter().any(|(t, _, u)| t == id && u == unit),
            "{id} {unit}"
        );
    }
    // The one-off task of Sở Tài chính was accepted: not in any overdue row.
    let doc = s.plan_document(PLAN).await.unwrap().unwrap();
    let intangible = &doc
        .tasks
        .iter()
        .find(|t| t.id == "II.4-intangible-assets")
        .unwrap()
        .title;
    assert!(!rows.iter().any(|r| r.contains(intangible.as_str())));

    // What was done in August: the pending monthly report of Sở Tư pháp; July's are not there.
    assert!(text.contains("Báo cáo CCHC tháng 8 của Sở Tư pháp"));
    assert!(text.contains("chờ xem xét"));
    assert!(!text.contains("Báo cáo CCHC tháng 7 của Sở Tư pháp"));
    assert!(
        !text.contains("Giải trình chưa đầy đủ"),
        "a returned report is not 'done'"
    );

    // The compliance table (Phụ lục II), the recipients and the signature block.
    let st = s.plan_state(PLAN, TODAY, None).await.unwrap();
    let c = &st.compliance["so-tai-chinh"];
    assert!(rows
        .iter()
        .any(|r| r.contains("Sở Tài chính")
            && r.contains(&format!("{}{}", c.assignments, c.accepted))));
    assert!(text.contains("Chi tiết từng cơ quan, đơn vị tại Phụ lục II."));
    let tail = &text[text.find("III. ĐỀ XUẤT, KIẾN NGHỊ").expect("proposals")..];
    for s in [
        "Nơi nhận:",
        "- Chủ tịch, các PCT UBND tỉnh;",
        "- Bộ Nội vụ (báo cáo);",
        "- Lưu: VT, CCHC.",
        "GIÁM ĐỐC",
    ] {
        assert!(tail.contains(s), "closing: missing {s:?}");
    }
    assert!(
        rows.iter()
            .any(|r| r.contains("Nơi nhận:") && r.contains("GIÁM ĐỐC")),
        "the closing table"
    );
    // The appendices come after the signature.
    let signature = text.find("GIÁM ĐỐC").unwrap();
    assert!(text.find("DANH SÁCH NHIỆM VỤ QUÁ HẠN").unwrap() > signature);
    assert!(
        text.rfind("TÌNH HÌNH THỰC HIỆN CỦA CÁC CƠ QUAN, ĐƠN VỊ")
            .unwrap()
            > signature
    );

    // July: the accepted reports of July are what was done.
    let july = chairman_report_data(s, PLAN, (2021, 7), TODAY)
        .await
        .unwrap();
    let text7 = text_of(&document_xml(&chairman_docx(&july).unwrap()));
    assert!(text7.contains("tháng 07/2021"));
    assert!(text7.contains("Báo cáo CCHC tháng 7 của Sở Tư pháp"));
    assert!(text7.contains("Đã trình UBND tỉnh dự thảo Quy định danh mục tài sản cố định vô hình"));
    assert!(text7.contains("đã được chấp nhận"));
    assert!(!text7.contains("Báo cáo CCHC tháng 8 của Sở Tư pháp"));

    // A plan that does not exist.
    let err = chairman_report_data(s, "khong-co", (2021, 8), TODAY)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

/// The body of the Word report is the one-page summary: figures, one row per area, the slowest
/// agencies by name and pointers to the appendices — no task, no report, no head of unit. The
/// lists are after the signature: every overdue task in Phụ lục I, the agencies in Phụ lục II,
/// what was done in the month in Phụ lục III.
async fn the_word_body_is_a_summary_and_the_lists_are_appendices(s: &Store) {
    with_reports(s).await;
    let data = chairman_report_data(s, PLAN, (2021, 8), TODAY)
        .await
        .unwrap();
    let xml = document_xml(&chairman_docx(&data).unwrap());
    let text = text_of(&xml);
    let cut = text.find("Nơi nhận:").expect("the closing");
    let (body, after) = text.split_at(cut);
    let overdue = overdue_of_31_july(s).await;
    let titles: std::collections::BTreeSet<&str> =
        overdue.iter().map(|(_, t, _)| t.as_str()).collect();
    assert!(titles.len() > 10, "{} overdue tasks", titles.len());
    for t in &titles {
        assert!(!body.contains(t), "a task in the body: {t}");
        assert!(after.contains(t), "not in the appendix: {t}");
    }
    // What was done in the month, and who answers, are in the appendices only.
    for s in [
        "Báo cáo CCHC tháng 8 của Sở Tư pháp",
        "(tên mẫu)",
        "chờ xem xét",
    ] {
        assert!(!body.contains(s), "in the body: {s}");
        assert!(after.contains(s), "not after the signature: {s}");
    }
    // The body says the figures and points to each appendix by its label.
    let o = parindex_reports::chairman::outline(&data);
    let items: usize = o.areas.iter().map(|a| a.overdue.len()).sum();
    assert!(body.contains(&format!("{items} lượt quá hạn")), "{body}");
    for l in ["Phụ lục I.", "Phụ lục II.", "Phụ lục III)"] {
        assert!(body.contains(l), "the body names {l}");
    }
    // Per area one row: the area, tasks, done, overdue, units overdue.
    let a3 = o.areas.iter().find(|a| a.code == "3").unwrap();
    assert!(a3.tasks >= a3.tasks_done + a3.tasks_overdue && a3.tasks_overdue > 0);
    let row = rows_of(&xml)
        .into_iter()
        .find(|r| r.starts_with("3. Cải cách thủ tục hành chính"))
        .expect("the row of area 3");
    assert_eq!(
        row,
        format!(
            "3. Cải cách thủ tục hành chính{}{}{}{}",
            a3.tasks,
            a3.tasks_done,
            a3.tasks_overdue,
            a3.overdue_units()
        )
    );
    assert_eq!(o.areas.len(), 9, "8 areas and the common tasks");
    // The slowest agencies by name, the worst first, as Phụ lục II lists them.
    let worst = &o.worst;
    assert_eq!(worst.len(), 3);
    assert!(worst.windows(2).all(|w| w[0].1 >= w[1].1), "{worst:?}");
    assert!(body.contains(&format!(
        "3 đơn vị chậm nhất: {} ({} lượt quá hạn), {} ({}), {} ({}).",
        worst[0].0, worst[0].1, worst[1].0, worst[1].1, worst[2].0, worst[2].1
    )));
    // Tasks done, in progress and overdue, and the periods reported on time, late or not.
    let st = s.plan_state(PLAN, TODAY, None).await.unwrap();
    let due: Vec<_> = st
        .tasks
        .iter()
        .flat_map(|t| t.assignments.iter())
        .flat_map(|a| a.periods.iter())
        .filter(|p| p.period.due < TODAY)
        .collect();
    let missing = due.iter().filter(|p| p.missing).count();
    let late = due.iter().filter(|p| p.late).count();
    assert!(
        body.contains(&format!(
            "Kỳ báo cáo đã đến hạn: {} đúng hạn, {late} trễ hạn, {missing} chưa nộp.",
            due.len() - missing - late
        )),
        "{body}"
    );
    let overdue_tasks = st
        .tasks
        .iter()
        .filter(|t| t.status == Status::Overdue)
        .count();
    let done_tasks = st
        .tasks
        .iter()
        .filter(|t| t.status == Status::Accepted)
        .count();
    assert!(
        body.contains(&format!(
            "{done_tasks} nhiệm vụ đã hoàn thành, {} đang thực hiện, {overdue_tasks} quá hạn ({items} lượt quá hạn",
            st.tasks.len() - done_tasks - overdue_tasks
        )),
        "{body}"
    );
}

/// The report is generated as a draft to be signed: its signature block has the signer's title
/// and an empty space, never "(đã ký)" (nothing records a signature), in any month.
async fn the_draft_leaves_the_signature_blank(s: &Store) {
    with_reports(s).await;
    for month in [(2021, 7), (2021, 8)] {
        let data = chairman_report_data(s, PLAN, month, TODAY).await.unwrap();
        let xml = document_xml(&chairman_docx(&data).unwrap());
        let text = text_of(&xml);
        assert!(
            !text.contains("(đã ký)"),
            "{month:?}: a draft is not signed"
        );
        assert!(!text.contains("đã ký"), "{month:?}");
        let closing = rows_of(&xml)
            .into_iter()
            .find(|r| r.contains("Nơi nhận:"))
            .unwrap();
        assert!(closing.contains("Nơi nhận:") && closing.contains("GIÁM ĐỐC"));
        // After the title, the block holds nothing but blank lines and the signer's name when
        // the issuer's head is known.
        let after = &closing[closing.find("GIÁM ĐỐC").unwrap()..];
        let rest = after.trim_start_matches("GIÁM ĐỐC").trim();
        match &data.letterhead.signer_name {
            Some(n) => assert_eq!(rest, n.as_str()),
            None => assert_eq!(rest, "", "blank signature block"),
        }
    }
}

/// A July report submitted late, on 3 August, counts in August and not in July; the report says
/// which reports a month counts.
async fn a_month_counts_the_reports_submitted_in_it_whatever_their_period(s: &Store) {
    with_reports(s).await;
    s.submit_report(
        PLAN,
        "III.1-monthly-report",
        "so-tai-chinh",
        &input("2021-07", "Báo cáo CCHC tháng 7 của Sở Tài chính, nộp muộn"),
        &[],
        date(2021, 8, 3),
        &WorkCalendar::every_day(),
        "sotaichinh",
    )
    .await
    .unwrap();
    let text_for = |month| async move {
        let data = chairman_report_data(s, PLAN, month, TODAY).await.unwrap();
        text_of(&document_xml(&chairman_docx(&data).unwrap()))
    };
    let august = text_for((2021, 8)).await;
    let july = text_for((2021, 7)).await;
    let late = "Báo cáo CCHC tháng 7 của Sở Tài chính, nộp muộn";
    assert!(august.contains(late), "counted in the month it came in");
    assert!(!july.contains(late), "not in the month of its period");
    // The reports of July submitted in July stay in July.
    assert!(july.contains("Báo cáo CCHC tháng 7 của Sở Tư pháp"));
    let rule =
        "Báo cáo được tính vào tháng nộp hoặc tháng được chấp nhận, không phân biệt kỳ báo cáo";
    assert!(
        august.contains(rule) && july.contains(rule),
        "the report says so"
    );
    // August: the pending report of Sở Tư pháp and the late one of Sở Tài chính.
    assert!(august.contains(
        "Trong tháng 08/2021: 2 báo cáo đã nộp hoặc được chấp nhận, trong đó 0 báo cáo đã được chấp nhận."
    ));
}

/// A July report submitted on 30 July and accepted on 15 August (the app clock's day of the
/// review) counts as done in August too, and says when it was accepted.
async fn a_july_report_accepted_on_15_august_counts_in_august(s: &Store) {
    seed(s).await;
    let text = "Báo cáo CCHC tháng 7 của Sở Tư pháp, duyệt ngày 15/8";
    let r = s
        .submit_report(
            PLAN,
            "III.1-monthly-report",
            "so-tu-phap",
            &input("2021-07", text),
            &[],
            date(2021, 7, 30),
            &WorkCalendar::every_day(),
            "sotuphap",
        )
        .await
        .unwrap();
    let reviewed = s
        .review_report(r.id, Decision::Accepted, "Đạt", "sonoivu", TODAY)
        .await
        .unwrap();
    assert_eq!(
        reviewed.reviewed_on,
        Some(TODAY),
        "the review keeps its day"
    );
    let stored = s
        .reports(PLAN, Some("III.1-monthly-report"), Some("so-tu-phap"))
        .await
        .unwrap();
    assert_eq!(stored[0].reviewed_on, Some(TODAY), "read back");
    let data = chairman_report_data(s, PLAN, (2021, 8), TODAY)
        .await
        .unwrap();
    let august = text_of(&document_xml(&chairman_docx(&data).unwrap()));
    assert!(august.contains(text), "accepted in August: done in August");
    assert!(august.contains("nộp ngày 30/07/2021, đã được chấp nhận ngày 15/08/2021"));
    assert!(august.contains(
        "Trong tháng 08/2021: 1 báo cáo đã nộp hoặc được chấp nhận, trong đó 1 báo cáo đã được chấp nhận."
    ));
    // It still counts in July, the month it came in.
    let data = chairman_report_data(s, PLAN, (2021, 7), TODAY)
        .await
        .unwrap();
    assert!(text_of(&document_xml(&chairman_docx(&data).unwrap())).contains(text));
    // Not in September: neither submitted nor accepted then.
    let data = chairman_report_data(s, PLAN, (2021, 9), TODAY)
        .await
        .unwrap();
    assert!(!text_of(&document_xml(&chairman_docx(&data).unwrap())).contains(text));
}

/// A cell as text; dates as dd/mm/yyyy.
fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::DateTime(x) => {
            let days = x.as_f64() as i64;
            let d = date(1899, 12, 30)
                .checked_add(jiff::Span::new().days(days))
                .unwrap();
            format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
        }
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn sheet(wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    wb.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
        .rows()
        .map(|r| r.iter().map(cell).collect())
        .collect()
}

async fn the_workbook_as_of_15_august(s: &Store) {
    with_reports(s).await;
    let data = chairman_report_data(s, PLAN, (2021, 8), TODAY)
        .await
        .unwrap();
    let bytes = chairman_xlsx(&data).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Tổng hợp", "Kết quả tháng", "Quá hạn", "Tuân thủ"]
    );

    let summary = sheet(&mut wb, "Tổng hợp");
    assert!(summary[0][0].contains("BÁO CÁO") && summary[0][0].contains("tháng 08/2021"));
    assert!(summary
        .iter()
        .any(|r| r[0].contains("85,58 điểm") && r[0].contains("13/63")));
    let head = summary
        .iter()
        .position(|r| r[0] == "Lĩnh vực")
        .expect("table header");
    let areas: Vec<&Vec<String>> = summary[head + 1..].iter().collect();
    let codes: Vec<&str> = areas.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(&codes[..8], &["1", "2", "3", "4", "5", "6", "7", "8"]);
    let a3 = areas[2];
    assert_eq!(a3[1], "Cải cách thủ tục hành chính");
    assert_eq!(a3[2], "Văn phòng UBND tỉnh");
    assert_eq!((a3[3].as_str(), a3[4].as_str()), ("38", "15"));
    assert!(
        a3[6].parse::<usize>().unwrap() >= 19,
        "the review of procedures, every unit"
    );
    // The body's figures: the tasks of the area, done and overdue; the slowest agencies.
    let o = parindex_reports::chairman::outline(&data);
    let o3 = o.areas.iter().find(|a| a.code == "3").unwrap();
    assert_eq!(
        a3[9..12].to_vec(),
        [o3.tasks, o3.tasks_done, o3.tasks_overdue].map(|n| n.to_string())
    );
    assert!(o3.tasks_overdue > 0);
    assert!(summary
        .iter()
        .any(|r| r[0].starts_with(&format!("3 đơn vị chậm nhất: {} (", o.worst[0].0))));

    let done = sheet(&mut wb, "Kết quả tháng");
    assert_eq!(done[0][0], "Lĩnh vực");
    assert_eq!(done.len(), 2, "one report this month: {done:?}");
    assert_eq!(done[1][3], "Sở Tư pháp");
    assert_eq!(done[1][5], "14/08/2021");
    assert_eq!(done[1][6], "chờ xem xét");
    assert_eq!(done[1][7], "Báo cáo CCHC tháng 8 của Sở Tư pháp");

    let overdue = sheet(&mut wb, "Quá hạn");
    assert_eq!(
        overdue[0][..7],
        [
            "Lĩnh vực",
            "Mục",
            "Nhiệm vụ",
            "Cơ quan, đơn vị",
            "Người chịu trách nhiệm",
            "Kỳ",
            "Hạn"
        ]
    );
    let names = unit_names(s).await;
    let heads = heads(s).await;
    let expected = overdue_of_31_july(s).await;
    assert_eq!(
        overdue.len() - 1,
        expected.len(),
        "every overdue period is due 31/7 on 15/8"
    );
    for (id, title, unit) in &expected {
        let name = &names[unit];
        assert!(
            overdue.iter().any(|r| &r[2] == title
                && &r[3] == name
                && r[4] == heads[unit]
                && r[6] == "31/07/2021"),
            "{id} {unit}"
        );
    }
    assert!(overdue
        .iter()
        .any(|r| r[3] == "Sở Thông tin và Truyền thông"
            && r[7] == "Báo cáo bị trả lại, chưa nộp lại"));

    let comp = sheet(&mut wb, "Tuân thủ");
    assert_eq!(comp[0][0], "Cơ quan, đơn vị");
    let stc = comp
        .iter()
        .find(|r| r[0] == "Sở Tài chính")
        .expect("Sở Tài chính");
    assert_eq!(stc[1], heads["so-tai-chinh"]);
    assert_eq!(
        stc[1], "Hoàng Văn Đ (tên mẫu) (Giám đốc)",
        "the demo's sample head"
    );
    let st = s.plan_state(PLAN, TODAY, None).await.unwrap();
    let c = &st.compliance["so-tai-chinh"];
    assert_eq!(stc[2], c.assignments.to_string());
    assert_eq!(stc[3], c.accepted.to_string());
    assert_eq!(stc[5], c.overdue.to_string());
    assert_eq!(comp.len() - 1, st.compliance.len(), "one row per agency");
    assert!(stc[8].contains("6 (hạng 58, mục tiêu 20)"), "{stc:?}");
}

/// The plan (II.2) asks heads to explain each overdue dossier in the monthly report: the report
/// counts, per agency, the month's overdue dossiers and how many are explained.
async fn overdue_dossier_explanations_are_reported(s: &Store) {
    with_reports(s).await;
    let mut data = chairman_report_data(s, PLAN, parse_month("2021-08").unwrap(), TODAY)
        .await
        .unwrap();
    assert!(data.explanations.is_empty(), "no dossiers imported");
    let text = text_of(&document_xml(&chairman_docx(&data).unwrap()));
    assert!(!text.contains("Hồ sơ TTHC quá hạn tháng"));
    data.explanations = vec![
        parindex_store::ExplanationCount {
            agency: "so-tu-phap".into(),
            overdue: 5,
            explained: 2,
        },
        parindex_store::ExplanationCount {
            agency: "so-noi-vu".into(),
            overdue: 1,
            explained: 1,
        },
    ];
    let text = text_of(&document_xml(&chairman_docx(&data).unwrap()));
    assert!(
        text.contains(
            "Hồ sơ TTHC quá hạn tháng 08/2021: 6 hồ sơ, đã giải trình 3, chưa giải trình 3."
        ),
        "{text}"
    );
    assert!(text.contains("Sở Tư pháp: 3 hồ sơ quá hạn chưa giải trình (trên 5)."));
    assert!(
        !text.contains("Sở Nội vụ: 0"),
        "fully explained agencies are not listed"
    );
}

#[test]
fn months_are_read_in_both_spellings_and_refused_by_kind() {
    assert_eq!(parse_month("2021-08").unwrap(), (2021, 8));
    assert_eq!(parse_month(" 08/2021 ").unwrap(), (2021, 8));
    for bad in ["2021-13", "tháng 8", "08-2021x", "1850-01", ""] {
        let e = parse_month(bad).unwrap_err();
        assert!(
            matches!(&e, parindex_reports::ReportError::BadMonth(m) if m == bad.trim()),
            "{bad}: {e:?}"
        );
        assert!(e.is_bad_input());
    }
}
