//! `parindex report chairman` and `parindex reminders run` end to end on the demo data, as of
//! the global `--as-of` clock.

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
    ok(url, &["demo", "--no-serve"]);
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("bao-cao.docx");
    let xlsx = dir.path().join("bao-cao.xlsx");
    for f in [&docx, &xlsx] {
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
        assert!(bytes.starts_with(b"PK"), "{}", f.display());
    }
    let out = parindex(
        url,
        &[
            "report",
            "chairman",
            "-o",
            dir.path().join("x.pdf").to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".docx or .xlsx"));

    // Reminders as of 1/8/2021: the overdue ones of 31/7, once.
    let first = ok(
        url,
        &["--as-of", "2021-08-01", "reminders", "run", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let sent = v["sent"].as_array().unwrap();
    assert!(sent.len() > 100, "{}", sent.len());
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
    // An SMTP URL needs a sender.
    let out = parindex(
        url,
        &["reminders", "run", "--smtp-url", "smtp://127.0.0.1:2525"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mail-from"));
    db.cleanup().await;
}
