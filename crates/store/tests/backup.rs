//! Backup and restore on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a filled database
//! backed up, restored into a fresh database of the same and of the other backend, and backed
//! up again gives identical table files (SQLite → PostgreSQL → SQLite included); evidence files
//! come back; ids continue; corrupted archives are refused with the entry named and nothing
//! written; a database with content is refused unless replaced, in one transaction; a backup
//! taken while another connection writes is one consistent snapshot.

use jiff::civil::date;
use parindex_domain::access::Role;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::edition::NodeCode;
use parindex_interchange as ix;
use parindex_store::assessments::NewRound;
use parindex_store::backup::{
    verify_archive, BackupError, EntryProblem, Limits, Manifest, RestoreOptions, Silent, TABLES,
};
use parindex_store::evidence::{
    sha256_hex, DocumentReference, EvidenceConfig, ItemRef, NewEvidenceFile,
};
use parindex_store::testing::TestDb;
use parindex_store::{NewAttachment, ReportInput, Session, Store, UserInput};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use parindex_store::on_both_backends;

on_both_backends!(
    the_table_list_matches_the_schema,
    round_trip_on_both_backends,
    corrupted_archives_are_refused_and_nothing_is_written,
    a_database_with_content_is_refused_or_replaced_in_one_transaction,
);

const DEPARTMENTS: &str = include_str!("../../../data/samples/department-2021.toml");

/// A folder removed at the end of the test.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let d = std::env::temp_dir().join(format!("parindex_backup_{}", uuid_like()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        t,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

/// Every kind of data: editions, subjects, units with parents, results, the plan with a report
/// and a binary attachment, the calendar, users (one with failed sign-ins and a session),
/// notifications, an assessment round with two evidence files and a document reference.
async fn fill(s: &Store, cfg: &EvidenceConfig) {
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    assert!(
        units.iter().any(|u| u.parent.is_some()),
        "some units have a parent"
    );
    s.save_units(&units, "test").await.unwrap();
    let subjects =
        ix::subjects::subjects_from_csv(include_str!("../../../data/subjects.csv"), "subjects.csv")
            .unwrap();
    s.save_subjects(&subjects, "test").await.unwrap();
    let known: BTreeSet<String> = subjects.iter().map(|x| x.slug.clone()).collect();
    for (toml, csv) in [
        (
            include_str!("../../../data/editions/par-2019-province.toml"),
            include_str!("../../../data/results/par-2019-province.csv"),
        ),
        (
            include_str!("../../../data/editions/par-2020-province.toml"),
            include_str!("../../../data/results/par-2020-province.csv"),
        ),
    ] {
        let e = ix::edition::edition_from_toml(toml, "e.toml").unwrap();
        s.save_edition(&e, "test").await.unwrap();
        let rows =
            ix::results::results_from_csv(csv, "r.csv", &e, &|x: &str| known.contains(x)).unwrap();
        s.import_results(&e.id, &rows, false, "test").await.unwrap();
    }
    let plan = ix::plan::plan_from_toml(
        include_str!("../../../data/plans/bac-giang-2021.toml"),
        "plan.toml",
    )
    .unwrap();
    s.save_plan(&plan, "test").await.unwrap();
    let cal = WorkCalendar::every_day();
    s.save_work_calendar(&cal, &[(date(2021, 9, 2), "Quốc khánh".into())], "test")
        .await
        .unwrap();
    // A binary attachment: every byte value, not UTF-8.
    let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    s.submit_report(
        "bac-giang-2021",
        "II.4-intangible-assets",
        "so-tai-chinh",
        &ReportInput {
            period: "once".into(),
            done: "Đã trình dự thảo \"quy chế\"\nvà phụ lục".into(),
            problems: "Không".into(),
            proposals: String::new(),
            progress_pct: 100,
        },
        &[NewAttachment {
            file_name: "Báo cáo.bin".into(),
            content_type: "application/octet-stream".into(),
            content: bytes,
        }],
        date(2021, 7, 28),
        &cal,
        "sotaichinh",
    )
    .await
    .unwrap();
    s.notify("so-tu-phap", "Nhắc hạn báo cáo", "/plan")
        .await
        .unwrap();
    for (name, role, unit) in [
        ("sonoivu", Role::Coordinator, Some("so-noi-vu")),
        ("sotuphap", Role::Agency, Some("so-tu-phap")),
        ("admin", Role::Admin, None),
    ] {
        s.create_user(
            &UserInput {
                username: name.into(),
                display_name: format!("Người dùng {name}"),
                role,
                unit: unit.map(str::to_string),
                lang: "vi".into(),
                active: true,
            },
            "$argon2id$test",
            "test",
        )
        .await
        .unwrap();
    }
    let (admin, _) = s.user_by_username("admin").await.unwrap().unwrap();
    s.throttle_hit(&parindex_store::ThrottleHit {
        kind: "account",
        key: "admin",
        now: "2021-08-15T01:00:00Z",
        quiet_before: "2021-08-15T00:45:00Z",
        forget_before: "2021-08-14T01:00:00Z",
        limit: 1,
        lock_until: ["2099-01-01T00:00:00Z"; 4],
    })
    .await
    .unwrap();
    s.create_session(&Session {
        token_hash: "t".repeat(64),
        user_id: admin.id,
        csrf_token: "c".into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    })
    .await
    .unwrap();
    // Assessment with evidence.
    let e = ix::edition::edition_from_toml(DEPARTMENTS, "department-2021.toml").unwrap();
    s.save_edition(&e, "test").await.unwrap();
    s.create_round(
        &NewRound {
            id: "so-2021".into(),
            name: "Đánh giá sở 2021 (MẪU)".into(),
            edition_id: e.id.clone(),
            units: vec!["so-tu-phap".into(), "so-noi-vu".into()],
            deadlines: Deadlines {
                self_scoring: date(2021, 12, 30),
                explanation: date(2022, 1, 7),
                appraisal1: date(2022, 1, 21),
                appraisal2: date(2022, 2, 11),
                publication: date(2022, 2, 28),
            },
            classes: ClassBands::default(),
            note: String::new(),
        },
        "sonoivu",
    )
    .await
    .unwrap();
    let c = code("1.1.1");
    for (unit, text) in [("so-tu-phap", "kế hoạch"), ("so-noi-vu", "báo cáo")] {
        s.add_evidence_file(
            cfg,
            &NewEvidenceFile {
                file_name: format!("{text}.pdf"),
                bytes: pdf(text),
                title: String::new(),
                unit: Some(unit.into()),
                sample: true,
            },
            Some((
                ItemRef {
                    round: "so-2021",
                    unit,
                    code: &c,
                },
                date(2021, 12, 20),
            )),
            unit,
        )
        .await
        .unwrap();
    }
    s.add_document_reference(
        &DocumentReference {
            number: "125/QĐ-UBND".into(),
            date: Some(date(2021, 3, 2)),
            issuer: "UBND tỉnh Bắc Giang".into(),
            excerpt: "Ban hành Kế hoạch CCHC năm 2021".into(),
            title: String::new(),
            unit: Some("so-tu-phap".into()),
            sample: true,
        },
        None,
        "sotuphap",
    )
    .await
    .unwrap();
}

fn evidence_in(dir: &Path) -> EvidenceConfig {
    EvidenceConfig::new(dir.join("evidence"))
}

/// The entries of an archive, by name.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().to_string(), b)
        })
        .collect()
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (n, b) in entries {
        w.start_file(
            n.as_str(),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap();
}

/// The rows of one table of an archive, as JSON values, with its column names.
fn rows_of(path: &Path, table: &str) -> (Vec<String>, Vec<Vec<serde_json::Value>>) {
    let all = entries(path);
    let m: Manifest =
        serde_json::from_slice(&all.iter().find(|(n, _)| n == "manifest.json").unwrap().1).unwrap();
    let t = m.tables.iter().find(|t| t.name == table).unwrap();
    let text = &all.iter().find(|(n, _)| *n == t.file).unwrap().1;
    let rows: Vec<Vec<serde_json::Value>> = std::str::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len() as u64, t.rows, "{table}: manifest rows = lines");
    (t.columns.iter().map(|c| c.name.clone()).collect(), rows)
}

fn col(cols: &[String], name: &str) -> usize {
    cols.iter().position(|c| c == name).unwrap()
}

/// A database is empty: no row in any table.
async fn is_empty(s: &Store) -> bool {
    s.editions(None).await.unwrap().is_empty()
        && s.users(None).await.unwrap().is_empty()
        && s.unit_evidence(None).await.unwrap().is_empty()
        && s.audit_log(&Default::default()).await.unwrap().is_empty()
}

async fn the_table_list_matches_the_schema(s: &Store) {
    let problems = s.backup_table_problems().await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(TABLES.iter().any(|t| t.name == "sessions"));
}

/// The other backend's fresh database (`None` when PostgreSQL is not configured and this
/// store is SQLite).
async fn other_backend(s: &Store) -> Option<TestDb> {
    match s.backend() {
        parindex_store::Backend::Sqlite => TestDb::postgres().await.unwrap(),
        parindex_store::Backend::Postgres => Some(TestDb::sqlite().await.unwrap()),
    }
}

async fn same_backend(s: &Store) -> TestDb {
    match s.backend() {
        parindex_store::Backend::Sqlite => TestDb::sqlite().await.unwrap(),
        parindex_store::Backend::Postgres => TestDb::postgres().await.unwrap().unwrap(),
    }
}

async fn round_trip_on_both_backends(s: &Store) {
    let dir = Dir::new();
    let cfg = evidence_in(&dir.path().join("a"));
    fill(s, &cfg).await;
    let a = dir.path().join("a.zip");
    let m = s.backup(&a, &cfg, &Silent).await.unwrap();
    assert!(a.exists());
    // The manifest: format, schema, tables in order, evidence, what is left out.
    assert_eq!(
        (m.format.as_str(), m.format_version),
        ("parindex-backup", 1)
    );
    assert_eq!(
        m.schema.version,
        m.schema.migrations.last().unwrap().version
    );
    assert!(m.schema.migrations.len() >= 5);
    assert_eq!(m.tables[0].file, "tables/001-editions.jsonl");
    assert!(m.tables.iter().all(|t| t.name != "sessions"));
    assert!(m.excluded.contains(&"sessions".to_string()));
    assert_eq!(m.evidence.len(), 2);
    for e in &m.evidence {
        assert_eq!(e.file, format!("evidence/{}", e.sha256));
    }
    let users = m.tables.iter().find(|t| t.name == "users").unwrap();
    assert!(users.columns.iter().all(|c| c.name != "failed_attempts"));
    assert!(m.sequences.get("audit_log").copied().unwrap_or(0) > 0);
    // Scores are decimal text, exactly as stored.
    let (cols, rows) = rows_of(&a, "results");
    let bg = rows
        .iter()
        .find(|r| {
            r[col(&cols, "subject")] == "bac-giang"
                && r[col(&cols, "edition_id")] == "par-2020-province"
        })
        .unwrap();
    assert_eq!(bg[col(&cols, "total")], serde_json::json!("85.58"));
    assert_eq!(bg[col(&cols, "rank")], serde_json::json!(13));
    let (cols, rows) = rows_of(&a, "attachments");
    assert_eq!(rows.len(), 1);
    let hex = rows[0][col(&cols, "content")]["hex"].as_str().unwrap();
    assert!(hex.starts_with("000102") && hex.len() == 1024);
    // The archive verifies.
    let (vm, v) = verify_archive(&a, Limits::default(), &Silent).unwrap();
    assert_eq!(vm, m);
    assert_eq!((v.evidence_files, v.rows), (2, m.total_rows()));

    // Restored into a fresh database of the same backend, and of the other.
    let mut targets = vec![same_backend(s).await];
    if let Some(o) = other_backend(s).await {
        targets.push(o);
    }
    for (i, t) in targets.iter().enumerate() {
        let tcfg = evidence_in(&dir.path().join(format!("t{i}")));
        let sum = t
            .store
            .restore(
                &a,
                &tcfg,
                RestoreOptions::default(),
                Limits::default(),
                &Silent,
            )
            .await
            .unwrap();
        assert_eq!(sum.evidence_files, 2);
        assert_eq!(sum.evidence_written, 2);
        assert!(!sum.replaced);
        assert_eq!(
            sum.tables.iter().map(|(_, n)| n).sum::<u64>(),
            m.total_rows()
        );
        let report = t.store.verify_evidence(&tcfg).await.unwrap();
        assert!(report.ok() && report.checked == 2, "{report:?}");
        // The same answers.
        let ranked = t.store.ranked_results("par-2020-province").await.unwrap();
        let row = ranked
            .rows
            .iter()
            .find(|r| r.subject == "bac-giang")
            .unwrap();
        assert_eq!(
            (row.total.map(|t| t.to_string()), row.rank),
            (Some("85.58".to_string()), Some(13))
        );
        // Sign-in counters and sessions are not data.
        let (admin, _) = t.store.user_by_username("admin").await.unwrap().unwrap();
        assert_eq!(
            admin.id,
            s.user_by_username("admin").await.unwrap().unwrap().0.id
        );
        assert!(t
            .store
            .session(
                &"t".repeat(64),
                "2000-01-01T00:00:00Z",
                "1970-01-01T00:00:00Z"
            )
            .await
            .unwrap()
            .is_none());
        // Backed up again: the same table files.
        let again = dir.path().join(format!("t{i}.zip"));
        let m2 = t.store.backup(&again, &tcfg, &Silent).await.unwrap();
        assert_eq!(m2.tables, m.tables, "restored into {:?}", t.store.backend());
        assert_eq!(m2.evidence, m.evidence);
        assert_eq!(m2.sequences, m.sequences);
        // Ids continue after the restored ones.
        let last_user = s
            .users(None)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .max()
            .unwrap();
        let id = t
            .store
            .create_user(
                &UserInput {
                    username: "moi".into(),
                    display_name: "Người mới".into(),
                    role: Role::Leader,
                    unit: None,
                    lang: "vi".into(),
                    active: true,
                },
                "x",
                "test",
            )
            .await
            .unwrap();
        assert!(id > last_user, "{id} after {last_user}");
        let log = t.store.audit_log(&Default::default()).await.unwrap();
        let top = log.iter().map(|e| e.id).max().unwrap();
        assert!(top > *m.sequences.get("audit_log").unwrap());

        // And back again into the first backend: identical table files (e.g. SQLite →
        // PostgreSQL → SQLite).
        let back = same_backend(s).await;
        let bcfg = evidence_in(&dir.path().join(format!("b{i}")));
        back.store
            .restore(
                &again,
                &bcfg,
                RestoreOptions::default(),
                Limits::default(),
                &Silent,
            )
            .await
            .unwrap();
        let m3 = back
            .store
            .backup(&dir.path().join(format!("b{i}.zip")), &bcfg, &Silent)
            .await
            .unwrap();
        assert_eq!(m3.tables, m.tables);
        back.cleanup().await;
    }
    for t in targets {
        t.cleanup().await;
    }
}

/// An archive, the entry a check must name, and what it must say about it.
type Case<'a> = (&'a Path, String, fn(&EntryProblem) -> bool);

fn expect_entry(err: BackupError, entry: &str) -> EntryProblem {
    match err {
        BackupError::Entry { entry: e, problem } => {
            assert_eq!(e, entry);
            problem
        }
        other => panic!("expected an error naming {entry}, got {other}"),
    }
}

async fn corrupted_archives_are_refused_and_nothing_is_written(s: &Store) {
    let dir = Dir::new();
    let cfg = evidence_in(&dir.path().join("a"));
    fill(s, &cfg).await;
    let a = dir.path().join("a.zip");
    let m = s.backup(&a, &cfg, &Silent).await.unwrap();
    let results = m.tables.iter().find(|t| t.name == "results").unwrap();
    let ev = m.evidence[0].clone();

    // One byte changed in a table file (the zip itself is sound).
    let mut changed = entries(&a);
    let (_, body) = changed
        .iter_mut()
        .find(|(n, _)| *n == results.file)
        .unwrap();
    let at = body.windows(5).position(|w| w == b"85.58").unwrap();
    body[at + 4] = b'9';
    let bad_table = dir.path().join("bad-table.zip");
    write_zip(&bad_table, &changed);
    // An evidence file missing (still in the manifest).
    let missing: Vec<_> = entries(&a)
        .into_iter()
        .filter(|(n, _)| *n != ev.file)
        .collect();
    let no_file = dir.path().join("no-file.zip");
    write_zip(&no_file, &missing);
    // An evidence file missing from the archive and the manifest: the evidence_files table
    // still lists it.
    let mut m2 = m.clone();
    m2.evidence.retain(|e| e.sha256 != ev.sha256);
    let mut dropped: Vec<_> = missing
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    dropped.push(("manifest.json".into(), serde_json::to_vec(&m2).unwrap()));
    let no_listed = dir.path().join("no-listed.zip");
    write_zip(&no_listed, &dropped);
    // An evidence file whose content is changed.
    let mut swapped = entries(&a);
    let (_, body) = swapped.iter_mut().find(|(n, _)| *n == ev.file).unwrap();
    let last = body.len() - 2;
    body[last] ^= 1;
    let bad_file = dir.path().join("bad-file.zip");
    write_zip(&bad_file, &swapped);
    // A byte flipped in the archive itself, in the middle of the results file's data.
    let mut raw = std::fs::read(&a).unwrap();
    let pos = raw.len() / 3;
    raw[pos] ^= 0xff;
    let flipped = dir.path().join("flipped.zip");
    std::fs::write(&flipped, &raw).unwrap();
    // An extra entry the manifest does not list.
    let mut extra = entries(&a);
    extra.push(("notes.txt".into(), b"hello".to_vec()));
    let extra_zip = dir.path().join("extra.zip");
    write_zip(&extra_zip, &extra);

    let cases: Vec<Case> = vec![
        (&bad_table, results.file.clone(), |p| {
            matches!(p, EntryProblem::Checksum { .. })
        }),
        (&no_file, ev.file.clone(), |p| {
            matches!(p, EntryProblem::Missing)
        }),
        (&no_listed, ev.file.clone(), |p| {
            matches!(p, EntryProblem::Missing)
        }),
        (&bad_file, ev.file.clone(), |p| {
            matches!(p, EntryProblem::Checksum { .. })
        }),
        (&extra_zip, "notes.txt".into(), |p| {
            matches!(p, EntryProblem::Unexpected)
        }),
    ];
    let target = same_backend(s).await;
    let tcfg = evidence_in(&dir.path().join("t"));
    for (path, entry, want) in cases {
        let err = verify_archive(path, Limits::default(), &Silent).unwrap_err();
        assert!(err.to_string().contains(&entry), "{err}");
        let p = expect_entry(err, &entry);
        assert!(want(&p), "{entry}: {p}");
        let err = target
            .store
            .restore(
                path,
                &tcfg,
                RestoreOptions::default(),
                Limits::default(),
                &Silent,
            )
            .await
            .unwrap_err();
        let p = expect_entry(err, &entry);
        assert!(want(&p), "{entry}: {p}");
        assert!(
            is_empty(&target.store).await,
            "nothing restored from {path:?}"
        );
        assert!(!tcfg.dir.exists(), "no evidence file written");
    }
    // The flipped byte: refused too, whatever part of the zip it hit.
    assert!(verify_archive(&flipped, Limits::default(), &Silent).is_err());
    assert!(target
        .store
        .restore(
            &flipped,
            &tcfg,
            RestoreOptions::default(),
            Limits::default(),
            &Silent
        )
        .await
        .is_err());
    assert!(is_empty(&target.store).await);
    // Declared sizes are checked before anything is read: a manifest that declares a larger
    // table than the reader accepts.
    let small = Limits {
        max_table_bytes: 10,
        ..Limits::default()
    };
    let err = verify_archive(&a, small, &Silent).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Entry {
                problem: EntryProblem::TooLarge { .. },
                ..
            }
        ),
        "{err}"
    );
    let few = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    assert!(matches!(
        verify_archive(&a, few, &Silent).unwrap_err(),
        BackupError::TooManyEntries { .. }
    ));
    // A table file whose size in the manifest is smaller than the entry.
    let mut m4 = m.clone();
    let t4 = m4.tables.iter_mut().find(|t| t.name == "results").unwrap();
    t4.bytes -= 1;
    let mut lied: Vec<_> = entries(&a)
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    lied.push(("manifest.json".into(), serde_json::to_vec(&m4).unwrap()));
    let lied_zip = dir.path().join("lied.zip");
    write_zip(&lied_zip, &lied);
    let p = expect_entry(
        verify_archive(&lied_zip, Limits::default(), &Silent).unwrap_err(),
        &results.file,
    );
    assert!(matches!(p, EntryProblem::Size { .. }), "{p}");
    // An entry that inflates past the size it declares (in the zip and in the manifest).
    let mut m6 = m.clone();
    let t6 = m6.tables.iter_mut().find(|t| t.name == "results").unwrap();
    let real = t6.bytes;
    t6.bytes = real - 10;
    let mut all: Vec<_> = entries(&a)
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    all.push(("manifest.json".into(), serde_json::to_vec(&m6).unwrap()));
    let bomb = dir.path().join("bomb.zip");
    write_zip(&bomb, &all);
    let mut raw = std::fs::read(&bomb).unwrap();
    let name = results.file.as_bytes();
    let u16_at = |b: &[u8], i: usize| usize::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let mut patched = 0;
    for i in 0..raw.len() - 46 {
        let (sig, size_at, name_len_at, name_at) = match &raw[i..i + 4] {
            b"PK\x03\x04" => ("local", i + 22, i + 26, i + 30),
            b"PK\x01\x02" => ("central", i + 24, i + 28, i + 46),
            _ => continue,
        };
        let n = u16_at(&raw, name_len_at);
        if raw.get(name_at..name_at + n) == Some(name) {
            let declared = u32::from_le_bytes(raw[size_at..size_at + 4].try_into().unwrap());
            assert_eq!(u64::from(declared), real, "{sig} header");
            raw[size_at..size_at + 4].copy_from_slice(&((real - 10) as u32).to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "the local and the central header");
    std::fs::write(&bomb, &raw).unwrap();
    let p = expect_entry(
        verify_archive(&bomb, Limits::default(), &Silent).unwrap_err(),
        &results.file,
    );
    assert!(
        matches!(
            p,
            EntryProblem::InflatesPastDeclared { .. } | EntryProblem::Read(_)
        ),
        "{p}"
    );
    target.cleanup().await;
}

async fn a_database_with_content_is_refused_or_replaced_in_one_transaction(s: &Store) {
    let dir = Dir::new();
    let cfg = evidence_in(&dir.path().join("a"));
    fill(s, &cfg).await;
    let a = dir.path().join("a.zip");
    let m = s.backup(&a, &cfg, &Silent).await.unwrap();
    // Changes after the backup.
    s.create_user(
        &UserInput {
            username: "sau-sao-luu".into(),
            display_name: "Sau sao lưu".into(),
            role: Role::Leader,
            unit: None,
            lang: "vi".into(),
            active: true,
        },
        "x",
        "test",
    )
    .await
    .unwrap();
    let users_before = s.users(None).await.unwrap().len();
    // Refused without --replace, naming a table that has rows.
    let err = s
        .restore(
            &a,
            &cfg,
            RestoreOptions::default(),
            Limits::default(),
            &Silent,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("--replace"));
    assert_eq!(s.users(None).await.unwrap().len(), users_before);

    // A valid archive (checksums right) whose rows cannot go in: a user twice. Replacing fails
    // and leaves the database as it was.
    let users = m.tables.iter().find(|t| t.name == "users").unwrap();
    let mut all = entries(&a);
    let (_, body) = all.iter_mut().find(|(n, _)| *n == users.file).unwrap();
    let first = body.split(|b| *b == b'\n').next().unwrap().to_vec();
    body.extend_from_slice(&first);
    body.push(b'\n');
    let new_body = body.clone();
    let mut m5 = m.clone();
    let t5 = m5.tables.iter_mut().find(|t| t.name == "users").unwrap();
    t5.rows += 1;
    t5.bytes = new_body.len() as u64;
    t5.sha256 = sha256_hex(&new_body);
    let mut all: Vec<_> = all
        .into_iter()
        .filter(|(n, _)| n != "manifest.json")
        .collect();
    all.push(("manifest.json".into(), serde_json::to_vec(&m5).unwrap()));
    let dup = dir.path().join("dup.zip");
    write_zip(&dup, &all);
    verify_archive(&dup, Limits::default(), &Silent).expect("the checksums are right");
    let err = s
        .restore(
            &dup,
            &cfg,
            RestoreOptions { replace: true },
            Limits::default(),
            &Silent,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::Store(_)), "{err}");
    assert_eq!(s.users(None).await.unwrap().len(), users_before);
    assert!(s.user_by_username("sau-sao-luu").await.unwrap().is_some());
    assert!(!s.editions(None).await.unwrap().is_empty());

    // With --replace: the database is the archive again.
    let sum = s
        .restore(
            &a,
            &cfg,
            RestoreOptions { replace: true },
            Limits::default(),
            &Silent,
        )
        .await
        .unwrap();
    assert!(sum.replaced);
    assert_eq!(sum.evidence_written, 0, "the files were there already");
    assert!(s.user_by_username("sau-sao-luu").await.unwrap().is_none());
    let again = s
        .backup(&dir.path().join("again.zip"), &cfg, &Silent)
        .await
        .unwrap();
    assert_eq!(again.tables, m.tables);
}

// ---------------------------------------------------------------------------------------------
// A backup while another connection writes
// ---------------------------------------------------------------------------------------------

/// A writer keeps creating users (a user and its audit entry in one transaction) while the
/// backup runs: the archive holds as many users as audit entries of their creation, and every
/// manifest count equals the lines of its file.
async fn consistent_while_writing(s: &Store) {
    let dir = Dir::new();
    let cfg = evidence_in(dir.path());
    fill(s, &cfg).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let (s, stop, written) = (s.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                s.create_user(
                    &UserInput {
                        username: format!("w-{i}"),
                        display_name: format!("Người viết {i}"),
                        role: Role::Leader,
                        unit: None,
                        lang: "vi".into(),
                        active: true,
                    },
                    "x",
                    "writer",
                )
                .await
                .unwrap();
                written.store(i, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    while written.load(std::sync::atomic::Ordering::SeqCst) < 5 {
        std::thread::sleep(std::time::Duration::from_millis(2));
        tokio::task::yield_now().await;
    }
    let before = written.load(std::sync::atomic::Ordering::SeqCst);
    let a = dir.path().join("a.zip");
    let m = s.backup(&a, &cfg, &Silent).await.unwrap();
    let after = written.load(std::sync::atomic::Ordering::SeqCst);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        after > before,
        "the writer wrote during the backup ({before} → {after})"
    );
    verify_archive(&a, Limits::default(), &Silent).unwrap();
    let mut lines = 0;
    for t in &m.tables {
        let (_, rows) = rows_of(&a, &t.name);
        lines += rows.len() as u64;
    }
    assert_eq!(lines, m.total_rows());
    let (ucols, users) = rows_of(&a, "users");
    let names: BTreeSet<String> = users
        .iter()
        .map(|r| r[col(&ucols, "username")].as_str().unwrap().to_string())
        .filter(|n| n.starts_with("w-"))
        .collect();
    let (acols, audit) = rows_of(&a, "audit_log");
    let created: BTreeSet<String> = audit
        .iter()
        .filter(|r| r[col(&acols, "entity")] == "user" && r[col(&acols, "action")] == "create")
        .map(|r| r[col(&acols, "entity_id")].as_str().unwrap().to_string())
        .filter(|n| n.starts_with("w-"))
        .collect();
    assert!(
        names.len() as u64 >= before,
        "{} users in the snapshot",
        names.len()
    );
    assert_eq!(
        names, created,
        "users and their audit entries from one snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_while_writing_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    consistent_while_writing(&db.store).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_while_writing_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            consistent_while_writing(&db.store).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

/// The list check fails when a migration adds a table the list does not know.
#[tokio::test]
async fn a_table_missing_from_the_list_is_reported() {
    use sqlx::Connection;
    let db = TestDb::sqlite().await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
    sqlx::query("CREATE TABLE sign_in_counters (ip TEXT PRIMARY KEY, failures INTEGER NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let problems = db.store.backup_table_problems().await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("sign_in_counters"), "{problems:?}");
    db.cleanup().await;
}
