//! `parindex gen dossiers`, `dossiers stats` and `import dossiers` end to end: the statistics,
//! the late list, bad rows failing the whole import unless skipped, re-import idempotence.

use parindex_store::testing::TestDb;
use std::process::{Command, Output};

fn run(db: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parindex"));
    if let Some(db) = db {
        c.arg("--db").arg(db);
    }
    c.args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs")
}

fn ok(db: Option<&str>, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "parindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn generate_count_import_and_reimport() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    let f = file.to_str().unwrap();
    ok(
        None,
        &[
            "gen", "dossiers", "--rows", "3000", "--seed", "5", "--month", "2021-06", "-o", f,
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&ok(
        None,
        &["--as-of", "2021-07-05", "dossiers", "stats", f, "--json"],
    ))
    .unwrap();
    assert_eq!(json["rows"], 3000);
    assert_eq!(json["total"]["received"], 3000);
    // The generator gives levels 3 and 4 to some dossiers: the online count is known and
    // part of the dossiers received.
    let online = json["total"]["online"].as_u64().unwrap();
    assert!(online > 0 && online < 3000, "{online}");
    let overdue = json["total"]["late"].as_u64().unwrap()
        + json["total"]["pending_overdue"].as_u64().unwrap();
    assert!(overdue > 0);
    let csv = ok(
        None,
        &[
            "--as-of",
            "2021-07-05",
            "dossiers",
            "stats",
            f,
            "--by",
            "level",
            "--csv",
        ],
    );
    assert!(csv.starts_with("level,received,resolved,early,on_time,late,pending,pending_overdue,online,early_rate,on_time_rate,late_rate,online_share\n"));
    assert!(csv.lines().last().unwrap().starts_with("total,3000,"));
    let late = dir.path().join("late.csv");
    ok(
        None,
        &[
            "--as-of",
            "2021-07-05",
            "dossiers",
            "stats",
            f,
            "--late",
            late.to_str().unwrap(),
        ],
    );
    let late_text = std::fs::read_to_string(&late).unwrap();
    assert_eq!(late_text.lines().count() as u64, overdue + 1);

    let db = TestDb::sqlite().await.unwrap();
    let url = db.url();
    let out = ok(
        Some(&url),
        &["--as-of", "2021-07-05", "import", "dossiers", f, "--sample"],
    );
    assert!(out.contains("3000 dossiers"), "{out}");
    let cells = db.store.dossier_cells().await.unwrap();
    assert!(cells.iter().all(|c| c.sample));
    let received: u64 = cells.iter().map(|c| c.cell.counts.received).sum();
    assert_eq!(received, 3000);
    let stored_overdue: usize = {
        let mut n = 0;
        for c in &cells {
            n += db
                .store
                .overdue_dossiers(&c.cell.agency, Some(c.cell.month))
                .await
                .unwrap()
                .len();
        }
        n
    };
    assert_eq!(stored_overdue as u64, overdue);
    // Re-import: the same, not doubled.
    ok(
        Some(&url),
        &["--as-of", "2021-07-05", "import", "dossiers", f, "--sample"],
    );
    let again = db.store.dossier_cells().await.unwrap();
    assert_eq!(again.len(), cells.len());
    let received: u64 = again.iter().map(|c| c.cell.counts.received).sum();
    assert_eq!(received, 3000);
    db.cleanup().await;
}

#[tokio::test]
async fn bad_rows_fail_the_import_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n\
         A,so-tu-phap,1.001,province,3,2021-06-01T08:00:00+07:00,2021-06-05,,2021-06-04T08:00:00+07:00,closed\n\
         B,so-tu-phap,1.001,province,3,2021-06-01T08:00:00+07:00,2021-06-05,,2021-05-30T08:00:00+07:00,closed\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let db = TestDb::sqlite().await.unwrap();
    let url = db.url();
    let out = run(Some(&url), &["import", "dossiers", f]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The line, the field, and the typed problem (its English words on the command line).
    let why = parindex_interchange::dossiers::RowProblem::Times(
        parindex_domain::dossiers::TimesProblem::ClosedBeforeReceived,
    );
    assert!(
        err.contains("line 3") && err.contains("'closed_at'") && err.contains(&why.to_string()),
        "{err}"
    );
    assert!(
        db.store.dossier_cells().await.unwrap().is_empty(),
        "nothing stored"
    );
    let out = run(None, &["dossiers", "stats", f]);
    assert!(!out.status.success(), "stats refuses bad rows too");
    ok(Some(&url), &["import", "dossiers", f, "--skip-bad-rows"]);
    let cells = db.store.dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].cell.counts.received, 1);
    assert_eq!(
        cells[0].cell.unit.as_deref(),
        None,
        "no units in this database"
    );
    db.cleanup().await;
}
