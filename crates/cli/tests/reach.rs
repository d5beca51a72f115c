//! What the store kept but no command reached (issue 12, point 9): `parindex import plan FILE`
//! (the web's reader, the store's one transaction; counts printed; file, row and column named
//! when the file does not parse), and the e-mail address of a user (`user add --email`,
//! `user email`). On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use parindex_store::testing::TestDb;
use parindex_store::Store;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const PLAN_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/plans/bac-giang-2021.toml"
);

fn data(rel: &str) -> String {
    format!("{}/../../data/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn parindex(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("PARINDEX_LOG", "warn")
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

/// Fails, and says so on standard error.
fn fails(db: &str, args: &[&str]) -> String {
    let out = parindex(db, args);
    assert!(!out.status.success(), "parindex {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The test's store, with nothing it read before (its cache) hiding what the binary wrote.
fn fresh(db: &TestDb) -> &Store {
    db.store.clear_cache();
    &db.store
}

async fn plan_import(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    ok(url, &["import", "units", &data("units.csv")]);
    ok(url, &["import", "subjects", &data("subjects.csv")]);
    ok(
        url,
        &[
            "import",
            "edition",
            &data("editions/par-2020-province.toml"),
        ],
    );
    let text = std::fs::read_to_string(PLAN_FILE).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A value of the wrong type: the file, the row and the column; nothing stored.
    let row = text
        .lines()
        .position(|l| l.starts_with("year = 2021"))
        .unwrap()
        + 1;
    let bad = write(
        dir.path(),
        "bad.toml",
        &text.replacen("year = 2021", "year = \"năm 2021\"", 1),
    );
    let err = fails(url, &["import", "plan", &bad]);
    assert!(
        err.contains(&format!("bad.toml: line {row}, character 8")),
        "{err}"
    );
    // Not a plan file at all.
    let csv = write(dir.path(), "plan.csv", "id\nx\n");
    let err = fails(url, &["import", "plan", &csv]);
    assert!(
        err.contains("plan.csv") && err.contains(".toml or .json"),
        "{err}"
    );
    // A plan the store refuses (an edition it does not hold): the file and the field.
    let unknown = write(
        dir.path(),
        "unknown.toml",
        &text.replacen(
            "edition_id = \"par-2020-province\"",
            "edition_id = \"par-1999-province\"",
            1,
        ),
    );
    let err = fails(url, &["import", "plan", &unknown]);
    assert!(
        err.contains("unknown.toml: plan.edition_id") && err.contains("par-1999-province"),
        "{err}"
    );
    assert!(fresh(db).plans().await.unwrap().is_empty());

    // A dry run: the counts, nothing saved.
    let doc = parindex_interchange::plan::read_plan(Path::new(PLAN_FILE)).unwrap();
    let counts = format!(
        "{} findings, {} targets, {} tasks",
        doc.findings.len(),
        doc.targets.len(),
        doc.tasks.len()
    );
    let out = ok(url, &["import", "plan", PLAN_FILE, "--dry-run"]);
    assert_eq!(
        out.trim(),
        format!("plan bac-giang-2021 (new): {counts} (dry run: nothing saved)")
    );
    assert!(fresh(db).plans().await.unwrap().is_empty());

    // Imported: what the web's import stores, in one go.
    let out = ok(url, &["import", "plan", PLAN_FILE]);
    let store = fresh(db);
    let stored = store
        .plan_document("bac-giang-2021")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.tasks.len(), doc.tasks.len());
    assert_eq!(stored.findings.len(), doc.findings.len());
    let assignments = store
        .assignments("bac-giang-2021", None)
        .await
        .unwrap()
        .len();
    assert!(assignments >= doc.tasks.len(), "{assignments}");
    assert_eq!(
        out.trim(),
        format!("plan bac-giang-2021 (new): {counts}, {assignments} assignments")
    );
    // Again: replaced, the same assignments.
    let out = ok(url, &["import", "plan", PLAN_FILE]);
    assert_eq!(
        out.trim(),
        format!("plan bac-giang-2021 (replaced): {counts}, {assignments} assignments")
    );
}

fn user_json(db: &str, name: &str) -> Value {
    let all: Value = serde_json::from_str(&ok(db, &["user", "list", "--json"])).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn user_email(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    ok(url, &["import", "units", &data("units.csv")]);
    // A malformed address: refused before anyone is created.
    let err = fails(
        url,
        &[
            "user",
            "add",
            "sotuphap",
            "--role",
            "agency",
            "--unit",
            "so-tu-phap",
            "--email",
            "chuyenvien.stp@",
        ],
    );
    assert!(
        err.contains("--email") && err.contains("chuyenvien.stp@"),
        "{err}"
    );
    assert_eq!(user_json(url, "sotuphap"), Value::Null);
    let out = ok(
        url,
        &[
            "user",
            "add",
            "sotuphap",
            "--role",
            "agency",
            "--unit",
            "so-tu-phap",
            "--email",
            "chuyenvien.stp@bacgiang.gov.vn",
        ],
    );
    assert!(
        out.contains("user sotuphap (agency, e-mail chuyenvien.stp@bacgiang.gov.vn) created"),
        "{out}"
    );
    assert_eq!(
        user_json(url, "sotuphap")["email"],
        "chuyenvien.stp@bacgiang.gov.vn"
    );
    let store = fresh(db);
    assert_eq!(
        store.unit_emails("so-tu-phap").await.unwrap(),
        vec!["chuyenvien.stp@bacgiang.gov.vn".to_string()],
        "the reminders of Sở Tư pháp go there"
    );
    // Changed, refused, cleared.
    let out = ok(
        url,
        &["user", "email", "sotuphap", "vanthu.stp@bacgiang.gov.vn"],
    );
    assert_eq!(out.trim(), "sotuphap: e-mail vanthu.stp@bacgiang.gov.vn");
    let err = fails(url, &["user", "email", "sotuphap", "vanthu stp@bacgiang"]);
    assert!(err.contains("email"), "{err}");
    assert_eq!(
        user_json(url, "sotuphap")["email"],
        "vanthu.stp@bacgiang.gov.vn"
    );
    let out = ok(url, &["user", "email", "sotuphap", "--clear"]);
    assert_eq!(out.trim(), "sotuphap: no e-mail address");
    assert_eq!(user_json(url, "sotuphap")["email"], Value::Null);
    let err = fails(url, &["user", "email", "nobody", "a@b.vn"]);
    assert!(err.contains("no user 'nobody'"), "{err}");
    // Each change is audited, by the command line.
    let audit: Value = serde_json::from_str(&ok(url, &["audit", "--json"])).unwrap();
    let changes: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "email" && e["entity_id"] == "sotuphap")
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(changes.iter().all(|e| e["actor"] == "cli"));
}

#[tokio::test]
async fn import_plan_and_user_email_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    plan_import(&db).await;
    db.cleanup().await;
    let db = TestDb::sqlite().await.unwrap();
    user_email(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn import_plan_and_user_email_on_postgres() {
    for run in 0..2 {
        match TestDb::postgres().await.unwrap() {
            Some(db) => {
                if run == 0 {
                    plan_import(&db).await;
                } else {
                    user_email(&db).await;
                }
                db.cleanup().await;
            }
            None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
        }
    }
}
