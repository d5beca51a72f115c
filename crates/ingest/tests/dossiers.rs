//! The dossier import as a library: a dry run stores nothing, an import stores the cells and the
//! overdue dossiers under the name the file is known by, a re-import replaces, a bad row refuses
//! the whole file naming its line, a skipped one is counted. SQLite always; PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use parindex_domain::units::{Unit, UnitType};
use parindex_ingest::dossiers::{import, ImportFlags};
use parindex_ingest::IngestError;
use parindex_store::testing::TestDb;
use parindex_store::Store;

const HEADER: &str =
    "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n";

/// Two agencies in June 2021: Sở Tư pháp (by name) with one early and one late dossier, and an
/// agency that is not a unit with one dossier pending past its due date on 5/7/2021.
fn good_rows() -> String {
    format!(
        "{HEADER}\
         TP-1,Sở Tư pháp,1.001,province,3,2021-06-01T08:00:00+07:00,2021-06-05,,2021-06-04T08:00:00+07:00,closed\n\
         TP-2,so-tu-phap,1.001,province,3,2021-06-02T08:00:00+07:00,2021-06-05,,2021-06-08T08:00:00+07:00,closed\n\
         X-1,Ban Quản lý dự án,2.002,province,2,2021-06-03T08:00:00+07:00,2021-06-10,,,processing\n"
    )
}

async fn seed(store: &Store) {
    store
        .save_units(
            &[Unit {
                slug: "so-tu-phap".into(),
                name_vi: "Sở Tư pháp".into(),
                name_en: None,
                unit_type: UnitType::Department,
                parent: None,
                head_name: None,
                head_title: None,
            }],
            "seed",
        )
        .await
        .unwrap();
}

async fn story(db: TestDb) {
    let store = &db.store;
    seed(store).await;
    let dir = tempfile::tempdir().unwrap();
    // The file as stored by an upload: a temporary name, known to users by another.
    let path = dir.path().join("upload.csv");
    std::fs::write(&path, good_rows()).unwrap();
    let flags = ImportFlags {
        file_name: Some("ho-so-thang-6.csv".into()),
        ..Default::default()
    };
    let as_of = jiff::civil::date(2021, 7, 5);

    let check = import(store, &path, &flags, as_of, true, "coordinator")
        .await
        .unwrap();
    assert!(check.dry_run && check.import_id.is_none());
    assert_eq!((check.rows, check.cells), (3, 2));
    assert_eq!((check.late, check.pending_overdue), (1, 1));
    assert_eq!(check.unmatched, vec!["Ban Quản lý dự án".to_string()]);
    assert_eq!(check.file, "ho-so-thang-6.csv");
    assert!(
        check.text.starts_with("ho-so-thang-6.csv: 3 dossiers"),
        "{}",
        check.text
    );
    assert!(
        store.dossier_cells().await.unwrap().is_empty(),
        "a dry run stores nothing"
    );

    let done = import(store, &path, &flags, as_of, false, "coordinator")
        .await
        .unwrap();
    assert!(!done.dry_run && done.import_id.is_some());
    let cells = store.dossier_cells().await.unwrap();
    assert_eq!(cells.len(), 2);
    assert!(cells.iter().all(|c| Some(c.import_id) == done.import_id));
    let tu_phap = cells
        .iter()
        .find(|c| c.cell.agency == "so-tu-phap")
        .unwrap();
    assert_eq!(tu_phap.cell.unit.as_deref(), Some("so-tu-phap"));
    assert_eq!(
        (tu_phap.cell.counts.early, tu_phap.cell.counts.late),
        (1, 1)
    );
    let late = store.overdue_dossiers("so-tu-phap", None).await.unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].dossier.code, "TP-2");
    let audit = store
        .audit_log(&parindex_store::AuditFilter {
            entity: Some("dossier_import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "coordinator");
    let after = audit[0].after.as_ref().unwrap();
    assert_eq!(after["file"], "ho-so-thang-6.csv", "the name users know");

    // Again: replaced, not doubled.
    import(store, &path, &flags, as_of, false, "coordinator")
        .await
        .unwrap();
    let again = store.dossier_cells().await.unwrap();
    assert_eq!(again.len(), 2);
    let received: u64 = again.iter().map(|c| c.cell.counts.received).sum();
    assert_eq!(received, 3);
    assert_eq!(
        store
            .overdue_dossiers("so-tu-phap", None)
            .await
            .unwrap()
            .len(),
        1
    );

    // A due date before the day received at line 3: refused, naming the file and the line.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\
             TP-9,so-tu-phap,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-05,,2021-07-02T08:00:00+07:00,closed\n\
             TP-10,so-tu-phap,1.001,province,3,2021-07-06T08:00:00+07:00,2021-07-05,,,processing\n"
        ),
    )
    .unwrap();
    let named = ImportFlags {
        file_name: Some("thang-7.csv".into()),
        ..Default::default()
    };
    let err = import(store, &bad, &named, as_of, false, "coordinator")
        .await
        .unwrap_err();
    let IngestError::BadRows(rows) = &err else {
        panic!("bad rows expected: {err:?}");
    };
    assert_eq!(rows.file, "thang-7.csv");
    assert_eq!(rows.total, 1);
    assert_eq!(rows.first[0].line, 3);
    // The command prints it: the file as users know it comes first.
    assert!(err.to_string().starts_with("thang-7.csv: "), "{err}");
    let months: Vec<String> = store
        .dossier_cells()
        .await
        .unwrap()
        .iter()
        .map(|c| c.cell.month.to_string())
        .collect();
    assert!(!months.contains(&"2021-07".to_string()), "nothing stored");

    // Skipped: counted and listed.
    let skip = ImportFlags {
        skip_bad_rows: true,
        ..named.clone()
    };
    let done = import(store, &bad, &skip, as_of, false, "coordinator")
        .await
        .unwrap();
    assert_eq!((done.rows, done.bad_rows), (1, 1));
    assert_eq!(done.bad[0].line, 3);
    assert!(done
        .skipped_note()
        .unwrap()
        .starts_with("thang-7.csv: 1 bad rows skipped"));

    // A file that cannot be read at all names the file too.
    let headless = dir.path().join("x.csv");
    std::fs::write(&headless, "a,b\n1,2\n").unwrap();
    let err = import(store, &headless, &named, as_of, true, "coordinator")
        .await
        .unwrap_err();
    let IngestError::Scan(scan) = &err else {
        panic!("a scan error expected: {err:?}");
    };
    assert_eq!(scan.file, "thang-7.csv");
    db.cleanup().await;
}

#[tokio::test]
async fn import_on_sqlite() {
    story(TestDb::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn import_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => story(db).await,
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
