//! Faults of the database, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a full database
//! refuses a results import, a monthly report with its attachment and an evidence upload with
//! `StoreError::Full` and stores nothing (no row, no audit entry, no evidence file left behind),
//! while reads go on; a database that cannot be reached is `Unavailable`, quickly.
//!
//! How the database is made full, for real:
//! - SQLite: the store is opened with `PRAGMA max_page_count` a few pages above the file's
//!   size ([`ConnectOptions::sqlite_max_page_count`]); writes go on until SQLite answers
//!   `SQLITE_FULL` as it does on a full disk.
//! - PostgreSQL has no per-database size limit; a trigger on `audit_log` (written by every
//!   change) raises SQLSTATE 53100 `disk_full`, the error class PostgreSQL gives when it cannot
//!   extend a file.

use jiff::civil::date;
use parindex_domain::calendar::WorkCalendar;
use parindex_interchange as ix;
use parindex_store::evidence::{EvidenceConfig, NewEvidenceFile};
use parindex_store::testing::TestDb;
use parindex_store::{
    ConnectOptions, Fault, NewAttachment, ReportInput, Storage, Store, StoreError,
};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

const PLAN: &str = "bac-giang-2021";
const TASK: &str = "II.4-intangible-assets";

/// Units, subjects, the 2020 edition (no results) and the plan.
async fn seed(s: &Store) {
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let subjects =
        ix::subjects::subjects_from_csv(include_str!("../../../data/subjects.csv"), "subjects.csv")
            .unwrap();
    s.save_subjects(&subjects, "test").await.unwrap();
    let e = ix::edition::edition_from_toml(
        include_str!("../../../data/editions/par-2020-province.toml"),
        "e.toml",
    )
    .unwrap();
    s.save_edition(&e, "test").await.unwrap();
    let plan = ix::plan::plan_from_toml(
        include_str!("../../../data/plans/bac-giang-2021.toml"),
        "plan.toml",
    )
    .unwrap();
    s.save_plan(&plan, "test").await.unwrap();
}

/// Files under a folder, recursively (temporary files included).
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Everything the writes below could change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    results: String,
    reports: usize,
    attachments: usize,
    evidence: usize,
    files: Vec<String>,
    audit_newest: Option<i64>,
}

async fn snapshot(s: &Store, cfg: &EvidenceConfig) -> Snapshot {
    let reports = s.reports(PLAN, Some(TASK), None).await.unwrap();
    let mut attachments = 0;
    for r in &reports {
        attachments += s.attachments_of(r.id).await.unwrap().len();
    }
    Snapshot {
        results: parindex_store::evidence::sha256_hex(
            serde_json::to_string(&s.ranked_results("par-2020-province").await.unwrap())
                .unwrap()
                .as_bytes(),
        ),
        reports: reports.len(),
        attachments,
        evidence: s.unit_evidence(None).await.unwrap().len(),
        files: files_under(&cfg.dir),
        audit_newest: s
            .audit_log(&parindex_store::AuditFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .first()
            .map(|a| a.id),
    }
}

/// Run `op` (attempt `i`) until the database is full: every attempt before stored its change;
/// the one refused is `Full(Database)` and changed nothing. Returns the number stored.
async fn until_full<F, Fut>(s: &Store, cfg: &EvidenceConfig, what: &str, mut op: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>>,
{
    for i in 0..2000 {
        let before = snapshot(s, cfg).await;
        match op(i).await {
            Ok(()) => assert_ne!(snapshot(s, cfg).await, before, "{what} {i} stored nothing"),
            Err(e) => {
                assert_eq!(
                    e.fault(),
                    Some(Fault::Full(Storage::Database)),
                    "{what} {i}: {e}"
                );
                assert!(e.to_string().contains("full"), "{e}");
                assert_eq!(
                    snapshot(s, cfg).await,
                    before,
                    "{what} {i}: something stored"
                );
                return i;
            }
        }
    }
    panic!("{what}: the database never filled up");
}

async fn a_full_database_stores_nothing(db: &TestDb) {
    seed(&db.store).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = EvidenceConfig::new(dir.path().join("evidence"));
    let s = db.full_store(4).await.unwrap();
    let e = s.edition("par-2020-province").await.unwrap().unwrap();
    let subjects: BTreeSet<String> = s
        .subjects(None)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.slug)
        .collect();
    let rows = ix::results::results_from_csv(
        include_str!("../../../data/results/par-2020-province.csv"),
        "r.csv",
        &e,
        &|x: &str| subjects.contains(x),
    )
    .unwrap();
    let stored = until_full(&s, &cfg, "results import", |i| {
        // Each attempt changes every row (its source), so that each stores something.
        let mut rows = rows.clone();
        for r in &mut rows {
            r.source = Some(format!("Lần nhập {i}"));
        }
        let s = &s;
        async move {
            s.import_results("par-2020-province", &rows, false, "test")
                .await
                .map(drop)
        }
    })
    .await;
    eprintln!("results imports stored before the database was full: {stored}");
    let cal = WorkCalendar::every_day();
    until_full(&s, &cfg, "monthly report", |i| {
        let (s, cal) = (&s, &cal);
        async move {
            s.submit_report(
                PLAN,
                TASK,
                "so-tai-chinh",
                &ReportInput {
                    period: "once".into(),
                    done: format!("Báo cáo lần {i}"),
                    problems: String::new(),
                    proposals: String::new(),
                    progress_pct: 50,
                },
                &[NewAttachment {
                    file_name: format!("bao-cao-{i}.pdf"),
                    content_type: "application/pdf".into(),
                    content: format!("%PDF-1.4\n% {i}\n{}\n%%EOF\n", "x".repeat(20_000))
                        .into_bytes(),
                }],
                date(2021, 7, 30),
                cal,
                "sotaichinh",
            )
            .await
            .map(drop)
        }
    })
    .await;
    until_full(&s, &cfg, "evidence upload", |i| {
        let (s, cfg) = (&s, &cfg);
        async move {
            let f = NewEvidenceFile {
                file_name: format!("minh-chung-{i}.pdf"),
                bytes: format!("%PDF-1.4\n% minh chung {i}\n%%EOF\n").into_bytes(),
                title: format!("Minh chứng {i}"),
                unit: Some("so-tu-phap".into()),
                sample: false,
            };
            s.add_evidence_file(cfg, &f, None, "sotuphap")
                .await
                .map(drop)
        }
    })
    .await;
    // Full is not broken: every evidence record has its file, no file is left without its
    // record, and reads go on.
    let report = s.verify_evidence(&cfg).await.unwrap();
    assert!(report.ok(), "{report:?}");
    let records = s.unit_evidence(None).await.unwrap().len();
    assert_eq!(report.checked, records);
    assert_eq!(
        files_under(&cfg.dir).len(),
        records,
        "{:?}",
        files_under(&cfg.dir)
    );
    s.ping().await.unwrap();
    s.close().await;
}

#[tokio::test]
async fn sqlite_a_full_database_stores_nothing() {
    let db = TestDb::sqlite().await.unwrap();
    a_full_database_stores_nothing(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_a_full_database_stores_nothing() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            a_full_database_stores_nothing(&db).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

/// A PostgreSQL server nobody answers at (a port with no listener): the store says
/// `Unavailable`, within its acquire timeout, not after the default 30 seconds.
#[tokio::test]
async fn an_unreachable_database_is_unavailable_quickly() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let e = Store::connect_with(
        &format!("postgres://nobody@127.0.0.1:{port}/parindex"),
        &ConnectOptions {
            acquire_timeout: Duration::from_secs(2),
            ..ConnectOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.fault(), Some(Fault::Unavailable), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}
