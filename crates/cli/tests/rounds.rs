//! `parindex assessment rounds|show|export-table|import-table|publish` end to end, on the demo's
//! SAMPLE cycle (crates/cli/src/assessment.rs): on 20/12/2021 the 2021 rounds exist and Sở Tư
//! pháp has not self-scored (self-scoring open until 30/12/2021); on 20/02/2022 the 2021
//! districts are appraised, their dispute settled, and not yet published. On SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_domain::assessment::{leaves, self_score};
use parindex_domain::rules::{ScoreInput, ScoringRule};
use parindex_interchange::self_assessment::{
    read_summary_xlsx, write_summary_xlsx, SummaryHeader, SummaryTable, SummaryTotal,
};
use parindex_store::testing::TestDb;
use parindex_store::Store;
use rust_decimal::Decimal;
use serde_json::Value;
use std::process::{Command, Output};

const ROUND: &str = "mau-so-nganh-2021";
const UNIT: &str = "so-tu-phap";

fn parindex(db: &str, as_of: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .arg("--as-of")
        .arg(as_of)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs")
}

fn ok(db: &str, as_of: &str, args: &[&str]) -> String {
    let out = parindex(db, as_of, args);
    assert!(
        out.status.success(),
        "parindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(db: &str, as_of: &str, args: &[&str]) -> Value {
    let text = ok(db, as_of, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
}

/// The command fails; its error text.
fn refused(db: &str, as_of: &str, args: &[&str]) -> String {
    let out = parindex(db, as_of, args);
    assert!(!out.status.success(), "parindex {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn item<'a>(unit: &'a Value, code: &str) -> &'a Value {
    unit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("item {code} in {unit}"))
}

fn round<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("a list of rounds")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("round {id} in {list}"))
}

/// A band item's figure typed in the table (column (8), `Số liệu kê khai`): its code, the
/// figure, the score the rule derives from it, and a score it does not give.
struct Figure {
    code: String,
    figure: Decimal,
    derived: Decimal,
    wrong: Decimal,
}

/// The exported table with one points item (a manual or plain score) set to its maximum and
/// one band item's figure set to 90 (its score left empty, for the rule to derive): (the points
/// item's code, its maximum, the band item, the file's bytes, the same file with a score that
/// disagrees with the figure typed beside it).
async fn table_with_one_score(
    url: &str,
    exported: &[u8],
) -> (String, String, Figure, Vec<u8>, Vec<u8>) {
    let store = Store::connect(url).await.expect("the test database opens");
    let a = store
        .assessment(ROUND, UNIT)
        .await
        .unwrap()
        .expect("so-tu-phap is assessed");
    store.close().await;
    let node = leaves(&a.edition)
        .into_iter()
        .find(|n| {
            !n.survey_scored
                && matches!(n.rule, None | Some(ScoringRule::Manual { .. }))
                && n.max_points.is_some_and(|m| !m.is_zero())
        })
        .expect("a points item")
        .clone();
    let max = node.max_points.unwrap();
    let mut read =
        read_summary_xlsx(exported, "t.xlsx", &a.edition).expect("the export reads back");
    let row = read
        .rows
        .iter_mut()
        .find(|r| r.code == node.code)
        .expect("the item's row");
    assert_eq!(row.self_score, None, "not scored yet");
    row.self_score = Some(max);
    let band = leaves(&a.edition)
        .into_iter()
        .find(|n| !n.survey_scored && matches!(n.rule, Some(ScoringRule::Bands { .. })))
        .expect("a band item")
        .clone();
    let figure = Decimal::from(90);
    let derived = self_score(&band, &ScoreInput::Number(figure)).expect("90 fits a band");
    let band_max = band.max_points.expect("a band item's max");
    let band_row = read
        .rows
        .iter_mut()
        .find(|r| r.code == band.code)
        .expect("the band item's row");
    assert!(
        band_row.takes_figure && band_row.figure.is_none(),
        "{band_row:?}"
    );
    band_row.figure = Some(figure);
    let mut table = SummaryTable {
        header: SummaryHeader {
            round_name: a.round.name.clone(),
            unit_name: a.unit.name_vi.clone(),
            edition_name: a.edition.name.clone(),
            sample: true,
        },
        rows: read.rows,
        total: SummaryTotal::default(),
    };
    let bytes = write_summary_xlsx(&table).expect("the table is written");
    let wrong = if derived == band_max {
        Decimal::ZERO
    } else {
        band_max
    };
    let band_row = table.rows.iter_mut().find(|r| r.code == band.code).unwrap();
    band_row.self_score = Some(wrong);
    let disagreeing = write_summary_xlsx(&table).expect("the table is written");
    let band = Figure {
        code: band.code.to_string(),
        figure,
        derived,
        wrong,
    };
    (
        node.code.to_string(),
        max.normalize().to_string(),
        band,
        bytes,
        disagreeing,
    )
}

/// The criteria of so-tu-phap in the sample round.
async fn sample_edition(url: &str) -> parindex_domain::edition::Edition {
    let store = Store::connect(url).await.expect("the test database opens");
    let a = store.assessment(ROUND, UNIT).await.unwrap().unwrap();
    store.close().await;
    a.edition
}

async fn self_scoring_cycle(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    let day = "2021-12-20";
    ok(url, day, &["demo", "--no-serve"]);

    // rounds: the four sample rounds; the 2021 departments self-scoring, the 2020 ones published.
    let list = json(url, day, &["assessment", "rounds", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
    let r = round(&list, ROUND);
    assert_eq!(r["unit_type"], "department");
    assert_eq!(r["units"], 9);
    assert_eq!(r["published"], false);
    assert_eq!(r["deadlines"]["self_scoring"], "2021-12-30");
    assert_eq!(r["open_stages"], serde_json::json!(["self_scoring"]));
    let old = round(&list, "mau-huyen-2020");
    assert_eq!(
        (&old["published"], &old["published_on"]),
        (&Value::Bool(true), &Value::String("2021-02-25".into()))
    );
    let text = ok(url, day, &["assessment", "rounds"]);
    assert!(
        text.contains("self_scoring open until 2021-12-30"),
        "{text}"
    );

    // show: the round's units with their status, and one unit's items.
    let units = json(url, day, &["assessment", "show", ROUND, "--json"]);
    let units = units["units"].as_array().unwrap();
    assert_eq!(units.len(), 9);
    let status = |slug: &str| {
        units.iter().find(|u| u["unit"] == slug).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status(UNIT), "self-scoring");
    assert_eq!(status("so-noi-vu"), "submitted");
    let noi_vu = json(
        url,
        day,
        &["assessment", "show", ROUND, "--unit", "so-noi-vu", "--json"],
    );
    assert_eq!(item(&noi_vu, "1.1.1")["self_score"], "2", "{noi_vu}");
    assert_eq!(item(&noi_vu, "1.1.1")["appraised"], Value::Null);
    let before = json(
        url,
        day,
        &["assessment", "show", ROUND, "--unit", UNIT, "--json"],
    );
    assert!(before["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["self_score"].is_null()));

    // export-table: the web's workbook, which reads back.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("so-tu-phap.xlsx");
    let f = file.to_str().unwrap();
    let out = ok(
        url,
        day,
        &["assessment", "export-table", ROUND, "--unit", UNIT, "-o", f],
    );
    assert!(out.contains("lines written"), "{out}");
    let exported = std::fs::read(&file).unwrap();
    let (code, max, band, changed, disagreeing) = table_with_one_score(url, &exported).await;
    let changed_file = dir.path().join("changed.xlsx");
    std::fs::write(&changed_file, &changed).unwrap();
    // A score typed beside a figure that gives another: refused at its row and column.
    let bad_file = dir.path().join("disagreeing.xlsx");
    std::fs::write(&bad_file, &disagreeing).unwrap();
    let bad = refused(
        url,
        day,
        &[
            "assessment",
            "import-table",
            ROUND,
            "--unit",
            UNIT,
            bad_file.to_str().unwrap(),
        ],
    );
    let read = read_summary_xlsx(&disagreeing, "t.xlsx", &sample_edition(url).await).unwrap();
    let band_line = read.row_numbers[read
        .rows
        .iter()
        .position(|r| r.code.to_string() == band.code)
        .unwrap()];
    assert!(
        bad.contains(&format!("row {band_line}, Điểm tự đánh giá: {}", band.code))
            && bad.contains(&format!(
                "the figure {} gives {} points, not {}",
                band.figure,
                band.derived.normalize(),
                band.wrong.normalize()
            )),
        "{bad}"
    );
    let c = changed_file.to_str().unwrap();
    let import = |as_of: &str, extra: &[&str]| {
        let mut args = vec!["assessment", "import-table", ROUND, "--unit", UNIT, c];
        args.extend_from_slice(extra);
        parindex(url, as_of, &args)
    };

    // import-table --dry-run: prints the change, saves nothing.
    let dry = import(day, &["--dry-run", "--json"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(dry["saved"], false);
    let changes = dry["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{dry}");
    assert!(changes.iter().any(|c| c["code"] == code.as_str()), "{dry}");
    let figure_line = changes
        .iter()
        .find(|c| c["code"] == band.code.as_str())
        .expect("the band item's change");
    assert!(
        figure_line["new_score"]
            .as_str()
            .unwrap()
            .contains(&format!("(figure {})", band.figure)),
        "{dry}"
    );
    let after_dry = json(
        url,
        day,
        &["assessment", "show", ROUND, "--unit", UNIT, "--json"],
    );
    assert_eq!(
        item(&after_dry, &code)["self_score"],
        Value::Null,
        "nothing saved"
    );

    // A closed stage refuses: after the self-scoring deadline (30/12), and in a published round.
    let late = import("2021-12-31", &[]);
    assert!(!late.status.success());
    let err = String::from_utf8_lossy(&late.stderr);
    assert!(
        err.contains("refused, nothing saved") && err.contains(&code),
        "{err}"
    );
    let published = refused(
        url,
        day,
        &[
            "assessment",
            "import-table",
            "mau-huyen-2020",
            "--unit",
            "huyen-yen-the",
            c,
        ],
    );
    assert!(
        published.contains("self-scoring is closed for huyen-yen-the")
            && published.contains("published"),
        "{published}"
    );
    let unchanged = json(
        url,
        day,
        &["assessment", "show", ROUND, "--unit", UNIT, "--json"],
    );
    assert_eq!(item(&unchanged, &code)["self_score"], Value::Null);

    // A real import changes the self-score, by the actor `cli`.
    let real = import(day, &[]);
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert!(String::from_utf8_lossy(&real.stdout).contains("2 item(s) saved"));
    let after = json(
        url,
        day,
        &["assessment", "show", ROUND, "--unit", UNIT, "--json"],
    );
    assert_eq!(item(&after, &code)["self_score"], max.as_str(), "{after}");
    // The band item: the figure stored as declared, the score the rule derives from it.
    let b = item(&after, &band.code);
    assert_eq!(b["input"], band.figure.to_string().as_str(), "{after}");
    assert_eq!(
        b["self_score"],
        band.derived.normalize().to_string().as_str(),
        "{after}"
    );
    // Exported again, the figure is in column (8).
    ok(
        url,
        day,
        &["assessment", "export-table", ROUND, "--unit", UNIT, "-o", f],
    );
    let again = read_summary_xlsx(
        &std::fs::read(&file).unwrap(),
        "t.xlsx",
        &sample_edition(url).await,
    )
    .unwrap();
    let line = again
        .rows
        .iter()
        .find(|r| r.code.to_string() == band.code)
        .unwrap();
    assert_eq!(
        (line.figure, line.self_score),
        (Some(band.figure), Some(band.derived))
    );
    let audit = json(url, day, &["audit", "--limit", "1", "--json"]);
    assert_eq!(audit[0]["actor"], "cli", "{audit}");
    // The same file again changes nothing.
    let again = import(day, &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to change"));
}

async fn publication(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    let day = "2022-02-20";
    ok(url, day, &["demo", "--no-serve"]);
    let publish = |extra: &[&str]| {
        let mut args = vec![
            "assessment",
            "publish",
            "mau-huyen-2021",
            "--decision",
            "15/QĐ-UBND",
            "--date",
            day,
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = publish(&["--dry-run", "--json"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dry = json(url, day, &args);
    assert_eq!(dry["published"], false);
    let ranking = dry["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 10, "{dry}");
    assert_eq!(ranking[0]["rank"], 1);
    assert_eq!(ranking[0]["unit"], "tp-bac-giang");
    let text = ok(url, day, &args[..args.len() - 1]);
    assert!(text.contains("dry run: nothing published"), "{text}");
    let list = json(url, day, &["assessment", "rounds", "--json"]);
    assert_eq!(
        round(&list, "mau-huyen-2021")["published"],
        false,
        "a dry run"
    );

    // The web's checks: a round with items not appraised, a date after today.
    let blocked = refused(
        url,
        day,
        &[
            "assessment",
            "publish",
            ROUND,
            "--decision",
            "15/QĐ-UBND",
            "--date",
            day,
            "--dry-run",
        ],
    );
    assert!(
        blocked.contains("so-tu-phap") && blocked.contains("without a final score"),
        "{blocked}"
    );
    let args = publish(&[]);
    let mut future: Vec<&str> = args.iter().map(String::as_str).collect();
    future[6] = "2022-03-01";
    assert!(refused(url, day, &future).contains("after today"));

    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(url, day, &args);
    assert!(
        out.contains("ranking published by decision 15/QĐ-UBND"),
        "{out}"
    );
    let list = json(url, day, &["assessment", "rounds", "--json"]);
    let r = round(&list, "mau-huyen-2021");
    assert_eq!(
        (&r["published"], &r["published_on"]),
        (&Value::Bool(true), &Value::String(day.into()))
    );
    let audit = json(url, day, &["audit", "--limit", "1", "--json"]);
    assert_eq!(audit[0]["action"], "publish");
    assert_eq!(audit[0]["after"]["decision"], "15/QĐ-UBND", "{audit}");
    assert!(refused(url, day, &args).contains("was published on 2022-02-20"));
}

#[tokio::test]
async fn assessment_cycle_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    self_scoring_cycle(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn assessment_publish_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    publication(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn assessment_cycle_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            self_scoring_cycle(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

#[tokio::test]
async fn assessment_publish_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            publication(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
