//! `parindex report chairman` and `parindex reminders run` end to end on the demo data, as of
//! the global `--as-of` clock.

#[path = "../../reports/tests/common/docx.rs"]
mod docx;
#[path = "../../reports/tests/common/pdftext.rs"]
mod pdftext;

use parindex_store::testing::TestDb;
use std::process::{Command, Output};

fn parindex(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .env_remove("PARINDEX_SMTP_URL")
        .env_remove("PARINDEX_MAIL_FROM")
        .output()
        .expect("the parindex binary runs")
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = parindex(db, args);
    assert!(
        out.status.success(),
        "parindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[tokio::test]
async fn the_chairman_report_and_the_reminders_from_the_command_line() {
    let db = TestDb::sqlite().await.unwrap();
    let url = db.url();
    let url = url.as_str();
    // The demo as it stood on 1/8/2021: its history (the sample reports) up to that day.
    ok(url, &["--as-of", "2021-08-01", "demo", "--no-serve"]);

    // Reminders as of 1/8/2021: the overdue ones of 31/7 (the periods with no report by then —
    // the demo's late and very late reports are not in yet — or returned and not yet sent
    // again), once.
    let first = ok(
        url,
        &["--as-of", "2021-08-01", "reminders", "run", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let sent = v["sent"].as_array().unwrap();
    let state = db
        .store
        .plan_state("bac-giang-2021", jiff::civil::date(2021, 8, 1), None)
        .await
        .unwrap();
    let periods: Vec<_> = state
        .tasks
        .iter()
        .flat_map(|t| t.assignments.iter())
        .flat_map(|a| a.periods.iter())
        .collect();
    let overdue = periods
        .iter()
        .filter(|p| p.status == parindex_domain::plan::Status::Overdue)
        .count();
    let missing = periods.iter().filter(|p| p.missing).count();
    assert!(missing > 10 && missing < overdue, "{missing} {overdue}");
    assert_eq!(sent.len(), overdue, "one reminder per overdue period");
    assert!(sent
        .iter()
        .all(|r| r["kind"] == "overdue" && r["due"] == "2021-07-31"));
    let again = ok(
        url,
        &[
            "--as-of",
            "2021-08-01",
            "reminders",
            "run",
            "--plan",
            "bac-giang-2021",
        ],
    );
    assert!(again.contains("0 sent"), "{again}");

    // The demo's clock moved on to 15/8/2021 (its default): the Chairman's August report.
    ok(url, &["demo", "--no-serve"]);
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("bao-cao.docx");
    let xlsx = dir.path().join("bao-cao.xlsx");
    let pdf = dir.path().join("bc.pdf");
    for f in [&docx, &xlsx, &pdf] {
        ok(
            url,
            &[
                "--as-of",
                "2021-08-15",
                "report",
                "chairman",
                "--plan",
                "bac-giang-2021",
                "--month",
                "2021-08",
                "-o",
                f.to_str().unwrap(),
            ],
        );
        let bytes = std::fs::read(f).unwrap();
        let magic: &[u8] = if f == &pdf { b"%PDF-" } else { b"PK" };
        assert!(bytes.starts_with(magic), "{}", f.display());
    }
    // Done when: `… -o bc.pdf` writes a PDF with the same content as the Word file — the title,
    // the month, the figures and counts of the overview, and the units of the overdue appendix.
    // Compared without white space: a line may break a cell's text after `/` or `-`, and the
    // reader of the PDF does not always see a space at a line's end.
    let word = pdftext::squash(&docx::docx_text(&std::fs::read(&docx).unwrap()));
    let text = pdftext::squash(&pdftext::pdf_text(&std::fs::read(&pdf).unwrap()));
    let squash = pdftext::squash;
    let between = |t: &str, from: &str, to: &str| -> String {
        let a = t.find(from).unwrap_or_else(|| panic!("{from:?} in {t}"));
        let b = t[a..].find(to).map_or(t.len(), |b| a + b);
        t[a..b].to_string()
    };
    for s in [
        "Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng 08/2021",
        "Bắc Giang, ngày 15 tháng 8 năm 2021",
        "Phụ lục I",
        "DANH SÁCH NHIỆM VỤ QUÁ HẠN ĐẾN NGÀY 15/08/2021",
    ] {
        assert!(word.contains(&squash(s)), "Word: {s}");
        assert!(text.contains(&squash(s)), "PDF: {s}");
    }
    // The overview's sentences with their counts, word for word in both.
    for start in ["Kếhoạchcó", "Đếnngày15/08/2021:", "Trongtháng08/2021:"] {
        let sentence = between(&word, start, ".");
        assert!(sentence.chars().any(|c| c.is_ascii_digit()), "{sentence}");
        assert!(text.contains(&sentence), "PDF lacks {sentence:?}");
    }
    // Every unit named in the overdue appendix of the Word file is in the PDF's.
    let appendix_w = between(&word, "DANHSÁCHNHIỆMVỤQUÁHẠN", "PhụlụcII");
    let appendix_p = between(&text, "DANHSÁCHNHIỆMVỤQUÁHẠN", "PhụlụcII");
    let mut units = 0;
    for name in [
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Sở Tài chính",
        "Sở Thông tin và Truyền thông",
        "UBND huyện Yên Thế",
    ] {
        if appendix_w.contains(&squash(name)) {
            units += 1;
            assert!(
                appendix_p.contains(&squash(name)),
                "PDF appendix lacks {name}"
            );
        }
    }
    assert!(units >= 3, "the appendix names the overdue units: {units}");
    assert_eq!(
        appendix_w.matches("31/07/2021").count(),
        appendix_p.matches("31/07/2021").count(),
        "as many items due 31/07/2021 in both"
    );
    // The body is one page: page 1 ends with the recipients and the signature block, page 2
    // opens with Phụ lục I — in August, in July (as of 15/8) and in December (as of 15/12, the
    // demo's history moved on: most of the plan overdue).
    let one_page = |pdf: &std::path::Path, what: &str| {
        let pages = pdftext::pdf_page_texts(&std::fs::read(pdf).unwrap());
        assert!(pages.len() >= 3, "{what}: {} pages", pages.len());
        let first = squash(&pages[0]);
        for s in [
            "BÁO CÁO",
            "III. ĐỀ XUẤT, KIẾN NGHỊ",
            "Nơi nhận:",
            "GIÁM ĐỐC",
        ] {
            assert!(
                first.contains(&squash(s)),
                "{what}: page 1 lacks {s}: {}",
                pages[0]
            );
        }
        assert!(
            !first.contains(&squash("DANH SÁCH NHIỆM VỤ QUÁ HẠN")),
            "{what}"
        );
        let second = pdftext::without_page_number(&pages[1]);
        assert!(
            second.starts_with("Phụ lục I DANH SÁCH NHIỆM VỤ QUÁ HẠN ĐẾN NGÀY"),
            "{what}: page 2 begins {:?}",
            &second[..second.len().min(100)]
        );
    };
    one_page(&pdf, "08/2021");
    let month_pdf = |as_of: &str, month: &str| {
        let f = dir.path().join(format!("bc-{month}.pdf"));
        ok(
            url,
            &[
                "--as-of",
                as_of,
                "report",
                "chairman",
                "--month",
                month,
                "-o",
                f.to_str().unwrap(),
            ],
        );
        f
    };
    one_page(&month_pdf("2021-08-15", "2021-07"), "07/2021");
    ok(url, &["--as-of", "2021-12-15", "demo", "--no-serve"]);
    let december = month_pdf("2021-12-15", "2021-12");
    one_page(&december, "12/2021");
    assert!(pdftext::pdf_text(&std::fs::read(&december).unwrap())
        .contains("Bắc Giang, ngày 15 tháng 12 năm 2021"));

    let out = parindex(
        url,
        &[
            "report",
            "chairman",
            "-o",
            dir.path().join("x.txt").to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".docx, .xlsx or .pdf"));

    // An SMTP URL needs a sender.
    let out = parindex(
        url,
        &["reminders", "run", "--smtp-url", "smtp://127.0.0.1:2525"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mail-from"));
    db.cleanup().await;
}
