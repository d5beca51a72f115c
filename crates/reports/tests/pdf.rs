//! The PDF documents, read back with pdftotext: Vietnamese set with no glyph missing (a missing
//! one is an error), text typed by users printed literally (never run as typst markup), and the
//! Chairman's report saying what the Word file says. On SQLite, and on PostgreSQL when
//! TEST_DATABASE_URL is set.

mod common;

use common::docx::docx_text;
use common::{pdf_page_texts, pdf_pages, pdf_text, seed, squash, without_page_number, PLAN};
use jiff::civil::{date, Date};
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::plan::Decision;
use parindex_reports::document::Block;
use parindex_reports::{
    chairman_docx, chairman_pdf, chairman_report_data, table_pdf, DocRow, DocTable, ReportError,
    TableDoc,
};
use parindex_store::{on_both_backends, ReportInput, Store};

on_both_backends!(
    the_pdf_report_says_what_the_word_report_says,
    the_body_is_one_page_and_the_appendices_follow
);

const TODAY: Date = date(2021, 8, 15);
const SENTENCE: &str =
    "Báo cáo tiến độ thực hiện Kế hoạch cải thiện Chỉ số CCHC — Ủy ban nhân dân tỉnh Bắc Giang";

fn doc(title: &str, cell: &str) -> TableDoc {
    TableDoc {
        issuer: vec!["UBND TỈNH BẮC GIANG".into(), "SỞ NỘI VỤ".into()],
        kicker: vec!["Phụ lục".into()],
        title: title.into(),
        subtitle: vec!["Ngày 15/08/2021".into()],
        intro: vec![],
        tables: vec![DocTable {
            caption: "1. Bảng".into(),
            headers: vec!["TT".into(), "Cơ quan, đơn vị".into()],
            widths: vec![1, 6],
            align: vec!["center", "left"],
            rows: vec![
                DocRow::new(vec!["Nhóm".into()]),
                DocRow::new(vec!["1".into(), cell.into()]),
            ],
        }],
        notes: vec![],
        landscape: false,
    }
}

#[test]
fn vietnamese_is_set_with_no_glyph_missing() {
    // Every letter Vietnamese writes, in both cases, in every face the templates use.
    let letters =
        "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
    let spaced = |s: &str| s.chars().map(String::from).collect::<Vec<_>>().join(" ");
    let all = format!("{} {}", spaced(letters), spaced(&letters.to_uppercase()));
    let pdf = table_pdf(&doc(SENTENCE, &all)).expect("every glyph is there");
    let text = pdf_text(&pdf);
    assert!(text.contains(SENTENCE), "{text}");
    assert!(text.contains(&all), "{text}");
    assert!(text.contains("UBND TỈNH BẮC GIANG"));
}

#[test]
fn a_character_the_fonts_lack_is_an_error_not_a_blank_box() {
    let err = table_pdf(&doc("Tiêu đề", "Đơn vị 漢")).unwrap_err();
    match &err {
        ReportError::Render { what, message } => {
            assert_eq!(*what, "PDF document");
            assert!(message.contains("U+6F22"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_typed_by_users_is_printed_not_run() {
    for hostile in [
        r#"#panic("x") *bold* $x$"#,
        r#"#read("/etc/passwd") _em_ <label> @ref // not a comment"#,
        r#"]) #import "@preview/cetz:0.3.0" \ #{ 1 + 1 }"#,
    ] {
        let pdf = table_pdf(&doc(hostile, hostile)).unwrap_or_else(|e| panic!("{hostile}: {e}"));
        let text = squash(&pdf_text(&pdf));
        assert_eq!(
            text.matches(&squash(hostile)).count(),
            2,
            "{hostile} printed as typed, title and cell: {text}"
        );
    }
}

fn input(period: &str, done: &str) -> ReportInput {
    ReportInput {
        period: period.into(),
        done: done.into(),
        problems: String::new(),
        proposals: String::new(),
        progress_pct: 100,
    }
}

/// `parindex report chairman … -o bc.pdf` writes a PDF with the same content as the Word file:
/// the same title, month, figures, every paragraph of the body, and every overdue unit of the
/// appendix.
async fn the_pdf_report_says_what_the_word_report_says(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let hostile = r#"Đã làm #panic("x") *bold* $x$"#;
    let r = s
        .submit_report(
            PLAN,
            "III.1-monthly-report",
            "so-tu-phap",
            &input("2021-07", hostile),
            &[],
            date(2021, 7, 30),
            &cal,
            "sotuphap",
        )
        .await
        .unwrap();
    s.review_report(r.id, Decision::Accepted, "", "sonoivu", TODAY)
        .await
        .unwrap();
    let data = chairman_report_data(s, PLAN, (2021, 8), TODAY)
        .await
        .unwrap();
    let doc = parindex_reports::document::report_document(&data);
    let pdf = chairman_pdf(&data).expect("the PDF");
    let word = squash(&docx_text(&chairman_docx(&data).unwrap()));
    let text = squash(&pdf_text(&pdf));
    // Compared without white space: a line may break a long cell after `/` or `-`.
    let flat = |s: &str| squash(s);

    // The letterhead, the title and the month.
    for s in [
        "UBND TỈNH BẮC GIANG",
        "SỞ NỘI VỤ",
        "Số: …/BC-SNV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bắc Giang, ngày 15 tháng 8 năm 2021",
        "BÁO CÁO",
        "Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng 08/2021",
        "GIÁM ĐỐC",
        "Nơi nhận:",
    ] {
        assert!(text.contains(&squash(s)), "PDF: missing {s:?}");
        assert!(word.contains(&squash(s)), "Word: missing {s:?}");
    }
    // Every paragraph of the body and of the appendices, every cell of the body's table, word
    // for word in both (figures, counts, the month's rule, what was done, the risks).
    let mut cells = 0;
    for b in doc
        .body
        .iter()
        .chain(doc.appendices.iter().flat_map(|a| &a.blocks))
    {
        let ps: Vec<String> = match b {
            Block::Heading { text } | Block::Subheading { text } | Block::Para { text } => {
                vec![flat(text)]
            }
            Block::Table { table } => {
                cells += 1;
                table
                    .headers
                    .iter()
                    .chain(table.rows.iter().flat_map(|r| &r.cells))
                    .map(|c| flat(c))
                    .collect()
            }
        };
        for p in ps {
            assert!(text.contains(&p), "PDF: missing paragraph {p:?}");
            assert!(word.contains(&p), "Word: missing paragraph {p:?}");
        }
    }
    assert_eq!(cells, 1, "the body's table of the areas");
    assert!(text.contains(&squash("85,58 điểm")) && text.contains("13/63"));
    assert!(text.contains(&squash(
        "Trong tháng 08/2021: 1 báo cáo đã nộp hoặc được chấp nhận, trong đó 1 báo cáo đã được chấp nhận."
    )));
    // The user's text is printed as typed.
    assert!(text.contains(&flat(hostile)), "{hostile}");
    // The appendices: every overdue row's unit, task and due date, in both.
    assert_eq!(doc.appendices.len(), 3);
    let overdue = &doc.appendices[0];
    assert!(overdue.table.rows.len() > 100, "the fanned-out tasks");
    for a in &doc.appendices {
        for s in [&a.label, &a.title, &a.attached_to] {
            assert!(text.contains(&flat(s)), "PDF: missing {s:?}");
            assert!(word.contains(&flat(s)), "Word: missing {s:?}");
        }
        for h in &a.table.headers {
            assert!(text.contains(&flat(h)), "PDF: missing header {h:?}");
        }
    }
    let mut rows_seen = 0;
    for row in &overdue.table.rows {
        for c in &row.cells {
            assert!(text.contains(&flat(c)), "PDF: missing cell {c:?}");
            assert!(word.contains(&flat(c)), "Word: missing cell {c:?}");
        }
        rows_seen += 1;
    }
    assert_eq!(rows_seen, overdue.table.rows.len());
    // A draft: no "(đã ký)", in either.
    assert!(!text.contains("đãký") && !word.contains("đãký"));
    // The appendix starts on its own page: more pages than the body alone needs.
    assert!(pdf_pages(&pdf) >= 4, "{} pages", pdf_pages(&pdf));
}

/// The body of the Chairman's report is one page — letterhead, title, summary, recipients and
/// signature — and the first appendix opens page 2, in July and August as of 15/8/2021 (with
/// the month's overdue dossiers, the longest body) and in December as of 15/12/2021, when most
/// of the plan is overdue.
async fn the_body_is_one_page_and_the_appendices_follow(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    for (task, unit, period, day) in [
        (
            "III.1-monthly-report",
            "so-tu-phap",
            "2021-07",
            date(2021, 7, 30),
        ),
        (
            "III.1-monthly-report",
            "so-tu-phap",
            "2021-08",
            date(2021, 8, 14),
        ),
        (
            "II.4-intangible-assets",
            "so-tai-chinh",
            "once",
            date(2021, 7, 28),
        ),
    ] {
        let r = s
            .submit_report(
                PLAN,
                task,
                unit,
                &input(
                    period,
                    "Đã thực hiện theo Kế hoạch, báo cáo đầy đủ các nội dung được giao",
                ),
                &[],
                day,
                &cal,
                "sonoivu",
            )
            .await
            .unwrap();
        if period != "2021-08" {
            s.review_report(r.id, Decision::Accepted, "", "sonoivu", day)
                .await
                .unwrap();
        }
    }
    for (month, today) in [
        ((2021, 7), TODAY),
        ((2021, 8), TODAY),
        ((2021, 12), date(2021, 12, 15)),
    ] {
        let mut data = chairman_report_data(s, PLAN, month, today).await.unwrap();
        data.explanations = ["so-tu-phap", "so-noi-vu", "huyen-yen-the", "so-tttt"]
            .iter()
            .map(|a| parindex_store::ExplanationCount {
                agency: a.to_string(),
                overdue: 12,
                explained: 5,
            })
            .collect();
        let doc = parindex_reports::document::report_document(&data);
        let pdf = chairman_pdf(&data).expect("the PDF");
        let pages = pdf_page_texts(&pdf);
        assert_eq!(pages.len(), pdf_pages(&pdf), "{month:?}: a text per page");
        let first = squash(&pages[0]);
        // Page 1: the letterhead, the body to its last sentence, the recipients and the
        // signature block.
        for s in [
            "UBND TỈNH BẮC GIANG",
            "BÁO CÁO",
            "I. KẾT QUẢ CHỈ SỐ CCHC",
            "III. ĐỀ XUẤT, KIẾN NGHỊ",
            "Trên đây là báo cáo tháng",
            "Nơi nhận:",
            "- Lưu: VT, CCHC.",
            &doc.signer_title,
        ] {
            assert!(
                first.contains(&squash(s)),
                "{month:?}: page 1 lacks {s:?}: {}",
                pages[0]
            );
        }
        // Every paragraph of the body is on page 1 (and the area table's last row).
        for b in &doc.body {
            if let Block::Para { text } = b {
                assert!(
                    first.contains(&squash(text)),
                    "{month:?}: not on page 1: {text}"
                );
            }
        }
        // Page 2 opens with the first appendix: its label and title, nothing of the body.
        let second = without_page_number(&pages[1]);
        let a = &doc.appendices[0];
        assert!(
            second.starts_with(&format!("{} {}", a.label, a.title)),
            "{month:?}: page 2 begins {:?}",
            &second[..second.len().min(120)]
        );
        assert!(!first.contains(&squash(&a.title)), "{month:?}");
        // And every appendix starts a page of its own, in order.
        let mut at = 1;
        for a in &doc.appendices {
            let p = pages[at..]
                .iter()
                .position(|p| {
                    without_page_number(p).starts_with(&format!("{} {}", a.label, a.title))
                })
                .unwrap_or_else(|| panic!("{month:?}: no page opens with {}", a.label));
            at += p + 1;
        }
    }
}
