//! Every file of the hostile-file corpus through every `parindex import` kind (and `dossiers
//! stats`): each exits non-zero with an error naming the file, nothing is stored (the audit log
//! is unchanged) and no process aborts. SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_interchange::hostile;
use parindex_store::testing::TestDb;
use std::process::{Command, Output};

fn parindex(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs")
}

fn audit_lines(db: &str) -> usize {
    let out = parindex(db, &["audit", "--limit", "100000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

async fn every_case_through_every_kind(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    let demo = parindex(url, &["demo", "--no-serve"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let before = audit_lines(url);
    let dir = tempfile::tempdir().unwrap();
    let kinds: &[&[&str]] = &[
        &["import", "edition"],
        &["import", "results", "--edition", "par-2020-province"],
        &["import", "units"],
        &["import", "subjects"],
        &["import", "targets"],
        &["import", "dossiers"],
        &["dossiers", "stats"],
    ];
    for c in hostile::corpus() {
        let path = dir.path().join(c.file_name());
        std::fs::write(&path, &c.bytes).unwrap();
        let p = path.display().to_string();
        for kind in kinds {
            let mut args: Vec<&str> = kind.to_vec();
            // The file comes after the kind.
            args.insert(2, &p);
            let out = parindex(url, &args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{args:?} succeeded on {}",
                c.file_name()
            );
            // A clean refusal (exit 1 or 2), never a signal or a panic.
            assert!(
                matches!(out.status.code(), Some(1) | Some(2)),
                "{args:?} {}: {:?} {err}",
                c.file_name(),
                out.status
            );
            assert!(
                !err.contains("panicked"),
                "{args:?} {}: {err}",
                c.file_name()
            );
            assert!(
                err.contains(&c.file_name())
                    || err.contains("unsupported")
                    || err.contains("error"),
                "{args:?} {}: {err}",
                c.file_name()
            );
        }
    }
    assert_eq!(audit_lines(url), before, "something was stored");
}

#[tokio::test]
async fn hostile_files_through_the_cli_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    every_case_through_every_kind(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn hostile_files_through_the_cli_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            every_case_through_every_kind(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
