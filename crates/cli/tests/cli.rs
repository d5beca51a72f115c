//! The `parindex` binary end to end: the demo, the "done when" commands, imports that
//! fail without storing anything, exports read back. On SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use parindex_store::testing::TestDb;
use serde_json::Value;
use std::path::Path;
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

fn ok(db: &str, args: &[&str]) -> String {
    let out = parindex(db, args);
    assert!(
        out.status.success(),
        "parindex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(db: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).expect("JSON output")
}

async fn story(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    let first = parindex(url, &["demo", "--no-serve"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary = String::from_utf8_lossy(&first.stderr);
    assert!(
        summary.contains("results of par-2020-province: 12 added"),
        "{summary}"
    );
    assert!(
        summary.contains("bacgiang-coordinator"),
        "the demo prints the credentials"
    );
    // Idempotent: a second load adds nothing.
    let second = parindex(url, &["demo", "--no-serve"]);
    assert!(second.status.success());
    let again = String::from_utf8_lossy(&second.stderr);
    assert!(again.contains("units: 0 added"), "{again}");
    assert!(
        !again.contains("results of")
            && !again.contains("edition par")
            && !again.contains("rank targets"),
        "{again}"
    );

    let editions = json(url, &["editions", "--json"]);
    let ids: Vec<&str> = editions
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["sample"] != true) // sample criteria sets of the demo (MẪU) aside
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["par-2020-province", "par-2019-province"]);

    // Done when: the 2020 results list Bắc Giang 85.58, 13th, published.
    let rows = json(
        url,
        &["results", "--edition", "par-2020-province", "--json"],
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let bg = rows.iter().find(|r| r["subject"] == "bac-giang").unwrap();
    assert_eq!(bg["total"], "85.58");
    assert_eq!(bg["rank"], 13);
    assert_eq!(bg["rank_source"], "published");
    assert_eq!(bg["name"], "Bắc Giang");
    assert_eq!(bg["components"]["appraisal"], "56.93");
    assert_eq!(rows[0]["subject"], "quang-ninh");

    // Done when: the points needed to join the top 10.
    let gap = json(
        url,
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
    );
    assert_eq!(gap["subject"], "bac-giang");
    assert_eq!(gap["total"], "85.58");
    assert_eq!(gap["rank"], 13);
    assert_eq!(gap["target_rank"], 10);
    assert_eq!(gap["points_to_target"], "0.16");
    assert_eq!(gap["previous"]["total_change"], "3.74");
    assert_eq!(gap["previous"]["rank_change"], 12);
    let area6 = gap["by_area"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "6")
        .unwrap();
    assert_eq!(
        (
            area6["rank"].as_u64(),
            area6["target_rank"].as_u64(),
            area6["lead_agency"].as_str()
        ),
        (Some(58), Some(20), Some("so-tai-chinh"))
    );
    // The stored overall target (top 10) is used when none is given.
    let gap = json(
        url,
        &[
            "gap",
            "--edition",
            "par-2020-province",
            "--subject",
            "bac-giang",
            "--json",
        ],
    );
    assert_eq!(gap["target_rank"], 10);
    let gap5 = json(
        url,
        &[
            "gap",
            "--edition",
            "par-2020-province",
            "--subject",
            "bac-giang",
            "--target-rank",
            "5",
            "--json",
        ],
    );
    assert_eq!(
        gap5["points_to_target"], "1.19",
        "86.77 (Đồng Tháp, 5th) − 85.58"
    );
    let gap12 = json(
        url,
        &[
            "gap",
            "--edition",
            "par-2020-province",
            "--subject",
            "bac-giang",
            "--target-rank",
            "12",
            "--json",
        ],
    );
    assert_eq!(
        gap12["points_to_target"],
        Value::Null,
        "11th and 12th are not known"
    );

    // Errors: stderr and a non-zero exit.
    let bad = parindex(
        url,
        &[
            "gap",
            "--edition",
            "par-2020-province",
            "--subject",
            "atlantis",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("atlantis"));
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

async fn imports(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    ok(url, &["demo", "--no-serve"]);
    let dir = tempfile::tempdir().unwrap();
    let before = json(
        url,
        &["results", "--edition", "par-2020-province", "--json"],
    );

    // A total that disagrees with its components: refused, naming the row; nothing stored.
    let f = write(dir.path(), "bad.csv", "subject,total,rank,component:appraisal,component:sipas,component:survey\nbac-giang,85.58,13,56.93,9.29,19.36\nphu-tho,80.00,10,58.75,8.81,18.17\n");
    let out = parindex(
        url,
        &["import", "results", &f, "--edition", "par-2020-province"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv") && err.contains("row 3"), "{err}");
    // Text in a number cell, and an unknown subject.
    let f = write(
        dir.path(),
        "bad2.csv",
        "subject,total,rank\nbac-giang,abc,13\natlantis,70,50\n",
    );
    let out = parindex(
        url,
        &["import", "results", &f, "--edition", "par-2020-province"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let why = parindex_interchange::ReadProblem::Number(
        parindex_domain::score::NumberProblem::NotANumber {
            value: "abc".into(),
        },
    );
    assert!(
        err.contains("row 2") && err.contains(&why.to_string()),
        "{err}"
    );
    assert!(err.contains("atlantis"), "{err}");
    // A rank contradicting the totals.
    let f = write(
        dir.path(),
        "bad3.csv",
        "subject,total,rank\nbac-giang,85.58,2\n",
    );
    let out = parindex(
        url,
        &["import", "results", &f, "--edition", "par-2020-province"],
    );
    assert!(!out.status.success());
    // Refused by the store against the stored results (ten of them are higher): the field, then
    // the domain's kind in its words.
    let kind = parindex_domain::ResultProblemKind::RankTooHigh { rank: 2, min: 11 };
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("results[bac-giang].rank: {kind}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(
            url,
            &["results", "--edition", "par-2020-province", "--json"]
        ),
        before,
        "nothing was stored"
    );

    // A valid change, previewed then saved.
    let f = write(
        dir.path(),
        "ok.csv",
        "subject,total,rank,source\nquang-ngai,73.25,63,corrected source\n",
    );
    let preview = ok(
        url,
        &[
            "import",
            "results",
            &f,
            "--edition",
            "par-2020-province",
            "--dry-run",
        ],
    );
    assert!(
        preview.contains("1 changed") && preview.contains("dry run"),
        "{preview}"
    );
    assert_eq!(
        json(
            url,
            &["results", "--edition", "par-2020-province", "--json"]
        ),
        before
    );
    ok(
        url,
        &["import", "results", &f, "--edition", "par-2020-province"],
    );
    let after = json(
        url,
        &["results", "--edition", "par-2020-province", "--json"],
    );
    let qn = after
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == "quang-ngai")
        .unwrap();
    assert_eq!(qn["source"], "corrected source");

    // An edition with children exceeding their parent: refused with the row.
    let f = write(
        dir.path(),
        "crit.csv",
        "code,title_vi,max_points\n1,Lĩnh vực 1,2\n1.1,Tiêu chí 1.1,1.5\n1.2,Tiêu chí 1.2,1\n",
    );
    let out = parindex(
        url,
        &["import", "edition", &f, "--edition", "par-2020-province"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let children = parindex_domain::EditionProblemKind::ChildrenExceed {
        sum: rust_decimal::Decimal::new(25, 1),
        max: rust_decimal::Decimal::from(2),
    };
    assert!(err.contains(&children.to_string()), "{err}");
    let e: Value = serde_json::from_str(&ok(url, &["editions", "--json"])).unwrap();
    let e = e
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "par-2020-province")
        .unwrap();
    assert_eq!(e["criteria"], 8, "the tree is unchanged");

    // Export → import round trips.
    for fmt in ["xlsx", "csv", "json"] {
        let out = dir.path().join(format!("results.{fmt}"));
        ok(
            url,
            &[
                "export",
                "results",
                "--edition",
                "par-2020-province",
                "--format",
                fmt,
                "-o",
                out.to_str().unwrap(),
            ],
        );
        let msg = ok(
            url,
            &[
                "import",
                "results",
                out.to_str().unwrap(),
                "--edition",
                "par-2020-province",
                "--dry-run",
            ],
        );
        assert!(
            msg.contains("0 added, 0 changed, 0 removed, 12 unchanged"),
            "{fmt}: {msg}"
        );
    }
    for fmt in ["xlsx", "toml", "json"] {
        let out = dir.path().join(format!("edition.{fmt}"));
        ok(
            url,
            &[
                "export",
                "edition",
                "--edition",
                "par-2020-province",
                "--format",
                fmt,
                "-o",
                out.to_str().unwrap(),
            ],
        );
        let back = parindex_interchange::edition::read_edition(&out).unwrap();
        let stored: Value = json(url, &["editions", "--json"]);
        assert_eq!(back.id, "par-2020-province");
        let stored = stored
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "par-2020-province")
            .unwrap();
        assert_eq!(
            back.criteria.len() as u64,
            stored["criteria"].as_u64().unwrap()
        );
        assert_eq!(back.components[0].max_points.to_string(), "66.5");
    }

    // Users from the command line.
    let out = ok(
        url,
        &[
            "user",
            "add",
            "nv.tuphap",
            "--role",
            "agency",
            "--unit",
            "so-tu-phap",
        ],
    );
    assert!(out.contains("password: "), "{out}");
    let out = parindex(url, &["user", "add", "x.y", "--role", "agency"]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains(
                &parindex_store::RefusalKind::RoleNeedsUnit {
                    role: parindex_domain::access::Role::Agency
                }
                .to_string()
            )
    );
    let audit = ok(url, &["audit", "--limit", "200"]);
    assert!(
        audit.contains("result") && audit.contains("quang-ngai"),
        "{audit}"
    );
}

/// Issue 13 point 5 on the command line: a rank without a total, a duplicate settled by
/// `--prefer`, unknown points as `null`, and edition warnings that `--strict` refuses.
async fn published_record(db: &TestDb) {
    let url = db.url();
    let url = url.as_str();
    ok(url, &["demo", "--no-serve"]);
    let dir = tempfile::tempdir().unwrap();
    let ed = "par-2020-province";

    // "Hà Nam xếp thứ 11" without its score: imported; the table shows no total for it.
    let f = write(
        dir.path(),
        "rank-only.csv",
        "subject,total,rank\nha-nam,,11\n",
    );
    let out = ok(url, &["import", "results", &f, "--edition", ed]);
    assert!(out.contains("1 added"), "{out}");
    let rows = json(url, &["results", "--edition", ed, "--json"]);
    let hn = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == "ha-nam")
        .expect("the rank-only row is stored");
    assert!(hn["total"].is_null(), "{hn}");
    assert_eq!(hn["rank"], 11);
    // A row with neither is still refused, naming its row.
    let f = write(dir.path(), "nothing.csv", "subject,total,rank\nha-nam,,\n");
    let out = parindex(url, &["import", "results", &f, "--edition", ed]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("row 2"), "{err}");
    assert!(
        err.contains(&parindex_domain::ResultProblemKind::NoTotalNorRank.to_string()),
        "{err}"
    );

    // The 10th total is known (Phú Thọ, 85.74, nobody unknown above it); the 11th is Hà Nam's,
    // published without its score: unknown, never a guess.
    let to = |k: &str| {
        json(
            url,
            &[
                "gap",
                "--edition",
                ed,
                "--subject",
                "bac-giang",
                "--target-rank",
                k,
                "--json",
            ],
        )
    };
    assert_eq!(to("10")["points_to_target"], "0.16");
    let eleventh = to("11");
    assert!(eleventh["points_to_target"].is_null(), "{eleventh}");
    assert_eq!(
        eleventh["points_to_target_detail"]["status"], "unknown",
        "{eleventh}"
    );

    // Two totals for one subject: refused naming both values; `--prefer last` keeps row 3.
    let f = write(
        dir.path(),
        "twice.csv",
        "subject,total,rank\nquang-ngai,73.25,63\nquang-ngai,73.30,63\n",
    );
    let out = parindex(url, &["import", "results", &f, "--edition", ed]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("73.25") && err.contains("73.30"),
        "{err}"
    );
    let out = ok(
        url,
        &["import", "results", &f, "--edition", ed, "--prefer", "last"],
    );
    assert!(
        out.contains("quang-ngai twice: kept row 3 (total 73.30), set aside row 2 (total 73.25)"),
        "{out}"
    );
    let rows = json(url, &["results", "--edition", ed, "--json"]);
    let qn = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == "quang-ngai")
        .unwrap();
    assert_eq!(qn["total"], "73.30");

    // Children short of their parent: a warning on import, an error with --strict.
    let f = write(
        dir.path(),
        "short.csv",
        "code,title_vi,max_points\n1,Lĩnh vực 1,2\n1.1,Tiêu chí 1.1,1\n",
    );
    let short = parindex_domain::EditionProblemKind::ChildrenShort {
        sum: rust_decimal::Decimal::from(1),
        max: rust_decimal::Decimal::from(2),
    }
    .to_string();
    let out = ok(
        url,
        &["import", "edition", &f, "--edition", ed, "--dry-run"],
    );
    assert!(
        out.contains("1 warning(s)") && out.contains(&short),
        "{out}"
    );
    let out = parindex(url, &["import", "edition", &f, "--edition", ed, "--strict"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--strict") && err.contains(&short),
        "{err}"
    );
}

#[tokio::test]
async fn cli_published_record_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    published_record(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn cli_published_record_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            published_record(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

#[tokio::test]
async fn cli_story_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn cli_imports_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    imports(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn cli_story_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            story(&db).await;
            imports(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
