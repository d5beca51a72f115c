//! `parindex backup` and `parindex restore` end to end, the "done when": the demo backed
//! up from one SQLite file and restored into a new one gives Bắc Giang 85.58, 13th; the same
//! archive restored into PostgreSQL (when `TEST_DATABASE_URL` is set) gives the same results.
//! A corrupted archive is refused by `backup --verify` and by `restore`, naming the entry; a
//! database with content is refused unless `--replace` is given.

use parindex_store::testing::TestDb;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

fn parindex(db: &str, evidence: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .arg("--evidence-dir")
        .arg(evidence)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs")
}

fn ok(db: &str, evidence: &Path, args: &[&str]) -> String {
    let out = parindex(db, evidence, args);
    assert!(
        out.status.success(),
        "parindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn results(db: &str, evidence: &Path) -> Value {
    serde_json::from_str(&ok(
        db,
        evidence,
        &["results", "--edition", "par-2020-province", "--json"],
    ))
    .expect("JSON output")
}

fn assert_bac_giang(rows: &Value) {
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let bg = rows.iter().find(|r| r["subject"] == "bac-giang").unwrap();
    assert_eq!(bg["total"], "85.58");
    assert_eq!(bg["rank"], 13);
    assert_eq!(bg["rank_source"], "published");
    assert_eq!(bg["name"], "Bắc Giang");
}

/// Rewrite an archive with one byte of one entry's content changed (the zip itself sound).
fn change_a_byte(src: &Path, dst: &Path, entry_prefix: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let mut changed = String::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if changed.is_empty() && name.starts_with(entry_prefix) && !bytes.is_empty() {
            let at = bytes.len() / 2;
            bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
            changed = name.clone();
        }
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap();
    assert!(!changed.is_empty(), "an entry {entry_prefix}… exists");
    changed
}

#[tokio::test]
async fn demo_backed_up_and_restored_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence-a");
    let a = TestDb::sqlite().await.unwrap();
    let a_url = a.url();
    ok(&a_url, &ev, &["demo", "--no-serve"]);
    let before = results(&a_url, &ev);
    assert_bac_giang(&before);

    let archive = dir.path().join("sao-luu.zip");
    let f = archive.to_str().unwrap();
    let out = ok(&a_url, &ev, &["backup", "-o", f]);
    assert!(out.contains("backup written to"), "{out}");
    assert!(out.contains("sessions"), "says what is left out: {out}");
    let out = ok(&a_url, &ev, &["backup", "--verify", f]);
    assert!(out.contains("sound"), "{out}");

    // A new SQLite file.
    let new_url = format!("sqlite://{}", dir.path().join("new.db").display());
    let ev_new = dir.path().join("evidence-new");
    let out = ok(&new_url, &ev_new, &["restore", f]);
    assert!(out.contains("results") && out.contains("restored"), "{out}");
    let after = results(&new_url, &ev_new);
    assert_bac_giang(&after);
    assert_eq!(after, before, "the same results JSON");
    let gap = |db: &str, e: &Path| {
        ok(
            db,
            e,
            &[
                "gap",
                "--edition",
                "par-2020-province",
                "--subject",
                "bac-giang",
                "--target-rank",
                "10",
                "--json",
            ],
        )
    };
    let gap_before = gap(&a_url, &ev);
    assert!(gap_before.contains("\"0.16\""), "{gap_before}");
    assert_eq!(gap(&new_url, &ev_new), gap_before);

    // The same archive into PostgreSQL.
    match TestDb::postgres().await.unwrap() {
        Some(pg) => {
            let ev_pg = dir.path().join("evidence-pg");
            let out = ok(&pg.url(), &ev_pg, &["restore", f]);
            assert!(out.contains("restored"), "{out}");
            assert_eq!(results(&pg.url(), &ev_pg), before);
            assert_eq!(gap(&pg.url(), &ev_pg), gap_before);
            pg.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: the PostgreSQL restore is skipped"),
    }

    // Into a database with content: refused, then replaced.
    let out = parindex(&a_url, &ev, &["restore", f]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not empty") && err.contains("--replace"),
        "{err}"
    );
    let out = ok(&a_url, &ev, &["restore", "--replace", f]);
    assert!(out.contains("replacing"), "{out}");
    assert_eq!(results(&a_url, &ev), before);
    a.cleanup().await;
}

#[tokio::test]
async fn a_corrupted_archive_is_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    let a = TestDb::sqlite().await.unwrap();
    ok(&a.url(), &ev, &["demo", "--no-serve"]);
    let archive = dir.path().join("a.zip");
    ok(&a.url(), &ev, &["backup", "-o", archive.to_str().unwrap()]);
    let bad = dir.path().join("bad.zip");
    let entry = change_a_byte(&archive, &bad, "tables/");
    let bad = bad.to_str().unwrap();

    let out = parindex(&a.url(), &ev, &["backup", "--verify", bad]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&entry) && err.contains("checksum"), "{err}");

    let new_url = format!("sqlite://{}", dir.path().join("new.db").display());
    let ev_new = dir.path().join("evidence-new");
    let out = parindex(&new_url, &ev_new, &["restore", bad]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&entry) && err.contains("checksum"), "{err}");
    let editions: Value =
        serde_json::from_str(&ok(&new_url, &ev_new, &["editions", "--json"])).unwrap();
    assert_eq!(editions, Value::Array(vec![]), "nothing restored");
    assert!(!ev_new.exists());
    a.cleanup().await;
}
